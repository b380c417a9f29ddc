"""The run-time API in Python: the state machine and the GetValue/SetValue rules of both versions.

This is the reference implementation. The browser adapter (static/scorm-api.js) is a line-by-line
port of it driven by the same rules (model.rules), and the tests replay identical call sequences
through both and compare every return value and error code. The server uses this engine to
check a commit: it replays the SCO's SetValue calls on the stored state, so a value the browser
accepted is accepted here, and a forged one is refused with the same error the SCO would have
seen.

Values are kept flat, one string per concrete element (`cmi.objectives.0.id`); the record
counts of collections follow from the keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scorm_player.cmi import datatypes as dt
from scorm_player.cmi.errors import CmiError
from scorm_player.cmi.model import Collection, DataModel, Element, model_for

NOT_INITIALIZED, RUNNING, TERMINATED = "not initialized", "running", "terminated"
INDEX = re.compile(r"0|[1-9][0-9]*")
TARGET = re.compile(r"\{target=([^\x00-\x20{}]+)\}")
DIAGNOSTIC_LIMIT = 255
_DIGIT = re.compile(r"\.[0-9]")

# The method names of each version, in the order: initialize, terminate, get, set, commit,
# last error, error string, diagnostic.
METHODS = {
    "1.2": ("LMSInitialize", "LMSFinish", "LMSGetValue", "LMSSetValue", "LMSCommit", "LMSGetLastError",
            "LMSGetErrorString", "LMSGetDiagnostic"),
    "2004": ("Initialize", "Terminate", "GetValue", "SetValue", "Commit", "GetLastError", "GetErrorString",
             "GetDiagnostic"),
}


@dataclass
class Navigation:
    """What the player can do next, for `adl.nav.request_valid.*` (SCORM 2004)."""

    can_continue: bool | None = None
    can_previous: bool | None = None
    choice: tuple[str, ...] | None = None  # items the learner may choose; None: unknown
    jump: tuple[str, ...] | None = None


@dataclass(frozen=True)
class _Path:
    pattern: str  # with `n` for indices: cmi.objectives.n.id
    concrete: str  # as called: cmi.objectives.0.id
    levels: tuple[tuple[str, str, int], ...]  # (collection pattern, concrete collection, index), outer first
    keyword: str | None  # _children / _count, applied to `pattern`


_RESOLVED: dict[tuple[str, str], _Path] = {}  # (version, element) -> its parse


@dataclass
class Engine:
    """One SCO session's API object."""

    model: DataModel
    values: dict[str, str] = field(default_factory=dict)
    navigation: Navigation = field(default_factory=Navigation)
    state: str = NOT_INITIALIZED
    last_error: int = 0
    diagnostic: str = ""
    changes: list[tuple[str, str]] = field(default_factory=list)  # successful SetValue calls not yet committed

    def __post_init__(self) -> None:
        self.counts: dict[str, int] = {}
        for key in self.values:
            self._count_records(key)

    @classmethod
    def for_version(cls, version: str, values: dict[str, str] | None = None,
                    navigation: Navigation | None = None) -> Engine:
        return cls(model_for(version), dict(values or {}), navigation or Navigation())

    @property
    def version(self) -> str:
        return self.model.version

    # -- the eight API calls -------------------------------------------------------------------

    def call(self, method: str, *args: Any) -> str:
        """Call an API function by its name in either version (LMSGetValue or GetValue)."""
        names = METHODS[self.version]
        handlers: tuple[Callable[..., str], ...] = (
            self.initialize, self.terminate, self.get_value, self.set_value, self.commit, self.get_last_error,
            self.get_error_string, self.get_diagnostic)
        for name, handler in zip(names, handlers, strict=True):
            if method == name:
                return handler(*(_text(a) for a in args))
        raise AttributeError(f"SCORM {self.version} has no API function {method}")

    def initialize(self, argument: str = "") -> str:
        if self.state == RUNNING:
            return self._fail("already_initialized", "The API is already initialized.")
        if self.state == TERMINATED:
            return self._fail("initialize_after_terminate", "The session has ended; it cannot be initialized again.")
        if argument != "":
            return self._fail("argument", "The argument must be an empty string.")
        self.state = RUNNING
        return self._ok("true")

    def terminate(self, argument: str = "") -> str:
        if self.state == NOT_INITIALIZED:
            return self._fail("terminate_before_initialize", "The API was never initialized.")
        if self.state == TERMINATED:
            return self._fail("terminate_after_terminate", "The API was already terminated.")
        if argument != "":
            return self._fail("argument", "The argument must be an empty string.")
        self.state = TERMINATED
        return self._ok("true")

    def commit(self, argument: str = "") -> str:
        if self.state == NOT_INITIALIZED:
            return self._fail("commit_before_initialize", "The API is not initialized.")
        if self.state == TERMINATED:
            return self._fail("commit_after_terminate", "The API was terminated.")
        if argument != "":
            return self._fail("argument", "The argument must be an empty string.")
        self.changes = []
        return self._ok("true")

    def get_value(self, element: str) -> str:
        if self.state == NOT_INITIALIZED:
            return self._fail("get_before_initialize", "The API is not initialized.", "")
        if self.state == TERMINATED:
            return self._fail("get_after_terminate", "The API was terminated.", "")
        try:
            return self._ok(self.get(element))
        except CmiError as err:
            return self._fail(err.kind, err.diagnostic, "")

    def set_value(self, element: str, value: str) -> str:
        if self.state == NOT_INITIALIZED:
            return self._fail("set_before_initialize", "The API is not initialized.")
        if self.state == TERMINATED:
            return self._fail("set_after_terminate", "The API was terminated.")
        try:
            self.set(element, value)
        except CmiError as err:
            return self._fail(err.kind, err.diagnostic)
        self.changes.append((element, value))
        return self._ok("true")

    def get_last_error(self) -> str:
        return str(self.last_error)

    def get_error_string(self, code: str) -> str:
        return self.model.errors.get(_code(code), "") if _code(code) is not None else ""  # type: ignore[arg-type]

    def get_diagnostic(self, code: str = "") -> str:
        if code == "" or _code(code) == self.last_error:
            text = self.diagnostic or self.model.errors[self.last_error]
        else:
            number = _code(code)
            text = self.model.errors.get(number, "") if number is not None else ""
        return text[:DIAGNOSTIC_LIMIT]

    def _ok(self, result: str) -> str:
        self.last_error, self.diagnostic = 0, ""
        return result

    def _fail(self, kind: str, diagnostic: str, result: str = "false") -> str:
        self.last_error = self.model.codes[kind]
        self.diagnostic = diagnostic
        return result

    # -- data model ----------------------------------------------------------------------------

    def get(self, element: str) -> str:
        """The value of `element`, or CmiError."""
        if element == "":
            raise CmiError("get_empty", "GetValue needs a data model element.")
        nav = self._navigation_target(element)
        if nav is not None:
            kind, target = nav
            targets = self.navigation.choice if kind == "choice" else self.navigation.jump
            return "unknown" if targets is None else _bool(target in targets)
        path = self._resolve(element)
        if path.keyword == "_children":
            children = self.model.groups.get(path.pattern)
            collection = self.model.collections.get(path.pattern)
            if collection is not None and collection.children is not None:
                children = collection.children
            if children is None:
                if path.pattern in self.model.elements or collection is not None:
                    raise CmiError("no_children", f"{path.pattern} has no children.")
                raise CmiError("undefined", f"{element} is not a data model element.")
            self._check_records(path, element)
            return children
        if path.keyword == "_count":
            if path.pattern not in self.model.collections:
                if path.pattern in self.model.elements or path.pattern in self.model.groups:
                    raise CmiError("no_count", f"{path.pattern} is not a collection.")
                raise CmiError("undefined", f"{element} is not a data model element.")
            self._check_records(path, element)
            return str(self.counts.get(path.concrete, 0))
        definition = self.model.elements.get(path.pattern)
        if definition is None:
            raise CmiError("undefined", f"{element} is not a data model element.")
        if definition.access == "wo":
            raise CmiError("write_only", f"{element} is write-only.")
        self._check_records(path, element)
        if self.version == "2004" and path.concrete in ("cmi.completion_status", "cmi.success_status"):
            return self.evaluated_status(path.concrete)
        value = self.values.get(path.concrete)
        if value is None:
            value = definition.default
        if value is None:
            raise CmiError("not_initialized", f"{element} has not been set.")
        return value

    def set(self, element: str, value: str) -> None:
        """Store `value` in `element`, or CmiError (nothing stored)."""
        if element == "":
            raise CmiError("set_empty", "SetValue needs a data model element.")
        if self._navigation_target(element) is not None:
            raise CmiError("read_only", f"{element} is read-only.")
        path = self._resolve(element)
        if path.keyword is not None:
            if (path.pattern in self.model.collections or path.pattern in self.model.groups
                    or path.pattern in self.model.elements):
                raise CmiError("set_keyword", f"{path.keyword} is a keyword; it cannot be set.")
            raise CmiError("undefined", f"{element} is not a data model element.")
        definition = self.model.elements.get(path.pattern)
        if definition is None:
            raise CmiError("undefined", f"{element} is not a data model element.")
        if definition.keyword:
            raise CmiError("set_keyword", f"{element} is a keyword; it cannot be set.")
        if definition.access == "ro":
            raise CmiError("read_only", f"{element} is read-only.")
        created = self._new_records(path, element)
        indices = [index for _, _, index in path.levels]
        if definition.requires is not None:
            required = _concrete(definition.requires, indices)
            if required not in self.values:
                raise CmiError("dependency", f"{required} must be set before {element}.")
        self._validate(definition, value, path, indices, bool(created))
        if definition.unique:
            self._check_unique(definition, value, path, element)
        for collection in created:
            self.counts[collection] = self.counts.get(collection, 0) + 1
        self.values[path.concrete] = value

    # -- helpers ---------------------------------------------------------------------------------

    def _navigation_target(self, element: str) -> tuple[str, str] | None:
        if self.version != "2004":
            return None
        for kind in ("choice", "jump"):
            prefix = f"adl.nav.request_valid.{kind}."
            if element.startswith(prefix):
                match = TARGET.fullmatch(element[len(prefix):])
                if match is None:
                    raise CmiError("undefined", f"{element} is not a data model element.")
                return kind, match.group(1)
        return None

    def _resolve(self, element: str) -> _Path:
        """The element's pattern and indices (cached: a SCO sets the same elements over and over)."""
        key = (self.model.version, element)
        path = _RESOLVED.get(key)
        if path is None:
            path = self._parse(element)
            if len(_RESOLVED) > 20_000:
                _RESOLVED.clear()
            _RESOLVED[key] = path
        return path

    def _parse(self, element: str) -> _Path:
        parts = element.split(".")
        pattern: list[str] = []
        concrete: list[str] = []
        levels: list[tuple[str, str, int]] = []
        for position, part in enumerate(parts):
            base = ".".join(pattern)
            if position > 0 and position == len(parts) - 1 and part in ("_children", "_count"):
                return _Path(base, ".".join(concrete), tuple(levels), part)
            if position > 0 and base in self.model.collections:
                if INDEX.fullmatch(part) is None:
                    raise CmiError("undefined", f"{element} is not a data model element.")
                levels.append((base, ".".join(concrete), int(part)))
                pattern.append("n")
            else:
                pattern.append(part)
            concrete.append(part)
        return _Path(".".join(pattern), ".".join(concrete), tuple(levels), None)

    def _check_records(self, path: _Path, element: str) -> None:
        """Every index of a read must name an existing record."""
        for _, collection, index in path.levels:
            if index >= self.counts.get(collection, 0):
                raise CmiError("get_index", f"{element}: there is no record {index} in {collection}.")

    def _new_records(self, path: _Path, element: str) -> list[str]:
        """The collections a write adds a record to (at most the next index of each)."""
        created = []
        for depth, (pattern, collection, index) in enumerate(path.levels):
            count = self.counts.get(collection, 0)
            if index < count:
                continue
            definition: Collection = self.model.collections[pattern]
            if index > count or not definition.appendable:
                raise CmiError("set_index", f"{element}: records of {collection} are numbered 0 to {count} "
                                            f"(the next); {index} is out of range.")
            if self.version == "2004":
                leaf = path.pattern[len(pattern) + 3:]
                if depth < len(path.levels) - 1 or (definition.key is not None and leaf != definition.key):
                    key = f"{collection}.{index}.{definition.key if depth == len(path.levels) - 1 else '…'}"
                    raise CmiError("dependency", f"{key} must be set before {element}.")
            created.append(collection)
        return created

    def _validate(self, el: Element, value: str, path: _Path, indices: list[int], new_record: bool) -> None:
        spec = dt.TYPES[el.type]
        kind = spec["kind"]
        mismatch = CmiError("type_mismatch", f"{value[:80]!r} is not a valid {el.type} value for {path.concrete}.")
        limit = spec.get("max", el.spm)
        if kind == "text":
            if limit is not None and dt.length(value) > limit:
                raise CmiError("type_mismatch", f"{path.concrete} holds at most {limit} characters.")
        elif kind == "regex":
            if not dt.matches(spec["pattern"], value):
                raise mismatch
            if limit is not None and dt.length(value) > limit:
                raise CmiError("type_mismatch", f"{path.concrete} holds at most {limit} characters.")
        elif kind == "number":
            if spec.get("blank") and value == "":
                return
            if not dt.matches(spec["pattern"], value):
                raise mismatch
            number = float(value)
            if (el.minimum is not None and number < el.minimum) or (el.maximum is not None and number > el.maximum):
                raise CmiError("out_of_range", f"{path.concrete} must be between {_bound(el.minimum)} and "
                                               f"{_bound(el.maximum)}.")
        elif kind == "vocabulary":
            if value not in el.vocabulary:
                raise mismatch
        elif kind == "vocabulary_or_number":
            if value not in el.vocabulary and not dt.matches(spec["pattern"], value):
                raise mismatch
        elif kind == "localized":
            text = dt.localized_text(value)
            if text is None:
                raise mismatch
            if limit is not None and dt.length(text) > limit:
                raise CmiError("type_mismatch", f"{path.concrete} holds at most {limit} characters.")
        elif kind == "nav_request":
            if value not in el.vocabulary and not dt.matches(spec["pattern"], value):
                raise mismatch
        elif kind == "response":
            interaction_type = self.values[_concrete("cmi.interactions.n.type", indices)]
            response = dt.RESPONSES[interaction_type]
            if spec["field"] == "pattern" and new_record and response.get("max_patterns") is not None \
                    and indices[-1] >= response["max_patterns"]:
                raise CmiError("set_failure", f"A {interaction_type} interaction has at most "
                                              f"{response['max_patterns']} correct response(s).")
            if not dt.check_response(interaction_type, spec["field"], value):
                raise CmiError("type_mismatch", f"{value[:80]!r} is not a valid {spec['field']} for a "
                                                f"{interaction_type} interaction.")
        else:  # pragma: no cover - the model names only the kinds above
            raise AssertionError(kind)

    def _check_unique(self, el: Element, value: str, path: _Path, element: str) -> None:
        current = self.values.get(path.concrete)
        if current is not None and current != value:
            raise CmiError("set_failure", f"{element} is already {current!r}; an identifier cannot change.")
        _, collection, own = path.levels[-1]
        leaf = path.pattern.rsplit(".n.", 1)[1]
        for index in range(self.counts.get(collection, 0)):
            if index != own and self.values.get(f"{collection}.{index}.{leaf}") == value:
                raise CmiError("set_failure", f"{value!r} is already the identifier of {collection}.{index}.")

    def evaluated_status(self, element: str) -> str:
        return evaluated_status(self.values, element)

    def _count_records(self, key: str) -> None:
        if _DIGIT.search(key) is None:
            return  # no index: not in a collection
        parts = key.split(".")
        pattern: list[str] = []
        for position, part in enumerate(parts):
            base = ".".join(pattern)
            if position > 0 and base in self.model.collections and INDEX.fullmatch(part):
                collection = ".".join(parts[:position])
                self.counts[collection] = max(self.counts.get(collection, 0), int(part) + 1)
                pattern.append("n")
            else:
                pattern.append(part)


def evaluated_status(values: dict[str, str], element: str) -> str:
    """SCORM 2004 RTE 4.2.4.1 and 4.2.22.1: with a threshold (passing score) the LMS decides the
    status from progress_measure (score.scaled), and "unknown" until there is one."""
    if element == "cmi.completion_status":
        threshold, measure = values.get("cmi.completion_threshold"), values.get("cmi.progress_measure")
        if threshold is not None:
            if measure is None:
                return "unknown"
            return "completed" if float(measure) >= float(threshold) else "incomplete"
        return values.get(element, "unknown")
    passing, scaled = values.get("cmi.scaled_passing_score"), values.get("cmi.score.scaled")
    if passing is not None:
        if scaled is None:
            return "unknown"
        return "passed" if float(scaled) >= float(passing) else "failed"
    return values.get(element, "unknown")


def _concrete(pattern: str, indices: list[int]) -> str:
    parts, remaining = [], iter(indices)
    for part in pattern.split("."):
        parts.append(str(next(remaining)) if part == "n" else part)
    return ".".join(parts)


def _code(text: str) -> int | None:
    """An error number as the SCO wrote it; only the canonical spelling ("101", not "0101")."""
    return int(text) if INDEX.fullmatch(text) else None


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _bound(value: float | None) -> str:
    return "any" if value is None else dt.format_real(value)


def _text(value: Any) -> str:
    """What JavaScript's String(value) gives for the values a SCO passes."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
