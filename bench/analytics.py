"""Analytics benchmark (issue 7): the three analytics endpoints and the CSV export on a large tenant.

    python bench/analytics.py [--data-dir DIR] [--requests 50] [--export-runs 3] [--wrk]

Uses the tenant `bench/generate_tenant.py` builds (10,000 learners, 200 courses, 1,000,000
progress events over two years), generating it first when DIR holds none, or one made with
other migrations or another `analytics/rollups.py`, other parameters, or more than
`--max-age-days` ago (its "last 7 days" would be empty). DIR defaults to a cache under the
system's temporary directory, so a second run starts at once. Starts the real server on it
(rate limits off), then measures with sequential requests on one keep-alive connection (p50,
p99 and mean over `--requests` each; two warm-up requests per line are not counted):

- course analytics for every period, on the 2,000-learner course and on a median-size course;
- user analytics for random learners, and for learners active this week with periods 30d and
  all (a different learner each request);
- the leaderboard: global, the 2,000-learner course and the busiest learning path, each by
  progress, score, time and streak;
- the CSV report of the 2,000-learner course (`--export-runs` times): seconds, bytes, rows, time
  to the first byte, and the uWSGI worker's memory (VmRSS, VmHWM from /proc) before, after each
  run and after: a streamed export adds a bounded amount per worker thread, not the document.

Prints one table with the target and the result of each line. An endpoint that does not exist
yet (404 "No such endpoint") or fails is reported in the table, not fatal. `--wrk` adds a
throughput run of one line of each endpoint at `--connections` connections.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, print_table, running_server_on, wrk
from generate_tenant import KEY_FILE, META_FILE, Params, generate, schema_fingerprint

PERIODS = ("7d", "30d", "90d", "1y", "all")
METRICS = ("progress", "score", "time", "streak")
COURSE_TARGET_MS, USER_TARGET_MS, LEADERBOARD_TARGET_MS, EXPORT_TARGET_S = 100, 50, 50, 3.0
DEFAULT_DIR = Path(tempfile.gettempdir()) / "ul-bench-analytics"


@dataclass
class Line:
    label: str
    target: str
    n: int = 0
    p50: float | None = None
    p99: float | None = None
    mean: float | None = None
    result: str = ""
    notes: list[str] = field(default_factory=list)


# -- the tenant ------------------------------------------------------------------------------


def tenant(data_dir: Path, params: Params, max_age_days: float, regenerate: bool) -> dict[str, Any]:
    """The generated tenant's metadata, generating it (again) when the cache does not fit."""
    meta_file = data_dir / META_FILE
    reason = "--regenerate" if regenerate else None
    if reason is None:
        if not meta_file.exists() or not (data_dir / KEY_FILE).exists():
            reason = "no tenant generated yet"
        else:
            meta = json.loads(meta_file.read_text())
            age = (datetime.now(UTC) - datetime.fromisoformat(meta["generated_at"]))
            if meta.get("params") != asdict(params):
                reason = f"generated with other parameters {meta.get('params')}"
            elif meta.get("schema") != schema_fingerprint():
                reason = "the migrations or analytics/rollups.py changed since it was generated"
            elif age.total_seconds() > max_age_days * 86400:
                reason = f"generated {age.days} days ago"
            else:
                print(f"reusing the tenant in {data_dir} (generated {meta['generated_at']} in {meta['seconds']:.0f} s)")
                return meta
    print(f"generating the tenant in {data_dir}: {reason}", flush=True)
    return generate(data_dir, params, force=True)


def sample_learners(data_dir: Path, meta: dict[str, Any], n: int, seed: int) -> tuple[list[str], list[str]]:
    """`n` random learners with an enrollment, and `n` of those active in the last 7 days of the
    history (the ones whose dashboards have the most to show), from a read-only look at the database."""
    conn = sqlite3.connect(f"file:{data_dir / 'university.sqlite3'}?mode=ro", uri=True)
    tenant = (meta["app_id"], meta["env"])
    users = [row[0] for row in conn.execute(
        "SELECT DISTINCT user_id FROM enrollments WHERE app_id = ? AND env = ? ORDER BY user_id", tenant)]
    active = [row[0] for row in conn.execute(
        "SELECT DISTINCT user_id FROM learner_days WHERE app_id = ? AND env = ? "
        "AND day > date((SELECT MAX(day) FROM learner_days), '-7 days') ORDER BY user_id", tenant)]
    conn.close()
    rng = random.Random(seed)
    return rng.sample(users, k=min(n, len(users))), rng.sample(active, k=min(n, len(active)))


# -- measuring -------------------------------------------------------------------------------


def outcome(response: httpx.Response) -> str | None:
    """None for a 200; otherwise what went wrong, as the table shows it."""
    if response.status_code == 200:
        return None
    try:
        error = response.json()["errors"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        error = {}
    if response.status_code == 404 and error.get("code") == "not_found":
        return "missing (no such endpoint)"
    return f"HTTP {response.status_code} {error.get('code', '')}".strip()


def measure(client: httpx.Client, label: str, target_ms: float, urls: list[str], n: int) -> Line:
    """`n` sequential GETs (cycling through `urls`) after two warm-up requests; latency in ms."""
    line = Line(label, f"p50 < {target_ms:g} ms")
    for url in urls[:2]:
        failure = outcome(client.get(url))
        if failure:
            line.result = failure
            return line
    times = []
    for i in range(n):
        started = time.perf_counter()
        response = client.get(urls[i % len(urls)])
        response.read()
        times.append((time.perf_counter() - started) * 1000)
        failure = outcome(response)
        if failure:
            line.result = f"{failure} (request {i + 1})"
            return line
    line.n = len(times)
    line.p50, line.p99, line.mean = statistics.median(times), _percentile(times, 99), statistics.fmean(times)
    line.result = "ok" if line.p50 < target_ms else "MISSED"
    return line


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def worker_pid(server_pid: int) -> int | None:
    """uWSGI's worker: the server's child with the most threads (the other child is the HTTP router)."""
    best: tuple[int, int, int] | None = None
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = _status_fields(status)
        except OSError:
            continue
        if fields.get("PPid") == str(server_pid):
            key = (int(fields.get("Threads", "1")), _kb(fields.get("VmRSS", "0 kB")), int(status.parent.name))
            best = max(best, key) if best else key
    return best[2] if best else None


def _status_fields(path: Path) -> dict[str, str]:
    return dict(line.split(":\t", 1) for line in path.read_text().splitlines() if ":\t" in line)


def _kb(text: str) -> int:
    return int(text.split()[0])


def memory(pid: int | None) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in MB."""
    if pid is None:
        return 0, 0
    fields = _status_fields(Path(f"/proc/{pid}/status"))
    return _kb(fields["VmRSS"]) // 1024, _kb(fields["VmHWM"]) // 1024


def export(client: httpx.Client, url: str, runs: int, worker: int | None) -> tuple[Line, str | None]:
    """The streamed CSV report, `runs` times: total seconds, first byte, bytes, rows, worker memory."""
    line = Line("GET /reports/courses/{2,000-learner}?format=csv", f"< {EXPORT_TARGET_S:g} s")
    rss_before, hwm_before = memory(worker)
    seconds, first_bytes, peak_rss, rss_runs = [], [], rss_before, []
    size = rows = 0
    for _ in range(runs):
        started = time.perf_counter()
        first = None
        size = rows = 0
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                response.read()
                line.result = outcome(response) or ""
                return line, None
            for n, chunk in enumerate(response.iter_bytes()):
                if first is None:
                    first = time.perf_counter() - started
                size += len(chunk)
                rows += chunk.count(b"\n")
                if n % 64 == 0:
                    peak_rss = max(peak_rss, memory(worker)[0])
        seconds.append(time.perf_counter() - started)
        first_bytes.append(first or 0.0)
        rss_runs.append(memory(worker)[0])
    rss_after, hwm_after = memory(worker)
    line.n = runs
    line.p50, line.p99, line.mean = (statistics.median(seconds) * 1000, max(seconds) * 1000,
                                     statistics.fmean(seconds) * 1000)
    line.result = "ok" if statistics.median(seconds) < EXPORT_TARGET_S else "MISSED"
    detail = (f"CSV export: {rows - 1:,} rows after the header, {size / 2**20:.1f} MB, "
              f"first byte after {statistics.median(first_bytes) * 1000:.0f} ms; worker memory "
              f"VmRSS {rss_before} -> {rss_after} MB (after each run: {', '.join(map(str, rss_runs))}; peak seen "
              f"while streaming {peak_rss} MB), "
              f"VmHWM {hwm_before} -> {hwm_after} MB")
    return line, detail


def print_lines(lines: list[Line]) -> None:
    width = max(len(line.label) for line in lines) + 2
    print(f"{'endpoint':<{width}}{'target':>14}{'n':>5}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}  result")
    for line in lines:
        figures = "".join(f"{v:>9.1f}" if v is not None else f"{'-':>9}" for v in (line.p50, line.p99, line.mean))
        print(f"{line.label:<{width}}{line.target:>14}{line.n:>5}{figures}  {line.result}")


# -- the run ---------------------------------------------------------------------------------


def run(server: Server, meta: dict[str, Any], learners: tuple[list[str], list[str]], args: argparse.Namespace) -> None:
    api = "/v1/university"
    big, median = meta["big_course_id"], meta["median_course_id"]
    client = httpx.Client(base_url=server.base, headers=server.headers, timeout=120)
    worker = worker_pid(server.pid) if server.pid else None
    lines: list[Line] = []
    details: list[str] = []

    load_before = Path("/proc/loadavg").read_text().split()[0]  # others' work on the machine shows here
    # The export first, so that the worker's peak memory before it is the server's own.
    client.get("/health")
    report = f"{api}/reports/courses/{big}?format=csv&include=progress,scores,time_spent"
    line, detail = export(client, report, args.export_runs, worker)
    lines.append(line)
    if detail:
        details.append(detail)

    for name, course in (("2,000-learner", big), (f"median {meta['median_course_enrollments']}-learner", median)):
        for period in PERIODS:
            lines.append(measure(client, f"GET /analytics/courses/{{{name}}}?period={period}", COURSE_TARGET_MS,
                                 [f"{api}/analytics/courses/{course}?period={period}"], args.requests))
    anyone, active = learners
    lines.append(measure(client, "GET /analytics/users/{random learner}", USER_TARGET_MS,
                         [f"{api}/analytics/users/{user}" for user in anyone], args.requests))
    for period in ("30d", "all"):
        lines.append(measure(client, f"GET /analytics/users/{{learner active this week}}?period={period}",
                             USER_TARGET_MS, [f"{api}/analytics/users/{user}?period={period}" for user in active],
                             args.requests))
    boards = [("global", "scope=global")]
    boards.append(("course 2,000", f"scope=course&course_id={big}"))
    if meta.get("path_id"):
        boards.append(("path", f"scope=path&path_id={meta['path_id']}"))
    for name, scope in boards:
        for metric in METRICS:
            lines.append(measure(client, f"GET /analytics/leaderboard {name} by {metric}", LEADERBOARD_TARGET_MS,
                                 [f"{api}/analytics/leaderboard?{scope}&metric={metric}&limit=10"], args.requests))
    print()
    counts = meta["counts"]
    print(f"tenant: {counts['users']:,} users, {counts['courses']} courses, {counts['enrollments']:,} enrollments, "
          f"{counts['progress_events']:,} progress events, {counts['quiz_attempts']:,} quiz attempts; "
          f"database {meta['database_bytes'] / 2**20:,.0f} MB; generated in {meta['seconds']:.0f} s")
    print(f"sequential requests on one connection, {args.requests} per line (after 2 warm-up requests); "
          f"load average {load_before} before, {Path('/proc/loadavg').read_text().split()[0]} after")
    print_lines(lines)
    for detail in details:
        print(detail)
    if args.wrk:
        throughput(server, big, active[0] if active else anyone[0], args)


def throughput(server: Server, big: str, learner: str, args: argparse.Namespace) -> None:
    """wrk on one line of each endpoint (optional: it loads both cores for a while)."""
    api = server.base + "/v1/university"
    c, s = args.connections, args.wrk_seconds
    health = wrk("GET /health", server.base + "/health", {}, c, s)
    results = [
        wrk("course analytics 30d (2,000)", f"{api}/analytics/courses/{big}?period=30d", server.headers, c, s),
        wrk("user analytics", f"{api}/analytics/users/{learner}", server.headers, c, s),
        wrk("leaderboard global progress", f"{api}/analytics/leaderboard?scope=global", server.headers, c, s),
    ]
    print(f"\nwrk, {c} connections, {s} s each")
    print_table([health, *results], health)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR,
                        help=f"the tenant's data dir (default {DEFAULT_DIR})")
    parser.add_argument("--requests", type=int, default=50, help="sequential requests per line")
    parser.add_argument("--export-runs", type=int, default=3)
    parser.add_argument("--regenerate", action="store_true", help="generate the tenant again even if cached")
    parser.add_argument("--max-age-days", type=float, default=2.0, help="regenerate a tenant older than this")
    parser.add_argument("--wrk", action="store_true", help="also measure throughput with wrk")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    for name, default in asdict(Params()).items():
        parser.add_argument(f"--{name}", type=type(default), default=default, help=f"generator (default {default})")
    args = parser.parse_args()
    params = Params(args.learners, args.courses, args.events, args.years, args.seed)
    meta = tenant(args.data_dir, params, args.max_age_days, args.regenerate)
    learners = sample_learners(args.data_dir, meta, max(args.requests, 1), args.seed)
    key = (args.data_dir / KEY_FILE).read_text().strip()
    with running_server_on(args.data_dir, meta["app_id"], key) as server:
        run(server, meta, learners, args)


if __name__ == "__main__":
    main()
