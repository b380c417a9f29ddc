"""The certificate PDF: the filled template, a QR code that verifies it, and its signature block.

Rendering is deterministic (the creation date is the issue date), and the file is made once and
kept, so every download of a certificate is the same bytes.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF

from university_local.certificates.templates import fill

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
              "BI": "DejaVuSans-BoldOblique.ttf"}


def render(*, template: dict[str, Any], values: dict[str, Any], number: str, verification_url: str,
           qr_text: str, signature: str, key_id: str, issued_by: str, issued_at: datetime) -> bytes:
    pdf = FPDF(orientation="L" if template["orientation"] == "landscape" else "P", unit="mm",
               format=template["paper_size"].lower())
    pdf.set_creation_date(issued_at)
    pdf.set_title(f"Certificate {number}")
    pdf.set_author(issued_by)
    pdf.set_subject(qr_text)  # the signed payload, for tools that read metadata instead of the QR code
    family = _fonts(pdf)
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
    pdf.write_html(_printable(fill(template["html_template"], values), family), warn_on_tags_not_matching=False)

    # The QR code (bottom right) carries the verification URL and the signed claims.
    qr_size = 38
    qr_x, qr_y = width - 25 - qr_size, height - 25 - qr_size
    image = io.BytesIO()
    segno.make(qr_text, error="m", micro=False).save(image, kind="png", scale=6, border=2)
    image.seek(0)
    pdf.image(image, x=qr_x, y=qr_y, w=qr_size, h=qr_size)

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


def _fonts(pdf: FPDF) -> str:
    """A Unicode font when the system has one (names in any script), else the core Helvetica."""
    if all((FONT_DIR / name).exists() for name in FONT_FILES.values()):
        for style, name in FONT_FILES.items():
            pdf.add_font("DejaVu", style, str(FONT_DIR / name))
        return "DejaVu"
    return "Helvetica"


def _printable(markup: str, family: str) -> str:
    """Helvetica covers Latin-1 only; without a Unicode font other characters become '?'."""
    if family != "Helvetica":
        return markup
    return markup.encode("latin-1", "replace").decode("latin-1")
