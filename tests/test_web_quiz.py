"""A whole quiz in the learner pages, with JavaScript on and off: start, answer question by
question (each saved as given), review with the unanswered listed, submit, and the result with
per-question feedback. With JavaScript, answers given while the device is offline are kept on it
and reach the server once when it is back. When a timed quiz's time runs out while the device is
offline, the server's rule for late work holds and the page says what counted."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

from babel.dates import format_time
from playwright.sync_api import expect

from tests.conftest import ServerProcess
from tests.test_web import School, browser, check_accessible, js, new_page, school, sign_in, web_server  # noqa: F401
from university_local.core.clock import to_iso
from university_local.quizzes.service import GRACE_SECONDS

QUESTIONS = [
    {"type": "multiple_choice", "question": "Which is a fruit?", "points": 1,
     "options": [{"text": "Carrot"}, {"text": "Apple", "correct": True}, {"text": "Potato"}]},
    {"type": "true_false", "question": "The sun is a star.", "points": 1, "correct_answer": True,
     "explanation": "It is the star nearest to us."},
    {"type": "fill_blank", "question": "Water freezes at ___ degrees Celsius.", "points": 1, "correct_answers": ["0"]},
    {"type": "matching", "question": "Match the animal to its home.", "points": 2,
     "pairs": [{"left": "Bird", "right": "Nest"}, {"left": "Bee", "right": "Hive"}]},
    {"type": "multiple_choice", "question": "Which are even?", "points": 1,
     "options": [{"text": "2", "correct": True}, {"text": "3"}, {"text": "4", "correct": True}]},
]


def make_quiz(where: School) -> str:
    api = where.api
    lesson = api.lesson(where.module_ids[0], title="Check yourself", content_type="quiz",
                        content={"estimated_minutes": 5})
    quiz = api.create("/quizzes", "quiz", title="Check yourself", lesson_id=lesson["id"], passing_score=50,
                      max_attempts=2, show_correct_answers="after_submission", questions=QUESTIONS)
    return str(quiz["id"])


def attempt_of(where: School, quiz_id: str) -> dict[str, Any]:
    response = where.api.get(f"/quizzes/{quiz_id}/attempts", params={"user_id": "amani"})
    assert response.status_code == 200, response.text
    [attempt] = response.json()["data"]
    return dict(attempt)


def current_question(page: Any) -> str:
    return str(page.locator("h1.q").inner_text())


def answer(page: Any, text: str) -> None:
    """Answer whichever question the page shows (the order is the attempt's, maybe shuffled)."""
    question = current_question(page)
    if question == "Which is a fruit?":
        page.get_by_label("Apple").check()
    elif question == "The sun is a star.":
        page.get_by_label("True").check()
    elif question.startswith("Water freezes"):
        page.get_by_label("Your answer").fill("0")
    elif question.startswith("Match"):
        page.get_by_label("Bird").select_option(label="Nest")
        page.get_by_label("Bee").select_option(label="Hive")
    else:
        assert question == "Which are even?", question
        if text != "skip":
            page.get_by_label("2", exact=True).check()


def test_a_whole_quiz(browser: Any, web_server: ServerProcess, school: School, js: bool) -> None:  # noqa: F811
    quiz_id = make_quiz(school)
    page = new_page(browser, js)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/courses/{school.course_id}")
    page.get_by_role("link", name="Check yourself").click()
    page.get_by_role("link", name="Open the quiz").click()
    expect(page.get_by_text("5 questions")).to_be_visible()
    expect(page.get_by_text("Attempts left: 2 of 2")).to_be_visible()
    check_accessible(page)
    page.get_by_role("button", name="Start the quiz").click()
    page.wait_for_url(re.compile(r"/questions/1$"))
    check_accessible(page)
    for number in range(1, 6):
        expect(page.get_by_text(f"Question {number} of 5")).to_be_visible()
        skip = current_question(page) == "Which are even?"
        answer(page, "skip" if skip else "")
        button = "Save and next" if number < 5 else "Save and review"
        page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(r"/review$"))
    expect(page.get_by_text("1 question is not answered:")).to_be_visible()
    check_accessible(page)
    saved = attempt_of(school, quiz_id)["attributes"]
    assert saved["status"] == "in_progress" and len(saved["answers"]) == 4  # every answer saved as given
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/attempts/[^/]+$"))
    expect(page.locator(".score")).to_contain_text("Score: 83%")  # 5 of 6 points
    expect(page.locator(".score")).to_contain_text("Passed")
    expect(page.get_by_text("It is the star nearest to us.")).to_be_visible()  # after_submission: explanations
    expect(page.get_by_text("The answer: 2, 4")).to_be_visible()
    check_accessible(page)
    page.go_back()  # a resubmission (the browser's back and a second tap) changes nothing
    graded = attempt_of(school, quiz_id)["attributes"]
    assert graded["status"] == "graded" and graded["score"] == 83.33
    page.goto(f"{web_server.base}/quizzes/{quiz_id}")
    expect(page.get_by_text("Attempts left: 1 of 2")).to_be_visible()
    expect(page.get_by_text("Best score: 83%", exact=False)).to_be_visible()
    page.context.close()


def test_answers_given_offline_reach_the_server_once(browser: Any, web_server: ServerProcess,  # noqa: F811
                                                      school: School) -> None:  # noqa: F811
    quiz_id = make_quiz(school)
    page = new_page(browser, True)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/quizzes/{quiz_id}")
    page.get_by_role("button", name="Start the quiz").click()
    page.wait_for_url(re.compile(r"/questions/1$"))
    page.context.set_offline(True)
    answer(page, "")
    expect(page.locator("#net")).to_have_text(re.compile("Saved on this device"))
    assert attempt_of(school, quiz_id)["attributes"]["answers"] == []
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#net")).to_have_text(re.compile("has been sent|Saved"))
    answers = attempt_of(school, quiz_id)["attributes"]["answers"]
    assert len(answers) == 1
    page.context.close()


def end_the_time(srv: ServerProcess, attempt_id: str) -> datetime:
    """Make an attempt's time run out now, on the server.

    The server runs in its own process, so its clock cannot be moved from here, and the shortest
    time limit a quiz takes is one minute (plus GRACE_SECONDS for answers still in flight). Rather
    than wait that long, the test moves this one attempt's deadline into the past, beyond the grace,
    in the server's SQLite file. Nothing else changes: from then on the server applies its own rule
    (quizzes/service.py) to the attempt exactly as if the minute had gone by."""
    deadline = datetime.now(UTC) - timedelta(seconds=GRACE_SECONDS + 60)
    with closing(sqlite3.connect(srv.data_dir / "university.sqlite3", timeout=30)) as db, db:
        db.execute("UPDATE quiz_attempts SET deadline_at = ? WHERE id = ?", (to_iso(deadline), attempt_id))
    return deadline


def test_the_time_runs_out_while_the_device_is_offline(browser: Any, web_server: ServerProcess,  # noqa: F811
                                                        school: School, js: bool) -> None:  # noqa: F811
    quiz = school.api.create("/quizzes", "quiz", title="Against the clock", course_id=school.course_id,
                             passing_score=50, time_limit_minutes=1, questions=QUESTIONS)
    page = new_page(browser, js)
    if js:  # the page's timer runs on the device's clock: the test moves it on, as it moves the server's deadline
        page.clock.install()
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/quizzes/{quiz['id']}")
    page.get_by_role("button", name="Start the quiz").click()
    page.wait_for_url(re.compile(r"/questions/1$"))
    assert current_question(page) == "Which is a fruit?"  # not shuffled: question 1 is question_index 0
    answer(page, "")
    if js:
        expect(page.locator("#net")).to_have_text("Saved")
    page.get_by_role("button", name="Save and next").click()  # online: the first answer reaches the server
    page.wait_for_url(re.compile(r"/questions/2$"))
    attempt_id = attempt_of(school, quiz["id"])["id"]
    assert [a["question_index"] for a in attempt_of(school, quiz["id"])["attributes"]["answers"]] == [0]

    page.context.set_offline(True)
    answer(page, "")  # "The sun is a star.": with JavaScript kept on the device, without it still in the form
    if js:
        expect(page.locator("#net")).to_have_text(re.compile("Saved on this device"))
    deadline = end_the_time(web_server, attempt_id)
    if js:
        page.clock.fast_forward("01:05")  # the page's timer ends too; offline, the page stays where it is
        expect(page.locator("#net")).to_have_text(re.compile("Time is up, and this device cannot reach the server"))
        expect(page).to_have_url(re.compile(r"/questions/2$"))
    page.context.set_offline(False)
    if js:
        page.evaluate("window.dispatchEvent(new Event('online'))")  # the outbox sends what it kept
    else:
        page.get_by_role("button", name="Save and next").click()  # the learner sends the form again

    # The server refused the late answer; the page it sends the learner to says so, and what counted.
    # (Either the review, or the result if the server's scheduler has already graded the attempt.)
    page.wait_for_url(re.compile(r"late=1$"))
    ran_out = format_time(deadline, "short", tzinfo=UTC, locale="en")
    notice = page.locator(".notice[role=status]").first
    expect(notice).to_contain_text(f"Time ran out at {ran_out}; answers given after that were not counted.")
    expect(notice).to_contain_text("An answer you gave after the time ended was not accepted.")
    expect(notice).to_contain_text("These answers reached the server in time and count: question 1.")
    if "/review" in page.url:
        check_accessible(page)
        page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/attempts/[^/?]+(\?late=1)?$"))
    notice = page.locator(".notice[role=status]").first
    expect(notice).to_contain_text(f"Time ran out at {ran_out}; answers given after that were not counted.")
    expect(notice).to_contain_text("These answers reached the server in time and count: question 1.")
    expect(notice).to_contain_text("this attempt was submitted late and graded with those answers only")
    check_accessible(page)

    graded = attempt_of(school, quiz["id"])["attributes"]
    assert graded["status"] == "graded" and graded["late"] is True
    answered = {r["question_index"]: r["answered"] for r in graded["results"]}
    assert answered == {0: True, 1: False, 2: False, 3: False, 4: False}  # the first answer, not the one given offline
    if js:
        assert page.evaluate("window.localStorage.getItem('ul-outbox')") == "[]"  # refused, so not sent again
    page.context.close()
