"""Every screen of the instructors' app at 80x24 and 120x40, compared with the SVG screenshots kept
in tests/snapshots/tui/ (open them in a browser to review them).

The data is made the same way each run (tests/tui_classroom.py) on a server of this module's own,
and what changes from run to run (the server's port, dates and times) is masked in both. After a
deliberate change of the screens: `UPDATE_SNAPSHOTS=1 make test` (or this file alone), then look at
the new files before committing them.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests import tui_classroom
from tests.conftest import ROOT, ServerProcess, Tenant, make_tenant, start_server
from tui.app import InstructorApp
from tui.screens.base import BaseScreen
from tui.target import Target

SNAPSHOTS = ROOT / "tests" / "snapshots" / "tui"
SIZES = ((80, 24), (120, 40))
LEARNER_URL = "http://192.168.1.20:8080/"  # what a classroom's join card would say
MASKS = [(re.compile(r"terminal-\d+"), "terminal"), (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
         (re.compile(r"CERT-\d{4}-[A-Z0-9]{6}-"), "CERT-YYYY-SITE00-"), (re.compile(r"\d{4}-\d\d-\d\d"), "YYYY-MM-DD"),
         (re.compile(r"(?<!\d)\d\d:\d\d(?!\d)"), "hh:mm")]


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Tenant]]:
    server = start_server(tmp_path_factory.mktemp("tui-snapshots"), {"UNIVERSITY_LOCAL_RATE_LIMITS": "off"},
                          "--no-mdns")
    tenant = make_tenant(server, env="live", app_id="riverside-school")
    room = tui_classroom.build(tenant.secret, learners=12, courses=2, graded_learners=2, extra_learners=30,
                               stuck=6)
    for user_id in room.learners[:6]:
        tenant.secret.issue_certificate(user_id, room.courses[int(user_id[-1]) % 2]["id"],
                                        force_reason="Finished the course on paper during the power cut")
    yield server, tenant
    server.stop()


def masked(svg: str) -> str:
    for pattern, replacement in MASKS:
        svg = pattern.sub(replacement, svg)
    return svg


async def settled(pilot: Pilot[Any]) -> None:
    """Wait until the screen has loaded and every worker is done; then stop cursors blinking."""
    app = pilot.app
    for _ in range(400):
        screen = app.screen
        if not isinstance(screen, BaseScreen) or screen.loaded:
            break
        await pilot.pause(0.05)
    await app.workers.wait_for_complete()
    await pilot.pause(0.2)
    for widget in app.screen.query(Input).results():
        widget.cursor_blink = False
    for area in app.screen.query(TextArea).results():
        area.cursor_blink = False
    await pilot.pause()


Steps = Callable[[Pilot[Any]], Awaitable[None]]


def keys(*pressed: str) -> Steps:
    async def steps(pilot: Pilot[Any]) -> None:
        for key in pressed:
            await pilot.press(key)
            await settled(pilot)
    return steps


SCREENS: dict[str, Steps] = {
    "dashboard": keys(),
    "grading-essay": keys("g", "escape", "n", "n"),  # the first two learners' essays are graded
    "grading-rubric": keys("g"),
    "grading-queue": keys("g", "escape", "l"),
    "help": keys("question_mark"),
    "courses": keys("c"),
    "people": keys("u"),
    "certificates": keys("t"),
    "reports": keys("r"),
    # A light terminal's theme (the palette's "Change theme"):
    "dashboard-light": keys(),
    "grading-rubric-light": keys("g"),
    "reports-light": keys("r"),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(SCREENS))
def test_screen_matches_its_snapshot(name: str, size: tuple[int, int], classroom: tuple[ServerProcess, Tenant],
                                     tmp_path: Path) -> None:
    server, tenant = classroom
    target = Target(server.base, tenant.app_id, tenant.secret.key, tmp_path / "drafts", LEARNER_URL)

    async def shot() -> str:
        app = InstructorApp(target)
        if name.endswith("-light"):
            app.theme = "textual-light"
        async with app.run_test(size=size) as pilot:
            await settled(pilot)
            await SCREENS[name](pilot)
            return app.export_screenshot(title=f"University Local: {name}")

    svg = masked(asyncio.run(shot()))
    path = SNAPSHOTS / f"{name}-{size[0]}x{size[1]}.svg"
    if os.environ.get("UPDATE_SNAPSHOTS") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8")
        if not os.environ.get("UPDATE_SNAPSHOTS"):
            pytest.fail(f"new snapshot {path.relative_to(ROOT)}: look at it, then commit it")
    elif path.read_text(encoding="utf-8") != svg:
        actual = tmp_path / path.name
        actual.write_text(svg, encoding="utf-8")
        pytest.fail(f"{name} at {size[0]}x{size[1]} differs from {path.relative_to(ROOT)}; this run's screen is "
                    f"{actual} (open both in a browser; UPDATE_SNAPSHOTS=1 takes the new one)")
