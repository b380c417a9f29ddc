"""The instructor's desk: the grading queue (essays waiting for review, current submissions not yet
graded, oldest first, filtered and counted) and the dashboard overview (today's figures, the work
waiting, learners who are stuck and why).

The server runs in its own process, so its clock cannot be moved from here: where a test needs
time to have passed (a quiet learner, a due date gone by), it moves that one record's time into
the past in the server's SQLite file, as tests/test_web_quiz.py moves a deadline, and the server
then applies its own rules to it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from client import Client
from tests.conftest import Api, ServerProcess, Tenant, error_of, make_tenant, run_cli
from university_local.core.clock import to_iso

ESSAYS = [
    {"type": "essay", "question": "Describe the recovery position.", "points": 10, "min_words": 1, "max_words": 100},
    {"type": "true_false", "question": "Give an unconscious person water.", "points": 5, "correct_answer": False},
    {"type": "essay", "question": "When do you call for help?", "points": 15, "min_words": 1, "max_words": 100},
]
ESSAY_ANSWERS = [{"question_index": 0, "answer": "On their side."}, {"question_index": 1, "answer": False},
                 {"question_index": 2, "answer": "At once."}]
RUBRIC = [{"criteria": "Content", "max_points": 8}, {"criteria": "Style", "max_points": 2}]


@dataclass
class School:
    """One published course with a text lesson, a quiz with two essays, an assignment, and learners."""

    api: Api
    course_id: str
    lesson_id: str
    quiz_id: str
    assignment_id: str


def sql(srv: ServerProcess, statement: str, *params: Any) -> None:
    """Change records in the server's SQLite file (what the server's own clock cannot do here)."""
    with closing(sqlite3.connect(srv.data_dir / "university.sqlite3", timeout=30)) as db, db:
        db.execute(statement, params)


def ago(**delta: float) -> str:
    return to_iso(datetime.now(UTC) - timedelta(**delta))


def school(api: Api, title: str = "First Aid", learners: tuple[str, ...] = ("ada", "bob")) -> School:
    course = api.course(title=title, status="published")["id"]
    module = api.module(course)["id"]
    lesson = api.lesson(module, title="Recovery position")["id"]
    for user in learners:
        api.create("/users", "user", id=user, display_name=user.title() + " Learner")
        api.create("/enrollments", "enrollment", user_id=user, course_id=course)
    quiz = api.create("/quizzes", "quiz", title="Check", course_id=course, passing_score=50, questions=ESSAYS)["id"]
    assignment = api.create("/assignments", "assignment", title="Report", lesson_id=lesson, rubric=RUBRIC,
                            allowed_file_types=[".txt"], allow_late_submission=True, late_penalty_percent=10)["id"]
    return School(api, course, lesson, quiz, assignment)


def submit_quiz(s: School, user: str) -> str:
    response = s.api.post(f"/quizzes/{s.quiz_id}/attempts", {"user_id": user, "answers": ESSAY_ANSWERS})
    assert response.status_code == 201, response.text
    attempt_id: str = response.json()["data"]["id"]
    return attempt_id


def submit_work(s: School, user: str, assignment_id: str | None = None) -> str:
    response = s.api.http.post(f"/assignments/{assignment_id or s.assignment_id}/submissions",
                               data={"user_id": user}, files={"file": ("report.txt", b"my report", "text/plain")})
    assert response.status_code == 201, response.text
    submission_id: str = response.json()["data"]["id"]
    return submission_id


def queue(api: Api, **params: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    items, meta = api.grading_queue(**params)
    return items, meta


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


@pytest.fixture
def first_aid(api: Api) -> School:
    return school(api)


# -- the queue -----------------------------------------------------------------------------------


def test_essays_and_current_submissions_wait_oldest_first(first_aid: School, server: ServerProcess) -> None:
    s = first_aid
    bob_work = submit_work(s, "bob")
    ada_attempt = submit_quiz(s, "ada")
    ada_work = submit_work(s, "ada")
    # Bob's work was handed in late, yesterday: it is the oldest, and it carries the penalty.
    sql(server, "UPDATE submissions SET submitted_at = ?, late = 1, late_penalty_percent = 10 WHERE id = ?",
        ago(days=1), bob_work)

    items, meta = queue(s.api)
    assert ids(items) == [f"submission:{bob_work}", f"essay:{ada_attempt}:0", f"essay:{ada_attempt}:2",
                          f"submission:{ada_work}"]
    assert meta == {"total": 4, "page": 1, "per_page": 100, "counts": {"essay": 2, "submission": 2}}
    submitted = s.api.get_attempt(ada_attempt)["attributes"]["submitted_at"]
    assert items[1]["type"] == "grading_item" and items[1]["attributes"] == {
        "kind": "essay", "course_id": s.course_id, "course_title": "First Aid", "lesson_id": None,
        "lesson_title": None, "source_id": s.quiz_id, "source_title": "Check", "user_id": "ada",
        "user_name": "Ada Learner", "submitted_at": submitted, "attempt_id": ada_attempt, "question_index": 0,
        "submission_id": None, "attempt_number": 1, "max_points": 10, "late": False, "late_penalty_percent": 0,
    }
    assert items[2]["attributes"]["max_points"] == 15  # the question's own points
    assert items[0]["attributes"] | {"submitted_at": None} == {
        "kind": "submission", "course_id": s.course_id, "course_title": "First Aid", "lesson_id": s.lesson_id,
        "lesson_title": "Recovery position", "source_id": s.assignment_id, "source_title": "Report",
        "user_id": "bob", "user_name": "Bob Learner", "submitted_at": None, "attempt_id": None,
        "question_index": None, "submission_id": bob_work, "attempt_number": 1, "max_points": 10, "late": True,
        "late_penalty_percent": 10,
    }
    # Pages of the same order.
    second, meta = queue(s.api, per_page=2, page=2)
    assert ids(second) == ids(items)[2:] and meta["total"] == 4 and meta["per_page"] == 2


def test_filters_narrow_the_list_and_counts_ignore_only_kind(api: Api, first_aid: School) -> None:
    s = first_aid
    other = school(api, title="Fire Safety", learners=("cyd",))
    api.create("/enrollments", "enrollment", user_id="ada", course_id=other.course_id)
    ada_attempt = submit_quiz(s, "ada")
    bob_work = submit_work(s, "bob")
    cyd_work = submit_work(other, "cyd")
    ada_other = submit_work(other, "ada")

    items, meta = queue(api, kind="submission")
    assert ids(items) == [f"submission:{x}" for x in (bob_work, cyd_work, ada_other)]
    assert meta["total"] == 3 and meta["counts"] == {"essay": 2, "submission": 3}
    items, meta = queue(api, course_id=other.course_id)
    assert ids(items) == [f"submission:{cyd_work}", f"submission:{ada_other}"]
    assert meta["counts"] == {"essay": 0, "submission": 2}
    items, meta = queue(api, user_id="ada")
    assert ids(items) == [f"essay:{ada_attempt}:0", f"essay:{ada_attempt}:2", f"submission:{ada_other}"]
    assert meta["counts"] == {"essay": 2, "submission": 1}
    items, meta = queue(api, user_id="ada", kind="essay", course_id=s.course_id)
    assert len(items) == 2 and meta["total"] == 2
    items, meta = queue(api, course_id="course-that-does-not-exist")
    assert items == [] and meta["counts"] == {"essay": 0, "submission": 0}


def test_an_essay_leaves_the_queue_once_graded(first_aid: School) -> None:
    s = first_aid
    attempt = submit_quiz(s, "ada")
    s.api.grade_essay(attempt, 0, 8)
    assert ids(queue(s.api)[0]) == [f"essay:{attempt}:2"]
    graded = s.api.grade_essay(attempt, 2, 12)
    assert graded["attributes"]["status"] == "graded"
    items, meta = queue(s.api)
    assert items == [] and meta["counts"] == {"essay": 0, "submission": 0}


def test_a_submission_leaves_once_graded_and_a_new_attempt_comes_back(first_aid: School) -> None:
    s = first_aid
    first = submit_work(s, "ada")
    second = submit_work(s, "ada")  # only the current attempt waits
    assert ids(queue(s.api)[0]) == [f"submission:{second}"]
    grade = {"scores": [{"criteria": "Content", "points": 6}, {"criteria": "Style", "points": 2}]}
    assert s.api.patch(f"/submissions/{second}/grade", grade).status_code == 200
    assert queue(s.api)[0] == []
    third = submit_work(s, "ada")
    items, _ = queue(s.api)
    assert ids(items) == [f"submission:{third}"] and items[0]["attributes"]["attempt_number"] == 3
    assert first not in str(items)


def test_work_of_a_deleted_assignment_or_quiz_is_not_listed(first_aid: School) -> None:
    s = first_aid
    submit_quiz(s, "ada")
    submit_work(s, "bob")
    assert s.api.delete(f"/assignments/{s.assignment_id}").status_code == 204
    assert s.api.delete(f"/quizzes/{s.quiz_id}").status_code == 204
    assert queue(s.api)[1]["counts"] == {"essay": 0, "submission": 0}


def test_another_organisation_sees_nothing_and_learners_are_refused(first_aid: School, tenant: Tenant,
                                                                    server: ServerProcess) -> None:
    submit_quiz(first_aid, "ada")
    submit_work(first_aid, "bob")
    other = make_tenant(server)
    items, meta = queue(other.secret)
    assert items == [] and meta["counts"] == {"essay": 0, "submission": 0}
    assert other.secret.overview()["waiting_for_grading"] == {"essay": 0, "submission": 0, "total": 0}
    live = make_tenant(server, env="live", app_id=tenant.app_id)  # the same organisation's other environment
    assert queue(live.secret)[1]["total"] == 0
    for path in ("/grading-queue", "/analytics/overview"):
        refused = tenant.publishable.get(path, params={"user_id": "ada"})
        assert refused.status_code == 403, refused.text
        assert error_of(refused)["status"] == "403"


@pytest.mark.parametrize("path, params", [
    ("/grading-queue", {"kind": "quiz"}),
    ("/grading-queue", {"page": "0"}),
    ("/grading-queue", {"course_id": ""}),
    ("/analytics/overview", {"stuck_days": "0"}),
    ("/analytics/overview", {"stuck_days": "366"}),
    ("/analytics/overview", {"limit": "101"}),
    ("/analytics/overview", {"limit": "many"}),
])
def test_bad_parameters_are_refused(api: Api, path: str, params: dict[str, str]) -> None:
    response = api.get(path, params=params)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "invalid_parameter" and error["source"] == {"parameter": next(iter(params))}


# -- the overview --------------------------------------------------------------------------------


def test_the_overview_counts_today_and_the_work_waiting(api: Api, first_aid: School) -> None:
    s = first_aid
    api.create("/users", "user", id="teacher", display_name="Teacher", role="instructor")
    api.create("/users", "user", id="gone", display_name="Gone")
    api.deactivate_user("gone")
    quiet = api.overview()
    assert quiet["date"] == datetime.now(UTC).date().isoformat()
    assert (quiet["learners_active_today"], quiet["lessons_completed_today"]) == (0, 0)
    assert quiet["enrollments_active"] == 2 and quiet["learners_total"] == 2  # not staff, not deactivated

    assert api.post(f"/lessons/{s.lesson_id}/complete", {"user_id": "ada", "time_spent_seconds": 60}).status_code \
        == 200
    submit_quiz(s, "bob")
    submit_work(s, "bob")
    # A post by staff is not a learner's activity.
    api.create(f"/courses/{s.course_id}/discussions", "discussion", title="Hello", content="<p>Hi</p>",
               author_id="teacher")
    figures = api.overview()
    assert figures["learners_active_today"] == 2 and figures["lessons_completed_today"] == 1
    assert figures["waiting_for_grading"] == {"essay": 2, "submission": 1, "total": 3}
    assert figures["enrollments_active"] == 1  # ada's completed the course: its only lesson
    assert figures["stuck"] == [] and figures["stuck_total"] == 0
    # A reply in a thread is activity too (cyd, unknown until now, is made a learner by posting).
    thread = api.list_discussions(s.course_id)[0]["id"]
    api.create(f"/discussions/{thread}/replies", "reply", content="<p>Thanks</p>", author_id="cyd")
    figures = api.overview()
    assert figures["learners_active_today"] == 3 and figures["learners_total"] == 3


def test_the_date_is_the_organisations(api: Api, tenant: Tenant, server: ServerProcess) -> None:
    zone = "Pacific/Kiritimati"  # UTC+14: for ten hours of each day, its date is not UTC's
    run_cli(server.data_dir, "apps", "time-zone", "--app", tenant.app_id, zone)
    assert api.overview()["date"] == datetime.now(ZoneInfo(zone)).date().isoformat()


@pytest.fixture
def stuck_school(api: Api, server: ServerProcess) -> School:
    """Three learners stuck in different ways, and one who is fine."""
    s = school(api, learners=("ada", "bob", "cyd", "dee"))
    # ada: enrolled 10 days ago and never did anything since.
    sql(server, "UPDATE enrollments SET enrolled_at = ? WHERE user_id = 'ada' AND course_id = ?", ago(days=10),
        s.course_id)
    # bob: active 20 days ago, then nothing; and two failed attempts at a quiz, none passed.
    assert api.patch(f"/lessons/{s.lesson_id}/progress", {"user_id": "bob", "position": 5}).status_code == 200
    api.overview()  # folds bob's activity into the rollups
    sql(server, "UPDATE enrollments SET enrolled_at = ? WHERE user_id = 'bob'", ago(days=30))
    sql(server, "UPDATE learner_courses SET last_activity_at = ? WHERE user_id = 'bob' AND course_id = ?",
        ago(days=20, hours=1), s.course_id)
    quiz = api.create("/quizzes", "quiz", title="Basics", course_id=s.course_id, passing_score=100, questions=[
        {"type": "true_false", "question": "Water for the unconscious?", "correct_answer": False}])["id"]
    for _ in range(2):
        response = api.post(f"/quizzes/{quiz}/attempts", {"user_id": "bob", "answers": [
            {"question_index": 0, "answer": True}]})
        assert response.status_code == 201 and response.json()["data"]["attributes"]["passed"] is False
    sql(server, "UPDATE quiz_attempts SET started_at = ?, submitted_at = ? WHERE user_id = 'bob' AND quiz_id = ?",
        ago(days=25), ago(days=25), quiz)
    # Everyone but dee owes an assignment that was due yesterday (ada and bob too).
    due = api.create("/assignments", "assignment", title="Due yesterday", lesson_id=s.lesson_id,
                     allowed_file_types=[".txt"], allow_late_submission=True)["id"]
    submit_work(s, "dee", due)
    submit_work(s, "dee")
    sql(server, "UPDATE assignments SET due_date = ? WHERE id = ?", ago(days=1), due)
    return s


def test_stuck_learners_and_their_reasons(api: Api, stuck_school: School, server: ServerProcess) -> None:
    s = stuck_school
    data = api.overview(stuck_days=7)
    by_user = {learner["user_id"]: learner for learner in data["stuck"]}
    assert set(by_user) == {"ada", "bob", "cyd"} and data["stuck_total"] == 3
    due = api.list_assignments(course_id=s.course_id)
    overdue = next(a for a in due if a["attributes"]["title"] == "Due yesterday")
    owed = {"kind": "overdue_assignment", "assignment_id": overdue["id"], "assignment_title": "Due yesterday",
            "due_date": overdue["attributes"]["due_date"]}
    inactive = {"kind": "inactive", "course_id": s.course_id, "course_title": "First Aid"}
    quiz = next(q for q in api.list_quizzes(course_id=s.course_id) if q["attributes"]["title"] == "Basics")
    # Most reasons first (bob: three), then the longest inactive (ada, 10 days, before cyd, not inactive).
    assert data["stuck"] == [
        {"user_id": "bob", "user_name": "Bob Learner", "reasons": [
            {**inactive, "days": 20},
            {"kind": "failed_quiz", "quiz_id": quiz["id"], "quiz_title": "Basics", "failures": 2},
            owed]},
        {"user_id": "ada", "user_name": "Ada Learner", "reasons": [{**inactive, "days": 10}, owed]},
        {"user_id": "cyd", "user_name": "Cyd Learner", "reasons": [owed]},
    ]
    # A longer quiet period leaves ada out of the inactive; `limit` cuts the list, not the total.
    longer = api.overview(stuck_days=15, limit=1)
    assert [learner["user_id"] for learner in longer["stuck"]] == ["bob"] and longer["stuck_total"] == 3
    # Activity ends inactivity; a pass ends the failed quiz; handing in ends the overdue assignment.
    assert api.patch(f"/lessons/{s.lesson_id}/progress", {"user_id": "ada", "position": 1}).status_code == 200
    passed = api.post(f"/quizzes/{quiz['id']}/attempts", {"user_id": "bob", "answers": [
        {"question_index": 0, "answer": False}]})
    assert passed.json()["data"]["attributes"]["passed"] is True
    submit_work(s, "cyd", overdue["id"])
    after = {learner["user_id"]: learner["reasons"] for learner in api.overview()["stuck"]}
    assert after == {"ada": [owed], "bob": [owed]}  # bob's pass was activity in the course too
    # A cancelled enrollment is nobody's to follow up.
    api.cancel_enrollment(api.list_enrollments(course_id=s.course_id, user_id="ada")[0]["id"])
    assert [learner["user_id"] for learner in api.overview()["stuck"]] == ["bob"]


def test_the_client_speaks_for_the_tui(api: Api, first_aid: School) -> None:
    """Client.grading_queue and Client.overview are the calls the instructor TUI makes."""
    submit_work(first_aid, "ada")
    with Client(api.base_url, api.app_id, api.key) as client:
        items, meta = client.grading_queue(kind="submission", per_page=10)
        assert [item["attributes"]["user_id"] for item in items] == ["ada"] and meta["per_page"] == 10
        assert client.overview(stuck_days=30, limit=5)["waiting_for_grading"]["total"] == 1
