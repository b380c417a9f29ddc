"""The grading queue: one item fills the screen, the score field has the focus, `ctrl+s` saves and
opens the next one.

What is typed is a draft on disk from the first key (tui/drafts.py) until the server has the grade,
so moving on, quitting, a crash or a failed save never loses a comment. Items are fetched whole
(tui/grading.py) and the next one is fetched while the current one is being graded, so moving on
does not wait for the server.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static, TextArea

from client import ApiError
from client.types import Resource
from tui import grading
from tui.drafts import Draft
from tui.grading import GradeError, Item
from tui.screens.base import BaseScreen
from tui.viewer import launch, viewer
from tui.widgets.pickers import Picker, SavePath
from tui.widgets.score import ScoreInput


def _when(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")


class GradeRow(Horizontal):
    """One line of the grade: what is scored, its field, the maximum and the criterion's description."""

    DEFAULT_CLASSES = "grade-row"

    def __init__(self) -> None:
        super().__init__()
        self.field = ScoreInput(1)

    def compose(self) -> ComposeResult:
        yield Label(classes="criterion")
        yield self.field
        yield Label(classes="max")
        yield Label(classes="description")

    def show(self, name: str, max_points: float, value: str, description: str | None, *,
             criterion: str | None) -> None:
        self.field.max_points, self.field.criterion, self.field.typed = max_points, criterion, False
        self.field.tooltip = f"0 to {grading.points_text(max_points)}"
        self.field.value = value
        self.field.cursor_position = len(value)
        labels = list(self.query(Label))
        labels[0].update(name)
        labels[1].update(f"/ {grading.points_text(max_points)}")
        labels[2].update(description or "")


class QueueList(ModalScreen[int | None]):
    """Every item of the queue in a table (virtual: a thousand rows scroll at once); Enter opens one."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Back")]

    def __init__(self, rows: list[Resource], current: int, drafts: set[str], graded: set[str]) -> None:
        super().__init__()
        self.rows, self.current, self.drafts, self.graded = rows, current, drafts, graded

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(f"Grading queue: {len(self.rows)} items, oldest first", classes="title")
            yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "", "Kind", "Learner", "Course", "Item", "Submitted")
        for number, row in enumerate(self.rows, 1):
            a = row["attributes"]
            mark = "✓" if row["id"] in self.graded else "✎" if row["id"] in self.drafts else ""
            table.add_row(str(number), mark, a["kind"], a["user_name"], a["course_title"], a["source_title"],
                          _when(a["submitted_at"]), key=str(number - 1))
        table.move_cursor(row=self.current)
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(int(event.row_key.value or 0))


class GradingScreen(BaseScreen):
    TITLE_TEXT = "Grading"
    BINDINGS = [
        Binding("ctrl+s", "save_next", "Save & next", priority=True),
        Binding("n", "move(1)", "Next"),
        Binding("p", "move(-1)", "Previous"),
        Binding("l", "queue", "Queue"),
        Binding("f", "filter", "Course"),
        Binding("o", "open_file", "Open file", show=False),
        Binding("w", "save_file", "Save file", show=False),
        Binding("escape", "leave_field", "Leave field", show=False),
    ]
    HELP_KEYS = [
        ("digits", "points in the focused score field; a full score moves to the next field"),
        ("Tab / Shift+Tab", "next / previous field (rubric criteria, then feedback)"),
        ("Esc", "leave the feedback box, so n / p / l / f work again"),
    ]
    PALETTE = [("Grade: choose a course", "Grading", "filter"), ("Grade: the whole queue", "Grading", "queue")]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Resource] = []
        self.total = 0
        self.index = 0
        self.course_id: str | None = None
        self.items: dict[str, Item] = {}
        self.graded: set[str] = set()
        self.item: Item | None = None

    def body(self) -> ComposeResult:
        yield Static(id="item-bar")
        with VerticalScroll(id="item-body"):
            yield Static(id="prompt")
            yield Static(id="answer")
            yield Static(id="history")
        with Vertical(id="grade-panel"):
            yield Horizontal(Label("", id="total", classes="total"), classes="grade-row", id="total-row")
        yield TextArea(id="feedback", soft_wrap=True, show_line_numbers=False, tab_behavior="focus",
                       placeholder="Feedback for the learner (optional); Esc leaves this box")

    # -- the queue ---------------------------------------------------------------------------------

    async def load(self) -> None:
        app = self.instructor_app
        current = self.item.id if self.item else None
        rows, meta = await app.call(grading.queue_page, app.client, course_id=self.course_id, per_page=100)
        self.rows, self.total = rows, int(meta.get("total", len(rows)))
        ids = [row["id"] for row in rows]
        self.index = ids.index(current) if current in ids else min(self.index, max(len(self.rows) - 1, 0))
        await self.show()
        self.fetch_rest(meta)

    @work(exclusive=True, group="queue-rest")
    async def fetch_rest(self, meta: dict[str, Any]) -> None:
        """The queue past its first page, while the first item is being graded."""
        app, page = self.instructor_app, 1
        while len(self.rows) < self.total:
            page += 1
            try:
                rows, meta = await app.call(grading.queue_page, app.client, course_id=self.course_id, page=page,
                                            per_page=100)
            except ApiError:
                return
            if not rows:
                return
            known = {r["id"] for r in self.rows}
            self.rows += [r for r in rows if r["id"] not in known]
            self._show_bar()

    async def fetch(self, index: int) -> Item:
        queued = self.rows[index]
        if (item := self.items.get(queued["id"])) is None:
            app = self.instructor_app
            item = self.items[queued["id"]] = await app.call(grading.fetch_item, app.client, queued)
        return item

    @work(exclusive=True, group="prefetch")
    async def prefetch(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            try:
                await self.fetch(index)
            except ApiError:
                pass

    # -- showing an item ---------------------------------------------------------------------------

    async def show(self) -> None:
        feedback = self.query_one("#feedback", TextArea)
        if not self.rows:
            self.item = None
            await self._rows_for(0)
            self.query_one("#total-row").display = False
            self.query_one("#item-bar", Static).update("Nothing waits for grading"
                                                       + (" in this course." if self.course_id else "."))
            for part in ("#prompt", "#answer", "#history"):
                self.query_one(part, Static).update("")
            feedback.display = False
            return
        item = await self.fetch(self.index)
        self.item = item
        draft = item.graded or self.instructor_app.drafts.load(item.id) or {}
        self.query_one("#prompt", Static).update(self._prompt(item))
        self.query_one("#answer", Static).update(self._answer(item))
        self.query_one("#history", Static).update(Text("Attempts: " + " | ".join(item.history), style="dim")
                                                  if item.history else "")
        self.query_one("#item-body", VerticalScroll).scroll_home(animate=False)
        typed = draft.get("scores") or {}
        rows = await self._rows_for(max(len(item.criteria), 1))
        if item.criteria:
            for row, criterion in zip(rows, item.criteria):
                row.show(criterion.name, criterion.max_points, str(typed.get(criterion.name) or ""),
                         criterion.description, criterion=criterion.name)
        else:
            rows[0].show("Score", item.max_points, str(draft.get("score") or ""), None, criterion=None)
        feedback.display = True
        feedback.load_text(draft.get("feedback") or "")
        self._show_bar()
        self._show_total()
        rows[0].field.focus()
        self.prefetch(self.index + 1)

    @property
    def fields(self) -> list[ScoreInput]:
        """The score fields of the item on the screen."""
        return [row.field for row in self.query(GradeRow) if row.display]

    async def _rows_for(self, count: int) -> list[GradeRow]:
        """`count` rows shown, the others hidden: rows are kept and refilled, not mounted anew for
        each item (mounting is most of the time it takes to move on)."""
        panel = self.query_one("#grade-panel", Vertical)
        rows = list(panel.query(GradeRow))
        if len(rows) < count:
            extra = [GradeRow() for _ in range(count - len(rows))]
            await panel.mount_all(extra, before=self.query_one("#total-row"))
            rows += extra
        for number, row in enumerate(rows):
            row.display = number < count
        return rows[:count]

    def _prompt(self, item: Item) -> Text:
        text = Text()
        text.append("Question\n" if item.kind == "essay" else "Instructions\n", style="bold")
        text.append(item.prompt)
        if item.guidance:
            text.append("\nMarking guide: ", style="bold")
            text.append(item.guidance)
        return text

    def _answer(self, item: Item) -> Text:
        text = Text()
        text.append("Answer\n", style="bold")
        text.append(item.answer or ("" if item.file else "(no answer)"))
        if file := item.file:
            size = f"{file.size_bytes / 1024:.0f} KB" if file.size_bytes >= 1024 else f"{file.size_bytes} B"
            text.append(f"\nFile: {file.filename} ({file.content_type}, {size})", style="bold")
            if file.text is not None:
                text.append("\n" + file.text)
            else:
                text.append("  o: open in the system viewer · w: save it to a folder", style="dim")
        return text

    def _show_bar(self) -> None:
        if self.item is None or not self.rows:
            return
        item, a = self.item, self.item.queued
        parts = [f"{self.index + 1} of {max(self.total, len(self.rows))}", a["user_name"], a["course_title"],
                 a["source_title"], f"submitted {_when(a['submitted_at'])}", f"attempt {a['attempt_number']}"]
        if a.get("late"):
            parts.append(f"LATE −{grading.points_text(item.late_penalty_percent)}%" if item.late_penalty_percent
                         else "LATE")
        if item.id in self.graded:
            parts.append("✓ saved")
        elif self.instructor_app.drafts.load(item.id) is not None:
            parts.append("✎ unsaved draft")
        self.query_one("#item-bar", Static).update(" · ".join(parts))

    def _show_total(self) -> None:
        if self.item is None or not self.item.criteria and self.item.late_penalty_percent == 0:
            self.query_one("#total-row").display = False
            return
        total = 0.0
        for field in self.fields:
            try:
                total += float(field.value)
            except ValueError:
                pass
        text = f"total {grading.points_text(total)} / {grading.points_text(self.item.max_points)}"
        if self.item.late_penalty_percent:
            final = round(total * (1 - self.item.late_penalty_percent / 100), 2)
            text += f", {grading.points_text(final)} after the late penalty"
        self.query_one("#total", Label).update(text)
        self.query_one("#total-row").display = True

    # -- drafts: every change is on disk at once ---------------------------------------------------

    def _draft(self) -> Draft:
        draft: Draft = {"feedback": self.query_one("#feedback", TextArea).text}
        for field in self.fields:
            if field.criterion is None:
                draft["score"] = field.value
            else:
                draft.setdefault("scores", {})[field.criterion] = field.value
        return draft

    def _keep_draft(self) -> None:
        if self.item is None or self.item.id in self.graded:
            return
        draft = self._draft()
        drafts = self.instructor_app.drafts
        typed = draft["feedback"].strip() or draft.get("score") or any((draft.get("scores") or {}).values())
        if typed:
            drafts.save(self.item.id, draft)
        elif drafts.load(self.item.id) is not None:
            drafts.discard(self.item.id)
        self._show_bar()

    @on(Input.Changed)
    def _score_changed(self, event: Input.Changed) -> None:
        field = event.input
        if not isinstance(field, ScoreInput):
            return
        self._keep_draft()
        self._show_total()
        if field.typed and field.complete:
            field.typed = False
            self.focus_next()

    @on(TextArea.Changed, "#feedback")
    def _feedback_changed(self) -> None:
        self._keep_draft()

    # -- actions -----------------------------------------------------------------------------------

    async def action_save_next(self) -> None:
        item = self.item
        if item is None:
            return
        draft = self._draft()
        self.instructor_app.drafts.save(item.id, draft)
        app = self.instructor_app
        try:
            await app.call(grading.save_grade, app.client, item, draft)
        except GradeError as error:
            self.notify(str(error), title="Not saved", severity="warning")
            self._focus_field(error.field)
            return
        except ApiError:
            self._show_bar()  # the draft stays on disk and the bar says so
            return
        app.drafts.discard(item.id)
        item.graded = draft
        self.graded.add(item.id)
        self.notify(f"Saved: {item.queued['user_name']}, {item.queued['source_title']}", timeout=2)
        following = [i for i in range(self.index + 1, len(self.rows)) if self.rows[i]["id"] not in self.graded]
        if following:
            self.index = following[0]
            await self.show()
        else:
            self._show_bar()
            self.notify("That was the last item waiting.", title="Queue done")

    async def action_move(self, step: int) -> None:
        if self.rows and 0 <= self.index + step < len(self.rows):
            self.index += step
            await self.show()

    def action_leave_field(self) -> None:
        self.set_focus(None)

    def action_queue(self) -> None:
        drafts = set(self.instructor_app.drafts.item_ids())

        async def opened(index: int | None) -> None:
            if index is not None:
                self.index = index
                await self.show()

        self.app.push_screen(QueueList(self.rows, self.index, drafts, self.graded), opened)

    @work(group="filter")
    async def action_filter(self) -> None:
        app = self.instructor_app
        try:
            courses = await app.call(app.client.list_courses)
        except ApiError:
            return
        chosen = await app.push_screen_wait(Picker("Grade the items of", [("", "All courses")] + [
            (c["id"], c["attributes"]["title"]) for c in courses]))
        if chosen is not None:
            self.course_id, self.index = chosen or None, 0
            self.reload()

    def _focus_field(self, name: str) -> None:
        for field in self.fields:
            if name == "score" and field.criterion is None or name == f"criterion:{field.criterion}":
                field.focus()

    def _file_name(self) -> str | None:
        if self.item is None or self.item.file is None:
            self.notify("This item has no file.", severity="warning")
            return None
        return self.item.file.filename

    async def _file_bytes(self) -> bytes | None:
        """The learner's file from the server; None when it could not be had (already said)."""
        if self.item is None:
            return None
        app = self.instructor_app
        try:
            return await app.call(app.client.download_submission_file, self.item.queued["submission_id"])
        except ApiError:
            return None

    @work(group="file")
    async def action_open_file(self) -> None:
        if (name := self._file_name()) is None or (data := await self._file_bytes()) is None:
            return
        path = Path(tempfile.mkdtemp(prefix="university-local-")) / name
        path.write_bytes(data)
        command = viewer()
        if command is None:
            self.notify(f"No viewer on this terminal; the file is at {path}", timeout=10)
            return
        launch(command, path)
        self.notify(f"Opened {name}")

    @work(group="file")
    async def action_save_file(self) -> None:
        if (name := self._file_name()) is None:
            return
        target = await self.app.push_screen_wait(SavePath("Save the learner's file to", Path.home() / name))
        if target is None or (data := await self._file_bytes()) is None:
            return
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as error:
            self.notify(str(error), title="Not saved", severity="error")
            return
        self.notify(f"Saved to {target}")
