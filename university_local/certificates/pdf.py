"""The certificate PDF: the filled template, a QR code that verifies it, and its signature block.

Rendering is deterministic (the creation date is the issue date), and the file is made once and
kept, so every download of a certificate is the same bytes.
"""

from __future__ import annotations

import copy
import io
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF

from university_local.certificates.templates import fill

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
              "BI": "DejaVuSans-BoldOblique.ttf"}
_PROTOTYPES: dict[tuple[str, str], FPDF] = {}
_PROTOTYPES_LOCK = threading.Lock()


def render(*, template: dict[str, Any], values: dict[str, Any], number: str, verification_url: str,
           qr_text: str, signature: str, key_id: str, issued_by: str, issued_at: datetime) -> bytes:
    markup = fill(template["html_template"], values)
    pdf, family = _document(template["orientation"], template["paper_size"],
                            unicode_text=not _latin1(markup + issued_by + verification_url))
    pdf.set_creation_date(issued_at)
    pdf.set_title(f"Certificate {number}")
    pdf.set_author(issued_by)
    pdf.set_subject(qr_text)  # the signed payload, for tools that read metadata instead of the QR code
    pdf.set_auto_page_break(False)
    pdf.add_page()
    width, height = pdf.w, pdf.h
    pdf.set_draw_color(40, 70, 120)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, width - 16, height - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, width - 22, height - 22)

    pdf.set_font(family, size=14)
    pdf.set_text_color(20, 20, 20)
    pdf.set_left_margin(25)
    pdf.set_right_margin(25)
    pdf.set_y(28)
    pdf.write_html(_printable(markup, family), warn_on_tags_not_matching=False)

    # The QR code (bottom right) carries the verification URL and the signed claims.
    qr_size = 38
    qr_x, qr_y = width - 25 - qr_size, height - 25 - qr_size
    _draw_qr(pdf, qr_text, qr_x, qr_y, qr_size)

    # The detached signature block (bottom left).
    block_w = qr_x - 25 - 8
    pdf.set_xy(25, height - 25 - qr_size)
    pdf.set_font(family, "B", 9)
    pdf.cell(block_w, 5, f"Certificate {number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=8)
    pdf.set_x(25)
    pdf.multi_cell(block_w, 4, f"Verify at {verification_url}\nIssued {issued_at.date().isoformat()} by {issued_by}.\n"
                   f"Digitally signed (Ed25519, key {key_id}):", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Courier", size=6.5)
    pdf.set_x(25)
    pdf.multi_cell(block_w, 3, signature, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _document(orientation: str, paper_size: str, *, unicode_text: bool) -> tuple[FPDF, str]:
    """A blank document and its font family. Text in Latin-1 needs only the built-in Helvetica
    (nothing to embed); other scripts need a Unicode font, whose files take far longer to read
    than to copy, so a loaded document per page shape is kept and copied."""
    shape = ("L" if orientation == "landscape" else "P", paper_size.lower())
    if not unicode_text or not all((FONT_DIR / name).exists() for name in FONT_FILES.values()):
        return FPDF(orientation=shape[0], unit="mm", format=shape[1]), "Helvetica"
    with _PROTOTYPES_LOCK:  # fontTools reads tables lazily: one copy at a time
        prototype = _PROTOTYPES.get(shape)
        if prototype is None:
            prototype = _PROTOTYPES[shape] = FPDF(orientation=shape[0], unit="mm", format=shape[1])
            for style, name in FONT_FILES.items():
                prototype.add_font("DejaVu", style, str(FONT_DIR / name))
        return copy.deepcopy(prototype), "DejaVu"


def _draw_qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    """The QR code as an image of one pixel per module, which PDF viewers and printers scale up
    without smoothing (images are not interpolated unless they ask to be). The mask is fixed:
    choosing the best of eight costs more than the rest of the certificate, and every reader
    decodes any mask."""
    image = io.BytesIO()
    segno.make(text, error="m", micro=False, mask=0).save(image, kind="png", scale=1, border=2)
    image.seek(0)
    pdf.image(image, x=x, y=y, w=size, h=size)


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _printable(markup: str, family: str) -> str:
    """Helvetica covers Latin-1 only; on a system without the Unicode font, other characters
    become '?' rather than failing the certificate."""
    if family != "Helvetica":
        return markup
    return markup.encode("latin-1", "replace").decode("latin-1")
