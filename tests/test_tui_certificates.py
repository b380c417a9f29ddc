"""The certificates screen against a real server: `t` lists what the API lists, type-ahead narrows it,
`i` issues (and with a reason when the learner is not eligible), `x` revokes with a reason, `o` / `w`
write the PDF the API serves, and `v` verifies numbers and QR text (valid, revoked, unknown)."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Select, Static

import tui.viewer
from tests.conftest import Api, until
from tui.app import InstructorApp
from tui.screens import certificates
from tui.screens.certificates import CertificatesScreen, IssueForm, RevokeForm, VerifyForm
from tui.target import Target
from tui.widgets.pickers import SavePath

TEXT = {"html": "<p>Read this.</p>", "estimated_reading_minutes": 5}



@dataclass
class Room:
    course_id: str
    ada: str  # completed the course (eligible; no certificate yet: the course issues none by itself)
    bob: str  # enrolled, not completed (not eligible)


def room(api: Api) -> Room:
    course = api.create_course("Welding basics", status="published", settings={"certificate_enabled": False})
    module = api.create_module(course["id"], "Week 1")
    lessons = [api.create_lesson(module["id"], title, "text", TEXT)["id"] for title in ("Safety", "Joints")]
    ada = api.create_user("Ada Lovelace", id="ada", role="learner")["id"]
    bob = api.create_user("Bob Marley", id="bob", role="learner")["id"]
    for user in (ada, bob):
        api.enroll(user, course["id"])
    for lesson in lessons:
        api.complete_lesson(lesson, ada)
    return Room(course["id"], ada, bob)


def issued(api: Api, r: Room) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ada's certificate (eligible) and Bob's (issued anyway), made through the API."""
    return (api.issue_certificate(r.ada, r.course_id),
            api.issue_certificate(r.bob, r.course_id, force_reason="Passed the practical on paper"))


async def open_screen(pilot: Pilot[Any], app: InstructorApp, rows: int) -> CertificatesScreen:
    await pilot.press("t")
    found: CertificatesScreen = await until(pilot, lambda: isinstance(app.screen, CertificatesScreen) and app.screen)
    await until(pilot, lambda: found.query_one("#certs", DataTable).row_count == rows and len(found.rows) == rows)
    return found


def cells(table: DataTable[Any]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(n)] for n in range(table.row_count)]


def test_issue_lists_the_certificate_and_a_forced_one_keeps_its_reason(tui_target: Target, api: Api) -> None:
    r = room(api)

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            page = await open_screen(pilot, app, 0)
            assert "No certificates here yet" in str(page.query_one("#cert-detail", Static).render())

            await pilot.press("i")
            form: IssueForm = await until(pilot, lambda: isinstance(app.screen, IssueForm) and app.screen)
            form.query_one("#reason", Input).focus()
            await pilot.press("enter")  # nothing chosen: the form says which field
            assert "Learner" in str(form.query_one("#form-error", Label).render())
            form.query_one("#learner", Select).value = r.ada
            form.query_one("#course", Select).value = r.course_id
            form.query_one("#reason", Input).focus()
            await pilot.press("enter")
            await until(pilot, lambda: len(page.rows) == 1)
            [ada_cert] = api.list_certificates(user_id=r.ada)
            number = ada_cert["attributes"]["certificate_number"]
            assert ada_cert["attributes"]["status"] == "valid" and ada_cert["attributes"]["forced_reason"] is None
            assert cells(page.query_one("#certs", DataTable))[0][:3] == [number, "Ada Lovelace", "Welding basics"]

            # Bob has not finished: the API refuses, and the form comes back asking for a reason
            await pilot.press("i")
            form = await until(pilot, lambda: isinstance(app.screen, IssueForm) and app.screen)
            form.query_one("#learner", Select).value = r.bob
            form.query_one("#course", Select).value = r.course_id
            form.query_one("#reason", Input).focus()
            await pilot.press("enter")
            again: IssueForm = await until(pilot, lambda: isinstance(app.screen, IssueForm) and app.screen is not form
                                           and app.screen)
            assert "reason" in str(again.query_one("#form-error", Label).render())
            assert api.list_certificates(user_id=r.bob) == []
            assert again.query_one("#reason", Input).has_focus
            await pilot.press(*"ok", "enter")  # too short: said, not sent
            assert "at least 3" in str(again.query_one("#form-error", Label).render())
            again.query_one("#reason", Input).value = "Passed the practical on paper"
            await pilot.press("enter")
            await until(pilot, lambda: len(page.rows) == 2)
            [bob_cert] = api.list_certificates(user_id=r.bob)
            assert bob_cert["attributes"]["forced_reason"] == "Passed the practical on paper"
            assert "issued anyway: Passed the practical on paper" in str(
                page.query_one("#cert-detail", Static).render())

    asyncio.run(scenario())


def test_search_filters_and_revoke_with_a_reason(tui_target: Target, api: Api) -> None:
    r = room(api)
    ada_cert, bob_cert = issued(api, r)

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            page = await open_screen(pilot, app, 2)
            table = page.query_one("#certs", DataTable)
            await pilot.press("slash", *"marl")
            await until(pilot, lambda: table.row_count == 1)
            assert cells(table)[0][1] == "Bob Marley"
            page.query_one("#cert-search", Input).value = bob_cert["attributes"]["certificate_number"][-4:]
            await until(pilot, lambda: table.row_count == 1 and cells(table)[0][1] == "Bob Marley")
            await pilot.press("escape")  # back to the list: keys act again
            assert table.has_focus

            await pilot.press("x")
            form: RevokeForm = await until(pilot, lambda: isinstance(app.screen, RevokeForm) and app.screen)
            await pilot.press(*"no", "enter")
            assert "Reason" in str(form.query_one("#form-error", Label).render())
            assert api.get_certificate(bob_cert["id"])["attributes"]["status"] == "valid"
            form.query_one("#reason", Input).value = "Issued to the wrong learner"
            await pilot.press("enter")
            await until(pilot, lambda: cells(table)[0][4] == "revoked")
            revoked = api.get_certificate(bob_cert["id"])["attributes"]
            assert (revoked["status"], revoked["revocation_reason"]) == ("revoked", "Issued to the wrong learner")
            assert api.get_certificate(ada_cert["id"])["attributes"]["status"] == "valid"

            await pilot.press("x")  # revoked already: said, nothing sent
            await pilot.pause()
            assert isinstance(app.screen, CertificatesScreen)

            page.query_one("#cert-search", Input).value = ""
            await until(pilot, lambda: table.row_count == 2)
            await pilot.press("s")  # status: valid only, as the API filters it
            await until(pilot, lambda: page.status == "valid" and len(page.rows) == 1)
            assert cells(table)[0][1] == "Ada Lovelace"
            await pilot.press("s")
            await until(pilot, lambda: page.status == "revoked" and len(page.rows) == 1)
            assert cells(table)[0][1] == "Bob Marley"

    asyncio.run(scenario())


def test_verify_says_valid_revoked_and_unknown(tui_target: Target, api: Api) -> None:
    r = room(api)
    ada_cert, bob_cert = issued(api, r)
    api.revoke_certificate(bob_cert["id"], "Issued to the wrong learner")

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_screen(pilot, app, 2)
            await pilot.press("v")
            form: VerifyForm = await until(pilot, lambda: isinstance(app.screen, VerifyForm) and app.screen)
            box, verdict = form.query_one("#evidence", Input), form.query_one("#verdict", Static)
            before = len(app._notifications)

            async def check(text: str, state: str) -> str:
                box.value = text
                await pilot.press("enter")
                await until(pilot, lambda: verdict.has_class(f"-{state}"))
                return str(verdict.render())

            said = await check(ada_cert["attributes"]["certificate_number"].lower(), "valid")
            assert said.startswith("VALID") and "Ada Lovelace" in said
            # a scanned QR code: the verification URL, then the signed payload after '#'
            said = await check(bob_cert["attributes"]["verification_url"] + "#ulc1.e30.c2ln", "revoked")
            assert said.startswith("REVOKED") and "Issued to the wrong learner" in said
            said = await check("CERT-2020-AAAAAA-0000001", "unknown")
            assert said.startswith("UNKNOWN") and "CERT-2020-AAAAAA-0000001" in said
            assert len(app._notifications) == before  # unknown is an answer, not an error
            await pilot.press("escape")
            assert isinstance(app.screen, CertificatesScreen)

    asyncio.run(scenario())


@pytest.mark.parametrize("desktop", [False, True])
def test_open_and_save_write_the_apis_pdf(tui_target: Target, api: Api, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, desktop: bool) -> None:
    r = room(api)
    ada_cert, _ = issued(api, r)
    pdf = api.certificate_pdf(ada_cert["id"])
    opened: list[list[str]] = []
    monkeypatch.setattr(certificates, "viewer", lambda: shutil.which("true") if desktop else None)
    real_popen = tui.viewer.subprocess.Popen

    def popen(args: list[str], **kw: Any) -> Any:
        opened.append(args)
        return real_popen(args, **kw)

    monkeypatch.setattr(tui.viewer.subprocess, "Popen", popen)

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            page = await open_screen(pilot, app, 2)
            page.query_one("#certs", DataTable).focus()
            await pilot.press("o")
            path: Path = await until(pilot, lambda: page.last_pdf)
            assert path.name == f"{ada_cert['attributes']['certificate_number']}.pdf"
            assert path.read_bytes() == pdf
            assert opened == ([[shutil.which("true"), str(path)]] if desktop else [])

            await pilot.press("w")
            form: SavePath = await until(pilot, lambda: isinstance(app.screen, SavePath) and app.screen)
            form.query_one("#path", Input).value = str(tmp_path / "kept")  # a new folder: made
            await pilot.press("enter")
            await until(pilot, lambda: page.last_pdf == tmp_path / "kept")
            assert (tmp_path / "kept").read_bytes() == pdf
            (tmp_path / "folder").mkdir()
            await pilot.press("w")
            form = await until(pilot, lambda: isinstance(app.screen, SavePath) and app.screen)
            form.query_one("#path", Input).value = str(tmp_path / "folder")  # a folder: the suggested name
            await pilot.press("enter")
            saved = tmp_path / "folder" / path.name
            await until(pilot, lambda: page.last_pdf == saved)
            assert saved.read_bytes() == pdf

    asyncio.run(scenario())


def test_renders_at_80x24(tui_target: Target, api: Api) -> None:
    r = room(api)
    issued(api, r)

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(80, 24)) as pilot:
            page = await open_screen(pilot, app, 2)
            assert page.query_one("#certs", DataTable).size.height >= 3
            await pilot.press("v")
            await until(pilot, lambda: isinstance(app.screen, VerifyForm))
            await pilot.press("escape")
            await pilot.press("i")
            await until(pilot, lambda: isinstance(app.screen, IssueForm))
            await pilot.press("escape")
            await pilot.press("question_mark")
            await pilot.pause()

    asyncio.run(scenario())
