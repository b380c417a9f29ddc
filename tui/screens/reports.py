"""The reports screen (being built)."""

from __future__ import annotations

from tui.screens.base import BaseScreen


class ReportsScreen(BaseScreen):
    TITLE_TEXT = "Reports"
