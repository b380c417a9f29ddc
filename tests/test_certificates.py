"""Certificates: templates, eligibility, issuing, numbers, the PDF and its QR code, offline checks."""

from __future__ import annotations

import io
import json
import re
import threading
from typing import Any

import httpx
import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from tests.conftest import Api, Tenant, error_of, eventually, make_tenant, run_cli, start_server
from tests.receiver import Receiver
from university_local.certificates import signing

NUMBER = re.compile(r"^CERT-\d{4}-[0-9A-HJKMNP-TV-Z]{6}-\d{7}$")


def completed_course(api: Api, user: str = "ada", **course: Any) -> dict:
    """A published course with one lesson, which `user` has completed."""
    created = api.course(status="published", **course)
    lesson = api.lesson(api.module(created["id"])["id"])
    api.create("/users", "user", id=user, display_name=f"{user.title()} Lovelace")
    enroll(api, user, created["id"])
    assert api.post(f"/lessons/{lesson['id']}/complete", {"user_id": user}).status_code == 200
    return created


def enroll(api: Api, user: str, course_id: str) -> None:
    response = api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {
        "user_id": user, "course_id": course_id}}})
    assert response.status_code == 201, response.text


def issue(api: Api, **attributes: Any) -> httpx.Response:
    return api.post("/certificates", {"data": {"type": "certificate", "attributes": attributes}})


def template(api: Api, **attributes: Any) -> httpx.Response:
    body = {"name": "Completion", "html_template": "<h1>{{student_name}}</h1><p>{{course_name}}</p>", **attributes}
    return api.post("/certificate-templates", {"data": {"type": "certificate_template", "attributes": body}})


def qr_codes(pdf: bytes) -> list[str]:
    """Decode the QR codes of a PDF's first page, rendered as an image (a real decoder, zxing)."""
    page = pypdfium2.PdfDocument(pdf)[0]
    return [code.text for code in zxingcpp.read_barcodes(page.render(scale=3).to_pil())]


def site_key(srv_base: str) -> str:
    return httpx.get(f"{srv_base}/.well-known/university-local/keys").json()["keys"][0]["public_key"]


def test_templates_are_checked_when_saved(api: Api) -> None:
    created = template(api, html_template="<h1 onclick='x()'>{{ student_name }}</h1><script>alert(1)</script>"
                                          "<p>Grade: {{grade}}</p><img src='http://x/y.png'>",
                       variables=["grade"], css_styles=".cert { color: navy }", paper_size="Letter",
                       orientation="portrait")
    assert created.status_code == 201, created.text
    attrs = created.json()["data"]["attributes"]
    assert "<script" not in attrs["html_template"] and "onclick" not in attrs["html_template"]
    assert "<img" not in attrs["html_template"] and "{{ student_name }}" in attrs["html_template"]
    assert (attrs["variables"], attrs["paper_size"], attrs["orientation"]) == (["grade"], "Letter", "portrait")
    for markup, code in (("<p>{{unknown_thing}}</p>", "unknown_variable"), ("<p>{{ not valid }}</p>", "invalid_placeholder"),
                         ('<font color="{{student_name}}">x</font>', "invalid_placeholder")):
        refused = template(api, html_template=markup)
        assert refused.status_code == 422 and error_of(refused)["code"] == code, markup
        assert error_of(refused)["source"]["pointer"] == "/data/attributes/html_template"
    assert error_of(template(api, variables=["bad name"]))["source"]["pointer"] == "/data/attributes/variables"
    template_id = created.json()["data"]["id"]
    assert api.get(f"/certificate-templates/{template_id}").json()["data"]["attributes"] == attrs
    assert api.get("/certificate-templates").json()["meta"]["total"] == 1
    renamed = api.patch_resource(f"/certificate-templates/{template_id}", "certificate_template", name="Honours")
    assert renamed.json()["data"]["attributes"]["name"] == "Honours"
    dropped = api.patch_resource(f"/certificate-templates/{template_id}", "certificate_template", variables=[])
    assert error_of(dropped)["code"] == "unknown_variable"  # the template still prints {{grade}}
    assert api.delete(f"/certificate-templates/{template_id}").status_code == 204
    assert error_of(api.get(f"/certificate-templates/{template_id}"))["code"] == "certificate_template_not_found"


def test_eligibility_forcing_and_reissue(server, tenant: Tenant) -> None:
    api = tenant.secret
    course = api.course(status="published")
    lesson = api.lesson(api.module(course["id"])["id"])
    refused = issue(api, user_id="bea", course_id=course["id"])
    assert refused.status_code == 422 and error_of(refused)["code"] == "not_eligible"
    assert "not enrolled" in error_of(refused)["detail"]
    enroll(api, "bea", course["id"])
    assert "not completed" in error_of(issue(api, user_id="bea", course_id=course["id"]))["detail"]
    assert error_of(issue(api, user_id="bea", course_id="course-nope"))["code"] == "course_not_found"
    forced = issue(api, user_id="bea", course_id=course["id"], force_reason="Completed on paper during the outage")
    assert forced.status_code == 201, forced.text
    first = forced.json()["data"]["attributes"]
    assert NUMBER.match(first["certificate_number"]) and first["forced_reason"].startswith("Completed on paper")
    assert first["valid"] and first["recipient_name"] == "bea" and first["course_name"] == "A course"
    again = issue(api, user_id="bea", course_id=course["id"])
    assert again.status_code == 200 and again.json()["data"]["id"] == forced.json()["data"]["id"]
    api.post(f"/lessons/{lesson['id']}/complete", {"user_id": "bea"})
    reissued = issue(api, user_id="bea", course_id=course["id"], reissue=True, custom_fields={"grade": "A"})
    assert reissued.status_code == 201
    second = reissued.json()["data"]
    assert second["attributes"]["certificate_number"] != first["certificate_number"]
    assert second["attributes"]["forced_reason"] is None and second["attributes"]["custom_fields"] == {"grade": "A"}
    old = api.get(f"/certificates/{forced.json()['data']['id']}").json()["data"]["attributes"]
    assert (old["status"], old["replaced_by"]) == ("revoked", second["id"])
    verdict = httpx.get(f"{tenant.base}/v1/university/certificates/verify/{first['certificate_number']}").json()
    assert verdict["valid"] is False and verdict["certificate"]["status"] == "revoked"
    # Learners cannot issue.
    assert issue(tenant.publishable, user_id="bea", course_id=course["id"]).status_code == 403


def test_a_quiz_must_be_passed(api: Api) -> None:
    course = api.course(status="published")
    lesson = api.lesson(api.module(course["id"])["id"])
    quiz = api.create("/quizzes", "quiz", title="Check", lesson_id=lesson["id"], passing_score=100, questions=[
        {"type": "true_false", "question": "Water is wet.", "correct_answer": True}])
    enroll(api, "cy", course["id"])
    api.post(f"/lessons/{lesson['id']}/complete", {"user_id": "cy"})
    # Completed, but the quiz is not passed: no certificate on completion, and none on request.
    assert api.get("/certificates", params={"user_id": "cy"}).json()["meta"]["total"] == 0
    refused = issue(api, user_id="cy", course_id=course["id"])
    assert "quiz 'Check' is not passed" in error_of(refused)["detail"]
    api.post(f"/quizzes/{quiz['id']}/attempts", {"user_id": "cy", "answers": [{"question_index": 0, "answer": True}]})
    assert issue(api, user_id="cy", course_id=course["id"]).status_code == 201


def test_custom_fields_the_template_needs(api: Api) -> None:
    course = completed_course(api, "dee", settings={"certificate_enabled": False})
    template_id = template(api, html_template="<p>{{student_name}}: {{grade}}</p>", variables=["grade"]).json()["data"]["id"]
    missing = issue(api, user_id="dee", course_id=course["id"], template_id=template_id)
    assert missing.status_code == 422 and error_of(missing)["source"]["pointer"] == "/data/attributes/custom_fields/grade"
    unknown = issue(api, user_id="dee", course_id=course["id"], template_id="template-nope")
    assert unknown.status_code == 404 and error_of(unknown)["source"]["pointer"] == "/data/attributes/template_id"
    made = issue(api, user_id="dee", course_id=course["id"], template_id=template_id,
                 custom_fields={"grade": "<b>A</b> & distinction"})
    assert made.status_code == 201
    fetched = httpx.get(made.json()["data"]["attributes"]["pdf_url"])
    assert fetched.status_code == 200, (made.json(), fetched.text)
    pdf = fetched.content
    assert "Dee Lovelace: <b>A</b> & distinction" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_completion_issues_the_certificate_in_the_same_transaction(server, tenant: Tenant) -> None:
    api = tenant.secret
    receiver = Receiver()
    try:
        api.post("/webhooks", {"url": receiver.url, "events": ["certificate.issued", "enrollment.completed"],
                               "secret": "cert-hook-secret-1"})
        course = completed_course(api, "eve")
        got = receiver.wait_for(2)
    finally:
        receiver.stop()
    events = {r["json"]["event"]: r["json"]["data"] for r in got}
    issued = events["certificate.issued"]
    assert events["enrollment.completed"]["certificate_id"] == issued["certificate_id"]
    assert NUMBER.match(issued["certificate_number"]) and issued["course_id"] == course["id"]
    listed = api.get("/certificates", params={"user_id": "eve"}).json()
    assert [c["id"] for c in listed["data"]] == [issued["certificate_id"]]
    # Courses can opt out.
    quiet = completed_course(api, "fay", settings={"certificate_enabled": False})
    assert api.get("/certificates", params={"course_id": quiet["id"]}).json()["meta"]["total"] == 0


def test_numbers_are_unique_under_concurrent_issuing(api: Api) -> None:
    course = api.course(status="published", settings={"certificate_enabled": False})
    users = [f"many-{n}" for n in range(24)]
    numbers: list[str] = []

    def give(user: str) -> None:
        response = issue(api, user_id=user, course_id=course["id"], force_reason="bulk test")
        assert response.status_code == 201, response.text
        numbers.append(response.json()["data"]["attributes"]["certificate_number"])

    for user in users:
        api.create("/users", "user", id=user, display_name=user)
    threads = [threading.Thread(target=give, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(numbers) == len(set(numbers)) == 24 and all(NUMBER.match(n) for n in numbers)
    sequences = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequences == list(range(sequences[0], sequences[0] + 24))  # no gaps, no repeats


def test_the_pdf_its_qr_code_and_the_public_pages(server, tenant: Tenant) -> None:
    api = tenant.secret
    course = completed_course(api, "gil", title="Intro to <i>Rust</i> & Ferris")
    cert = api.get("/certificates", params={"user_id": "gil"}).json()["data"][0]
    attrs = cert["attributes"]
    pdf_response = httpx.get(attrs["pdf_url"])  # no key: the link printed and shared is enough
    assert pdf_response.status_code == 200 and pdf_response.headers["content-type"] == "application/pdf"
    pdf = pdf_response.content
    assert httpx.get(attrs["pdf_url"]).content == pdf  # made once, the same bytes every time
    assert api.get(f"/certificates/{cert['id']}/pdf").content == pdf
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Gil Lovelace" in text and "Intro to <i>Rust</i> & Ferris" in text and attrs["certificate_number"] in text
    codes = qr_codes(pdf)
    assert len(codes) == 1 and codes[0].startswith(attrs["verification_url"] + "#ulc1.")
    claims, signature = signing.parse_payload(codes[0])
    assert claims["number"] == attrs["certificate_number"] and claims["recipient"]["name"] == "Gil Lovelace"
    assert claims["achievement"] == {"type": "course", "id": course["id"], "name": "Intro to <i>Rust</i> & Ferris"}
    assert signing.verify_claims(claims, signature, site_key(tenant.base)).valid
    assert httpx.get(attrs["pdf_url"].rsplit("/", 1)[0] + "/wrong-token").status_code == 404

    verify = httpx.get(f"{tenant.base}/v1/university/certificates/verify/{attrs['certificate_number']}").json()
    assert verify == {"valid": True, "certificate": {
        "certificate_number": attrs["certificate_number"], "recipient_name": "Gil Lovelace",
        "course_name": "Intro to <i>Rust</i> & Ferris", "issued_by": tenant.app_id, "issued_at": attrs["issued_at"],
        "status": "valid"}}
    page = httpx.get(attrs["verification_url"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Valid certificate" in page.text and "Intro to &lt;i&gt;Rust&lt;/i&gt; &amp; Ferris" in page.text

    revoked = api.post(f"/certificates/{cert['id']}/revoke", {"reason": "Issued to the wrong learner"})
    assert revoked.status_code == 200 and revoked.json()["data"]["attributes"]["valid"] is False
    assert error_of(api.post(f"/certificates/{cert['id']}/revoke", {"reason": "again"}))["code"] == "already_revoked"
    after = httpx.get(f"{tenant.base}/v1/university/certificates/verify/{attrs['certificate_number']}").json()
    assert after["valid"] is False and after["certificate"]["status"] == "revoked"
    assert after["certificate"]["revocation_reason"] == "Issued to the wrong learner"
    assert "not valid" in httpx.get(attrs["verification_url"]).text
    assert httpx.get(f"{tenant.base}/verify/CERT-2020-AAAAAA-0000001").status_code == 404
    unknown = httpx.get(f"{tenant.base}/v1/university/certificates/verify/CERT-2020-AAAAAA-0000001")
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "certificate_not_found"
    # Revocation is recorded as a change (for sync), like every other event.
    store = server.store
    try:
        kinds = [r["event_type"] for r in store.all("SELECT event_type FROM events WHERE record_id = ?", (cert["id"],))]
    finally:
        store.close()
    assert kinds == ["certificate.issued", "certificate.revoked"]


def test_credentials_and_signatures(server, tenant: Tenant, tmp_path) -> None:
    api = tenant.secret
    completed_course(api, "hal")
    cert = api.get("/certificates", params={"user_id": "hal"}).json()["data"][0]
    document = api.get(f"/certificates/{cert['id']}/credential").json()
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["credentialSubject"]["name"] == "Hal Lovelace"
    proof = document["proof"]
    key = site_key(tenant.base)
    assert signing.verify_claims(json.loads(proof["claims"]), proof["proofValue"], key).valid
    tampered = {**json.loads(proof["claims"]), "recipient": {"id": "hal", "name": "Mallory"}}
    assert not signing.verify_claims(tampered, proof["proofValue"], key).valid
    other_site = signing.load_or_create(tmp_path / "elsewhere")
    assert not signing.verify_claims(json.loads(proof["claims"]), proof["proofValue"], other_site.public_key).valid
    forged = other_site.sign(json.loads(proof["claims"]))
    assert not signing.verify_claims(json.loads(proof["claims"]), forged, key).valid
    # Learners see their own; other organisations see nothing.
    learner = tenant.publishable
    assert learner.get("/certificates").status_code == 400
    assert learner.get(f"/certificates/{cert['id']}", params={"user_id": "hal"}).status_code == 200
    assert learner.get(f"/certificates/{cert['id']}", params={"user_id": "eve"}).status_code == 404
    stranger = make_tenant(server).secret
    assert stranger.get(f"/certificates/{cert['id']}").status_code == 404
    assert stranger.get("/certificates").json()["meta"]["total"] == 0


def test_verification_with_the_server_stopped(tmp_path) -> None:
    (tmp_path / "site").mkdir()
    srv = start_server(tmp_path / "site", {"UNIVERSITY_LOCAL_RATE_LIMITS": "off",
                                           "UNIVERSITY_LOCAL_PUBLIC_URL": "https://school.example/"})
    try:
        api = make_tenant(srv).secret
        completed_course(api, "ivy")
        cert = api.get("/certificates", params={"user_id": "ivy"}).json()["data"][0]
        assert cert["attributes"]["verification_url"].startswith("https://school.example/verify/CERT-")
        pdf = api.get(f"/certificates/{cert['id']}/pdf").content
        document = api.get(f"/certificates/{cert['id']}/credential").json()
        key = run_cli(srv.data_dir, "certificates", "public-key").stdout
    finally:
        srv.stop()
    public_key = json.loads(key)["keys"][0]["public_key"]
    (tmp_path / "ivy.pdf").write_bytes(pdf)
    (tmp_path / "ivy.json").write_text(json.dumps(document))
    elsewhere = tmp_path / "verifier"  # another machine: no database, no site key
    for evidence in (str(tmp_path / "ivy.pdf"), str(tmp_path / "ivy.json"), qr_codes(pdf)[0]):
        checked = run_cli(elsewhere, "certificates", "verify", evidence, "--public-key", public_key)
        assert checked.returncode == 0 and checked.stdout.startswith("VALID: CERT-"), checked.stdout
        assert "Ivy Lovelace" in checked.stdout
    document["credentialSubject"]["name"] = "Somebody Else"
    (tmp_path / "edited.json").write_text(json.dumps(document))
    edited = run_cli(elsewhere, "certificates", "verify", str(tmp_path / "edited.json"), "--public-key", public_key,
                     check=False)
    assert edited.returncode == 1 and edited.stdout.startswith("NOT VALID")
    wrong_key = signing.load_or_create(tmp_path / "other").public_key
    assert run_cli(elsewhere, "certificates", "verify", str(tmp_path / "ivy.pdf"), "--public-key", wrong_key,
                   check=False).returncode == 1
    # A base64url key starts with "-" one time in 64: it is still a key, not an option.
    dashed = run_cli(elsewhere, "certificates", "verify", str(tmp_path / "ivy.pdf"), "--public-key",
                     "-" + wrong_key[1:], check=False)
    assert dashed.returncode == 1 and "expected one argument" not in dashed.stderr, dashed.stderr
    no_key = run_cli(elsewhere, "certificates", "verify", str(tmp_path / "ivy.pdf"), check=False)
    assert no_key.returncode == 1 and "--public-key" in no_key.stderr
    assert not (elsewhere / signing.KEY_FILE).exists()


def test_course_template_setting(api: Api) -> None:
    template_id = template(api, html_template="<h2>Well done, {{student_name}}</h2>").json()["data"]["id"]
    bad = api.post("/courses", {"data": {"type": "course", "attributes": {
        "title": "T", "settings": {"certificate_template_id": "template-nope"}}}})
    assert bad.status_code == 404 and error_of(bad)["source"]["pointer"] == "/data/attributes/settings/certificate_template_id"
    completed_course(api, "jo", settings={"certificate_template_id": template_id})
    cert = eventually(lambda: api.get("/certificates", params={"user_id": "jo"}).json()["data"])[0]
    assert cert["attributes"]["template_id"] == template_id
    pdf = httpx.get(cert["attributes"]["pdf_url"]).content
    assert "Well done, Jo Lovelace" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


@pytest.mark.parametrize("number", ["CERT-2026", "../../etc/passwd", "cert-2026-aaaaaa-0000001x"])
def test_verify_odd_numbers(tenant: Tenant, number: str) -> None:
    response = httpx.get(f"{tenant.base}/v1/university/certificates/verify/{number}")
    assert response.status_code == 404


def test_completing_a_learning_path_issues_its_certificate(api: Api) -> None:
    template_id = template(api, html_template="<h1>{{student_name}} completed the path {{course_name}}</h1>").json()["data"]["id"]
    first = api.course(status="published", settings={"certificate_enabled": False})
    second = api.course(status="published", settings={"certificate_enabled": False})
    lessons = {c["id"]: api.lesson(api.module(c["id"])["id"]) for c in (first, second)}
    path = api.create("/learning-paths", "learning_path", title="Health Worker", status="published",
                      certificate_id=template_id, courses=[
                          {"course_id": first["id"], "position": 1},
                          {"course_id": second["id"], "position": 2, "prerequisites": [first["id"]]}])
    api.create("/users", "user", id="kai", display_name="Kai Mensah")
    for course in (first, second):
        enroll(api, "kai", course["id"])
        assert api.post(f"/lessons/{lessons[course['id']]['id']}/complete", {"user_id": "kai"}).status_code == 200
        certificates = api.get("/certificates", params={"user_id": "kai"}).json()["data"]
        assert len(certificates) == (0 if course is first else 1)
    attrs = certificates[0]["attributes"]
    assert (attrs["path_id"], attrs["course_id"], attrs["course_name"]) == (path["id"], None, "Health Worker")
    assert attrs["template_id"] == template_id
    text = PdfReader(io.BytesIO(httpx.get(attrs["pdf_url"]).content)).pages[0].extract_text()
    assert "Kai Mensah completed the path Health Worker" in text
