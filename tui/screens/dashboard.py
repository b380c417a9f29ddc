"""The dashboard: today in the classroom, what waits for grading, who looks stuck, how to join."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, Static

from tui.navigation import nav_bindings
from tui.screens.base import BaseScreen
from tui.widgets.qr import QRCode

STUCK_DAYS = 7


def _reason(reason: dict[str, Any]) -> str:
    kind = reason["kind"]
    if kind == "inactive":
        return f"no activity for {reason['days']} days in {reason['course_title']}"
    if kind == "failed_quiz":
        return f"failed {reason['quiz_title']} {reason['failures']} times"
    if kind == "overdue_assignment":
        return f"{reason['assignment_title']} overdue since {str(reason['due_date'])[:10]}"
    return kind


class DashboardScreen(BaseScreen):
    TITLE_TEXT = "Dashboard"
    BINDINGS = [*(b for b in nav_bindings(show=True) if isinstance(b, Binding) and b.key != "d"),
                Binding("f5", "refresh", "Refresh", show=False)]
    PALETTE = [("Refresh the dashboard", "Dashboard", "refresh")]

    def body(self) -> ComposeResult:
        with Horizontal(id="dashboard"):
            with Vertical(id="today"):
                yield Static(id="figures")
                yield Static("Sync: not set up on this server.", id="sync")
                yield Label("Learners who look stuck", classes="heading")
                yield DataTable(id="stuck", cursor_type="row", zebra_stripes=True)
            with Vertical(id="join"):
                yield QRCode(self.instructor_app.target.join_url, id="qr")
                yield Static(self.instructor_app.target.join_url, id="join-url")

    async def load(self) -> None:
        app = self.instructor_app
        overview = await app.call(app.client.overview, stuck_days=STUCK_DAYS, limit=50)
        waiting = overview["waiting_for_grading"]
        figures = Text()
        figures.append(f"{app.target.app_id}", style="bold")
        figures.append(f" · {app.target.env} · {overview['date']}\n\n")
        for label, value in (("Learners active today", overview["learners_active_today"]),
                             ("Lessons completed today", overview["lessons_completed_today"]),
                             ("Learners", overview["learners_total"]),
                             ("Active enrollments", overview["enrollments_active"])):
            figures.append(f"{label:<26}{value:>6}\n")
        figures.append(f"{'Waiting for grading':<26}{waiting['total']:>6}", style="bold" if waiting["total"] else "")
        figures.append(f"  ({waiting['essay']} essays, {waiting['submission']} submissions; g to grade)\n")
        self.query_one("#figures", Static).update(figures)
        table = self.query_one("#stuck", DataTable)
        table.clear(columns=True)
        table.add_columns("Learner", "Why")
        for learner in overview["stuck"]:
            table.add_row(learner["user_name"], "; ".join(_reason(r) for r in learner["reasons"]),
                          key=learner["user_id"])
        if overview["stuck_total"] > len(overview["stuck"]):
            table.add_row("…", f"{overview['stuck_total'] - len(overview['stuck'])} more")
        if not overview["stuck"]:
            table.add_row("Nobody", f"(no one inactive for {STUCK_DAYS}+ days, failing a quiz twice or overdue)")

    def action_refresh(self) -> None:
        self.reload()

    async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value and event.data_table.id == "stuck" and event.row_key.value != "…":
            await self.instructor_app.open_person(str(event.row_key.value))
