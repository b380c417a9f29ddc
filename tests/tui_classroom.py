"""A classroom with work waiting to be graded, made through the API: the TUI's tests, its snapshot
tests and bench/tui.py all grade the same kind of thing.

`build(client, learners=N, courses=C)` makes C published courses, each with a quiz whose last
question is an essay and a written assignment with a three-criterion rubric, enrolls N learners
(spread over the courses) and has each hand in both, so 2 x N items wait, oldest first in the
order the learners were made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from client import Client

RUBRIC = [{"criteria": "Content", "max_points": 4, "description": "Accurate and complete"},
          {"criteria": "Reasoning", "max_points": 4, "description": "Explains why"},
          {"criteria": "Writing", "max_points": 2, "description": "Clear sentences"}]
ESSAY = {"type": "essay", "question": "Why do plants need light? Answer in a few sentences.", "points": 10,
         "rubric": "Photosynthesis named; light turned into chemical energy; sugar and oxygen made."}
NAMES = ["Amina Yusuf", "Bruno Costa", "Chen Wei", "Daniela Ortiz", "Emeka Obi", "Fatima Zahra", "Gabriel Silva",
         "Hana Sato", "Ivan Petrov", "Juma Mwangi", "Kofi Mensah", "Lena Novak"]


@dataclass
class Classroom:
    courses: list[dict[str, Any]] = field(default_factory=list)  # {"id", "title", "quiz", "assignment"}
    learners: list[str] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    submissions: list[str] = field(default_factory=list)


def learner_name(number: int) -> str:
    base = NAMES[number % len(NAMES)]
    return base if number < len(NAMES) else f"{base} {number // len(NAMES) + 1}"


def build(client: Client, *, learners: int = 3, courses: int = 1, graded_learners: int = 0,
          extra_learners: int = 0, stuck: int = 0) -> Classroom:
    """Make the classroom; `extra_learners` more are created (roster-imported) but hand in nothing.
    The first `stuck` of those are enrolled in the first course, miss a homework that was due two
    days ago, and every other one of them fails a check twice: the dashboard's stuck learners."""
    room = Classroom()
    for number in range(courses):
        title = "Biology: plants and light" if number == 0 else f"Course {number + 1}"
        course = client.create_course(title, status="published")
        module = client.create_module(course["id"], "Week 1")
        quiz_lesson = client.create_lesson(module["id"], "Check: photosynthesis", "quiz", {"estimated_minutes": 10})
        task_lesson = client.create_lesson(module["id"], "Write: a plant diary", "assignment",
                                           {"estimated_minutes": 30})
        quiz = client.create_quiz("Photosynthesis check", [
            {"type": "true_false", "question": "Plants make oxygen.", "correct_answer": True, "points": 2}, ESSAY],
            lesson_id=quiz_lesson["id"], passing_score=50)
        assignment = client.create_assignment("A plant diary", task_lesson["id"], rubric=RUBRIC,
                                              description="Keep a diary of a plant for a week: its height each day and what you saw.",
                                              submission_types=["text"], late_penalty_percent=10)
        room.courses.append({"id": course["id"], "title": title, "quiz": quiz["id"], "assignment": assignment["id"]})
    if learners + extra_learners:
        rows = "\n".join(f"learner-{n:05d},{learner_name(n)},,learner,,," for n in range(learners + extra_learners))
        client.import_roster("id,display_name,email,role,pin,password,leaderboard_opt_out\n" + rows + "\n")
    for n in range(learners):
        user_id, course = f"learner-{n:05d}", room.courses[n % courses]
        room.learners.append(user_id)
        client.enroll(user_id, course["id"])
        answer = (f"{learner_name(n)}: plants use light to make sugar from water and carbon dioxide, "
                  "and they give off oxygen.")
        attempt = client.submit_attempt(course["quiz"], user_id, [{"question_index": 0, "answer": True},
                                                                  {"question_index": 1, "answer": answer}])
        room.attempts.append(attempt["id"])
        submission = client.submit_text(course["assignment"], user_id,
                                        f"Day 1: my bean plant by the window is 3 cm tall.\nDay 2: 4 cm. ({n})")
        room.submissions.append(submission["id"])
        if n < graded_learners:
            client.grade_essay(attempt["id"], 1, 8, feedback="Good.")
    if stuck:
        _stuck(client, room, [f"learner-{n:05d}" for n in range(learners, learners + min(stuck, extra_learners))])
    return room


def _stuck(client: Client, room: Classroom, user_ids: list[str]) -> None:
    course = room.courses[0]
    module = client.create_module(course["id"], "Week 2")
    lesson = client.create_lesson(module["id"], "Homework: leaves", "assignment", {"estimated_minutes": 20})
    due = (datetime.now(UTC) - timedelta(days=2)).isoformat(timespec="seconds").replace("+00:00", "Z")
    client.create_assignment("Draw three leaves", lesson["id"], max_score=10, due_date=due,
                             submission_types=["text"])
    check_lesson = client.create_lesson(module["id"], "Check: leaves", "quiz", {"estimated_minutes": 5})
    check = client.create_quiz("Leaves check", [{"type": "true_false", "question": "Leaves are blue.",
                                                 "correct_answer": False, "points": 1}],
                               lesson_id=check_lesson["id"], passing_score=100)
    for number, user_id in enumerate(user_ids):
        client.enroll(user_id, course["id"])
        if number % 2 == 0:
            for _ in range(2):
                client.submit_attempt(check["id"], user_id, [{"question_index": 0, "answer": True}])
