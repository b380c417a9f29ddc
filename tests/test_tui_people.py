"""The people screen against a real server: `u` lists people a page at a time and searches on the
server as you type; each action (roster import, create, edit, deactivate and reactivate, a PIN, a
sign-in pause lifted, bulk enrollment, cancelling, PIN cards) changes what the API then returns."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList

from tests.conftest import Api, ServerProcess, Tenant, until
from tui.app import InstructorApp
from tui.screens.confirm import Confirm
from tui.screens.people import CoursePicker, FilePicker, PeopleScreen, PersonDetail, PersonForm, PinForm, Report
from tui.target import Target
from university_local.users.service import verify_secret


async def open_people(app: InstructorApp, pilot: Pilot[Any], shown: int = 1) -> PeopleScreen:
    await pilot.press("u")
    await until(pilot, lambda: isinstance(app.screen, PeopleScreen) and len(app.screen.shown) >= shown)
    assert isinstance(app.screen, PeopleScreen)
    return app.screen


def people_screen(app: InstructorApp) -> PeopleScreen:
    """The people screen, under whatever modal is open over it."""
    return next(s for s in app.screen_stack if isinstance(s, PeopleScreen))


async def go_to(pilot: Pilot[Any], screen: PeopleScreen, user_id: str) -> None:
    screen.query_one("#people", DataTable).move_cursor(row=screen.shown.index(user_id))
    await pilot.pause()


async def fill(pilot: Pilot[Any], field: Input, value: str) -> None:
    field.value = value
    field.focus()
    await pilot.pause()


def stored_secret(server: ServerProcess, tenant: Tenant, user_id: str) -> str | None:
    with sqlite3.connect(server.data_dir / "university.sqlite3") as db:
        row = db.execute("SELECT secret_hash FROM users WHERE app_id = ? AND env = 'test' AND id = ?",
                         (tenant.app_id, user_id)).fetchone()
    return row[0] if row else None


def roster(count: int) -> str:
    return "id,display_name,email,role\n" + "".join(
        f"stu-{n:04d},Learner {n:04d},l{n}@example.org,learner\n" for n in range(count))


def test_the_list_comes_a_page_at_a_time_and_search_asks_the_server(tui_target: Target, api: Api) -> None:
    assert api.import_roster(roster(450) + "tch-1,Grace Hopper,grace@example.org,instructor\n")["created"] == 451

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_people(app, pilot)
            footer = {b.binding.key for b in app.active_bindings.values() if b.binding.show}
            assert {"slash", "space", "n", "e", "p", "b", "i", "k", "x"} <= footer
            assert screen.total == 451  # the first page is shown while the rest is still coming
            await until(pilot, lambda: len(screen.shown) == 451)
            assert "451 people" in str(screen.query_one("#people-status").render())
            await pilot.press("slash")
            assert app.focused is screen.query_one("#search", Input)
            await pilot.press(*"LEARNER 0042")
            await until(pilot, lambda: screen.shown == ["stu-0042"])
            await pilot.press("enter")
            assert isinstance(app.focused, DataTable)
            screen.query_one("#search", Input).value = "example.org"
            await until(pilot, lambda: screen.total == 451 and len(screen.shown) == 451)
            await pilot.press("f")  # learners only
            await until(pilot, lambda: screen.total == 450)
            await pilot.press("f")  # instructors
            await until(pilot, lambda: screen.shown == ["tch-1"])

    asyncio.run(scenario())


def test_it_renders_at_80x24(tui_target: Target, api: Api) -> None:
    api.import_roster(roster(30))
    api.course(title="Biology")

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_people(app, pilot, shown=30)
            assert screen.query_one("#people", DataTable).size.height > 10
            await pilot.press("n")
            await until(pilot, lambda: isinstance(app.screen, PersonForm))
            assert app.screen.query_one("#save").region.bottom <= 24  # the whole form is on the screen
            await pilot.press("escape")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, PersonDetail)
                        and app.screen.query_one("#enrollments", DataTable).row_count)
            await pilot.press("escape")
            await pilot.press("question_mark")
            await pilot.pause()

    asyncio.run(scenario())


def test_a_roster_import_creates_the_users_and_reports_bad_rows(tui_target: Target, api: Api,
                                                                 tmp_path: Path) -> None:
    csv = tmp_path / "class-7b.csv"
    csv.write_text("id,display_name,email,role,pin\nstu-1,Amara Diallo,amara@example.org,learner,4821\n"
                   "stu-2,Bilal Khan,,learner,\nstu-3,Eli Cohen,eli@example.org,wizard,\n", encoding="utf-8")

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("u")
            await until(pilot, lambda: isinstance(app.screen, PeopleScreen))
            screen = app.screen
            assert isinstance(screen, PeopleScreen)
            await pilot.press("i")
            await until(pilot, lambda: isinstance(app.screen, FilePicker))
            await fill(pilot, app.screen.query_one("#path", Input), str(tmp_path / "missing.csv"))
            await pilot.press("enter")
            assert "no such file" in str(app.screen.query_one("#form-error").render())
            await fill(pilot, app.screen.query_one("#path", Input), str(csv))
            await pilot.press("enter")
            report = await until(pilot, lambda: isinstance(app.screen, Report) and app.screen)
            assert "2 created" in str(report.query_one("#summary").render())
            rows = report.query_one(DataTable)
            assert rows.row_count == 1 and rows.get_row_at(0)[:2] == ["4", "role"]
            await pilot.press("escape")
            await until(pilot, lambda: set(screen.shown) == {"stu-1", "stu-2"})

    asyncio.run(scenario())
    assert {u["id"]: u["attributes"]["sign_in"] for u in api.list_users()} == {"stu-1": "pin", "stu-2": None}


def test_create_edit_deactivate_and_reactivate(tui_target: Target, api: Api, server: ServerProcess,
                                               tenant: Tenant) -> None:
    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("u")
            await until(pilot, lambda: isinstance(app.screen, PeopleScreen))
            screen = app.screen
            assert isinstance(screen, PeopleScreen)
            await pilot.press("n")
            form = await until(pilot, lambda: isinstance(app.screen, PersonForm) and app.screen)
            await fill(pilot, form.query_one("#email", Input), "not-an-email")
            await pilot.press("enter")
            assert "Name: required" in str(form.query_one("#form-error").render())
            await fill(pilot, form.query_one("#display_name", Input), "Chen Wei")
            await pilot.press("enter")
            assert "Email" in str(form.query_one("#form-error").render())
            await fill(pilot, form.query_one("#email", Input), "chen@example.org")
            await fill(pilot, form.query_one("#id", Input), "stu-77")
            await fill(pilot, form.query_one("#pin", Input), "2468")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, PeopleScreen) and "stu-77" in screen.shown)

            await go_to(pilot, screen, "stu-77")
            await pilot.press("e")
            form = await until(pilot, lambda: isinstance(app.screen, PersonForm) and app.screen)
            await fill(pilot, form.query_one("#display_name", Input), "Chen Wei-Ling")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: api.get_user("stu-77")["attributes"]["display_name"] == "Chen Wei-Ling")
            await until(pilot, lambda: isinstance(app.screen, PeopleScreen))
            table = screen.query_one("#people", DataTable)
            assert table.get_cell("stu-77", "name") == "Chen Wei-Ling"

            await pilot.press("x")
            await until(pilot, lambda: isinstance(app.screen, Confirm))
            await pilot.press("y")
            await until(pilot, lambda: api.get_user("stu-77")["attributes"]["active"] is False)
            await until(pilot, lambda: table.get_cell("stu-77", "status") == "deactivated")
            await pilot.press("x")  # reactivating asks nothing
            await until(pilot, lambda: api.get_user("stu-77")["attributes"]["active"] is True)

    asyncio.run(scenario())
    user = api.get_user("stu-77")["attributes"]
    assert user["email"] == "chen@example.org" and user["role"] == "learner" and user["sign_in"] == "pin"
    assert verify_secret("2468", stored_secret(server, tenant, "stu-77"))


def test_a_pin_is_set_and_a_signin_pause_lifted(tui_target: Target, api: Api, server: ServerProcess,
                                                tenant: Tenant) -> None:
    api.create_user("Amara Diallo", id="amara", password="an old password")
    blocked = (datetime.now(UTC) + timedelta(minutes=2)).isoformat().replace("+00:00", "Z")
    with sqlite3.connect(server.data_dir / "university.sqlite3") as db:  # five wrong PINs on the learner pages
        db.execute("INSERT INTO signin_failures (app_id, env, subject, failures, last_at, blocked_until) "
                   "VALUES (?, 'test', 'user:amara', 5, ?, ?)",
                   (tenant.app_id, datetime.now(UTC).isoformat().replace("+00:00", "Z"), blocked))
    assert api.signin_pause("amara")["attributes"]["seconds_left"] > 0

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_people(app, pilot)
            await pilot.press("p")
            form = await until(pilot, lambda: isinstance(app.screen, PinForm) and app.screen)
            assert re.fullmatch(r"\d{4}", form.query_one("#pin", Input).value)  # a random one suggested
            await fill(pilot, form.query_one("#pin", Input), "12")
            await pilot.press("enter")
            assert "4 to 8 digits" in str(form.query_one("#form-error").render())
            await fill(pilot, form.query_one("#pin", Input), "482193")
            await pilot.press("enter")
            await until(pilot, lambda: api.get_user("amara")["attributes"]["sign_in"] == "pin")
            await until(pilot, lambda: screen.query_one("#people", DataTable).get_cell("amara", "sign_in") == "pin")

            await pilot.press("enter")
            detail = await until(pilot, lambda: isinstance(app.screen, PersonDetail) and app.screen)
            await until(pilot, lambda: "paused for" in str(detail.query_one("#pause").render()))
            await pilot.press("l")
            await until(pilot, lambda: "none" in str(detail.query_one("#pause").render()))

    asyncio.run(scenario())
    assert verify_secret("482193", stored_secret(server, tenant, "amara"))
    assert api.signin_pause("amara")["attributes"] == {"user_id": "amara", "failures": 0, "blocked_until": None,
                                                        "seconds_left": 0}


def test_bulk_enroll_the_marked_and_cancel_an_enrollment(tui_target: Target, api: Api) -> None:
    api.import_roster(roster(4))
    course = api.course(title="Biology", status="published")

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_people(app, pilot, shown=4)
            await pilot.press("space", "down", "space", "space")  # stu-0000, stu-0002 and stu-0003
            assert screen.marked == {"stu-0000", "stu-0002", "stu-0003"}
            await pilot.press("b")
            picker = await until(pilot, lambda: isinstance(app.screen, CoursePicker) and app.screen)
            picker.query_one(OptionList).highlighted = 0
            await pilot.press("enter")
            report = await until(pilot, lambda: isinstance(app.screen, Report) and app.screen)
            assert "3 enrolled" in str(report.query_one("#summary").render())
            assert report.query_one(DataTable).row_count == 3
            await pilot.press("escape")
            assert not screen.marked

            screen.show_person("stu-0002")
            detail = await until(pilot, lambda: isinstance(app.screen, PersonDetail) and app.screen)
            await until(pilot, lambda: detail.enrollments)
            assert detail.query_one(DataTable).get_row_at(0)[:2] == ["Biology", "active"]
            await pilot.press("x")
            await until(pilot, lambda: isinstance(app.screen, Confirm))
            await pilot.press("y")
            await until(pilot, lambda: detail.enrollments and detail.enrollments[0]["attributes"]["status"]
                        == "cancelled")

    asyncio.run(scenario())
    status = {e["attributes"]["user_id"]: e["attributes"]["status"] for e in api.list_enrollments(course_id=course["id"])}
    assert status == {"stu-0000": "active", "stu-0002": "cancelled", "stu-0003": "active"}


def _cards(path: Path) -> tuple[int, dict[str, str]]:
    """Pages, and each card's name and PIN as the PDF's text has them."""
    reader = pypdf.PdfReader(path)
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), dict(re.findall(r"(Learner \d{4})\s*Your PIN\s*(\d{4})", text))


def test_pin_cards_for_the_marked_and_for_a_course(tui_target: Target, api: Api, server: ServerProcess,
                                                   tenant: Tenant, tmp_path: Path) -> None:
    api.import_roster(roster(12))
    course = api.course(title="Biology", status="published")
    api.bulk_enroll(course["id"], [f"stu-{n:04d}" for n in range(2, 12)])
    api.deactivate_user("stu-0011")  # no card for someone who cannot sign in

    async def print_cards(app: InstructorApp, pilot: Pilot[Any], path: Path) -> None:
        await pilot.press("k")
        if not people_screen(app).marked:
            picker = await until(pilot, lambda: isinstance(app.screen, CoursePicker) and app.screen)
            picker.query_one(OptionList).highlighted = 0
            await pilot.press("enter")
        picker = await until(pilot, lambda: isinstance(app.screen, FilePicker) and app.screen)
        await fill(pilot, picker.query_one("#path", Input), str(path))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await until(pilot, path.exists)

    async def scenario() -> None:
        app = InstructorApp(tui_target)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_people(app, pilot, shown=12)
            await pilot.press("space", "space")
            await print_cards(app, pilot, tmp_path / "two.pdf")
            await until(pilot, lambda: not app.screen.workers)
            await pilot.press("a", "a")  # everyone marked, then no one
            assert not people_screen(app).marked
            await print_cards(app, pilot, tmp_path / "course" / "biology.pdf")

    asyncio.run(scenario())
    pages, cards = _cards(tmp_path / "two.pdf")
    assert pages == 1 and set(cards) == {"Learner 0000", "Learner 0001"}
    for name, pin in cards.items():
        assert verify_secret(pin, stored_secret(server, tenant, "stu-" + name[-4:]))
    pages, cards = _cards(tmp_path / "course" / "biology.pdf")
    assert pages == 2 and set(cards) == {f"Learner {n:04d}" for n in range(2, 11)}  # 9 cards, 8 a page
    for name, pin in cards.items():
        assert verify_secret(pin, stored_secret(server, tenant, "stu-" + name[-4:]))
    assert api.get_user("stu-0011")["attributes"]["sign_in"] is None
