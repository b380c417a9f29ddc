"""The SCORM player in headless Chromium, with the real packages of `tests/fixtures/scorm/`.

For every package: import it through the API, launch it for a learner, let the content call the
API, navigate, close the page mid-way, relaunch and check that it resumes, complete it, and check
the lesson's progress, score and status through the REST API. Every request that would leave the
machine is blocked (a classroom has no internet); the two jQuery files the sequencing package
loads from a CDN are answered with a stub, as SOURCES.md says. Dialogs (the packages' resume and
exit questions, and their error alerts) are answered and recorded; an error alert fails the test.

The scripted SCO (tests/scorm_sco) calls every error path of both versions through the player,
and checks the data reaches the server; and the player keeps a learner's work through a dropped
connection, a closed tab while offline, and a commit whose answer was lost.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import FIXTURES as SHARED_FIXTURES
from tests.conftest import Api, ServerProcess
from tests.scorm_sco import Item, errors_package, package

FIXTURES = SHARED_FIXTURES / "scorm"
CHROMIUM = "/usr/bin/chromium"
JQUERY = "https://ajax.googleapis.com/ajax/libs/jquery/1.4.3/jquery.min.js"
JQUERY_UI = "https://ajax.googleapis.com/ajax/libs/jqueryui/1.8.5/jquery-ui.min.js"
JQUERY_STUB = "window.$ = window.jQuery = function () { return {dialog: function () {}, val: function () " \
              "{ return ''; }}; };"
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


class Learner:
    """One learner in one browser profile: launches, dialogs answered, the internet blocked."""

    def __init__(self, browser: Any, server: ServerProcess, api: Api, user_id: str = "learner-1") -> None:
        self.server, self.api, self.user_id = server, api, user_id
        self.context = browser.new_context()
        self.context.set_default_timeout(WAIT_MS)
        self.outside: list[str] = []  # requests that tried to leave the machine
        self.stubbed: list[str] = []
        self.dialogs: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.resume = True  # the answer to "Would you like to resume...?"
        self.context.route("**/*", self._route)
        self._idle_page = self.context.new_page()  # stays open, for waiting while other pages close

    def _route(self, route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        elif url in (JQUERY, JQUERY_UI):
            self.stubbed.append(url)
            route.fulfill(status=200, content_type="application/javascript", body=JQUERY_STUB if url == JQUERY else "")
        else:
            self.outside.append(url)
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append((dialog.type, dialog.message))
        if dialog.type == "confirm" and "resume" in dialog.message and not self.resume:
            dialog.dismiss()
        else:
            dialog.accept()

    def launch(self, lesson_id: str, **attributes: Any) -> Any:
        response = self.api.post("/scorm/launch", {"data": {"type": "scorm_launch", "attributes": {
            "lesson_id": lesson_id, "user_id": self.user_id, **attributes}}})
        assert response.status_code == 201, response.text
        page = self.context.new_page()
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.goto(self.server.base + response.json()["data"]["attributes"]["path"])
        return page

    def wait(self, check: Any, timeout: float = 30) -> Any:
        """Poll `check` until it returns something truthy, letting the browser work meanwhile: its
        requests pass through this process (the route that keeps them on the machine)."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value or time.monotonic() > deadline:
                return value
            self._idle_page.wait_for_timeout(100)

    def alerts(self) -> list[str]:
        return [message for kind, message in self.dialogs if kind == "alert"]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def learner(browser: Any, server: ServerProcess, api: Api) -> Iterator[Learner]:
    person = Learner(browser, server, api)
    yield person
    person.close()
    assert person.outside == [], "requests left the machine"


def import_fixture(api: Api, name: str, user_id: str = "learner-1") -> dict[str, Any]:
    """A published course with the fixture as its only lesson, and the learner enrolled."""
    course = api.course(status="published", title=name)
    module = api.module(course["id"])
    response = api.http.post("/scorm/upload", files={"file": (f"{name}.zip", (FIXTURES / f"{name}.zip").read_bytes(),
                                                              "application/zip")},
                             data={"course_id": course["id"], "module_id": module["id"]})
    assert response.status_code == 201, response.text
    enrolled = api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {
        "user_id": user_id, "course_id": course["id"]}}})
    assert enrolled.status_code == 201, enrolled.text
    package_doc = response.json()["data"]
    return {"course_id": course["id"], "lesson_id": package_doc["attributes"]["lesson_id"], "package": package_doc}


def import_zip(api: Api, zip_bytes: bytes, user_id: str = "learner-1") -> dict[str, Any]:
    course = api.course(status="published")
    module = api.module(course["id"])
    response = api.http.post("/scorm/upload", files={"file": ("sco.zip", zip_bytes, "application/zip")},
                             data={"course_id": course["id"], "module_id": module["id"]})
    assert response.status_code == 201, response.text
    api.post("/enrollments", {"data": {"type": "enrollment", "attributes": {"user_id": user_id,
                                                                             "course_id": course["id"]}}})
    return {"course_id": course["id"], "lesson_id": response.json()["data"]["attributes"]["lesson_id"]}


def wait_running(page: Any, item_id: str) -> None:
    """Until the player shows `item_id` and its SCO has initialised the API."""
    page.wait_for_function("""(item) => window.ScormPlayer && ScormPlayer.current() === item &&
        ((window.API && API.engine.state === 'running') || (window.API_1484_11 && API_1484_11.engine.state === 'running'))
    """, arg=item_id)


def cmi(page: Any, element: str) -> str:
    return str(page.evaluate("(e) => (window.API || window.API_1484_11).engine.values[e]", element))


def frame_with(page: Any, fragment: str) -> Any:
    """The frame whose URL contains `fragment` (a Golf page inside the SCO's own frame)."""
    for _ in range(WAIT_MS // 100):
        found = [frame for frame in page.frames if fragment in frame.url]
        if found:
            found[0].wait_for_load_state()
            return found[0]
        page.wait_for_timeout(100)  # lets Playwright take in the frames' navigations meanwhile
    raise AssertionError(f"no frame with {fragment}: {[f.url for f in page.frames]}")


def answer_quiz(page: Any, correctly: bool = True) -> None:
    """Answer the Golf knowledge check (the right answers carry class correctAnswer) and submit it."""
    quiz = frame_with(page, "assessmenttemplate.html")
    quiz.wait_for_selector("input[value='Submit Answers']")
    quiz.evaluate("""(correctly) => {
      document.querySelectorAll('.question').forEach((question) => {
        const choice = question.querySelector(correctly ? '.correctAnswer' : '.answer') ||
                       question.querySelector('.correctAnswer');
        const radio = choice.querySelector('input[type=radio]');
        if (radio) { radio.checked = true; return; }
        const text = choice.querySelector('input[type=text]');
        text.value = correctly ? choice.textContent.match(/\\(([^)]*)\\)/)[1] : '0';
      });
      document.querySelector("input[value='Submit Answers']").click();
    }""", correctly)


def result(api: Api, lesson_id: str, user_id: str = "learner-1") -> dict[str, Any]:
    response = api.get(f"/scorm/lessons/{lesson_id}/users/{user_id}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]["attributes"]
    return data


def attempts(api: Api, lesson_id: str) -> list[dict[str, Any]]:
    listed = api.get("/scorm/attempts", params={"lesson_id": lesson_id, "per_page": 100}).json()["data"]
    return [a["attributes"] | {"id": a["id"]} for a in listed]


def attempt_detail(api: Api, attempt_id: str) -> dict[str, Any]:
    data: dict[str, Any] = api.get(f"/scorm/attempts/{attempt_id}").json()["data"]["attributes"]
    return data


def progress(api: Api, course_id: str, user_id: str = "learner-1") -> dict[str, Any]:
    data: dict[str, Any] = api.get(f"/progress/{course_id}/users/{user_id}").json()["data"]["attributes"]
    return data


def click_next(page: Any, times: int) -> None:
    """The Golf launch page's own Next button, inside the SCO; each time, until the SCO has stored
    its new bookmark (clicking by position could miss a button the loading page moves)."""
    sco = page.frame(name="sco")
    for _ in range(times):
        page_number = sco.evaluate("currentPage")
        sco.locator("#butNext").evaluate("(button) => button.click()")
        page.wait_for_function("""(n) => {
          const api = window.API || window.API_1484_11;
          return api.engine.values[window.API ? 'cmi.core.lesson_location' : 'cmi.location'] === String(n);
        }""", arg=page_number + 1)


def suspended_attempt(api: Api, lesson_id: str, item_id: str) -> dict[str, Any] | None:
    for attempt in attempts(api, lesson_id):
        if attempt["item_id"] == item_id and attempt["suspended"]:
            return attempt
    return None


# -- the Golf packages ---------------------------------------------------------------------------------


def test_runtime_basic_calls_scorm_12(api: Api, learner: Learner) -> None:
    imported = import_fixture(api, "RuntimeBasicCalls_SCORM12")
    lesson_id = imported["lesson_id"]
    page = learner.launch(lesson_id)
    wait_running(page, "item_1")
    assert cmi(page, "cmi.core.lesson_status") == "incomplete"  # the SCO marks its start
    click_next(page, 3)
    assert cmi(page, "cmi.core.lesson_location") == "3"
    page.close(run_before_unload=True)  # mid-way: the SCO suspends from its unload handler

    attempt = learner.wait(lambda: suspended_attempt(api, lesson_id, "item_1"))
    assert attempt and attempt["location"] == "3" and attempt["lesson_status"] == "incomplete"
    assert attempt["exit"] == "suspend" and not attempt["ended_at"]

    page = learner.launch(lesson_id)
    wait_running(page, "item_1")
    assert ("confirm", "Would you like to resume from where you previously left off?") in learner.dialogs
    assert cmi(page, "cmi.core.entry") == "resume"
    assert page.frame(name="sco").evaluate("currentPage") == 3  # back where the learner was
    click_next(page, 11)  # to the knowledge check, the last page: completed
    assert cmi(page, "cmi.core.lesson_status") == "completed"
    answer_quiz(page)
    page.wait_for_function("() => API.engine.values['cmi.core.lesson_status'] === 'passed'")
    page.frame_locator("#sco").locator("#butExit").click()  # reached the end: no question, a normal exit

    done = learner.wait(lambda: (r := result(api, lesson_id))["completed"] and r)
    assert done["success_status"] == "passed" and done["score_percent"] == 100.0
    assert done["scos"][0]["score"] == {"scaled": 1.0, "raw": 100.0, "min": 0.0, "max": 100.0}
    assert done["scos"][0]["attempts"] == 1 and done["total_time_seconds"] >= 0
    final = attempt_detail(api, done["scos"][0]["last_attempt_id"])
    assert final["ended_at"] and final["exit"] == "" and len(final["sessions"]) == 2
    course = progress(api, imported["course_id"])
    assert course["status"] == "completed" and [c["lesson_id"] for c in course["lessons_completed"]] == [lesson_id]
    assert learner.alerts() == [] and learner.errors == []


def test_runtime_minimum_calls_scorm_12(api: Api, learner: Learner) -> None:
    """18 SCOs that only call LMSInitialize and LMSFinish: each ends completed (the SCORM 1.2 rule)."""
    imported = import_fixture(api, "RuntimeMinimumCalls_SCORM12")
    lesson_id = imported["lesson_id"]
    items = [item["identifier"] for item in imported["package"]["attributes"]["manifest"]["items"] if item["launch"]]
    assert len(items) == 18
    page = learner.launch(lesson_id)
    assert page.locator("#toc .entry").count() == 18 and page.locator("#toc .heading").count() == 4
    wait_running(page, items[0])
    for item in items[1:5]:
        page.click("#next")
        wait_running(page, item)
    page.close(run_before_unload=True)

    def first_five_done() -> bool:
        done = {s["item_id"] for s in result(api, lesson_id)["scos"] if s["completed"]}
        return done == set(items[:5])

    assert learner.wait(first_five_done)
    launch = learner.launch(lesson_id)  # starts at the first SCO not done yet
    wait_running(launch, items[5])
    assert launch.locator(f'#toc .entry[data-item="{items[0]}"] .mark').inner_text() == "\u2713"
    assert launch.evaluate("API.engine.values['cmi.core.entry']") == "ab-initio"
    for item in items[6:]:
        launch.click("#next")
        wait_running(launch, item)
    assert launch.locator("#next").is_disabled()
    launch.click("#exit")
    launch.wait_for_selector("#message:not([hidden])")
    assert "You have left the lesson" in launch.inner_text("#message")

    done = learner.wait(lambda: (r := result(api, lesson_id))["completed"] and r)
    assert all(s["completion_status"] == "completed" and s["attempts"] == 1 for s in done["scos"])
    assert done["success_status"] == "unknown" and done["score_percent"] is None
    assert {a["lesson_status"] for a in attempts(api, lesson_id)} == {"completed"}
    assert progress(api, imported["course_id"])["status"] == "completed"
    quiz = imported["package"]["attributes"]["manifest"]["items"][6]
    assert quiz["launch"] == "shared/assessmenttemplate.html?questions=Playing"  # href + parameters
    assert learner.alerts() == [] and learner.errors == []


def test_runtime_basic_calls_scorm_2004(api: Api, learner: Learner) -> None:
    imported = import_fixture(api, "RuntimeBasicCalls_SCORM20043rdEdition")
    lesson_id = imported["lesson_id"]
    page = learner.launch(lesson_id)
    wait_running(page, "item_1")
    assert cmi(page, "cmi.completion_status") == "incomplete"  # it read "unknown" and started
    click_next(page, 5)
    page.close(run_before_unload=True)
    attempt = learner.wait(lambda: suspended_attempt(api, lesson_id, "item_1"))
    assert attempt and attempt["location"] == "5" and attempt["completion_status"] == "incomplete"

    learner.resume = False  # this time the learner starts over inside the SCO: the LMS still resumes
    page = learner.launch(lesson_id)
    wait_running(page, "item_1")
    assert cmi(page, "cmi.entry") == "resume" and cmi(page, "cmi.location") == "0"
    click_next(page, 14)
    answer_quiz(page, correctly=False)
    page.wait_for_function("() => API_1484_11.engine.values['cmi.success_status'] === 'failed'")
    page.frame_locator("#sco").locator("#butExit").click()  # exitAll: the player closes the lesson
    page.wait_for_selector("#message:not([hidden])")
    assert learner.wait(lambda: attempts(api, lesson_id)[0]["ended_at"])
    failed = result(api, lesson_id)
    assert failed["success_status"] == "failed" and not failed["completed"]  # completed, but failed
    assert failed["scos"][0]["completion_status"] == "completed"

    page = learner.launch(lesson_id)  # the attempt ended: a new one
    wait_running(page, "item_1")
    assert cmi(page, "cmi.entry") == "ab-initio" and cmi(page, "cmi.completion_status") == "incomplete"
    click_next(page, 14)
    answer_quiz(page)
    page.wait_for_function("() => API_1484_11.engine.values['cmi.success_status'] === 'passed'")
    page.frame_locator("#sco").locator("#butExit").click()
    page.wait_for_selector("#message:not([hidden])")
    done = learner.wait(lambda: (r := result(api, lesson_id))["completed"] and r)
    assert done["success_status"] == "passed" and done["score_percent"] == 100.0 and done["scos"][0]["attempts"] == 2
    assert progress(api, imported["course_id"])["status"] == "completed"
    assert learner.alerts() == [] and learner.errors == []


def test_runtime_advanced_calls_scorm_2004(api: Api, learner: Learner) -> None:
    """Objectives pre-filled from the manifest; success from the scaled passing score (0.8)."""
    imported = import_fixture(api, "RunTimeAdvancedCalls_SCORM20043rdEdition")
    lesson_id = imported["lesson_id"]
    page = learner.launch(lesson_id)
    wait_running(page, "item_1")
    assert cmi(page, "cmi.scaled_passing_score") == "0.8"
    assert [cmi(page, f"cmi.objectives.{i}.id") for i in range(5)] == [
        "PRIMARYOBJ", "obj_etiquette", "obj_handicapping", "obj_havingfun", "obj_playing"]
    click_next(page, 2)
    page.close(run_before_unload=True)
    attempt = learner.wait(lambda: suspended_attempt(api, lesson_id, "item_1"))
    assert attempt and attempt["progress_measure"] == 0.2

    page = learner.launch(lesson_id)
    wait_running(page, "item_1")
    assert page.frame(name="sco").evaluate("currentPage") == 2
    click_next(page, 12)
    answer_quiz(page)
    page.wait_for_function("() => API_1484_11.engine.values['cmi.score.scaled'] === '1'")
    assert page.evaluate("API_1484_11.GetValue('cmi.success_status')") == "passed"  # decided by the LMS
    page.frame_locator("#sco").locator("#butExit").click()
    page.wait_for_selector("#message:not([hidden])")

    done = learner.wait(lambda: (r := result(api, lesson_id))["completed"] and r)
    assert done["success_status"] == "passed" and done["score_percent"] == 100.0
    detail = attempt_detail(api, done["scos"][0]["last_attempt_id"])
    data = detail["cmi"]
    count = int(max((k.split(".")[2] for k in data if k.startswith("cmi.interactions.")), key=int)) + 1
    assert count >= 10 and data["cmi.interactions.0.type"] in ("choice", "true-false", "numeric")
    assert data["cmi.interactions.0.objectives.0.id"].startswith("obj_")
    assert data["cmi.interactions.0.result"] in ("correct", "incorrect")
    assert data["cmi.objectives.4.id"] == "obj_playing" and data["cmi.objectives.4.score.scaled"] == "1"
    assert data["cmi.progress_measure"] == "1" and data["cmi.success_status"] == "passed"
    assert not [m for m in learner.alerts() if "could not find objective" in m]
    assert learner.alerts() == [] and learner.errors == []


def test_sequencing_post_test_rollup_scorm_2004_4th(api: Api, learner: Learner) -> None:
    """Five SCOs, jQuery from a CDN (stubbed: the classroom is offline), a jump navigation request
    to a quiz hidden from the table of contents."""
    imported = import_fixture(api, "SequencingPostTestRollup4thEd_SCORM20044thEdition")
    lesson_id = imported["lesson_id"]
    report = imported["package"]["attributes"]["report"]
    assert not report["self_contained"]
    assert {JQUERY, JQUERY_UI} <= {r["url"] for r in report["external_resources"]}
    page = learner.launch(lesson_id)
    entries = [page.locator("#toc .entry").nth(i).get_attribute("data-item") for i in range(4)]
    assert entries == ["playing_item", "etuqiette_item", "handicapping_item", "havingfun_item"]  # quiz hidden
    wait_running(page, "playing_item")
    assert cmi(page, "cmi.objectives.0.id") == "playing_completed"
    assert cmi(page, "adl.data.0.id") == "com.scorm.golfsamples.sequencing.forcedsequential.notesStorage"
    assert page.evaluate("API_1484_11.SetValue('adl.data.0.store', 'notes from playing')") == "true"  # the Notes box
    click_next(page, 4)  # the last page: completed, and Commit
    page.wait_for_function("() => API_1484_11.engine.values['cmi.completion_status'] === 'completed'")
    page.click("#next")
    wait_running(page, "etuqiette_item")
    click_next(page, 1)
    page.close(run_before_unload=True)
    learner.wait(lambda: suspended_attempt(api, lesson_id, "etuqiette_item"))

    page = learner.launch(lesson_id)  # resumes the SCO the learner was in, where they were
    wait_running(page, "etuqiette_item")
    assert cmi(page, "cmi.entry") == "resume" and page.frame(name="sco").evaluate("currentPage") == 1
    assert page.evaluate("API_1484_11.GetValue('adl.data.0.store')") == "notes from playing"  # shared by the SCOs
    click_next(page, 1)
    for item, pages in (("handicapping_item", 4), ("havingfun_item", 2)):
        page.click("#next")
        wait_running(page, item)
        click_next(page, pages - 1)
    page.frame_locator("#sco").locator("#butJump").click()  # {target=assessment_item}jump
    wait_running(page, "assessment_item")
    answer_quiz(page)
    page.wait_for_function("() => API_1484_11.engine.values['cmi.success_status'] === 'passed'")
    page.click("#exit")
    page.wait_for_selector("#message:not([hidden])")

    done = learner.wait(lambda: (r := result(api, lesson_id))["completed"] and r)
    assert [s["item_id"] for s in done["scos"]] == ["playing_item", "etuqiette_item", "handicapping_item",
                                                    "havingfun_item", "assessment_item"]
    assert done["success_status"] == "passed" and done["score_percent"] == 100.0
    assert progress(api, imported["course_id"])["status"] == "completed"
    assert sorted(set(learner.stubbed)) == [JQUERY, JQUERY_UI]
    assert learner.alerts() == [] and learner.errors == []


def test_content_packaging_single_sco_scorm_2004_2nd(api: Api, learner: Learner) -> None:
    """A SCO that never calls the API: the player copes, and nothing is completed."""
    imported = import_fixture(api, "ContentPackagingSingleSCO_SCORM20042ndEdition")
    lesson_id = imported["lesson_id"]
    assert imported["package"]["attributes"]["edition"] == "2nd"
    page = learner.launch(lesson_id)
    page.wait_for_function("() => window.ScormPlayer && ScormPlayer.current() !== null")
    frame_with(page, "/scorm/content/").wait_for_load_state("load")
    assert page.evaluate("API_1484_11.engine.state") == "not initialized"
    page.close(run_before_unload=True)
    page = learner.launch(lesson_id)
    page.wait_for_function("() => window.ScormPlayer && ScormPlayer.current() !== null")
    page.click("#exit")
    page.wait_for_selector("#message:not([hidden])")
    state = result(api, lesson_id)
    assert not state["completed"] and state["scos"][0]["completion_status"] == "unknown"
    assert state["scos"][0]["attempts"] == 1  # never initialised, so never ended: the same attempt
    assert progress(api, imported["course_id"])["lessons_completed"] == []
    assert learner.alerts() == [] and learner.errors == []


# -- the scripted SCO -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_scripted_sco_error_paths(api: Api, learner: Learner, version: str) -> None:
    imported = import_zip(api, errors_package(version))
    page = learner.launch(imported["lesson_id"])
    page.frame_locator("#sco").locator("#state").filter(has_text="started").wait_for()
    sco = page.frame(name="sco")
    assert sco.evaluate("sco.version") == version
    assert sco.evaluate("sco.failures") == []
    assert len(sco.evaluate("sco.results")) == (48 if version == "1.2" else 65)
    done = learner.wait(lambda: (r := result(api, imported["lesson_id"]))["completed"] and r)
    data = attempt_detail(api, done["scos"][0]["last_attempt_id"])
    if version == "1.2":  # mastery score 80, raw 85: passed at LMSFinish
        assert (data["lesson_status"], data["location"], data["total_time"]) == ("passed", "page-3", "0000:01:30.50")
        assert data["cmi"]["cmi.objectives.0.id"] == "o1" and data["cmi"]["cmi.interactions.0.id"] == "q1"
    else:
        assert (data["completion_status"], data["success_status"], data["location"]) == ("completed", "passed",
                                                                                          "page-3")
        assert data["cmi"]["cmi.interactions.0.correct_responses.0.pattern"] == "true"
        assert data["total_time"] == "PT1M30.5S" and data["score"]["scaled"] == 0.75
    assert learner.errors == []


def test_scripted_sco_finds_the_api_through_an_opener(api: Api, learner: Learner) -> None:
    """ADL discovery's second half: a SCO in a window opened from the player finds the API through
    window.opener."""
    imported = import_zip(api, package("2004", [Item("one", "?nothing=1")]))
    page = learner.launch(imported["lesson_id"])
    page.wait_for_function("() => window.ScormPlayer && ScormPlayer.current() === 'one'")
    url = page.evaluate("document.getElementById('sco').src")
    with page.expect_popup() as popup_info:
        page.evaluate("(url) => window.open(url.replace('nothing=1', 'init=1&set=cmi.location:popup'))", url)
    popup = popup_info.value
    popup.locator("#state").filter(has_text="started").wait_for()
    assert popup.evaluate("sco.log[1]") == ["SetValue", ["cmi.location", "popup"], "true", "0"]


def open_scripted(learner: Learner, api: Api, parameters: str) -> tuple[Any, dict[str, Any]]:
    imported = import_zip(api, package("2004", [Item("one", parameters)]))
    page = learner.launch(imported["lesson_id"])
    page.frame_locator("#sco").locator("#state").filter(has_text="started").wait_for()
    return page, imported


def sco_call(page: Any, method: str, *args: str) -> list[str]:
    answer: list[str] = page.frame(name="sco").evaluate("(a) => sco.call(...a)", [method, *args])
    return answer


def test_work_survives_a_dropped_connection(api: Api, learner: Learner) -> None:
    page, imported = open_scripted(learner, api, "?init=1")
    learner.context.route("**/commits", lambda route: route.abort("internetdisconnected"))
    assert sco_call(page, "SetValue", "cmi.location", "offline-1") == ["true", "0"]
    assert sco_call(page, "Commit", "") == ["true", "0"]  # Commit does not wait for the network
    page.wait_for_selector("#status:has-text('Offline')")
    assert attempts(api, imported["lesson_id"])[0]["location"] is None
    learner.context.unroute("**/commits")
    assert learner.wait(lambda: attempts(api, imported["lesson_id"])[0]["location"] == "offline-1", timeout=40)
    page.wait_for_function("() => document.getElementById('status').textContent === ''")


def test_a_tab_closed_offline_delivers_at_the_next_launch(api: Api, learner: Learner) -> None:
    page, imported = open_scripted(learner, api, "?init=1")
    learner.context.set_offline(True)  # the Wi-Fi is gone: beacons cannot leave either
    sco_call(page, "SetValue", "cmi.location", "kept")
    sco_call(page, "SetValue", "cmi.suspend_data", "offline work")
    sco_call(page, "SetValue", "cmi.session_time", "PT4M")
    sco_call(page, "SetValue", "cmi.exit", "suspend")
    sco_call(page, "Terminate", "")
    stored = page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('scorm-pending:'))")
    assert len(stored) == 1  # waiting in the browser
    # Chromium's offline emulation does not reach a closing page's beacons: make them fail too.
    page.evaluate("""() => { const channel = API_1484_11.channel;
        channel.beaconFn = () => false; channel.fetch = () => Promise.reject(new TypeError('offline')); }""")
    page.close(run_before_unload=True)
    learner.wait(lambda: False, timeout=1)  # time for a beacon to arrive, were one able to
    assert attempts(api, imported["lesson_id"])[0]["location"] is None  # the server never heard of it
    learner.context.set_offline(False)
    page = learner.launch(imported["lesson_id"])  # delivers first, then opens the session
    page.frame_locator("#sco").locator("#state").filter(has_text="started").wait_for()
    assert sco_call(page, "GetValue", "cmi.entry") == ["resume", "0"]
    assert sco_call(page, "GetValue", "cmi.suspend_data") == ["offline work", "0"]
    assert sco_call(page, "GetValue", "cmi.total_time") == ["PT4M", "0"]
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('scorm-pending:'))") == []


def test_a_commit_whose_answer_was_lost_is_applied_once(api: Api, learner: Learner) -> None:
    page, imported = open_scripted(learner, api, "?init=1")
    delivered: list[str] = []

    def lose_answer(route: Any) -> None:  # the server gets the request; the answer never comes back
        route.fetch()
        delivered.append(route.request.post_data or "")
        route.abort("connectionreset")

    learner.context.route("**/commits", lose_answer)
    sco_call(page, "SetValue", "cmi.session_time", "PT10M")
    sco_call(page, "Commit", "")
    assert learner.wait(lambda: len(delivered) >= 2, timeout=30)  # retried
    learner.context.unroute("**/commits")
    assert learner.wait(lambda: page.evaluate("API_1484_11.channel.pending.length") == 0, timeout=40)
    first, second = (json.loads(body)["commits"] for body in delivered[:2])
    assert first == second  # the same numbered commit, sent again
    attempt = attempt_detail(api, attempts(api, imported["lesson_id"])[0]["id"])
    assert attempt["total_time"] == "PT10M"  # counted once
    assert attempt["sessions"][0]["commits"] == 1


def test_launch_starts_at_the_item_asked_for_and_exit_returns(api: Api, learner: Learner,
                                                              server: ServerProcess) -> None:
    imported = import_zip(api, package("1.2", [Item("a", "?init=1&finish=1"), Item("b", "?init=1&finish=1")]))
    page = learner.launch(imported["lesson_id"], item_id="b", return_url="/health")
    wait_running(page, "b")
    assert page.locator("#previous").is_enabled() and page.locator("#next").is_disabled()
    page.click("#toc .entry[data-item='a']")
    wait_running(page, "a")
    page.click("#exit")
    page.wait_for_url(re.compile(r"/health$"))
    assert learner.wait(lambda: {s["item_id"] for s in result(api, imported["lesson_id"])["scos"] if s["completed"]}
                      == {"a", "b"})
