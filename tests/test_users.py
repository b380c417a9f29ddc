"""Users: accounts with hashed secrets, deactivation, and idempotent roster import."""

from __future__ import annotations

import sqlite3
from typing import Any

from tests.conftest import Api, Tenant, error_of, run_cli

ROSTER = """id,display_name,email,role,pin
stu-001,Amara Diallo,amara@example.org,learner,4821
stu-002,Bilal Khan,,learner,
stu-003,,nobody@example.org,learner,
,Chen Wei,chen@example.org,learner,
stu-004,Dana Ruiz,not-an-email,learner,
stu-005,Eli Cohen,eli@example.org,wizard,
,No Id Or Email,,learner,
tch-001,Fatima Noor,fatima@example.org,instructor,
"""


def test_create_get_update_deactivate(api: Api, tenant: Tenant, server) -> None:
    user = api.create("/users", "user", id="stu-9", display_name="Grace", email="grace@example.org", pin="1234")
    assert user["id"] == "stu-9"
    attrs = user["attributes"]
    assert attrs == {**attrs, "display_name": "Grace", "role": "learner", "active": True, "sign_in": "pin"}
    assert api.get("/users/stu-9").json()["data"] == user
    generated = api.create("/users", "user", display_name="No id given")
    assert generated["id"].startswith("user-")

    dup = api.post("/users", {"data": {"type": "user", "attributes": {"id": "stu-9", "display_name": "Again"}}})
    assert dup.status_code == 409 and error_of(dup)["code"] == "user_exists"
    both = api.post("/users", {"data": {"type": "user", "attributes": {"display_name": "X", "pin": "1234",
                                                                         "password": "long enough"}}})
    assert both.status_code == 422
    short_pin = api.post("/users", {"data": {"type": "user", "attributes": {"display_name": "X", "pin": "12"}}})
    assert error_of(short_pin)["source"]["pointer"] == "/data/attributes/pin"

    changed = api.patch_resource("/users/stu-9", "user", role="instructor", password="correct horse battery")
    assert changed.json()["data"]["attributes"]["role"] == "instructor"
    assert changed.json()["data"]["attributes"]["sign_in"] == "password"
    assert api.delete("/users/stu-9").status_code == 204
    gone = api.get("/users/stu-9").json()["data"]["attributes"]
    assert gone["active"] is False and gone["deactivated_at"]
    assert [u["id"] for u in api.get("/users", params={"active": "false"}).json()["data"]] == ["stu-9"]
    back = api.patch_resource("/users/stu-9", "user", active=True).json()["data"]["attributes"]
    assert back["active"] is True and back["deactivated_at"] is None

    with sqlite3.connect(server.data_dir / "university.sqlite3") as db:
        stored = db.execute("SELECT secret_hash FROM users WHERE id = 'stu-9' AND app_id = ?", (tenant.app_id,)).fetchone()[0]
    assert stored.startswith("scrypt$") and "correct horse" not in stored


def test_users_need_a_secret_key(tenant: Tenant) -> None:
    pk = tenant.publishable
    assert pk.get("/users").status_code == 403
    assert pk.post("/users", {"data": {"type": "user", "attributes": {"display_name": "x"}}}).status_code == 403
    assert error_of(tenant.secret.get("/users/nobody"))["code"] == "user_not_found"


def test_roster_import_reports_bad_rows_and_is_idempotent(api: Api) -> None:
    first = api.http.post("/users/import", content=ROSTER.encode(), headers={"Content-Type": "text/csv"})
    assert first.status_code == 200, first.text
    result = first.json()["data"]
    assert (result["created"], result["updated"], result["unchanged"]) == (4, 0, 0)
    errors = {(e["row"], e["field"]) for e in result["errors"]}
    assert errors == {(4, "display_name"), (6, "email"), (7, "role"), (8, "id")}
    users = {u["id"]: u["attributes"] for u in api.get("/users", params={"per_page": 100}).json()["data"]}
    assert users["stu-001"]["sign_in"] == "pin" and users["tch-001"]["role"] == "instructor"
    chen = [u for u in users.values() if u["email"] == "chen@example.org"]
    assert len(chen) == 1

    again = api.http.post("/users/import", content=ROSTER.encode()).json()["data"]
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)
    assert len(api.get("/users", params={"per_page": 100}).json()["data"]) == 4

    renamed = ROSTER.replace("Amara Diallo", "Amara D. Diallo")
    third = api.http.post("/users/import", content=renamed.encode()).json()["data"]
    assert (third["created"], third["updated"], third["unchanged"]) == (0, 1, 3)

    headless = api.http.post("/users/import", content=b"just,some\nvalues,here\n")
    assert headless.status_code == 422 and error_of(headless)["code"] == "invalid_roster"
    binary = api.http.post("/users/import", content=b"\xff\xfe\x00bad")
    assert binary.status_code == 400


def test_roster_import_from_the_command_line(server, tenant: Tenant, tmp_path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("user_id,name,pin\ncli-1,Ike Obi,9999\ncli-2,Jo Park,12\n", encoding="utf-8")
    first = run_cli(server.data_dir, "users", "import", str(roster), "--app", tenant.app_id, "--env", "test", check=False)
    assert first.returncode == 1  # a row failed; the good one is in
    assert '"created": 1' in first.stdout and '"row": 3' in first.stdout
    assert tenant.secret.get("/users/cli-1").json()["data"]["attributes"]["display_name"] == "Ike Obi"
    roster.write_text("user_id,name,pin\ncli-1,Ike Obi,9999\n", encoding="utf-8")
    second = run_cli(server.data_dir, "users", "import", str(roster), "--app", tenant.app_id, "--env", "test")
    assert '"unchanged": 1' in second.stdout


def test_malformed_csv_is_a_clear_error(api: Api) -> None:
    stray_carriage_return = api.http.post("/users/import", content=b"\r\xf3\x80\x8d\xa8I")
    assert stray_carriage_return.status_code == 422
    assert error_of(stray_carriage_return)["code"] == "invalid_roster"
    quoted = api.http.post("/users/import", content=b'id,display_name\nq1,"Smith, Jo"\nq2,"unterminated\n')
    assert quoted.status_code == 200
    assert api.get("/users/q1").json()["data"]["attributes"]["display_name"] == "Smith, Jo"


def opt_out_of(api: Api, user_id: str) -> bool:
    return api.get(f"/users/{user_id}").json()["data"]["attributes"]["leaderboard_opt_out"]


def test_leaderboard_opt_out_round_trip(api: Api, tenant: Tenant, server) -> None:
    assert api.create("/users", "user", id="lb-1", display_name="Lee")["attributes"]["leaderboard_opt_out"] is False
    shy = api.create("/users", "user", id="lb-2", display_name="Shy", leaderboard_opt_out=True)
    assert shy["attributes"]["leaderboard_opt_out"] is True and opt_out_of(api, "lb-2") is True

    changed = api.patch_resource("/users/lb-1", "user", leaderboard_opt_out=True).json()["data"]["attributes"]
    assert changed["leaderboard_opt_out"] is True and changed["display_name"] == "Lee"
    assert api.patch_resource("/users/lb-1", "user", display_name="Lee R.").json()["data"]["attributes"]["leaderboard_opt_out"]
    assert api.patch_resource("/users/lb-1", "user", leaderboard_opt_out=False).status_code == 200
    assert opt_out_of(api, "lb-1") is False
    for bad in (None, "yes", 1):
        response = api.patch_resource("/users/lb-1", "user", leaderboard_opt_out=bad)
        assert response.status_code == 422, bad
        assert error_of(response)["source"]["pointer"] == "/data/attributes/leaderboard_opt_out"
    refused = api.post("/users", {"data": {"type": "user", "attributes": {"display_name": "X",
                                                                          "leaderboard_opt_out": "true"}}})
    assert refused.status_code == 422
    assert opt_out_of(api, "lb-1") is False

    # Learners created on enrollment take part until they opt out.
    course = api.course()
    assert api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {
        "user_id": "lb-auto", "course_id": course["id"]}}}).status_code == 201
    assert opt_out_of(api, "lb-auto") is False

    with sqlite3.connect(server.data_dir / "university.sqlite3") as db:
        stored = dict(db.execute("SELECT id, leaderboard_opt_out FROM users WHERE app_id = ?",
                                 (tenant.app_id,)).fetchall())
    assert stored == {"lb-1": 0, "lb-2": 1, "lb-auto": 0}  # what the leaderboard reads


def test_roster_import_sets_the_leaderboard_opt_out(api: Api) -> None:
    def load(text: str) -> dict:
        response = api.http.post("/users/import", content=text.encode(), headers={"Content-Type": "text/csv"})
        assert response.status_code == 200, response.text
        return response.json()["data"]

    first = load("id,display_name,leaderboard_opt_out\nr-1,Ann,yes\nr-2,Bo,\nr-3,Cy,maybe\nr-4,Di,FALSE\n")
    assert (first["created"], first["updated"], first["unchanged"]) == (3, 0, 0)
    assert first["errors"] == [{"row": 4, "field": "leaderboard_opt_out",
                                "message": "use true or false (yes/no, 1/0 also work)"}]
    assert [opt_out_of(api, u) for u in ("r-1", "r-2", "r-4")] == [True, False, False]

    # A blank cell, or no such column, keeps the setting; a value changes it.
    second = load("id,display_name,leaderboard_opt_out\nr-1,Ann,\nr-2,Bo,TRUE\nr-4,Di,0\n")
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 1, 2)
    third = load("id,display_name\nr-1,Ann\nr-2,Bo\n")
    assert (third["created"], third["updated"], third["unchanged"]) == (0, 0, 2)
    assert [opt_out_of(api, u) for u in ("r-1", "r-2", "r-4")] == [True, True, False]
    fourth = load("id,display_name,leaderboard_opt_out\nr-1,Ann,no\n")
    assert fourth["updated"] == 1 and opt_out_of(api, "r-1") is False


def test_search_matches_name_email_or_id(api: Api) -> None:
    """API extension: `search` on GET /users, for the instructors' type-ahead (case-insensitive substring)."""
    api.create("/users", "user", id="stu-100", display_name="Amara Diallo", email="amara@example.org")
    api.create("/users", "user", id="stu-101", display_name="Bilal Khan", email="b.khan@school.test")
    api.create("/users", "user", id="TCH-7", display_name="Chen 100% Wei", role="instructor")

    def found(**params: Any) -> list[str]:
        return sorted(u["id"] for u in api.get("/users", params=params).json()["data"])

    assert found(search="AMARA") == ["stu-100"]  # the name, whatever the case
    assert found(search="school.TEST") == ["stu-101"]  # the email
    assert found(search="tch-") == ["TCH-7"]  # the id
    assert found(search="stu-10") == ["stu-100", "stu-101"]
    assert found(search="100%") == ["TCH-7"]  # % is a character, not a wildcard
    assert found(search="_") == []
    assert found(search="stu", role="instructor") == []
    assert found(search="") == ["TCH-7", "stu-100", "stu-101"]
    page = api.get("/users", params={"search": "stu-", "per_page": 1}).json()
    assert page["meta"]["total"] == 2 and len(page["data"]) == 1
    api.delete("/users/stu-101")
    assert found(search="khan", active="true") == [] and found(search="khan") == ["stu-101"]
    assert [u["id"] for u in api.list_users(search="diallo")] == ["stu-100"]
    rows, meta = api.users_page(search="e", per_page=2)
    assert len(rows) == 2 and meta["total"] == 3
    assert api.get("/users", params={"search": "x" * 201}).status_code in (400, 422)
