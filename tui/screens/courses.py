"""The courses screen (being built)."""

from __future__ import annotations

from tui.screens.base import BaseScreen


class CoursesScreen(BaseScreen):
    TITLE_TEXT = "Courses"

    def show_course(self, course_id: str) -> None:
        """Open this course's tree (the command palette and other screens call it)."""
