"""Tenancy on every operation that takes an id: another organisation, or another environment of
the same organisation, never reaches organisation A's records. Each of A's ids answers them 404,
exactly as an id that never existed, also where B names its own records beside one of A's.

The operations are read from the served OpenAPI document, so an endpoint added tomorrow is
probed too, or the coverage test fails until it is listed as public or given a request body.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.conftest import API, Api, ServerProcess, Tenant, eventually, make_tenant
from tests.receiver import Receiver
from tests.scorm_zips import package

# -- what is not probed, and what the probe sends -------------------------------------------------

# Operations that take no key by design, so no other organisation's key can be refused on them.
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/certificates/{certificate_id}/pdf/{token}"):
        "the link printed on the certificate; the unguessable token in the path is the credential",
    ("GET", "/verify/{certificate_number}"):
        "the human verification page: anyone holding a certificate may check its number",
    ("GET", f"{API}/certificates/verify/{{certificate_number}}"):
        "the verification API: anyone holding a certificate may check its number",
    ("GET", "/scorm/content/{package_id}/{path}"):
        "package files framed by the player, which cannot send a key; the package id's 80 random bits guard them",
    ("GET", "/media/{media_id}/{filename}"):
        "media files played by a <video> or shown in a lesson, which cannot send a key; the media id guards them",
    ("GET", "/scorm/player/{name}"): "the player's static scripts and styles; no record behind the name",
    ("GET", "/scorm/play/{token}"): "the player page of a launch; the signed launch token is the credential",
    ("POST", "/scorm/play/{token}/sessions"): "the player opening a SCO session; authenticated by its token",
    ("POST", "/scorm/play/{token}/sessions/{session_id}/commits"):
        "the player committing CMI data; authenticated by its token",
}


@dataclass(frozen=True)
class Body:
    """A request body that passes validation. Strings may name ids as `{user_id}` and so on; they are
    filled with the ids being probed (A's, or ids that never existed)."""

    media_type: str
    content: Any  # JSON for application/json; (fields, files) for multipart/form-data


def json_body(content: Any) -> Body:
    return Body("application/json", content)


def resource(type_: str, **attributes: Any) -> Body:
    """A JSON:API create or update document."""
    return json_body({"data": {"type": type_, "attributes": attributes}})


RUBRIC = [{"criteria": "Correctness", "max_points": 10}]


def work_zip() -> bytes:
    """The file a learner submits (the same bytes every call)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("work.txt", date_time=(2030, 1, 1, 0, 0, 0)), "done")
    return buffer.getvalue()


SUBMISSION = Body("multipart/form-data", ({"user_id": "{user_id}"}, {"file": ("work.zip", work_zip(), "application/zip")}))

# Per (method, path below the API prefix): the body of every operation with an id that takes one.
BODIES: dict[tuple[str, str], Body] = {
    ("PATCH", "/courses/{course_id}"): resource("course", title="Probe"),
    ("POST", "/courses/{course_id}/modules"): resource("module", title="Probe"),
    ("POST", "/courses/{course_id}/modules/reorder"): json_body({"module_ids": ["{module_id}"]}),
    ("PATCH", "/modules/{module_id}"): resource("module", title="Probe"),
    ("POST", "/modules/{module_id}/lessons"): resource("lesson", title="Probe", content_type="text",
                                                       content={"html": "<p>Probe</p>"}),
    ("POST", "/modules/{module_id}/lessons/reorder"): json_body({"lesson_ids": ["{lesson_id}"]}),
    ("PATCH", "/lessons/{lesson_id}"): resource("lesson", title="Probe"),
    ("PATCH", "/users/{user_id}"): resource("user", display_name="Probe"),
    ("POST", "/lessons/{lesson_id}/complete"): json_body({"user_id": "{user_id}"}),
    ("PATCH", "/lessons/{lesson_id}/progress"): json_body({"user_id": "{user_id}", "position": 1}),
    ("PATCH", "/quizzes/{quiz_id}"): resource("quiz", title="Probe"),
    ("POST", "/quizzes/{quiz_id}/attempts/start"): json_body({"user_id": "{user_id}"}),
    ("PATCH", "/attempts/{attempt_id}/answers"): json_body({"user_id": "{user_id}", "answers": []}),
    ("POST", "/quizzes/{quiz_id}/attempts"): json_body({"user_id": "{user_id}", "answers": []}),
    ("PATCH", "/attempts/{attempt_id}/grade"): json_body({"question_index": 1, "points_earned": 5}),
    ("PATCH", "/assignments/{assignment_id}"): resource("assignment", title="Probe"),
    ("POST", "/assignments/{assignment_id}/submissions"): SUBMISSION,
    ("PATCH", "/submissions/{submission_id}/grade"): json_body({"scores": [{"criteria": "Correctness", "points": 5}]}),
    ("POST", "/courses/{course_id}/discussions"): resource("discussion", title="Probe", content="<p>Probe</p>",
                                                           author_id="{user_id}"),
    ("PATCH", "/discussions/{discussion_id}"): resource("discussion", title="Probe"),
    ("PATCH", "/discussions/{discussion_id}/pin"): json_body({"pinned": True}),
    ("PATCH", "/discussions/{discussion_id}/resolve"): json_body({"resolved": True, "answer_reply_id": "{reply_id}",
                                                                  "user_id": "{user_id}"}),
    ("POST", "/discussions/{discussion_id}/replies"): resource("reply", content="<p>Probe</p>", author_id="{user_id}",
                                                               parent_reply_id="{reply_id}"),
    ("POST", "/discussions/{discussion_id}/upvotes"): json_body({"user_id": "{user_id}"}),
    ("POST", "/discussions/{discussion_id}/replies/{reply_id}/upvotes"): json_body({"user_id": "{user_id}"}),
    ("PATCH", "/learning-paths/{path_id}"): resource("learning_path", courses=[{"course_id": "{course_id}"}]),
    ("PATCH", "/certificate-templates/{template_id}"): resource("certificate_template", name="Probe"),
    ("POST", "/certificates/{certificate_id}/revoke"): json_body({"reason": "Probe"}),
    ("PATCH", "/webhooks/{webhook_id}"): json_body({"status": "disabled"}),
    ("POST", "/courses/{course_id}/ratings"): resource("course_rating", user_id="{user_id}", rating=1),
}

# Query parameters sent besides `user_id` (sent wherever an operation takes it: a publishable
# key must name its learner), so that the probe reaches the related records too.
QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/courses/{course_id}"): {"include": "modules,lessons,instructor"},
    ("GET", "/discussions/{discussion_id}"): {"include": "replies"},
}

# Path parameters whose name alone does not say which of A's records they take.
SCOPED_IDS: dict[tuple[str, str], str] = {("/scorm/attempts/{attempt_id}", "attempt_id"): "scorm_attempt_id"}


# -- the operations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One method of one path of the OpenAPI document."""

    method: str
    path: str  # as the document names it
    spec: Mapping[str, Any] = field(hash=False, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def local(self) -> tuple[str, str]:
        """(method, path below the API prefix): the key of BODIES and QUERIES."""
        return self.method, self.path.removeprefix(API)

    @property
    def public(self) -> bool:
        return not self.spec.get("security")

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def query_names(self) -> set[str]:
        return {p["name"] for p in self.spec.get("parameters", []) if p["in"] == "query"}

    @property
    def body_types(self) -> set[str]:
        return set(self.spec.get("requestBody", {}).get("content", {}))

    @property
    def secret_only(self) -> bool:
        """The document lists 403 where an operation needs a secret key; a publishable key is refused
        there before anything is looked up."""
        return "403" in self.spec["responses"]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def id_taking_operations(document: Mapping[str, Any]) -> list[Operation]:
    return [Operation(method.upper(), path, spec) for path, methods in document["paths"].items()
            for method, spec in methods.items() if "{" in path]


def id_key(op: Operation, param: str) -> str:
    return SCOPED_IDS.get((op.local[1], param), param)


# -- organisation A, and the keys that must not reach it ------------------------------------------


@dataclass
class World:
    """A's records (`ids`: the name an operation's path or body uses, to A's id), the clients, and
    what A's own secret key read before any probe ran."""

    a: Tenant
    others: dict[str, Api]  # label -> a client of another tenant
    ids: dict[str, str]
    b_ids: dict[str, str]  # B's own records, of the same kinds
    operations: list[Operation]
    baseline: dict[Operation, httpx.Response] = field(default_factory=dict)


def ghost(value: str) -> str:
    """An id of the same shape that names nothing."""
    return value[:-4] + ("yyyy" if value.endswith("zzzz") else "zzzz")


def fill(template: Any, ids: Mapping[str, str]) -> Any:
    """`template` with `{name}` placeholders in its strings replaced by ids."""
    if isinstance(template, str):
        return template.format_map(ids) if "{" in template else template
    if isinstance(template, dict):
        return {k: fill(v, ids) for k, v in template.items()}
    if isinstance(template, (list, tuple)):
        return type(template)(fill(v, ids) for v in template)
    return template


def send(client: Api, op: Operation, ids: Mapping[str, str]) -> httpx.Response:
    """The operation with `ids` in its path, query and body."""
    path = op.path.removeprefix(API).format_map({p: ids[id_key(op, p)] for p in op.params})
    query = dict(QUERIES.get(op.local, {}))
    if "user_id" in op.query_names:
        query["user_id"] = ids["user_id"]
    kwargs: dict[str, Any] = {"params": query}
    if (body := BODIES.get(op.local)) is not None:
        content = fill(body.content, ids)
        if body.media_type == "multipart/form-data":
            kwargs["data"], kwargs["files"] = content
        else:
            kwargs["json"] = content
    return client.http.request(op.method, path, **kwargs)


def organisation(api: Api, base: str, receiver: Receiver, learner: str) -> dict[str, str]:
    """One of every record the API has, all tied to one published course and one learner: the ids
    by the names that paths and bodies give them."""
    ids: dict[str, str] = {}
    ids["webhook_id"] = api.post("/webhooks", {"url": receiver.url, "events": ["enrollment.created"],
                                               "secret": "a-secret-of-this-organisation"}).json()["data"]["id"]
    ids["user_id"] = api.create("/users", "user", id=learner, display_name=learner.title())["id"]
    user = ids["user_id"]
    ids["course_id"] = course = api.course(title=f"The course of {learner}", status="published")["id"]
    ids["module_id"] = module = api.module(course)["id"]
    text_lesson = api.lesson(module)["id"]
    quiz_lesson = api.lesson(module, content_type="quiz", content={"estimated_minutes": 5})["id"]
    ids["enrollment_id"] = api.create("/enrollments", "enrollment", user_id=user, course_id=course)["id"]
    assert api.patch(f"/lessons/{text_lesson}/progress", {"user_id": user, "position": 3,
                                                          "time_spent_seconds": 60}).status_code == 200

    ids["quiz_id"] = quiz = api.create("/quizzes", "quiz", title="Check", lesson_id=quiz_lesson, questions=[
        {"type": "true_false", "question": "Is this the right organisation?", "correct_answer": True, "points": 5},
        {"type": "essay", "question": "Say why.", "min_words": 1, "max_words": 100, "points": 10},
    ])["id"]
    attempt = api.post(f"/quizzes/{quiz}/attempts", {"user_id": user, "answers": [
        {"question_index": 0, "answer": True}, {"question_index": 1, "answer": "Because it is."}]})
    assert attempt.status_code == 201, attempt.text
    ids["attempt_id"] = attempt.json()["data"]["id"]

    ids["assignment_id"] = api.create("/assignments", "assignment", title="Write", lesson_id=text_lesson,
                                      rubric=RUBRIC, max_score=10, allowed_file_types=[".zip"])["id"]
    fields, files = fill(SUBMISSION.content, ids)  # the probe's own body, proven valid here
    submitted = api.http.post(f"/assignments/{ids['assignment_id']}/submissions", data=fields, files=files)
    assert submitted.status_code == 201, submitted.text
    ids["submission_id"] = submitted.json()["data"]["id"]

    ids["discussion_id"] = discussion = api.create(f"/courses/{course}/discussions", "discussion", title="Hello",
                                                   content="<p>Hi</p>", author_id=user)["id"]
    ids["reply_id"] = reply = api.create(f"/discussions/{discussion}/replies", "reply", content="<p>Yes</p>",
                                         author_id=user)["id"]
    for path in (f"/discussions/{discussion}/upvotes", f"/discussions/{discussion}/replies/{reply}/upvotes"):
        assert api.post(path, {"user_id": user}).status_code == 200, path
    assert api.post(f"/courses/{course}/ratings", {"data": {"type": "course_rating", "attributes": {
        "user_id": user, "rating": 5}}}).status_code == 201

    ids["template_id"] = template = api.create("/certificate-templates", "certificate_template", name="A",
                                               html_template="<h1>{{student_name}}</h1>")["id"]
    ids["certificate_id"] = api.create("/certificates", "certificate", user_id=user, course_id=course,
                                       template_id=template, force_reason="Completed on paper")["id"]
    ids["path_id"] = api.create("/learning-paths", "learning_path", title="Path", status="published",
                                courses=[{"course_id": course}], certificate_id=template)["id"]

    uploaded = api.http.post("/scorm/upload", files={"file": ("package.zip", package(), "application/zip")},
                             data={"course_id": course, "module_id": module})
    assert uploaded.status_code == 201, uploaded.text
    ids["package_id"] = uploaded.json()["data"]["id"]
    ids["lesson_id"] = scorm_lesson = uploaded.json()["data"]["attributes"]["lesson_id"]  # every lesson path takes it
    ids["scorm_attempt_id"] = scorm_attempt(api, base, scorm_lesson, user)
    added = api.http.post("/media", files={"file": ("notes.pdf", b"%PDF-1.4 probe", "application/pdf")})
    assert added.status_code == 201, added.text
    ids["media_id"] = added.json()["data"]["id"]
    return ids


def scorm_attempt(api: Api, base: str, lesson_id: str, user_id: str) -> str:
    """Launch the lesson, open the player page, open a session and commit to it, as the player does."""
    launch = api.create("/scorm/launch", "scorm_launch", lesson_id=lesson_id, user_id=user_id)["attributes"]
    with httpx.Client(base_url=base, timeout=30) as browser:
        page = browser.get(launch["path"])
        assert page.status_code == 200, page.text
        config = json.loads(re.search(r'id="scorm-config">(.*?)</script>', page.text, re.DOTALL).group(1))  # type: ignore[union-attr]
        session = browser.post(config["sessions_url"], json={"item_id": config["start"]})
        assert session.status_code == 201, session.text
        data = session.json()["data"]
        commit = browser.post(data["commit_url"], json={"commits": [{"seq": 1, "terminate": True, "ops": [
            ["cmi.core.lesson_location", "page-2"], ["cmi.core.session_time", "0000:01:00"]]}]})
        assert commit.status_code == 200, commit.text
    return data["attempt_id"]


def delivered(api: Api, webhook_id: str) -> bool:
    rows = api.get(f"/webhooks/{webhook_id}/deliveries").json()["data"]
    return bool(rows) and all(row["attributes"]["status"] == "delivered" for row in rows)


@pytest.fixture(scope="module")
def world(server: ServerProcess) -> Iterator[World]:
    receiver = Receiver()
    a = make_tenant(server)
    ids = organisation(a.secret, server.base, receiver, "learner-ada")
    b = make_tenant(server)
    b_ids = organisation(b.secret, server.base, receiver, "learner-bob")  # another name: ids are B's own
    a_live = make_tenant(server, env="live", app_id=a.app_id)
    others = {"B secret": b.secret, "B publishable": b.publishable, "A live secret": a_live.secret}
    assert eventually(lambda: delivered(a.secret, ids["webhook_id"])), "the webhook was never delivered"
    document = httpx.get(server.base + API + "/openapi.json").json()
    world = World(a, others, ids, b_ids, id_taking_operations(document))
    world.baseline = {op: send(a.secret, op, ids) for op in probed(world)
                      if op.method == "GET" and all(id_key(op, p) in ids for p in op.params)}
    yield world
    receiver.stop()


def probed(world: World) -> list[Operation]:
    return [op for op in world.operations if not op.public]


def answer(response: httpx.Response, ids: Mapping[str, str]) -> tuple[int, Any]:
    """Status and body with the ids replaced by their names, to compare answers for different ids."""
    text = response.text
    for name, value in sorted(ids.items(), key=lambda item: -len(item[1])):
        text = text.replace(value, "{" + name + "}")
    try:
        return response.status_code, json.loads(text)
    except ValueError:
        return response.status_code, text


def is_error_document(response: httpx.Response) -> bool:
    """A JSON:API error document whose first error carries the response's status."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return False
    body = response.json()
    errors = body.get("errors") if isinstance(body, dict) else None
    return (set(body) == {"errors"} and isinstance(errors, list) and len(errors) >= 1
            and errors[0].get("status") == str(response.status_code) and {"code", "title", "detail"} <= set(errors[0]))


def reaches(client: Api, op: Operation, theirs: Mapping[str, str], never: Mapping[str, str],
            status: int | None) -> str | None:
    """What `client` learns by sending `theirs` (ids naming A's records) rather than `never` (the
    same ids but naming nothing): None when the answers are one and the same JSON:API error, of
    `status` (or of any error status, when None); else both answers, to report."""
    got, expected = send(client, op, theirs), send(client, op, never)
    refused = not got.is_success and (status is None or got.status_code == status) and is_error_document(got)
    if refused and answer(got, theirs) == answer(expected, never):
        return None
    return (f"{op}: {got.status_code} {got.text[:300]} "
            f"(with ids that never existed: {expected.status_code} {expected.text[:200]})")


def id_slots(op: Operation) -> set[str]:
    """The names of the ids an operation takes, in its path and in its body."""
    names = {id_key(op, p) for p in op.params}
    if (body := BODIES.get(op.local)) is not None:
        names |= set(re.findall(r"{(\w+)}", json.dumps(body.content, default=str)))
    return names


# -- the tests -----------------------------------------------------------------------------------


def test_every_id_taking_operation_is_probed_or_public(world: World) -> None:
    """A new endpoint cannot slip past the probe: public ones must be listed with a reason, the
    others need A's id for each parameter and, if they take a body, one that passes validation."""
    public = {op.key for op in world.operations if op.public}
    assert public - PUBLIC.keys() == set(), "public operations with an id, not listed in PUBLIC with a reason"
    assert PUBLIC.keys() - public == set(), "listed in PUBLIC, but not a public operation of the document"
    problems = []
    for op in probed(world):
        assert op.path.startswith(API + "/"), op
        problems += [f"{op}: no id of A for {{{p}}}" for p in op.params if id_key(op, p) not in world.ids]
        body = BODIES.get(op.local)
        if op.body_types and (body is None or body.media_type not in op.body_types):
            problems.append(f"{op}: needs a body of {sorted(op.body_types)} in BODIES")
        if body is not None and not op.body_types:
            problems.append(f"{op}: takes no body, but BODIES has one")
    known = {op.local for op in probed(world)}
    problems += [f"{m} {p}: in BODIES or QUERIES, but no such operation" for m, p in BODIES.keys() | QUERIES.keys()
                 if (m, p) not in known]
    assert problems == []


def test_own_secret_key_reads_every_record(world: World) -> None:
    """The ids are real: with them, A's own secret key reads every GET operation of the probe."""
    assert world.baseline, "no GET operation to prove the ids with"
    refused = {str(op): (r.status_code, r.text[:300]) for op, r in world.baseline.items() if not r.is_success}
    assert refused == {}


def test_other_tenants_find_nothing_of_a(world: World) -> None:
    """Every id-taking operation with A's ids, for B's secret and publishable keys and for A's own
    live secret key: 404, the same answer as for ids that never existed. A publishable key on a
    secret-only operation is refused (403) before any lookup, alike for every id. Afterwards A
    still reads exactly what it read before: no write went through."""
    ghosts = {name: ghost(value) for name, value in world.ids.items()}
    leaks = []
    for label, client in world.others.items():
        for op in probed(world):
            status = 403 if label.endswith("publishable") and op.secret_only else 404
            if (leak := reaches(client, op, world.ids, ghosts, status)) is not None:
                leaks.append(f"{label} {leak}")
    assert leaks == []
    changed = [str(op) for op, before in world.baseline.items()
               if answer(send(world.a.secret, op, world.ids), world.ids) != answer(before, world.ids)]
    assert changed == []


def test_own_records_never_lead_to_a(world: World) -> None:
    """B names its own records and one of A's (B's discussion and A's reply, B's course and A's
    module to reorder): the answer is B's error for an id that never existed, never a success.
    User ids are names each organisation gives its people, so they are not mixed."""
    leaks, mixed = [], 0
    for op in probed(world):
        slots = id_slots(op) - {"user_id"}
        for slot in sorted(slots) if len(slots) > 1 else ():
            mixed += 1
            theirs, never = {**world.b_ids, slot: world.ids[slot]}, {**world.b_ids, slot: ghost(world.ids[slot])}
            if (leak := reaches(world.others["B secret"], op, theirs, never, None)) is not None:
                leaks.append(f"A's {slot} in {leak}")
    assert mixed and leaks == []
