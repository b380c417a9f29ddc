"""Every key of the app, read from the bindings themselves so the list cannot drift from them."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from tui.navigation import nav_bindings

if TYPE_CHECKING:
    from tui.app import InstructorApp


def _bindings(holder: type) -> list[Binding]:
    found: list[BindingType] = list(getattr(holder, "BINDINGS", []))
    # The keys that open screens are listed once, under "Everywhere".
    return [b for b in found if isinstance(b, Binding) and not b.action.startswith("app.open(")]


def _key(binding: Binding) -> str:
    return binding.key_display or binding.key.replace("ctrl+", "Ctrl+").replace("question_mark", "?")


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", key_display="Esc")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Label("Keys", classes="title")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="keys")

    def on_mount(self) -> None:
        from tui.app import SCREENS  # the app imports this module

        app = cast("InstructorApp", self.app)
        table = self.query_one(DataTable)
        table.add_columns("Where", "Key", "Does")
        for binding in [*_bindings(type(app)), *(b for b in nav_bindings(show=True) if isinstance(b, Binding))]:
            table.add_row("Everywhere", _key(binding), binding.description)
        table.add_row("Everywhere", "Ctrl+P", "Command palette: courses, people, actions")
        for _mode, (_key_name, screen) in SCREENS.items():
            holders: list[type] = [screen, *getattr(screen, "HELP_ALSO", [])]
            for holder in holders:
                for binding in _bindings(holder):
                    table.add_row(screen.TITLE_TEXT, _key(binding), binding.description or binding.action)
            for key, does in getattr(screen, "HELP_KEYS", []):
                table.add_row(screen.TITLE_TEXT, key, does)
        table.focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
