"""The CMI data models of SCORM 1.2 and SCORM 2004 4th edition, defined once.

Each element says its data type (see datatypes.TYPES), its access (read-write, read-only or
write-only), its vocabulary or range, its smallest permitted maximum length, its initial value
(None: "not initialised", which SCORM 2004 reports as error 403 until the SCO or the LMS sets
it) and, for SCORM 2004, what must be set before it (error 408). Collections (`cmi.objectives`,
`cmi.interactions`, ...) say their `_children`, and which child creates a record.

`rules(version)` turns a model into the JSON the browser adapter validates with; the Python
engine (cmi/api.py) reads the same objects. Paths use `n` for an index: `cmi.objectives.n.id`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any, Literal

from scorm_player.cmi.datatypes import RESPONSES, TYPES
from scorm_player.cmi.errors import codes_for, errors_for

Access = Literal["rw", "ro", "wo"]
Version = Literal["1.2", "2004"]


@dataclass(frozen=True)
class Element:
    path: str
    type: str
    access: Access
    vocabulary: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    spm: int | None = None
    default: str | None = ""
    requires: str | None = None  # SCORM 2004: element that must hold a value first (else 408)
    unique: bool = False  # SCORM 2004 identifiers: unique in their collection, and fixed once set
    keyword: bool = False  # `cmi._version`: setting it is "element is a keyword"


@dataclass(frozen=True)
class Collection:
    path: str
    children: str | None  # what `<path>._children` answers; None if the standard defines none
    key: str | None = None  # SCORM 2004: the child whose SetValue creates a record
    appendable: bool = True  # False: only the LMS makes records (adl.data)


@dataclass(frozen=True)
class DataModel:
    version: Version
    elements: dict[str, Element]
    collections: dict[str, Collection]
    groups: dict[str, str] = field(default_factory=dict)  # "cmi.core" -> its _children

    @property
    def errors(self) -> dict[int, str]:
        return errors_for(self.version)

    @property
    def codes(self) -> dict[str, int]:
        return codes_for(self.version)


def _model(version: Version, rows: list[tuple[Any, ...]], collections: list[Collection],
           groups: dict[str, str]) -> DataModel:
    elements = {}
    for row in rows:
        path, type_, access, *rest = row
        options: dict[str, Any] = rest[0] if rest else {}
        elements[path] = Element(path, type_, access, **options)
    return DataModel(version, elements, {c.path: c for c in collections}, groups)


# -- SCORM 1.2 ---------------------------------------------------------------------------------

STATUS_12 = ("passed", "completed", "failed", "incomplete", "browsed")
TIME_LIMIT_ACTIONS = ("exit,message", "exit,no message", "continue,message", "continue,no message")
INTERACTION_TYPES_12 = ("true-false", "choice", "fill-in", "matching", "performance", "sequencing", "likert",
                        "numeric")
SCORE_12 = {"minimum": 0, "maximum": 100}

SCORM_12 = _model("1.2", [
    ("cmi._version", "CMIString255", "ro", {"default": "3.4", "keyword": True}),
    ("cmi.core.student_id", "CMIIdentifier", "ro"),
    ("cmi.core.student_name", "CMIString255", "ro"),
    ("cmi.core.lesson_location", "CMIString255", "rw"),
    ("cmi.core.credit", "CMIVocabulary", "ro", {"vocabulary": ("credit", "no-credit"), "default": "credit"}),
    ("cmi.core.lesson_status", "CMIVocabulary", "rw", {"vocabulary": STATUS_12, "default": "not attempted"}),
    ("cmi.core.entry", "CMIVocabulary", "ro", {"vocabulary": ("ab-initio", "resume", ""), "default": "ab-initio"}),
    ("cmi.core.score.raw", "CMIDecimalOrBlank", "rw", SCORE_12),
    ("cmi.core.score.min", "CMIDecimalOrBlank", "rw", SCORE_12),
    ("cmi.core.score.max", "CMIDecimalOrBlank", "rw", SCORE_12),
    ("cmi.core.total_time", "CMITimespan", "ro", {"default": "0000:00:00.00"}),
    ("cmi.core.lesson_mode", "CMIVocabulary", "ro", {"vocabulary": ("browse", "normal", "review"),
                                                     "default": "normal"}),
    ("cmi.core.exit", "CMIVocabulary", "wo", {"vocabulary": ("time-out", "suspend", "logout", "")}),
    ("cmi.core.session_time", "CMITimespan", "wo"),
    ("cmi.suspend_data", "CMIString4096", "rw"),
    ("cmi.launch_data", "CMIString4096", "ro"),
    ("cmi.comments", "CMIString4096", "rw"),
    ("cmi.comments_from_lms", "CMIString4096", "ro"),
    ("cmi.objectives.n.id", "CMIIdentifier", "rw"),
    ("cmi.objectives.n.score.raw", "CMIDecimalOrBlank", "rw", SCORE_12),
    ("cmi.objectives.n.score.min", "CMIDecimalOrBlank", "rw", SCORE_12),
    ("cmi.objectives.n.score.max", "CMIDecimalOrBlank", "rw", SCORE_12),
    ("cmi.objectives.n.status", "CMIVocabulary", "rw", {"vocabulary": (*STATUS_12, "not attempted"),
                                                        "default": "not attempted"}),
    ("cmi.student_data.mastery_score", "CMIDecimal", "ro"),
    ("cmi.student_data.max_time_allowed", "CMITimespan", "ro"),
    ("cmi.student_data.time_limit_action", "CMIVocabulary", "ro", {"vocabulary": TIME_LIMIT_ACTIONS}),
    ("cmi.student_preference.audio", "CMISInteger", "rw", {"minimum": -1, "maximum": 100, "default": "0"}),
    ("cmi.student_preference.language", "CMIString255", "rw"),
    ("cmi.student_preference.speed", "CMISInteger", "rw", {"minimum": -100, "maximum": 100, "default": "0"}),
    ("cmi.student_preference.text", "CMISInteger", "rw", {"minimum": -1, "maximum": 1, "default": "0"}),
    ("cmi.interactions.n.id", "CMIIdentifier", "wo"),
    ("cmi.interactions.n.objectives.n.id", "CMIIdentifier", "wo"),
    ("cmi.interactions.n.time", "CMITime", "wo"),
    ("cmi.interactions.n.type", "CMIVocabulary", "wo", {"vocabulary": INTERACTION_TYPES_12}),
    ("cmi.interactions.n.correct_responses.n.pattern", "CMIFeedback", "wo"),
    ("cmi.interactions.n.weighting", "CMIDecimal", "wo"),
    ("cmi.interactions.n.student_response", "CMIFeedback", "wo"),
    ("cmi.interactions.n.result", "CMIResult", "wo", {"vocabulary": ("correct", "wrong", "unanticipated",
                                                                     "neutral")}),
    ("cmi.interactions.n.latency", "CMITimespan", "wo"),
], [
    Collection("cmi.objectives", "id,score,status"),
    Collection("cmi.interactions", "id,objectives,time,type,correct_responses,weighting,student_response,"
                                   "result,latency"),
    Collection("cmi.interactions.n.objectives", None),
    Collection("cmi.interactions.n.correct_responses", None),
], {
    "cmi.core": "student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,"
                "lesson_mode,exit,session_time",
    "cmi.core.score": "raw,min,max",
    "cmi.objectives.n.score": "raw,min,max",
    "cmi.student_data": "mastery_score,max_time_allowed,time_limit_action",
    "cmi.student_preference": "audio,language,speed,text",
})

# -- SCORM 2004 4th edition --------------------------------------------------------------------

COMPLETION = ("completed", "incomplete", "not attempted", "unknown")
SUCCESS = ("passed", "failed", "unknown")
INTERACTION_TYPES = tuple(RESPONSES)
NAV_REQUESTS = ("continue", "previous", "choice", "jump", "exit", "exitAll", "abandon", "abandonAll",
                "suspendAll", "_none_")
SCALED = {"minimum": -1, "maximum": 1, "default": None}
UNSET = {"default": None}

SCORM_2004 = _model("2004", [
    ("cmi._version", "characterstring", "ro", {"default": "1.0", "keyword": True}),
    ("cmi.comments_from_learner.n.comment", "localized_string", "rw", {"spm": 4000, "default": None}),
    ("cmi.comments_from_learner.n.location", "characterstring", "rw", {"spm": 250, "default": None}),
    ("cmi.comments_from_learner.n.timestamp", "time", "rw", UNSET),
    ("cmi.comments_from_lms.n.comment", "localized_string", "ro", {"spm": 4000, "default": None}),
    ("cmi.comments_from_lms.n.location", "characterstring", "ro", {"spm": 250, "default": None}),
    ("cmi.comments_from_lms.n.timestamp", "time", "ro", UNSET),
    ("cmi.completion_status", "state", "rw", {"vocabulary": COMPLETION, "default": "unknown"}),
    ("cmi.completion_threshold", "real", "ro", {"minimum": 0, "maximum": 1, "default": None}),
    ("cmi.credit", "state", "ro", {"vocabulary": ("credit", "no-credit"), "default": "credit"}),
    ("cmi.entry", "state", "ro", {"vocabulary": ("ab-initio", "resume", ""), "default": "ab-initio"}),
    ("cmi.exit", "state", "wo", {"vocabulary": ("time-out", "suspend", "logout", "normal", "")}),
    ("cmi.interactions.n.id", "long_identifier", "rw", {"spm": 4000, "default": None}),
    ("cmi.interactions.n.type", "state", "rw", {"vocabulary": INTERACTION_TYPES, "default": None}),
    ("cmi.interactions.n.objectives.n.id", "long_identifier", "rw", {"spm": 4000, "default": None,
                                                                     "unique": True}),
    ("cmi.interactions.n.timestamp", "time", "rw", UNSET),
    ("cmi.interactions.n.correct_responses.n.pattern", "correct_pattern", "rw",
     {"default": None, "requires": "cmi.interactions.n.type"}),
    ("cmi.interactions.n.weighting", "real", "rw", UNSET),
    ("cmi.interactions.n.learner_response", "learner_response", "rw",
     {"default": None, "requires": "cmi.interactions.n.type"}),
    ("cmi.interactions.n.result", "result", "rw", {"vocabulary": ("correct", "incorrect", "unanticipated",
                                                                  "neutral"), "default": None}),
    ("cmi.interactions.n.latency", "timeinterval", "rw", UNSET),
    ("cmi.interactions.n.description", "localized_string", "rw", {"spm": 250, "default": None}),
    ("cmi.launch_data", "characterstring", "ro", {"spm": 4000, "default": None}),
    ("cmi.learner_id", "long_identifier", "ro", {"spm": 4000}),
    ("cmi.learner_name", "localized_string", "ro", {"spm": 250}),
    ("cmi.learner_preference.audio_level", "real", "rw", {"minimum": 0, "default": "1"}),
    ("cmi.learner_preference.language", "language", "rw", {"spm": 250}),
    ("cmi.learner_preference.delivery_speed", "real", "rw", {"minimum": 0, "default": "1"}),
    ("cmi.learner_preference.audio_captioning", "state", "rw", {"vocabulary": ("-1", "0", "1"), "default": "0"}),
    ("cmi.location", "characterstring", "rw", {"spm": 1000, "default": None}),
    ("cmi.max_time_allowed", "timeinterval", "ro", UNSET),
    ("cmi.mode", "state", "ro", {"vocabulary": ("browse", "normal", "review"), "default": "normal"}),
    ("cmi.objectives.n.id", "long_identifier", "rw", {"spm": 4000, "default": None, "unique": True}),
    ("cmi.objectives.n.score.scaled", "real", "rw", SCALED),
    ("cmi.objectives.n.score.raw", "real", "rw", UNSET),
    ("cmi.objectives.n.score.min", "real", "rw", UNSET),
    ("cmi.objectives.n.score.max", "real", "rw", UNSET),
    ("cmi.objectives.n.success_status", "state", "rw", {"vocabulary": SUCCESS, "default": "unknown"}),
    ("cmi.objectives.n.completion_status", "state", "rw", {"vocabulary": COMPLETION, "default": "unknown"}),
    ("cmi.objectives.n.progress_measure", "real", "rw", {"minimum": 0, "maximum": 1, "default": None}),
    ("cmi.objectives.n.description", "localized_string", "rw", {"spm": 250, "default": None}),
    ("cmi.progress_measure", "real", "rw", {"minimum": 0, "maximum": 1, "default": None}),
    ("cmi.scaled_passing_score", "real", "ro", SCALED),
    ("cmi.score.scaled", "real", "rw", SCALED),
    ("cmi.score.raw", "real", "rw", UNSET),
    ("cmi.score.min", "real", "rw", UNSET),
    ("cmi.score.max", "real", "rw", UNSET),
    ("cmi.session_time", "timeinterval", "wo"),
    ("cmi.success_status", "state", "rw", {"vocabulary": SUCCESS, "default": "unknown"}),
    ("cmi.suspend_data", "characterstring", "rw", {"spm": 64000, "default": None}),
    ("cmi.time_limit_action", "state", "ro", {"vocabulary": TIME_LIMIT_ACTIONS, "default": "continue,no message"}),
    ("cmi.total_time", "timeinterval", "ro", {"default": "PT0H0M0S"}),
    ("adl.nav.request", "nav_request", "rw", {"vocabulary": NAV_REQUESTS, "default": "_none_"}),
    ("adl.nav.request_valid.continue", "state", "ro", {"vocabulary": ("true", "false", "unknown"),
                                                        "default": "unknown"}),
    ("adl.nav.request_valid.previous", "state", "ro", {"vocabulary": ("true", "false", "unknown"),
                                                        "default": "unknown"}),
    ("adl.data.n.id", "long_identifier", "ro", {"spm": 4000}),
    ("adl.data.n.store", "characterstring", "rw", {"spm": 64000, "default": None}),
], [
    Collection("cmi.comments_from_learner", "comment,location,timestamp"),
    Collection("cmi.comments_from_lms", "comment,location,timestamp", appendable=False),
    Collection("cmi.interactions", "id,type,objectives,timestamp,correct_responses,weighting,learner_response,"
                                   "result,latency,description", key="id"),
    Collection("cmi.interactions.n.objectives", None, key="id"),
    Collection("cmi.interactions.n.correct_responses", None, key="pattern"),
    Collection("cmi.objectives", "id,score,success_status,completion_status,progress_measure,description",
               key="id"),
    Collection("adl.data", "id,store", appendable=False),
], {
    "cmi.learner_preference": "audio_level,language,delivery_speed,audio_captioning",
    "cmi.score": "scaled,raw,min,max",
    "cmi.objectives.n.score": "scaled,raw,min,max",
})

MODELS: dict[str, DataModel] = {"1.2": SCORM_12, "2004": SCORM_2004}


def model_for(version: str) -> DataModel:
    try:
        return MODELS[version]
    except KeyError:
        raise ValueError(f"unknown SCORM version {version!r}; use 1.2 or 2004") from None


@cache
def rules(version: str) -> dict[str, Any]:
    """Everything the browser adapter needs to judge a call exactly as the server will."""
    model = model_for(version)
    return {
        "version": model.version,
        "elements": {path: {k: v for k, v in asdict(el).items() if k != "path" and not _empty(v)}
                     | {"default": el.default} for path, el in model.elements.items()},
        "collections": {path: {k: v for k, v in asdict(c).items() if k != "path"}
                        for path, c in model.collections.items()},
        "groups": model.groups,
        "types": TYPES,
        "responses": RESPONSES if version == "2004" else {},
        "errors": {str(code): text for code, text in model.errors.items()},
        "codes": model.codes,
    }


def _empty(value: Any) -> bool:
    return value is None or value is False or value == ()


def all_rules() -> dict[str, Any]:
    return {version: rules(version) for version in MODELS}
