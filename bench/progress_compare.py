"""Progress writes at 200 connections: another source tree against this one, runs interleaved.

    git worktree add /tmp/before <commit>
    python bench/progress_compare.py /tmp/before [--rounds 6] [--seconds 8]

On a shared VM the host's speed moves by half from one hour to the next, so two runs taken at
different times say little about two versions of the code. This seeds one server from each
tree, as bench/progress.py does, and alternates 200-connection runs between them (ABBA order),
so that both see the same moments of the host. The servers run with this environment's Python.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, WrkResult, running_server, steal_text, wrk  # noqa: E402
from progress import fold_backlog, progress_script, seed  # noqa: E402

CONNECTIONS = 200
TARGET_P99_MS = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", type=Path, help="the source tree to compare with (a git worktree)")
    parser.add_argument("--rounds", type=int, default=6, help="runs of each tree")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--lessons", type=int, default=20)
    args = parser.parse_args()
    trees = {"other": args.other.resolve(), "this": ROOT}
    results: dict[str, list[WrkResult]] = {name: [] for name in trees}
    with ExitStack() as stack:
        targets = {}
        for name, root in trees.items():
            server = stack.enter_context(running_server(root=root))
            course_id, lessons = seed(server, args.learners, args.lessons)
            script = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "progress.lua"
            script.write_text(progress_script(lessons, args.learners))
            url = server.base + "/v1/university/lessons"
            wrk("warm-up", url, server.headers, 50, 2, script)
            targets[name] = (server, course_id, url, script)
        for round_ in range(args.rounds):
            for name in trees if round_ % 2 == 0 else reversed(trees):
                server, course_id, url, script = targets[name]
                fold_backlog(server, course_id)
                result = wrk(name, url, server.headers, CONNECTIONS, args.seconds, script)
                results[name].append(result)
                print(f"{name:<6} {result.requests_per_sec:>7.0f} req/s  p50 {result.p50_ms:>6.1f} ms  "
                      f"p99 {result.p99_ms:>6.1f} ms  host steal {steal_text(result)}", flush=True)
    print()
    for name, runs in results.items():
        under = sum(1 for r in runs if r.p99_ms < TARGET_P99_MS)
        print(f"{name:<6} {trees[name]}: mean {statistics.mean(r.requests_per_sec for r in runs):.0f} req/s, "
              f"median p99 {statistics.median(r.p99_ms for r in runs):.1f} ms, "
              f"p99 under {TARGET_P99_MS} ms in {under} of {len(runs)}")


if __name__ == "__main__":
    main()
