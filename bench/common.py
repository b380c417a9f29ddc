"""Shared by the benchmarks: start a real server on loopback, seed it, drive it with wrk."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
WRK_THREADS = int(os.environ.get("WRK_THREADS", "1"))
CLI = [sys.executable, "-m", "university_local"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    data_dir: Path
    app_id: str
    key: str
    pid: int | None = None  # the server process (its children: uWSGI's HTTP router and worker)

    @property
    def headers(self) -> dict[str, str]:
        return {"X-App-Id": self.app_id, "X-Api-Key": self.key}


@contextmanager
def running_server(threads: int | None = None, extra_env: dict[str, str] | None = None,
                   root: Path = ROOT) -> Iterator[Server]:
    """A server in a fresh data dir with rate limits off, and a secret test key for it, run from
    the source tree `root` (this one unless comparing with another)."""
    with tempfile.TemporaryDirectory(prefix="ul-bench-") as tmp:
        data_dir = Path(tmp)
        env = {**os.environ, "UNIVERSITY_LOCAL_RATE_LIMITS": "off", **(extra_env or {})}
        key = subprocess.run(
            [*CLI, "--data-dir", str(data_dir), "keys", "create", "--app", "bench", "--env", "test",
             "--type", "secret"],
            check=True, capture_output=True, text=True, env=env, cwd=root,
        ).stdout.strip()
        with running_server_on(data_dir, "bench", key, threads, extra_env, root=root) as server:
            yield server


@contextmanager
def running_server_on(data_dir: Path, app_id: str, key: str, threads: int | None = None,
                      extra_env: dict[str, str] | None = None, ready_timeout: float = 60,
                      root: Path = ROOT) -> Iterator[Server]:
    """A server on an existing data dir (e.g. bench/generate_tenant.py's), rate limits off."""
    env = {**os.environ, "UNIVERSITY_LOCAL_RATE_LIMITS": "off", **(extra_env or {})}
    port = free_port()
    cmd = [*CLI, "--data-dir", str(data_dir), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, ready_timeout)
        yield Server(base, Path(data_dir), app_id, key, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_healthy(base: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not become healthy")


@dataclass
class WrkResult:
    label: str
    requests_per_sec: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int
    steal_percent: float | None = None  # CPU the host took from this machine during the run


_STEAL = 7  # /proc/stat's cpu line: user nice system idle iowait irq softirq steal ...


def _cpu_times() -> list[int] | None:
    """This machine's CPU time so far by kind, in ticks (Linux), or None where it cannot be read."""
    try:
        return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:][:_STEAL + 1]]
    except (OSError, ValueError):
        return None


def wrk(label: str, url: str, headers: dict[str, str], connections: int, seconds: int,
        script: Path | None = None, threads: int = WRK_THREADS) -> WrkResult:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    if script:
        cmd += ["-s", str(script)]
    before = _cpu_times()
    out = subprocess.run([*cmd, url], check=True, capture_output=True, text=True).stdout
    after = _cpu_times()
    steal = None
    if before and after and len(after) > _STEAL and sum(after) > sum(before):
        steal = 100 * (after[_STEAL] - before[_STEAL]) / (sum(after) - sum(before))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        label,
        float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        _ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        _ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        int(non_2xx.group(1)) if non_2xx else 0,
        sum(int(g) for g in errors.groups()) if errors else 0,
        steal,
    )


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def print_table(results: list[WrkResult], baseline: WrkResult) -> None:
    """The runs beside the baseline, and how much CPU the host took meanwhile: on a shared VM the
    figures move with it."""
    print(f"{'endpoint':<40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs health':>10} {'non-2xx':>8} "
          f"{'steal':>6}")
    for r in results:
        share = 100 * r.requests_per_sec / baseline.requests_per_sec
        print(f"{r.label:<40} {r.requests_per_sec:>9.0f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {share:>9.1f}% "
              f"{r.non_2xx + r.errors:>8} {steal_text(r):>6}")


def steal_text(result: WrkResult) -> str:
    return "-" if result.steal_percent is None else f"{result.steal_percent:.0f}%"
