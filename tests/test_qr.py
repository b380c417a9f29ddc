"""QR codes for joining: the SVG and the terminal text are read back (as a phone would, with a
decoder, and module by module against the symbol), and Wi-Fi payloads are escaped as the format asks."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from university_local.core import qr
from university_local.core.qr import qr_svg, qr_terminal, wifi_payload

URL = "http://192.168.1.20:8080/"
CHROMIUM = "/usr/bin/chromium"


def _matrix(data: str) -> list[list[bool]]:
    """The symbol's modules with the quiet zone, dark = True, as segno builds it."""
    return [[bool(m) for m in row] for row in qr._symbol(data).matrix_iter(scale=1, border=qr.QUIET_ZONE)]


def _decode(image: Image.Image) -> list[str]:
    """What a reader sees in an image of dark modules on light (inverted images are not tried)."""
    return [barcode.text for barcode in zxingcpp.read_barcodes(image, try_invert=False)]


def _svg_matrix(svg: str, size: int) -> list[list[bool]]:
    """The dark modules the SVG draws: its stroked path is rows of horizontal runs (M, m, h)."""
    [path] = re.findall(r'<path stroke="#000" d="([^"]+)"', svg)
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, args in re.findall(r"([MmHh])([^MmHh]*)", path):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            end = numbers[0] if command == "H" else x + numbers[0]
            for column in range(int(x), int(end)):
                grid[int(y)][column] = True
            x = end
    return grid


def test_the_svg_is_inline_scalable_accessible_markup_of_the_symbol() -> None:
    svg = qr_svg(URL, title="Join the class <4B> & more")
    assert svg.startswith("<svg ") and "<?xml" not in svg
    opening = svg[:svg.index(">") + 1]
    assert 'role="img"' in opening and "viewBox=" in opening
    assert "width=" not in opening and "height=" not in opening  # the page's CSS sizes it
    assert "<title>Join the class &lt;4B&gt; &amp; more</title>" in svg
    assert '<path fill="#fff"' in svg  # a white square under the modules: the quiet zone is light
    expected = _matrix(URL)
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', opening).group(1))
    assert size == len(expected)
    assert _svg_matrix(svg, size) == expected
    assert all(not any(row) for row in expected[:qr.QUIET_ZONE])


def test_the_symbol_decodes_to_the_url() -> None:
    png = io.BytesIO()
    qr._symbol(URL).save(png, kind="png", scale=6, border=qr.QUIET_ZONE)
    assert _decode(Image.open(io.BytesIO(png.getvalue()))) == [URL]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)")
def test_the_svg_as_a_browser_draws_it_at_the_width_the_css_gives_decodes() -> None:
    from playwright.sync_api import sync_playwright

    svg = qr_svg(URL, title="Join the class")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.set_content(f"<style>body{{margin:20px;background:#fff}} svg{{width:230px;display:block}}</style>{svg}")
            assert page.get_by_role("img", name="Join the class").count() == 1
            box = page.locator("svg").bounding_box()
            assert box is not None and round(box["width"]) == 230 and round(box["height"]) == 230
            shot = page.screenshot(clip={"x": 0, "y": 0, "width": 270, "height": 270})
        finally:
            browser.close()
    assert _decode(Image.open(io.BytesIO(shot))) == [URL]


def _cells(text: str) -> list[list[tuple[bool, bool]]]:
    """The terminal text as (top light, bottom light) per character cell."""
    glyphs = {"█": (True, True), "▀": (True, False), "▄": (False, True), " ": (False, False)}
    return [[glyphs[c] for c in line] for line in text.split("\n")]


def _screen(text: str, *, foreground: int, background: int, scale: int = 5, margin: int = 3) -> Image.Image:
    """The text as a terminal shows it: each cell a column of two square pixels, glyphs in the
    foreground colour, the rest (and the terminal around it) in the background colour."""
    cells = _cells(text)
    width, height = len(cells[0]) + 2 * margin, 2 * (len(cells) + 2 * margin)
    image = Image.new("L", (width * scale, height * scale), background)
    for row, line in enumerate(cells):
        for column, halves in enumerate(line):
            for half, lit in enumerate(halves):
                if lit:
                    x, y = (column + margin) * scale, (2 * (row + margin) + half) * scale
                    image.paste(foreground, (x, y, x + scale, y + scale))
    return image


def test_the_terminal_text_is_the_symbol_two_modules_a_cell() -> None:
    text = qr_terminal(URL)
    assert set(text) <= {"█", "▀", "▄", " ", "\n"} and not text.endswith("\n")
    expected = _matrix(URL)
    lines = text.split("\n")
    assert len(lines) == (len(expected) + 1) // 2 and {len(line) for line in lines} == {len(expected)}
    light = [[top for top, _ in line] for line in _cells(text)], [[bottom for _, bottom in line] for line in _cells(text)]
    rows = [row for pair in zip(*light) for row in pair][:len(expected)]
    assert [[not lit for lit in row] for row in rows] == expected
    if len(expected) % 2:  # the half row below the quiet zone is left to the terminal's background
        assert all(not bottom for _, bottom in _cells(text)[-1])


def test_the_terminal_code_scans_on_a_dark_terminal_and_would_not_on_a_light_one() -> None:
    """Glyphs are the light modules: on the usual light-on-dark terminal a phone sees dark modules
    on a light square. On a dark-on-light terminal it would see the negative."""
    text = qr_terminal(URL)
    assert _decode(_screen(text, foreground=230, background=20)) == [URL]
    assert _decode(_screen(text, foreground=20, background=230)) == []


def test_wifi_payloads_follow_the_format() -> None:
    assert wifi_payload("Class 4B", "secret") == "WIFI:T:WPA;S:Class 4B;P:secret;;"
    assert wifi_payload("Lab", "pw", "wpa2", hidden=True) == "WIFI:T:WPA;S:Lab;P:pw;H:true;;"
    assert wifi_payload("Old", "12345", "WEP") == "WIFI:T:WEP;S:Old;P:12345;;"
    assert wifi_payload("Open", None) == wifi_payload("Open", "") == "WIFI:T:nopass;S:Open;;"
    assert wifi_payload("Open", "ignored", "nopass") == "WIFI:T:nopass;S:Open;;"
    assert wifi_payload('a\\b;c,d:e"f', 'p;w,d:"\\') == 'WIFI:T:WPA;S:a\\\\b\\;c\\,d\\:e\\"f;P:p\\;w\\,d\\:\\"\\\\;;'
    with pytest.raises(ValueError):
        wifi_payload("", "secret")


def _parse_wifi(payload: str) -> dict[str, str]:
    """A reader of the format: fields split at unescaped ';', a backslash takes the next character."""
    assert payload.startswith("WIFI:") and payload.endswith(";;")
    fields, current, escaped = {}, "", False
    for char in payload[len("WIFI:"):-1]:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            escaped = True
        elif char == ";":
            key, _, value = current.partition(":")
            fields[key], current = value, ""
        else:
            current += char
    return fields


@given(ssid=st.text(min_size=1, max_size=32), password=st.text(min_size=1, max_size=63), hidden=st.booleans())
def test_any_name_and_password_read_back_from_the_payload(ssid: str, password: str, hidden: bool) -> None:
    expected = {"T": "WPA", "S": ssid, "P": password, **({"H": "true"} if hidden else {})}
    assert _parse_wifi(wifi_payload(ssid, password, hidden=hidden)) == expected


def test_a_wifi_code_decodes_to_its_payload() -> None:
    payload = wifi_payload("Café; 2.4 GHz", "pa:ss,word")
    png = io.BytesIO()
    qr._symbol(payload).save(png, kind="png", scale=6, border=qr.QUIET_ZONE)
    assert _decode(Image.open(io.BytesIO(png.getvalue()))) == [payload]
    assert "<title>Wi-Fi</title>" in qr_svg(payload, title="Wi-Fi")
