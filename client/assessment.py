"""Quizzes and their attempts, assignments and their submissions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack

from client.core import BaseClient, Upload
from client.types import Resource, ShowAnswers, SubmissionStatus


class QuizFields(TypedDict, total=False):
    lesson_id: str | None  # a quiz belongs to a lesson,
    course_id: str | None  # or to a course
    description: str | None
    time_limit_minutes: int | None
    passing_score: float
    max_attempts: int | None
    shuffle_questions: bool
    show_correct_answers: ShowAnswers
    due_date: str | None


class AssignmentFields(TypedDict, total=False):
    description: str | None
    due_date: str | None
    max_score: int | None  # with a rubric, the sum of its max_points
    allow_late_submission: bool
    late_penalty_percent: float
    rubric: Sequence[Mapping[str, Any]]  # [{"criteria", "max_points", "description"}]
    allowed_file_types: Sequence[str]  # [".pdf", ".zip", ...]
    max_file_size_mb: int
    submission_types: Sequence[str]  # ["file"] (the default), ["text"], or both


class Grade(TypedDict, total=False):
    scores: Sequence[Mapping[str, Any]]  # [{"criteria", "points"}]: every rubric criterion once
    total_score: float | None  # if sent, must be the sum of the scores
    feedback: str | None


class AssessmentCalls(BaseClient):
    # -- quizzes -----------------------------------------------------------------------------------

    def list_quizzes(self, *, lesson_id: str | None = None, course_id: str | None = None) -> list[Resource]:
        return self.every("/quizzes", lesson_id=lesson_id, course_id=course_id)

    def get_quiz(self, quiz_id: str) -> Resource:
        """A quiz (publishable keys: without answers, explanations or rubrics)."""
        return self.fetch(f"/quizzes/{quiz_id}")

    def create_quiz(self, title: str, questions: Sequence[Mapping[str, Any]],
                    **attributes: Unpack[QuizFields]) -> Resource:
        """A quiz; each question is a dict of its `type` (multiple_choice, true_false, fill_blank,
        matching, essay) as the OpenAPI document describes."""
        return self.create("/quizzes", "quiz", title=title, questions=list(questions), **attributes)

    def list_attempts(self, quiz_id: str, *, user_id: str | None = None) -> list[Resource]:
        """A quiz's attempts, one learner's with `user_id` (publishable keys must name one)."""
        return self.every(f"/quizzes/{quiz_id}/attempts", user_id=user_id)

    def submit_attempt(self, quiz_id: str, user_id: str, answers: Sequence[Mapping[str, Any]]) -> Resource:
        """Submit a whole attempt at once (`answers`: [{"question_index", "answer"}]); it is graded
        at once, essays excepted (they wait for `grade_essay`)."""
        return self._one("POST", f"/quizzes/{quiz_id}/attempts", json={"user_id": user_id, "answers": list(answers)})

    def get_attempt(self, attempt_id: str, *, user_id: str | None = None) -> Resource:
        return self.fetch(f"/attempts/{attempt_id}", user_id=user_id)

    def grade_essay(self, attempt_id: str, question_index: int, points_earned: float, *,
                    feedback: str | None = None) -> Resource:
        """Grade one essay question; the attempt is re-scored and, once nothing waits, decided."""
        return self._one("PATCH", f"/attempts/{attempt_id}/grade", json={
            "question_index": question_index, "points_earned": points_earned, "feedback": feedback})

    # -- assignments -------------------------------------------------------------------------------

    def list_assignments(self, *, lesson_id: str | None = None, course_id: str | None = None) -> list[Resource]:
        return self.every("/assignments", lesson_id=lesson_id, course_id=course_id)

    def get_assignment(self, assignment_id: str) -> Resource:
        return self.fetch(f"/assignments/{assignment_id}")

    def create_assignment(self, title: str, lesson_id: str, **attributes: Unpack[AssignmentFields]) -> Resource:
        return self.create("/assignments", "assignment", title=title, lesson_id=lesson_id, **attributes)

    def submit_assignment(self, assignment_id: str, user_id: str, file: Upload, *, filename: str | None = None,
                          notes: str | None = None) -> Resource:
        """Submit a learner's work as a new attempt; `file` is a path or bytes (then `filename` is
        needed: its extension must be one the assignment allows)."""
        return self._upload(f"/assignments/{assignment_id}/submissions", file, {"user_id": user_id, "notes": notes},
                            filename=filename, content_type="application/octet-stream")

    def submit_text(self, assignment_id: str, user_id: str, text: str, *, notes: str | None = None) -> Resource:
        """Submit a written answer (an assignment whose `submission_types` include "text")."""
        fields = {"user_id": user_id, "text": text, "notes": notes}
        return self._one("POST", f"/assignments/{assignment_id}/submissions",
                         files={name: (None, value) for name, value in fields.items() if value is not None})

    def list_submissions(self, assignment_id: str, *, user_id: str | None = None, current: bool | None = None,
                         status: SubmissionStatus | None = None) -> list[Resource]:
        """Submissions, every attempt (`current=True`: each learner's latest)."""
        return self.every(f"/assignments/{assignment_id}/submissions", user_id=user_id, current=current,
                          status=status)

    def get_submission(self, submission_id: str, *, user_id: str | None = None) -> Resource:
        return self.fetch(f"/submissions/{submission_id}", user_id=user_id)

    def download_submission_file(self, submission_id: str, *, user_id: str | None = None) -> bytes:
        """The submitted file's bytes. To write a large one to disk as it arrives, use
        `stream("GET", f"/submissions/{id}/file")` instead."""
        return self.download(f"/submissions/{submission_id}/file", user_id=user_id)

    def grade_submission(self, submission_id: str, **grade: Unpack[Grade]) -> Resource:
        """Grade (or regrade) a submission against the assignment's rubric."""
        return self._one("PATCH", f"/submissions/{submission_id}/grade", json=grade)
