"""Course reports (GET /reports/courses/{id} and `university-local report course`): rows and
columns worked out by hand, include subsets, CSV and JSON agreeing, CSV injection, errors,
tenancy, the CLI giving the API's bytes, and the response being streamed."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import orjson
import pytest

from tests.conftest import (
    Api,
    ServerProcess,
    Tenant,
    Timeline,
    error_of,
    make_tenant,
    run_cli,
)
from university_local.core.scope import Scope
from university_local.core.scope import Tenant as StoreTenant
from university_local.reports import service

BASE = ["record_type", "user_id", "display_name", "email", "enrollment_id", "enrolled_at", "module_id", "lesson_id",
        "lesson_title"]
PROGRESS = ["enrollment_status", "progress_percent", "position", "furthest_position", "completed", "completed_at"]
TIME = ["time_spent_seconds", "started_at", "last_activity_at"]
SCORES = ["quiz_id", "quiz_title", "attempt_id", "attempt_number", "submitted_at", "question_index", "question_type",
          "points_earned", "points_possible", "correct", "attempt_score", "attempt_passed"]
ALL = BASE + PROGRESS + TIME + SCORES


def report(api: Api, course_id: str, **params: str) -> Any:
    return api.get(f"/reports/courses/{course_id}", params=params)


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def as_csv(value: Any) -> str:
    """A JSON value as the CSV shows it."""
    return "" if value is None else "true" if value is True else "false" if value is False else str(value)


def enroll(api: Api, user_id: str, course_id: str, **extra: Any) -> dict[str, Any]:
    return api.create("/enrollments", "enrollment", user_id=user_id, course_id=course_id, **extra)


def submit(api: Api, quiz_id: str, user_id: str, *answers: Any) -> dict[str, Any]:
    response = api.post(f"/quizzes/{quiz_id}/attempts", {"user_id": user_id, "answers": [
        {"question_index": i, "answer": a} for i, a in enumerate(answers) if a is not None]})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def at(t: Timeline, hours: float) -> str:
    """Move the clock to 2030-01-01 09:00 UTC + hours; return that instant as stored."""
    t.now[0] = t.now[0].replace(year=2030, month=1, day=1, hour=9, minute=0) + timedelta(hours=hours)
    return t.now[0].strftime("%Y-%m-%dT%H:%M:%S.000Z")


def build_class(t: Timeline) -> dict[str, Any]:
    """Two modules, three live lessons (and one deleted), a lesson quiz with an essay, a course quiz
    (and one deleted), and three learners: ana (active, progress and attempts), ben (cancelled after some work) and
    cleo (no progress, one attempt left in progress, enrollment expired by report time)."""
    api = t.api
    t0 = at(t, 0)
    for uid, name, email in [("ana", "Ana Lima", "ana@school.test"), ("ben", "Ben Okafor", "ben@school.test"),
                             ("cleo", "Cleo Park", None)]:
        api.create("/users", "user", id=uid, display_name=name, email=email)
    course = api.course(title="Soil science", status="published")
    m1 = api.module(course["id"], title="Basics")
    m2 = api.module(course["id"], title="Practice")
    setup = api.lesson(m1["id"], title="Setup")
    welcome = api.lesson(m1["id"], title="Welcome", position=1)  # created second, read first
    assert (welcome["attributes"]["position"], api.get(f"/lessons/{setup['id']}").json()["data"]["attributes"]
            ["position"]) == (1, 2)
    exercise = api.lesson(m2["id"], title="Exercise")
    old = api.lesson(m2["id"], title="Old lesson")
    checkpoint = api.create("/quizzes", "quiz", title="Checkpoint", lesson_id=exercise["id"], passing_score=70,
                            questions=[{"type": "true_false", "question": "Is loam a soil?", "correct_answer": True},
                                       {"type": "multiple_choice", "question": "Which holds water best?", "points": 3,
                                        "options": [{"text": "Sand"}, {"text": "Clay", "correct": True}]},
                                       {"type": "essay", "question": "Describe humus.", "points": 2}])
    final = api.create("/quizzes", "quiz", title="Final", course_id=course["id"],
                       questions=[{"type": "true_false", "question": "Done?", "correct_answer": True}])
    ana = enroll(api, "ana", course["id"])
    ben = enroll(api, "ben", course["id"])
    cleo = enroll(api, "cleo", course["id"], expires_at="2030-01-20T00:00:00Z")

    def progress(lesson: dict[str, Any], user: str, complete: bool = False, **attrs: Any) -> None:
        path = f"/lessons/{lesson['id']}/" + ("complete" if complete else "progress")
        response = (api.post if complete else api.patch)(path, {"user_id": user, **attrs})
        assert response.status_code == 200, response.text

    t1 = at(t, 1)
    progress(welcome, "ana", position=50, time_spent_seconds=100)
    t2 = at(t, 2)
    progress(welcome, "ana", complete=True, position=100, time_spent_seconds=300)
    t3 = at(t, 3)
    progress(setup, "ana", position=40, time_spent_seconds=120)
    progress(old, "ana", position=10, time_spent_seconds=50)
    t4 = at(t, 4)
    a1 = submit(api, checkpoint["id"], "ana", False, 1, "Dark organic matter.")  # 3 of 6, essay waiting
    t5 = at(t, 5)
    a2 = submit(api, checkpoint["id"], "ana", True, 1, "Decomposed organic matter.")  # 4 of 6, essay waiting
    at(t, 6)
    graded = api.patch(f"/attempts/{a2['id']}/grade", {"question_index": 2, "points_earned": 1.5})
    assert graded.json()["data"]["attributes"]["score"] == 91.67  # 5.5 of 6
    t6 = at(t, 6.5)
    a3 = submit(api, final["id"], "ana", True)
    withdrawn = api.create("/quizzes", "quiz", title="Withdrawn", lesson_id=exercise["id"],
                           questions=[{"type": "true_false", "question": "Kept?", "correct_answer": True}])
    submit(api, withdrawn["id"], "ana", True)
    assert api.delete(f"/quizzes/{withdrawn['id']}").status_code == 204  # its attempts leave the report
    t7 = at(t, 7)
    progress(welcome, "ben", position=10, time_spent_seconds=60)
    t8 = at(t, 8)
    b1 = submit(api, checkpoint["id"], "ben", True, 0, None)  # 1 of 6, essay unanswered
    at(t, 9)
    assert api.delete(f"/enrollments/{ben['id']}").status_code == 204
    started = api.post(f"/quizzes/{checkpoint['id']}/attempts/start", {"user_id": "cleo"})
    assert started.status_code == 201, started.text  # in progress: not in the report
    at(t, 10)
    assert api.delete(f"/lessons/{old['id']}").status_code == 204
    t.now[0] = t.now[0].replace(day=25)  # cleo's enrollment has run out
    return {"course": course["id"], "m1": m1["id"], "m2": m2["id"], "welcome": welcome["id"], "setup": setup["id"],
            "exercise": exercise["id"], "checkpoint": checkpoint["id"], "final": final["id"], "ana": ana["id"],
            "ben": ben["id"], "cleo": cleo["id"], "a1": a1["id"], "a2": a2["id"], "a3": a3["id"], "b1": b1["id"],
            "t0": t0, "t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5, "t6": t6, "t7": t7, "t8": t8}


def expected_rows(c: dict[str, Any]) -> list[list[str]]:
    """Every row of the full report, worked out by hand from build_class.

    Required live lessons: Welcome, Setup, Exercise (Old lesson is deleted) = 3. ana completed
    Welcome: 1/3 -> 33 %. Checkpoint is worth 1 + 3 + 2 = 6 points, passing at 70 %:
    ana #1 = 0 + 3 + (essay pending) = 50 %, pending and not passing -> passed empty;
    ana #2 = 1 + 3 + 1.5 (graded) = 5.5/6 = 91.67 % -> passed; ben #1 = 1 + 0 + 0 (essay
    unanswered, so graded as wrong) = 16.67 % -> failed."""
    ana = ["ana", "Ana Lima", "ana@school.test", c["ana"], c["t0"]]
    ben = ["ben", "Ben Okafor", "ben@school.test", c["ben"], c["t0"]]
    cleo = ["cleo", "Cleo Park", "", c["cleo"], c["t0"]]
    welcome = [c["m1"], c["welcome"], "Welcome"]
    setup = [c["m1"], c["setup"], "Setup"]
    exercise = [c["m2"], c["exercise"], "Exercise"]
    no_lesson = ["", "", ""]
    lesson_blank = [""] * 12
    progress_blank = [""] * 7  # position .. last_activity_at, on question rows

    def checkpoint(attempt: str, number: int, submitted: str) -> list[Any]:
        return [c["checkpoint"], "Checkpoint", attempt, str(number), submitted]

    q = "question"
    return [
        # ana: lessons in course order, then Checkpoint attempts 1 and 2, then the course-level Final.
        ["lesson", *ana, *welcome, "active", "33", "100", "100", "true", c["t2"], "300", c["t1"], c["t2"], *lesson_blank],
        ["lesson", *ana, *setup, "active", "33", "40", "40", "false", "", "120", c["t3"], c["t3"], *lesson_blank],
        ["lesson", *ana, *exercise, "active", "33", "0", "0", "false", "", "0", "", "", *lesson_blank],
        [q, *ana, *exercise, "active", "33", *progress_blank, *checkpoint(c["a1"], 1, c["t4"]),
         "0", "true_false", "0", "1", "false", "50", ""],
        [q, *ana, *exercise, "active", "33", *progress_blank, *checkpoint(c["a1"], 1, c["t4"]),
         "1", "multiple_choice", "3", "3", "true", "50", ""],
        [q, *ana, *exercise, "active", "33", *progress_blank, *checkpoint(c["a1"], 1, c["t4"]),
         "2", "essay", "0", "2", "", "50", ""],
        [q, *ana, *exercise, "active", "33", *progress_blank, *checkpoint(c["a2"], 2, c["t5"]),
         "0", "true_false", "1", "1", "true", "91.67", "true"],
        [q, *ana, *exercise, "active", "33", *progress_blank, *checkpoint(c["a2"], 2, c["t5"]),
         "1", "multiple_choice", "3", "3", "true", "91.67", "true"],
        [q, *ana, *exercise, "active", "33", *progress_blank, *checkpoint(c["a2"], 2, c["t5"]),
         "2", "essay", "1.5", "2", "", "91.67", "true"],
        [q, *ana, *no_lesson, "active", "33", *progress_blank, c["final"], "Final", c["a3"], "1", c["t6"],
         "0", "true_false", "1", "1", "true", "100", "true"],
        # ben: cancelled, his work kept.
        ["lesson", *ben, *welcome, "cancelled", "0", "10", "10", "false", "", "60", c["t7"], c["t7"], *lesson_blank],
        ["lesson", *ben, *setup, "cancelled", "0", "0", "0", "false", "", "0", "", "", *lesson_blank],
        ["lesson", *ben, *exercise, "cancelled", "0", "0", "0", "false", "", "0", "", "", *lesson_blank],
        [q, *ben, *exercise, "cancelled", "0", *progress_blank, *checkpoint(c["b1"], 1, c["t8"]),
         "0", "true_false", "1", "1", "true", "16.67", "false"],
        [q, *ben, *exercise, "cancelled", "0", *progress_blank, *checkpoint(c["b1"], 1, c["t8"]),
         "1", "multiple_choice", "0", "3", "false", "16.67", "false"],
        [q, *ben, *exercise, "cancelled", "0", *progress_blank, *checkpoint(c["b1"], 1, c["t8"]),
         "2", "essay", "0", "2", "false", "16.67", "false"],
        # cleo: expired, nothing done; her attempt in progress is not a result.
        ["lesson", *cleo, *welcome, "expired", "0", "0", "0", "false", "", "0", "", "", *lesson_blank],
        ["lesson", *cleo, *setup, "expired", "0", "0", "0", "false", "", "0", "", "", *lesson_blank],
        ["lesson", *cleo, *exercise, "expired", "0", "0", "0", "false", "", "0", "", "", *lesson_blank],
    ]


def test_the_full_report_worked_out_by_hand(timeline: Timeline) -> None:
    c = build_class(timeline)
    response = report(timeline.api, c["course"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{c["course"]}-report.csv"'
    assert "content-length" not in response.headers  # streamed, not measured first
    assert response.content.endswith(b"\r\n") and b"\r\n" in response.content  # RFC 4180 line ends
    rows = csv_rows(response.text)
    assert rows[0] == ALL
    assert all(len(row) == len(ALL) for row in rows)
    assert rows[1:] == expected_rows(c)
    # progress_percent and status are the enrollments API's own figures.
    for enrollment_id, row in [(c["ana"], rows[1]), (c["ben"], rows[11]), (c["cleo"], rows[17])]:
        attrs = timeline.api.get(f"/enrollments/{enrollment_id}").json()["data"]["attributes"]
        assert [attrs["status"], str(attrs["progress_percent"])] == row[9:11]


def _select(rows: list[list[str]], names: list[str]) -> list[list[str]]:
    return [[row[ALL.index(name)] for name in names] for row in rows]


@pytest.mark.parametrize("include, groups", [
    ("progress", [PROGRESS]),
    ("time_spent", [TIME]),
    ("scores", [SCORES]),
    ("scores,progress", [PROGRESS, SCORES]),  # columns keep the documented order
    (" time_spent , progress,time_spent", [PROGRESS, TIME]),  # spaces and repeats are harmless
])
def test_include_chooses_column_groups(timeline: Timeline, include: str, groups: list[list[str]]) -> None:
    c = build_class(timeline)
    columns = BASE + [name for group in groups for name in group]
    full = expected_rows(c)
    if SCORES not in groups:  # question rows come only with scores
        full = [row for row in full if row[0] == "lesson"]
    rows = csv_rows(report(timeline.api, c["course"], include=include).text)
    assert rows[0] == columns
    assert rows[1:] == _select(full, columns)


def test_repeated_include_parameters_add_up(timeline: Timeline) -> None:
    c = build_class(timeline)
    response = timeline.api.get(f"/reports/courses/{c['course']}?include=scores&include=progress")
    assert csv_rows(response.text)[0] == BASE + PROGRESS + SCORES
    bad = timeline.api.get(f"/reports/courses/{c['course']}?include=scores&include=grades")
    assert bad.status_code == 400
    assert error_of(bad)["code"] == "invalid_parameter" and error_of(bad)["source"] == {"parameter": "include"}


def test_json_has_the_csv_content_with_typed_values(timeline: Timeline) -> None:
    c = build_class(timeline)
    for include in ("progress,scores,time_spent", "time_spent"):
        text_rows = csv_rows(report(timeline.api, c["course"], include=include).text)
        response = report(timeline.api, c["course"], include=include, format="json")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.headers["content-disposition"] == f'attachment; filename="{c["course"]}-report.json"'
        assert "content-length" not in response.headers
        body = response.json()
        assert set(body) == {"data", "meta"}
        meta = body["meta"]
        assert meta["course_id"] == c["course"] and meta["columns"] == text_rows[0]
        assert meta["include"] == [g for g in ("progress", "time_spent", "scores") if g in include]
        assert meta["generated_at"] == "2030-01-25T19:00:00.000Z"
        assert [list(row) for row in body["data"]] == [text_rows[0]] * len(body["data"])  # keys in column order
        assert [[as_csv(v) for v in row.values()] for row in body["data"]] == text_rows[1:]
    first = report(timeline.api, c["course"], format="json").json()["data"][0]
    assert (first["progress_percent"], first["completed"], first["time_spent_seconds"], first["quiz_id"]) == \
        (33, True, 300, None)


def test_formula_text_is_neutralised_in_csv_only(api: Api) -> None:
    api.create("/users", "user", id="mal", display_name="=HYPERLINK(\"http://evil.test\",\"x\")",
               email="-1+1@evil.test")
    course = api.course(title="Injection")
    module = api.module(course["id"])
    api.lesson(module["id"], title="@SUM(A1:A9)")
    enroll(api, "mal", course["id"])
    enroll(api, "+danger", course["id"])  # ids a client makes up are text from people too
    rows = csv_rows(report(api, course["id"], include="progress").text)
    assert [row[1:4] for row in rows[1:]] == [
        ["'+danger", "'+danger", ""],
        ["mal", "'=HYPERLINK(\"http://evil.test\",\"x\")", "'-1+1@evil.test"],
    ]
    assert {row[8] for row in rows[1:]} == {"'@SUM(A1:A9)"}
    data = report(api, course["id"], include="progress", format="json").json()["data"]
    assert [(row["user_id"], row["display_name"], row["lesson_title"]) for row in data] == [
        ("+danger", "+danger", "@SUM(A1:A9)"), ("mal", "=HYPERLINK(\"http://evil.test\",\"x\")", "@SUM(A1:A9)")]


def test_a_course_without_activity_is_a_header_or_an_empty_list(api: Api) -> None:
    course = api.course()
    assert csv_rows(report(api, course["id"]).text) == [ALL]
    module = api.module(course["id"])
    api.lesson(module["id"])
    assert csv_rows(report(api, course["id"], include="progress").text) == [BASE + PROGRESS]  # nobody enrolled
    body = report(api, course["id"], format="json").json()
    assert body["data"] == [] and body["meta"]["columns"] == ALL
    enroll(api, "solo", course["id"])
    rows = csv_rows(report(api, course["id"]).text)
    assert len(rows) == 2 and rows[1][ALL.index("progress_percent")] == "0"


def test_errors(tenant: Tenant, server: ServerProcess) -> None:
    api = tenant.secret
    course = api.course()
    cases = [
        (report(api, "course-nope"), 404, "course_not_found", None),
        (report(api, course["id"], format="xlsx"), 400, "invalid_parameter", "format"),
        (report(api, course["id"], include="grades"), 400, "invalid_parameter", "include"),
        (report(api, course["id"], include=" , "), 400, "invalid_parameter", "include"),
        (report(tenant.publishable, course["id"]), 403, "forbidden", None),
    ]
    for response, status, code, parameter in cases:
        assert response.status_code == status, response.text
        error = error_of(response)
        assert error["code"] == code
        if parameter:
            assert error["source"] == {"parameter": parameter}
    assert api.delete(f"/courses/{course['id']}").status_code == 204
    gone = report(api, course["id"])
    assert gone.status_code == 404 and error_of(gone)["code"] == "course_not_found"


def test_tenants_see_only_their_own(tenant: Tenant, server: ServerProcess) -> None:
    api = tenant.secret
    api.create("/users", "user", id="ana", display_name="Ana in test")
    course = api.course()
    api.lesson(api.module(course["id"])["id"], title="Only lesson")
    enroll(api, "ana", course["id"])
    # The same app in production, and another app: same user id, their own names and courses.
    live = make_tenant(server, env="live", app_id=tenant.app_id)
    other = make_tenant(server)
    for neighbour in (live, other):
        neighbour.secret.create("/users", "user", id="ana", display_name="Ana elsewhere")
        theirs = neighbour.secret.course()
        neighbour.secret.lesson(neighbour.secret.module(theirs["id"])["id"])
        enroll(neighbour.secret, "ana", theirs["id"])
        assert error_of(report(neighbour.secret, course["id"]))["code"] == "course_not_found"
        assert report(api, theirs["id"]).status_code == 404
    rows = csv_rows(report(api, course["id"]).text)
    assert [row[1:3] for row in rows[1:]] == [["ana", "Ana in test"]]


def _small_class(api: Api) -> str:
    """A course with real progress and a graded attempt, on the real clock."""
    api.create("/users", "user", id="zoe", display_name="Zoë Ångström", email="zoe@school.test")
    course = api.course(title="Reading", status="published")
    module = api.module(course["id"])
    first = api.lesson(module["id"], title="Chapter, \"one\"\nwith a new line")
    api.lesson(module["id"], title="Chapter two")
    quiz = api.create("/quizzes", "quiz", title="Check", lesson_id=first["id"],
                      questions=[{"type": "true_false", "question": "Read it?", "correct_answer": True}])
    for user in ("zoe", "yan"):
        enroll(api, user, course["id"])
    assert api.post(f"/lessons/{first['id']}/complete", {"user_id": "zoe", "time_spent_seconds": 90}).status_code == 200
    submit(api, quiz["id"], "zoe", True)
    return course["id"]


def test_the_cli_writes_the_apis_bytes(tenant: Tenant, server: ServerProcess, tmp_path: Any) -> None:
    api = tenant.secret
    course_id = _small_class(api)
    app = ["--app", tenant.app_id, "--env", "test"]
    from_api = report(api, course_id).content
    assert "Zoë Ångström".encode() in from_api and b'"Chapter, ""one""\nwith a new line"' in from_api
    out = tmp_path / "report.csv"
    run_cli(server.data_dir, "report", "course", course_id, *app, "--output", str(out))
    assert out.read_bytes() == from_api
    assert not (tmp_path / "report.csv.partial").exists()
    # Standard output (run_cli reads it as text, so compare as text with its newlines).
    printed = run_cli(server.data_dir, "report", "course", course_id, *app)
    assert printed.stdout == from_api.decode().replace("\r\n", "\n")

    subset = ["--include", "scores,progress", "--format", "json"]
    run_cli(server.data_dir, "report", "course", course_id, *app, *subset, "--output", str(out))
    from_cli = orjson.loads(out.read_bytes())
    api_json = report(api, course_id, include="scores,progress", format="json").json()
    for body in (from_cli, api_json):
        body["meta"].pop("generated_at")
    assert from_cli == api_json and len(from_cli["data"]) == 5  # 2 learners x 2 lessons + 1 question

    unknown = run_cli(server.data_dir, "report", "course", "course-nope", *app, check=False)
    assert unknown.returncode == 1 and "course-nope" in unknown.stderr and unknown.stdout == ""
    other_env = run_cli(server.data_dir, "report", "course", course_id, "--app", tenant.app_id, "--env", "live",
                        check=False)
    assert other_env.returncode == 1 and "not found" in other_env.stderr
    bad = run_cli(server.data_dir, "report", "course", course_id, *app, "--include", "grades", check=False)
    assert bad.returncode == 1 and "include" in bad.stderr


def test_the_report_is_streamed_in_chunks(tenant: Tenant, server: ServerProcess) -> None:
    api = tenant.secret
    course = api.course()
    module = api.module(course["id"])
    for i in range(5):
        api.lesson(module["id"], title=f"Lesson {i}")
    learners = [f"learner-{i:04d}" for i in range(300)]
    bulk = api.post("/enrollments/bulk", {"course_id": course["id"], "user_ids": learners})
    assert bulk.status_code == 200 and bulk.json()["data"]["enrolled_count"] == 300, bulk.text

    # Over HTTP: no Content-Length, so the server cannot have measured a finished body.
    with api.http.stream("GET", f"/reports/courses/{course['id']}") as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        body = b"".join(response.iter_bytes())
    rows = csv_rows(body.decode())
    assert len(rows) == 1 + 300 * 5 and [row[1] for row in rows[1::5]] == learners

    # The service hands out the report a chunk at a time, each about CHUNK_BYTES, never all at once.
    store = server.store
    try:
        for fmt in ("csv", "json"):
            made = service.course_report(store.scoped(Scope.staff(StoreTenant(tenant.app_id, "test"))), course["id"], fmt=fmt)
            chunks = list(made.chunks)
            assert len(chunks) > 3
            assert all(len(chunk) < service.CHUNK_BYTES + 4096 for chunk in chunks)  # about one row over at most
            whole = report(api, course["id"], format=fmt).content
            if fmt == "csv":
                assert b"".join(chunks) == whole
            else:
                assert orjson.loads(b"".join(chunks))["data"] == orjson.loads(whole)["data"]
        # Abandoning a stream half-way closes it (and its cursor) without error.
        made = service.course_report(store.scoped(Scope.staff(StoreTenant(tenant.app_id, "test"))), course["id"])
        next(made.chunks)
        made.chunks.close()
        assert store.scalar("SELECT COUNT(*) FROM enrollments WHERE course_id = ?", (course["id"],)) == 300
    finally:
        store.close()
