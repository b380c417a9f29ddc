"""Load benchmark: an exam finishing at once, `POST /v1/university/quizzes/{id}/attempts`.

    python bench/quizzes.py [--learners 200] [--seconds 10]

Seeds one course with a quiz of 20 questions (all five types, one essay) and `--learners`
enrolled learners, then has wrk submit complete answer sheets for random learners over as many
connections as there are learners, beside `GET /health` on the same server. Each submission is
validated, graded, stored with its events in one durable transaction and answered with the
graded attempt. The quiz allows unlimited attempts so the run can go on for as long as asked.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Server, print_table, running_server, wrk

SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local learners = %(learners)d
local answers = '%(answers)s'
request = function()
  local body = string.format('{"user_id":"exam-%%d","answers":%%s}', math.random(learners), answers)
  return wrk.format(nil, nil, nil, body)
end
"""


def questions() -> list[dict]:
    """20 questions: four of each objective type, and essays for the rest."""
    out: list[dict] = []
    for n in range(4):
        out.append({"type": "multiple_choice", "question": f"Choice {n}", "points": 5,
                    "options": [{"text": "a"}, {"text": "b", "correct": True}, {"text": "c"}, {"text": "d"}]})
        out.append({"type": "true_false", "question": f"Statement {n}", "correct_answer": n % 2 == 0, "points": 5})
        out.append({"type": "fill_blank", "question": f"Blank {n}", "correct_answers": ["photosynthesis", "light"],
                    "points": 5})
        out.append({"type": "matching", "question": f"Match {n}", "points": 5, "partial_credit": True,
                    "pairs": [{"left": "H2O", "right": "water"}, {"left": "CO2", "right": "carbon dioxide"},
                              {"left": "O2", "right": "oxygen"}]})
    out += [{"type": "essay", "question": f"Explain {n}", "points": 10, "max_words": 300} for n in range(4)]
    return out


def answer_sheet(qs: list[dict]) -> list[dict]:
    answers = {"multiple_choice": 1, "true_false": True, "fill_blank": " Photosynthesis ",
               "matching": [[0, 0], [1, 2], [2, 1]], "essay": "Plants turn light into sugar using chlorophyll."}
    return [{"question_index": i, "answer": answers[q["type"]]} for i, q in enumerate(qs)]


def seed(server: Server, learners: int) -> tuple[str, list[dict]]:
    api = httpx.Client(base_url=server.base + "/v1/university", headers=server.headers, timeout=60)
    course = api.post("/courses", json={"data": {"type": "course", "attributes": {"title": "Exam"}}}).json()["data"]
    module = api.post(f"/courses/{course['id']}/modules",
                      json={"data": {"type": "module", "attributes": {"title": "M"}}}).json()["data"]
    lesson = api.post(f"/modules/{module['id']}/lessons", json={"data": {"type": "lesson", "attributes": {
        "title": "Final exam", "content_type": "quiz", "content": {"estimated_minutes": 45}}}}).json()["data"]
    qs = questions()
    quiz = api.post("/quizzes", json={"data": {"type": "quiz", "attributes": {
        "title": "Final", "lesson_id": lesson["id"], "passing_score": 60, "questions": qs}}})
    quiz.raise_for_status()
    users = [f"exam-{n}" for n in range(1, learners + 1)]
    api.post("/enrollments/bulk", json={"course_id": course["id"], "user_ids": users}).raise_for_status()
    return quiz.json()["data"]["id"], answer_sheet(qs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    with running_server() as server, tempfile.TemporaryDirectory() as tmp:
        quiz_id, sheet = seed(server, args.learners)
        script = Path(tmp) / "quiz.lua"
        script.write_text(SCRIPT % {"learners": args.learners, "answers": json.dumps(sheet, separators=(",", ":"))})
        url = f"{server.base}/v1/university/quizzes/{quiz_id}/attempts"
        wrk("warm-up", url, server.headers, 50, 2, script)
        health = wrk(f"GET /health @{args.learners}", server.base + "/health", {}, args.learners, args.seconds)
        submit = wrk(f"POST .../attempts @{args.learners}", url, server.headers, args.learners, args.seconds, script)
        stored = httpx.get(f"{url}", params={"per_page": 1}, headers=server.headers).json()["meta"]["total"]
    print(f"20-question quiz, {args.learners} learners, {args.seconds} s each; {stored} attempts stored")
    print_table([health, submit], health)


if __name__ == "__main__":
    main()
