"""The grading queue's items as the grading screen shows them, and saving a grade.

The queue (`GET /grading-queue`) lists what waits; an item's whole content comes from the attempt
and its quiz, or the submission and its assignment. These functions block (they run the client's
calls); the screen runs them in a thread through `InstructorApp.call`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from client import Client
from client.types import Resource
from tui.drafts import Draft

TEXT_PREVIEW_BYTES = 200_000  # a text file larger than this is opened or saved, not shown
TEXT_TYPES = ("text/", "application/json", "application/xml")


@dataclass(frozen=True)
class Criterion:
    name: str
    max_points: float
    description: str | None = None


@dataclass(frozen=True)
class SubmittedFile:
    filename: str
    content_type: str
    size_bytes: int
    text: str | None  # the file's text when it is a text file small enough to show


@dataclass
class Item:
    """One thing to grade, whole: what was asked, what the learner gave, how it is scored."""

    id: str  # the queue's id: essay:<attempt>:<index> or submission:<id>
    kind: Literal["essay", "submission"]
    queued: dict[str, Any]  # the queue entry's attributes (course, learner, times)
    prompt: str  # the question, or the assignment's instructions
    answer: str  # the learner's written answer ("" when only a file)
    max_points: float
    criteria: list[Criterion] = field(default_factory=list)  # empty: one score for the whole item
    guidance: str | None = None  # the essay's rubric text
    file: SubmittedFile | None = None
    history: list[str] = field(default_factory=list)  # the learner's earlier attempts, one line each
    graded: Draft | None = None  # what was saved this session

    @property
    def late_penalty_percent(self) -> float:
        return float(self.queued.get("late_penalty_percent") or 0)


def queue_page(client: Client, *, course_id: str | None = None, page: int = 1,
               per_page: int = 100) -> tuple[list[Resource], dict[str, Any]]:
    return client.grading_queue(course_id=course_id, page=page, per_page=per_page)


def fetch_item(client: Client, queued: Resource) -> Item:
    attrs = queued["attributes"]
    if attrs["kind"] == "essay":
        return _essay(client, queued["id"], attrs)
    return _submission(client, queued["id"], attrs)


def points_text(value: Any) -> str:
    """Points as people write them: 8, 7.5, or – for none."""
    if value is None:
        return "–"
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _essay(client: Client, item_id: str, attrs: dict[str, Any]) -> Item:
    attempt = client.get_attempt(attrs["attempt_id"])["attributes"]
    quiz = client.get_quiz(attempt["quiz_id"])["attributes"]
    index = int(attrs["question_index"])
    question = quiz["questions"][index]
    result: dict[str, Any] = next((r for r in attempt["results"] or [] if r["question_index"] == index), {})
    answer = result.get("answer")
    earlier = [a["attributes"] for a in client.list_attempts(attempt["quiz_id"], user_id=attempt["user_id"])]
    history = [f"Attempt {a['attempt_number']} · {(a['submitted_at'] or a['started_at'])[:16].replace('T', ' ')} · "
               f"{a['status'].replace('_', ' ')} · score {points_text(a['score'])}%"
               for a in sorted(earlier, key=lambda a: a["attempt_number"])]
    return Item(item_id, "essay", attrs, prompt=question["question"],
                answer=answer if isinstance(answer, str) else "" if answer is None else str(answer),
                max_points=float(question.get("points", 1)), guidance=question.get("rubric"), history=history)


def _submission(client: Client, item_id: str, attrs: dict[str, Any]) -> Item:
    submission = client.get_submission(attrs["submission_id"])
    sub = submission["attributes"]
    assignment = client.get_assignment(sub["assignment_id"])["attributes"]
    criteria = [Criterion(c["criteria"], float(c["max_points"]), c.get("description"))
                for c in assignment.get("rubric") or []]
    file = None
    if stored := sub.get("file"):
        text = None
        if stored["content_type"].startswith(TEXT_TYPES) and stored["size_bytes"] <= TEXT_PREVIEW_BYTES:
            text = client.download_submission_file(submission["id"]).decode("utf-8", errors="replace")
        file = SubmittedFile(stored["filename"], stored["content_type"], stored["size_bytes"], text)
    answer = sub.get("text") or ""
    if sub.get("notes"):
        answer = f"{answer}\n\nNotes: {sub['notes']}" if answer else f"Notes: {sub['notes']}"
    earlier = [s["attributes"] for s in client.list_submissions(sub["assignment_id"], user_id=sub["user_id"])]
    history = [f"Attempt {s['attempt']} · {s['submitted_at'][:16].replace('T', ' ')}"
               + (" · late" if s["late"] else "")
               + (f" · {points_text(s['final_score'])}/{s['max_score']}" if s["graded_at"] else " · not graded")
               for s in sorted(earlier, key=lambda s: s["attempt"])]
    return Item(item_id, "submission", attrs, prompt=assignment.get("description") or assignment["title"],
                answer=answer, max_points=float(assignment.get("max_score") or 0), criteria=criteria, file=file,
                history=history)


class GradeError(ValueError):
    """A draft that cannot be sent as it is; says which field and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _number(text: str, field: str, most: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise GradeError(field, "Type a number of points.") from None
    if not 0 <= value <= most:
        raise GradeError(field, f"Between 0 and {points_text(most)} points.")
    return value


def save_grade(client: Client, item: Item, draft: Draft) -> None:
    """Send the draft's grade; raises GradeError before calling when a field is not a grade."""
    feedback = (draft.get("feedback") or "").strip() or None
    if item.kind == "essay":
        points = _number(str(draft.get("score") or ""), "score", item.max_points)
        client.grade_essay(item.queued["attempt_id"], int(item.queued["question_index"]), points, feedback=feedback)
        return
    if item.criteria:
        typed = draft.get("scores") or {}
        scores = [{"criteria": c.name, "points": _number(str(typed.get(c.name) or ""), f"criterion:{c.name}",
                                                         c.max_points)} for c in item.criteria]
        client.grade_submission(item.queued["submission_id"], scores=scores, feedback=feedback)
    else:
        total = _number(str(draft.get("score") or ""), "score", item.max_points)
        client.grade_submission(item.queued["submission_id"], total_score=total, feedback=feedback)
