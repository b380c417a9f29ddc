"""Untrusted HTML in, safe HTML stored: one sanitiser for every feature (nh3, Rust's ammonia)."""

from __future__ import annotations

import nh3

# nh3's defaults (no script, style, iframe or event handlers; http(s)/mailto links only) plus
# what lesson text needs for figures and tables.
_EXTRA_TAGS = {"figure", "figcaption", "mark", "section"}


def sanitize_html(html: str) -> str:
    return nh3.clean(html, tags=nh3.ALLOWED_TAGS | _EXTRA_TAGS, link_rel="noopener noreferrer")
