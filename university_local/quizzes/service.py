"""Quizzes and attempts: definitions, the server's exam clock, grading and what a learner may see.

An attempt's life: `start` (optional for untimed quizzes) fixes the question order and, for a
timed quiz, a deadline on the server's clock; `save_answers` keeps work as the learner goes, so a
dropped connection loses nothing; `submit` grades. A submission that arrives after the deadline
(plus a grace period for the network) is graded with the answers saved before the deadline, and
marked `late`. Attempts that were started and never submitted are graded the same way once their
deadline passes (by the scheduler, or when the learner next starts or submits).

A submission is recorded once: a retry with the same `Idempotency-Key` (or for the same started
attempt) answers with the first result. Passing the quiz of a quiz lesson completes that lesson
through the progress service, in the same transaction.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from university_local.core.clock import now_iso, to_iso, utcnow
from university_local.core.db import Db, Row, Store, dumps, loads
from university_local.core.errors import ApiError, error_object, not_found
from university_local.core.events import emit
from university_local.core.ids import new_id
from university_local.core.pagination import Page
from university_local.core.scope import Scope, Tenant
from university_local.courses.service import get_course
from university_local.lessons.service import get_lesson
from university_local.progress import service as progress
from university_local.quizzes.models import Answer, QuizCreate
from university_local.quizzes.questions import AnswerError, Essay, Question, grade_answer

GRACE_SECONDS = 30  # a submission this late is still on time: the request was in flight
_QUESTIONS = TypeAdapter(list[Question])
_COLUMNS = ("title", "description", "time_limit_minutes", "passing_score", "max_attempts", "shuffle_questions",
            "show_correct_answers", "due_date")
_ATTEMPT = "SELECT * FROM quiz_attempts WHERE app_id = :app AND env = :env"


@dataclass(frozen=True)
class AttemptView:
    """An attempt with what its reader may see of it: a learner sees correctness unless the quiz
    says `never`, and answers and explanations only when `reveal` allows; staff see everything."""

    attempt: Row
    quiz: Row
    learner: bool
    reveal: bool

    @property
    def marks_shown(self) -> bool:
        """Whether the reader sees which questions were right (a learner not, when the quiz says `never`)."""
        return not self.learner or self.quiz["show_correct_answers"] != "never"


@dataclass(frozen=True)
class Standing:
    """One learner's standing on a quiz: `best_score` (the highest score of any submitted attempt:
    the quiz's score for the learner), `last_score`, `passed` (any attempt passed), attempts used
    and left."""

    user_id: str
    best_score: float | None
    last_score: float | None
    passed: bool
    attempts_used: int
    attempts_remaining: int | None


# -- quizzes ---------------------------------------------------------------------------------


def create_quiz(db: Db, attrs: QuizCreate) -> Row:
    quiz_id, now = new_id("quiz"), now_iso()
    with db.transaction():
        course_id, lesson_id = _placement(db, attrs.lesson_id, attrs.course_id)
        questions = _checked_questions(attrs.questions, attrs.show_correct_answers, attrs.due_date)
        db.insert("quizzes", {
            "id": quiz_id, "course_id": course_id, "lesson_id": lesson_id, **{c: getattr(attrs, c) for c in _COLUMNS},
            "questions": dumps(questions), "total_points": sum(q["points"] for q in questions),
            "created_at": now, "updated_at": now, "deleted_at": None,
        })
    return get_quiz(db, quiz_id)


def _placement(db: Db, lesson_id: str | None, course_id: str | None) -> tuple[str, str | None]:
    """(course, lesson) of a quiz: the lesson's course, which must agree with a given course_id."""
    if lesson_id is None:
        assert course_id is not None
        try:
            get_course(db, course_id)
        except ApiError as err:
            raise _pointed(err, "/data/attributes/course_id") from None
        return course_id, None
    try:
        lesson = get_lesson(db, lesson_id)
    except ApiError as err:
        raise _pointed(err, "/data/attributes/lesson_id") from None
    if course_id is not None and course_id != lesson["course_id"]:
        raise ApiError(422, "validation_error", "The lesson belongs to another course.",
                       pointer="/data/attributes/course_id")
    return lesson["course_id"], lesson_id


def _pointed(err: ApiError, pointer: str) -> ApiError:
    err.errors[0]["source"] = {"pointer": pointer}
    return err


def _checked_questions(questions: list[Any], show: str, due_date: str | None) -> list[dict[str, Any]]:
    if show == "after_due" and due_date is None:
        raise ApiError(422, "validation_error", "show_correct_answers 'after_due' needs a due_date.",
                       pointer="/data/attributes/due_date")
    dumped = [q.model_dump() for q in questions]
    if not any(q["points"] for q in dumped):
        raise ApiError(422, "validation_error", "The questions are worth no points; give at least one some.",
                       pointer="/data/attributes/questions")
    return dumped


def get_quiz(db: Db, quiz_id: str) -> Row:
    row = db.one(
        "SELECT q.* FROM quizzes q JOIN courses c ON c.id = q.course_id AND +c.app_id = :app AND +c.env = :env "
        "WHERE q.app_id = :app AND q.env = :env AND q.id = :id AND q.deleted_at IS NULL AND c.deleted_at IS NULL"
        + (" AND c.status = 'published'" if db.published_only else ""), {"id": quiz_id})
    if row is None:
        raise not_found("quiz", quiz_id)
    return row


def list_quizzes(db: Db, page: Page, *, lesson_id: str | None, course_id: str | None) -> tuple[list[Row], int]:
    where = ("FROM quizzes q JOIN courses c ON c.id = q.course_id AND +c.app_id = :app AND +c.env = :env "
             "WHERE q.app_id = :app AND q.env = :env AND q.deleted_at IS NULL AND c.deleted_at IS NULL")
    if db.published_only:
        where += " AND c.status = 'published'"
    if lesson_id:
        where += " AND q.lesson_id = :lesson"
    if course_id:
        where += " AND q.course_id = :course"
    params = {"lesson": lesson_id, "course": course_id, "limit": page.size, "offset": page.offset}
    total = db.scalar("SELECT COUNT(*) " + where, params)
    return db.all("SELECT q.* " + where + " ORDER BY q.id LIMIT :limit OFFSET :offset", params), total


def update_quiz(db: Db, quiz_id: str, changes: dict[str, Any]) -> Row:
    """Settings may change at any time; the questions only while nobody has attempted the quiz,
    because every recorded result refers to its question by index."""
    with db.transaction():
        quiz = get_quiz(db, quiz_id)
        update: dict[str, Any] = {c: v for c, v in changes.items() if c in _COLUMNS}
        show = update.get("show_correct_answers", quiz["show_correct_answers"])
        due = update["due_date"] if "due_date" in update else quiz["due_date"]
        if "questions" in changes:
            if db.scalar("SELECT 1 FROM quiz_attempts WHERE quiz_id = :quiz AND +app_id = :app AND +env = :env "
                         "LIMIT 1", {"quiz": quiz_id}):
                raise ApiError(409, "quiz_has_attempts", "Learners have attempted this quiz, so its questions "
                               "can no longer change; create a new quiz instead.", pointer="/data/attributes/questions")
            questions = _checked_questions(changes["questions"], show, due)
            update |= {"questions": dumps(questions), "total_points": sum(q["points"] for q in questions)}
        elif show == "after_due" and due is None:
            raise ApiError(422, "validation_error", "show_correct_answers 'after_due' needs a due_date.",
                           pointer="/data/attributes/due_date")
        if update:
            db.update("quizzes", quiz_id, {**update, "updated_at": now_iso()})
    return get_quiz(db, quiz_id)


def delete_quiz(db: Db, quiz_id: str) -> None:
    with db.transaction():
        get_quiz(db, quiz_id)
        now = now_iso()
        db.update("quizzes", quiz_id, {"deleted_at": now, "updated_at": now})


def quiz_of(db: Db, quiz_id: str) -> Row:
    """The quiz of an attempt the caller already holds, deleted or not (its attempts outlive it)."""
    row = db.one("SELECT * FROM quizzes WHERE app_id = :app AND env = :env AND id = :id", {"id": quiz_id})
    assert row is not None
    return row


@functools.lru_cache(maxsize=256)
def _parse(quiz_id: str, updated_at: str, questions: str) -> list[Any]:
    """The question models of a quiz version (cached: every submission needs them)."""
    return _QUESTIONS.validate_python(loads(questions))


def questions_of(quiz: Row) -> list[Any]:
    return _parse(quiz["id"], quiz["updated_at"], quiz["questions"])


# -- attempts ---------------------------------------------------------------------------------

_LEARNER = """
SELECT CASE WHEN e.status = 'active' AND e.expires_at IS NOT NULL AND e.expires_at <= :now
            THEN 'expired' ELSE e.status END AS status, e.expires_at,
       (SELECT m.unlock_at FROM lessons l JOIN modules m ON m.id = l.module_id AND +m.app_id = :app
          AND +m.env = :env WHERE l.id = :lesson AND l.app_id = :app AND l.env = :env) AS unlock_at
FROM enrollments e WHERE e.app_id = :app AND e.env = :env AND e.user_id = :user AND e.course_id = :course
"""


def _check_learner(db: Db, quiz: Row, user_id: str, now: str) -> None:
    """Only learners enrolled in the quiz's course may attempt it, and not before its lesson opens."""
    row = db.one(_LEARNER, {"now": now, "user": user_id, "course": quiz["course_id"], "lesson": quiz["lesson_id"]})
    if row is None or row["status"] == "cancelled":
        raise ApiError(422, "not_enrolled", f"User '{user_id}' is not enrolled in this quiz's course.",
                       pointer="/user_id")
    if row["status"] == "expired":
        raise ApiError(403, "enrollment_expired", f"The enrollment expired at {row['expires_at']}.")
    if row["unlock_at"] and row["unlock_at"] > now:
        raise ApiError(403, "lesson_locked", f"This quiz's lesson opens at {row['unlock_at']}.")


def _open_attempt(db: Db, quiz_id: str, user_id: str) -> Row | None:
    return db.one(_ATTEMPT + " AND quiz_id = :quiz AND user_id = :user AND status = 'in_progress'",
                  {"quiz": quiz_id, "user": user_id})


def start_attempt(db: Db, quiz_id: str, user_id: str) -> Row:
    """Begin an attempt on the server's clock. While one is open, starting again returns it."""
    now = now_iso()
    with db.transaction():
        quiz = get_quiz(db, quiz_id)
        _check_learner(db, quiz, user_id, now)
        _close_expired(db, quiz, user_id, now)
        open_attempt = _open_attempt(db, quiz_id, user_id)
        if open_attempt is not None:
            return open_attempt
        attempt_id = _new_attempt(db, quiz, user_id, now, idempotency_key=None)
    return get_attempt(db, attempt_id)


def _new_attempt(db: Db, quiz: Row, user_id: str, now: str, idempotency_key: str | None) -> str:
    used = db.scalar("SELECT COUNT(*) FROM quiz_attempts WHERE quiz_id = :quiz AND user_id = :user "
                     "AND +app_id = :app AND +env = :env", {"quiz": quiz["id"], "user": user_id})
    if quiz["max_attempts"] is not None and used >= quiz["max_attempts"]:
        raise ApiError(422, "quiz_attempts_exhausted", f"All {quiz['max_attempts']} attempts at this quiz "
                       "have been used.")
    attempt_id = new_id("attempt")
    order = list(range(len(questions_of(quiz))))
    if quiz["shuffle_questions"]:
        random.Random(attempt_id).shuffle(order)  # reproducible from the attempt id
    deadline = None
    if quiz["time_limit_minutes"]:
        deadline = to_iso(utcnow() + timedelta(minutes=quiz["time_limit_minutes"]))
    db.insert("quiz_attempts", {
        "id": attempt_id, "quiz_id": quiz["id"], "user_id": user_id, "attempt_number": used + 1,
        "status": "in_progress", "question_order": dumps(order), "answers": "[]",
        "idempotency_key": idempotency_key, "started_at": now, "deadline_at": deadline, "updated_at": now,
    })
    return attempt_id


def save_answers(db: Db, attempt_id: str, user_id: str, answers: list[Answer]) -> Row:
    """Keep a learner's answers so far on an open attempt; each save replaces the last one."""
    now = now_iso()
    with db.transaction():
        attempt = get_attempt(db, attempt_id, user_id)
        if attempt["status"] != "in_progress":
            raise ApiError(409, "attempt_submitted", "This attempt has been submitted; its answers are final.")
        if _past_deadline(attempt, now):
            raise ApiError(409, "attempt_time_over", f"The time for this attempt ended at {attempt['deadline_at']}; "
                           "the answers saved before then will be graded.")
        quiz = quiz_of(db, attempt["quiz_id"])
        checked = _check_answers(questions_of(quiz), answers)
        db.update("quiz_attempts", attempt_id, {"answers": dumps(checked), "updated_at": now})
    return get_attempt(db, attempt_id)


def save_answer(db: Db, attempt_id: str, user_id: str, answer: Answer | None, question_index: int) -> Row:
    """Keep one question's answer on an open attempt (None clears it), leaving the others as saved."""
    with db.transaction():
        attempt = get_attempt(db, attempt_id, user_id)
        kept = [Answer(question_index=a["question_index"], answer=a["answer"]) for a in loads(attempt["answers"])
                if a["question_index"] != question_index]
        return save_answers(db, attempt_id, user_id, kept + ([answer] if answer is not None else []))


def submit(db: Db, quiz_id: str, user_id: str, answers: list[Answer], *, time_taken_seconds: int | None,
           attempt_id: str | None, idempotency_key: str | None) -> tuple[Row, bool]:
    """Grade a submission; return the attempt and whether it is a replay of an earlier one."""
    now = now_iso()
    with db.transaction():
        quiz = get_quiz(db, quiz_id)
        if idempotency_key is not None:
            earlier = db.one(_ATTEMPT + " AND quiz_id = :quiz AND user_id = :user AND idempotency_key = :key",
                             {"quiz": quiz_id, "user": user_id, "key": idempotency_key})
            if earlier is not None and earlier["status"] != "in_progress":
                return earlier, True
        _check_learner(db, quiz, user_id, now)
        questions = questions_of(quiz)
        if attempt_id is not None:
            attempt = get_attempt(db, attempt_id, user_id)
            if attempt["quiz_id"] != quiz_id:
                raise ApiError(422, "validation_error", "That attempt belongs to another quiz.", pointer="/attempt_id")
            if attempt["status"] != "in_progress":
                return attempt, True  # the same attempt submitted again: the first result stands
        else:
            _close_expired(db, quiz, user_id, now)
            open_attempt = _open_attempt(db, quiz_id, user_id)
            if open_attempt is None and quiz["time_limit_minutes"]:
                raise ApiError(409, "attempt_not_started", "This quiz is timed: start an attempt with "
                               f"POST /quizzes/{quiz_id}/attempts/start and submit it with its attempt_id.")
            attempt = open_attempt or get_attempt(db, _new_attempt(db, quiz, user_id, now, idempotency_key), user_id)
        checked = _check_answers(questions, answers)
        late = _past_deadline(attempt, now)
        if late:  # only what was saved in time counts
            checked = loads(attempt["answers"])
        taken = _seconds_between(attempt["started_at"], now) if attempt["deadline_at"] else time_taken_seconds
        _grade(db, quiz, attempt, checked, now, late=late, time_taken=taken, idempotency_key=idempotency_key)
    return get_attempt(db, attempt["id"]), False


def _grade(db: Db, quiz: Row, attempt: Row, answers: list[dict[str, Any]], now: str, *, late: bool,
           time_taken: int | None, idempotency_key: str | None = None) -> None:
    """Score an attempt, store the result, emit its events, and complete a quiz lesson on a pass."""
    questions = questions_of(quiz)
    given = {a["question_index"]: a["answer"] for a in answers}
    results = [{"question_index": i, **grade_answer(q, given.get(i), i in given)} for i, q in enumerate(questions)]
    update = {"answers": dumps(answers), "late": int(late), "time_taken_seconds": time_taken,
              "submitted_at": now, "updated_at": now}
    if idempotency_key is not None and attempt["idempotency_key"] is None:
        update["idempotency_key"] = idempotency_key
    outcome = _score(quiz, results)
    db.update("quiz_attempts", attempt["id"], {**update, **outcome, "results": dumps(results)})
    event = {"attempt_id": attempt["id"], "quiz_id": quiz["id"], "user_id": attempt["user_id"],
             "course_id": quiz["course_id"], "lesson_id": quiz["lesson_id"],
             "attempt_number": attempt["attempt_number"], "score": outcome["score"],
             "passing_score": quiz["passing_score"], "pending_review": outcome["status"] == "pending_review",
             "late": late, "submitted_at": now}
    emit(db, "quiz.submitted", "quiz_attempt", attempt["id"], event)
    if outcome["passed"] is not None:
        _decided(db, quiz, attempt, bool(outcome["passed"]), event)


def _score(quiz: Row, results: list[dict[str, Any]]) -> dict[str, Any]:
    earned = sum(r["points_earned"] for r in results)
    score = round(100 * earned / quiz["total_points"], 2)
    pending = any(r.get("pending_review") for r in results)
    passed: bool | None = score >= quiz["passing_score"]
    if pending and not passed:
        passed = None  # the essays may still make it a pass
    return {"status": "pending_review" if pending else "graded", "points_earned": earned, "score": score,
            "passed": None if passed is None else int(passed), "graded_at": None if pending else now_iso()}


def _decided(db: Db, quiz: Row, attempt: Row, passed: bool, event: dict[str, Any]) -> None:
    emit(db, "quiz.passed" if passed else "quiz.failed", "quiz_attempt", attempt["id"], event)
    if passed and quiz["lesson_id"]:
        lesson = db.one("SELECT content_type FROM lessons WHERE app_id = :app AND env = :env AND id = :id "
                        "AND deleted_at IS NULL", {"id": quiz["lesson_id"]})
        if lesson is not None and lesson["content_type"] == "quiz":
            # Passing completes the lesson whoever graded it, the course published or not.
            progress.record(db.as_staff(), quiz["lesson_id"], attempt["user_id"], position=None,
                            time_spent_seconds=attempt["time_taken_seconds"] or None, complete=True)


def _check_answers(questions: list[Any], answers: list[Answer]) -> list[dict[str, Any]]:
    """Answers that fit their questions, or 422 pointing at each one that does not."""
    errors, seen = [], set()
    for n, item in enumerate(answers):
        if item.question_index >= len(questions):
            errors.append(error_object(422, "validation_error", f"There are {len(questions)} questions; "
                                       f"question_index runs from 0 to {len(questions) - 1}.",
                                       pointer=f"/answers/{n}/question_index"))
        elif item.question_index in seen:
            errors.append(error_object(422, "validation_error", f"Question {item.question_index} is answered twice.",
                                       pointer=f"/answers/{n}/question_index"))
        else:
            seen.add(item.question_index)
            try:
                questions[item.question_index].check(item.answer)
            except AnswerError as exc:
                question = questions[item.question_index]
                errors.append(error_object(422, "invalid_answer", f"Question {item.question_index} "
                                           f"({question.type}): {exc}", pointer=f"/answers/{n}/answer"))
    if errors:
        raise ApiError.many(422, errors)
    return [{"question_index": a.question_index, "answer": a.answer} for a in answers]


def _past_deadline(attempt: Row, now: str) -> bool:
    if not attempt["deadline_at"]:
        return False
    return now > to_iso(_parse_iso(attempt["deadline_at"]) + timedelta(seconds=GRACE_SECONDS))


def _close_expired(db: Db, quiz: Row, user_id: str | None, now: str) -> int:
    """Grade open attempts whose time is over, with the answers saved before the deadline."""
    sql = _ATTEMPT + " AND quiz_id = :quiz AND status = 'in_progress' AND deadline_at IS NOT NULL"
    if user_id is not None:
        sql += " AND user_id = :user"
    closed = 0
    for attempt in db.all(sql, {"quiz": quiz["id"], "user": user_id}):
        if _past_deadline(attempt, now):
            taken = quiz["time_limit_minutes"] * 60
            _grade(db, quiz, attempt, loads(attempt["answers"]), now, late=True, time_taken=taken)
            closed += 1
    return closed


def close_expired_attempts(store: Store) -> int:
    """The scheduler's job, across tenants: grade every timed attempt left open past its deadline."""
    now = now_iso()
    cutoff = to_iso(utcnow() - timedelta(seconds=GRACE_SECONDS))
    closed = 0
    with store.transaction():
        due = store.all("SELECT DISTINCT a.quiz_id, a.user_id, a.app_id, a.env FROM quiz_attempts a "
                        "WHERE a.status = 'in_progress' AND a.deadline_at IS NOT NULL AND a.deadline_at < ?", (cutoff,))
        for row in due:
            db = store.scoped(Scope.staff(Tenant(row["app_id"], row["env"])))
            closed += _close_expired(db, quiz_of(db, row["quiz_id"]), row["user_id"], now)
    return closed


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _seconds_between(start: str, end: str) -> int:
    return max(0, int((_parse_iso(end) - _parse_iso(start)).total_seconds()))


def get_attempt(db: Db, attempt_id: str, user_id: str | None = None) -> Row:
    """The tenant's attempt; with `user_id`, only if it is that learner's."""
    attempt = db.one(_ATTEMPT + " AND id = :id", {"id": attempt_id})
    if attempt is None or (user_id is not None and attempt["user_id"] != user_id):
        raise not_found("attempt", attempt_id)
    return attempt


def list_attempts(db: Db, quiz_id: str, page: Page, *, user_id: str | None
                  ) -> tuple[list[AttemptView], int, Standing | None]:
    """A page of attempts, oldest first, and for one learner their standing on the quiz."""
    quiz = get_quiz(db, quiz_id)
    where = "WHERE quiz_id = :quiz AND +app_id = :app AND +env = :env"
    params = {"quiz": quiz_id, "user": user_id, "limit": page.size, "offset": page.offset}
    if user_id is not None:
        where += " AND user_id = :user"
    total = db.scalar(f"SELECT COUNT(*) FROM quiz_attempts {where}", params)
    rows = db.all(f"SELECT * FROM quiz_attempts {where} ORDER BY user_id, attempt_number "
                  "LIMIT :limit OFFSET :offset", params)
    standing = None
    if user_id is not None:
        summary = db.one(
            "SELECT COUNT(*) AS used, MAX(score) AS best, MAX(passed) AS passed, "
            "(SELECT score FROM quiz_attempts WHERE quiz_id = :quiz AND user_id = :user AND submitted_at IS NOT NULL "
            " AND +app_id = :app AND +env = :env ORDER BY attempt_number DESC LIMIT 1) AS last "
            "FROM quiz_attempts WHERE quiz_id = :quiz AND user_id = :user AND +app_id = :app AND +env = :env", params)
        assert summary is not None
        limit = quiz["max_attempts"]
        standing = Standing(user_id, summary["best"], summary["last"], bool(summary["passed"]), summary["used"],
                            None if limit is None else max(0, limit - summary["used"]))
    learner = db.published_only
    reveal = not learner or reveals_answers(quiz, bool(standing and standing.passed), now_iso())
    return [AttemptView(row, quiz, learner, reveal) for row in rows], total, standing


def grade_essay(db: Db, attempt_id: str, question_index: int, points: float, feedback: str | None) -> Row:
    """An instructor scores one essay; the attempt is re-scored and, once no essay waits, decided."""
    now = now_iso()
    with db.transaction():
        attempt = get_attempt(db, attempt_id)
        if attempt["status"] == "in_progress":
            raise ApiError(409, "attempt_not_submitted", "This attempt has not been submitted yet.")
        quiz = quiz_of(db, attempt["quiz_id"])
        questions = questions_of(quiz)
        if question_index >= len(questions) or not isinstance(questions[question_index], Essay):
            raise ApiError(422, "not_an_essay", f"Question {question_index} is not an essay question; only "
                           "essays are graded by hand.", pointer="/question_index")
        possible = questions[question_index].points
        if points > possible:
            raise ApiError(422, "validation_error", f"Question {question_index} is worth {possible} points.",
                           pointer="/points_earned")
        results = loads(attempt["results"])
        result = results[question_index]
        result.update({"points_earned": int(points) if float(points).is_integer() else points,
                       "pending_review": False, "graded": True, "feedback": feedback})
        before = attempt["passed"]
        outcome = _score(quiz, results)
        db.update("quiz_attempts", attempt_id, {**outcome, "results": dumps(results), "updated_at": now})
        if outcome["passed"] is not None and outcome["passed"] != before:
            event = {"attempt_id": attempt_id, "quiz_id": quiz["id"], "user_id": attempt["user_id"],
                     "course_id": quiz["course_id"], "lesson_id": quiz["lesson_id"],
                     "attempt_number": attempt["attempt_number"], "score": outcome["score"],
                     "passing_score": quiz["passing_score"], "pending_review": False, "late": bool(attempt["late"]),
                     "submitted_at": attempt["submitted_at"]}
            _decided(db, quiz, attempt, bool(outcome["passed"]), event)
    return get_attempt(db, attempt_id)


# -- what a reader sees -----------------------------------------------------------------------


def reveals_answers(quiz: Row, passed_quiz: bool, now: str) -> bool:
    """Whether a learner may now see the correct answers and explanations of their attempts."""
    show = quiz["show_correct_answers"]
    return (show == "after_submission" or (show == "after_passing" and passed_quiz)
            or (show == "after_due" and quiz["due_date"] is not None and now >= quiz["due_date"]))


def view(db: Db, attempt: Row) -> AttemptView:
    """The attempt as this caller may see it."""
    quiz = quiz_of(db, attempt["quiz_id"])
    learner = db.published_only
    reveal = not learner or reveals_answers(quiz, _has_passed(db, quiz["id"], attempt["user_id"]), now_iso())
    return AttemptView(attempt, quiz, learner, reveal)


def _has_passed(db: Db, quiz_id: str, user_id: str) -> bool:
    return bool(db.scalar("SELECT 1 FROM quiz_attempts WHERE quiz_id = :quiz AND user_id = :user AND passed = 1 "
                          "AND +app_id = :app AND +env = :env", {"quiz": quiz_id, "user": user_id}))


def finish_idempotency_key(raw: str | None) -> str | None:
    """The Idempotency-Key header, checked: 1-128 visible characters."""
    if raw is None:
        return None
    key = raw.strip()
    if not 1 <= len(key) <= 128 or not key.isprintable():
        raise ApiError(400, "invalid_header", "Idempotency-Key: 1 to 128 printable characters.")
    return key
