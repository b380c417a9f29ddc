"""The LMS side of the SCORM run-time, in plain Python: what a SCO starts with, how its commits
are applied, and what its data means (status, score, time).

- A session starts either a new attempt (fresh data: `entry` = ab-initio, the learner, the mode,
  and what the manifest gives: mastery score, launch data, time limit, completion threshold,
  scaled passing score, the objectives' ids) or resumes a suspended one (`entry` = resume and
  everything the SCO stored: location, suspend_data, statuses, objectives, interactions).
- A commit is a list of the SCO's SetValue calls; they are replayed on the stored data through the
  same engine and data model the browser used (cmi/api.py), so a value is accepted here exactly
  when the browser accepted it.
- On Terminate / LMSFinish the LMS's rules apply: SCORM 1.2's mastery score and "a SCO that never
  set a status is completed"; SCORM 2004's completion threshold and scaled passing score.
- `total_time` is the sum of the sessions' `session_time`.

Nothing here knows about HTTP or the database; `university_local/scorm/runtime_service.py` stores
what these functions return.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from defusedxml import ElementTree as SafeET

from scorm_player.cmi import datatypes as dt
from scorm_player.cmi.api import RUNNING, Engine, Navigation, evaluated_status
from scorm_player.cmi.errors import CmiError
from scorm_player.cmi.model import TIME_LIMIT_ACTIONS, model_for

# Elements that belong to one session and are cleared when the next one starts.
SESSION_ELEMENTS = {
    "1.2": ("cmi.core.session_time", "cmi.core.exit", "cmi.core.entry"),
    "2004": ("cmi.session_time", "cmi.exit", "cmi.entry", "adl.nav.request"),
}
NAMES = {
    "1.2": {"learner_id": "cmi.core.student_id", "learner_name": "cmi.core.student_name",
            "entry": "cmi.core.entry", "mode": "cmi.core.lesson_mode", "credit": "cmi.core.credit",
            "total_time": "cmi.core.total_time", "session_time": "cmi.core.session_time", "exit": "cmi.core.exit",
            "location": "cmi.core.lesson_location"},
    "2004": {"learner_id": "cmi.learner_id", "learner_name": "cmi.learner_name", "entry": "cmi.entry",
             "mode": "cmi.mode", "credit": "cmi.credit", "total_time": "cmi.total_time",
             "session_time": "cmi.session_time", "exit": "cmi.exit", "location": "cmi.location"},
}
_SHARED_STORE = re.compile(r"adl\.data\.(0|[1-9][0-9]*)\.store")


@dataclass(frozen=True)
class Learner:
    id: str
    name: str


class RejectedCommit(Exception):
    """A SetValue call in a commit that the data model refuses: which one, and why."""

    def __init__(self, index: int, element: str, code: int, diagnostic: str) -> None:
        super().__init__(f"{element}: {diagnostic}")
        self.index, self.element, self.code, self.diagnostic = index, element, code, diagnostic


def credit_for(mode: str) -> str:
    """Only a normal-mode session counts towards the learner's record."""
    return "credit" if mode == "normal" else "no-credit"


# -- starting a session --------------------------------------------------------------------------


def fresh_values(version: str, item: dict[str, Any], learner: Learner, mode: str = "normal",
                 shared_data: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The data a new attempt starts with: what the LMS provides, nothing from the SCO."""
    names = NAMES[version]
    values = {
        names["learner_id"]: learner.id,
        names["learner_name"]: learner.name,
        names["entry"]: "ab-initio",
        names["mode"]: mode,
        names["credit"]: credit_for(mode),
    }
    data_from_lms = item.get("data_from_lms")
    if data_from_lms is not None:
        values["cmi.launch_data"] = str(data_from_lms)
    limit, action = item.get("max_time_allowed"), item.get("time_limit_action")
    if version == "1.2":
        if item.get("mastery_score") is not None:
            values["cmi.student_data.mastery_score"] = dt.format_real(float(item["mastery_score"]))
        if limit and dt.matches(dt.TIMESPAN, limit):
            values["cmi.student_data.max_time_allowed"] = limit
        if action in TIME_LIMIT_ACTIONS:
            values["cmi.student_data.time_limit_action"] = action
    else:
        if item.get("completion_threshold") is not None:
            values["cmi.completion_threshold"] = dt.format_real(float(item["completion_threshold"]))
        if item.get("scaled_passing_score") is not None:
            values["cmi.scaled_passing_score"] = dt.format_real(float(item["scaled_passing_score"]))
        if limit and dt.matches(dt.DURATION, limit):
            values["cmi.max_time_allowed"] = limit
        if action in TIME_LIMIT_ACTIONS:
            values["cmi.time_limit_action"] = action
        values = with_shared_data(values, shared_data or {})
    for index, objective_id in enumerate(item.get("objectives") or []):
        values[f"cmi.objectives.{index}.id"] = objective_id
    return values


def resumed_values(version: str, stored: dict[str, str], learner: Learner, mode: str = "normal") -> dict[str, str]:
    """The data a resumed attempt starts with: everything stored, entry = resume, and the
    session's own elements (session_time, exit, the navigation request) cleared."""
    names = NAMES[version]
    values = {key: value for key, value in stored.items() if key not in SESSION_ELEMENTS[version]}
    values.update({names["entry"]: "resume", names["learner_id"]: learner.id, names["learner_name"]: learner.name,
                   names["mode"]: mode, names["credit"]: credit_for(mode)})
    return values


def with_total_time(version: str, values: dict[str, str], hundredths: int) -> dict[str, str]:
    return {**values, NAMES[version]["total_time"]: dt.format_time_value(version, hundredths)}


def navigation(items: list[dict[str, Any]], current: str) -> Navigation:
    """What `adl.nav.request_valid.*` answers for the item `current` of a package."""
    launchable = [item for item in items if item.get("launch")]
    ids = [item["identifier"] for item in launchable]
    position = ids.index(current) if current in ids else -1
    choice = tuple(item["identifier"] for item in launchable
                   if not item.get("hidden_from_choice") and item.get("choice", True))
    # continue/previous need the parent's controlMode flow at both ends (manifest.py)
    def flows(at: int) -> bool:
        return 0 <= at < len(ids) and bool(launchable[at].get("flow", True))

    return Navigation(can_continue=position >= 0 and flows(position) and flows(position + 1),
                      can_previous=position >= 0 and flows(position) and flows(position - 1),
                      choice=choice, jump=tuple(ids))


def navigation_json(nav: Navigation) -> dict[str, Any]:
    """The targets the browser adapter answers `adl.nav.request_valid.choice/jump.{target=..}` from."""
    return {"choice": list(nav.choice or ()), "jump": list(nav.jump or ())}


def navigation_values(version: str, nav: Navigation) -> dict[str, str]:
    """`adl.nav.request_valid.continue` / `.previous` for a session (SCORM 2004; never stored)."""
    if version != "2004":
        return {}
    answer = {True: "true", False: "false", None: "unknown"}
    return {"adl.nav.request_valid.continue": answer[nav.can_continue],
            "adl.nav.request_valid.previous": answer[nav.can_previous]}


def shared_data_maps(manifest_xml: bytes) -> dict[str, list[str]]:
    """SCORM 2004 4th edition shared data: item identifier -> the targetIDs of its `adlcp:data`
    maps, in document order (`adl.data.n` follows this order)."""
    root = SafeET.fromstring(manifest_xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    maps: dict[str, list[str]] = {}
    for item in root.iter():
        if _local(item.tag) != "item" or not item.get("identifier"):
            continue
        targets = [m.get("targetID", "") for data in item if _local(data.tag) == "data"
                   for m in data if _local(m.tag) == "map" and m.get("targetID")]
        if targets:
            maps[str(item.get("identifier"))] = list(dict.fromkeys(targets))
    return maps


def with_shared_data(values: dict[str, str], shared: Mapping[str, str | None]) -> dict[str, str]:
    """`values` with the `adl.data` buckets as they are now (they change in other SCOs meanwhile)."""
    values = {key: value for key, value in values.items() if not key.startswith("adl.data.")}
    for index, (target, store) in enumerate(shared.items()):
        values[f"adl.data.{index}.id"] = target
        if store is not None:
            values[f"adl.data.{index}.store"] = store
    return values


def shared_data_writes(ops: list[tuple[str, str]], targets: list[str]) -> dict[str, str]:
    """target -> the last value a commit's calls stored in its `adl.data.n.store`."""
    writes = {}
    for element, value in ops:
        match = _SHARED_STORE.fullmatch(element)
        if match and int(match.group(1)) < len(targets):
            writes[targets[int(match.group(1))]] = value
    return writes


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


# -- commits ---------------------------------------------------------------------------------------


def apply_ops(version: str, values: dict[str, str], ops: list[tuple[str, str]]) -> dict[str, str]:
    """Replay a commit's SetValue calls on `values`; the new values, or RejectedCommit."""
    engine = Engine(model_for(version), dict(values))
    engine.state = RUNNING
    for index, (element, value) in enumerate(ops):
        try:
            engine.set(element, value)
        except CmiError as err:
            raise RejectedCommit(index, element, engine.model.codes[err.kind], err.diagnostic) from None
    return engine.values


def session_time(version: str, values: dict[str, str]) -> int | None:
    """The session time the SCO reported, in hundredths of a second (None: not reported)."""
    value = values.get(NAMES[version]["session_time"])
    return None if value is None else dt.parse_time_value(version, value)


def finish(version: str, values: dict[str, str]) -> dict[str, str]:
    """The LMS's rules on Terminate / LMSFinish.

    SCORM 1.2 (credit sessions): with a mastery score and a raw score the status becomes passed
    or failed; a SCO that never set a status is completed. In browse mode an untouched status
    becomes "browsed". SCORM 2004: the evaluated completion and success statuses (threshold,
    scaled passing score) are stored as the SCO's final statuses.
    """
    values = dict(values)
    if version == "1.2":
        status = values.get("cmi.core.lesson_status", "not attempted")
        raw, mastery = values.get("cmi.core.score.raw", ""), values.get("cmi.student_data.mastery_score", "")
        if values.get("cmi.core.credit", "credit") == "credit":
            if raw != "" and mastery != "":
                status = "passed" if float(raw) >= float(mastery) else "failed"
            elif status == "not attempted":
                status = "completed"
        elif status == "not attempted" and values.get("cmi.core.lesson_mode") == "browse":
            status = "browsed"
        values["cmi.core.lesson_status"] = status
    else:
        values["cmi.completion_status"] = evaluated_status(values, "cmi.completion_status")
        values["cmi.success_status"] = evaluated_status(values, "cmi.success_status")
    return values


def suspended(version: str, exit_value: str | None, nav_request: str | None = None) -> bool:
    """Whether a session that terminated left its attempt to be resumed: `exit` = suspend, or
    SCORM 2004's suspendAll. exitAll and abandonAll end the attempt whatever `exit` says."""
    if version == "2004":
        if nav_request == "suspendAll":
            return True
        if nav_request in ("exitAll", "abandonAll"):
            return False
    return exit_value == "suspend"


# -- what the data means ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """One SCO attempt, in SCORM 2004 terms whatever its version."""

    completion: str  # completed | incomplete | not attempted | unknown
    success: str  # passed | failed | unknown
    lesson_status: str | None  # SCORM 1.2's own status
    score_scaled: float | None
    score_raw: float | None
    score_min: float | None
    score_max: float | None
    progress_measure: float | None
    location: str | None

    @property
    def complete(self) -> bool:
        """Done, for the lesson: completed (or passed), and not failed."""
        return (self.completion == "completed" or self.success == "passed") and self.success != "failed"

    def to_json(self) -> dict[str, Any]:
        return {"completion_status": self.completion, "success_status": self.success,
                "lesson_status": self.lesson_status,
                "score": {"scaled": self.score_scaled, "raw": self.score_raw, "min": self.score_min,
                          "max": self.score_max},
                "progress_measure": self.progress_measure, "location": self.location}


STATUS_12 = {  # SCORM 1.2 lesson_status -> (completion, success)
    "passed": ("completed", "passed"),
    "completed": ("completed", "unknown"),
    "failed": ("completed", "failed"),
    "incomplete": ("incomplete", "unknown"),
    "browsed": ("incomplete", "unknown"),
    "not attempted": ("not attempted", "unknown"),
}


def status_of(version: str, values: dict[str, str]) -> Status:
    if version == "1.2":
        lesson_status = values.get("cmi.core.lesson_status", "not attempted")
        completion, success = STATUS_12.get(lesson_status, ("unknown", "unknown"))
        raw, low, high = (_number(values.get(f"cmi.core.score.{part}")) for part in ("raw", "min", "max"))
        scaled = _scaled(raw, low, high, default_max=100.0)
        return Status(completion, success, lesson_status, scaled, raw, low, high, None,
                      values.get("cmi.core.lesson_location"))
    raw, low, high = (_number(values.get(f"cmi.score.{part}")) for part in ("raw", "min", "max"))
    scaled = _number(values.get("cmi.score.scaled"))
    if scaled is None:
        scaled = _scaled(raw, low, high, default_max=None)
    return Status(evaluated_status(values, "cmi.completion_status"), evaluated_status(values, "cmi.success_status"),
                  None, scaled, raw, low, high, _number(values.get("cmi.progress_measure")),
                  values.get("cmi.location"))


def _scaled(raw: float | None, low: float | None, high: float | None, *, default_max: float | None) -> float | None:
    """A raw score as a fraction of its range (SCORM 1.2 raw scores are 0-100 by default)."""
    if raw is None:
        return None
    low = 0.0 if low is None else low
    high = default_max if high is None else high
    if high is None or high <= low:
        return None
    return round(max(-1.0, min(1.0, (raw - low) / (high - low))), 7)


def _number(value: str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return dt.parse_real(value)
    except ValueError:
        return None
