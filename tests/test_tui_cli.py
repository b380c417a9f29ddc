"""`university-local --data-dir DIR tui` in a real terminal (tmux, 80x24): it finds the data
directory's server and makes a key of its own, and says how to start a server when none answers."""

from __future__ import annotations

import shutil
import stat
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import CLI, ROOT, free_port, run_cli, start_server

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is installed by .ci/run")


def test_with_no_server_it_says_how_to_start_one(tmp_path: Path) -> None:
    run_cli(tmp_path, "demo")
    answer = run_cli(tmp_path, "tui", env={"UNIVERSITY_LOCAL_PORT": str(free_port())}, check=False)
    assert answer.returncode == 1
    assert "No server answers at http://127.0.0.1:" in answer.stderr
    assert f"university-local --data-dir {tmp_path} serve" in answer.stderr


def test_several_organisations_need_one_named(tmp_path: Path) -> None:
    run_cli(tmp_path, "keys", "create", "--app", "north", "--env", "live", "--type", "secret")
    run_cli(tmp_path, "keys", "create", "--app", "south", "--env", "live", "--type", "secret")
    answer = run_cli(tmp_path, "tui", check=False)
    assert answer.returncode == 1 and "--app: north, south" in answer.stderr


def _screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def _wait_for(session: str, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in (screen := _screen(session)):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never showed:\n{_screen(session)}")


def test_it_finds_the_local_server_and_runs_in_an_80x24_terminal(tmp_path: Path) -> None:
    server = start_server(tmp_path, {"UNIVERSITY_LOCAL_RATE_LIMITS": "off"}, "--demo", "--no-mdns")
    session = f"ul-tui-{uuid.uuid4().hex[:8]}"
    command = " ".join([*CLI, "--data-dir", str(tmp_path), "tui"])
    try:
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", "-c", str(ROOT),
                        f"TERM=xterm-256color {command}; sleep 30"], check=True)
        screen = _wait_for(session, "Waiting for grading")
        assert "demo-school" in screen and server.base.split("//")[1] in screen  # organisation and server
        keys = tmp_path / "tui-keys.json"
        assert stat.S_IMODE(keys.stat().st_mode) == 0o600  # a key of its own, readable by its owner only
        subprocess.run(["tmux", "send-keys", "-t", session, "g"], check=True)
        _wait_for(session, "Nothing waits for grading")
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 15
        while "Waiting for grading" in _screen(session) or "Nothing waits" in _screen(session):
            assert time.monotonic() < deadline, _screen(session)
            time.sleep(0.2)
        # A second start reuses the key it made.
        before = keys.read_text()
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", "-c", str(ROOT),
                        f"TERM=xterm-256color {command}; sleep 30"], check=True)
        _wait_for(session, "Waiting for grading")
        assert keys.read_text() == before
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)
        server.stop()
