"""What a position update costs the writer process, by batch size and flush mode, without HTTP.

    python bench/writer_cost.py [--updates 3000] [--rounds 3] [--batches 1,3,8]

Seeds the progress benchmark's course (500 learners x 20 lessons) through the API, then applies
position updates to a copy of its database with the writer process's own code
(`writer_process.apply_updates` and the statement `progress.service` sends it), in one thread,
a batch per transaction. For each `synchronous` mode it prints the CPU per update (user and
system time of this process, median of `--rounds`) and the wall time per commit.

The server runs `synchronous=FULL`: the other modes show what the flush costs, not options. On
a load of progress writes the batches are as large as the updates in flight when the writer
comes round, about 3 on bench/progress.py at 200 connections (bench/README.md).
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import running_server  # noqa: E402
from progress import seed  # noqa: E402

from university_local.core.clock import now_iso  # noqa: E402
from university_local.core.connection import connect  # noqa: E402
from university_local.core.writer_process import Update, apply_updates  # noqa: E402
from university_local.progress.service import _POSITION_UPDATE  # noqa: E402

LEARNERS, LESSONS = 500, 20
MODES = ("FULL", "NORMAL", "OFF")


def seeded_database(target: Path) -> tuple[str, list[str]]:
    """The benchmark's course in a database file at `target`; its app id and lesson ids."""
    with running_server() as server:
        _, lessons = seed(server, LEARNERS, LESSONS)
        with closing(sqlite3.connect(server.data_dir / "university.sqlite3")) as live, \
                closing(sqlite3.connect(target)) as copy:
            live.backup(copy)  # a consistent copy of the running server's database, WAL included
        return server.app_id, lessons


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(database: Path, app_id: str, lessons: list[str], mode: str, batch: int, updates: int,
            rounds: int) -> tuple[float, float]:
    """Median CPU us per update and wall us per commit, applying `updates` in batches of `batch`."""
    conn = connect(database)
    conn.execute(f"PRAGMA synchronous={mode}")
    sequence = 0

    def update() -> Update:
        nonlocal sequence
        sequence += 1
        user, lesson = f"bench-{random.randint(1, LEARNERS)}", random.choice(lessons)
        params = {"app": app_id, "env": "test", "user": user, "lesson": lesson, "now": now_iso(),
                  "position": sequence % 1000, "time": sequence, "complete": False, "published_only": False}
        return Update(_POSITION_UPDATE, params, (app_id, "test", user, lesson))

    cpu, wall = [], []
    commits = updates // batch
    for _ in range(rounds):
        started_cpu, started = cpu_seconds(), time.perf_counter()
        for _ in range(commits):
            group = [update() for _ in range(batch)]
            apply_updates(conn, group)
            if any(u.error is not None or u.outcome is None for u in group):
                raise SystemExit(f"an update did not apply: {[u.error for u in group]}")
        cpu.append((cpu_seconds() - started_cpu) / (commits * batch) * 1e6)
        wall.append((time.perf_counter() - started) / commits * 1e6)
    conn.close()
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=3000, help="updates per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", default="1,3,8", help="batch sizes, comma-separated")
    args = parser.parse_args()
    batches = [int(size) for size in args.batches.split(",")]
    with tempfile.TemporaryDirectory(prefix="ul-bench-") as tmp:
        seeded = Path(tmp) / "seeded.sqlite3"
        app_id, lessons = seeded_database(seeded)
        print(f"{LEARNERS} learners x {LESSONS} lessons; {args.updates} updates a round, median of {args.rounds}")
        print(f"{'synchronous':<12}{'batch':>6}{'CPU us/update':>15}{'wall us/commit':>16}")
        for mode in MODES:
            for batch in batches:
                database = Path(tmp) / f"{mode}-{batch}.sqlite3"
                shutil.copy(seeded, database)
                cpu, wall = measure(database, app_id, lessons, mode, batch, args.updates, args.rounds)
                print(f"{mode:<12}{batch:>6}{cpu:>15.1f}{wall:>16.1f}", flush=True)


if __name__ == "__main__":
    main()
