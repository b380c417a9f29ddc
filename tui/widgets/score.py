"""The score fields of the grading screen: digits go in, every other key goes on to the screen."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class ScoreInput(Input):
    """Points for an item or for one rubric criterion.

    Only a number fits. A letter typed here is not swallowed: it runs the screen's or the app's
    binding of that key, so `n`, `p`, `l` or `q` work from the field an item opens in. `typed`
    tells the screen that the last change came from the keyboard (then it moves on once no further
    digit could fit under the maximum).
    """

    DEFAULT_CSS = "ScoreInput { width: 9; }"

    def __init__(self, max_points: float, *, value: str = "", criterion: str | None = None,
                 id: str | None = None) -> None:
        super().__init__(value=value, restrict=r"\d{0,6}(\.\d{0,2})?", compact=True, id=id,
                         placeholder="points", tooltip=f"0 to {max_points:g}")
        self.max_points, self.criterion = max_points, criterion
        self.typed = False

    async def _on_key(self, event: events.Key) -> None:
        character = event.character
        if event.is_printable and character is not None and not (character.isdigit() or character == "."):
            event.prevent_default()  # not for this field: run the binding of the key, as if typed elsewhere
            event.stop()
            active = self.app.active_bindings.get(event.key)
            if active is not None and active.enabled:
                await self.app.run_action(active.binding.action, active.node)
            return
        self.typed = event.is_printable

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """Only digits and the point are this field's; the footer shows the other keys as live."""
        return character is not None and (character.isdigit() or character == ".")

    @property
    def complete(self) -> bool:
        """No further digit could be typed without passing the maximum (so the field is done); a
        lone 0 is done too (halves are typed as .5)."""
        try:
            value = float(self.value)
        except ValueError:
            return False
        return "." not in self.value and (self.value == "0" or value * 10 > self.max_points)
