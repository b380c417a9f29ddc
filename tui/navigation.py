"""The keys that open each screen. The app binds them everywhere; only the dashboard shows them
all in its footer, so that on the other screens the footer has room for their own keys (every key
is on the help screen)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

NAV = (("d", "dashboard", "Dashboard"), ("c", "courses", "Courses"), ("u", "people", "People"),
       ("g", "grading", "Grading"), ("t", "certificates", "Certificates"), ("r", "reports", "Reports"))


def nav_bindings(*, show: bool) -> list[BindingType]:
    return [Binding(key, f"app.open('{mode}')", title, show=show) for key, mode, title in NAV]
