"""The people screen (being built)."""

from __future__ import annotations

from tui.screens.base import BaseScreen


class PeopleScreen(BaseScreen):
    TITLE_TEXT = "People"

    def show_person(self, user_id: str) -> None:
        """Select this person (the command palette and the dashboard call it)."""
