"""A SCORM lesson in the learner pages: the player inside the lesson page, on a phone, resuming
where the learner left off, with the package's own navigation rules in its table of contents."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from playwright.sync_api import expect

from scorm_player.manifest import parse_manifest
from scorm_player.runtime import navigation
from tests.conftest import ServerProcess
from tests.scorm_sco import Item, package
from tests.test_scorm_browser import import_zip
from tests.test_web import School, browser, check_accessible, new_page, school, sign_in, web_server  # noqa: F401

PHONE = {"width": 390, "height": 844}
SEQUENCING = '<imsss:sequencing><imsss:controlMode choice="{choice}" flow="true"/></imsss:sequencing>'


def player(page: Any) -> Any:
    """The player's frame inside the lesson page, once its SCO has initialised the API."""
    page.wait_for_function("""() => { const f = document.querySelector('iframe.scorm');
        const w = f && f.contentWindow; const api = w && (w.API || w.API_1484_11);
        return w && w.ScormPlayer && w.ScormPlayer.current() && api && api.engine.state === 'running'; }""")
    return next(frame for frame in page.frames if "/scorm/play/" in frame.url)


def running(page: Any, item: str) -> Any:
    page.wait_for_function("""(item) => { const w = document.querySelector('iframe.scorm').contentWindow;
        const api = w.API || w.API_1484_11;
        return w.ScormPlayer && w.ScormPlayer.current() === item && api && api.engine.state === 'running'; }""",
                           arg=item)
    return player(page)


def with_organization_sequencing(zip_bytes: bytes, xml: str) -> bytes:
    """The package with `xml` as its organization's own sequencing (after its items)."""
    source = zipfile.ZipFile(io.BytesIO(zip_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in source.namelist():
            data = source.read(name)
            if name == "imsmanifest.xml":
                data = data.replace(b"    </organization>", xml.encode() + b"\n    </organization>")
            zf.writestr(name, data)
    return out.getvalue()


def test_the_player_is_inside_the_lesson_page_fits_a_phone_and_resumes(
        browser: Any, web_server: ServerProcess, school: School) -> None:  # noqa: F811
    lesson = import_zip(school.api, package("1.2", [
        Item("intro", "?init=1&finish=1", title="Introduction"),
        Item("practice", "?init=1&set=cmi.core.lesson_location:p7,cmi.core.exit:suspend&finish=1", title="Practice",
             extra='<adlcp:prerequisites type="aicc_script">intro</adlcp:prerequisites>'),
    ]), user_id="amani")
    page = new_page(browser, True, viewport=PHONE)
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/lessons/{lesson['lesson_id']}")
    frame = running(page, "intro")
    expect(page.get_by_text("This interactive lesson needs JavaScript")).to_be_hidden()

    # On a phone the contents are closed, so they cover nothing, and the navigation fits the frame.
    toggle = frame.locator("#toc-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(frame.locator("#toc")).to_be_hidden()
    outer = page.locator("iframe.scorm").bounding_box()  # boxes are in the page's coordinates
    left, right = outer["x"], outer["x"] + outer["width"]
    for name in ("#toc-toggle", "#previous", "#next", "#exit"):
        box = frame.locator(name).bounding_box()
        assert box is not None and box["x"] >= left and box["x"] + box["width"] <= right, name
    stage = frame.locator("#sco").bounding_box()
    assert stage is not None and stage["width"] >= outer["width"] - 4 and stage["height"] > 300

    # SCORM 1.2 prerequisites: Practice opens once the Introduction is completed.
    toggle.click()
    practice = frame.locator("#toc .entry[data-item='practice']")
    expect(practice).to_be_disabled()
    expect(practice).to_contain_text("Complete the parts before it first")
    expect(frame.locator("#next")).to_be_disabled()
    toggle.click()
    sco = next(f for f in page.frames if "sco.html" in f.url)
    sco.evaluate("() => { sco.call('LMSSetValue', 'cmi.core.lesson_status', 'completed'); sco.call('LMSCommit', ''); }")
    expect(frame.locator("#next")).to_be_enabled()
    expect(practice).to_be_enabled()
    frame.locator("#next").click()
    running(page, "practice")
    check_accessible(page)

    # Leaving and coming back: the player opens where the learner left off, with what it stored.
    page.goto(f"{web_server.base}/courses/{lesson['course_id']}")
    page.goto(f"{web_server.base}/lessons/{lesson['lesson_id']}")
    frame = running(page, "practice")
    assert frame.evaluate("() => [API.engine.values['cmi.core.lesson_location'], API.engine.values['cmi.core.entry']]"
                          ) == ["p7", "resume"]
    # Exit brings the whole page back to the lesson, not the frame.
    page.evaluate("() => { window.beforeExit = true; }")
    frame.locator("#exit").click()
    page.wait_for_function("() => !window.beforeExit && document.querySelector('iframe.scorm')")
    assert page.url == f"{web_server.base}/lessons/{lesson['lesson_id']}"
    page.context.close()


def test_scorm_2004_control_mode_decides_the_table_of_contents(browser: Any, web_server: ServerProcess,  # noqa: F811
                                                                school: School) -> None:  # noqa: F811
    zip_bytes = with_organization_sequencing(package("2004", [Item("one"), Item("two")]),
                                             SEQUENCING.format(choice="false"))
    lesson = import_zip(school.api, zip_bytes, user_id="amani")
    page = new_page(browser, True, viewport={"width": 1024, "height": 800})
    sign_in(page, web_server.base, school)
    page.wait_for_url(web_server.base + "/")
    page.goto(f"{web_server.base}/lessons/{lesson['lesson_id']}")
    frame = running(page, "one")
    expect(frame.locator("#toc")).to_be_visible()  # wide enough: the contents stay open
    two = frame.locator("#toc .entry[data-item='two']")
    expect(two).to_be_disabled()
    expect(two).to_contain_text("Reached in order, with Next")
    frame.locator("#next").click()  # flow="true"
    running(page, "two")
    page.context.close()


def test_without_javascript_the_lesson_page_says_the_player_needs_it(browser: Any, web_server: ServerProcess,  # noqa: F811
                                                                    school: School) -> None:  # noqa: F811
    lesson = import_zip(school.api, package("1.2", [Item("only")]), user_id="amani")
    page = new_page(browser, False)
    sign_in(page, web_server.base, school)
    page.goto(f"{web_server.base}/lessons/{lesson['lesson_id']}")
    expect(page.get_by_text("This interactive lesson needs JavaScript")).to_be_visible()
    assert "/scorm/play/" in (page.get_by_role("link", name="Open the lesson on a page of its own")
                              .get_attribute("href") or "")
    page.context.close()


def test_the_manifest_keeps_prerequisites_and_control_modes() -> None:
    manifest = _manifest_of(with_organization_sequencing(package("2004", [Item("a"), Item("b")]),
                                                         SEQUENCING.format(choice="false")))
    items = manifest.data["items"]
    assert [(i["choice"], i["flow"]) for i in items] == [(False, True), (False, True)]
    nav = navigation(items, "a")
    assert nav.can_continue and not nav.can_previous and nav.choice == ()
    free = _manifest_of(package("2004", [Item("a"), Item("b")])).data["items"]
    assert [(i["choice"], i["flow"]) for i in free] == [(True, True), (True, True)]  # none declared: free
    twelve = _manifest_of(package("1.2", [Item("a"), Item("b", extra="<adlcp:prerequisites type='aicc_script'>"
                                                                       "a &amp; ~c</adlcp:prerequisites>")]))
    assert [i["prerequisites"] for i in twelve.data["items"]] == [None, "a & ~c"]


def _manifest_of(zip_bytes: bytes) -> Any:
    return parse_manifest(zipfile.ZipFile(io.BytesIO(zip_bytes)).read("imsmanifest.xml"))
