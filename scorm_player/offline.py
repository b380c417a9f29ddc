"""Offline readiness: which resources outside the package do its HTML, CSS and JS load?

A classroom may have no internet at all, so a package that pulls a script from a public CDN
breaks there. The scan lists every such reference with the file it is in. The rule, chosen so
that what is listed really is loaded (and a self-contained package says so):

- What counts as external: an absolute `http(s)://` URL or a protocol-relative `//host/...` one.
  `data:`, `blob:`, `javascript:`, `mailto:` and relative paths do not.
- HTML (`.html`, `.htm`, `.xhtml`, `.shtml`, and `.svg`): attributes that make the browser load
  something: `src` (script, img, iframe, frame, embed, audio, video, source, track, input),
  `srcset`, `poster`, `data` (object), `background`, `href`/`xlink:href` on `<link>` (unless
  its `rel` only describes a page, such as `canonical` or `alternate`), on `<base>` and on SVG
  `<image>`/`<use>`/`<script>`/`<feImage>`, the URL of `<meta http-equiv="refresh">`, an
  `<object>` `<param>` naming a movie/src/url, `style` attributes and `<style>` elements (as
  CSS), and inline `<script>` (as JS). Hyperlinks (`<a href>`, `<area href>`) are pages a
  learner may open, not resources the package needs: they are only counted in a warning.
  Comments, the DOCTYPE and `xmlns` namespace URIs are never looked at.
- CSS (`.css`, `<style>`, `style=`): `url(...)` and `@import`, comments removed first.
- JS (`.js`, `.mjs`, inline scripts): comments are skipped (licence headers with their URLs
  included); in string literals, HTML markup is scanned by the HTML rule above (so
  `document.write('<script src="https://...">')` counts and a written `<a href>` does not),
  `url(...)` by the CSS rule, and a bare absolute URL counts when code that loads it comes just
  before it (`import ... from`, `import(`, `importScripts(`, `fetch(`, `.src =`, `src:`/`url:`,
  `setAttribute("src"`, `getScript(`, `getJSON(`, `.ajax(`, `.load(`, `XMLHttpRequest.open(..,`,
  `new Worker(`/`Audio(`/`EventSource(`/`WebSocket(`, `require(`) or when its path ends in a file
  type that is loaded rather than visited (.js, .css, images, fonts, media, .json, .wasm).
- Files over `MAX_SCAN_BYTES` are not scanned, and a warning says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

MAX_SCAN_BYTES = 5 * 1024 * 1024
HTML_TYPES = {".html", ".htm", ".xhtml", ".shtml", ".svg"}
CSS_TYPES = {".css"}
JS_TYPES = {".js", ".mjs"}
SCANNED_TYPES = HTML_TYPES | CSS_TYPES | JS_TYPES

_EXTERNAL = re.compile(r"^(?:https?:)?//[^/\s\\]", re.IGNORECASE)
_SRC_TAGS = {"script", "img", "iframe", "frame", "embed", "audio", "video", "source", "track", "input"}
_SVG_HREF_TAGS = {"image", "use", "script", "feimage"}
_PAGE_RELS = {"canonical", "alternate", "author", "help", "license", "next", "prev", "search", "bookmark",
              "external", "nofollow", "noopener", "noreferrer", "tag", "me", "preconnect", "dns-prefetch"}
# url(...) or @import "..." (in document order)
_CSS_REF = re.compile(r"""url\(\s*(["']?)(.*?)\1\s*\)|@import\s+(["'])(.*?)\3""", re.IGNORECASE | re.DOTALL)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.IGNORECASE)
_LOADER_BEFORE = re.compile(
    r"""(?:\bfrom|\bimport\s*\(?|\bimportScripts\s*\((?:[^()]*,)?|\bfetch\s*\(|\bgetScript\s*\(|\bgetJSON\s*\("""
    r"""|\.ajax\s*\((?:\s*\{[^{}]*\burl\s*:)?|\.load\s*\(|\.open\s*\(\s*(["'`])\w+\1\s*,|\.src\s*=|\bsrc\s*:|\burl\s*:"""
    r"""|\.setAttribute\s*\(\s*(["'])(?:src|href|data)\2\s*,|\bnew\s+(?:Worker|SharedWorker|Audio|EventSource|WebSocket)\s*\("""
    r"""|\brequire\s*\()\s*$""",
)
_LOADED_EXTENSIONS = re.compile(
    r"\.(?:m?js|css|json|wasm|png|jpe?g|gif|svg|webp|avif|ico|bmp|woff2?|ttf|otf|eot|mp3|mp4|m4a|m4v|webm|og[gav]"
    r"|opus|wav|mov|flv|swf|vtt)$",
    re.IGNORECASE,
)


def is_external(url: str) -> bool:
    return bool(_EXTERNAL.match(url.strip()))


@dataclass
class Findings:
    """What a scan found: resources loaded from outside, and hyperlinks to outside pages."""

    resources: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    def add_resource(self, url: str) -> None:
        url = url.strip()
        if is_external(url) and url not in self.resources:
            self.resources.append(url)

    def add_link(self, url: str) -> None:
        url = url.strip()
        if is_external(url) and url not in self.links:
            self.links.append(url)

    def merge(self, other: Findings) -> None:
        for url in other.resources:
            self.add_resource(url)
        for url in other.links:
            self.add_link(url)


# -- CSS ------------------------------------------------------------------------------------------


def scan_css(text: str, findings: Findings | None = None) -> Findings:
    findings = findings or Findings()
    text = _CSS_COMMENT.sub(" ", text)
    for match in _CSS_REF.finditer(text):
        findings.add_resource(match.group(2) if match.group(2) is not None else match.group(4))
    return findings


# -- HTML -----------------------------------------------------------------------------------------


class _HtmlScanner(HTMLParser):
    def __init__(self, findings: Findings) -> None:
        super().__init__(convert_charrefs=True)
        self.findings = findings
        self.in_tag: str | None = None  # script or style, whose text is scanned as JS or CSS
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        found = self.findings
        if tag in _SRC_TAGS and "src" in values:
            found.add_resource(values["src"])
        for name in ("srcset", "imagesrcset"):
            for candidate in values.get(name, "").split(","):
                found.add_resource(candidate.strip().split(" ")[0])
        if tag == "video" and "poster" in values:
            found.add_resource(values["poster"])
        if tag == "object" and "data" in values:
            found.add_resource(values["data"])
        if "background" in values:
            found.add_resource(values["background"])
        if tag == "link" and "href" in values:
            rels = set(values.get("rel", "").lower().split())
            if not rels or not rels <= _PAGE_RELS:
                found.add_resource(values["href"])
        if tag == "base" and "href" in values:
            found.add_resource(values["href"])
        if tag in _SVG_HREF_TAGS:
            for name in ("href", "xlink:href"):
                if name in values:
                    found.add_resource(values[name])
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            match = _REFRESH_URL.search(values.get("content", ""))
            if match:
                found.add_resource(match.group(1))
        if tag == "param" and values.get("name", "").lower() in {"movie", "src", "url", "filename"}:
            found.add_resource(values.get("value", ""))
        if tag in ("a", "area"):
            for name in ("href", "xlink:href"):
                if name in values:
                    found.add_link(values[name])
        if "style" in values:
            scan_css(values["style"], found)
        if tag in ("script", "style"):
            self.in_tag, self.chunks = tag, []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.in_tag = None

    def handle_data(self, data: str) -> None:
        if self.in_tag:
            self.chunks.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self.in_tag and tag == self.in_tag:
            text = "".join(self.chunks)
            if tag == "script":
                scan_js(text, self.findings)
            else:
                scan_css(text, self.findings)
            self.in_tag, self.chunks = None, []

    def close(self) -> None:
        super().close()
        if self.in_tag:  # an unclosed script or style at the end
            self.handle_endtag(self.in_tag)


def scan_html(text: str, findings: Findings | None = None) -> Findings:
    findings = findings or Findings()
    scanner = _HtmlScanner(findings)
    scanner.feed(text)
    scanner.close()
    return findings


# -- JS -------------------------------------------------------------------------------------------

_REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^")
_REGEX_KEYWORDS = ("return", "typeof", "case", "do", "else", "in", "of", "void", "yield", "await", "delete")


def js_strings(source: str) -> list[tuple[int, str]]:
    """The string and template literals of a script (start offset, raw content), comments skipped.

    A small lexer: it knows comments, the three kinds of quotes (with escapes) and regular
    expression literals (told from division by what comes before the slash), which is enough
    not to mistake a URL in a comment for code or a quote in a regex for a string.
    """
    found: list[tuple[int, str]] = []
    i, n = 0, len(source)
    last = ""  # the last significant code character
    word = ""  # the last identifier-ish word, for `return /re/`
    while i < n:
        ch = source[i]
        if ch == "/" and i + 1 < n and source[i + 1] == "/":
            end = source.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch == "/" and i + 1 < n and source[i + 1] == "*":
            end = source.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if ch in "\"'`":
            start, i = i, i + 1
            while i < n and source[i] != ch:
                if source[i] == "\\":
                    i += 1
                elif source[i] == "\n" and ch != "`":
                    break  # an unterminated string ends at the line
                i += 1
            found.append((start, source[start + 1:i]))
            i += 1
            last, word = ch, ""
            continue
        if ch == "/" and (last == "" or last in _REGEX_AFTER or word in _REGEX_KEYWORDS):
            i += 1
            in_class = False
            while i < n and source[i] != "\n":
                c = source[i]
                if c == "\\":
                    i += 1
                elif c == "[":
                    in_class = True
                elif c == "]":
                    in_class = False
                elif c == "/" and not in_class:
                    break
                i += 1
            i += 1
            last, word = "/", ""
            continue
        if not ch.isspace():
            if ch.isalnum() or ch in "_$":
                word = word + ch if last.isalnum() or last in "_$" else ch
            else:
                word = ""
            last = ch
        i += 1
    return found


def scan_js(source: str, findings: Findings | None = None) -> Findings:
    findings = findings or Findings()
    for start, raw in js_strings(source):
        text = raw.replace("\\/", "/")
        if "<" in text and ("src" in text.lower() or "href" in text.lower() or "<style" in text.lower()):
            scan_html(text.replace('\\"', '"').replace("\\'", "'"), findings)
        if "url(" in text.lower():
            scan_css(text, findings)
        if is_external(text):
            before = source[max(0, start - 120):start]
            path = text.split("?", 1)[0].split("#", 1)[0]
            if _LOADER_BEFORE.search(before) or _LOADED_EXTENSIONS.search(path):
                findings.add_resource(text)
    return findings


# -- files ----------------------------------------------------------------------------------------


@dataclass
class Report:
    external_resources: list[dict[str, str]]  # {"url", "referenced_from"}
    warnings: list[str]


def scan_file(name: str, data: bytes) -> Findings:
    """Scan one file's bytes, by its extension; other types find nothing."""
    suffix = Path(name).suffix.lower()
    text = _decode(data)
    if suffix in HTML_TYPES:
        return scan_html(text)
    if suffix in CSS_TYPES:
        return scan_css(text)
    if suffix in JS_TYPES:
        return scan_js(text)
    return Findings()


def scan_package(root: Path, names: list[str], manifest_urls: list[str] | None = None,
                 manifest_name: str = "imsmanifest.xml") -> Report:
    """Scan the unpacked files `names` (relative to `root`) and the URLs the manifest names."""
    resources: list[dict[str, str]] = [{"url": url, "referenced_from": manifest_name} for url in manifest_urls or []]
    links: dict[str, None] = {}
    warnings: list[str] = []
    for name in sorted(names):
        if Path(name).suffix.lower() not in SCANNED_TYPES:
            continue
        path = root.joinpath(*name.split("/"))
        size = path.stat().st_size
        if size > MAX_SCAN_BYTES:
            warnings.append(f"'{name}' ({size} bytes) is too large to scan for external resources.")
            continue
        found = scan_file(name, path.read_bytes())
        resources += [{"url": url, "referenced_from": name} for url in found.resources]
        links.update(dict.fromkeys(found.links))
    if links:
        hosts = sorted({_host(url) for url in links})
        shown = ", ".join(hosts[:5]) + (f" and {len(hosts) - 5} more" if len(hosts) > 5 else "")
        warnings.append(f"{len(links)} links to web pages outside the package ({shown}) will not open "
                        "without internet; the package does not need them to run.")
    return Report(resources, warnings)


def _host(url: str) -> str:
    rest = url.split("//", 1)[1] if "//" in url else url
    return rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].lower()


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")
