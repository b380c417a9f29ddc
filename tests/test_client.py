"""The typed client (`client/`) against a real server: errors as ApiError, pagination, a learner's
way through a course, file upload and download, and the CSV report."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import socket
import threading
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from client import ApiError, Client, Resource
from tests import scorm_zips
from tests.conftest import ServerProcess, Tenant, free_port, make_tenant, start_server

TEXT = {"html": "<p>Read this.</p>", "estimated_reading_minutes": 5}


@pytest.fixture
def client(tenant: Tenant) -> Iterator[Client]:
    """A plain client (not the tests' `Api`) with the fresh tenant's secret key."""
    with Client(tenant.base, tenant.app_id, tenant.secret.key) as plain:
        yield plain


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    srv = start_server(tmp_path_factory.mktemp("limited"), {"UNIVERSITY_LOCAL_RATE_LIMITS": "catalogue=2"})
    yield srv
    srv.stop()


def raised(call: Callable[[], object]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


def course_with_lessons(client: Client, *titles: str) -> tuple[Resource, Resource, list[Resource]]:
    """A published course with one module of text lessons."""
    created = client.create_course("Welding", status="published")
    module = client.create_module(created["id"], "Basics")
    return created, module, [client.create_lesson(module["id"], t, "text", TEXT) for t in titles]


# -- errors -------------------------------------------------------------------------------------


def test_unknown_id_is_an_api_error_with_the_servers_code(client: Client) -> None:
    error = raised(lambda: client.get_course("course-nope"))
    assert (error.status, error.code, error.unreachable, error.pointer) == (404, "course_not_found", False, None)
    assert error.response is not None and error.errors == error.response.json()["errors"]
    assert "course-nope" in error.detail
    assert str(error).startswith("404 course_not_found: ")
    assert "GET http://127.0.0.1:" in str(error) and "/v1/university/courses/course-nope" in str(error)
    # A checked call raises; the raw verb answers the same 404 as it is.
    assert client.get("/courses/course-nope").status_code == 404


def test_a_bad_field_names_its_pointer(client: Client) -> None:
    course = client.create_course("Welding")
    error = raised(lambda: client.create_module(course["id"], "Basics", unlock_at="next tuesday"))
    assert (error.status, error.code, error.pointer) == (422, "validation_error", "/data/attributes/unlock_at")
    assert " at /data/attributes/unlock_at: " in str(error)
    assert client.list_modules(course["id"]) == []  # nothing half-written


def test_a_wrong_key_is_401(tenant: Tenant) -> None:
    with Client(tenant.base, tenant.app_id, "sk_test_not-a-key") as wrong:
        error = raised(wrong.list_courses)
        assert (error.status, error.code) == (401, "invalid_api_key")
        assert error.retry_after is None
        assert wrong.health()["status"] == "ok"  # health needs no key


def test_a_rate_limit_says_when_to_retry(limited: ServerProcess) -> None:
    tenant = make_tenant(limited)
    with Client(limited.base, tenant.app_id, tenant.secret.key) as client:
        client.list_courses()
        client.list_courses()
        error = raised(client.list_courses)
    assert (error.status, error.code) == (429, "rate_limit_exceeded")
    assert error.retry_after is not None and 1 <= error.retry_after <= 60
    assert error.response is not None and error.retry_after == float(error.response.headers["Retry-After"])


def test_no_server_is_unreachable() -> None:
    with Client(f"http://127.0.0.1:{free_port()}", "app", "sk_test_x", timeout=5) as client:
        error = raised(client.health)
        assert (error.status, error.code, error.unreachable, error.response) == (None, "unreachable", True, None)
        assert str(error).startswith("unreachable: ConnectError")
        assert raised(lambda: client.create_course("Welding")).unreachable
        with pytest.raises(httpx.ConnectError):  # the raw verbs leave transport errors to the caller
            client.get("/courses")


def serve_once(answer: bytes | None) -> str:
    """A server that takes one request and sends `answer` (a truncated one, say) and hangs up, or
    with None says nothing at all and keeps the connection open until the client gives up."""
    listener = socket.create_server(("127.0.0.1", 0))

    def run() -> None:
        connection, _ = listener.accept()
        with listener, connection:
            connection.recv(65536)
            if answer is None:
                connection.recv(1)  # until the client closes
            else:
                connection.sendall(answer)

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_an_answer_cut_off_or_never_sent_is_unreachable() -> None:
    cut = serve_once(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"data\"")
    with Client(cut, "app", "sk_test_x") as client:
        error = raised(lambda: client.fetch("/courses/c"))
    assert (error.status, error.code) == (None, "unreachable") and "RemoteProtocolError" in error.detail
    with Client(serve_once(None), "app", "sk_test_x", timeout=0.5) as client:
        error = raised(lambda: client.fetch("/courses/c"))
    assert (error.status, error.code) == (None, "unreachable") and "ReadTimeout" in error.detail


def test_an_error_that_is_not_json_api() -> None:
    later = datetime.now(UTC) + timedelta(seconds=120)

    def proxy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<h1>Bad Gateway</h1>", headers={"Retry-After": format_datetime(later, True)})

    with Client("http://hub.invalid", "app", "sk_test_x", transport=httpx.MockTransport(proxy)) as client:
        error = raised(client.list_courses)
    assert (error.status, error.code, error.detail, error.errors) == (502, "http_502", "<h1>Bad Gateway</h1>", [])
    assert error.retry_after is not None and 110 < error.retry_after <= 120


# -- calls --------------------------------------------------------------------------------------


def test_pages_follows_every_page(client: Client) -> None:
    made = [client.create_course(f"Course {n}")["id"] for n in range(5)]
    requests: list[str] = []
    client.http.event_hooks["request"].append(lambda request: requests.append(request.url.params["page"]))
    assert sorted(c["id"] for c in client.pages("/courses", per_page=2)) == sorted(made)
    assert requests == ["1", "2", "3"]
    assert sorted(c["id"] for c in client.list_courses(status="draft")) == sorted(made)
    assert client.list_courses(status="published") == []


def test_a_learner_through_a_course(client: Client) -> None:
    course, module, (first, second) = course_with_lessons(client, "Safety", "Arcs")
    in_order = client.reorder_lessons(module["id"], [second["id"], first["id"]])
    assert [lesson["id"] for lesson in in_order] == [second["id"], first["id"]]
    structure = client.get_course(course["id"], include=["modules", "lessons"])
    assert structure["data"]["attributes"]["lesson_count"] == 2
    assert {(r["type"], r["id"]) for r in structure.get("included", [])} == {
        ("module", module["id"]), ("lesson", first["id"]), ("lesson", second["id"])}
    assert client.update_course(course["id"], title="Welding I", description=None)["attributes"]["title"] == "Welding I"

    enrollment = client.enroll("stu-1", course["id"])
    assert (enrollment["attributes"]["user_id"], enrollment["attributes"]["status"]) == ("stu-1", "active")
    done = client.complete_lesson(first["id"], "stu-1", time_spent_seconds=300)
    assert (done["attributes"]["completed"], done["attributes"]["time_spent_seconds"]) == (True, 300)
    client.save_progress(second["id"], "stu-1", position=40, time_spent_seconds=60)
    progress = client.course_progress(course["id"], "stu-1")["attributes"]
    assert progress["overall_progress"] == 50
    assert [c["lesson_id"] for c in progress["lessons_completed"]] == [first["id"]]
    assert progress["total_time_spent_minutes"] == 6

    client.complete_lesson(second["id"], "stu-1")
    assert client.get_enrollment(enrollment["id"])["attributes"]["status"] == "completed"
    assert [e["id"] for e in client.list_enrollments(course_id=course["id"], status="completed")] == [enrollment["id"]]
    certificates = client.list_certificates(user_id="stu-1")
    assert [c["attributes"]["course_id"] for c in certificates] == [course["id"]]
    assert client.certificate_pdf(certificates[0]["id"]).startswith(b"%PDF-")

    reset = client.reset_progress(course["id"], "stu-1")["attributes"]
    assert (reset["overall_progress"], reset["lessons_completed"]) == (0, [])
    client.delete_lesson(first["id"])
    assert [lesson["id"] for lesson in client.list_lessons(module["id"])] == [second["id"]]


def test_roster_and_bulk_enrollment(client: Client) -> None:
    course = client.create_course("First Aid", status="published")
    imported = client.import_roster("id,display_name,email\nstu-7,Ana Lima,ana@example.org\nstu-8,Ben Ito,\n")
    assert (imported["created"], imported["errors"]) == (2, [])
    assert client.get_user("stu-7")["attributes"]["email"] == "ana@example.org"
    bulk = client.bulk_enroll(course["id"], ["stu-7", "stu-8", "stu-7"])
    assert [r["outcome"] for r in bulk["results"]] == ["enrolled", "enrolled", "already_enrolled"]
    client.deactivate_user("stu-8")
    assert [u["id"] for u in client.list_users(active=False)] == ["stu-8"]


def zip_of(name: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


def test_submit_a_file_and_download_it(client: Client, tenant: Tenant, tmp_path: Path) -> None:
    course, _, (lesson,) = course_with_lessons(client, "Build it")
    assignment = client.create_assignment("Todo app", lesson["id"], allowed_file_types=[".zip", ".txt"],
                                          rubric=[{"criteria": "Works", "max_points": 10}])
    client.enroll("ana", course["id"])
    work = zip_of("app.py", "print('todo')\n")
    with Client(tenant.base, tenant.app_id, tenant.publishable.key) as learner:
        first = learner.submit_assignment(assignment["id"], "ana", work, filename="todo.zip", notes="Dark mode")
        assert first["attributes"]["file"]["sha256"] == hashlib.sha256(work).hexdigest()
        assert (first["attributes"]["attempt"], first["attributes"]["notes"]) == (1, "Dark mode")
        again = tmp_path / "notes.txt"
        again.write_text("Second try\n")
        second = learner.submit_assignment(assignment["id"], "ana", again)
        assert (second["attributes"]["attempt"], second["attributes"]["file"]["filename"]) == (2, "notes.txt")
        assert learner.download_submission_file(second["id"], user_id="ana") == b"Second try\n"
    assert client.download_submission_file(first["id"]) == work
    assert [s["id"] for s in client.list_submissions(assignment["id"], current=True)] == [second["id"]]
    graded = client.grade_submission(second["id"], scores=[{"criteria": "Works", "points": 8}], feedback="Good")
    assert (graded["attributes"]["status"], graded["attributes"]["final_score"]) == ("graded", 8)
    with pytest.raises(ValueError):
        client.submit_assignment(assignment["id"], "ana", work)  # bytes need a filename
    error = raised(lambda: client.download_submission_file("submission-nope"))
    assert (error.status, error.code) == (404, "submission_not_found")


def test_the_course_report_as_csv_and_json(client: Client) -> None:
    course, _, (first, second) = course_with_lessons(client, "One", "Two")
    for user in ("stu-2", "stu-1"):
        client.enroll(user, course["id"])
    client.complete_lesson(first["id"], "stu-1")
    text = client.course_report(course["id"], include=["progress"]).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = [(r["user_id"], r["lesson_id"], r["completed"], r["progress_percent"]) for r in reader]
    assert reader.fieldnames is not None and reader.fieldnames[:2] == ["record_type", "user_id"]
    assert reader.fieldnames[-1] == "completed_at" and "time_spent_seconds" not in reader.fieldnames
    assert rows == [("stu-1", first["id"], "true", "50"), ("stu-1", second["id"], "false", "50"),
                    ("stu-2", first["id"], "false", "0"), ("stu-2", second["id"], "false", "0")]
    document = json.loads(client.course_report(course["id"], format="json", include=["progress"]))
    assert document["meta"]["columns"] == reader.fieldnames
    assert [(r["user_id"], r["completed"]) for r in document["data"]] == [
        ("stu-1", True), ("stu-1", False), ("stu-2", False), ("stu-2", False)]


def test_a_report_saved_to_a_file_is_the_same_bytes(client: Client, tmp_path: Path) -> None:
    course, _, (lesson,) = course_with_lessons(client, "One")
    for user in ("stu-1", "stu-2"):
        client.enroll(user, course["id"])
    client.complete_lesson(lesson["id"], "stu-1")
    seen: list[int] = []
    size = client.save_course_report(course["id"], tmp_path / "report.csv", progress=seen.append)
    expected = client.course_report(course["id"])
    assert (tmp_path / "report.csv").read_bytes() == expected and size == len(expected)
    assert seen and seen[-1] == size and seen == sorted(seen)
    error = raised(lambda: client.save_course_report("course-nope", tmp_path / "gone.csv"))
    assert (error.status, error.code) == (404, "course_not_found")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]  # nothing half-written left


def test_verify_a_certificate_number(client: Client) -> None:
    course, _, (lesson,) = course_with_lessons(client, "One")
    client.enroll("stu-1", course["id"])
    client.complete_lesson(lesson["id"], "stu-1")
    [certificate] = client.list_certificates(user_id="stu-1")
    number = certificate["attributes"]["certificate_number"]
    answer = client.verify_certificate(f" {number.lower()} ")
    assert answer is not None and answer["valid"] and answer["certificate"] is not None
    assert (answer["certificate"]["certificate_number"], answer["certificate"]["status"]) == (number, "valid")
    client.revoke_certificate(certificate["id"], "Issued by mistake")
    answer = client.verify_certificate(number)
    assert answer is not None and not answer["valid"] and answer["certificate"] is not None
    assert answer["certificate"].get("revocation_reason") == "Issued by mistake"
    assert client.verify_certificate("CERT-2020-AAAAAA-0000001") is None
    assert client.verify_certificate("no/such?number") is None


def test_quizzes_discussions_scorm_and_analytics(client: Client) -> None:
    course, module, (lesson,) = course_with_lessons(client, "Arcs")
    client.enroll("stu-1", course["id"])
    quiz = client.create_quiz("Check", [
        {"type": "true_false", "question": "Arcs are hot.", "points": 10, "correct_answer": True},
        {"type": "essay", "question": "Why gloves?", "points": 10}], course_id=course["id"], passing_score=70)
    assert [q["id"] for q in client.list_quizzes(course_id=course["id"])] == [quiz["id"]]
    assert client.get_quiz(quiz["id"])["attributes"]["total_points"] == 20
    submitted = client.request("POST", f"/quizzes/{quiz['id']}/attempts", json={"user_id": "stu-1", "answers": [
        {"question_index": 0, "answer": True}, {"question_index": 1, "answer": "Sparks burn skin."}]})
    attempt_id = submitted["data"]["id"] if submitted else ""
    assert client.get_attempt(attempt_id)["attributes"]["status"] == "pending_review"
    graded = client.grade_essay(attempt_id, 1, 6, feedback="Say more")
    assert (graded["attributes"]["score"], graded["attributes"]["passed"]) == (80, True)
    assert [a["id"] for a in client.list_attempts(quiz["id"], user_id="stu-1")] == [attempt_id]

    post = client.create_discussion(course["id"], "Gloves?", "<p>Which ones?</p>", "stu-1", lesson_id=lesson["id"])
    answer = client.reply(post["id"], "<p>Leather.</p>", "stu-2")
    nested = client.reply(post["id"], "<p>Thanks</p>", "stu-1", parent_reply_id=answer["id"])
    thread = client.get_discussion(post["id"], replies=True)
    assert [r["id"] for r in thread.get("included", [])] == [answer["id"], nested["id"]]
    assert "included" not in client.get_discussion(post["id"])
    assert [d["id"] for d in client.list_discussions(course["id"], author_id="stu-1")] == [post["id"]]

    package = client.upload_scorm(scorm_zips.package(), course_id=course["id"], module_id=module["id"],
                                  filename="tiny.zip", title="Tiny")
    scorm_lesson = package["attributes"]["lesson_id"]
    assert [p["id"] for p in client.list_scorm_packages(lesson_id=scorm_lesson)] == [package["id"]]
    launch = client.launch_scorm(scorm_lesson, "stu-1", expires_in_seconds=600)
    assert launch["attributes"]["path"].startswith("/scorm/play/")
    assert client.scorm_results(scorm_lesson, "stu-1")["attributes"]["completed"] is False

    client.complete_lesson(lesson["id"], "stu-1", time_spent_seconds=120)
    figures = client.course_analytics(course["id"], period="7d", metrics=["enrollments"])
    assert (figures["period"], figures["metrics"]["enrollments"]["total"]) == ("7d", 1)
    assert figures["metrics"].get("completions") is None
    assert client.user_analytics("stu-1")["summary"]["courses_enrolled"] == 1
    board = client.leaderboard(scope="course", course_id=course["id"], metric="time")
    assert [(e["user_id"], e["value"]) for e in board["entries"]] == [("stu-1", 2)]
