"""PIN cards for a class: one card per learner with the organisation, their name, their PIN, and
the address of the learner pages with its QR code, eight cards to an A4 page, to cut out.

PINs are stored hashed, so a card can only be made when its PIN is set: the people screen sets a
fresh PIN for each learner and then hands the names and PINs here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF

COLUMNS, ROWS = 2, 4
CARDS_PER_PAGE = COLUMNS * ROWS
MARGIN = 10.0  # mm around the grid of cards
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core, for names outside Latin-1
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


@dataclass(frozen=True)
class Card:
    name: str
    pin: str
    user_id: str = ""


def write_pin_cards(path: Path, cards: Sequence[Card], *, organisation: str, url: str) -> int:
    """Write the cards to `path` (a PDF); the number of pages written."""
    pdf, family = _document(unicode_text=not _latin1("".join(c.name + c.user_id for c in cards) + organisation + url))
    pdf.set_title(f"PIN cards: {organisation}")
    pdf.set_author(organisation)
    pdf.set_auto_page_break(False)
    qr = _qr_png(url)  # the same address on every card: one image, embedded once
    width = (pdf.w - 2 * MARGIN) / COLUMNS
    height = (pdf.h - 2 * MARGIN) / ROWS
    for number, card in enumerate(cards):
        if number % CARDS_PER_PAGE == 0:
            pdf.add_page()
        place = number % CARDS_PER_PAGE
        x = MARGIN + (place % COLUMNS) * width
        y = MARGIN + (place // COLUMNS) * height
        _card(pdf, family, card, qr, x, y, width, height, organisation=organisation, url=url)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return pdf.pages_count


def _card(pdf: FPDF, family: str, card: Card, qr: bytes, x: float, y: float, width: float, height: float, *,
          organisation: str, url: str) -> None:
    pdf.set_draw_color(160, 160, 160)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)  # a cutting line
    pdf.rect(x, y, width, height)
    pdf.set_dash_pattern()
    pad, qr_size = 5.0, 30.0
    text_w = width - 3 * pad - qr_size
    pdf.set_text_color(90, 90, 90)
    pdf.set_font(family, size=9)
    pdf.set_xy(x + pad, y + pad)
    pdf.cell(text_w, 5, _printable(organisation, family), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    name = _printable(card.name, family)
    pdf.set_font(family, "B", 14 if pdf.get_string_width(name) * 14 / pdf.font_size_pt <= 2 * text_w else 11)
    pdf.set_xy(x + pad, y + pad + 7)
    pdf.multi_cell(text_w, pdf.font_size * 1.3, name, align="L")  # a long name wraps; the PIN goes below it
    top = max(pdf.get_y() + 2, y + pad + 22)
    pdf.set_font(family, size=9)
    pdf.set_xy(x + pad, top)
    pdf.cell(text_w, 5, "Your PIN")
    pdf.set_font("Courier", "B", 22)
    pdf.set_xy(x + pad, top + 5)
    pdf.cell(text_w, 9, card.pin)
    pdf.set_font(family, size=8)
    pdf.set_xy(x + pad, y + height - pad - 9)
    pdf.multi_cell(width - 2 * pad, 4, _printable(f"Open {url}\nand sign in with your name and PIN.", family),
                   align="L")
    pdf.image(io.BytesIO(qr), x=x + width - pad - qr_size, y=y + pad + 4, w=qr_size, h=qr_size)


def _qr_png(text: str) -> bytes:
    """One pixel per module: viewers and printers scale it up without smoothing."""
    image = io.BytesIO()
    segno.make(text, error="m", micro=False).save(image, kind="png", scale=1, border=2)
    return image.getvalue()


def _document(*, unicode_text: bool) -> tuple[FPDF, str]:
    """Helvetica needs nothing embedded but covers Latin-1 only; other names need DejaVu."""
    pdf = FPDF(orientation="P", unit="mm", format="a4")
    if unicode_text and all((FONT_DIR / name).exists() for name in FONT_FILES.values()):
        for style, name in FONT_FILES.items():
            pdf.add_font("DejaVu", style, str(FONT_DIR / name))
        return pdf, "DejaVu"
    return pdf, "Helvetica"


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _printable(text: str, family: str) -> str:
    """Without the Unicode font, characters outside Latin-1 print as '?' rather than failing."""
    return text if family != "Helvetica" else text.encode("latin-1", "replace").decode("latin-1")
