"""Quizzes in the learner pages: one question per page, each answer saved as it is given.

One question a page keeps every step a plain form post (no JavaScript needed, and nothing typed is
lost if the connection drops: what was saved stays saved), and fits a phone. The timer is the
server's: the deadline is the attempt's, and the page counts down to it. An answer the server
refuses because the time is over (one kept on the device while offline, sent after the deadline)
is reported as the server answered, and the review and result pages say what counted. Submitting
asks for a confirmation that lists the questions left unanswered; the result shows what the
quiz's `show_correct_answers` allows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from babel.dates import format_time

from university_local.core.clock import now_iso, utcnow
from university_local.core.db import loads
from university_local.core.errors import ApiError
from university_local.core.pagination import Page
from university_local.core.routing import Reply, Request, Router, raw
from university_local.quizzes.models import Answer
from university_local.quizzes.questions import Essay, FillBlank, Matching, MultipleChoice, TrueFalse, learner_question
from university_local.quizzes.service import (
    get_attempt,
    get_quiz,
    list_attempts,
    questions_of,
    save_answer,
    start_attempt,
    submit,
    view,
)
from university_local.web import service
from university_local.web.pages import HTML, Visit, error_page, posted, visit
from university_local.web.templating import gettext

quiz_pages = Router("learner pages", on_error=error_page)


@dataclass(frozen=True)
class Step:
    """One question of an attempt as its page shows it."""

    number: int  # 1-based, in the attempt's order
    index: int  # the question's index in the quiz
    type: str
    text: str
    points: float
    shown: dict[str, Any]  # what the learner sees of it (options, pairs)
    saved: Any  # the saved answer, or None


def _steps(attempt: Any, quiz: Any) -> list[Step]:
    questions = questions_of(quiz)
    rng = random.Random(attempt["id"])
    saved = {a["question_index"]: a["answer"] for a in loads(attempt["answers"])}
    steps = []
    for number, index in enumerate(loads(attempt["question_order"]), start=1):
        shown = learner_question(index, questions[index], rng)
        steps.append(Step(number, index, questions[index].type, questions[index].question, questions[index].points,
                          shown, saved.get(index)))
    return steps


def _seconds_left(attempt: Any) -> int | None:
    if not attempt["deadline_at"]:
        return None
    deadline = datetime.fromisoformat(attempt["deadline_at"].replace("Z", "+00:00"))
    return max(0, int((deadline - utcnow()).total_seconds()))


@dataclass(frozen=True)
class OpenAttempt:
    attempt: Any
    quiz: Any
    steps: list[Step]


def _open(v: Visit, attempt_id: str) -> OpenAttempt | Reply:
    """The learner's attempt still in progress with its questions, or the redirect to its result."""
    attempt = get_attempt(v.db, attempt_id, _user(v))
    if attempt["status"] != "in_progress":
        return v.redirect(f"/attempts/{quote(attempt_id)}" + ("?late=1" if _told_late(v) else ""))
    quiz = get_quiz(v.db, attempt["quiz_id"])
    return OpenAttempt(attempt, quiz, _steps(attempt, quiz))


@quiz_pages.get("/quizzes/<quiz_id>", summary="A quiz: its rules, the learner's attempts, start", access="public",
                returns=raw(HTML))
def quiz_page(req: Request, quiz_id: str) -> Reply:
    v = visit(req)
    user = _user(v)
    db = v.db
    quiz = get_quiz(db, quiz_id)
    attempts, _, standing = list_attempts(db, quiz_id, Page(1, 100), user_id=user)
    open_attempt = next((a.attempt for a in attempts if a.attempt["status"] == "in_progress"), None)
    return v.page("quiz.html", quiz=quiz, attempts=attempts, standing=standing, open_attempt=open_attempt,
                  questions=len(questions_of(quiz)), due=v.when(quiz["due_date"]) if quiz["due_date"] else None,
                  op=service.new_operation_id())


@quiz_pages.post("/quizzes/<quiz_id>/start", summary="Start (or continue) an attempt", access="public",
                 returns=raw(HTML))
def start_page(req: Request, quiz_id: str) -> Reply:
    v, _ = posted(req)
    attempt = start_attempt(v.db, quiz_id, _user(v))  # an open attempt is continued, never doubled
    return v.redirect(f"/attempts/{quote(attempt['id'])}/questions/1")


@quiz_pages.get("/attempts/<attempt_id>/questions/<number:int>", summary="One question of an attempt",
                access="public", returns=raw(HTML))
def question_page(req: Request, attempt_id: str, number: int) -> Reply:
    v = visit(req)
    found = _open(v, attempt_id)
    if isinstance(found, Reply):
        return found
    attempt, quiz, steps = found.attempt, found.quiz, found.steps
    if not 1 <= number <= len(steps):
        raise ApiError(404, "not_found", gettext(v.language, "Not found"))
    return v.page("question.html", quiz=quiz, attempt=attempt, step=steps[number - 1], total=len(steps),
                  seconds_left=_seconds_left(attempt), error=None)


def _answer_of(step: Step, form: dict[str, str], lists: dict[str, list[str]]) -> Any:
    """The form's fields as the answer the question type takes; None when nothing was given."""
    if step.type == "multiple_choice":
        if step.shown.get("select_several"):
            picked = [int(value) for value in lists.get("answer", []) if value.isdigit()]
            return sorted(picked) or None
        value = form.get("answer", "")
        return int(value) if value.isdigit() else None
    if step.type == "true_false":
        return {"true": True, "false": False}.get(form.get("answer", ""))
    if step.type in ("fill_blank", "essay"):
        text = form.get("answer", "")
        return text if text.strip() else None
    if step.type == "matching":
        pairs = [[int(name[6:]), int(value)] for name, value in form.items()
                 if name.startswith("match-") and name[6:].isdigit() and value.isdigit()]
        return sorted(pairs) or None
    return None


@quiz_pages.post("/attempts/<attempt_id>/questions/<number:int>", summary="Save one answer", access="public",
                 returns=raw(HTML))
def save_page(req: Request, attempt_id: str, number: int) -> Reply:
    v, form = posted(req)
    db = v.db
    user = _user(v)
    attempt = get_attempt(db, attempt_id, user)
    quiz = get_quiz(db, attempt["quiz_id"])
    steps = _steps(attempt, quiz)
    if not 1 <= number <= len(steps):
        raise ApiError(404, "not_found", gettext(v.language, "Not found"))
    step = steps[number - 1]
    answer = _answer_of(step, form, req.form_lists())
    try:
        save_answer(db, attempt_id, user, None if answer is None else Answer(question_index=step.index, answer=answer),
                    step.index)
    except ApiError as err:
        if err.errors[0].get("code") in ("attempt_time_over", "attempt_submitted"):
            return _not_accepted(v, req, attempt, step, time_over=err.errors[0]["code"] == "attempt_time_over")
        if err.status != 422:
            raise
        detail = err.errors[0].get("detail", "")
        return v.page("question.html", 422, quiz=quiz, attempt=attempt, step=step, total=len(steps),
                      seconds_left=_seconds_left(attempt), error=detail.split(": ", 1)[-1])
    if req.header("X-Requested-With") == "page-script":  # the page's autosave: no page to move to
        return Reply(None, 204, {"Cache-Control": "no-store"}, HTML, tuple(v.cookies))
    go = form.get("go", "next")
    target = number + 1 if go == "next" else number - 1 if go == "previous" else None
    if target is None or not 1 <= target <= len(steps):
        return v.redirect(f"/attempts/{quote(attempt_id)}/review")
    return v.redirect(f"/attempts/{quote(attempt_id)}/questions/{target}")


def _not_accepted(v: Visit, req: Request, attempt: Any, step: Step, *, time_over: bool) -> Reply:
    """The server refused an answer (the time is over, or the attempt was submitted): say so.

    A form post goes to the page that tells the learner what counted. The page's script (its
    autosave, or its outbox resending an answer kept on the device) gets 409 with the sentence to
    show and, in `X-Then`, that page."""
    attempt = get_attempt(v.db, attempt["id"])  # as the refusal found it (the scheduler may just have closed it)
    late = time_over or bool(attempt["late"])  # closed by the deadline (scheduler or a late submit)
    then = f"/attempts/{quote(attempt['id'])}" + ("/review" if attempt["status"] == "in_progress" else "")
    then += "?late=1" if late else ""
    if req.header("X-Requested-With") != "page-script":
        return v.redirect(then)
    if late:
        message = gettext(v.language, "Time ran out at %(time)s, before your answer to question %(n)s reached "
                                      "the server, so it was not counted.") % {
            "time": _clock(v, attempt["deadline_at"]), "n": step.number}
    else:
        message = gettext(v.language, "This attempt was already submitted, so your answer to question %(n)s was "
                                      "not counted.") % {"n": step.number}
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Then": then}
    return Reply(message, 409, headers, "text/plain; charset=utf-8", tuple(v.cookies))


def _clock(v: Visit, stamp: str | None) -> str:
    """The time of day of a timestamp, in the learner's language and the organisation's time zone."""
    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return format_time(moment, "short", tzinfo=v.zone(), locale=v.language)


def _told_late(v: Visit) -> bool:
    """`?late=1`: the page comes after an answer the server did not accept because the time was over."""
    return bool(v.req.query_values("late"))


@quiz_pages.get("/attempts/<attempt_id>/review", summary="Check the answers before submitting", access="public",
                returns=raw(HTML))
def review_page(req: Request, attempt_id: str) -> Reply:
    v = visit(req)
    found = _open(v, attempt_id)
    if isinstance(found, Reply):
        return found
    attempt, quiz, steps = found.attempt, found.quiz, found.steps
    seconds = _seconds_left(attempt)
    refused = _told_late(v) and seconds is not None
    return v.page("review.html", quiz=quiz, attempt=attempt, steps=steps,
                  unanswered=[s for s in steps if s.saved is None], seconds_left=seconds,
                  time_over=seconds == 0 or refused, refused=refused,
                  ran_out=_clock(v, attempt["deadline_at"]), op=service.new_operation_id())


@quiz_pages.post("/attempts/<attempt_id>/submit", summary="Submit an attempt", access="public", returns=raw(HTML))
def submit_page(req: Request, attempt_id: str) -> Reply:
    v, form = posted(req)
    db = v.db
    user = _user(v)
    attempt = get_attempt(db, attempt_id, user)
    saved = [Answer(question_index=a["question_index"], answer=a["answer"]) for a in loads(attempt["answers"])]
    # The operation id is the submission's idempotency key: a resent submit finds the first result.
    submit(db, attempt["quiz_id"], user, saved, time_taken_seconds=None, attempt_id=attempt_id,
           idempotency_key=(form.get("op") or None))
    return v.redirect(f"/attempts/{quote(attempt_id)}")


@dataclass(frozen=True)
class Outcome:
    number: int
    text: str
    points_possible: float
    points_earned: float | None
    correct: bool | None
    pending_review: bool
    feedback: str | None
    solution: str | None
    explanation: str | None
    answered: bool


def _solution_text(question: Any) -> str | None:
    if isinstance(question, MultipleChoice):
        return ", ".join(question.options[i].text for i in sorted(question.correct_indexes))
    if isinstance(question, TrueFalse):
        return "true" if question.correct_answer else "false"
    if isinstance(question, FillBlank):
        return " / ".join(question.correct_answers)
    if isinstance(question, Matching):
        return "; ".join(f"{p.left} → {p.right}" for p in question.pairs)
    if isinstance(question, Essay):
        return None
    return None


@quiz_pages.get("/attempts/<attempt_id>", summary="An attempt's result", access="public", returns=raw(HTML))
def result_page(req: Request, attempt_id: str) -> Reply:
    v = visit(req)
    db = v.db
    attempt = get_attempt(db, attempt_id, _user(v))
    if attempt["status"] == "in_progress":
        return v.redirect(f"/attempts/{quote(attempt_id)}/questions/1")
    seen = view(db, attempt)
    quiz = seen.quiz
    questions = questions_of(quiz)
    order = {index: n for n, index in enumerate(loads(attempt["question_order"]), start=1)}
    outcomes = []
    for result in sorted(loads(attempt["results"]), key=lambda r: order.get(r["question_index"], 0)):
        question = questions[result["question_index"]]
        marks = seen.marks_shown
        outcomes.append(Outcome(
            order.get(result["question_index"], 0), question.question, question.points,
            result.get("points_earned") if marks else None, result.get("correct") if marks else None,
            bool(result.get("pending_review")), result.get("feedback") if marks else None,
            _solution_text(question) if seen.reveal else None, question.explanation if seen.reveal else None,
            bool(result.get("answered", True))))
    _, _, standing = list_attempts(db, quiz["id"], Page(1, 1), user_id=attempt["user_id"])
    return v.page("result.html", quiz=quiz, attempt=attempt, outcomes=outcomes, standing=standing,
                  marks=seen.marks_shown, submitted=v.when(attempt["submitted_at"]), now=now_iso(),
                  ran_out=_clock(v, attempt["deadline_at"]), refused=_told_late(v) and bool(attempt["late"]))


def _user(v: Visit) -> str:
    assert v.learner is not None
    return v.learner.user_id
