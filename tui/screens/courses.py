"""The courses screen: the catalogue on the left (status filter, type-ahead by title), the chosen
course as a tree of modules and lessons on the right, and a form for each change.

Every change is one API call and then a fresh look at what the server says (the course list and the
tree are fetched again with the changed node selected), so what is shown is always the server's.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    DirectoryTree,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
    TextArea,
    Tree,
)
from textual.widgets.tree import TreeNode

from client import ApiError, Resource
from client.types import CourseStatus
from tui import courses
from tui.courses import Node, Structure
from tui.screens.base import BaseScreen
from tui.screens.confirm import Confirm

# -- forms ------------------------------------------------------------------------------------------


class FormError(ValueError):
    """Bad input: which field (its widget id) and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Form(ModalScreen[dict[str, Any] | None]):
    """A dialog of labelled fields; Enter or Ctrl+S checks them and answers the changes, Esc cancels.
    Subclasses say which fields (`fields`) and what they mean (`collect`)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel"),
                                             Binding("ctrl+s", "save", "Save", priority=True)]
    AUTO_FOCUS = "Input, Checkbox"  # the first field, not the scrolling dialog
    heading = ""

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog form"):
            yield Label(self.heading, classes="title")
            yield from self.fields()
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def fields(self) -> ComposeResult:
        yield from ()

    @abstractmethod
    def collect(self) -> dict[str, Any]:
        """The form's values as the API takes them; FormError names a field that does not fit."""

    def text(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    def checked(self, field: str) -> bool:
        return self.query_one(f"#{field}", Checkbox).value

    def number(self, field: str, name: str, *, low: int = 0, high: int | None = None) -> int | None:
        try:
            return courses.optional_int(self.text(field), name, low=low, high=high)
        except ValueError as error:
            raise FormError(field, str(error)) from None

    def action_save(self) -> None:
        for widget in self.query(Input):
            widget.remove_class("-invalid")
        try:
            values = self.collect()
        except FormError as error:
            self.query_one(f"#{error.field}").add_class("-invalid")
            self.query_one(f"#{error.field}").focus()
            self.notify(str(error), title="Check the form", severity="warning")
            return
        self.dismiss(values)

    def on_input_submitted(self) -> None:
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)


def _field(label: str, widget: Widget) -> Horizontal:
    """One labelled line of a form (compact fields, so a whole form fits 80x24)."""
    if isinstance(widget, Input | Select):
        widget.compact = True
    return Horizontal(Label(label, classes="label"), widget, classes="field")


class CourseForm(Form):
    """A new course's title and description, or an existing course's editable attributes."""

    def __init__(self, course: Resource | None = None) -> None:
        super().__init__()
        self.course = course
        self.heading = "New course" if course is None else f"Edit {course['attributes']['title']}"

    def fields(self) -> ComposeResult:
        a = self.course["attributes"] if self.course else {}
        yield _field("Title", Input(a.get("title", ""), id="title"))
        yield _field("Description", Input(a.get("description") or "", id="description"))
        if self.course is not None:
            yield _field("Slug", Input(a["slug"], id="slug"))
            yield _field("Status", Select([(s, s) for s in courses.STATUSES if s], value=a["status"],
                                          allow_blank=False, id="status"))
            yield _field("Thumbnail URL", Input(a.get("thumbnail_url") or "", id="thumbnail_url"))
            yield _field("Category id", Input(a.get("category_id") or "", id="category_id"))
            yield _field("Instructor id", Input(a.get("instructor_id") or "", id="instructor_id"))

    def collect(self) -> dict[str, Any]:
        if not self.text("title"):
            raise FormError("title", "Title: a course needs one.")
        values: dict[str, Any] = {"title": self.text("title"), "description": self.text("description") or None}
        if self.course is None:
            return values
        if not self.text("slug"):
            raise FormError("slug", "Slug: lower-case letters, digits and dashes; it cannot be empty.")
        values |= {"slug": self.text("slug"), "status": self.query_one("#status", Select).value}
        for name in ("thumbnail_url", "category_id", "instructor_id"):
            values[name] = self.text(name) or None
        old = self.course["attributes"]
        return {k: v for k, v in values.items() if old.get(k) != v}  # only what changed


class SettingsForm(Form):
    """The course's settings (every one has a default on the server)."""

    SWITCHES = (("self_enrollment", "Learners may enroll themselves"),
                ("certificate_enabled", "Certificate on completion"),
                ("discussion_enabled", "Discussions"),
                ("drip_content", "Drip: modules open at their unlock date"))

    def __init__(self, course: Resource) -> None:
        super().__init__()
        self.settings: dict[str, Any] = dict(course["attributes"]["settings"])
        self.heading = f"Settings of {course['attributes']['title']}"

    def fields(self) -> ComposeResult:
        s = self.settings
        for name, label in self.SWITCHES:
            yield Checkbox(label, bool(s.get(name)), id=name)
        yield _field("Passing score %", Input(str(s.get("passing_score", 70)), id="passing_score"))
        yield _field("Quiz attempts", Input(str(s.get("max_attempts") or ""), placeholder="unlimited",
                                            id="max_attempts"))
        yield _field("Capacity", Input(str(s.get("max_enrollments") or ""), placeholder="unlimited",
                                       id="max_enrollments"))
        yield _field("Certificate template", Input(s.get("certificate_template_id") or "", placeholder="built-in",
                                                   id="certificate_template_id"))

    def collect(self) -> dict[str, Any]:
        values: dict[str, Any] = {name: self.checked(name) for name, _ in self.SWITCHES}
        passing = self.number("passing_score", "Passing score", high=100)
        if passing is None:
            raise FormError("passing_score", "Passing score: a percent from 0 to 100.")
        values |= {"passing_score": passing,
                   "max_attempts": self.number("max_attempts", "Quiz attempts", low=1),
                   "max_enrollments": self.number("max_enrollments", "Capacity", low=1),
                   "certificate_template_id": self.text("certificate_template_id") or None}
        return {k: v for k, v in values.items() if self.settings.get(k) != v}


class ModuleForm(Form):
    """A module's title, description and drip date (`unlock_at`)."""

    def __init__(self, module: Resource | None = None, *, drip: bool = False) -> None:
        super().__init__()
        self.module, self.drip = module, drip
        self.heading = "New module" if module is None else f"Edit {module['attributes']['title']}"

    def fields(self) -> ComposeResult:
        a = self.module["attributes"] if self.module else {}
        yield _field("Title", Input(a.get("title", ""), id="title"))
        yield _field("Description", Input(a.get("description") or "", id="description"))
        yield _field("Unlocks at", Input(courses.show_when(a.get("unlock_at")), id="unlock_at",
                                         placeholder="2027-01-31 09:00 (UTC); empty: open"))
        if not self.drip:
            yield Label("The course's drip setting is off: unlock dates apply once it is on (s).", classes="hint")

    def collect(self) -> dict[str, Any]:
        if not self.text("title"):
            raise FormError("title", "Title: a module needs one.")
        try:
            unlock_at = courses.parse_when(self.text("unlock_at"))
        except ValueError as error:
            raise FormError("unlock_at", f"Unlocks at: {error}") from None
        values = {"title": self.text("title"), "description": self.text("description") or None,
                  "unlock_at": unlock_at}
        old = self.module["attributes"] if self.module else {}
        return {k: v for k, v in values.items() if old.get(k) != v} if self.module else values


class LessonForm(Form):
    """A new lesson (its type, and the URL a video, document or embed plays), or a lesson's title,
    description, length and flags."""

    def __init__(self, lesson: Resource | None = None) -> None:
        super().__init__()
        self.lesson = lesson
        self.heading = "New lesson" if lesson is None else f"Edit {lesson['attributes']['title']}"

    def fields(self) -> ComposeResult:
        a: dict[str, Any] = (self.lesson["attributes"] if self.lesson
                             else {"content_type": "text", "content": {}, "required": True})
        yield _field("Title", Input(a.get("title", ""), id="title"))
        yield _field("Description", Input(a.get("description") or "", id="description"))
        if self.lesson is None:
            yield _field("Type", Select([(t, t) for t in courses.NEW_LESSON_TYPES], value="text", allow_blank=False,
                                        id="content_type"))
            yield _field("URL", Input(placeholder="video, document or embed: where it is", id="url"))
        minutes = courses.minutes_of(a["content_type"], a["content"])
        yield _field("Minutes", Input("" if minutes is None else str(minutes), id="minutes"))
        yield Checkbox("Required to complete the course", bool(a.get("required")), id="required")
        yield Checkbox("Free preview", bool(a.get("free_preview")), id="free_preview")

    def collect(self) -> dict[str, Any]:
        if not self.text("title"):
            raise FormError("title", "Title: a lesson needs one.")
        minutes = self.number("minutes", "Minutes")
        values: dict[str, Any] = {"title": self.text("title"), "description": self.text("description") or None,
                                  "required": self.checked("required"), "free_preview": self.checked("free_preview")}
        if self.lesson is None:
            content_type = str(self.query_one("#content_type", Select).value)
            try:
                content = courses.new_content(content_type, self.text("url"), minutes)
            except ValueError as error:
                raise FormError("url", f"URL: {error}") from None
            return values | {"content_type": content_type, "content": content}
        a = self.lesson["attributes"]
        if minutes != courses.minutes_of(a["content_type"], a["content"]):
            values["content"] = courses.with_minutes(a["content_type"], a["content"], minutes)
        return {k: v for k, v in values.items() if a.get(k) != v}


class HtmlEditor(ModalScreen[str | None]):
    """A text lesson's HTML; Ctrl+S answers it (the server sanitises it), Esc leaves it unchanged."""

    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True), Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, html: str) -> None:
        super().__init__()
        self.lesson_title, self.html = title, html

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(f"HTML of {self.lesson_title} · Ctrl+S save · Esc cancel", classes="title")
            yield TextArea(self.html, id="html", soft_wrap=True, show_line_numbers=True, tab_behavior="indent")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)


class ZipTree(DirectoryTree):
    """Folders and .zip files only."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if not p.name.startswith(".") and (p.is_dir() or p.suffix.lower() == ".zip")]


class ScormPicker(ModalScreen[tuple[Path, str] | None]):
    """Choose a SCORM zip (from the tree or by typing its path) and the new lesson's title."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, module_title: str, start: Path) -> None:
        super().__init__()
        self.module_title, self.start = module_title, start

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(f"Import a SCORM zip into {self.module_title}", classes="title")
            yield ZipTree(self.start, id="zip-tree")
            yield _field("Zip", Input(placeholder="path/to/package.zip", id="zip-path"))
            yield _field("Title", Input(placeholder="from the package's manifest", id="zip-title"))
            with Horizontal(classes="buttons"):
                yield Button("Import", variant="primary", id="import")
                yield Button("Cancel", id="cancel")

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#zip-path", Input).value = str(event.path)
        self.query_one("#zip-title", Input).focus()

    def choose(self) -> None:
        raw = self.query_one("#zip-path", Input).value.strip()
        path = Path(raw).expanduser()
        if not raw or not path.is_file() or path.suffix.lower() != ".zip":
            self.query_one("#zip-path", Input).focus()
            self.notify(f"Zip: {'choose a file' if not raw else f'{path} is not a .zip file'}.",
                        title="Check the form", severity="warning")
            return
        self.dismiss((path, self.query_one("#zip-title", Input).value.strip()))

    def on_input_submitted(self) -> None:
        self.choose()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "import":
            self.choose()
        else:
            self.dismiss(None)


class Reading(ModalScreen[None]):
    """Something to read (a SCORM import report, a lesson's quizzes), scrolling; Esc closes."""

    BINDINGS = [Binding("escape,enter", "dismiss(None)", "Close")]

    def __init__(self, heading: str, body: Text) -> None:
        super().__init__()
        self.heading, self.body = heading, body

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide reading"):
            yield Label(self.heading, classes="title")
            yield Static(self.body, id="reading")


def scorm_report(package: Resource) -> Text:
    """A package's offline-readiness report as the API gives it."""
    a = package["attributes"]
    report = a["report"]
    text = Text()
    text.append(f"{a['title']}\n", style="bold")
    text.append(f"SCORM {a['scorm_version']}{' ' + a['edition'] if a.get('edition') else ''} · version "
                f"{a['package_version']} · {a['file_count']} files · {a['total_bytes'] / 1024:.0f} KB · "
                f"{sum(1 for i in a['manifest']['items'] if i['scorm_type'] == 'sco')} SCO(s)\n\n")
    if report["self_contained"]:
        text.append("Offline-ready: everything it loads is inside the package.\n", style="bold")
    else:
        text.append("Not offline-ready: it loads these from the internet (they break without it):\n",
                    style="bold")
        for resource in report["external_resources"]:
            text.append(f"  {resource['url']}  (in {resource['referenced_from']})\n")
    for warning in report["warnings"]:
        text.append(f"Warning: {warning}\n")
    return text


def assessments(quizzes: list[Resource], assignments: list[Resource]) -> Text:
    """A lesson's quizzes with their questions, and its assignments with their rubrics."""
    text = Text()
    for quiz in quizzes:
        a = quiz["attributes"]
        limit = f" · {a['time_limit_minutes']} min" if a.get("time_limit_minutes") else ""
        text.append(f"Quiz: {a['title']}\n", style="bold")
        text.append(f"{a['question_count']} questions · {a['total_points']} points · pass at "
                    f"{a['passing_score']:g}%{limit} · attempts {a['max_attempts'] or 'unlimited'}\n")
        for number, question in enumerate(a["questions"], 1):
            text.append(f"  {number}. ", style="bold")
            text.append(f"[{question['type']}] ", style="dim")
            text.append(f"{question['question']}  ")
            text.append(f"({question.get('points', 1)} pt)\n", style="dim")
            for option in question.get("options") or []:
                text.append(f"       {'✓' if option.get('correct') else '·'} {option['text']}\n")
        text.append("\n")
    for assignment in assignments:
        a = assignment["attributes"]
        due = f" · due {courses.show_when(a['due_date'])}" if a.get("due_date") else ""
        text.append(f"Assignment: {a['title']}\n", style="bold")
        text.append(f"max {a['max_score']} points{due} · {', '.join(a['submission_types'])}\n")
        for criterion in a["rubric"]:
            text.append(f"  {criterion['criteria']}  ", style="bold")
            text.append(f"{criterion['max_points']} pt")
            text.append(f"  {criterion['description']}" if criterion.get("description") else "", style="dim")
            text.append("\n")
        if not a["rubric"]:
            text.append("  (no rubric: one score)\n", style="dim")
        text.append("\n")
    return text or Text("This lesson has no quiz or assignment.")


# -- the screen -------------------------------------------------------------------------------------


def _course_row(course: Resource) -> tuple[str, str, int]:
    a = course["attributes"]
    return a["status"], a["title"], a["lesson_count"]  # the short column first: it shows at 80 columns


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _module_label(module: Resource) -> Text:
    a = module["attributes"]
    label = Text(f"{a['position']}. {a['title']}", style="bold")
    label.append(f"  {_count(a['lesson_count'], 'lesson')} · {a['duration_minutes']} min", style="dim")
    if a.get("unlock_at"):
        label.append(f" · opens {courses.show_when(a['unlock_at'])}", style="italic")
    return label


def _lesson_label(lesson: Resource) -> Text:
    a = lesson["attributes"]
    label = Text(a["title"])
    label.append(f"  {a['content_type']} · {a['duration_minutes']} min", style="dim")
    if not a["required"]:
        label.append(" · optional", style="dim")
    return label


class CoursesScreen(BaseScreen):
    TITLE_TEXT = "Courses"
    AUTO_FOCUS = "#course-table"  # keys work at once; / goes to the search
    BINDINGS = [
        Binding("n", "new_course", "New course"),
        Binding("m", "new_module", "Module+"),
        Binding("l", "new_lesson", "Lesson+"),
        Binding("e", "edit", "Edit"),
        Binding("delete,x", "delete", "Delete", key_display="Del"),
        Binding("ctrl+up,alt+up", "move(-1)", "Move up", key_display="^↑"),
        Binding("ctrl+down,alt+down", "move(1)", "Move down", key_display="^↓"),
        Binding("p", "publish", "Publish"),
        Binding("h", "edit_html", "HTML"),
        Binding("i", "import_scorm", "SCORM"),
        Binding("a", "assessments", "Quizzes", show=False),
        Binding("s", "settings", "Settings", show=False),
        Binding("f", "status_filter", "Status filter", show=False),
        Binding("slash", "search", "Search titles", key_display="/", show=False),
        Binding("escape", "leave_search", "Back to the list", show=False),
    ]
    HELP_KEYS = [
        ("Tab", "between the search, the course list and the tree"),
        ("Enter / Space", "in the tree: open or close a module"),
        ("Alt+↑ / Alt+↓", "move the module or lesson, where Ctrl+arrows are taken by the terminal"),
    ]
    PALETTE = [("Courses: new course", "Courses", "new_course"),
               ("Courses: import a SCORM zip", "Courses", "import_scorm"),
               ("Courses: filter by status", "Courses", "status_filter")]

    def __init__(self) -> None:
        super().__init__()
        self.courses: list[Resource] = []
        self.row_ids: list[str] = []  # the ids of the table's rows, in order
        self.status: str | None = None
        self.course_id: str | None = None
        self.structure: Structure | None = None
        self.keep: str | None = None  # the node to select once the tree is fetched again
        self.detail = Text()  # what #node-detail shows, so the quiz summary can be added to it

    def body(self) -> ComposeResult:
        with Horizontal(id="courses"):
            with Vertical(id="catalogue"):
                yield Input(placeholder="/ search titles", id="course-search", compact=True)
                yield Static(id="filter-line")
                yield DataTable(id="course-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="structure"):
                yield Static("Choose a course, or n for a new one.", id="course-head")
                tree: Tree[Node] = Tree("", id="course-tree")
                tree.show_root = True
                yield tree
                yield Static(id="node-detail")
                with Horizontal(id="upload-line"):
                    yield Label("", id="upload-label")
                    yield ProgressBar(id="upload-bar", show_eta=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#course-table", DataTable).add_columns("Status", "Title", "Lessons")
        self.query_one("#upload-line").display = False
        self._show_filter()

    # -- loading ------------------------------------------------------------------------------------

    async def load(self) -> None:
        app = self.instructor_app
        self.courses = await app.call(app.client.list_courses)
        self._fill_table()
        if self.course_id and any(c["id"] == self.course_id for c in self.courses):
            await self._show_tree(self.course_id)
        else:
            self._clear_tree()

    def _fill_table(self) -> None:
        query = self.query_one("#course-search", Input).value.strip().casefold()
        shown = [c for c in self.courses if (self.status is None or c["attributes"]["status"] == self.status)
                 and query in c["attributes"]["title"].casefold()]
        table = self.query_one("#course-table", DataTable)
        table.clear()
        table.add_rows(_course_row(c) for c in shown)
        self.row_ids = [c["id"] for c in shown]
        if self.course_id in self.row_ids:
            table.move_cursor(row=self.row_ids.index(self.course_id), animate=False)
        self._show_filter()

    def _show_filter(self) -> None:
        line = f"{len(self.row_ids)} of {len(self.courses)} · status: {self.status or 'all'} (f)"
        self.query_one("#filter-line", Static).update(line)

    def show_course(self, course_id: str) -> None:
        """Open this course's tree (the command palette and other screens call it)."""
        self.course_id = course_id
        if course_id in self.row_ids:
            self.query_one("#course-table", DataTable).move_cursor(row=self.row_ids.index(course_id))
        self.open_tree(course_id)

    @work(exclusive=True, group="tree")
    async def open_tree(self, course_id: str) -> None:
        try:
            await self._show_tree(course_id)
        except ApiError:
            pass

    async def _show_tree(self, course_id: str) -> None:
        app = self.instructor_app
        structure = await app.call(courses.fetch_structure, app.client, course_id)
        tree: Tree[Node] = self.query_one("#course-tree", Tree)
        if self.keep is None and self.structure is not None and self.structure.course["id"] == course_id:
            cursor = tree.cursor_node
            self.keep = cursor.data.id if cursor is not None and cursor.data is not None else None  # stay there
        self.course_id, self.structure = course_id, structure
        tree.clear()
        course = structure.course
        tree.root.set_label(Text(course["attributes"]["title"], style="bold"))
        tree.root.data = Node("course", course)
        keep: TreeNode[Node] = tree.root
        for module, lessons in structure.modules:
            branch = tree.root.add(_module_label(module), data=Node("module", module), expand=True)
            keep = branch if module["id"] == self.keep else keep
            for lesson in lessons:
                leaf = branch.add_leaf(_lesson_label(lesson), data=Node("lesson", lesson))
                keep = leaf if lesson["id"] == self.keep else keep
        tree.root.expand()
        self.keep = None
        tree.call_after_refresh(tree.move_cursor, keep)  # a new node has its line once the tree is drawn
        self._show_head(course)
        self._show_detail(keep.data)

    def _clear_tree(self) -> None:
        self.course_id, self.structure = None, None
        tree: Tree[Node] = self.query_one("#course-tree", Tree)
        tree.clear()
        tree.root.set_label("")
        tree.root.data = None
        self.query_one("#course-head", Static).update("Choose a course, or n for a new one.")
        self.query_one("#node-detail", Static).update("")

    def _show_head(self, course: Resource) -> None:
        a = course["attributes"]
        head = Text(a["title"], style="bold")
        head.append(f"  {a['status']}", style="reverse" if a["status"] == "published" else "dim")
        head.append(f"\n{_count(a['module_count'], 'module')} · {_count(a['lesson_count'], 'lesson')} · "
                    f"{a['duration_minutes']} min · "
                    f"{a['enrollment_count']} enrolled · drip {'on' if a['settings']['drip_content'] else 'off'}",
                    style="dim")
        self.query_one("#course-head", Static).update(head)

    def refresh_all(self, keep: str | None = None) -> None:
        """After a change: the list and the tree as the server now has them, `keep` selected."""
        self.keep = keep
        self.reload()

    # -- what is shown of the selected node ------------------------------------------------------------

    def _show_detail(self, node: Node | None) -> None:
        detail = self.query_one("#node-detail", Static)
        if node is None:
            detail.update("")
            return
        a = node.resource["attributes"]
        text = Text()
        if node.kind == "course":
            s = a["settings"]
            text.append(a.get("description") or "No description.", style="dim")
            text.append(f"\nslug {a['slug']} · pass {s['passing_score']}% · self-enroll "
                        f"{'yes' if s['self_enrollment'] else 'no'} · certificate "
                        f"{'yes' if s['certificate_enabled'] else 'no'} · s: settings")
        elif node.kind == "module":
            text.append(a.get("description") or "No description.", style="dim")
            when = courses.show_when(a.get("unlock_at"))
            text.append(f"\nUnlocks {when + ' UTC' if when else 'at once'} · e: edit, drip date")
        else:
            text.append(f"{a['content_type']} lesson · {a['duration_minutes']} min · "
                        f"{'required' if a['required'] else 'optional'}"
                        f"{' · free preview' if a['free_preview'] else ''}")
            text.append(f"\n{a['description']}" if a.get("description") else "", style="dim")
            content = a["content"]
            if a["content_type"] == "scorm" and content.get("package_id"):
                ready = {True: "offline-ready", False: "needs the internet", None: "?"}[content.get("self_contained")]
                text.append(f"\nSCORM {content.get('scorm_version')} · package v{content.get('package_version')} · "
                            f"{content.get('sco_count')} SCO · {ready}")
            if a["content_type"] == "text":
                text.append("\nh: edit the HTML")
            self.lesson_assessments(node.id)
        self.detail = text
        detail.update(text)

    @on(Tree.NodeHighlighted, "#course-tree")
    def _node_highlighted(self, event: Tree.NodeHighlighted[Node]) -> None:
        self._show_detail(event.node.data)

    @work(exclusive=True, group="detail")
    async def lesson_assessments(self, lesson_id: str) -> None:
        """The lesson's quizzes and assignments, summed up under its details (a shows them whole)."""
        app = self.instructor_app
        try:
            quizzes = await app.call(app.client.list_quizzes, lesson_id=lesson_id)
            assignments = await app.call(app.client.list_assignments, lesson_id=lesson_id)
        except ApiError:
            return
        cursor = self.query_one("#course-tree", Tree).cursor_node
        if cursor is None or cursor.data is None or cursor.data.id != lesson_id or not (quizzes or assignments):
            return  # the cursor moved on meanwhile, or there is nothing to say
        parts = [f"quiz {q['attributes']['title']} ({q['attributes']['question_count']} q)" for q in quizzes]
        parts += [f"assignment {x['attributes']['title']} ({len(x['attributes']['rubric'])} criteria)"
                  for x in assignments]
        text = self.detail.copy()
        text.append("\n" + ", ".join(parts) + " · a: view", style="italic")
        self.query_one("#node-detail", Static).update(text)

    # -- the list: filter and type-ahead ---------------------------------------------------------------

    @on(Input.Changed, "#course-search")
    def _search_changed(self) -> None:
        self._fill_table()

    @on(Input.Submitted, "#course-search")
    def _search_done(self) -> None:
        self.query_one("#course-table", DataTable).focus()

    def action_search(self) -> None:
        self.query_one("#course-search", Input).focus()

    def action_leave_search(self) -> None:
        self.query_one("#course-table", DataTable).focus()

    def action_status_filter(self) -> None:
        self.status = courses.STATUSES[(courses.STATUSES.index(self.status) + 1) % len(courses.STATUSES)]
        self._fill_table()

    @on(DataTable.RowHighlighted, "#course-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.row_ids) and self.row_ids[event.cursor_row] != self.course_id:
            self.course_id = self.row_ids[event.cursor_row]
            self.open_tree(self.course_id)

    @on(DataTable.RowSelected, "#course-table")
    def _row_selected(self) -> None:
        self.query_one("#course-tree", Tree).focus()

    # -- what an action works on ----------------------------------------------------------------------

    def _selected(self) -> Node | None:
        """The tree's node when the tree has the focus, else the course itself."""
        if self.structure is None:
            return None
        tree: Tree[Node] = self.query_one("#course-tree", Tree)
        if self.focused is tree and tree.cursor_node is not None and tree.cursor_node.data is not None:
            return tree.cursor_node.data
        return Node("course", self.structure.course)

    def _module(self) -> Resource | None:
        """The selected module, the module of the selected lesson, or the course's last module."""
        node, structure = self._selected(), self.structure
        if node is None or structure is None:
            return None
        if node.kind == "module":
            return node.resource
        if node.kind == "lesson":
            return structure.module_of(node.id)
        return structure.modules[-1][0] if structure.modules else None

    def _need_course(self) -> Structure | None:
        if self.structure is None:
            self.notify("Choose a course first.", severity="warning")
        return self.structure

    # -- actions ----------------------------------------------------------------------------------------

    @work(group="action")
    async def action_new_course(self) -> None:
        values = await self.app.push_screen_wait(CourseForm())
        if values is None:
            return
        app = self.instructor_app
        try:
            course = await app.call(app.client.create_course, **values)
        except ApiError:
            return
        self.course_id = course["id"]
        self.notify(f"Created {course['attributes']['title']} (a draft).")
        self.refresh_all()

    @work(group="action")
    async def action_new_module(self) -> None:
        if (structure := self._need_course()) is None:
            return
        values = await self.app.push_screen_wait(ModuleForm(drip=structure.course["attributes"]["settings"]
                                                            ["drip_content"]))
        if values is None:
            return
        app = self.instructor_app
        try:
            module = await app.call(app.client.create_module, structure.course["id"], **values)
        except ApiError:
            return
        self.refresh_all(module["id"])

    @work(group="action")
    async def action_new_lesson(self) -> None:
        if self._need_course() is None:
            return
        if (module := self._module()) is None:
            self.notify("Add a module first (m).", severity="warning")
            return
        values = await self.app.push_screen_wait(LessonForm())
        if values is None:
            return
        app = self.instructor_app
        try:
            lesson = await app.call(app.client.create_lesson, module["id"], **values)
        except ApiError:
            return
        self.refresh_all(lesson["id"])

    @work(group="action")
    async def action_edit(self) -> None:
        if (node := self._selected()) is None or (structure := self._need_course()) is None:
            return
        app, client = self.instructor_app, self.instructor_app.client
        form: Form
        if node.kind == "course":
            form = CourseForm(node.resource)
        elif node.kind == "module":
            form = ModuleForm(node.resource, drip=structure.course["attributes"]["settings"]["drip_content"])
        else:
            form = LessonForm(node.resource)
        changes = await self.app.push_screen_wait(form)
        if not changes:
            return
        try:
            if node.kind == "course":
                await app.call(client.update_course, node.id, **changes)
            elif node.kind == "module":
                await app.call(client.update_module, node.id, **changes)
            else:
                await app.call(client.update_lesson, node.id, **changes)
        except ApiError:
            return
        self.notify(f"Saved {node.kind} {changes.get('title', node.title)}.", timeout=3)
        self.refresh_all(node.id)

    @work(group="action")
    async def action_settings(self) -> None:
        if (structure := self._need_course()) is None:
            return
        changes = await self.app.push_screen_wait(SettingsForm(structure.course))
        if not changes:
            return
        app = self.instructor_app
        try:
            await app.call(app.client.update_course, structure.course["id"], settings=changes)
        except ApiError:
            return
        self.notify("Settings saved.", timeout=3)
        self.refresh_all()

    @work(group="action")
    async def action_delete(self) -> None:
        if (node := self._selected()) is None or (structure := self._need_course()) is None:
            return
        question = {"course": f"Delete the course {node.title}? Learners lose it from their catalogue.",
                    "module": f"Delete the module {node.title} and its "
                              f"{len(structure.lessons_of(node.id))} lessons?",
                    "lesson": f"Delete the lesson {node.title}?"}[node.kind]
        if not await self.app.push_screen_wait(Confirm(question, yes="Delete")):
            return
        app, client = self.instructor_app, self.instructor_app.client
        delete: Callable[[str], None] = {"course": client.delete_course, "module": client.delete_module,
                                         "lesson": client.delete_lesson}[node.kind]
        try:
            await app.call(delete, node.id)
        except ApiError:
            return
        self.notify(f"Deleted {node.kind} {node.title}.", timeout=3)
        if node.kind == "course":
            self.course_id = None
            self.query_one("#course-table", DataTable).focus()
        else:
            parent = structure.module_of(node.id) if node.kind == "lesson" else None
            self.refresh_all(parent["id"] if parent else None)
            return
        self.refresh_all()

    async def action_move(self, step: int) -> None:
        """Move the selected module or lesson up or down among its siblings (the reorder endpoints)."""
        node, structure = self._selected(), self.structure
        if node is None or structure is None or node.kind == "course":
            return
        app, client = self.instructor_app, self.instructor_app.client
        call: Callable[[str, Sequence[str]], list[Resource]]
        if node.kind == "module":
            order = courses.moved([m["id"] for m, _ in structure.modules], node.id, step)
            call, parent = client.reorder_modules, structure.course["id"]
        else:
            module = structure.module_of(node.id)
            if module is None:
                return
            order = courses.moved([x["id"] for x in structure.lessons_of(module["id"])], node.id, step)
            call, parent = client.reorder_lessons, module["id"]
        if order is None:
            self.app.bell()
            return
        try:
            await app.call(call, parent, order)
        except ApiError:
            return
        self.keep = node.id
        await self._show_tree(structure.course["id"])

    async def action_publish(self) -> None:
        if (structure := self._need_course()) is None:
            return
        course = structure.course
        status: CourseStatus = "draft" if course["attributes"]["status"] == "published" else "published"
        app = self.instructor_app
        try:
            await app.call(app.client.update_course, course["id"], status=status)
        except ApiError:
            return
        self.notify(f"{course['attributes']['title']}: " + ("published." if status == "published"
                                                            else "back to draft (learners no longer see it)."))
        selected = self._selected()
        self.refresh_all(selected.id if selected else None)

    @work(group="action")
    async def action_edit_html(self) -> None:
        node = self._selected()
        if node is None or node.kind != "lesson" or node.resource["attributes"]["content_type"] != "text":
            self.notify("Select a text lesson in the tree.", severity="warning")
            return
        app = self.instructor_app
        try:
            lesson = await app.call(app.client.get_lesson, node.id)
        except ApiError:
            return
        content = lesson["attributes"]["content"]
        html = await self.app.push_screen_wait(HtmlEditor(node.title, content.get("html", "")))
        if html is None or html == content.get("html"):
            return
        try:
            saved = await app.call(app.client.update_lesson, node.id, content={**content, "html": html})
        except ApiError:
            return
        cleaned = saved["attributes"]["content"]["html"] != html
        self.notify("Saved; the server removed what lessons may not carry (scripts, handlers…)." if cleaned
                    else "Saved.", timeout=4)
        self.refresh_all(node.id)

    @work(group="action")
    async def action_assessments(self) -> None:
        node = self._selected()
        if node is None or node.kind != "lesson":
            self.notify("Select a lesson in the tree.", severity="warning")
            return
        app = self.instructor_app
        try:
            quizzes = await app.call(app.client.list_quizzes, lesson_id=node.id)
            assignments = await app.call(app.client.list_assignments, lesson_id=node.id)
        except ApiError:
            return
        await self.app.push_screen_wait(Reading(f"Quizzes and assignments of {node.title}",
                                                assessments(quizzes, assignments)))

    @work(group="action")
    async def action_import_scorm(self) -> None:
        if self._need_course() is None:
            return
        if (module := self._module()) is None:
            self.notify("Add a module first (m): the package becomes a lesson of it.", severity="warning")
            return
        chosen = await self.app.push_screen_wait(ScormPicker(module["attributes"]["title"], Path.cwd()))
        if chosen is not None:
            self.upload_scorm(chosen[0], module, chosen[1])

    @work(exclusive=True, group="upload")
    async def upload_scorm(self, path: Path, module: Resource, title: str) -> None:
        """Send the zip in the background with a progress bar, then show the import report."""
        line, bar = self.query_one("#upload-line"), self.query_one("#upload-bar", ProgressBar)
        self.query_one("#upload-label", Label).update(f"Uploading {path.name} ")
        bar.update(total=max(path.stat().st_size, 1), progress=0)
        line.display = True

        def progress(sent: int, total: int) -> None:  # called from the upload's thread
            self.app.call_from_thread(bar.update, total=max(total, 1), progress=sent)

        app = self.instructor_app
        try:
            package = await app.call(app.client.upload_scorm, path, course_id=module["attributes"]["course_id"],
                                     module_id=module["id"], title=title or None, progress=progress)
        except ApiError:
            return
        except OSError as error:  # the file went away or cannot be read
            self.notify(str(error), title="Not imported", severity="error")
            return
        finally:
            line.display = False
        self.refresh_all(package["attributes"]["lesson_id"])
        await self.app.push_screen_wait(Reading("SCORM import: offline readiness", scorm_report(package)))
