"""The reports screen against a real server: `r` draws the course's enrollments and completions per
day (sparklines), quiz scores and ratings (bars) and its leaderboard from what the API answers; `l`
and Enter on the leaderboard show a learner's report; `e` saves the same bytes as the API's CSV."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, ProgressBar, Sparkline, Static

from tests.conftest import Api, until
from tui.app import InstructorApp
from tui.screens.reports import LearnerReport, ReportsScreen, bars, score_spread
from tui.target import Target
from tui.widgets.pickers import Picker, SavePath

TEXT = {"html": "<p>Read this.</p>", "estimated_reading_minutes": 5}
QUESTIONS = [{"type": "true_false", "question": f"Statement {n}?", "correct_answer": True, "points": 1}
             for n in range(4)]



@dataclass
class Room:
    course_id: str
    learners: dict[str, str]  # id -> name


def room(api: Api) -> Room:
    """Three learners enrolled today; Ada and Bob complete the course, score 100% and 50% on its quiz
    and rate it 5 and 4; Cy only enrolls."""
    api.create_course("Another course", status="published")  # so that choosing the course (f) is tested too
    course = api.create_course("Welding basics", status="published", settings={"certificate_enabled": False})
    module = api.create_module(course["id"], "Week 1")
    lessons = [api.create_lesson(module["id"], title, "text", TEXT)["id"] for title in ("Safety", "Joints")]
    quiz = api.create_quiz("Check", QUESTIONS, course_id=course["id"], passing_score=40)
    learners = {"ada": "Ada Lovelace", "bob": "Bob Marley", "cy": "Cy Twombly"}
    for uid, name in learners.items():
        api.create_user(name, id=uid, role="learner")
        api.enroll(uid, course["id"])
    for uid, right in (("ada", 4), ("bob", 2)):
        for lesson in lessons:
            api.complete_lesson(lesson, uid, time_spent_seconds=600)
        answers = [{"question_index": n, "answer": n < right} for n in range(4)]
        response = api.post(f"/quizzes/{quiz['id']}/attempts", {"user_id": uid, "answers": answers})
        assert response.status_code == 201, response.text
    for uid, stars in (("ada", 5), ("bob", 4)):
        response = api.post(f"/courses/{course['id']}/ratings",
                            {"data": {"type": "course_rating", "attributes": {"user_id": uid, "rating": stars}}})
        assert response.status_code == 201, response.text
    return Room(course["id"], learners)


async def open_course(pilot: Pilot[Any], app: InstructorApp, course_id: str) -> ReportsScreen:
    """`r`, then `f` and the course picked by typing its name."""
    await pilot.press("r")
    page: ReportsScreen = await until(pilot, lambda: isinstance(app.screen, ReportsScreen) and app.screen)
    await until(pilot, lambda: page.analytics is not None and page.board is not None)
    if page.course_id != course_id:
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, Picker))
        await pilot.press(*"weld", "enter")
        await until(pilot, lambda: page.analytics is not None and page.analytics["course_id"] == course_id
                    and page.board is not None and page.board["course_id"] == course_id)
    await pilot.pause()
    return page


def board_cells(page: ReportsScreen) -> list[list[str]]:
    table = page.query_one("#leaderboard", DataTable)
    return [[str(c) for c in table.get_row_at(n)] for n in range(table.row_count)]


def test_charts_and_leaderboard_show_the_apis_figures(tui_target: Target, api: Api) -> None:
    r = room(api)
    analytics = api.course_analytics(r.course_id, period="30d")
    assert sum(d["enrollments"] for d in analytics["timeline"]) == 3
    assert sum(d["completions"] for d in analytics["timeline"]) == 2

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            page = await open_course(pilot, app, r.course_id)
            enrollments = page.query_one("#enrollments-line", Sparkline).data
            completions = page.query_one("#completions-line", Sparkline).data
            assert list(enrollments or []) == [d["enrollments"] for d in analytics["timeline"]]
            assert list(completions or []) == [d["completions"] for d in analytics["timeline"]]
            assert str(page.query_one("#enrollments-label", Label).render()).startswith(
                f"Enrollments per day: 3 in {len(analytics['timeline'])} days")
            figures = str(page.query_one("#course-figures", Static).render())
            assert "Enrollments 3" in figures and "Completions 2" in figures

            scores = api.leaderboard(scope="course", course_id=r.course_id, metric="score", limit=100)
            assert sorted(e["value"] for e in scores["entries"]) == [50, 100]
            score_bars = str(page.query_one("#score-bars", Static).render())
            assert score_bars == str(bars(score_spread([50.0, 100.0])))
            assert score_bars.splitlines()[1].endswith(" 1") and score_bars.splitlines()[-1].endswith(" 1")
            rating_bars = str(page.query_one("#rating-bars", Static).render()).splitlines()
            assert rating_bars[0].startswith("     5★ █") and rating_bars[0].endswith(" 1")
            assert rating_bars[1].startswith("     4★ █") and rating_bars[2].endswith("· 0")

            board = api.leaderboard(scope="course", course_id=r.course_id, metric="progress", limit=50)
            assert board_cells(page) == [[str(e["rank"]), e["display_name"], f"{e['value']:g}"]
                                         for e in board["entries"]]
            assert {row[1] for row in board_cells(page)} >= {"Ada Lovelace", "Bob Marley"}

            await pilot.press("m")  # ranking by score, as the API ranks it
            await until(pilot, lambda: page.board is not None and page.board["metric"] == "score")
            assert board_cells(page) == [["1", "Ada Lovelace", "100"], ["2", "Bob Marley", "50"]]
            await pilot.press("p")  # the next period: 90 days
            await until(pilot, lambda: page.analytics is not None and page.analytics["period"] == "90d")
            assert len(page.query_one("#enrollments-line", Sparkline).data or []) == 90

    asyncio.run(scenario())


def test_a_learners_report_from_the_picker_and_the_leaderboard(tui_target: Target, api: Api) -> None:
    r = room(api)
    ada = api.user_analytics("ada")

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            page = await open_course(pilot, app, r.course_id)
            await pilot.press("l")
            await until(pilot, lambda: isinstance(app.screen, Picker))
            await pilot.press(*"bob", "enter")
            report: LearnerReport = await until(pilot, lambda: isinstance(app.screen, LearnerReport) and app.screen)
            assert report.report == api.user_analytics("bob")
            text = str(report.query_one("#learner-figures", Static).render())
            assert "Courses 1 enrolled, 1 completed" in text and "Average quiz score 50%" in text
            await pilot.press("escape")

            table = page.query_one("#leaderboard", DataTable)
            table.focus()
            row = next(n for n, cells in enumerate(board_cells(page)) if cells[1] == "Ada Lovelace")
            table.move_cursor(row=row)
            await pilot.press("enter")
            report = await until(pilot, lambda: isinstance(app.screen, LearnerReport) and app.screen)
            assert report.report["summary"] == ada["summary"]
            assert "Ada Lovelace (ada)" in str(report.query_one(".title", Label).render())
            assert "Average quiz score 100%" in str(report.query_one("#learner-figures", Static).render())

    asyncio.run(scenario())


def test_export_writes_the_apis_csv(tui_target: Target, api: Api, tmp_path: Path) -> None:
    r = room(api)
    target = tmp_path / "reports" / "welding.csv"

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            page = await open_course(pilot, app, r.course_id)
            await pilot.press("e")
            form: SavePath = await until(pilot, lambda: isinstance(app.screen, SavePath) and app.screen)
            assert form.query_one("#path", Input).value.endswith("report-welding-basics.csv")
            form.query_one("#path", Input).value = str(target)
            await pilot.press("enter")
            await until(pilot, lambda: page.last_export == target)
            line = str(page.query_one("#export-line", Label).render())
            assert line.startswith("Saved") and str(target) in line
            progress = page.query_one("#export-progress", ProgressBar)
            assert progress.total and progress.progress == progress.total

    asyncio.run(scenario())
    expected = api.course_report(r.course_id)
    assert target.read_bytes() == expected
    assert b"Ada Lovelace" in expected and b"Cy Twombly" in expected
    assert [p.name for p in target.parent.iterdir()] == ["welding.csv"]  # no partial file left


def test_renders_at_80x24(tui_target: Target, api: Api) -> None:
    r = room(api)

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(80, 24)) as pilot:
            page = await open_course(pilot, app, r.course_id)
            assert page.query_one("#enrollments-line", Sparkline).size.width > 20
            assert page.query_one("#leaderboard", DataTable).size.height >= 3
            await pilot.press("l")
            await until(pilot, lambda: isinstance(app.screen, Picker))
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, LearnerReport))
            await pilot.press("escape")

    asyncio.run(scenario())
