"""Small modals shared by screens: pick one of many (with type-ahead), and ask for a file path."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option


class Picker(ModalScreen[str | None]):
    """Choose one of `choices` ((id, label) pairs); typing narrows the list. Answers the id, or None
    on Escape. An id of "" is a valid answer (e.g. "All courses")."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Back")]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text, self.choices = title, choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label(self.title_text, classes="title")
            yield Input(placeholder="Type to narrow the list, ↓ to choose", id="narrow")
            yield OptionList(*self._options(""), id="choices")

    def _options(self, typed: str) -> list[Option]:
        wanted = typed.casefold().strip()
        return [Option(label, id=choice_id) for choice_id, label in self.choices
                if not wanted or wanted in label.casefold()]

    def on_input_changed(self, event: Input.Changed) -> None:
        choices = self.query_one("#choices", OptionList)
        choices.clear_options()
        choices.add_options(self._options(event.value))
        if choices.option_count:
            choices.highlighted = 0

    def on_input_submitted(self) -> None:
        choices = self.query_one("#choices", OptionList)
        if choices.option_count:
            self.dismiss(choices.get_option_at_index(choices.highlighted or 0).id or "")

    def on_key(self, event: events.Key) -> None:
        if event.key == "down" and self.query_one("#narrow", Input).has_focus:
            event.stop()
            self.query_one("#choices", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id or "")


class SavePath(ModalScreen[Path | None]):
    """Where to save a file: a path (a folder keeps the suggested name); None on Escape or empty."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, suggestion: Path) -> None:
        super().__init__()
        self.title_text, self.suggestion = title, suggestion

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="title")
            yield Input(str(self.suggestion), id="path")
            yield Label("Enter to save · Esc to cancel", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.dismiss(None)
            return
        path = Path(event.value.strip()).expanduser()
        self.dismiss(path / self.suggestion.name if path.is_dir() else path)
