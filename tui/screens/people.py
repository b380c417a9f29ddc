"""People: learners and instructors, searched as you type, and what an instructor does with them.

The list is searched on the server (`search=`, debounced) and shown a page at a time: the first
page at once, the rest by a worker, so 5,000 learners never hold the screen up. Marked rows
(space) are the selection that bulk enrollment and PIN cards work on; marks survive a new search.
Forms and pickers are modals of this module; long work (roster import, bulk enrollment, PIN
cards) runs in workers with a progress bar.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import (
    Button,
    DataTable,
    DirectoryTree,
    Footer,
    Input,
    Label,
    OptionList,
    ProgressBar,
    Select,
    Static,
)
from textual.widgets.option_list import Option

from client import ApiError
from client.types import BulkOutcome, Resource, Role
from tui.pin_cards import Card, write_pin_cards
from tui.screens.base import BaseScreen
from tui.screens.confirm import Confirm

if TYPE_CHECKING:
    from tui.app import InstructorApp

PAGE_SIZE = 200
BULK_CHUNK = 50  # learners per bulk-enrollment call: the progress bar moves between calls
SEARCH_DELAY = 0.25  # seconds of no typing before the server is asked
ROLES: tuple[Role | None, ...] = (None, "learner", "instructor", "admin")
COLUMNS = (("", "mark"), ("Name", "name"), ("ID", "id"), ("Email", "email"), ("Role", "role"),
           ("Sign-in", "sign_in"), ("Status", "status"))
USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@:-]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
PIN = re.compile(r"^[0-9]{4,8}$")


def random_pin() -> str:
    return f"{secrets.randbelow(10_000):04d}"


def _name(person: Resource) -> str:
    return str(person["attributes"]["display_name"])


def _cells(person: Resource, marked: bool) -> tuple[str, ...]:
    a = person["attributes"]
    return ("●" if marked else "", a["display_name"], person["id"], a.get("email") or "", a["role"],
            a.get("sign_in") or "—", "active" if a["active"] else "deactivated")


# -- modals ---------------------------------------------------------------------------------------

class PersonForm(ModalScreen[Resource | None]):
    """Create (no person given) or edit one person. `save` makes the API call and answers the
    saved resource, or None after an API error (already shown), so the form stays open."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, person: Resource | None,
                 save: Callable[[dict[str, Any]], Awaitable[Resource | None]]) -> None:
        super().__init__()
        self.person, self.save = person, save

    def compose(self) -> ComposeResult:
        a = self.person["attributes"] if self.person else {}
        with Vertical(classes="dialog form person-form"):
            yield Label(f"Edit {a['display_name']} ({self.person['id']})" if self.person else "New person",
                        classes="title")
            with Horizontal(classes="field"):
                yield Label("Name", classes="label")
                yield Input(a.get("display_name", ""), id="display_name", compact=True)
            if self.person is None:
                with Horizontal(classes="field"):
                    yield Label("ID", classes="label")
                    yield Input(placeholder="roster number; blank: made up", id="id", compact=True)
            with Horizontal(classes="field"):
                yield Label("Email", classes="label")
                yield Input(a.get("email") or "", placeholder="optional", id="email", compact=True)
            with Horizontal(classes="field"):
                yield Label("Role", classes="label")
                yield Select([(r, r) for r in ROLES if r], value=a.get("role", "learner"), allow_blank=False,
                             id="role", compact=True)
            if self.person is None:
                with Horizontal(classes="field"):
                    yield Label("PIN", classes="label")
                    yield Input(placeholder="4 to 8 digits; optional", id="pin", compact=True)
            yield Label("", id="form-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    def _text(self, field: str) -> str:
        found = self.query(f"#{field}").results(Input)
        return next((i.value.strip() for i in found), "")

    def values(self) -> dict[str, Any] | None:
        """What to send, or None after saying which field is wrong and why."""
        name, user_id, email, pin = (self._text(f) for f in ("display_name", "id", "email", "pin"))
        problem = ("display_name", "Name: required.") if not name else \
            ("id", "ID: letters, digits and _ . @ : - only, starting with a letter or digit.") \
            if user_id and not USER_ID.match(user_id) else \
            ("email", "Email: it needs the shape name@place.") if email and not EMAIL.match(email) else \
            ("pin", "PIN: 4 to 8 digits.") if pin and not PIN.match(pin) else None
        if problem:
            self.query_one("#form-error", Label).update(problem[1])
            self.query_one(f"#{problem[0]}").focus()
            return None
        values: dict[str, Any] = {"display_name": name, "email": email or None,
                                  "role": self.query_one("#role", Select).value}
        if self.person is None:
            values.update({k: v for k, v in (("id", user_id), ("pin", pin)) if v})
        return values

    async def action_save(self) -> None:
        values = self.values()
        if values is not None and (saved := await self.save(values)) is not None:
            self.dismiss(saved)

    async def on_input_submitted(self) -> None:
        await self.action_save()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            await self.action_save()
        else:
            self.dismiss(None)


class PinForm(ModalScreen[str | None]):
    """A new PIN for one person: a random one is suggested; Enter sets it."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, person: Resource) -> None:
        super().__init__()
        self.person = person

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form person-form"):
            yield Label(f"New PIN for {_name(self.person)}", classes="title")
            yield Label("4 to 8 digits. They sign in with their name and this PIN; the old PIN or "
                        "password stops working.", classes="hint")
            with Horizontal(classes="field"):
                yield Label("PIN", classes="label")
                yield Input(random_pin(), id="pin", compact=True)
            yield Label("", id="form-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Set PIN", variant="primary", id="set", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    def _submit(self) -> None:
        pin = self.query_one("#pin", Input).value.strip()
        if not PIN.match(pin):
            self.query_one("#form-error", Label).update("PIN: 4 to 8 digits.")
            return
        self.dismiss(pin)

    def on_input_submitted(self) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "set":
            self._submit()
        else:
            self.dismiss(None)


class FilePicker(ModalScreen[Path | None]):
    """A path typed, or a file chosen in the tree (which fills the path in)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, start: Path, *, must_exist: bool, suggestion: str = "") -> None:
        super().__init__()
        self.title_text, self.start, self.must_exist, self.suggestion = title, start, must_exist, suggestion

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(self.title_text, classes="title")
            yield Input(str(self.start / self.suggestion) if self.suggestion else str(self.start) + "/", id="path",
                        compact=True)
            yield Label("", id="form-error", classes="error")
            yield DirectoryTree(self.start, id="tree")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        field = self.query_one("#path", Input)
        field.value = str(event.path) if self.must_exist else str(event.path.parent / Path(field.value).name)
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        if not event.value.strip() or (self.must_exist and not path.is_file()) or path.is_dir():
            self.query_one("#form-error", Label).update("Path: no such file." if self.must_exist
                                                        else "Path: give a file name, not a folder.")
            return
        self.dismiss(path)


class CoursePicker(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, courses: list[Resource]) -> None:
        super().__init__()
        self.title_text, self.courses = title, courses

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="title")
            yield OptionList(*(Option(f"{c['attributes']['title']}  ({c['attributes']['status']})", id=c["id"])
                               for c in self.courses))
        yield Footer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class Report(ModalScreen[None]):
    """What a long action did: a summary line and one row per item (a roster's bad rows, each
    learner's enrollment outcome)."""

    BINDINGS = [Binding("escape,enter", "dismiss(None)", "Close")]

    def __init__(self, title: str, summary: str, columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> None:
        super().__init__()
        self.title_text, self.summary, self.columns, self.rows = title, summary, columns, list(rows)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="report"):
            yield Label(self.title_text, classes="title")
            yield Static(self.summary, id="summary")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="report-rows")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*self.columns)
        table.add_rows(self.rows)
        table.display = bool(self.rows)
        table.focus()


class PersonDetail(ModalScreen[None]):
    """One person: who they are, their sign-in pause (lift it), and their enrollments (cancel one)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close"), Binding("x", "cancel_enrollment", "Cancel enrollment"),
                Binding("l", "lift_pause", "Lift pause")]

    def __init__(self, person: Resource) -> None:
        super().__init__()
        self.person = person
        self.enrollments: list[Resource] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="person"):
            yield Label(f"{_name(self.person)} ({self.person['id']})", classes="title")
            yield Static(id="person-facts")
            yield Static("Sign-in pause: …", id="pause")
            yield Label("Enrollments", classes="heading")
            yield DataTable(cursor_type="row", zebra_stripes=True, id="enrollments")
        yield Footer()

    @property
    def _app(self) -> InstructorApp:
        return cast("InstructorApp", self.app)

    def on_mount(self) -> None:
        a = self.person["attributes"]
        self.query_one("#person-facts", Static).update(
            f"{a['role']} · {a.get('email') or 'no email'} · signs in with {a.get('sign_in') or 'nothing set'} · "
            + ("active" if a["active"] else f"deactivated {str(a['deactivated_at'])[:10]}"))
        self.query_one("#enrollments", DataTable).add_columns("Course", "Status", "Progress", "Enrolled")
        self.load()

    @work(exclusive=True, group="person")
    async def load(self) -> None:
        app = self._app
        try:
            pause, enrollments, courses = await asyncio.gather(
                app.call(app.client.signin_pause, self.person["id"]),
                app.call(app.client.list_enrollments, user_id=self.person["id"]),
                app.call(app.client.list_courses))
        except ApiError:
            return
        left = pause["attributes"]["seconds_left"]
        self.query_one("#pause", Static).update(
            f"Sign-in pause: paused for {left} s after {pause['attributes']['failures']} wrong PINs (l lifts it)"
            if left else f"Sign-in pause: none ({pause['attributes']['failures']} wrong PINs lately)")
        titles = {c["id"]: c["attributes"]["title"] for c in courses}
        self.enrollments = enrollments
        table = self.query_one("#enrollments", DataTable)
        table.clear()
        for e in enrollments:
            a = e["attributes"]
            table.add_row(titles.get(a["course_id"], a["course_id"]), a["status"], f"{a['progress_percent']}%",
                          str(a["enrolled_at"])[:10], key=e["id"])
        if not enrollments:
            table.add_row("Not enrolled in any course", "", "", "")
        table.focus()

    def _current(self) -> Resource | None:
        table = self.query_one("#enrollments", DataTable)
        if not self.enrollments or table.cursor_row < 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((e for e in self.enrollments if e["id"] == key), None)

    @work(group="person-action")
    async def action_cancel_enrollment(self) -> None:
        enrollment, app = self._current(), self._app
        if enrollment is None or enrollment["attributes"]["status"] == "cancelled":
            self.notify("Choose an enrollment that is not cancelled.", severity="warning")
            return
        course = self.query_one("#enrollments", DataTable).get_row(enrollment["id"])[0]
        if not await app.push_screen_wait(Confirm(f"Cancel {_name(self.person)}'s enrollment in {course}? "
                                                  "Their progress is kept.", yes="Cancel enrollment", no="Keep")):
            return
        try:
            await app.call(app.client.cancel_enrollment, enrollment["id"])
        except ApiError:
            return
        self.notify(f"Cancelled: {course}")
        self.load()

    @work(group="person-action")
    async def action_lift_pause(self) -> None:
        app = self._app
        try:
            await app.call(app.client.lift_signin_pause, self.person["id"])
        except ApiError:
            return
        self.notify(f"{_name(self.person)} may sign in again at once.")
        self.load()


# -- the screen -----------------------------------------------------------------------------------

class PeopleScreen(BaseScreen):
    TITLE_TEXT = "People"
    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("space", "mark", "Mark"),
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("p", "pin", "PIN"),
        Binding("b", "enroll", "Enroll"),
        Binding("i", "import_roster", "Import"),
        Binding("k", "pin_cards", "PIN cards"),
        Binding("x", "toggle_active", "Deactivate/reactivate"),
        Binding("enter", "details", "Details", show=False),
        Binding("f", "role_filter", "Role filter", show=False),
        Binding("a", "mark_all", "Mark all/none", show=False),
        Binding("escape", "leave_search", "Back to the list", show=False),
    ]
    HELP_KEYS = [
        ("type after /", "search names, emails and ids on the server as you type; Enter or Esc back to the list"),
        ("Enter (details)", "x cancels the enrollment under the cursor, l lifts a wrong-PIN pause"),
        ("b / k", "work on the marked people; k with none marked asks for a course"),
    ]
    PALETTE = [("People: import a roster CSV", "People", "import_roster"), ("People: new person", "People", "new"),
               ("People: print PIN cards", "People", "pin_cards")]

    def __init__(self) -> None:
        super().__init__()
        self.people: dict[str, Resource] = {}  # every person fetched so far, by id (names for reports and cards)
        self.shown: list[str] = []
        self.total = 0
        self.marked: set[str] = set()
        self.role: Role | None = None
        self.search_text = ""
        self.generation = 0  # a new search makes the pages still coming for the old one stale
        self.pending: str | None = None  # show_person before its row was loaded
        self._typing: Timer | None = None

    def body(self) -> ComposeResult:
        with Horizontal(id="people-bar"):
            yield Input(placeholder="/ search: name, email or id", id="search", compact=True)
            yield Static("role: all (f)", id="role-filter")
        yield DataTable(id="people", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="people-progress"):
            yield Label("", id="progress-label")
            yield ProgressBar(id="progress", show_eta=False)
        yield Static("", id="people-status")

    def on_mount(self) -> None:
        table = self.query_one("#people", DataTable)
        for label, key in COLUMNS:
            table.add_column(label, key=key, width=1 if key == "mark" else None)
        self.query_one("#people-progress").display = False
        table.focus()
        super().on_mount()

    # -- the list ----------------------------------------------------------------------------------

    def _query(self) -> dict[str, Any]:
        return {"role": self.role, "search": self.search_text or None, "per_page": PAGE_SIZE}

    async def load(self) -> None:
        app = self.instructor_app
        self.generation += 1
        generation = self.generation
        rows, meta = await app.call(app.client.users_page, page=1, **self._query())
        if generation != self.generation:
            return
        table = self.query_one("#people", DataTable)
        table.clear()
        self.shown = []
        self.total = int(meta.get("total", len(rows)))
        self._add(rows)
        if self.pending in self.people and self.pending in self.shown:
            table.move_cursor(row=self.shown.index(self.pending))
            self.pending = None
        self.load_rest(generation)

    @work(exclusive=True, group="people-rest")
    async def load_rest(self, generation: int) -> None:
        """The pages after the first, added as they come, until the list is whole or a new search."""
        app, page = self.instructor_app, 1
        while len(self.shown) < self.total and generation == self.generation:
            page += 1
            try:
                rows, _meta = await app.call(app.client.users_page, page=page, **self._query())
            except ApiError:
                return
            if not rows or generation != self.generation:
                return
            self._add(rows)

    def _add(self, rows: list[Resource]) -> None:
        table = self.query_one("#people", DataTable)
        known = set(self.shown)
        fresh = [r for r in rows if r["id"] not in known]
        for person in fresh:  # one synchronous batch, like add_rows, but keyed by the user id
            self.people[person["id"]] = person
            table.add_row(*_cells(person, person["id"] in self.marked), key=person["id"])
        self.shown += [r["id"] for r in fresh]
        self._status()

    def _put(self, person: Resource) -> None:
        """A person as the server now has them: their row (if shown) follows."""
        self.people[person["id"]] = person
        if person["id"] in self.shown:
            table = self.query_one("#people", DataTable)
            for (_label, column), value in zip(COLUMNS, _cells(person, person["id"] in self.marked), strict=True):
                table.update_cell(person["id"], column, value)
        self._status()

    def _status(self) -> None:
        loaded = f"{len(self.shown):,} of {self.total:,}" if len(self.shown) < self.total else f"{self.total:,}"
        what = "people" if self.role is None else f"{self.role}s"
        found = f" matching “{self.search_text}”" if self.search_text else ""
        marked = f" · {len(self.marked)} marked (b enroll, k PIN cards)" if self.marked else " · space marks"
        self.query_one("#people-status", Static).update(f"{loaded} {what}{found}{marked}")

    def _current(self) -> Resource | None:
        table = self.query_one("#people", DataTable)
        if not self.shown or table.cursor_row < 0:
            return None
        return self.people.get(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    def show_person(self, user_id: str) -> None:
        """Select this person (the command palette and the dashboard call it) and open their details."""
        if user_id in self.shown:
            self.query_one("#people", DataTable).move_cursor(row=self.shown.index(user_id))
        else:
            self.pending = user_id
        self._open_person(user_id)

    @work(group="open-person")
    async def _open_person(self, user_id: str) -> None:
        app = self.instructor_app
        try:
            person = await app.call(app.client.get_user, user_id)
        except ApiError:
            return
        self.people[user_id] = person
        self.app.push_screen(PersonDetail(person))

    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        self.search_text = event.value.strip()
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(SEARCH_DELAY, self.reload)

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one("#people", DataTable).focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_leave_search(self) -> None:
        self.query_one("#people", DataTable).focus()

    def action_role_filter(self) -> None:
        self.role = ROLES[(ROLES.index(self.role) + 1) % len(ROLES)]
        self.query_one("#role-filter", Static).update(f"role: {self.role or 'all'} (f)")
        self.reload()

    # -- marks -------------------------------------------------------------------------------------

    def _set_mark(self, user_id: str, marked: bool) -> None:
        (self.marked.add if marked else self.marked.discard)(user_id)
        if user_id in self.shown:
            self.query_one("#people", DataTable).update_cell(user_id, "mark", "●" if marked else "")

    def action_mark(self) -> None:
        person = self._current()
        if person is None:
            return
        self._set_mark(person["id"], person["id"] not in self.marked)
        self.query_one("#people", DataTable).action_cursor_down()
        self._status()

    def action_mark_all(self) -> None:
        everyone = not set(self.shown) <= self.marked
        for user_id in self.shown:
            self._set_mark(user_id, everyone)
        self._status()

    def _selection(self) -> list[Resource]:
        """The marked people, else the one under the cursor."""
        if self.marked:
            return [self.people[i] for i in sorted(self.marked, key=lambda i: _name(self.people[i]).lower())]
        current = self._current()
        return [current] if current else []

    # -- one person --------------------------------------------------------------------------------

    async def _save(self, call: Callable[..., Resource], *args: Any, **values: Any) -> Resource | None:
        try:
            person = await self.instructor_app.call(call, *args, **values)
        except ApiError:
            return None
        return person

    def action_new(self) -> None:
        async def create(values: dict[str, Any]) -> Resource | None:
            return await self._save(self.instructor_app.client.create_user, **values)

        def created(person: Resource | None) -> None:
            if person is not None:
                self.notify(f"Created {_name(person)} ({person['id']})")
                self.total += 1
                self._add([person])
                self.query_one("#people", DataTable).move_cursor(row=self.shown.index(person["id"]))

        self.app.push_screen(PersonForm(None, create), created)

    def action_edit(self) -> None:
        person = self._current()
        if person is None:
            return

        async def update(values: dict[str, Any]) -> Resource | None:
            return await self._save(self.instructor_app.client.update_user, person["id"], **values)

        def updated(saved: Resource | None) -> None:
            if saved is not None:
                self._put(saved)
                self.notify(f"Saved {_name(saved)}")

        self.app.push_screen(PersonForm(person, update), updated)

    @work(group="person-action")
    async def action_toggle_active(self) -> None:
        person, app = self._current(), self.instructor_app
        if person is None:
            return
        if person["attributes"]["active"]:
            if not await app.push_screen_wait(Confirm(f"Deactivate {_name(person)}? They can no longer sign in; "
                                                      "their records are kept.", yes="Deactivate")):
                return
            saved = await self._save(app.client.update_user, person["id"], active=False)
        else:
            saved = await self._save(app.client.update_user, person["id"], active=True)
        if saved is not None:
            self._put(saved)
            self.notify(f"{_name(saved)}: {'reactivated' if saved['attributes']['active'] else 'deactivated'}")

    @work(group="person-action")
    async def action_pin(self) -> None:
        person, app = self._current(), self.instructor_app
        if person is None:
            return
        pin = await app.push_screen_wait(PinForm(person))
        if pin is None:
            return
        saved = await self._save(app.client.update_user, person["id"], pin=pin)
        if saved is not None:
            self._put(saved)
            self.notify(f"{_name(saved)} now signs in with PIN {pin}", title="PIN set", timeout=15)

    def action_details(self) -> None:
        if (person := self._current()) is not None:
            self.app.push_screen(PersonDetail(person))

    async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "people":
            self.action_details()

    # -- long work ---------------------------------------------------------------------------------

    def _progress(self, label: str, total: float | None = None) -> None:
        self.query_one("#people-progress").display = True
        self.query_one("#progress-label", Label).update(label)
        self.query_one("#progress", ProgressBar).update(total=total, progress=0)

    def _advance(self, steps: float = 1) -> None:
        self.query_one("#progress", ProgressBar).advance(steps)

    def _progress_done(self) -> None:
        self.query_one("#people-progress").display = False

    @work(group="roster", exclusive=True)
    async def action_import_roster(self) -> None:
        app = self.instructor_app
        path = await app.push_screen_wait(FilePicker("Import a roster CSV (id, display_name, email, role, pin, …)",
                                                     Path.cwd(), must_exist=True))
        if path is None:
            return
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            self.notify(f"{path}: {error}", title="Not read", severity="error")
            return
        self._progress(f"Importing {path.name}…")
        try:
            result = await app.call(app.client.import_roster, text)
        except ApiError:
            return
        finally:
            self._progress_done()
        summary = (f"{result['created']} created, {result['updated']} updated, {result['unchanged']} unchanged, "
                   f"{len(result['errors'])} rows with problems" + (" (below; fix them and import again)"
                                                                     if result["errors"] else "."))
        app.push_screen(Report(f"Roster {path.name}", summary, ("Row", "Field", "Problem"),
                               ((str(e["row"]), str(e["field"]), str(e["message"])) for e in result["errors"])))
        self.reload()

    async def _pick_course(self, title: str) -> str | None:
        app = self.instructor_app
        try:
            courses = await app.call(app.client.list_courses)
        except ApiError:
            return None
        if not courses:
            self.notify("There is no course yet.", severity="warning")
            return None
        return await app.push_screen_wait(CoursePicker(title, courses))

    @work(group="enroll", exclusive=True)
    async def action_enroll(self) -> None:
        app, people = self.instructor_app, self._selection()
        if not people:
            return
        course_id = await self._pick_course(f"Enroll {len(people)} "
                                            + ("people" if len(people) > 1 else _name(people[0])) + " into")
        if course_id is None:
            return
        self._progress(f"Enrolling {len(people)}…", total=len(people))
        outcomes: list[BulkOutcome] = []
        try:
            for start in range(0, len(people), BULK_CHUNK):
                chunk = [p["id"] for p in people[start:start + BULK_CHUNK]]
                result = await app.call(app.client.bulk_enroll, course_id, chunk)
                outcomes += result["results"]
                self._advance(len(chunk))
        except ApiError:
            pass  # shown; what was done so far is reported below
        finally:
            self._progress_done()
        enrolled = sum(o["outcome"] == "enrolled" for o in outcomes)
        already = sum(o["outcome"] == "already_enrolled" for o in outcomes)
        failed = [o for o in outcomes if o["outcome"] == "error"]
        summary = f"{enrolled} enrolled, {already} already enrolled, {len(failed)} not enrolled" + \
            (f", {len(people) - len(outcomes)} not tried (the server stopped answering)"
             if len(outcomes) < len(people) else "")
        app.push_screen(Report("Enrollment", summary, ("Learner", "Outcome", "Why"), (
            (_name(self.people[o["user_id"]]) if o["user_id"] in self.people else o["user_id"],
             o["outcome"].replace("_", " "), (o.get("error") or {}).get("detail", "")) for o in outcomes)))
        if outcomes and not failed:
            for person in people:
                self._set_mark(person["id"], False)
            self._status()

    async def _course_learners(self) -> list[Resource]:
        app = self.instructor_app
        course_id = await self._pick_course("PIN cards for the learners enrolled in")
        if course_id is None:
            return []
        try:
            enrollments = await app.call(app.client.list_enrollments, course_id=course_id, status="active")
            missing = [e["attributes"]["user_id"] for e in enrollments if e["attributes"]["user_id"] not in self.people]
            for person in await asyncio.gather(*(app.call(app.client.get_user, i) for i in missing)):
                self.people[person["id"]] = person
        except ApiError:
            return []
        return sorted((self.people[e["attributes"]["user_id"]] for e in enrollments), key=lambda p: _name(p).lower())

    @work(group="cards", exclusive=True)
    async def action_pin_cards(self) -> None:
        app = self.instructor_app
        chosen = self._selection() if self.marked else await self._course_learners()
        learners = [p for p in chosen if p["attributes"]["active"]]
        if not learners:
            self.notify("Mark the learners (space), or choose a course with active learners.", severity="warning")
            return
        path = await app.push_screen_wait(FilePicker(f"Write PIN cards for {len(learners)} learners to",
                                                     Path.cwd(), must_exist=False, suggestion="pin-cards.pdf"))
        if path is None:
            return
        if not await app.push_screen_wait(Confirm(
                f"Give {len(learners)} learners a new random PIN and write their cards to {path}? "
                "Their current PINs and passwords stop working.", yes="Replace PINs")):
            return
        self._progress(f"Setting {len(learners)} PINs…", total=len(learners))
        cards: list[Card] = []
        try:
            for person in learners:
                pin = random_pin()
                self._put(await app.call(app.client.update_user, person["id"], pin=pin))
                cards.append(Card(_name(person), pin, person["id"]))
                self._advance()
        except ApiError:
            pass  # the PINs set so far are changed: their cards are still written
        finally:
            self._progress_done()
        if not cards:
            return
        try:
            pages = await asyncio.to_thread(write_pin_cards, path, cards, organisation=app.target.app_id,
                                            url=app.target.join_url)
        except OSError as error:
            self.notify(f"{path}: {error}. The new PINs are set: print the cards again.", title="Not written",
                        severity="error", timeout=15)
            return
        missed = len(learners) - len(cards)
        self.notify(f"{len(cards)} PIN cards ({pages} pages) in {path}"
                    + (f"; {missed} learners were not changed" if missed else ""), title="PIN cards", timeout=10)
