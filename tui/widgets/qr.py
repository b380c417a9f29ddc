"""A QR code drawn with half-block characters: two modules a cell, readable by a phone's camera."""

from __future__ import annotations

import segno
from rich.text import Text
from textual.widgets import Static


def qr_lines(payload: str) -> list[str]:
    """The code as text lines with its quiet zone: a full block is two light modules, a space two dark."""
    matrix = [list(row) for row in segno.make(payload, error="m", boost_error=False).matrix_iter(border=2)]
    if len(matrix) % 2:
        matrix.append([0] * len(matrix[0]))
    glyph = {(True, True): " ", (True, False): "▄", (False, True): "▀", (False, False): "█"}
    return ["".join(glyph[(bool(top), bool(bottom))] for top, bottom in zip(upper, lower))
            for upper, lower in zip(matrix[::2], matrix[1::2])]


class QRCode(Static):
    """The QR of a URL, white on black whatever the terminal's theme, so a camera reads it in both."""

    DEFAULT_CSS = "QRCode { width: auto; height: auto; }"

    def __init__(self, payload: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.payload = payload

    def on_mount(self) -> None:
        self.show(self.payload)

    def show(self, payload: str) -> None:
        self.payload = payload
        self.update(Text("\n".join(qr_lines(payload)), style="#ffffff on #000000", no_wrap=True))
