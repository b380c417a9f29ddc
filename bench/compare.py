"""Two source trees on the same benchmarks, runs interleaved: did a change cost anything?

    git worktree add /tmp/before <commit>
    python bench/compare.py /tmp/before [--rounds 3] [--bench catalogue,progress,quizzes,scorm_commit]

Runs each benchmark script of this directory from each tree in turn (ABBA order over the rounds,
so that both see the same hours of the host) and parses the table it prints. For every line of
the table it prints the mean req/s and the median p99 of each tree and the ratio of the means;
`vs health` is each run's share of the health endpoint measured beside it, which the host's
speed moves less. The servers run with this environment's Python.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ("catalogue", "progress", "quizzes", "scorm_commit")
_ROW = re.compile(r"^(?P<label>\S.*?)\s{2,}(?P<rps>\d+)\s+(?P<p50>[\d.]+)\s+(?P<p99>[\d.]+)\s+(?P<share>[\d.]+)%")


def run(tree: Path, bench: str) -> dict[str, tuple[float, float, float]]:
    """The benchmark's table, run from `tree`: label -> (req/s, p99 ms, share of health %)."""
    out = subprocess.run([sys.executable, str(tree / "bench" / f"{bench}.py")], cwd=tree, check=True,
                         capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        if match := _ROW.match(line):
            rows[match["label"]] = (float(match["rps"]), float(match["p99"]), float(match["share"]))
    if not rows:
        raise RuntimeError(f"{bench} printed no table:\n{out}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", type=Path, help="the source tree to compare with (a git worktree)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each benchmark from each tree")
    parser.add_argument("--bench", default=",".join(DEFAULT), help="comma-separated scripts of bench/")
    args = parser.parse_args()
    trees = {"before": args.other.resolve(), "after": ROOT}
    results: dict[tuple[str, str, str], list[tuple[float, float, float]]] = defaultdict(list)
    for bench in args.bench.split(","):
        for round_ in range(args.rounds):
            for name in trees if round_ % 2 == 0 else reversed(list(trees)):
                for label, figures in run(trees[name], bench).items():
                    results[(bench, label, name)].append(figures)
                    print(f"{bench:<13} {name:<7} {label:<40} {figures[0]:>8.0f} req/s  p99 {figures[1]:>7.1f} ms  "
                          f"{figures[2]:>5.1f}% of health", flush=True)
    print()
    print(f"{'benchmark':<13} {'endpoint':<40} {'before':>8} {'after':>8} {'ratio':>7} {'p99 b/a ms':>13} "
          f"{'share b/a':>12}")
    for (bench, label, name), _ in sorted(results.items()):
        if name != "before":
            continue
        before, after = results[(bench, label, "before")], results[(bench, label, "after")]
        mean_b, mean_a = (statistics.mean(r[0] for r in runs) for runs in (before, after))
        p99_b, p99_a = (statistics.median(r[1] for r in runs) for runs in (before, after))
        share_b, share_a = (statistics.mean(r[2] for r in runs) for runs in (before, after))
        print(f"{bench:<13} {label:<40} {mean_b:>8.0f} {mean_a:>8.0f} {mean_a / mean_b:>6.1%} "
              f"{p99_b:>6.1f}/{p99_a:<6.1f} {share_b:>5.1f}/{share_a:<5.1f}")


if __name__ == "__main__":
    main()
