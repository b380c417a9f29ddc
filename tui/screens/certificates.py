"""Certificates: every one issued, found by learner, course or number as you type; issue, revoke,
open or save the PDF, and verify a number or a scanned QR code's text with the server.

The list is fetched once per filter (course, status: the API filters those) and narrowed on this
side while typing, so a few thousand certificates filter without a round trip per key.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from client import ApiError
from client.certificates import Verification
from client.types import CertificateStatus, Resource
from tui.screens.base import BaseScreen
from tui.viewer import launch, viewer
from tui.widgets.pickers import Picker, SavePath

if TYPE_CHECKING:
    from tui.app import InstructorApp

STATUSES: list[CertificateStatus | None] = [None, "valid", "revoked"]


def certificate_number(pasted: str) -> str:
    """The number in what was pasted: the number itself, its verification URL, or a QR code's text
    (`<verification URL>#ulc1.<claims>.<signature>`)."""
    url = pasted.strip().split("#", 1)[0].rstrip("/")
    return url.rsplit("/", 1)[-1].strip().upper()


def _day(iso: str | None) -> str:
    return (iso or "")[:10]


# -- modals ---------------------------------------------------------------------------------------


class IssueForm(ModalScreen[tuple[str, str, str | None] | None]):
    """Learner + course (+ a reason to issue although they are not eligible yet). Answers
    (user_id, course_id, force_reason or None)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, learners: list[tuple[str, str]], courses: list[tuple[str, str]], *,
                 user_id: str | None = None, course_id: str | None = None, note: str = "") -> None:
        super().__init__()
        self.learners, self.courses = learners, courses
        self.user_id, self.course_id, self.note = user_id, course_id, note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Issue a certificate", classes="title")
            yield Select([(name, uid) for uid, name in self.learners], prompt="Learner (type to search)",
                         id="learner", value=self.user_id or Select.NULL)
            yield Select([(title, cid) for cid, title in self.courses], prompt="Course (type to search)",
                         id="course", value=self.course_id or Select.NULL)
            yield Input(placeholder="Reason to issue anyway (only if not eligible yet)", id="reason")
            yield Label(self.note, id="form-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Issue", variant="primary", id="issue")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason" if self.note else "#learner").focus()

    def _problem(self, text: str, field: str) -> None:
        self.query_one("#form-error", Label).update(text)
        self.query_one(f"#{field}").focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#issue")
    def submit(self) -> None:
        learner = self.query_one("#learner", Select).value
        course = self.query_one("#course", Select).value
        reason = self.query_one("#reason", Input).value.strip()
        if not isinstance(learner, str):
            self._problem("Learner: choose who receives the certificate.", "learner")
        elif not isinstance(course, str):
            self._problem("Course: choose the course it is for.", "course")
        elif reason and len(reason) < 3:
            self._problem("Reason: at least 3 characters (or leave it empty).", "reason")
        else:
            self.dismiss((learner, course, reason or None))

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)


class RevokeForm(ModalScreen[str | None]):
    """The confirmation of a revocation, with the reason the API keeps (answers it, or None)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, certificate: Resource) -> None:
        super().__init__()
        self.certificate = certificate

    def compose(self) -> ComposeResult:
        a = self.certificate["attributes"]
        with Vertical(classes="dialog"):
            yield Label(f"Revoke {a['certificate_number']}?", classes="title")
            yield Label(f"{a['recipient_name']}, {a['course_name']}. Verification will say it is not valid; "
                        "this cannot be undone.")
            yield Input(placeholder="Reason (kept and shown when verified)", id="reason")
            yield Label("", id="form-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Revoke", variant="error", id="revoke")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#revoke")
    def submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if len(reason) < 3:
            self.query_one("#form-error", Label).update("Reason: say why, in at least 3 characters.")
            self.query_one("#reason", Input).focus()
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)


class VerifyForm(ModalScreen[None]):
    """Paste a number, a verification link or a QR code's text; the server's verdict shows below,
    and the box stays open for the next one."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Verify a certificate", classes="title")
            yield Input(placeholder="CERT-2026-… or the QR code's text, then Enter", id="evidence")
            yield Static("", id="verdict")

    def on_mount(self) -> None:
        self.query_one("#evidence", Input).focus()

    @on(Input.Submitted)
    def check(self, event: Input.Submitted) -> None:
        number = certificate_number(event.value)
        if not number:
            self._show("unknown", Text("Paste a certificate number or a QR code's text first."))
            return
        self.verify(number)

    @work(exclusive=True, group="verify")
    async def verify(self, number: str) -> None:
        app = cast("InstructorApp", self.app)
        self._show("checking", Text(f"Checking {number}…"))
        try:
            answer = await app.call(app.client.verify_certificate, number)
        except ApiError:
            self._show("unknown", Text("The server could not answer; try again."))
            return
        self._show(*verdict(number, answer))

    def _show(self, state: str, text: Text) -> None:
        box = self.query_one("#verdict", Static)
        for name in ("valid", "revoked", "invalid", "unknown", "checking"):
            box.set_class(name == state, f"-{name}")
        box.update(text)


def verdict(number: str, answer: Verification | None) -> tuple[str, Text]:
    """(state, what to say): valid, revoked, invalid (the signature fails) or unknown."""
    if answer is None or answer["certificate"] is None:
        return "unknown", Text.assemble(("UNKNOWN", "bold"), f": no certificate numbered {number} was issued here.")
    cert = answer["certificate"]
    facts = (f"\n{cert['certificate_number']}\nAwarded to {cert['recipient_name']}\nFor {cert['course_name']}\n"
             f"Issued by {cert['issued_by']} on {_day(cert['issued_at'])}")
    if cert["status"] == "revoked":
        return "revoked", Text.assemble(("REVOKED", "bold"), " on ", _day(cert.get("revoked_at")), ": ",
                                        cert.get("revocation_reason") or "", facts)
    if not answer["valid"]:
        return "invalid", Text.assemble(("NOT VALID", "bold"), ": its signature does not match this site's key.",
                                        facts)
    return "valid", Text.assemble(("VALID", "bold"), ": genuine and not revoked.", facts)


# -- the screen -----------------------------------------------------------------------------------


class CertificatesScreen(BaseScreen):
    TITLE_TEXT = "Certificates"
    AUTO_FOCUS = "#certs"  # the keys act on the list; / goes to the search box
    BINDINGS = [
        Binding("i", "issue", "Issue"),
        Binding("x", "revoke", "Revoke"),
        Binding("o", "open_pdf", "Open PDF"),
        Binding("w", "save_pdf", "Save PDF"),
        Binding("v", "verify", "Verify"),
        Binding("f", "course_filter", "Course"),
        Binding("s", "status_filter", "Status"),
        Binding("slash", "search", "Search", key_display="/", show=False),
        Binding("escape", "leave_search", "Leave search", show=False),
        Binding("f5", "refresh", "Refresh", show=False),
    ]
    HELP_KEYS = [("typing in the search box", "narrows the list by learner, course or number"),
                 ("↑ / ↓", "choose the certificate the keys act on")]
    PALETTE = [("Issue a certificate", "Certificates", "issue"),
               ("Verify a certificate", "Certificates", "verify")]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Resource] = []  # as the API listed them for the filters
        self.shown: list[Resource] = []  # those the search matches, in table order
        self.courses: list[tuple[str, str]] = []
        self.course_id: str | None = None
        self.status: CertificateStatus | None = None
        self.last_pdf: Path | None = None  # where the last PDF was written (open or save)

    def body(self) -> ComposeResult:
        yield Input(placeholder="Search learner, course or number (/)", id="cert-search")
        yield Static(id="cert-filters")
        yield DataTable(id="certs", cursor_type="row", zebra_stripes=True)
        yield Static(id="cert-detail")

    def on_mount(self) -> None:
        self.query_one("#certs", DataTable).add_columns("Number", "Learner", "Course", "Issued", "Status")
        super().on_mount()

    async def load(self) -> None:
        app = self.instructor_app
        courses, self.rows = await asyncio.gather(  # together, each in its own thread
            app.call(app.client.list_courses),
            app.call(app.client.list_certificates, course_id=self.course_id, status=self.status))
        self.courses = [(c["id"], str(c["attributes"]["title"])) for c in courses]
        self.show_rows()

    # -- the list ----------------------------------------------------------------------------------

    def show_rows(self, select_id: str | None = None) -> None:
        wanted = self.query_one("#cert-search", Input).value.casefold().strip()
        self.shown = [r for r in self.rows if not wanted or any(
            wanted in str(r["attributes"][k]).casefold() for k in ("recipient_name", "course_name",
                                                                   "certificate_number"))]
        table = self.query_one("#certs", DataTable)
        table.clear()
        table.add_rows([self._cells(r) for r in self.shown])
        if select_id is not None:
            table.move_cursor(row=next((n for n, r in enumerate(self.shown) if r["id"] == select_id), 0))
        course = dict(self.courses).get(self.course_id or "", "all courses")
        self.query_one("#cert-filters", Static).update(
            f"{len(self.shown)} of {len(self.rows)} · {course} · {self.status or 'any status'}"
            "  (f course, s status)")
        self._show_detail()

    def _cells(self, row: Resource) -> list[str | Text]:
        a = row["attributes"]
        status = Text(a["status"], style="bold" if a["status"] == "revoked" else "")
        return [a["certificate_number"], a["recipient_name"], a["course_name"], _day(a["issued_at"]), status]

    def selected(self) -> Resource | None:
        row = self.query_one("#certs", DataTable).cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def _show_detail(self) -> None:
        cert = self.selected()
        detail = self.query_one("#cert-detail", Static)
        if cert is None:
            detail.update("No certificates here yet. i issues one." if not self.rows else "Nothing matches.")
            return
        a = cert["attributes"]
        parts = [a["verification_url"]]
        if a["forced_reason"]:
            parts.append(f"issued anyway: {a['forced_reason']}")
        if a["status"] == "revoked":
            parts.append(f"revoked {_day(a['revoked_at'])}: {a['revocation_reason']}")
        detail.update(" · ".join(parts))

    @on(Input.Changed, "#cert-search")
    def _search_changed(self) -> None:
        self.show_rows()

    @on(Input.Submitted, "#cert-search")
    def _search_done(self) -> None:
        self.query_one("#certs", DataTable).focus()

    @on(DataTable.RowHighlighted, "#certs")
    def _highlighted(self) -> None:
        self._show_detail()

    def action_search(self) -> None:
        self.query_one("#cert-search", Input).focus()

    def action_leave_search(self) -> None:
        self.query_one("#certs", DataTable).focus()

    def action_refresh(self) -> None:
        self.reload()

    @work(group="filter")
    async def action_course_filter(self) -> None:
        chosen = await self.app.push_screen_wait(Picker("Certificates of", [("", "All courses"), *self.courses]))
        if chosen is not None:
            self.course_id = chosen or None
            self.reload()

    def action_status_filter(self) -> None:
        self.status = STATUSES[(STATUSES.index(self.status) + 1) % len(STATUSES)]
        self.reload()

    # -- issue and revoke --------------------------------------------------------------------------

    @work(group="issue")
    async def action_issue(self) -> None:
        app = self.instructor_app
        try:
            users = await app.call(app.client.list_users, role="learner")
        except ApiError:
            return
        learners = [(u["id"], f"{u['attributes']['display_name']} ({u['id']})") for u in users]
        form = IssueForm(learners, self.courses, course_id=self.course_id)
        while (chosen := await app.push_screen_wait(form)) is not None:
            user_id, course_id, reason = chosen
            try:
                cert = await app.call(app.client.issue_certificate, user_id, course_id, force_reason=reason)
            except ApiError as error:
                if error.code != "not_eligible":
                    return
                # the API says what is missing; the form comes back to give a reason to issue anyway
                form = IssueForm(learners, self.courses, user_id=user_id, course_id=course_id,
                                 note="Not eligible yet (see the message). Give a reason to issue anyway.")
                continue
            known = any(r["id"] == cert["id"] for r in self.rows)
            self.notify(f"{'Already had' if known else 'Issued'} {cert['attributes']['certificate_number']}",
                        title=cert["attributes"]["recipient_name"])
            await self.load()
            self.show_rows(select_id=cert["id"])
            return

    @work(group="revoke")
    async def action_revoke(self) -> None:
        cert = self.selected()
        if cert is None:
            self.notify("Choose a certificate first.", severity="warning")
            return
        if cert["attributes"]["status"] == "revoked":
            self.notify("This certificate is revoked already.", severity="warning")
            return
        reason = await self.app.push_screen_wait(RevokeForm(cert))
        if reason is None:
            return
        app = self.instructor_app
        try:
            revoked = await app.call(app.client.revoke_certificate, cert["id"], reason)
        except ApiError:
            return
        self.rows = [revoked if r["id"] == revoked["id"] else r for r in self.rows]
        self.show_rows(select_id=revoked["id"])
        self.notify(f"Revoked {revoked['attributes']['certificate_number']}")

    # -- the PDF -----------------------------------------------------------------------------------

    async def _pdf(self, cert: Resource, target: Path) -> Path | None:
        """Download the certificate's PDF into `target`; None (and said why) if it failed."""
        app = self.instructor_app
        try:
            data = await app.call(app.client.certificate_pdf, cert["id"])
        except ApiError:
            return None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as error:
            self.notify(str(error), title="Not saved", severity="error")
            return None
        self.last_pdf = target
        return target

    @work(group="pdf")
    async def action_open_pdf(self) -> None:
        if (cert := self.selected()) is None:
            return
        name = f"{cert['attributes']['certificate_number']}.pdf"
        path = await self._pdf(cert, Path(tempfile.mkdtemp(prefix="university-local-")) / name)
        if path is None:
            return
        command = viewer()
        if command is None:
            self.notify(f"No viewer on this terminal; the PDF is at {path}", timeout=10)
            return
        launch(command, path)
        self.notify(f"Opened {name}")

    @work(group="pdf")
    async def action_save_pdf(self) -> None:
        if (cert := self.selected()) is None:
            return
        suggestion = Path.home() / f"{cert['attributes']['certificate_number']}.pdf"
        target = await self.app.push_screen_wait(SavePath("Save the certificate's PDF to", suggestion))
        if target is not None and await self._pdf(cert, target) is not None:
            self.notify(f"Saved to {target}")

    # -- verify ------------------------------------------------------------------------------------

    def action_verify(self) -> None:
        self.app.push_screen(VerifyForm())
