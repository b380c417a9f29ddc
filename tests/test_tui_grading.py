"""The instructors' app grades from the keyboard against a real server: `g` opens the queue at its
first item, digits score it, `ctrl+s` saves and moves on, drafts survive everything, and a server
that goes away is shown, never raised."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests import tui_classroom
from tests.conftest import CLI, ROOT, Api, ServerProcess, free_port, make_tenant, until
from tui.app import InstructorApp
from tui.screens.grading import GradingScreen, QueueList
from tui.screens.help import HelpScreen
from tui.target import Target
from tui.widgets.score import ScoreInput


def bar(app: InstructorApp) -> str:
    return str(app.screen.query_one("#item-bar").render())


def grading(app: InstructorApp) -> GradingScreen:
    assert isinstance(app.screen, GradingScreen)
    return app.screen


def test_g_opens_the_first_item_and_the_keyboard_grades_the_queue(tui_target: Target, api: Api) -> None:
    room = tui_classroom.build(api, learners=2)
    keys: list[str] = []

    async def press(pilot: Pilot[Any], *typed: str) -> None:
        keys.extend(typed)
        await pilot.press(*typed)

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            footer = {key for key, b in app.active_bindings.items() if b.binding.show}
            assert {"g", "q", "question_mark"} <= footer
            await pilot.press("g")
            await until(pilot, lambda: isinstance(app.screen, GradingScreen) and "1 of 4" in bar(app))
            screen = grading(app)
            # The oldest first: the first learner's essay, whose answer and question are on the screen.
            assert "Amina Yusuf" in bar(app) and screen.item is not None and screen.item.kind == "essay"
            assert "plants use light" in str(screen.query_one("#answer").render())
            assert isinstance(app.focused, ScoreInput)  # typed digits go into the score field
            assert "ctrl+s" in {key for key, b in app.active_bindings.items() if b.binding.show}

            # A points-only essay: one digit and the save.
            keys.clear()
            await press(pilot, "8", "ctrl+s")
            await until(pilot, lambda: "2 of 4" in bar(app))
            assert len(keys) <= 4
            essay = api.get_attempt(room.attempts[0])["attributes"]
            assert essay["status"] == "graded" and essay["results"][1]["points_earned"] == 8

            # The written assignment with a three-criterion rubric and a comment.
            item = grading(app).item
            assert item is not None and item.kind == "submission" and len(item.criteria) == 3
            assert isinstance(app.focused, ScoreInput) and app.focused.criterion == "Content"
            keys.clear()
            await press(pilot, "4", "3", "2")  # each a whole score: the focus moves on by itself
            assert isinstance(app.focused, TextArea)
            await pilot.press(*"Well observed")  # the comment's own letters are not counted
            await press(pilot, "ctrl+s")
            await until(pilot, lambda: "3 of 4" in bar(app))
            assert len(keys) <= 6
            graded = api.get_submission(room.submissions[0])["attributes"]
            assert [s["points"] for s in graded["scores"]] == [4, 3, 2]
            assert graded["total_score"] == 9 and graded["feedback"] == "Well observed"

            # n / p move without saving; the graded items are marked in the bar.
            await pilot.press("p")
            await until(pilot, lambda: "2 of 4" in bar(app) and "saved" in bar(app))
            await pilot.press("n")
            await until(pilot, lambda: "3 of 4" in bar(app))
            # The queue list shows every item, graded ones ticked.
            await pilot.press("escape", "l")
            await until(pilot, lambda: isinstance(app.screen, QueueList))
            await pilot.press("escape")
        # What the server now says waits: the other learner's two items.
        waiting, meta = api.grading_queue()
        assert meta["total"] == 2 and {w["attributes"]["user_id"] for w in waiting} == {room.learners[1]}

    asyncio.run(scenario())


def test_a_draft_outlives_moving_on_and_a_restart(tui_target: Target, api: Api) -> None:
    tui_classroom.build(api, learners=1)

    async def type_a_draft() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("g")
            await until(pilot, lambda: isinstance(app.screen, GradingScreen) and "1 of 2" in bar(app))
            await pilot.press("7", *"Good start, say more")
            assert "unsaved draft" in bar(app)
            await pilot.press("escape", "n")
            await until(pilot, lambda: "2 of 2" in bar(app))
            await pilot.press("p")
            await until(pilot, lambda: "1 of 2" in bar(app))
            screen = grading(app)
            assert screen.query_one(ScoreInput).value == "7"
            assert screen.query_one("#feedback", TextArea).text == "Good start, say more"
            assert "unsaved draft" in bar(app)
            # Quitting with a draft asks first (and the draft stays on disk whatever the answer).
            await pilot.press("escape", "q")
            await until(pilot, lambda: type(app.screen).__name__ == "Confirm")
            await pilot.press("y")

    async def come_back() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("g")
            await until(pilot, lambda: isinstance(app.screen, GradingScreen) and "1 of 2" in bar(app))
            assert "unsaved draft" in bar(app)
            assert grading(app).query_one("#feedback", TextArea).text == "Good start, say more"
            await pilot.press("ctrl+s")
            await until(pilot, lambda: "2 of 2" in bar(app))
        assert app.drafts.item_ids() == []

    asyncio.run(type_a_draft())
    assert len(InstructorApp(tui_target).drafts.item_ids()) == 1
    asyncio.run(come_back())
    attempt = api.list_attempts(api.list_quizzes()[0]["id"])[0]["attributes"]
    assert attempt["results"][1]["points_earned"] == 7 and attempt["results"][1]["feedback"] == "Good start, say more"


def test_a_score_out_of_range_is_refused_in_the_app(tui_target: Target, api: Api) -> None:
    tui_classroom.build(api, learners=1)

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("g")
            await until(pilot, lambda: isinstance(app.screen, GradingScreen) and "1 of 2" in bar(app))
            await pilot.press("1", "1", "ctrl+s")  # 11 of 10
            await until(pilot, lambda: any("Between 0 and 10" in n.message for n in app._notifications))
            assert "1 of 2" in bar(app) and isinstance(app.focused, ScoreInput)

    asyncio.run(scenario())
    assert api.grading_queue()[1]["total"] == 2


def _serve(data_dir: Path, port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen([*CLI, "--data-dir", str(data_dir), "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--no-mdns"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "UNIVERSITY_LOCAL_RATE_LIMITS": "off"}, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def test_a_server_that_goes_away_is_shown_and_the_grade_waits_for_it(tmp_path: Path) -> None:
    port = free_port()
    proc = _serve(tmp_path, port)
    srv = ServerProcess(f"http://127.0.0.1:{port}", tmp_path, proc, tmp_path / "unused.log")
    tenant = make_tenant(srv)
    tui_classroom.build(tenant.secret, learners=1)
    target = Target(srv.base, tenant.app_id, tenant.secret.key, tmp_path / "drafts")

    async def scenario() -> None:
        nonlocal proc
        app = InstructorApp(target, health_every=0.2, timeout=3)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("g")
            await until(pilot, lambda: isinstance(app.screen, GradingScreen) and "1 of 2" in bar(app))
            proc.terminate()
            proc.wait(timeout=30)
            await pilot.press("9", *"Clear and complete", "ctrl+s")
            await until(pilot, lambda: not app.connected)
            assert "Disconnected" in str(app.screen.query_one("#connection").render())
            assert "unsaved draft" in bar(app) and "1 of 2" in bar(app)
            # The server comes back: the line says so by itself, and the same keys save the grade.
            proc = _serve(tmp_path, port)
            await until(pilot, lambda: app.connected, timeout=30)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: "2 of 2" in bar(app))
            assert app.drafts.item_ids() == []

    try:
        asyncio.run(scenario())
        attempt = tenant.secret.list_attempts(tenant.secret.list_quizzes()[0]["id"])[0]["attributes"]
        assert attempt["results"][1]["points_earned"] == 9
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_help_lists_every_key_and_the_course_filter_narrows_the_queue(tui_target: Target, api: Api) -> None:
    tui_classroom.build(api, learners=2, courses=2)

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            table = app.screen.query_one("#keys")
            rows = [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]  # type: ignore[attr-defined]
            for key, does in (("g", "Grading"), ("q", "Quit"), ("?", "Help"), ("Ctrl+s", "Save & next"),
                              ("n", "Next"), ("p", "Previous")):
                assert any(row[1] == key and row[2] == does for row in rows), (key, rows)
            await pilot.press("escape", "g")
            await until(pilot, lambda: isinstance(app.screen, GradingScreen) and "1 of 4" in bar(app))
            await pilot.press("f")
            await until(pilot, lambda: type(app.screen).__name__ == "Picker")
            await pilot.press(*"Course 2", "enter")  # typing narrows the list to the one course
            await until(pilot, lambda: isinstance(app.screen, GradingScreen) and "1 of 2" in bar(app))
            assert len({row["attributes"]["course_id"] for row in grading(app).rows}) == 1

    asyncio.run(scenario())


def test_the_dashboard_shows_today_and_what_waits(tui_target: Target, api: Api) -> None:
    room = tui_classroom.build(api, learners=3, graded_learners=1)
    api.complete_lesson(api.list_lessons(api.list_modules(room.courses[0]["id"])[0]["id"])[0]["id"], room.learners[0])

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.screen.loaded)  # type: ignore[attr-defined]
            figures = str(app.screen.query_one("#figures").render())
            assert tui_target.app_id in figures and "test" in figures
            assert re.search(r"Waiting for grading\s+5", figures), figures  # 3 submissions + 2 essays
            assert re.search(r"Learners active today\s+3", figures), figures
            assert re.search(r"Lessons completed today\s+[1-9]", figures), figures
            assert app.screen.query_one("#qr").payload == tui_target.join_url  # type: ignore[attr-defined]
            await pilot.press("g")
            await until(pilot, lambda: isinstance(app.screen, GradingScreen) and "1 of 5" in bar(app))

    asyncio.run(scenario())


def test_a_submitted_file_is_shown_when_text_and_saved_or_opened_otherwise(
        tui_target: Target, api: Api, tmp_path: Path, monkeypatch: Any) -> None:
    from tui.screens import grading as grading_screen

    course = api.create_course("Files", status="published")
    lesson = api.create_lesson(api.create_module(course["id"], "Week 1")["id"], "Hand in", "assignment", {})
    task = api.create_assignment("Lab report", lesson["id"], max_score=10, allowed_file_types=[".txt", ".pdf"])
    for user_id, name in (("ana", "notes.txt"), ("ben", "report.pdf")):
        api.enroll(user_id, course["id"])
        content = b"Day 1: 3 cm" if name.endswith(".txt") else b"%PDF-1.4 ben's report"
        api.submit_assignment(task["id"], user_id, content, filename=name)
    opened: list[Path] = []
    monkeypatch.setattr(grading_screen, "viewer", lambda: "/usr/bin/true")
    monkeypatch.setattr(grading_screen, "launch", lambda command, path: opened.append(path))
    saved = tmp_path / "saved" / "ben.pdf"

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("g")
            await until(pilot, lambda: isinstance(app.screen, GradingScreen) and "1 of 2" in bar(app))
            assert "Day 1: 3 cm" in str(grading(app).query_one("#answer").render())  # a text file is shown
            await pilot.press("n")
            await until(pilot, lambda: "2 of 2" in bar(app))
            assert "report.pdf" in str(grading(app).query_one("#answer").render())
            await pilot.press("o")
            await until(pilot, lambda: opened)
            await pilot.press("w")
            await until(pilot, lambda: type(app.screen).__name__ == "SavePath")
            field = app.screen.query_one(Input)
            field.value = str(saved)
            await pilot.press("enter")
            await until(pilot, lambda: saved.exists())

    asyncio.run(scenario())
    assert opened[0].read_bytes() == saved.read_bytes() == b"%PDF-1.4 ben's report"
