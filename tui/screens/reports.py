"""Reports: one course's analytics drawn in the terminal, its leaderboard, a learner's report, and
the course's CSV report saved to a file.

Charts: `Sparkline`s of enrollments and completions per day (the API's `timeline`), and text bars
for the spread of quiz scores and of ratings (from the course analytics). The API has no histogram
of scores, so the bars count the score leaderboard's entries (each learner's mean best graded quiz
score, up to 100 learners; like any leaderboard it leaves out zeros and learners who opted out).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, ProgressBar, Sparkline, Static

from client import ApiError
from client.types import LeaderboardMetric, Period
from tui.screens.base import BaseScreen
from tui.widgets.pickers import Picker, SavePath

PERIODS: list[Period] = ["7d", "30d", "90d", "1y", "all"]
METRICS: list[LeaderboardMetric] = ["progress", "score", "time", "streak"]
BAR_WIDTH = 24
SCORE_BINS = [(0, 50), (50, 60), (60, 70), (70, 80), (80, 90), (90, 101)]  # [low, high) in percent


def bars(counts: list[tuple[str, int]], width: int = BAR_WIDTH) -> Text:
    """One line per (label, count): a bar as long as the count against the largest, then the count."""
    top = max((n for _, n in counts), default=0)
    text = Text()
    for label, n in counts:
        length = round(width * n / top) if top else 0
        text.append(f"{label:>7} ")
        text.append("█" * length, style="bold")
        text.append(f"{'' if length else '·'} {n}\n")
    return text


def score_spread(values: list[float]) -> list[tuple[str, int]]:
    return [(f"<{high}" if low == 0 else f"{low}-{min(high, 100)}",
             sum(1 for v in values if low <= v < high)) for low, high in SCORE_BINS]


def _number(value: float | None, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:g}{suffix}"


def figures(data: dict[str, Any]) -> Text:
    """The headline figures of a course's analytics."""
    m = data["metrics"]
    e, c, g = m.get("enrollments") or {}, m.get("completions") or {}, m.get("engagement") or {}
    text = Text()
    text.append(f"{data['from_date'] or 'start'} to {data['to_date']} ({data['time_zone']})\n", style="dim")
    trend = e.get("trend")
    text.append(f"Enrollments {e.get('total', 0)} · new {e.get('new', 0)}"
                + (f" ({trend:+g}%)" if trend is not None else "") + "\n")
    text.append(f"Completions {c.get('total', 0)} · rate {_number(c.get('rate'), '%')} · "
                f"{_number(c.get('average_days_to_complete'))} days on average\n")
    text.append(f"Active learners {g.get('active_learners', 0)} · sessions {g.get('sessions', 0)} · "
                f"{_number(g.get('average_time_per_session_minutes'))} min per session\n")
    for lesson in (g.get("drop_off_lessons") or [])[:2]:
        text.append(f"Drop-off: {lesson['title']} {lesson['drop_rate']:g}% "
                    f"({lesson['learners_dropped']} of {lesson['learners_started']})\n", style="dim")
    return text


class LearnerReport(ModalScreen[None]):
    """A learner's summary (GET /analytics/users/{id}): figures, activity, strengths, suggestions."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, name: str, report: dict[str, Any]) -> None:
        super().__init__()
        self.learner_name, self.report = name, report

    def compose(self) -> ComposeResult:
        s, r = self.report["summary"], self.report
        activity = r["learning_activity"]
        text = Text()
        text.append(f"Courses {s['courses_enrolled']} enrolled, {s['courses_completed']} completed\n")
        text.append(f"Learning time {s['total_time_hours']:g} h · certificates {s['certificates_earned']}\n")
        text.append(f"Average quiz score {_number(s['average_score'], '%')} · "
                    f"streak {s['current_streak_days']} days\n")
        text.append(f"Active days in the period: {len(activity)}, "
                    f"{sum(d['lessons_completed'] for d in activity)} lessons completed\n")
        if r["strengths"]:
            text.append("Strengths: " + ", ".join(r["strengths"]) + "\n")
        for rec in r["recommendations"]:
            text.append(f"Next: {rec['title']} ({rec['reason']})\n", style="dim")
        with VerticalScroll(classes="dialog learner-report"):
            yield Label(f"{self.learner_name} ({r['user_id']})", classes="title")
            yield Static(text, id="learner-figures")
            yield Label("Minutes of learning per active day", classes="chart-label")
            yield Sparkline([d["time_minutes"] for d in activity] or [0], id="learner-activity")


class ReportsScreen(BaseScreen):
    TITLE_TEXT = "Reports"
    BINDINGS = [
        Binding("f", "choose_course", "Course"),
        Binding("p", "next_period", "Period"),
        Binding("m", "next_metric", "Ranking"),
        Binding("l", "learner_report", "Learner"),
        Binding("e", "export", "Export CSV"),
        Binding("f5", "refresh", "Refresh", show=False),
    ]
    HELP_KEYS = [("Enter on the leaderboard", "that learner's report")]
    PALETTE = [("Reports: export a course's CSV", "Reports", "export"),
               ("Reports: a learner's report", "Reports", "learner_report")]

    def __init__(self) -> None:
        super().__init__()
        self.courses: list[tuple[str, str]] = []
        self.course_id: str | None = None
        self.period: Period = "30d"
        self.metric: LeaderboardMetric = "progress"
        self.analytics: dict[str, Any] | None = None
        self.board: dict[str, Any] | None = None
        self.last_export: Path | None = None

    def body(self) -> ComposeResult:
        yield Static(id="report-bar")
        with Horizontal(id="reports"):
            with VerticalScroll(id="charts"):
                yield Static(id="course-figures")
                yield Label(id="enrollments-label", classes="chart-label")
                yield Sparkline([0], id="enrollments-line")
                yield Label(id="completions-label", classes="chart-label")
                yield Sparkline([0], id="completions-line")
                yield Label("Quiz scores: learners by mean best %", classes="chart-label")
                yield Static(id="score-bars")
                yield Label("Ratings (stars)", classes="chart-label")
                yield Static(id="rating-bars")
            with Vertical(id="board"):
                yield Label(id="board-title", classes="heading")
                yield DataTable(id="leaderboard", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="export-row"):
            yield Label(id="export-line")
            yield ProgressBar(id="export-progress", show_eta=False)

    def on_mount(self) -> None:
        self.query_one("#export-row").display = False
        super().on_mount()

    async def load(self) -> None:
        app = self.instructor_app
        courses = await app.call(app.client.list_courses)
        self.courses = [(c["id"], str(c["attributes"]["title"])) for c in courses]
        if self.course_id not in dict(self.courses):
            self.course_id = self.courses[0][0] if self.courses else None
        self._show_bar()
        if self.course_id is None:
            self.query_one("#course-figures", Static).update("No courses yet.")
            return
        # The three calls go out together (each runs in its own thread).
        analytics, scores, _ = await asyncio.gather(
            app.call(app.client.course_analytics, self.course_id, period=self.period),
            app.call(app.client.leaderboard, scope="course", course_id=self.course_id, metric="score", limit=100),
            self.load_board())
        self.analytics = analytics
        self._show_charts(analytics)
        self.query_one("#score-bars", Static).update(bars(score_spread([e["value"] for e in scores["entries"]])))

    async def load_board(self) -> None:
        app = self.instructor_app
        self.board = await app.call(app.client.leaderboard, scope="course", course_id=self.course_id,
                                    metric=self.metric, limit=50)
        board = self.board
        self.query_one("#board-title", Label).update(f"Leaderboard · {self.metric} ({board['unit']})")
        table = self.query_one("#leaderboard", DataTable)
        table.clear(columns=True)
        table.add_columns("#", "Learner", board["unit"])
        table.add_rows([(str(e["rank"]), e["display_name"] or e["user_id"], f"{e['value']:g}")
                        for e in board["entries"]])
        if not board["entries"]:
            table.add_row("", "Nobody yet", "")

    def _show_bar(self) -> None:
        title = dict(self.courses).get(self.course_id or "", "no course")
        self.query_one("#report-bar", Static).update(f"{title} · period {self.period} · ranking by {self.metric}")

    def _show_charts(self, data: dict[str, Any]) -> None:
        self.query_one("#course-figures", Static).update(figures(data))
        timeline = data["timeline"]
        for name in ("enrollments", "completions"):
            per_day = [float(day[name]) for day in timeline]
            self.query_one(f"#{name}-line", Sparkline).data = per_day or [0]
            self.query_one(f"#{name}-label", Label).update(
                f"{name.capitalize()} per day: {sum(per_day):g} in {len(per_day)} days, peak {max(per_day or [0]):g}")
        ratings = (data["metrics"].get("ratings") or {}).get("distribution") or {}
        self.query_one("#rating-bars", Static).update(bars([(f"{stars}★", n) for stars, n in ratings.items()]))

    # -- choosing what to show ---------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.reload()

    @work(group="choose")
    async def action_choose_course(self) -> None:
        chosen = await self.app.push_screen_wait(Picker("Reports of the course", self.courses))
        if chosen:
            self.course_id = chosen
            self.reload()

    def action_next_period(self) -> None:
        self.period = PERIODS[(PERIODS.index(self.period) + 1) % len(PERIODS)]
        self.reload()

    @work(exclusive=True, group="board")
    async def action_next_metric(self) -> None:
        self.metric = METRICS[(METRICS.index(self.metric) + 1) % len(METRICS)]
        self._show_bar()
        if self.course_id is not None:
            try:
                await self.load_board()
            except ApiError:
                pass

    # -- a learner's report ------------------------------------------------------------------------

    @work(group="learner")
    async def action_learner_report(self) -> None:
        app = self.instructor_app
        try:
            users = await app.call(app.client.list_users, role="learner")
        except ApiError:
            return
        names = {u["id"]: str(u["attributes"]["display_name"]) for u in users}
        chosen = await app.push_screen_wait(Picker("Report of the learner",
                                                   [(uid, f"{name} ({uid})") for uid, name in names.items()]))
        if chosen:
            await self.show_learner(chosen, names.get(chosen, chosen))

    async def show_learner(self, user_id: str, name: str) -> None:
        app = self.instructor_app
        try:
            report = await app.call(app.client.user_analytics, user_id, period=self.period)
        except ApiError:
            return
        await app.push_screen(LearnerReport(name, report))

    @on(DataTable.RowSelected, "#leaderboard")
    async def _board_row(self, event: DataTable.RowSelected) -> None:
        entries = (self.board or {}).get("entries") or []
        if 0 <= event.cursor_row < len(entries):
            entry = entries[event.cursor_row]
            await self.show_learner(entry["user_id"], entry["display_name"] or entry["user_id"])

    # -- the CSV export ----------------------------------------------------------------------------

    @work(group="export")
    async def action_export(self) -> None:
        if self.course_id is None:
            self.notify("There is no course to export.", severity="warning")
            return
        course_id, title = self.course_id, dict(self.courses).get(self.course_id, self.course_id)
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or course_id
        target = await self.app.push_screen_wait(SavePath("Save the course's CSV report to",
                                                          Path.home() / f"report-{slug}.csv"))
        if target is None:
            return
        row, line = self.query_one("#export-row"), self.query_one("#export-line", Label)
        progress = self.query_one("#export-progress", ProgressBar)
        row.display = True
        progress.update(total=None, progress=0)
        line.update(f"Exporting {title}…")

        shown = [0]

        def written(size: int) -> None:  # called from the download's thread, after each chunk
            if size - shown[0] >= 64 * 1024:  # a new line every 64 KB is plenty
                shown[0] = size
                self.app.call_from_thread(line.update, f"Exporting {title}: {size / 1024:.0f} KB")

        app = self.instructor_app
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            size = await app.call(app.client.save_course_report, course_id, target, progress=written)
        except ApiError:
            line.update("Export failed (see the message).")
            return
        except OSError as error:
            line.update(f"Not saved: {error}")
            return
        progress.update(total=max(size, 1), progress=max(size, 1))
        line.update(f"Saved {size / 1024:.1f} KB to {target}")
        self.last_export = target
        self.notify(f"Report saved to {target}")
