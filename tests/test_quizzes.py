"""Quizzes over HTTP: definitions, grading per question type, attempts, time limits, answer hiding."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import Api, Tenant, Timeline, error_of, eventually, make_tenant
from tests.receiver import Receiver

SPEC_QUESTIONS: list[dict[str, Any]] = [
    {"type": "multiple_choice", "question": "What hook is used for side effects?",
     "options": [{"text": "useState", "correct": False}, {"text": "useEffect", "correct": True},
                 {"text": "useContext", "correct": False}, {"text": "useReducer", "correct": False}],
     "points": 10, "explanation": "useEffect is the hook designed for handling side effects."},
    {"type": "true_false", "question": "Hooks can be called inside loops.", "correct_answer": False, "points": 5,
     "explanation": "Hooks must be called at the top level."},
    {"type": "fill_blank", "question": "The ____ hook is used to access context values.",
     "correct_answers": ["useContext"], "case_sensitive": False, "points": 10},
    {"type": "matching", "question": "Match the hook to its purpose:",
     "pairs": [{"left": "useState", "right": "Local component state"}, {"left": "useEffect", "right": "Side effects"},
               {"left": "useRef", "right": "Mutable references"}], "points": 15},
    {"type": "essay", "question": "Explain when you would use useReducer over useState.", "min_words": 5,
     "max_words": 500, "points": 20, "rubric": "Look for: complex state logic"},
]
RIGHT = [{"question_index": 0, "answer": 1}, {"question_index": 1, "answer": False},
         {"question_index": 2, "answer": "useContext"}, {"question_index": 3, "answer": [[0, 0], [1, 1], [2, 2]]},
         {"question_index": 4, "answer": "I would use useReducer when the state logic is complex."}]
SECRET_FIELDS = ("correct", "correct_answer", "correct_answers", "explanation", "rubric", "pairs", "solution")


def quiz_course(api: Api, *, lesson_type: str = "quiz", published: bool = True) -> tuple[dict, dict]:
    course = api.course(status="published" if published else "draft")
    module = api.module(course["id"])
    content = {"estimated_minutes": 10} if lesson_type == "quiz" else {"html": "<p>x</p>"}
    lesson = api.lesson(module["id"], content_type=lesson_type, content=content)
    return course, lesson


def make_quiz(api: Api, lesson_id: str, **attributes: Any) -> dict:
    body = {"title": "Module 1 Assessment", "lesson_id": lesson_id, "passing_score": 80,
            "questions": SPEC_QUESTIONS, **attributes}
    return api.create("/quizzes", "quiz", **body)


def enroll(api: Api, user: str, course_id: str) -> None:
    response = api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {
        "user_id": user, "course_id": course_id}}})
    assert response.status_code == 201, response.text


def submit(api: Api, quiz_id: str, user: str, answers: list[dict], **extra: Any):
    headers = extra.pop("headers", None)
    return api.post(f"/quizzes/{quiz_id}/attempts", {"user_id": user, "answers": answers, **extra}, headers=headers)


@pytest.fixture
def setup(tenant: Tenant):
    api = tenant.secret
    course, lesson = quiz_course(api)
    quiz = make_quiz(api, lesson["id"])
    enroll(api, "ana", course["id"])
    return tenant, course, lesson, quiz


def leaks(value: Any) -> list[str]:
    """Keys of a learner's view that would give answers away."""
    found = []
    if isinstance(value, dict):
        found += [k for k in value if k in SECRET_FIELDS and value[k] not in (None, {})]
        for v in value.values():
            found += leaks(v)
    elif isinstance(value, list):
        for v in value:
            found += leaks(v)
    return found


def test_create_read_update_delete(api: Api) -> None:
    course, lesson = quiz_course(api)
    quiz = make_quiz(api, lesson["id"], time_limit_minutes=30, max_attempts=3, shuffle_questions=True)
    attrs = quiz["attributes"]
    assert quiz["id"].startswith("quiz-") and attrs["course_id"] == course["id"]
    assert (attrs["question_count"], attrs["total_points"], attrs["show_correct_answers"]) == (5, 60, "after_submission")
    assert attrs["questions"][0]["options"][1]["correct"] is True  # the instructor sees everything
    assert api.get(f"/quizzes/{quiz['id']}").json()["data"] == quiz
    assert [q["id"] for q in api.get("/quizzes", params={"lesson_id": lesson["id"]}).json()["data"]] == [quiz["id"]]
    assert api.get("/quizzes", params={"course_id": course["id"]}).json()["meta"]["total"] == 1
    changed = api.patch_resource(f"/quizzes/{quiz['id']}", "quiz", passing_score=60, max_attempts=None)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["data"]["attributes"]["passing_score"], changed.json()["data"]["attributes"]["max_attempts"]) == (60, None)
    fewer = api.patch_resource(f"/quizzes/{quiz['id']}", "quiz", questions=SPEC_QUESTIONS[:2])
    assert fewer.json()["data"]["attributes"]["total_points"] == 15
    assert api.delete(f"/quizzes/{quiz['id']}").status_code == 204
    assert error_of(api.get(f"/quizzes/{quiz['id']}"))["code"] == "quiz_not_found"
    # A quiz may hang off a course alone.
    assert api.create("/quizzes", "quiz", title="Final", course_id=course["id"],
                      questions=SPEC_QUESTIONS[:1])["attributes"]["lesson_id"] is None


def test_bad_definitions_point_at_the_question(api: Api) -> None:
    _, lesson = quiz_course(api)
    no_correct = [SPEC_QUESTIONS[0], {**SPEC_QUESTIONS[0], "options": [{"text": "a"}, {"text": "b"}]}]
    cases = [
        (no_correct, "/data/attributes/questions/1/multiple_choice"),
        ([{"type": "riddle", "question": "?"}], "/data/attributes/questions/0"),
        ([{**SPEC_QUESTIONS[2], "correct_answers": []}], "/data/attributes/questions/0/fill_blank/correct_answers"),
        ([{**SPEC_QUESTIONS[3], "pairs": [{"left": "x", "right": "y"}]}], "/data/attributes/questions/0/matching/pairs"),
        ([{**SPEC_QUESTIONS[4], "min_words": 50, "max_words": 10}], "/data/attributes/questions/0/essay"),
        ([{**SPEC_QUESTIONS[1], "correct_answer": "false"}], "/data/attributes/questions/0/true_false/correct_answer"),
        ([{**SPEC_QUESTIONS[1], "points": 0}], "/data/attributes/questions"),
    ]
    for questions, pointer in cases:
        response = api.post("/quizzes", {"data": {"type": "quiz", "attributes": {
            "title": "Q", "lesson_id": lesson["id"], "questions": questions}}})
        assert response.status_code == 422, (pointer, response.text)
        assert error_of(response)["source"]["pointer"].startswith(pointer), (pointer, response.text)
    after_due = api.post("/quizzes", {"data": {"type": "quiz", "attributes": {
        "title": "Q", "lesson_id": lesson["id"], "questions": SPEC_QUESTIONS, "show_correct_answers": "after_due"}}})
    assert error_of(after_due)["source"]["pointer"] == "/data/attributes/due_date"
    missing = api.post("/quizzes", {"data": {"type": "quiz", "attributes": {
        "title": "Q", "lesson_id": "lesson-nope", "questions": SPEC_QUESTIONS}}})
    assert missing.status_code == 404 and error_of(missing)["source"]["pointer"] == "/data/attributes/lesson_id"
    nowhere = api.post("/quizzes", {"data": {"type": "quiz", "attributes": {"title": "Q", "questions": SPEC_QUESTIONS}}})
    assert nowhere.status_code == 422
    other_course = api.course()
    mismatch = api.post("/quizzes", {"data": {"type": "quiz", "attributes": {
        "title": "Q", "lesson_id": lesson["id"], "course_id": other_course["id"], "questions": SPEC_QUESTIONS}}})
    assert error_of(mismatch)["source"]["pointer"] == "/data/attributes/course_id"


def test_the_spec_example_graded(setup) -> None:
    tenant, course, lesson, quiz = setup
    response = submit(tenant.publishable, quiz["id"], "ana", RIGHT, time_taken_seconds=1200)
    assert response.status_code == 201, response.text
    attempt = response.json()["data"]
    attrs = attempt["attributes"]
    assert attempt["type"] == "quiz_attempt" and attrs["attempt_number"] == 1
    assert [(r["question_index"], r.get("correct"), r["points_earned"]) for r in attrs["results"]] == [
        (0, True, 10), (1, True, 5), (2, True, 10), (3, True, 15), (4, None, 0)]
    assert attrs["results"][4]["pending_review"] is True
    # 40 of 60 points so far; the essay could still make it a pass, so it is not decided yet.
    assert (attrs["score"], attrs["status"], attrs["passed"], attrs["time_taken_seconds"]) == (66.67, "pending_review", None, 1200)
    # after_submission: the learner now sees solutions and explanations.
    assert attrs["results"][0]["solution"] == {"correct_options": [1]}
    assert attrs["results"][1]["explanation"] == "Hooks must be called at the top level."

    graded = tenant.secret.patch(f"/attempts/{attempt['id']}/grade", {"question_index": 4, "points_earned": 18,
                                                                     "feedback": "Excellent explanation."})
    assert graded.status_code == 200, graded.text
    g = graded.json()["data"]["attributes"]
    assert (g["score"], g["status"], g["passed"], g["points_earned"]) == (96.67, "graded", True, 58)
    assert g["results"][4] | {} == {**g["results"][4], "points_earned": 18, "pending_review": False,
                                    "feedback": "Excellent explanation."}
    # Passing the quiz of a quiz lesson completed the lesson, and with it the course.
    progress = tenant.secret.get(f"/progress/{course['id']}/users/ana").json()["data"]["attributes"]
    assert [c["lesson_id"] for c in progress["lessons_completed"]] == [lesson["id"]]
    assert progress["status"] == "completed"
    # Re-grading down re-scores and decides again.
    regraded = tenant.secret.patch(f"/attempts/{attempt['id']}/grade", {"question_index": 4, "points_earned": 0})
    assert (regraded.json()["data"]["attributes"]["score"], regraded.json()["data"]["attributes"]["passed"]) == (66.67, False)


@pytest.mark.parametrize("index, answer, correct, points", [
    (0, 2, False, 0),
    (1, True, False, 0),
    (2, "  USECONTEXT ", True, 10),      # case-insensitive, whitespace trimmed
    (2, "ｕｓｅＣｏｎｔｅｘｔ", True, 10),  # full-width letters normalise (NFKC)
    (2, "use Context", False, 0),
    (3, [[0, 1], [1, 0], [2, 2]], False, 0),  # all or nothing by default
    (3, [[0, 0], [1, 1]], False, 0),
])
def test_wrong_and_normalised_answers(setup, index: int, answer: Any, correct: bool, points: int) -> None:
    tenant, *_, quiz = setup
    response = submit(tenant.secret, quiz["id"], "ana", [{"question_index": index, "answer": answer}])
    assert response.status_code == 201, response.text
    result = response.json()["data"]["attributes"]["results"][index]
    assert (result["correct"], result["points_earned"]) == (correct, points)


def test_partial_credit_and_several_correct_options(api: Api) -> None:
    course, lesson = quiz_course(api)
    questions = [
        {"type": "multiple_choice", "question": "Pick the primes", "partial_credit": True, "points": 10,
         "options": [{"text": "2", "correct": True}, {"text": "3", "correct": True}, {"text": "4"}, {"text": "5", "correct": True}]},
        {"type": "matching", "question": "Capitals", "partial_credit": True, "points": 9,
         "pairs": [{"left": "France", "right": "Paris"}, {"left": "Peru", "right": "Lima"}, {"left": "Mali", "right": "Bamako"}]},
        {"type": "fill_blank", "question": "Chemical symbol of sodium", "correct_answers": ["Na"], "case_sensitive": True},
        {"type": "multiple_choice", "question": "Pick both", "points": 4,
         "options": [{"text": "a", "correct": True}, {"text": "b", "correct": True}, {"text": "c"}]},
    ]
    quiz = api.create("/quizzes", "quiz", title="Partial", lesson_id=lesson["id"], questions=questions)
    enroll(api, "pat", course["id"])
    answers = [{"question_index": 0, "answer": [0, 1, 2]}, {"question_index": 1, "answer": [[0, 0], [1, 2], [2, 1]]},
               {"question_index": 2, "answer": "na"}, {"question_index": 3, "answer": [0]}]
    results = submit(api, quiz["id"], "pat", answers).json()["data"]["attributes"]["results"]
    # Two right choices, one wrong, of three right: (2 - 1) / 3 of 10 points.
    assert [r["points_earned"] for r in results] == [3.33, 3, 0, 0]
    assert results[3]["correct"] is False  # several correct options and no partial credit: all or nothing
    full = submit(api, quiz["id"], "pat", [{"question_index": 3, "answer": [1, 0]}, {"question_index": 2, "answer": "Na"}])
    assert [r["points_earned"] for r in full.json()["data"]["attributes"]["results"]][2:] == [1, 4]


def test_malformed_answers_are_refused_with_pointers(setup) -> None:
    tenant, *_, quiz = setup
    cases = [
        ({"question_index": 0, "answer": "1"}, "/answers/0/answer"),
        ({"question_index": 0, "answer": 7}, "/answers/0/answer"),
        ({"question_index": 0, "answer": [1, 1]}, "/answers/0/answer"),
        ({"question_index": 1, "answer": 0}, "/answers/0/answer"),
        ({"question_index": 2, "answer": ["useContext"]}, "/answers/0/answer"),
        ({"question_index": 3, "answer": [[0, 0], [1, 0]]}, "/answers/0/answer"),
        ({"question_index": 3, "answer": [[0, 0, 1]]}, "/answers/0/answer"),
        ({"question_index": 4, "answer": "too short"}, "/answers/0/answer"),
        ({"question_index": 9, "answer": 1}, "/answers/0/question_index"),
        ({"question_index": 0, "answer": True}, "/answers/0/answer"),  # true is not an index
    ]
    for answer, pointer in cases:
        response = submit(tenant.secret, quiz["id"], "ana", [answer])
        assert response.status_code == 422, (answer, response.text)
        assert error_of(response)["source"]["pointer"] == pointer, answer
    twice = submit(tenant.secret, quiz["id"], "ana", [RIGHT[0], RIGHT[0]])
    assert error_of(twice)["source"]["pointer"] == "/answers/1/question_index"
    # Nothing was recorded by any refused submission.
    assert tenant.secret.get(f"/quizzes/{quiz['id']}/attempts").json()["meta"]["total"] == 0


def test_attempt_limits_and_standing(tenant: Tenant) -> None:
    api = tenant.secret
    course, lesson = quiz_course(api)
    quiz = make_quiz(api, lesson["id"], max_attempts=2, questions=SPEC_QUESTIONS[:2], passing_score=100)
    enroll(api, "bo", course["id"])
    assert submit(api, quiz["id"], "bo", [RIGHT[0]]).json()["data"]["attributes"]["passed"] is False
    second = submit(api, quiz["id"], "bo", RIGHT[:2]).json()["data"]["attributes"]
    assert (second["attempt_number"], second["passed"], second["score"]) == (2, True, 100)
    third = submit(api, quiz["id"], "bo", RIGHT[:2])
    assert third.status_code == 422 and error_of(third)["code"] == "quiz_attempts_exhausted"
    listed = tenant.publishable.get(f"/quizzes/{quiz['id']}/attempts", params={"user_id": "bo"}).json()
    assert [a["attributes"]["attempt_number"] for a in listed["data"]] == [1, 2]
    assert listed["meta"]["standing"] == {"user_id": "bo", "best_score": 100, "last_score": 100, "passed": True,
                                          "attempts_used": 2, "attempts_remaining": 0}
    assert tenant.publishable.get(f"/quizzes/{quiz['id']}/attempts").status_code == 400
    assert error_of(submit(api, quiz["id"], "stranger", RIGHT))["code"] == "not_enrolled"


def test_other_tenants_and_learners_see_nothing(server, setup) -> None:
    tenant, _, _, quiz = setup
    attempt = submit(tenant.secret, quiz["id"], "ana", RIGHT).json()["data"]
    stranger = make_tenant(server).secret
    assert error_of(stranger.get(f"/quizzes/{quiz['id']}"))["code"] == "quiz_not_found"
    assert stranger.get(f"/attempts/{attempt['id']}").status_code == 404
    assert stranger.get("/quizzes").json()["meta"]["total"] == 0
    assert submit(stranger, quiz["id"], "ana", RIGHT).status_code == 404
    # A learner reads their own attempt only.
    learner = tenant.publishable
    assert learner.get(f"/attempts/{attempt['id']}", params={"user_id": "ana"}).status_code == 200
    assert learner.get(f"/attempts/{attempt['id']}", params={"user_id": "bob"}).status_code == 404
    assert learner.get(f"/attempts/{attempt['id']}").status_code == 400
    assert learner.patch(f"/attempts/{attempt['id']}/grade", {"question_index": 4, "points_earned": 1}).status_code == 403
    assert learner.post("/quizzes", {"data": {"type": "quiz", "attributes": {}}}).status_code == 403


def test_learners_never_see_answers_before_they_may(tenant: Tenant) -> None:
    api, learner = tenant.secret, tenant.publishable
    course, lesson = quiz_course(api)
    enroll(api, "lu", course["id"])
    view = learner.get("/quizzes", params={"course_id": course["id"]})
    assert view.json()["meta"]["total"] == 0
    quizzes = {mode: make_quiz(api, lesson["id"], show_correct_answers=mode, passing_score=50,
                               **({"due_date": "2099-01-01T00:00:00Z"} if mode == "after_due" else {}))
               for mode in ("never", "after_submission", "after_passing", "after_due")}
    for mode, quiz in quizzes.items():
        seen = learner.get(f"/quizzes/{quiz['id']}").json()["data"]
        assert leaks(seen) == [], (mode, leaks(seen))
        matching = seen["attributes"]["questions"][3]
        assert sorted(r["index"] for r in matching["right"]) == [0, 1, 2]
        assert seen["attributes"]["questions"][0]["options"] == [{"text": o["text"]} for o in SPEC_QUESTIONS[0]["options"]]
    wrong = [{"question_index": 1, "answer": True}]
    for mode, quiz in quizzes.items():
        attempt = submit(learner, quiz["id"], "lu", wrong).json()["data"]
        results = attempt["attributes"]["results"]
        if mode == "never":
            assert leaks(attempt) == [] and "correct" not in results[1] and "points_earned" not in results[1]
        elif mode == "after_submission":
            assert results[1]["solution"] == {"correct_answer": False} and results[1]["correct"] is False
        else:  # not passed / not yet due: marks, but no solutions
            assert all("solution" not in r and "explanation" not in r for r in results)
            assert results[1]["correct"] is False
        # The instructor always sees everything.
        assert api.get(f"/attempts/{attempt['id']}").json()["data"]["attributes"]["results"][1]["solution"]
    # after_passing: once passed, solutions show on every attempt of the learner.
    passing = quizzes["after_passing"]
    submit(learner, passing["id"], "lu", RIGHT)
    first = learner.get(f"/quizzes/{passing['id']}/attempts", params={"user_id": "lu"}).json()["data"][0]
    assert first["attributes"]["results"][1]["solution"] == {"correct_answer": False}
    # Draft courses' quizzes are invisible to learners.
    _, draft_lesson = quiz_course(api, published=False)
    hidden = make_quiz(api, draft_lesson["id"])
    assert learner.get(f"/quizzes/{hidden['id']}").status_code == 404


def test_after_due_reveals_when_the_date_passes(timeline: Timeline) -> None:
    api, learner, now = timeline.api, timeline.learner, timeline.now
    course, lesson = quiz_course(api)
    enroll(api, "dee", course["id"])
    due = (now[0] + timedelta(days=1)).isoformat()
    quiz = make_quiz(api, lesson["id"], show_correct_answers="after_due", due_date=due)
    attempt = submit(learner, quiz["id"], "dee", [RIGHT[1]]).json()["data"]
    assert "solution" not in attempt["attributes"]["results"][1]
    now[0] += timedelta(days=1, seconds=1)
    later = learner.get(f"/attempts/{attempt['id']}", params={"user_id": "dee"}).json()["data"]
    assert later["attributes"]["results"][1]["solution"] == {"correct_answer": False}


def test_timed_attempts_run_on_the_servers_clock(timeline: Timeline) -> None:
    api, learner, store, now = timeline.api, timeline.learner, timeline.store, timeline.now
    course, lesson = quiz_course(api)
    enroll(api, "tim", course["id"])
    quiz = make_quiz(api, lesson["id"], time_limit_minutes=30)
    refused = submit(learner, quiz["id"], "tim", RIGHT)
    assert refused.status_code == 409 and error_of(refused)["code"] == "attempt_not_started"
    started = learner.post(f"/quizzes/{quiz['id']}/attempts/start", {"user_id": "tim"})
    assert started.status_code == 201, started.text
    attempt = started.json()["data"]
    assert attempt["attributes"]["status"] == "in_progress"
    assert attempt["attributes"]["deadline_at"] == "2030-01-01T09:30:00.000Z"
    assert leaks(attempt) == [] and len(attempt["attributes"]["questions"]) == 5
    # Starting again while it is open returns the same attempt.
    assert learner.post(f"/quizzes/{quiz['id']}/attempts/start", {"user_id": "tim"}).json()["data"]["id"] == attempt["id"]
    # Work is saved as the learner goes...
    now[0] += timedelta(minutes=20)
    saved = learner.patch(f"/attempts/{attempt['id']}/answers", {"user_id": "tim", "answers": RIGHT[:2]})
    assert saved.status_code == 200 and saved.json()["data"]["attributes"]["answers"] == RIGHT[:2]
    # ...and the submission that arrives after the deadline (and its grace) counts only what was saved.
    now[0] += timedelta(minutes=11)
    late_save = learner.patch(f"/attempts/{attempt['id']}/answers", {"user_id": "tim", "answers": RIGHT})
    assert late_save.status_code == 409 and error_of(late_save)["code"] == "attempt_time_over"
    late = submit(learner, quiz["id"], "tim", RIGHT, attempt_id=attempt["id"], time_taken_seconds=5)
    attrs = late.json()["data"]["attributes"]
    assert (attrs["late"], attrs["points_earned"], attrs["time_taken_seconds"]) == (True, 15, 1860)
    assert [r["answered"] for r in attrs["results"]] == [True, True, False, False, False]

    # An attempt left open is graded by the deadline job with what was saved.
    second = learner.post(f"/quizzes/{quiz['id']}/attempts/start", {"user_id": "tim"}).json()["data"]
    assert second["attributes"]["attempt_number"] == 2
    learner.patch(f"/attempts/{second['id']}/answers", {"user_id": "tim", "answers": RIGHT[:4]})
    from university_local.quizzes.service import close_expired_attempts

    assert close_expired_attempts(store) == 0
    now[0] += timedelta(minutes=31)
    assert close_expired_attempts(store) == 1 and close_expired_attempts(store) == 0
    closed = api.get(f"/attempts/{second['id']}").json()["data"]["attributes"]
    assert (closed["status"], closed["late"], closed["points_earned"]) == ("graded", True, 40)
    # On time, with the grace period covering the network.
    third = learner.post(f"/quizzes/{quiz['id']}/attempts/start", {"user_id": "tim"}).json()["data"]
    now[0] += timedelta(minutes=30, seconds=20)
    on_time = submit(learner, quiz["id"], "tim", RIGHT[:1], attempt_id=third["id"]).json()["data"]["attributes"]
    assert (on_time["late"], on_time["points_earned"], on_time["time_taken_seconds"]) == (False, 10, 1820)


def test_shuffled_order_is_per_attempt_and_grading_uses_the_original_index(tenant: Tenant) -> None:
    api, learner = tenant.secret, tenant.publishable
    course, lesson = quiz_course(api)
    questions = [{"type": "true_false", "question": f"Statement {n}", "correct_answer": n % 2 == 0} for n in range(20)]
    quiz = api.create("/quizzes", "quiz", title="Shuffled", lesson_id=lesson["id"], shuffle_questions=True,
                      questions=questions)
    enroll(api, "sam", course["id"])
    orders = []
    for _ in range(2):
        attempt = learner.post(f"/quizzes/{quiz['id']}/attempts/start", {"user_id": "sam"}).json()["data"]
        shown = [q["question_index"] for q in attempt["attributes"]["questions"]]
        again = learner.get(f"/attempts/{attempt['id']}", params={"user_id": "sam"}).json()["data"]
        assert [q["question_index"] for q in again["attributes"]["questions"]] == shown  # reproducible
        assert [q["question"] for q in attempt["attributes"]["questions"]] == [f"Statement {i}" for i in shown]
        assert sorted(shown) == list(range(20)) and shown != list(range(20))
        orders.append(shown)
        answers = [{"question_index": i, "answer": i % 2 == 0} for i in shown]  # answered in the shown order
        graded = submit(learner, quiz["id"], "sam", answers, attempt_id=attempt["id"]).json()["data"]["attributes"]
        assert graded["score"] == 100 and [r["question_index"] for r in graded["results"]] == list(range(20))
    assert orders[0] != orders[1]


def test_a_retried_submission_is_recorded_once(setup) -> None:
    tenant, *_, quiz = setup
    learner = tenant.publishable
    headers = {"Idempotency-Key": "ana-quiz-1-try"}
    first = submit(learner, quiz["id"], "ana", RIGHT, headers=headers)
    again = submit(learner, quiz["id"], "ana", RIGHT[:1], headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.json() == first.json()
    # Concurrent retries of one submission (a flaky network sending it three times at once).
    results: list[str] = []
    key = {"Idempotency-Key": "burst"}

    def send() -> None:
        results.append(submit(learner, quiz["id"], "ana", RIGHT, headers=key).json()["data"]["id"])

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert tenant.secret.get(f"/quizzes/{quiz['id']}/attempts").json()["meta"]["total"] == 2
    # The same started attempt submitted twice: the first result stands.
    started = learner.post(f"/quizzes/{quiz['id']}/attempts/start", {"user_id": "ana"}).json()["data"]
    one = submit(learner, quiz["id"], "ana", RIGHT, attempt_id=started["id"]).json()
    two = submit(learner, quiz["id"], "ana", [], attempt_id=started["id"])
    assert two.json() == one and two.headers["Idempotent-Replayed"] == "true"
    bad = submit(learner, quiz["id"], "ana", RIGHT, headers={"Idempotency-Key": "x" * 200})
    assert bad.status_code == 400


def test_questions_are_frozen_once_attempted(setup) -> None:
    tenant, *_, quiz = setup
    submit(tenant.secret, quiz["id"], "ana", RIGHT[:1])
    frozen = tenant.secret.patch_resource(f"/quizzes/{quiz['id']}", "quiz", questions=SPEC_QUESTIONS[:1])
    assert frozen.status_code == 409 and error_of(frozen)["code"] == "quiz_has_attempts"
    assert tenant.secret.patch_resource(f"/quizzes/{quiz['id']}", "quiz", title="Renamed").status_code == 200


def test_essay_grading_errors(setup) -> None:
    tenant, *_, quiz = setup
    api = tenant.secret
    attempt = submit(api, quiz["id"], "ana", RIGHT).json()["data"]
    for body, pointer in (({"question_index": 0, "points_earned": 1}, "/question_index"),
                          ({"question_index": 4, "points_earned": 21}, "/points_earned"),
                          ({"question_index": 99, "points_earned": 1}, "/question_index"),
                          ({"question_index": 4, "points_earned": -1}, "/points_earned")):
        response = api.patch(f"/attempts/{attempt['id']}/grade", body)
        assert response.status_code == 422 and error_of(response)["source"]["pointer"] == pointer, body
    assert api.patch("/attempts/attempt-nope/grade", {"question_index": 4, "points_earned": 1}).status_code == 404
    started = api.post(f"/quizzes/{quiz['id']}/attempts/start", {"user_id": "ana"}).json()["data"]
    early = api.patch(f"/attempts/{started['id']}/grade", {"question_index": 4, "points_earned": 1})
    assert early.status_code == 409 and error_of(early)["code"] == "attempt_not_submitted"


def test_events_reach_subscribers(fast_hooks, setup) -> None:
    tenant, *_, quiz = setup
    tenant.secret.post("/webhooks", {"url": fast_hooks.url, "events": ["quiz.submitted", "quiz.passed", "quiz.failed"],
                                     "secret": "quiz-hook-secret-123"})
    attempt = submit(tenant.publishable, quiz["id"], "ana", RIGHT).json()["data"]
    submit(tenant.publishable, quiz["id"], "ana", [RIGHT[0]])
    tenant.secret.patch(f"/attempts/{attempt['id']}/grade", {"question_index": 4, "points_earned": 20})
    got = fast_hooks.wait_for(4)
    assert [r["json"]["event"] for r in got] == ["quiz.submitted", "quiz.submitted", "quiz.failed", "quiz.passed"]
    passed = got[-1]["json"]["data"]
    assert (passed["attempt_id"], passed["score"], passed["user_id"]) == (attempt["id"], 100, "ana")


@pytest.fixture
def fast_hooks(server):
    """A webhook receiver (the session server polls its outbox every second by default)."""
    receiver = Receiver()
    yield receiver
    receiver.stop()


def test_passing_a_quiz_lesson_completes_it_once(tenant: Tenant) -> None:
    api = tenant.secret
    course, lesson = quiz_course(api)
    plain_course, text_lesson = quiz_course(api, lesson_type="text")
    quiz = make_quiz(api, lesson["id"], questions=SPEC_QUESTIONS[:2], passing_score=50)
    text_quiz = make_quiz(api, text_lesson["id"], questions=SPEC_QUESTIONS[:2], passing_score=50)
    for c in (course, plain_course):
        enroll(api, "cam", c["id"])
    submit(api, quiz["id"], "cam", [RIGHT[0]])
    submit(api, quiz["id"], "cam", RIGHT[:2])
    assert api.get(f"/progress/{course['id']}/users/cam").json()["data"]["attributes"]["status"] == "completed"
    completions = eventually(lambda: api.get("/enrollments", params={"user_id": "cam", "course_id": course["id"]}).json())
    assert completions["data"][0]["attributes"]["status"] == "completed"
    # A quiz attached to a text lesson does not complete the lesson: the lesson is something else to do.
    submit(api, text_quiz["id"], "cam", RIGHT[:2])
    assert api.get(f"/progress/{plain_course['id']}/users/cam").json()["data"]["attributes"]["lessons_completed"] == []


def test_required_settings_cannot_be_cleared(api: Api) -> None:
    _, lesson = quiz_course(api)
    quiz = make_quiz(api, lesson["id"])
    for name in ("title", "passing_score", "questions", "show_correct_answers"):
        response = api.patch_resource(f"/quizzes/{quiz['id']}", "quiz", **{name: None})
        assert response.status_code == 422 and error_of(response)["source"]["pointer"] == f"/data/attributes/{name}"
    after_due = api.patch_resource(f"/quizzes/{quiz['id']}", "quiz", show_correct_answers="after_due")
    assert error_of(after_due)["source"]["pointer"] == "/data/attributes/due_date"
    assert api.patch_resource(f"/quizzes/{quiz['id']}", "quiz", show_correct_answers="after_due",
                      due_date="2031-01-01T00:00:00Z").status_code == 200
