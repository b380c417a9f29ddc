"""Real servers on loopback, a real SQLite file, and tenants made fresh for each test."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest

from client import API_PREFIX, Client, resource_document
from university_local.app import create_app
from university_local.core import clock
from university_local.core.config import Config
from university_local.core.db import Store
from university_local.tenancy.keys import create_key

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "university_local"]
API = API_PREFIX
FIXTURES = ROOT / "tests" / "fixtures"  # third-party material, with its sources and licences (SOURCES.md)
_app_numbers = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(data_dir: Path, *args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "--data-dir", str(data_dir), *args], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, **(env or {})}, check=check, timeout=60,
    )


@dataclass
class ServerProcess:
    base: str
    data_dir: Path
    proc: subprocess.Popen[str]
    log_path: Path

    def printed(self) -> str:
        """What the server printed on its terminal (to a file: a pipe nobody reads would fill and stall it)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def output(self) -> str:
        """Everything the server printed or logged: the terminal, then the server log (uWSGI and the app)."""
        logged = self.data_dir / "server.log"
        return self.printed() + (logged.read_text(encoding="utf-8", errors="replace") if logged.exists() else "")

    @property
    def store(self) -> Store:
        return Store(self.data_dir / "university.sqlite3")

    def kill(self) -> None:
        """kill -9 the server and every process it started, as a power cut would."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, sig: int | None = None) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig) if sig else self.proc.terminate()
        return self.proc.wait(timeout=30)


def start_server(data_dir: Path, env: dict[str, str] | None = None, *extra: str) -> ServerProcess:
    port = free_port()
    log_path = data_dir / f"server-{port}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [*CLI, "--data-dir", str(data_dir), "serve", "--host", "127.0.0.1", "--port", str(port), *extra],
            cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,  # its own process group, so kill() takes the workers too
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text()}")
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return ServerProcess(base, data_dir, proc, log_path)
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the session, rate limits off; tests isolate themselves by tenant."""
    srv = start_server(tmp_path_factory.mktemp("server"), {"UNIVERSITY_LOCAL_RATE_LIMITS": "off"})
    yield srv
    srv.stop()
    # Every statement the server ran took its tenant from the caller's scope (tests/test_scoping.py).
    assert "UnscopedQuery" not in srv.output(), srv.output()


class Api(Client):
    """The client as the tests use it: `Api(base, app_id, key)`, a `create` that insists on 201,
    a raw `patch_resource` for tests that examine what a PATCH answers, and quick builders."""

    def create(self, path: str, type_: str, **attributes: Any) -> dict[str, Any]:
        """POST a resource and return its `data`, failing loudly unless it was created."""
        response = self.post(path, resource_document(type_, **attributes))
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def patch_resource(self, path: str, type_: str, **attributes: Any) -> httpx.Response:
        return self.patch(path, resource_document(type_, **attributes))

    def course(self, **attributes: Any) -> dict[str, Any]:
        return self.create("/courses", "course", **{"title": "A course", **attributes})

    def module(self, course_id: str, **attributes: Any) -> dict[str, Any]:
        return self.create(f"/courses/{course_id}/modules", "module", **{"title": "A module", **attributes})

    def lesson(self, module_id: str, **attributes: Any) -> dict[str, Any]:
        defaults = {"title": "A lesson", "content_type": "text",
                    "content": {"html": "<p>Hello</p>", "estimated_reading_minutes": 5}}
        return self.create(f"/modules/{module_id}/lessons", "lesson", **{**defaults, **attributes})


@dataclass
class Tenant:
    app_id: str
    secret: Api
    publishable: Api
    base: str

    def with_key(self, key: str, app_id: str | None = None) -> Api:
        return Api(self.base, app_id or self.app_id, key)


def make_tenant(srv: ServerProcess, env: str = "test", app_id: str | None = None) -> Tenant:
    app_id = app_id or f"app-{os.getpid()}-{next(_app_numbers)}"
    store = srv.store
    sk, _ = create_key(store, app_id, env, "secret")  # type: ignore[arg-type]
    pk, _ = create_key(store, app_id, env, "publishable")  # type: ignore[arg-type]
    store.close()
    return Tenant(app_id, Api(srv.base, app_id, sk), Api(srv.base, app_id, pk), srv.base)


@pytest.fixture
def tenant(server: ServerProcess) -> Tenant:
    """A fresh organisation in the test environment, with a secret and a publishable key."""
    return make_tenant(server)


@pytest.fixture
def api(tenant: Tenant) -> Api:
    """The fresh tenant's secret-key client."""
    return tenant.secret


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The first JSON:API error object of a response, checking the envelope on the way."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"errors"}, body
    first = body["errors"][0]
    assert {"status", "code", "title", "detail"} <= set(first)
    assert first["status"] == str(response.status_code)
    return first


def eventually(check: Any, timeout: float = 20, interval: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; background work (webhook delivery, expiry)
    finishes a moment after the effect a test can observe first."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Timeline:
    """The real app on a loopback WSGI server in this process, with a clock the test moves:
    `now[0] += timedelta(...)`. `learner` is a publishable-key client of the same tenant."""

    api: Api
    learner: Api
    store: Store
    now: list[datetime]


@pytest.fixture(scope="module")
def adapter_page(server: ServerProcess) -> Iterator[Any]:
    """Headless Chromium on a page holding the SCORM adapter and its rules exactly as the server
    serves them to the player (one browser per test module)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        page = browser.new_page()
        page.goto(server.base + "/health")
        page.add_script_tag(url=server.base + "/scorm/player/cmi-rules.js")
        page.add_script_tag(url=server.base + "/scorm/player/scorm-api.js")
        yield page
        browser.close()


def _without_hop_by_hop(app: Any) -> Any:
    """wsgiref refuses the `Connection` header the app sends with a 204 (for the HTTP router)."""
    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            return start_response(status, [(k, v) for k, v in headers if k.lower() != "connection"], *args)
        return app(environ, start)
    return wrapped


@pytest.fixture
def timeline(tmp_path: Path) -> Iterator[Timeline]:
    now = [datetime(2030, 1, 1, 9, 0, tzinfo=UTC)]
    clock.set_clock(lambda: now[0])
    app = create_app(Config(data_dir=tmp_path, rate_limits=None, jobs=False))
    store = app.config["university.services"].store
    sk, _ = create_key(store, "clock-app", "test", "secret")
    pk, _ = create_key(store, "clock-app", "test", "publishable")
    server = make_server("127.0.0.1", 0, _without_hop_by_hop(app), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        yield Timeline(Api(base, "clock-app", sk), Api(base, "clock-app", pk), store, now)
    finally:
        server.shutdown()
        clock.set_clock(lambda: datetime.now(UTC))


async def until(pilot: Any, condition: Any, what: str = "the condition", *, timeout: float = 15) -> Any:
    """Let the instructors' app work (its workers call the server) until `condition()` is truthy,
    and return it; a failure says what the screen and the notifications were."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            notes = [n.message for n in pilot.app._notifications]
            raise AssertionError(f"timed out waiting for {what}; screen {pilot.app.screen!r}, notifications {notes}")
        await pilot.pause(0.05)
    return result


@pytest.fixture
def tui_target(tenant: Tenant, tmp_path: Path) -> Any:
    """Where the instructors' app points: the session server, the fresh tenant's secret key, and a
    drafts folder of the test's own."""
    from tui.target import Target

    return Target(tenant.base, tenant.app_id, tenant.secret.key, tmp_path / "drafts")
