"""The courses screen, driven by keys against the real server: every action changes what the API
then answers (create, edit, delete, reorder, publish, settings, HTML, SCORM import), and the screen
renders at 80x24."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TextArea, Tree

from tests import scorm_zips
from tests.conftest import until
from tui.app import InstructorApp
from tui.screens.courses import CoursesScreen, Reading


def run(tui_target: Any, scenario: Callable[[InstructorApp, Pilot[None]], Awaitable[None]],
        size: tuple[int, int] = (120, 40)) -> None:
    async def main() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=size) as pilot:
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, CoursesScreen), "the courses screen")
            await scenario(app, pilot)
    asyncio.run(main())


def screen(app: InstructorApp) -> CoursesScreen:
    return next(s for s in app.screen_stack if isinstance(s, CoursesScreen))


async def open_course(app: InstructorApp, pilot: Pilot[None], course_id: str) -> CoursesScreen:
    courses = screen(app)
    courses.show_course(course_id)
    await until(pilot, lambda: courses.structure is not None and courses.structure.course["id"] == course_id,
                "the course's tree")
    return courses


async def select(pilot: Pilot[None], courses: CoursesScreen, resource_id: str) -> None:
    """Put the tree's cursor on this module or lesson, with the focus in the tree."""
    tree: Tree[Any] = courses.query_one("#course-tree", Tree)

    def find() -> Any:
        stack = [tree.root]
        while stack:
            node = stack.pop()
            if node.data is not None and node.data.id == resource_id:
                return node
            stack.extend(node.children)
        return None

    def moved() -> bool:
        node = find()  # found again each time: a reload builds the tree anew
        if node is not None and tree.cursor_node is not node and node.line >= 0:
            tree.move_cursor(node)
        return node is not None and tree.cursor_node is node

    tree.focus()
    await until(pilot, moved, f"the cursor on {resource_id}")
    await pilot.pause()


async def fill(pilot: Pilot[None], app: InstructorApp, field: str, value: str) -> None:
    widget = app.screen.query_one(f"#{field}", Input)
    widget.focus()
    widget.value = value
    await pilot.pause()


def test_create_course_module_and_lesson(tui_target: Any, api: Any) -> None:
    async def scenario(app: InstructorApp, pilot: Pilot[None]) -> None:
        await pilot.press("n")
        await until(pilot, lambda: app.screen.query("#title"))
        await fill(pilot, app, "title", "Soil science")
        await fill(pilot, app, "description", "What grows where")
        await pilot.press("enter")
        course = await until(pilot, lambda: next((c for c in api.list_courses()
                                                  if c["attributes"]["title"] == "Soil science"), None))
        assert course["attributes"]["description"] == "What grows where"
        courses = screen(app)
        await until(pilot, lambda: courses.structure and courses.structure.course["id"] == course["id"])

        await pilot.press("m")
        await until(pilot, lambda: app.screen.query("#unlock_at"))
        await fill(pilot, app, "title", "Week 1")
        await fill(pilot, app, "unlock_at", "2031-02-03 09:30")
        await pilot.press("enter")
        module = await until(pilot, lambda: api.list_modules(course["id"]))
        assert module[0]["attributes"]["title"] == "Week 1"
        assert module[0]["attributes"]["unlock_at"] == "2031-02-03T09:30:00.000Z"  # the drip date

        await select(pilot, courses, module[0]["id"])
        await pilot.press("l")
        await until(pilot, lambda: app.screen.query("#minutes"))
        await fill(pilot, app, "title", "Reading the soil")
        await fill(pilot, app, "minutes", "12")
        await pilot.press("ctrl+s")
        lessons = await until(pilot, lambda: api.list_lessons(module[0]["id"]))
        assert lessons[0]["attributes"]["content_type"] == "text"
        assert lessons[0]["attributes"]["duration_minutes"] == 12
        await select(pilot, courses, lessons[0]["id"])  # and the tree shows it
        label = str(courses.query_one("#course-tree", Tree).cursor_node.label)  # type: ignore[union-attr]
        assert "Reading the soil" in label and "text · 12 min" in label

    run(tui_target, scenario)


def test_a_form_says_which_field_is_wrong(tui_target: Any, api: Any) -> None:
    course = api.course(title="Drip course")

    async def scenario(app: InstructorApp, pilot: Pilot[None]) -> None:
        await open_course(app, pilot, course["id"])
        await pilot.press("m")
        await until(pilot, lambda: app.screen.query("#unlock_at"))
        await fill(pilot, app, "title", "Later")
        await fill(pilot, app, "unlock_at", "next tuesday")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#unlock_at", Input).has_class("-invalid")  # the form stays open
        assert any("Unlocks at" in n.message for n in app._notifications)
        await pilot.press("escape")
        assert api.list_modules(course["id"]) == []

    run(tui_target, scenario)


def test_edit_and_delete(tui_target: Any, api: Any) -> None:
    course = api.course(title="Old title")
    module = api.module(course["id"], title="Old module")
    lesson = api.lesson(module["id"], title="Old lesson")
    other = api.lesson(module["id"], title="Doomed lesson")

    async def scenario(app: InstructorApp, pilot: Pilot[None]) -> None:
        courses = await open_course(app, pilot, course["id"])
        courses.query_one("#course-table", DataTable).focus()  # the course itself
        await pilot.press("e")
        await until(pilot, lambda: app.screen.query("#slug"))
        await fill(pilot, app, "title", "New title")
        await fill(pilot, app, "slug", "new-title")
        await pilot.press("enter")
        await until(pilot, lambda: api.get_course(course["id"])["data"]["attributes"]["slug"] == "new-title")
        assert api.get_course(course["id"])["data"]["attributes"]["title"] == "New title"

        await select(pilot, courses, module["id"])
        await pilot.press("e")
        await until(pilot, lambda: app.screen.query("#unlock_at"))
        await fill(pilot, app, "title", "Renamed module")
        await fill(pilot, app, "unlock_at", "2032-05-06")
        await pilot.press("enter")
        await until(pilot, lambda: api.get_module(module["id"])["attributes"]["unlock_at"] == "2032-05-06T00:00:00.000Z")
        assert api.get_module(module["id"])["attributes"]["title"] == "Renamed module"

        await select(pilot, courses, lesson["id"])
        await pilot.press("e")
        await until(pilot, lambda: app.screen.query("#minutes"))
        await fill(pilot, app, "title", "Renamed lesson")
        await fill(pilot, app, "minutes", "9")
        await pilot.press("enter")
        await until(pilot, lambda: api.get_lesson(lesson["id"])["attributes"]["title"] == "Renamed lesson")
        assert api.get_lesson(lesson["id"])["attributes"]["duration_minutes"] == 9

        await select(pilot, courses, other["id"])
        await pilot.press("delete")
        await until(pilot, lambda: app.screen.query("#yes"))
        await pilot.press("y")
        await until(pilot, lambda: [x["id"] for x in api.list_lessons(module["id"])] == [lesson["id"]])

        await select(pilot, courses, module["id"])
        await pilot.press("x")
        await until(pilot, lambda: app.screen.query("#yes"))
        await pilot.press("n")  # not this time
        await pilot.pause()
        assert api.list_modules(course["id"])
        await pilot.press("x")
        await until(pilot, lambda: app.screen.query("#yes"))
        await pilot.press("y")
        await until(pilot, lambda: api.list_modules(course["id"]) == [])

        courses.query_one("#course-table", DataTable).focus()
        await pilot.press("delete")
        await until(pilot, lambda: app.screen.query("#yes"))
        await pilot.press("y")
        await until(pilot, lambda: all(c["id"] != course["id"] for c in api.list_courses()))
        await until(pilot, lambda: courses.row_ids == [] and courses.structure is None)

    run(tui_target, scenario)


def test_reorder_modules_and_lessons_with_the_keyboard(tui_target: Any, api: Any) -> None:
    course = api.course()
    first, second, third = (api.module(course["id"], title=t) for t in ("One", "Two", "Three"))
    a, b = (api.lesson(first["id"], title=t) for t in ("A", "B"))

    def module_order() -> list[str]:
        return [m["id"] for m in sorted(api.list_modules(course["id"]), key=lambda m: m["attributes"]["position"])]

    def lesson_order() -> list[str]:
        return [x["id"] for x in sorted(api.list_lessons(first["id"]), key=lambda x: x["attributes"]["position"])]

    async def scenario(app: InstructorApp, pilot: Pilot[None]) -> None:
        courses = await open_course(app, pilot, course["id"])
        await select(pilot, courses, first["id"])
        await pilot.press("ctrl+down")
        await until(pilot, lambda: module_order() == [second["id"], first["id"], third["id"]])
        await pilot.press("alt+down")  # the same, where the terminal keeps Ctrl+arrows
        await until(pilot, lambda: module_order() == [second["id"], third["id"], first["id"]])
        tree: Tree[Any] = courses.query_one("#course-tree", Tree)
        await until(pilot, lambda: tree.cursor_node is not None and tree.cursor_node.data is not None
                    and tree.cursor_node.data.id == first["id"])  # the moved module stays selected
        await pilot.press("ctrl+down")  # already last: nothing changes
        await pilot.pause()
        assert module_order() == [second["id"], third["id"], first["id"]]

        await select(pilot, courses, b["id"])
        await pilot.press("ctrl+up")
        await until(pilot, lambda: lesson_order() == [b["id"], a["id"]])

    run(tui_target, scenario)


def test_publish_unpublish_settings_and_filters(tui_target: Any, api: Any) -> None:
    course = api.course(title="Beekeeping")
    api.course(title="Archived thing", status="archived")
    api.course(title="Bread baking")

    async def scenario(app: InstructorApp, pilot: Pilot[None]) -> None:
        courses = await open_course(app, pilot, course["id"])
        await pilot.press("p")
        await until(pilot, lambda: api.get_course(course["id"])["data"]["attributes"]["status"] == "published")
        await until(pilot, lambda: "published" in str(courses.query_one("#course-head", Static).content))
        await pilot.press("p")
        await until(pilot, lambda: api.get_course(course["id"])["data"]["attributes"]["status"] == "draft")

        await pilot.press("s")
        await until(pilot, lambda: app.screen.query("#drip_content"))
        app.screen.query_one("#drip_content").toggle()  # type: ignore[attr-defined]
        await fill(pilot, app, "passing_score", "85")
        await fill(pilot, app, "max_enrollments", "30")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: api.get_course(course["id"])["data"]["attributes"]["settings"]["drip_content"])
        settings = api.get_course(course["id"])["data"]["attributes"]["settings"]
        assert (settings["passing_score"], settings["max_enrollments"]) == (85, 30)

        table = courses.query_one("#course-table", DataTable)
        await until(pilot, lambda: table.row_count == 3)
        await pilot.press("f")  # draft
        assert table.row_count == 2
        await pilot.press("f", "f")  # published, then archived
        assert table.row_count == 1 and courses.row_ids == [c["id"] for c in api.list_courses(status="archived")]
        await pilot.press("f")  # all again
        await pilot.press("slash")
        await pilot.press(*"bread")
        assert table.row_count == 1
        assert str(table.get_row_at(0)[1]) == "Bread baking"

    run(tui_target, scenario)


def test_edit_a_text_lessons_html(tui_target: Any, api: Any) -> None:
    course = api.course()
    module = api.module(course["id"])
    lesson = api.lesson(module["id"], title="Prose")

    async def scenario(app: InstructorApp, pilot: Pilot[None]) -> None:
        courses = await open_course(app, pilot, course["id"])
        await select(pilot, courses, lesson["id"])
        await pilot.press("h")
        editor = await until(pilot, lambda: app.screen.query(TextArea).first() if app.screen.query(TextArea) else None)
        assert editor.text == "<p>Hello</p>"
        editor.load_text("<h2>Soil</h2><p onclick='x()'>Loam <b>holds</b> water</p><script>alert(1)</script>")
        await pilot.press("ctrl+s")

        def saved() -> str | None:
            html = api.get_lesson(lesson["id"])["attributes"]["content"]["html"]
            return html if "Loam" in html else None

        html = await until(pilot, saved)
        assert "<h2>Soil</h2>" in html and "<b>holds</b>" in html
        assert "script" not in html and "onclick" not in html  # the server sanitised it

    run(tui_target, scenario)


def test_import_a_scorm_zip_and_see_its_report(tui_target: Any, api: Any, tmp_path: Path) -> None:
    course = api.course()
    module = api.module(course["id"], title="Packages")
    page = b"<html><head><script src='https://cdn.example.com/lib.js'></script></head><body>Hi</body></html>"
    zip_path = tmp_path / "tiny.zip"
    zip_path.write_bytes(scorm_zips.package({"index.html": page}))

    async def scenario(app: InstructorApp, pilot: Pilot[None]) -> None:
        courses = await open_course(app, pilot, course["id"])
        await select(pilot, courses, module["id"])
        await pilot.press("i")
        await until(pilot, lambda: app.screen.query("#zip-path"))
        await fill(pilot, app, "zip-path", str(tmp_path / "missing.zip"))
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query("#zip-path")  # still asking: no such file
        await fill(pilot, app, "zip-path", str(zip_path))
        await fill(pilot, app, "zip-title", "Tiny package")
        await pilot.press("enter")
        report = await until(pilot, lambda: app.screen if isinstance(app.screen, Reading) else None, "the report")
        text = str(report.query_one("#reading", Static).content)
        assert "Not offline-ready" in text and "https://cdn.example.com/lib.js" in text
        packages = api.list_scorm_packages(course_id=course["id"])
        assert len(packages) == 1 and packages[0]["attributes"]["report"]["self_contained"] is False
        lessons = api.list_lessons(module["id"])
        assert [(x["attributes"]["title"], x["attributes"]["content_type"]) for x in lessons] == \
            [("Tiny package", "scorm")]
        await pilot.press("escape")
        await select(pilot, courses, lessons[0]["id"])  # the new lesson is in the tree
        assert "needs the internet" in str(courses.query_one("#node-detail", Static).content)

    run(tui_target, scenario)


def test_a_lessons_quizzes_and_assignments(tui_target: Any, api: Any) -> None:
    course = api.course()
    module = api.module(course["id"])
    lesson = api.lesson(module["id"], title="Checked")
    api.create_quiz("Soil quiz", [
        {"type": "multiple_choice", "question": "Which holds most water?", "points": 2,
         "options": [{"text": "Sand"}, {"text": "Clay", "correct": True}]},
        {"type": "essay", "question": "Describe your garden.", "points": 5},
    ], lesson_id=lesson["id"])
    api.create_assignment("Soil report", lesson["id"], rubric=[
        {"criteria": "Method", "max_points": 6, "description": "How you sampled"},
        {"criteria": "Writing", "max_points": 4}])

    async def scenario(app: InstructorApp, pilot: Pilot[None]) -> None:
        courses = await open_course(app, pilot, course["id"])
        await select(pilot, courses, lesson["id"])
        detail = courses.query_one("#node-detail", Static)
        await until(pilot, lambda: "a: view" in str(detail.content), "the summary")
        await pilot.press("a")
        reading = await until(pilot, lambda: app.screen if isinstance(app.screen, Reading) else None)
        text = str(reading.query_one("#reading", Static).content)
        for part in ("Quiz: Soil quiz", "[multiple_choice] Which holds most water?", "(2 pt)", "✓ Clay",
                     "[essay] Describe your garden.", "(5 pt)", "Assignment: Soil report", "Method", "6 pt",
                     "How you sampled", "Writing", "4 pt"):
            assert part in text, part

    run(tui_target, scenario)


def test_renders_at_80x24(tui_target: Any, api: Any) -> None:
    course = api.course(title="A course with a rather long title that will not fit")
    module = api.module(course["id"], title="Module", unlock_at="2031-01-01T00:00:00Z")
    api.lesson(module["id"], title="Lesson")

    async def scenario(app: InstructorApp, pilot: Pilot[None]) -> None:
        await pilot.press("d")
        await app.open_course(course["id"])  # as the command palette does, from another screen
        courses = screen(app)
        await until(pilot, lambda: courses.structure is not None and courses.structure.course["id"] == course["id"])
        await select(pilot, courses, module["id"])
        assert courses.query_one("#course-tree", Tree).region.height >= 5
        assert courses.query_one("#course-table", DataTable).region.width >= 20
        for key in ("e", "escape", "s", "escape", "i", "escape", "question_mark", "escape"):  # forms, picker, help
            await pilot.press(key)
            await pilot.pause()
        assert isinstance(app.screen, CoursesScreen)

    run(tui_target, scenario, size=(80, 24))


def test_the_clients_scorm_upload_tells_its_progress(api: Any, tmp_path: Path) -> None:
    """client.upload_scorm(progress=...): what the screen's progress bar follows, from a path or bytes."""
    course = api.course()
    module = api.module(course["id"])
    big = scorm_zips.package({"media/noise.bin": os.urandom(600_000)})  # incompressible: several reads
    zip_path = tmp_path / "big.zip"
    zip_path.write_bytes(big)
    seen: list[tuple[int, int]] = []
    package = api.upload_scorm(zip_path, course_id=course["id"], module_id=module["id"],
                               progress=lambda sent, total: seen.append((sent, total)))
    assert len(seen) > 2 and {total for _, total in seen} == {len(big)}
    assert [sent for sent, _ in seen] == sorted(sent for sent, _ in seen) and seen[-1][0] == len(big)
    again = api.upload_scorm(big, lesson_id=package["attributes"]["lesson_id"], filename="big.zip",
                             progress=lambda sent, total: seen.append((sent, total)))
    assert again["attributes"]["package_version"] == 2
    fetched = api.get_scorm_package(package["id"])["attributes"]
    assert fetched["report"] == package["attributes"]["report"] and fetched["current"] is False
