"""The keys that open each screen. The app binds them everywhere; only the dashboard shows them
all in its footer, so that on the other screens the footer has room for their own keys (every key
is on the help screen)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

NAV = (("d", "dashboard", "Dashboard"), ("c", "courses", "Courses"), ("u", "people", "People"),
       ("g", "grading", "Grading"), ("t", "certificates", "Certificates"), ("r", "reports", "Reports"))


HELP_AND_QUIT: list[BindingType] = [Binding("question_mark", "app.help", "Help", key_display="?"),
                                    Binding("q", "app.quit_safely", "Quit")]
"""First in every screen's footer, so that a narrow terminal still shows them."""


def nav_bindings(*, show: bool) -> list[BindingType]:
    return [Binding(key, f"app.open('{mode}')", title, show=show) for key, mode, title in NAV]
