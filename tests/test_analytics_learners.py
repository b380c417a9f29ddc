"""User analytics and leaderboards, on hand-built histories whose figures are worked out below.

Everything runs on the `timeline` fixture: the real app in this process with a clock the test
moves, so progress is recorded at chosen instants and the rollups (kept by triggers) date it
by the tenant's time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import API, Api, Timeline, error_of
from university_local.analytics.rollups import set_time_zone
from university_local.tenancy.keys import create_key

APP = "clock-app"
POINTS = [60, 30, 10]  # a quiz of three true/false questions: any subset of these is a score


# -- building histories --------------------------------------------------------------------


def course(api: Api, lessons: int = 1, *, optional: int = 0, **attributes: Any) -> dict[str, Any]:
    """A published course with `lessons` required and `optional` optional text lessons (ids in "lessons")."""
    created = api.course(**{"status": "published", **attributes})
    module = api.module(created["id"])
    created["lessons"] = [api.lesson(module["id"])["id"] for _ in range(lessons)]
    created["optional"] = [api.lesson(module["id"], required=False)["id"] for _ in range(optional)]
    return created


def user(api: Api, user_id: str, name: str | None = None, **attributes: Any) -> None:
    api.create("/users", "user", id=user_id, display_name=name or user_id.title(), **attributes)


def enroll(api: Api, user_id: str, course_id: str) -> str:
    response = api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {
        "user_id": user_id, "course_id": course_id}}})
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


def spend(api: Api, lesson_id: str, user_id: str, total_seconds: int) -> None:
    """Report the learner's total time on the lesson (the server logs the increase)."""
    response = api.patch(f"/lessons/{lesson_id}/progress", {"user_id": user_id, "time_spent_seconds": total_seconds})
    assert response.status_code == 200, response.text


def complete(api: Api, lesson_id: str, user_id: str, total_seconds: int | None = None) -> None:
    body: dict[str, Any] = {"user_id": user_id}
    if total_seconds is not None:
        body["time_spent_seconds"] = total_seconds
    response = api.post(f"/lessons/{lesson_id}/complete", body)
    assert response.status_code == 200, response.text


def quiz(api: Api, course_id: str, *, essay: bool = False) -> str:
    questions: list[dict[str, Any]] = [
        {"type": "true_false", "question": f"Statement {n}?", "correct_answer": True, "points": points}
        for n, points in enumerate(POINTS)]
    if essay:  # graded by hand: an attempt waits in pending_review
        questions = [{"type": "essay", "question": "Explain.", "points": 10}]
    return api.create("/quizzes", "quiz", title="Check", course_id=course_id, questions=questions)["id"]


def attempt(api: Api, quiz_id: str, user_id: str, *right: bool) -> dict[str, Any]:
    """Answer the questions (True = right); the score is the sum of POINTS answered right."""
    answers = [{"question_index": n, "answer": r} for n, r in enumerate(right)]
    response = api.post(f"/quizzes/{quiz_id}/attempts", {"user_id": user_id, "answers": answers})
    assert response.status_code == 201, response.text
    return response.json()["data"]["attributes"]


def essay_attempt(api: Api, quiz_id: str, user_id: str) -> None:
    response = api.post(f"/quizzes/{quiz_id}/attempts", {"user_id": user_id, "answers": [
        {"question_index": 0, "answer": "Because it is so, as explained at some length here."}]})
    assert response.status_code == 201, response.text
    assert response.json()["data"]["attributes"]["status"] == "pending_review"


def path(api: Api, title: str, *course_ids: str, status: str = "published",
         optional: tuple[str, ...] = ()) -> str:
    courses = [{"course_id": c, "required": c not in optional} for c in course_ids]
    return api.create("/learning-paths", "learning_path", title=title, courses=courses, status=status)["id"]


def analytics(client: Api, user_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/analytics/users/{user_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def board(client: Api, **params: Any) -> dict[str, Any]:
    response = client.get("/analytics/leaderboard", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def ranking(data: dict[str, Any]) -> list[tuple[int, str, float]]:
    return [(e["rank"], e["user_id"], e["value"]) for e in data["entries"]]


def at(timeline: Timeline, *when: int) -> None:
    """Move the clock to a UTC instant (year, month, day, hour, minute)."""
    timeline.now[0] = datetime(*when, tzinfo=UTC)  # type: ignore[misc]


def other_tenant(timeline: Timeline, app_id: str = "other-app") -> Api:
    base = str(timeline.api.http.base_url).rstrip("/").removesuffix(API)
    key, _ = create_key(timeline.store, app_id, "test", "secret")
    return Api(base, app_id, key)


# -- streaks and days ------------------------------------------------------------------------


def test_streak_across_a_month_boundary_in_auckland(timeline: Timeline) -> None:
    api = timeline.api
    at(timeline, 2030, 1, 29, 23, 30)
    set_time_zone(timeline.store, APP, "Pacific/Auckland")  # UTC+13 (daylight saving) all of Jan-Feb
    c = course(api, 2)
    first, second = c["lessons"]
    enroll(api, "kiri", c["id"])

    spend(api, first, "kiri", 600)          # 2030-01-29 23:30Z = Jan 30 12:30 in Auckland: +600 s
    at(timeline, 2030, 1, 30, 23, 30)
    complete(api, first, "kiri", 900)       # Jan 31 local: 900 - 600 = +300 s, one lesson completed
    at(timeline, 2030, 1, 31, 23, 30)
    spend(api, second, "kiri", 1200)        # Feb 1 local: +1200 s

    data = analytics(api, "kiri", period="7d")
    assert data["time_zone"] == "Pacific/Auckland"
    # The UTC dates were Jan 29, 30, 31: every day is the next local one.
    assert data["learning_activity"] == [
        {"date": "2030-01-30", "time_minutes": 10.0, "lessons_completed": 0},   # 600 s / 60
        {"date": "2030-01-31", "time_minutes": 5.0, "lessons_completed": 1},    # 300 s / 60
        {"date": "2030-02-01", "time_minutes": 20.0, "lessons_completed": 0},   # 1200 s / 60
    ]
    summary = data["summary"]
    assert summary["current_streak_days"] == 3  # Jan 30, Jan 31, Feb 1: across the month boundary
    assert summary["total_time_hours"] == 0.6   # 2100 s / 3600 = 0.583 -> 0.6

    # Still current all through the next local day: Feb 2 23:00 in Auckland (= Feb 2 10:00Z).
    at(timeline, 2030, 2, 2, 10, 0)
    assert analytics(api, "kiri")["summary"]["current_streak_days"] == 3
    # Half an hour later it is Feb 3 in Auckland and Feb 2 was missed: the streak is over.
    at(timeline, 2030, 2, 2, 11, 30)
    assert analytics(api, "kiri")["summary"]["current_streak_days"] == 0
    # Learning again starts a new streak of 1; the 7 days now run Jan 28 .. Feb 3.
    spend(api, second, "kiri", 1230)        # +30 s on Feb 3 local
    data = analytics(api, "kiri", period="7d")
    assert data["summary"]["current_streak_days"] == 1
    assert [d["date"] for d in data["learning_activity"]] == ["2030-01-30", "2030-01-31", "2030-02-01", "2030-02-03"]
    assert data["learning_activity"][-1] == {"date": "2030-02-03", "time_minutes": 0.5, "lessons_completed": 0}


def test_streak_in_sao_paulo_counts_local_days(timeline: Timeline) -> None:
    api = timeline.api
    at(timeline, 2030, 2, 27, 12, 0)
    set_time_zone(timeline.store, APP, "America/Sao_Paulo")  # UTC-3, no daylight saving
    c = course(api, 1)
    enroll(api, "rui", c["id"])
    lesson = c["lessons"][0]
    spend(api, lesson, "rui", 60)    # 2030-02-27 12:00Z = Feb 27 09:00 local
    at(timeline, 2030, 3, 1, 1, 30)
    spend(api, lesson, "rui", 120)   # 2030-03-01 01:30Z = Feb 28 22:30 local: the previous local day
    at(timeline, 2030, 3, 1, 15, 0)
    spend(api, lesson, "rui", 180)   # Mar 1 12:00 local
    data = analytics(api, "rui", period="30d")
    # In UTC these were Feb 27, Mar 1, Mar 1: a missed day and a streak of 1. Locally: 3 in a row.
    assert data["learning_activity"] == [
        {"date": "2030-02-27", "time_minutes": 1.0, "lessons_completed": 0},
        {"date": "2030-02-28", "time_minutes": 1.0, "lessons_completed": 0},
        {"date": "2030-03-01", "time_minutes": 1.0, "lessons_completed": 0},
    ]
    assert data["summary"]["current_streak_days"] == 3


def test_learning_activity_lists_the_active_days_of_the_period(timeline: Timeline) -> None:
    api = timeline.api
    c = course(api, 2)
    first, second = c["lessons"]
    enroll(api, "ivy", c["id"])
    spend(api, first, "ivy", 90)                  # Jan 1 (UTC zone): 1.5 min
    at(timeline, 2030, 1, 5, 9, 0)
    complete(api, first, "ivy", 120)              # Jan 5: +30 s = 0.5 min, 1 lesson
    at(timeline, 2030, 1, 11, 9, 0)
    spend(api, second, "ivy", 45)                 # Jan 11: 45 s = 0.75 min -> 0.8
    assert timeline.store.scalar("SELECT time_zone FROM apps WHERE id = ?", (APP,)) == "UTC"

    week = analytics(api, "ivy", period="7d")["learning_activity"]  # Jan 5 .. Jan 11
    assert week == [{"date": "2030-01-05", "time_minutes": 0.5, "lessons_completed": 1},
                    {"date": "2030-01-11", "time_minutes": 0.8, "lessons_completed": 0}]
    everything = [{"date": "2030-01-01", "time_minutes": 1.5, "lessons_completed": 0}, *week]
    assert analytics(api, "ivy", period="30d")["learning_activity"] == everything
    assert analytics(api, "ivy", period="all")["learning_activity"] == everything
    assert analytics(api, "ivy")["learning_activity"] == everything  # 30d is the default
    # Days 2..4 and 6..10 had no activity and are not listed; nor is Jan 11 a week later.
    at(timeline, 2030, 1, 18, 9, 0)
    assert analytics(api, "ivy", period="7d")["learning_activity"] == []
    assert analytics(api, "ivy", period="7d")["summary"]["current_streak_days"] == 0


# -- the summary, strengths and recommendations --------------------------------------------


def test_summary_figures(timeline: Timeline) -> None:
    api = timeline.api
    a, b, c, d, e = course(api, 2), course(api, 2), course(api, 1), course(api, 1), course(api, 1)
    for each in (a, b, c, d, e):
        enroll(api, "ana", each["id"])

    complete(api, a["lessons"][0], "ana", 600)
    complete(api, a["lessons"][1], "ana", 1200)        # A completed: a certificate is issued
    complete(api, d["lessons"][0], "ana", 1200)        # D completed: a certificate, revoked below
    complete(api, b["lessons"][0], "ana", 1800)        # B half done...
    # Quizzes in B: best graded score 90 on the first (60, then 90), 70 on the second.
    q1, q2, q_essay, q_gone = quiz(api, b["id"]), quiz(api, b["id"]), quiz(api, b["id"], essay=True), quiz(api, b["id"])
    assert attempt(api, q1, "ana", True, False, False)["score"] == 60   # 60
    assert attempt(api, q1, "ana", True, True, False)["score"] == 90    # 60 + 30
    assert attempt(api, q2, "ana", True, False, True)["score"] == 70    # 60 + 10
    essay_attempt(api, q_essay, "ana")                  # pending review: not a graded score
    assert attempt(api, q_gone, "ana", False, False, True)["score"] == 10
    assert api.delete(f"/quizzes/{q_gone}").status_code == 204  # a deleted quiz no longer counts
    # ...then reset: the progress goes, the learning time stays in the learner's history.
    assert api.post(f"/progress/{b['id']}/users/ana/reset").status_code == 200
    enrollment_c = api.get("/enrollments", params={"user_id": "ana", "course_id": c["id"]}).json()["data"][0]["id"]
    assert api.delete(f"/enrollments/{enrollment_c}").status_code == 204  # cancelled: not counted
    assert api.delete(f"/courses/{e['id']}").status_code == 204          # deleted course: not counted

    certificates = api.get("/certificates", params={"user_id": "ana"}).json()["data"]
    assert len(certificates) == 2
    revoked = next(cert for cert in certificates if cert["attributes"]["course_id"] == d["id"])
    assert api.post(f"/certificates/{revoked['id']}/revoke", {"reason": "Issued in error"}).status_code == 200

    summary = analytics(api, "ana")["summary"]
    assert summary == {
        "courses_enrolled": 3,          # A, B, D (C cancelled, E deleted)
        "courses_completed": 2,         # A, D
        "total_time_hours": 1.3,        # 600 + 1200 + 1200 + 1800 = 4800 s = 1.333 h
        "certificates_earned": 1,       # A's; D's was revoked
        "average_score": 80.0,          # best per quiz: q1 90, q2 70 -> (90 + 70) / 2
        "current_streak_days": 1,       # all on Jan 1, which is today
    }


def test_a_learner_without_activity_answers_zeros(timeline: Timeline) -> None:
    api = timeline.api
    user(api, "new")
    data = analytics(api, "new", period="all")
    assert data == {
        "user_id": "new", "time_zone": "UTC",
        "summary": {"courses_enrolled": 0, "courses_completed": 0, "total_time_hours": 0.0,
                    "certificates_earned": 0, "average_score": None, "current_streak_days": 0},
        "learning_activity": [], "strengths": [], "recommendations": [],
    }
    # A deactivated learner's record is still there to read.
    assert api.patch_resource("/users/new", "user", active=False).status_code == 200
    assert analytics(api, "new")["summary"]["courses_enrolled"] == 0


def test_strengths_rank_categories_by_completions_then_scores_then_name(timeline: Timeline) -> None:
    api = timeline.api

    def completed_in(category: str, *right: bool) -> None:
        c = course(api, 1, category_id=category)
        enroll(api, "sam", c["id"])
        if right:
            attempt(api, quiz(api, c["id"]), "sam", *right)
        complete(api, c["lessons"][0], "sam")

    completed_in("math")
    completed_in("math")                     # math: 2 completed courses
    completed_in("zoology", True, True)      # 1 course, best score 90
    completed_in("bio", True, False, False)  # 1 course, best score 60
    completed_in("geo", False, False, False)  # 1 course, best score 0: still ahead of no score at all
    completed_in("chem")                     # 1 course, no score
    completed_in("art")                      # 1 course, no score
    completed_in("docs")                     # 1 course, no score
    physics = course(api, 2, category_id="physics")
    enroll(api, "sam", physics["id"])
    complete(api, physics["lessons"][0], "sam")  # not completed: not a strength

    # math (2 courses) > zoology (90) > bio (60) > geo (0) > art, chem, docs (no score; by name),
    # of which only art makes the five.
    assert analytics(api, "sam")["strengths"] == ["math", "zoology", "bio", "geo", "art"]


def test_recommendations_follow_paths_then_categories(timeline: Timeline) -> None:
    api = timeline.api
    html, css, js, react = (course(api, 1, category_id="web", title=t) for t in ("HTML", "CSS", "JavaScript", "React"))
    stats = course(api, 1, category_id="data", title="Statistics")
    ml = course(api, 1, category_id="data", title="Machine learning", status="draft")
    ux = course(api, 1, category_id="design", title="UX")
    hidden = course(api, 1, title="Hidden")
    w_big, w_cancel, w_small = (course(api, 1, category_id="web", title=t) for t in ("Big", "Cancelled", "Small"))
    w_draft = course(api, 1, category_id="web", title="Draft", status="draft")
    w_gone = course(api, 1, category_id="web", title="Gone")
    w_last = course(api, 1, category_id="web", title="Last")   # created last: the largest id
    path(api, "Web track", html["id"], css["id"], js["id"], react["id"])
    path(api, "Data track", stats["id"], ml["id"])                  # ml is a draft: not offered
    path(api, "Secret track", html["id"], hidden["id"], status="draft")  # a draft path: not followed
    path(api, "Design track", html["id"], ux["id"])                 # ux is being taken already

    for c in (html, css, stats):
        enroll(api, "lee", c["id"])
        complete(api, c["lessons"][0], "lee")
    enroll(api, "lee", ux["id"])
    cancelled = enroll(api, "lee", w_cancel["id"])
    assert api.delete(f"/enrollments/{cancelled}").status_code == 204  # cancelled: may be offered again
    for n in range(3):
        enroll(api, f"other-{n}", w_big["id"])     # 3 enrollments
        enroll(api, f"other-{n}", w_gone["id"])
    for n in range(2):
        enroll(api, f"other-{n}", w_cancel["id"])  # 2 (lee's cancelled one is not counted)
    enroll(api, "other-0", w_small["id"])          # 1
    enroll(api, "other-0", w_draft["id"])
    assert api.delete(f"/courses/{w_gone['id']}").status_code == 204

    expected = [
        # 1. Web track: HTML and CSS done, JavaScript is the first not completed after them.
        {"course_id": js["id"], "title": "JavaScript", "reason": "Next in Web track after CSS"},
        # 2. web courses by enrollments: Big 3, Cancelled 2, Small 1, then React and Last with 0
        #    by id (React was created first); JavaScript is listed once. Five at most: Last is cut.
        {"course_id": w_big["id"], "title": "Big", "reason": "Based on web completion"},
        {"course_id": w_cancel["id"], "title": "Cancelled", "reason": "Based on web completion"},
        {"course_id": w_small["id"], "title": "Small", "reason": "Based on web completion"},
        {"course_id": react["id"], "title": "React", "reason": "Based on web completion"},
    ]
    assert react["id"] < w_last["id"]
    assert analytics(api, "lee")["recommendations"] == expected
    assert analytics(timeline.learner, "lee")["recommendations"] == expected  # the same with a publishable key

    # Once JavaScript is completed the path offers React, right after it.
    enroll(api, "lee", js["id"])
    complete(api, js["lessons"][0], "lee")
    recommended = analytics(api, "lee")["recommendations"]
    assert recommended[0] == {"course_id": react["id"], "title": "React", "reason": "Next in Web track after JavaScript"}
    assert [r["course_id"] for r in recommended] == [react["id"], w_big["id"], w_cancel["id"], w_small["id"], w_last["id"]]


# -- leaderboards ----------------------------------------------------------------------------


def test_course_progress_ties_opt_out_and_deactivated(timeline: Timeline) -> None:
    api = timeline.api
    c = course(api, 4, optional=1)
    r1, r2, r3, r4 = c["lessons"]
    for user_id, name in (("zed", "Zed Z"), ("amy", "Amy A"), ("bob", "Bob B"), ("cat", "Cat C"), ("dan", "Dan D"),
                          ("eve", "Eve E"), ("fay", "Fay F"), ("gus", "Gus G")):
        user(api, user_id, name)
        enroll(api, user_id, c["id"])
    done = {"zed": [r1, r2], "amy": [r1, r2], "bob": [r1, r2, r3, r4], "cat": [c["optional"][0], r1],
            "eve": [r1, r2, r3], "fay": [r1, r2, r3], "gus": [r1, r2, r3]}
    for user_id, lessons in done.items():
        for lesson in lessons:
            complete(api, lesson, user_id)
    spend(api, r1, "dan", 300)  # time but nothing completed: 0 percent, not listed
    assert api.patch_resource("/users/eve", "user", leaderboard_opt_out=True).status_code == 200
    assert api.patch_resource("/users/fay", "user", active=False).status_code == 200
    gus = api.get("/enrollments", params={"user_id": "gus", "course_id": c["id"]}).json()["data"][0]["id"]
    assert api.delete(f"/enrollments/{gus}").status_code == 204

    data = board(api, scope="course", course_id=c["id"], metric="progress")
    # bob: completed = 100; amy, zed: 2 of 4 required = 50 (tied: rank 2 both, by user id);
    # cat: 1 of 4 = 25 (the optional lesson does not count) -> rank 4, not 3.
    assert ranking(data) == [(1, "bob", 100.0), (2, "amy", 50.0), (2, "zed", 50.0), (4, "cat", 25.0)]
    assert [e["display_name"] for e in data["entries"]] == ["Bob B", "Amy A", "Zed Z", "Cat C"]
    assert (data["scope"], data["course_id"], data["path_id"], data["metric"], data["unit"]) == \
        ("course", c["id"], None, "progress", "percent")
    assert ranking(board(api, scope="course", course_id=c["id"], metric="progress", limit=2)) == \
        [(1, "bob", 100.0), (2, "amy", 50.0)]
    # Opting back in puts eve back (3 of 4 = 75).
    assert api.patch_resource("/users/eve", "user", leaderboard_opt_out=False).status_code == 200
    assert ranking(board(api, scope="course", course_id=c["id"], limit=3)) == \
        [(1, "bob", 100.0), (2, "eve", 75.0), (3, "amy", 50.0)]


def test_progress_along_a_path_and_globally(timeline: Timeline) -> None:
    api = timeline.api
    a, b, opt, outside = course(api, 1), course(api, 1), course(api, 1), course(api, 1)
    p = path(api, "Track", a["id"], b["id"], opt["id"], optional=(opt["id"],))
    taken = {"p1": [a, b, opt], "p2": [a], "p3": [opt], "p5": [a, outside]}
    for user_id, courses in taken.items():
        for c in courses:
            enroll(api, user_id, c["id"])
            complete(api, c["lessons"][0], user_id)
    enroll(api, "p4", b["id"])  # enrolled, nothing done

    # Of the 2 required courses: p1 2 -> 100; p2 1 -> 50; p5 1 -> 50; p3 only the optional -> 0.
    data = board(api, scope="path", path_id=p, metric="progress")
    assert ranking(data) == [(1, "p1", 100.0), (2, "p2", 50.0), (2, "p5", 50.0)]
    assert (data["path_id"], data["course_id"], data["unit"]) == (p, None, "percent")
    # Globally: completed courses. p1 3, p5 2, p2 1, p3 1.
    data = board(api, metric="progress")
    assert ranking(data) == [(1, "p1", 3.0), (2, "p5", 2.0), (3, "p2", 1.0), (3, "p3", 1.0)]
    assert (data["scope"], data["unit"], data["course_id"], data["path_id"]) == ("global", "courses", None, None)
    # Course progress: the completed enrollments are 100.
    assert ranking(board(api, scope="course", course_id=a["id"])) == [(1, "p1", 100.0), (1, "p2", 100.0), (1, "p5", 100.0)]
    # A deleted course no longer counts: p5 is down to 1 and ties with p2 and p3.
    assert api.delete(f"/courses/{outside['id']}").status_code == 204
    assert ranking(board(api, metric="progress")) == [(1, "p1", 3.0), (2, "p2", 1.0), (2, "p3", 1.0), (2, "p5", 1.0)]


def test_time_by_course_path_and_globally(timeline: Timeline) -> None:
    api = timeline.api
    x, y, z = course(api, 1), course(api, 1), course(api, 1)
    p = path(api, "XY", x["id"], y["id"])
    plan = {"u1": [(x, 600), (y, 300), (z, 1200)], "u2": [(x, 930)], "u3": [(z, 3000)], "u4": [(x, 600)],
            "u5": [(x, 601)], "u6": [(x, 1200)]}
    for user_id, spent in plan.items():
        for c, seconds in spent:
            enroll(api, user_id, c["id"])
            spend(api, c["lessons"][0], user_id, seconds)
    assert api.post(f"/progress/{x['id']}/users/u4/reset").status_code == 200  # time logged stays
    u6 = api.get("/enrollments", params={"user_id": "u6", "course_id": x["id"]}).json()["data"][0]["id"]
    assert api.delete(f"/enrollments/{u6}").status_code == 204  # u6 left course X: off its boards

    # Course X: u2 930 s = 15.5 min; u1 600 s, u4 600 s, u5 601 s all show 10.0 and tie.
    data = board(api, scope="course", course_id=x["id"], metric="time")
    assert ranking(data) == [(1, "u2", 15.5), (2, "u1", 10.0), (2, "u4", 10.0), (2, "u5", 10.0)]
    assert data["unit"] == "minutes"
    # Path X+Y: u2 15.5; u1 600 + 300 = 900 s = 15.0; u4 10.0; u5 10.0.
    assert ranking(board(api, scope="path", path_id=p, metric="time")) == \
        [(1, "u2", 15.5), (2, "u1", 15.0), (3, "u4", 10.0), (3, "u5", 10.0)]
    # Globally everyone counts, u6 too: u3 3000 s = 50.0; u1 2100 s = 35.0; u6 20.0; then u2, u4, u5.
    assert ranking(board(api, metric="time", limit=100)) == \
        [(1, "u3", 50.0), (2, "u1", 35.0), (3, "u6", 20.0), (4, "u2", 15.5), (5, "u4", 10.0), (5, "u5", 10.0)]


def test_score_by_course_and_globally(timeline: Timeline) -> None:
    api = timeline.api
    x, z = course(api, 1), course(api, 1)
    q1, q2, q_essay, q_gone = quiz(api, x["id"]), quiz(api, x["id"]), quiz(api, x["id"], essay=True), quiz(api, x["id"])
    q3 = quiz(api, z["id"])
    for user_id in ("u1", "u2", "u3", "u4", "u5"):
        enroll(api, user_id, x["id"])
    enroll(api, "u1", z["id"])
    attempt(api, q1, "u1", True, False, False)   # 60
    attempt(api, q1, "u1", True, True, False)    # 90: the best on q1
    attempt(api, q2, "u1", True, False, True)    # 70
    attempt(api, q3, "u1", True, True, True)     # 100 (course Z)
    attempt(api, q1, "u2", True, True, True)     # 100
    essay_attempt(api, q_essay, "u3")            # awaiting review: u3 has no graded score
    attempt(api, q1, "u4", False, False, False)  # 0: nothing to rank
    attempt(api, q2, "u5", True, False, True)    # 70
    attempt(api, q_gone, "u5", True, True, True)  # 100, but the quiz is deleted below
    assert api.delete(f"/quizzes/{q_gone}").status_code == 204

    # Course X: u2 100; u1 (90 + 70) / 2 = 80; u5 70.
    data = board(api, scope="course", course_id=x["id"], metric="score")
    assert ranking(data) == [(1, "u2", 100.0), (2, "u1", 80.0), (3, "u5", 70.0)]
    assert data["unit"] == "percent"
    # Globally u1 also has Z's quiz: (90 + 70 + 100) / 3 = 86.67 -> 86.7.
    assert ranking(board(api, metric="score")) == [(1, "u2", 100.0), (2, "u1", 86.7), (3, "u5", 70.0)]
    assert analytics(api, "u1")["summary"]["average_score"] == 86.7  # the same mean
    # Course Z deleted: its quiz no longer counts. u1: (90 + 70) / 2 = 80.
    assert api.delete(f"/courses/{z['id']}").status_code == 204
    assert ranking(board(api, metric="score")) == [(1, "u2", 100.0), (2, "u1", 80.0), (3, "u5", 70.0)]
    assert analytics(api, "u1")["summary"]["average_score"] == 80.0


def test_streaks(timeline: Timeline) -> None:
    api = timeline.api
    x, y, z = course(api, 1), course(api, 1), course(api, 1)
    p = path(api, "XY", x["id"], y["id"])
    days = {"s1": (x, [1, 2, 3]), "s2": (x, [2, 3]), "s3": (x, [1]), "s4": (y, [2]), "s5": (z, [1, 2, 3])}
    for user_id, (c, _) in days.items():
        enroll(api, user_id, c["id"])
    for day in (1, 2, 3):
        at(timeline, 2030, 1, day, 12, 0)
        for user_id, (c, active) in days.items():
            if day in active:
                spend(api, c["lessons"][0], user_id, 60 * day)

    # On Jan 3: s1 3 days; s2 2; s4 last active yesterday: 1; s3 last active Jan 1: over (0).
    data = board(api, scope="course", course_id=x["id"], metric="streak")
    assert ranking(data) == [(1, "s1", 3.0), (2, "s2", 2.0)]
    assert data["unit"] == "days"
    assert ranking(board(api, scope="path", path_id=p, metric="streak")) == [(1, "s1", 3.0), (2, "s2", 2.0), (3, "s4", 1.0)]
    assert ranking(board(api, metric="streak")) == [(1, "s1", 3.0), (1, "s5", 3.0), (3, "s2", 2.0), (4, "s4", 1.0)]
    # On Jan 4 the streaks of those active yesterday (Jan 3) still run; s4's is over.
    at(timeline, 2030, 1, 4, 12, 0)
    assert ranking(board(api, metric="streak")) == [(1, "s1", 3.0), (1, "s5", 3.0), (3, "s2", 2.0)]


def test_many_opted_out_learners_ranked_above_do_not_hide_the_rest(timeline: Timeline) -> None:
    api = timeline.api
    c = course(api, 1)
    # 22 learners who opted out, each with more time than the one who did not: more than the
    # candidates first considered for a board of 1 (2 x 1 + 20).
    for n in range(22):
        user(api, f"hidden-{n:02d}", leaderboard_opt_out=True)
        enroll(api, f"hidden-{n:02d}", c["id"])
        spend(api, c["lessons"][0], f"hidden-{n:02d}", 600 + n)
    enroll(api, "shown", c["id"])
    spend(api, c["lessons"][0], "shown", 60)
    assert ranking(board(api, metric="time", limit=1)) == [(1, "shown", 1.0)]
    assert ranking(board(api, scope="course", course_id=c["id"], metric="time", limit=1)) == [(1, "shown", 1.0)]


# -- errors, access and tenancy ----------------------------------------------------------------


def test_errors(timeline: Timeline) -> None:
    api = timeline.api
    missing = api.get("/analytics/leaderboard", params={"scope": "course"})
    assert missing.status_code == 400
    assert error_of(missing)["code"] == "invalid_parameter"
    assert error_of(missing)["source"] == {"parameter": "course_id"}
    missing = api.get("/analytics/leaderboard", params={"scope": "path", "course_id": "course-x"})
    assert missing.status_code == 400 and error_of(missing)["source"] == {"parameter": "path_id"}

    unknown = api.get("/analytics/leaderboard", params={"scope": "course", "course_id": "course-nope"})
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "course_not_found"
    gone = course(api, 1)
    assert api.delete(f"/courses/{gone['id']}").status_code == 204
    deleted = api.get("/analytics/leaderboard", params={"scope": "course", "course_id": gone["id"]})
    assert deleted.status_code == 404 and error_of(deleted)["code"] == "course_not_found"
    unknown = api.get("/analytics/leaderboard", params={"scope": "path", "path_id": "path-nope"})
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "learning_path_not_found"

    for params in ({"metric": "speed"}, {"scope": "galaxy"}, {"limit": 0}, {"limit": 101}, {"limit": "ten"}):
        bad = api.get("/analytics/leaderboard", params=params)
        assert bad.status_code == 400 and error_of(bad)["code"] == "invalid_parameter", params
        assert error_of(bad)["source"] == {"parameter": next(iter(params))}

    unknown = api.get("/analytics/users/nobody")
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "user_not_found"
    user(api, "someone")
    bad = api.get("/analytics/users/someone", params={"period": "2w"})
    assert bad.status_code == 400 and error_of(bad)["source"] == {"parameter": "period"}

    # A course and a path without anyone in them answer empty boards.
    empty = course(api, 1)
    empty_path = path(api, "Nothing yet")
    for metric in ("progress", "score", "time", "streak"):
        assert board(api, scope="course", course_id=empty["id"], metric=metric)["entries"] == []
        assert board(api, scope="path", path_id=empty_path, metric=metric)["entries"] == []
        assert board(api, metric=metric)["entries"] == []


def test_publishable_keys_see_published_courses_and_paths_only(timeline: Timeline) -> None:
    api, pk = timeline.api, timeline.learner
    draft, published = course(api, 1, status="draft"), course(api, 1)
    draft_path, published_path = path(api, "D", published["id"], status="draft"), path(api, "P", published["id"])
    enroll(api, "kim", published["id"])
    complete(api, published["lessons"][0], "kim", 120)

    refused = pk.get("/analytics/leaderboard", params={"scope": "course", "course_id": draft["id"]})
    assert refused.status_code == 404 and error_of(refused)["code"] == "course_not_found"
    refused = pk.get("/analytics/leaderboard", params={"scope": "path", "path_id": draft_path})
    assert refused.status_code == 404 and error_of(refused)["code"] == "learning_path_not_found"
    assert board(api, scope="course", course_id=draft["id"])["entries"] == []  # a secret key sees drafts

    assert ranking(board(pk, scope="course", course_id=published["id"], metric="time")) == [(1, "kim", 2.0)]
    assert ranking(board(pk, scope="path", path_id=published_path)) == [(1, "kim", 100.0)]
    assert ranking(board(pk, metric="time")) == [(1, "kim", 2.0)]
    assert analytics(pk, "kim")["summary"]["courses_completed"] == 1


def test_tenants_are_isolated(timeline: Timeline) -> None:
    api = timeline.api
    mine = course(api, 1)
    enroll(api, "ana", mine["id"])
    complete(api, mine["lessons"][0], "ana", 600)

    other = other_tenant(timeline)
    assert other.get("/analytics/users/ana").status_code == 404
    refused = other.get("/analytics/leaderboard", params={"scope": "course", "course_id": mine["id"]})
    assert refused.status_code == 404 and error_of(refused)["code"] == "course_not_found"
    assert board(other, metric="time")["entries"] == []

    # The same user id in the other tenant is another learner, with a history of their own.
    theirs = course(other, 2)
    enroll(other, "ana", theirs["id"])
    spend(other, theirs["lessons"][0], "ana", 60)
    assert analytics(other, "ana")["summary"]["total_time_hours"] == 0.0  # 60 s
    assert analytics(other, "ana")["summary"]["courses_completed"] == 0
    assert ranking(board(other, metric="time")) == [(1, "ana", 1.0)]
    assert ranking(board(api, metric="time")) == [(1, "ana", 10.0)]
    assert analytics(api, "ana")["summary"]["courses_completed"] == 1
    assert ranking(board(api, scope="course", course_id=mine["id"])) == [(1, "ana", 100.0)]


@pytest.mark.parametrize("metric", ["progress", "score", "time", "streak"])
def test_every_metric_names_its_unit(timeline: Timeline, metric: str) -> None:
    units = {"progress": "courses", "score": "percent", "time": "minutes", "streak": "days"}
    assert board(timeline.api, metric=metric)["unit"] == units[metric]
