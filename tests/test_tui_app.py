"""The instructors' app as a whole: the command palette finds courses, people and actions."""

from __future__ import annotations

import asyncio

from tests import tui_classroom
from tests.conftest import Api, until
from tui.app import InstructorApp
from tui.screens.courses import CoursesScreen
from tui.target import Target


def test_the_command_palette_opens_courses_people_and_actions(tui_target: Target, api: Api) -> None:
    room = tui_classroom.build(api, learners=2, courses=2, extra_learners=3)

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.screen.loaded)  # type: ignore[attr-defined]
            # A course by name: the courses screen opens on its tree.
            await pilot.press("ctrl+p")
            await pilot.press(*"Course 2")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, CoursesScreen)
                        and app.screen.course_id == room.courses[1]["id"])
            # A learner by name, searched on the server: the people screen opens their details.
            await pilot.press("ctrl+p")
            await pilot.press(*"Daniela")
            await pilot.pause(1)  # the palette asks the server as it is typed into
            await pilot.press("enter")
            await until(pilot, lambda: app.current_mode == "people" and type(app.screen).__name__ == "PersonDetail")
            assert "Daniela Ortiz" in str([w.render() for w in app.screen.query("Static, Label").results()])
            await pilot.press("escape")
            # An action of a screen: the grading queue's course filter.
            await pilot.press("ctrl+p")
            await pilot.press(*"Grade: choose a course")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await until(pilot, lambda: app.current_mode == "grading" and type(app.screen).__name__ == "Picker")

    asyncio.run(scenario())
