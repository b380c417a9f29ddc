"""The ADL SCORM 2004 4th edition run-time conformance cases, replayed step by step.

`tests/fixtures/scorm-conformance/` holds the ADL test suite's API, CM-01..CM-17 and DMB
cases as step lists (592 steps). Every activity is one fresh SCO launch with the LMS-provided
`initialState`; after every step the return value and the error code must be the ADL-faithful
ones. The cases are replayed against the browser adapter in headless Chromium (the rules and the
script exactly as the server serves them to the player) and against the Python engine that
checks commits on the server. The DMB case's visits are also replayed through the LMS's own rules
(`scorm_player.runtime`): the entry, total time and suspend data each visit starts with must be
what the previous visits leave behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from scorm_player import runtime
from scorm_player.cmi import Engine
from scorm_player.cmi import datatypes as dt
from tests.conftest import FIXTURES as SHARED_FIXTURES

FIXTURES = SHARED_FIXTURES / "scorm-conformance"
FILES = [FIXTURES / "api.json", FIXTURES / "cm-01-launch-seeded.json", *sorted((FIXTURES / "generated").glob("*.json"))]
CASES = {path.relative_to(FIXTURES).as_posix(): json.loads(path.read_text()) for path in FILES}
TOTAL_STEPS = 592

# Steps whose expected answer this runtime does not give, with the reason. Every step passes; the
# list stays here (and in the README) so that an exception is a decision, not an accident.
EXCEPTIONS: dict[tuple[str, str, int], str] = {}


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """`{"cmi": {"score": {"scaled": "0.5"}}}` -> `{"cmi.score.scaled": "0.5"}`."""
    out: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


def activities() -> Iterator[tuple[str, dict[str, Any], dict[str, str]]]:
    for name, case in CASES.items():
        for activity in case["activities"]:
            yield name, activity, {**flatten(case.get("initialState") or {}),
                                   **flatten(activity.get("initialState") or {})}


def arguments(step: dict[str, Any]) -> list[str]:
    if step["method"] == "GetValue":
        return [step["element"]]
    if step["method"] == "SetValue":
        return [step["element"], step["value"]]
    return [step["value"]] if "value" in step else []


def expected(step: dict[str, Any], result: str) -> bool:
    want = step["expectedReturn"]
    if isinstance(want, dict):
        assert want == {"match": "nonEmptyMax255"}, want
        return 0 < len(result) <= 255
    return bool(result == want)


def test_the_fixtures_are_all_here() -> None:
    assert len(CASES) == 36
    assert all(case["scormVersion"] == "2004" for case in CASES.values())
    assert sum(len(activity["steps"]) for _, activity, _ in activities()) == TOTAL_STEPS


@pytest.mark.parametrize("name", sorted(CASES))
def test_python_engine(name: str) -> None:
    failures = []
    for case_name, activity, initial in activities():
        if case_name != name:
            continue
        engine = Engine.for_version("2004", initial)
        for number, step in enumerate(activity["steps"]):
            result = engine.call(step["method"], *arguments(step))
            code = engine.get_last_error()
            if (name, activity["id"], number) in EXCEPTIONS:
                continue
            if not expected(step, result) or code != step["expectedErrorCode"]:
                failures.append((activity["id"], number, step, result, code))
    assert failures == []


BROWSER_REPLAY = """(activities) => activities.map(({initial, steps}) => {
  const api = ScormRuntime.createApi(SCORM_RULES["2004"], {values: initial});
  return steps.map((step) => {
    const args = step.method === "GetValue" ? [step.element]
      : step.method === "SetValue" ? [step.element, step.value]
      : ("value" in step ? [step.value] : []);
    const result = api[step.method](...args);
    return [result, api.GetLastError()];
  });
})"""


def test_browser_adapter(adapter_page: Any) -> None:
    cases = list(activities())
    answers = adapter_page.evaluate(BROWSER_REPLAY, [{"initial": initial, "steps": activity["steps"]}
                                                     for _, activity, initial in cases])
    failures, replayed = [], 0
    for (name, activity, _), results in zip(cases, answers, strict=True):
        for number, (step, (result, code)) in enumerate(zip(activity["steps"], results, strict=True)):
            replayed += 1
            if (name, activity["id"], number) in EXCEPTIONS:
                continue
            if not expected(step, result) or code != step["expectedErrorCode"]:
                failures.append((name, activity["id"], number, step, result, code))
    assert replayed == TOTAL_STEPS
    assert failures == []


def test_dmb_visits_follow_from_each_other() -> None:
    """DMB Act1, visits 1 to 6: resume after suspend, a new attempt after time-out, and total time as
    the sum of the session times (PT1M + PT0S + PT1H59M20S = PT2H20S; + PT5M49S = PT2H6M9S ...).

    Visits 7 and later follow navigation requests (suspendAll) that the decoder dropped, so their
    seeded state cannot be derived from the steps; they are replayed with it above."""
    visits = [a for a in CASES["generated/DMB.json"]["activities"] if a["id"].startswith("Act1V")][:6]
    learner = runtime.Learner("learner-1", "Learner")
    stored: dict[str, str] = {}
    total = 0
    resume = False
    for visit in visits:
        seeded = flatten(visit["initialState"])
        if resume:
            values = runtime.resumed_values("2004", stored, learner)
        else:
            values, total = runtime.fresh_values("2004", {"objectives": []}, learner), 0
        values = runtime.with_total_time("2004", values, total)
        assert values["cmi.entry"] == seeded["cmi.entry"], visit["id"]
        assert values["cmi.total_time"] == seeded["cmi.total_time"] or (
            dt.parse_duration(values["cmi.total_time"]) == dt.parse_duration(seeded["cmi.total_time"])), visit["id"]
        assert values.get("cmi.suspend_data") == seeded.get("cmi.suspend_data"), visit["id"]
        engine = Engine.for_version("2004", values)
        for step in visit["steps"]:
            engine.call(step["method"], *arguments(step))
        stored = runtime.finish("2004", engine.values)
        total += runtime.session_time("2004", engine.values) or 0
        resume = runtime.suspended("2004", engine.values.get("cmi.exit"), engine.values.get("adl.nav.request"))
