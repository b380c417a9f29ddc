"""The instructors' app with a big classroom: time to open each screen, time to move to the next
grading item, and the keys it takes to grade.

    python bench/tui.py [--learners 5000] [--courses 100] [--items 1000] [--moves 30]

Builds the classroom through the API on a fresh server (tests/tui_classroom.py: `--learners`
learners, `--courses` courses each with an essay quiz and a written assignment with a
three-criterion rubric, and `--items` / 2 learners who hand in both, so `--items` wait), then drives
the real app headless at 120x40 (Textual's pilot, the same as the tests). A screen counts as open
once its load from the server has filled its widgets (the first time it is opened; the
dashboard's figure includes the app's start); "next item" is the time from `n` until the next
item's fields are filled. Textual draws the frame at its next refresh (within 1/60 s).
Keystrokes are counted while grading a points-only essay and a rubric item with a comment (the
comment's own letters not counted), and the API is asked whether the grades arrived.

Targets: every screen under 300 ms, next item under 100 ms; a points-only item in at most 4 keys
including the save, a 3-criterion rubric item with a comment in at most 6.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# This file's own folder would make `import tui` find this script: the repository root instead.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench")]
from textual.pilot import Pilot  # noqa: E402

from bench.common import running_server  # noqa: E402
from client import Client  # noqa: E402
from tests import tui_classroom  # noqa: E402
from tui.app import SCREENS, InstructorApp  # noqa: E402
from tui.screens.base import BaseScreen  # noqa: E402
from tui.screens.grading import GradingScreen  # noqa: E402
from tui.target import Target  # noqa: E402


async def until(pilot: Pilot[Any], condition: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not get there")
        await pilot.pause(0.002)


async def timed_key(app: InstructorApp, key: str, condition: Any, timeout: float = 60) -> float:
    """Milliseconds from a key reaching the app until `condition` holds. The key is posted as the
    terminal would send it, and the loop only sleeps between looks, so the figure is the app's
    own time, not the test driver's (which waits for the app to be idle after each key)."""
    started = time.perf_counter()
    app.simulate_key(key)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not get there")
        await asyncio.sleep(0.001)
    return (time.perf_counter() - started) * 1000


def bar(app: InstructorApp) -> str:
    return str(app.screen.query_one("#item-bar").render())


async def measure(target: Target, moves: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"screens": {}}
    app = InstructorApp(target)
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, BaseScreen) and app.screen.loaded)
        figures["screens"]["dashboard"] = (time.perf_counter() - started) * 1000  # the app's start included
        for mode, (key, _screen) in SCREENS.items():
            if mode == "dashboard":
                continue
            figures["screens"][mode] = await timed_key(
                app, key, lambda mode=mode: app.current_mode == mode and isinstance(app.screen, BaseScreen)
                and app.screen.loaded)
            await app.workers.wait_for_complete()  # background pages, prefetches: not the next screen's time
            await pilot.pause(0.3)
        # Keystrokes: the first item (an essay worth 10), then the rubric item after it.
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, GradingScreen) and bar(app).startswith("1 of "))
        counted = ["8", "ctrl+s"]
        await pilot.press(*counted)
        await until(pilot, lambda: bar(app).startswith("2 of "))
        figures["keys_points"] = len(counted)
        counted = ["4", "3", "2", "ctrl+s"]
        await pilot.press(*counted[:3])
        await pilot.press(*"Good detail")
        await pilot.press(counted[3])
        await until(pilot, lambda: bar(app).startswith("3 of "))
        figures["keys_rubric"] = len(counted)
        # Next item: press n and wait for the next item's counter (the prefetch had its chance).
        await pilot.press("escape")
        times = []
        for number in range(4, moves + 4):
            await pilot.pause(0.3)  # an instructor reads for a moment before moving on
            times.append(await timed_key(app, "n", lambda n=number: bar(app).startswith(f"{n} of ")))
        figures["next"] = times
        screen = app.screen
        assert isinstance(screen, GradingScreen)
        figures["graded"] = sorted(screen.graded)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--courses", type=int, default=100)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--moves", type=int, default=30)
    args = parser.parse_args()
    submitting = args.items // 2
    with running_server() as server:
        client = Client(server.base, server.app_id, server.key, timeout=120)
        started = time.perf_counter()
        tui_classroom.build(client, learners=submitting, courses=args.courses,
                            extra_learners=max(args.learners - submitting, 0))
        print(f"classroom: {args.learners} learners, {args.courses} courses, {submitting * 2} items waiting "
              f"(built in {time.perf_counter() - started:.0f} s)")
        with tempfile.TemporaryDirectory() as drafts:
            figures = asyncio.run(measure(Target(server.base, server.app_id, server.key, Path(drafts)), args.moves))
        waiting = client.grading_queue(per_page=1)[1]["total"]
    print(f"{'screen':<14}{'open (ms)':>10}   target < 300")
    for mode, ms in figures["screens"].items():
        print(f"{mode:<14}{ms:>10.0f}")
    next_ms = figures["next"]
    print(f"next item over {len(next_ms)} moves: p50 {statistics.median(next_ms):.0f} ms, "
          f"max {max(next_ms):.0f} ms   target < 100")
    print(f"keys to grade: points-only {figures['keys_points']} (target <= 4), "
          f"3-criterion rubric + comment {figures['keys_rubric']} (target <= 6)")
    print(f"graded through the app: {len(figures['graded'])}; the server now lists {waiting} waiting "
          f"(was {submitting * 2})")
    if waiting != submitting * 2 - len(figures["graded"]):
        raise SystemExit("the grades did not all reach the server")


if __name__ == "__main__":
    main()
