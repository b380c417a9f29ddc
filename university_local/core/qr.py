"""QR codes for joining a classroom: inline SVG for pages, text for the terminal, Wi-Fi payloads."""

from __future__ import annotations

import io

import segno

QUIET_ZONE = 4  # modules of light margin the QR specification asks for

# A character cell holds two modules, one above the other; the key is (top light, bottom light).
_HALF_BLOCKS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def _symbol(data: str) -> segno.QRCode:
    """The QR code both renderings draw (level M: reads from a screen or a creased print-out)."""
    return segno.make(data, error="m", micro=False)


def qr_svg(data: str, *, title: str) -> str:
    """Inline SVG of `data`'s QR code: dark on white with its quiet zone, sized by the page's CSS
    (a viewBox and no width or height), and announced to screen readers as an image titled `title`."""
    out = io.BytesIO()
    _symbol(data).save(out, kind="svg", xmldecl=False, svgns=True, title=title, omitsize=True,
                       border=QUIET_ZONE, dark="#000", light="#fff", svgclass=None, lineclass=None)
    svg = out.getvalue().decode("utf-8")
    return svg.replace("<svg ", '<svg role="img" ', 1)


def qr_terminal(data: str) -> str:
    """`data`'s QR code as lines of text, two modules per character cell.

    Drawn for the usual light-on-dark terminal: the glyphs (the terminal's foreground) are the
    light modules and the quiet zone, spaces (its background) the dark ones, so a phone sees dark
    modules on a light square. The lines have no trailing newline."""
    rows = [[not dark for dark in row] for row in _symbol(data).matrix_iter(scale=1, border=QUIET_ZONE)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))  # below the quiet zone: the terminal's own background
    return "\n".join("".join(_HALF_BLOCKS[top, bottom] for top, bottom in zip(upper, lower))
                     for upper, lower in zip(rows[::2], rows[1::2]))


def wifi_payload(ssid: str, password: str | None, security: str = "WPA", hidden: bool = False) -> str:
    """The `WIFI:` text a phone's camera offers to join a network with, e.g.
    `WIFI:T:WPA;S:Class 4B;P:secret;;`. `\\ ; , : "` in the name and password are escaped with a
    backslash as the format asks; a network without a password is `T:nopass`. WPA covers WPA2."""
    if not ssid:
        raise ValueError("a Wi-Fi network needs its name (SSID)")
    kind = security.strip().upper() if password and security.strip().lower() != "nopass" else "nopass"
    fields = [f"T:{'WPA' if kind == 'WPA2' else kind}", f"S:{_escape(ssid)}"]
    if kind != "nopass" and password:
        fields.append(f"P:{_escape(password)}")
    if hidden:
        fields.append("H:true")
    return "WIFI:" + ";".join(fields) + ";;"


def _escape(value: str) -> str:
    for special in ("\\", ";", ",", ":", '"'):  # the backslash first, so the others' stay single
        value = value.replace(special, "\\" + special)
    return value
