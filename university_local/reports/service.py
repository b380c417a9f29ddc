"""Course reports: every enrolled learner's record of every lesson, and of every quiz question
they answered, as one CSV or JSON file, streamed.

An instructor (or the school office) takes this file into a spreadsheet or a student
information system, so it is flat, complete and deterministic: the same records give the same
bytes, from the API (`GET /reports/courses/{course_id}`) and from the CLI
(`university-local report course ...`), which both call `course_report`.

Rows
- `record_type = lesson`: one per enrollment of the course (any status: active, completed,
  expired, cancelled) per live lesson of the course, lessons in course order (module position,
  then lesson position). A learner who never opened a lesson still has its row (zeros).
- `record_type = question` (only with `include=scores`): one per question of every submitted
  attempt (graded or pending review; attempts in progress are left out) of the course's live
  quizzes, by enrolled learners. Quizzes in course order of their lesson (course-level quizzes
  last), then attempt number, then question index.
- Learners in `user_id` order; a learner's lesson rows come before their question rows.

Columns, in this order (a group's columns appear only when `include` names the group; default
all three):
- always: record_type, user_id, display_name, email, enrollment_id, enrolled_at, module_id,
  lesson_id, lesson_title. On question rows module_id/lesson_id/lesson_title are the quiz's
  lesson (empty for a quiz set on the course itself).
- progress: enrollment_status (as the enrollments API reads it: an active enrollment past its
  expires_at is `expired`), progress_percent (the enrollment's: required lessons completed,
  rounded down; 100 once completed), position (last position reported), furthest_position,
  completed, completed_at. The two enrollment columns are filled on every row; the others on
  lesson rows only.
- time_spent: time_spent_seconds (learner's total on the lesson), started_at,
  last_activity_at (the progress record's last change). Lesson rows only.
- scores: quiz_id, quiz_title, attempt_id, attempt_number, submitted_at, question_index
  (0-based, the quiz definition's order; questions have no ids of their own), question_type,
  points_earned (an essay's is 0 until graded), points_possible, correct (empty for an answered
  essay, which earns points rather than being right or wrong; false for any unanswered
  question), attempt_score (percent, two decimals), attempt_passed (empty while essays await
  grading and the rest does not already pass). Question rows only.

Values: empty (CSV) / null (JSON) when not applicable; booleans `true`/`false`; times UTC ISO
8601 with `Z`; a lesson row with no progress has position, furthest_position and
time_spent_seconds 0 and completed false.

CSV is RFC 4180 (comma, double quotes, CRLF), UTF-8 without a byte-order mark, one header row.
Against CSV injection, a text cell (user_id, display_name, email, the titles and the ids) that
begins with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a single quote `'`,
so a spreadsheet shows it as text instead of running it as a formula (names, emails, titles and
learner ids come from people). JSON is
`{"data": [{column: value, ...}, ...], "meta": {"course_id", "columns", "include",
"generated_at"}}` with the values unaltered.

Memory stays flat whatever the course size: two statements, both in learner order, are read in
batches and merged as they stream (the course's enrollments with their progress records; their
submitted attempts); each learner's lesson rows are the course's lesson list crossed with their
progress, and each attempt's question rows come from its stored results. Output goes out in
chunks of about 64 KB as it is produced; the whole report is never held.
"""

from __future__ import annotations

import csv
import io
import operator
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from university_local.core.clock import now_iso
from university_local.core.db import Db, loads
from university_local.courses.service import get_course
from university_local.reports.models import GROUPS

BASE_COLUMNS = ("record_type", "user_id", "display_name", "email", "enrollment_id", "enrolled_at",
                "module_id", "lesson_id", "lesson_title")
GROUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "progress": ("enrollment_status", "progress_percent", "position", "furthest_position", "completed",
                 "completed_at"),
    "time_spent": ("time_spent_seconds", "started_at", "last_activity_at"),
    "scores": ("quiz_id", "quiz_title", "attempt_id", "attempt_number", "submitted_at", "question_index",
               "question_type", "points_earned", "points_possible", "correct", "attempt_score", "attempt_passed"),
}
# Every column, in the order rows are assembled; a report picks its columns from these.
ALL_COLUMNS = BASE_COLUMNS + tuple(c for group in GROUPS for c in GROUP_COLUMNS[group])
BOOLEAN_COLUMNS = frozenset({"completed", "correct", "attempt_passed"})
# Cells that may hold text from outside the server (names, titles, ids a client or a sync chose),
# checked for CSV injection. The others are numbers, times and the server's own words.
TEXT_COLUMNS = frozenset({"user_id", "display_name", "email", "enrollment_id", "module_id", "lesson_id",
                          "lesson_title", "quiz_id", "quiz_title", "attempt_id"})
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
CHUNK_BYTES = 64 * 1024  # about what one yield hands the server
BATCH_ROWS = 500  # rows per fetchmany, and per batch handed to the encoders
_FORMULA_STARTS = frozenset("=+-@\t\r")
_LAST = 2_147_483_647  # sorts quizzes without a live lesson after the others
_NO_PROGRESS = (0, 0, False, None, 0, None, None)  # position .. last_activity_at of an unopened lesson
_NO_QUESTION = (None,) * len(GROUP_COLUMNS["scores"])
_NO_LESSON_PROGRESS = (None,) * 7  # the same cells on a question row
Row = tuple[Any, ...]
Batches = Generator[list[Row], None, None]  # assembled rows, BATCH_ROWS at a time
Chunks = Generator[bytes, None, None]  # the encoded report, about CHUNK_BYTES at a time

# Each enrollment of the course (any status) with its progress records, in learner order; a
# learner without progress comes once, with NULL progress. Status and percent follow
# enrollments.service (the effective status; progress_percent over required live lessons) so the
# report agrees with the enrollments API. `+column` keeps SQLite on the course's own indexes.
_LEARNERS = """
WITH done AS MATERIALIZED (
  SELECT p.user_id, COUNT(*) AS lessons
  FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id AND +l.app_id = :app AND +l.env = :env
  WHERE p.course_id = :course AND +p.app_id = :app AND +p.env = :env AND p.completed_at IS NOT NULL
    AND l.deleted_at IS NULL AND l.required = 1
  GROUP BY p.user_id
),
learner AS MATERIALIZED (
  SELECT e.id AS enrollment_id, e.user_id, e.enrolled_at, u.display_name, u.email,
    CASE WHEN e.status = 'active' AND e.expires_at IS NOT NULL AND e.expires_at <= :now
         THEN 'expired' ELSE e.status END AS enrollment_status,
    COALESCE(d.lessons, 0) AS required_completed
  FROM enrollments e
  LEFT JOIN users u ON u.app_id = :app AND u.env = :env AND u.id = e.user_id
  LEFT JOIN done d ON d.user_id = e.user_id
  WHERE e.course_id = :course AND +e.app_id = :app AND +e.env = :env
),
required AS (
  SELECT COUNT(*) AS lessons FROM lessons
  WHERE course_id = :course AND app_id = :app AND env = :env AND deleted_at IS NULL AND required = 1
)
SELECT r.user_id, r.display_name, r.email, r.enrollment_id, r.enrolled_at, r.enrollment_status,
  CASE WHEN r.enrollment_status = 'completed' THEN 100 WHEN t.lessons = 0 THEN 0
       ELSE MIN(100, 100 * r.required_completed / t.lessons) END,
  p.lesson_id, p.position, p.furthest_position, p.completed_at, p.time_spent_seconds, p.started_at, p.updated_at
FROM learner r CROSS JOIN required t
LEFT JOIN lesson_progress p ON p.app_id = :app AND p.env = :env AND p.user_id = r.user_id AND p.course_id = :course
ORDER BY r.user_id
"""

# Submitted attempts (graded or pending review) at the course's live quizzes by its enrolled
# learners, in learner order, then quizzes in course order (quizzes without a live lesson last),
# then attempt number. CROSS JOIN keeps the course's quizzes the outer loop.
_LIVE_LESSON = "ql.deleted_at IS NULL AND qm.deleted_at IS NULL"
_ATTEMPTS = f"""
SELECT a.user_id, q.id, a.id, a.attempt_number, a.submitted_at, a.score, a.passed, a.results
FROM quizzes q
CROSS JOIN quiz_attempts a ON a.app_id = :app AND a.env = :env AND a.quiz_id = q.id AND a.submitted_at IS NOT NULL
LEFT JOIN lessons ql ON ql.id = q.lesson_id AND +ql.app_id = :app AND +ql.env = :env
LEFT JOIN modules qm ON qm.id = ql.module_id AND +qm.app_id = :app AND +qm.env = :env
WHERE q.course_id = :course AND +q.app_id = :app AND +q.env = :env AND q.deleted_at IS NULL
  AND EXISTS (SELECT 1 FROM enrollments e WHERE e.app_id = :app AND e.env = :env AND e.user_id = a.user_id
              AND e.course_id = :course)
ORDER BY a.user_id, COALESCE(CASE WHEN {_LIVE_LESSON} THEN qm.position END, {_LAST}),
  COALESCE(CASE WHEN {_LIVE_LESSON} THEN ql.position END, {_LAST}), q.id, a.attempt_number
"""

_LESSONS = """
SELECT l.id, l.module_id, l.title
FROM lessons l JOIN modules m ON m.id = l.module_id AND +m.app_id = :app AND +m.env = :env
WHERE l.course_id = :course AND l.app_id = :app AND l.env = :env AND l.deleted_at IS NULL AND m.deleted_at IS NULL
ORDER BY m.position, l.position, l.id
"""

_QUIZZES = """
SELECT q.id, q.title, q.questions, q.lesson_id, ql.module_id, ql.title AS lesson_title
FROM quizzes q LEFT JOIN lessons ql ON ql.id = q.lesson_id AND +ql.app_id = :app AND +ql.env = :env
WHERE q.course_id = :course AND +q.app_id = :app AND +q.env = :env AND q.deleted_at IS NULL
"""


@dataclass(frozen=True)
class Report:
    """A report ready to stream: `chunks` yields its bytes (the queries have already run)."""

    course_id: str
    format: str
    include: tuple[str, ...]
    columns: tuple[str, ...]
    generated_at: str
    chunks: Chunks

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def filename(self) -> str:
        return re.sub(r"[^A-Za-z0-9._-]", "_", self.course_id) + f"-report.{self.format}"


@dataclass(frozen=True)
class _Quiz:
    """What a quiz's question rows repeat, and each question's (type, points) by index."""

    cells: Row  # module_id, lesson_id, lesson_title of the quiz's lesson
    quiz_id: str
    title: str
    questions: list[tuple[str | None, Any]]


def columns_for(include: tuple[str, ...]) -> tuple[str, ...]:
    """The report's columns for a set of groups, always in the documented order."""
    return BASE_COLUMNS + tuple(c for group in GROUPS if group in include for c in GROUP_COLUMNS[group])


def course_report(db: Db, course_id: str, *, fmt: str = "csv", include: tuple[str, ...] = GROUPS) -> Report:
    """The report of a live course of the tenant (else `course_not_found`), ready to stream.

    The course check and the queries run before this returns, so a caller can still answer an
    error; the rows are then produced as the chunks are consumed.
    """
    get_course(db, course_id)
    include = tuple(group for group in GROUPS if group in include)
    columns = columns_for(include)
    generated_at = now_iso()
    meta = {"course_id": course_id, "columns": list(columns), "include": list(include), "generated_at": generated_at}
    batches = _rows(db, course_id, columns, scores="scores" in include)
    encoded = _csv_chunks(batches, columns) if fmt == "csv" else _json_chunks(batches, columns, meta)
    return Report(course_id, fmt, include, columns, generated_at, _started(encoded, batches))


def _rows(db: Db, course_id: str, columns: tuple[str, ...], *, scores: bool) -> Batches:
    """Every row of the report in order, each as the tuple of `columns`, a batch at a time.

    Both statements are executed before either is read to the end, so they read one snapshot
    (SQLite keeps one read transaction while any statement of the connection is open). Their
    cursors are closed when the stream ends or is abandoned."""
    params = {"course": course_id, "now": now_iso()}
    learners = db.tuples(_LEARNERS, params)  # plain tuples: the fastest rows sqlite3 builds
    attempts = None
    try:
        attempts = db.tuples(_ATTEMPTS, params) if scores else None
        lessons = [(row[0], (row[1], row[0], row[2])) for row in db.all(_LESSONS, params)]
        quizzes = _quizzes(db, params) if scores else {}
        yield from _assembled(_each(learners), _each(attempts) if attempts is not None else iter(()), lessons,
                              quizzes, operator.itemgetter(*(ALL_COLUMNS.index(c) for c in columns)))
    finally:
        learners.close()
        if attempts is not None:
            attempts.close()


def _each(cursor: Any) -> Iterator[Row]:
    while batch := cursor.fetchmany(BATCH_ROWS):
        yield from batch


def _quizzes(db: Db, params: dict[str, Any]) -> dict[str, _Quiz]:
    quizzes = {}
    for row in db.all(_QUIZZES, params):
        questions = [(q.get("type"), q.get("points")) for q in loads(row["questions"])]
        cells = (row["module_id"], row["lesson_id"], row["lesson_title"])
        quizzes[row["id"]] = _Quiz(cells, row["id"], row["title"], questions)
    return quizzes


def _assembled(learners: Iterator[Row], attempts: Iterator[Row], lessons: list[tuple[str, Row]],
               quizzes: dict[str, _Quiz], pick: Callable[[Row], Row]) -> Batches:
    """Merge the two streams by learner: a learner's lesson rows (every live lesson, with their
    progress or none), then their question rows (one per question of each submitted attempt)."""
    batch: list[Row] = []
    attempt = next(attempts, None)
    row = next(learners, None)
    while row is not None:
        user_id = row[0]
        learner = ("lesson", *row[:5])
        enrollment = (row[5], row[6])
        progress: dict[str, Row] = {}
        while row is not None and row[0] == user_id:  # this learner's progress records
            if row[7] is not None:
                progress[row[7]] = (row[8], row[9], row[10] is not None, *row[10:14])
            row = next(learners, None)
        tail = enrollment + _NO_PROGRESS + _NO_QUESTION
        for lesson_id, lesson in lessons:
            done = progress.get(lesson_id)
            cells = learner + lesson + (tail if done is None else enrollment + done + _NO_QUESTION)
            batch.append(pick(cells))
        while attempt is not None and attempt[0] < user_id:  # (not enrolled: excluded by the query)
            attempt = next(attempts, None)
        asker = ("question", *learner[1:])
        while attempt is not None and attempt[0] == user_id:
            _, quiz_id, attempt_id, number, submitted_at, score, passed, results = attempt
            quiz = quizzes[quiz_id]
            head = (asker + quiz.cells + enrollment + _NO_LESSON_PROGRESS
                    + (quiz_id, quiz.title, attempt_id, number, submitted_at))
            score = int(score) if score is not None and float(score).is_integer() else score
            end = (score, None if passed is None else bool(passed))
            for result in loads(results or "[]"):
                index = result["question_index"]
                kind, possible = quiz.questions[index] if index < len(quiz.questions) else (None, None)
                batch.append(pick(head + (index, kind, result.get("points_earned"), possible,
                                          result.get("correct")) + end))
            attempt = next(attempts, None)
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _csv_chunks(batches: Batches, columns: tuple[str, ...]) -> Chunks:
    """RFC 4180 lines; booleans as true/false, NULL as an empty cell, formula-like text defused."""
    flags = [i for i, c in enumerate(columns) if c in BOOLEAN_COLUMNS]
    texts = [i for i, c in enumerate(columns) if c in TEXT_COLUMNS]
    shown = {True: "true", False: "false", None: None}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for batch in batches:
        for cells in batch:
            row = list(cells)
            for i in flags:
                row[i] = shown[row[i]]
            for i in texts:
                cell = row[i]
                if cell and cell[0] in _FORMULA_STARTS:  # CSV injection: make it plain text
                    row[i] = "'" + cell
            writer.writerow(row)
            if buffer.tell() >= CHUNK_BYTES:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()


def _json_chunks(batches: Batches, columns: tuple[str, ...], meta: dict[str, Any]) -> Chunks:
    """One JSON document, `{"data": [...], "meta": {...}}`, written a row at a time."""
    parts: list[bytes] = [b'{"data":[']
    size, separator = 0, b""
    for batch in batches:
        for row in batch:
            line = orjson.dumps(dict(zip(columns, row)))
            parts += (separator, line)
            size += len(line) + 1
            separator = b","
            if size >= CHUNK_BYTES:
                yield b"".join(parts)
                parts, size = [], 0
    parts += (b'],"meta":', orjson.dumps(meta), b"}")
    yield b"".join(parts)


def _started(chunks: Chunks, batches: Batches) -> Chunks:
    """Run the stream up to its first chunk now (the queries, and any error they raise, happen in
    the caller's hands), then hand out the rest as it is asked for. Closing the stream (its end,
    or a client gone mid-way) closes the cursors at once."""
    try:
        first = next(chunks)
    except BaseException:
        batches.close()
        raise

    def rest() -> Chunks:
        try:
            yield first
            yield from chunks
        finally:
            chunks.close()
            batches.close()

    return rest()
