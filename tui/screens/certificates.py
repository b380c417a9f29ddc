"""The certificates screen (being built)."""

from __future__ import annotations

from tui.screens.base import BaseScreen


class CertificatesScreen(BaseScreen):
    TITLE_TEXT = "Certificates"
