"""A whole quiz in the learner pages, with JavaScript on and off: start, answer question by
question (each saved as given), review with the unanswered listed, submit, and the result with
per-question feedback. With JavaScript, answers given while the device is offline are kept on it
and reach the server once when it is back."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.conftest import ServerProcess
from tests.test_web import School, browser, check_accessible, js, new_page, school, sign_in, web_server  # noqa: F401

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
