"""The data types of the two CMI data models: their formats, and the parsers for time and scores.

Every format is a regular expression written in the subset that Python's `re` and JavaScript's
`RegExp` read the same way (no `\\d`, `\\w`, `\\s` or `.`, whose meaning differs; explicit
character ranges instead). Patterns are stored unanchored: Python checks them with
`re.fullmatch`, the browser with `^(?:...)$`. The browser adapter receives this table as JSON
(see `model.rules`), so a value is judged by the same expression in both places.

Lengths ("smallest permitted maximum", SPM) are counted in Unicode code points in both.
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

# -- shared fragments --------------------------------------------------------------------------

DECIMAL = r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"  # SCORM 1.2 CMIDecimal, SCORM 2004 real(10,7)
SINTEGER = r"-?[0-9]+"
# SCORM 1.2 CMITimespan HHHH:MM:SS.SS (2 to 4 digits of hours; minutes and seconds may exceed 59,
# which the standard permits for very long sessions).
TIMESPAN = r"[0-9]{2,4}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,2})?"
TIME12 = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,2})?"  # SCORM 1.2 CMITime
# SCORM 1.2 CMIIdentifier: no white space, no unprintable characters, at most 255 of them.
IDENTIFIER12 = r"[^\x00-\x20\x7f]{1,255}"
# SCORM 2004 long/short_identifier_type: a URI; a URN needs its namespace identifier.
URI = r"(?:[uU][rR][nN]:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[^\x00-\x20\x7f]+|(?![uU][rR][nN]:)[^\x00-\x20\x7f]+)"
LANGUAGE = r"(?:(?:[A-Za-z]{2,3}|[iIxX])(?:-[A-Za-z0-9]{1,8})*)?"  # RFC 3066, or empty
# SCORM 2004 time(second,10,0): YYYY[-MM[-DD[Thh[:mm[:ss[.s][TZD]]]]]], years 1970 to 2038.
TIMESTAMP = (
    r"(?:19[7-9][0-9]|20[0-2][0-9]|203[0-8])"
    r"(?:-(?:0[1-9]|1[0-2])"
    r"(?:-(?:0[1-9]|[12][0-9]|3[01])"
    r"(?:T(?:[01][0-9]|2[0-3])"
    r"(?::[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)?"
    r")?)?)?"
)
# SCORM 2004 timeinterval(second,10,2): ISO 8601 duration, P[nY][nM][nD][T[nH][nM][n[.n]S]],
# at least one part, and a T only before a time part.
DURATION = (
    r"P(?=[0-9T])(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+D)?"
    r"(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?"
)
NAV_TARGET = r"\{target=[^\x00-\x20{}]+\}(?:choice|jump)"

# -- types -------------------------------------------------------------------------------------
# kind: text (length only) | regex | number (format, then range) | vocabulary |
#       vocabulary_or_number | localized ({lang=..} prefix, then length) | nav_request | response
TYPES: dict[str, dict[str, Any]] = {
    # SCORM 1.2
    "CMIString255": {"kind": "text", "max": 255},
    "CMIString4096": {"kind": "text", "max": 4096},
    "CMIIdentifier": {"kind": "regex", "pattern": IDENTIFIER12},
    "CMIDecimal": {"kind": "number", "pattern": DECIMAL},
    "CMIDecimalOrBlank": {"kind": "number", "pattern": DECIMAL, "blank": True},
    "CMISInteger": {"kind": "number", "pattern": SINTEGER},
    "CMITimespan": {"kind": "regex", "pattern": TIMESPAN},
    "CMITime": {"kind": "regex", "pattern": TIME12},
    "CMIVocabulary": {"kind": "vocabulary"},
    "CMIFeedback": {"kind": "text", "max": 255},
    "CMIResult": {"kind": "vocabulary_or_number", "pattern": DECIMAL},
    # SCORM 2004
    "characterstring": {"kind": "text"},
    "localized_string": {"kind": "localized"},
    "language": {"kind": "regex", "pattern": LANGUAGE},
    "long_identifier": {"kind": "regex", "pattern": URI},
    "short_identifier": {"kind": "regex", "pattern": URI},
    "real": {"kind": "number", "pattern": DECIMAL},
    "time": {"kind": "regex", "pattern": TIMESTAMP},
    "timeinterval": {"kind": "regex", "pattern": DURATION},
    "state": {"kind": "vocabulary"},
    "result": {"kind": "vocabulary_or_number", "pattern": DECIMAL},
    "nav_request": {"kind": "nav_request", "pattern": NAV_TARGET},
    "learner_response": {"kind": "response", "field": "learner_response"},
    "correct_pattern": {"kind": "response", "field": "pattern"},
}

# -- interaction responses (SCORM 2004 RTE 4.2.9.1 and 4.2.9.2) -------------------------------
# For each interaction type, the format of `learner_response` and of `correct_responses.n.pattern`:
# options: `{name=true|false}` blocks the pattern may start with; list: items separated by "[,]";
# item: the format of one item; empty: "" is allowed (no item); unique: items may not repeat.
# max_patterns: how many correct_responses the type may have.
# Inside a response an identifier cannot hold the "[,]" / "[.]" delimiters' brackets.
_ID = URI.replace(r"\x7f]", r"\x7f\[\]]")
_SID = {"pattern": _ID, "max": 250}
_STEP = {"pattern": r"(?:" + _ID + r")?\[\.\][\s\S]{0,250}", "max": None, "not": r"\[\.\]"}
_PAIR = {"pattern": _ID + r"\[\.\]" + _ID, "max": None}
_REAL = {"pattern": DECIMAL, "max": None}
_RANGE = {"pattern": DECIMAL + r"|(?:" + DECIMAL + r")?\[:\](?:" + DECIMAL + r")?", "max": None}
RESPONSES: dict[str, dict[str, Any]] = {
    "true-false": {
        "learner_response": {"item": {"pattern": "true|false"}},
        "pattern": {"item": {"pattern": "true|false"}},
        "max_patterns": 1,
    },
    "choice": {
        "learner_response": {"list": True, "item": _SID, "empty": True, "unique": True},
        "pattern": {"list": True, "item": _SID, "empty": True, "unique": True},
    },
    "fill-in": {
        "learner_response": {"list": True, "item": {"localized": True, "max": 250}},
        "pattern": {"options": ["case_matters", "order_matters"], "list": True,
                    "item": {"localized": True, "max": 250}},
    },
    "long-fill-in": {
        "learner_response": {"item": {"localized": True, "max": 4000}},
        "pattern": {"options": ["case_matters"], "item": {"localized": True, "max": 4000}},
    },
    "likert": {
        "learner_response": {"item": _SID},
        "pattern": {"item": _SID},
        "max_patterns": 1,
    },
    "matching": {
        "learner_response": {"list": True, "item": _PAIR},
        "pattern": {"list": True, "item": _PAIR},
    },
    "performance": {
        "learner_response": {"list": True, "item": _STEP},
        "pattern": {"options": ["order_matters"], "list": True, "item": _STEP},
    },
    "sequencing": {
        "learner_response": {"list": True, "item": _SID},
        "pattern": {"list": True, "item": _SID},
    },
    "numeric": {
        "learner_response": {"item": _REAL},
        "pattern": {"item": _RANGE},
        "max_patterns": 1,
    },
    "other": {
        "learner_response": {"item": {"max": 4000}},
        "pattern": {"item": {"max": 4000}},
        "max_patterns": 1,
    },
}
OPTION = r"\{(case_matters|order_matters)=(true|false)\}"


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def matches(pattern: str, value: str) -> bool:
    return _compiled(pattern).fullmatch(value) is not None


def length(value: str) -> int:
    """Characters as SCORM counts them: code points (the browser counts the same way)."""
    return len(value)


def localized_text(value: str) -> str | None:
    """The text of a localized_string_type value without its `{lang=..}` prefix; None if the
    prefix is malformed."""
    if not value.startswith("{lang="):
        return value
    end = value.find("}")
    if end < 0 or not matches(LANGUAGE, value[6:end]) or end == 6:
        return None
    return value[end + 1:]


def check_response(interaction_type: str, field: str, value: str) -> bool:
    """Whether `value` is a well-formed learner_response / pattern for the interaction type."""
    spec = RESPONSES[interaction_type][field]
    allowed = spec.get("options") or []
    seen: set[str] = set()
    while value.startswith("{"):
        option = _compiled(OPTION).match(value)
        if option is None or option.group(1) not in allowed or option.group(1) in seen:
            break  # not an option block: the braces belong to the content (e.g. {lang=..})
        seen.add(option.group(1))
        value = value[option.end():]
    if spec.get("list"):
        if value == "":
            return bool(spec.get("empty"))
        items = value.split("[,]")
    else:
        items = [value]
    if spec.get("unique") and len(set(items)) != len(items):
        return False
    return all(_check_item(spec["item"], item) for item in items)


def _check_item(item: dict[str, Any], value: str) -> bool:
    if item.get("localized"):
        text = localized_text(value)
        if text is None:
            return False
        value_len = length(text)
    else:
        value_len = length(value)
    if item.get("max") is not None and value_len > item["max"]:
        return False
    if item.get("pattern") is not None and not matches(item["pattern"], value):
        return False
    return item.get("not") is None or not matches(item["not"], value)


# -- time and scores -----------------------------------------------------------------------------
# Durations are counted in hundredths of a second: the precision both standards require, and an
# integer, so sums are exact. Years and months are the "average" ones the reference players use
# (365.25 days; 30.4375 days).

HUNDREDTHS = {"Y": 3_155_760_000, "M": 262_980_000, "D": 8_640_000, "H": 360_000, "TM": 6_000, "S": 100}
_DURATION_PARTS = re.compile(
    r"P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?"
)


def parse_duration(value: str) -> int:
    """A SCORM 2004 timeinterval in hundredths of a second; ValueError if malformed."""
    if not matches(DURATION, value):
        raise ValueError(f"not a SCORM 2004 duration: {value!r}")
    match = _DURATION_PARTS.fullmatch(value)
    assert match is not None
    years, months, days, hours, minutes, seconds = match.groups()
    total = 0
    for part, unit in ((years, "Y"), (months, "M"), (days, "D"), (hours, "H"), (minutes, "TM")):
        if part:
            total += int(part) * HUNDREDTHS[unit]
    if seconds:
        total += _hundredths(seconds)
    return total


def format_duration(hundredths: int) -> str:
    """Hundredths of a second as a SCORM 2004 timeinterval: `PT0H0M0S` for nothing, otherwise
    days, hours, minutes and seconds with the zero parts left out (`P29D`, `PT2H20S`)."""
    if hundredths <= 0:
        return "PT0H0M0S"
    days, rest = divmod(hundredths, HUNDREDTHS["D"])
    hours, rest = divmod(rest, HUNDREDTHS["H"])
    minutes, rest = divmod(rest, HUNDREDTHS["TM"])
    whole, fraction = divmod(rest, 100)
    text = "P" + (f"{days}D" if days else "")
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if rest:
        time += f"{whole}.{fraction:02d}".rstrip("0").rstrip(".") + "S"
    return text + ("T" + time if time else "")


def parse_timespan(value: str) -> int:
    """A SCORM 1.2 CMITimespan (HHHH:MM:SS.SS) in hundredths of a second."""
    if not matches(TIMESPAN, value):
        raise ValueError(f"not a SCORM 1.2 timespan: {value!r}")
    hours, minutes, seconds = value.split(":")
    return int(hours) * HUNDREDTHS["H"] + int(minutes) * HUNDREDTHS["TM"] + _hundredths(seconds)


def format_timespan(hundredths: int) -> str:
    """Hundredths of a second as a SCORM 1.2 CMITimespan, `0000:00:00.00` style; 9999 hours at most."""
    hundredths = max(0, min(hundredths, 9999 * HUNDREDTHS["H"] + 59 * HUNDREDTHS["TM"] + 5999))
    hours, rest = divmod(hundredths, HUNDREDTHS["H"])
    minutes, rest = divmod(rest, HUNDREDTHS["TM"])
    seconds, fraction = divmod(rest, 100)
    return f"{hours:04d}:{minutes:02d}:{seconds:02d}.{fraction:02d}"


def parse_time_value(version: str, value: str) -> int:
    """session_time / total_time of either version, in hundredths of a second."""
    return parse_timespan(value) if version == "1.2" else parse_duration(value)


def format_time_value(version: str, hundredths: int) -> str:
    return format_timespan(hundredths) if version == "1.2" else format_duration(hundredths)


def _hundredths(seconds: str) -> int:
    whole, _, fraction = seconds.partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])


def parse_real(value: str) -> float:
    """A CMIDecimal / real(10,7) value; ValueError if malformed or not finite."""
    if not matches(DECIMAL, value):
        raise ValueError(f"not a decimal number: {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def format_real(number: float) -> str:
    """A number as the LMS hands it to a SCO: no exponent, no needless digits (0.8, 1, -0.5)."""
    text = f"{number:.7f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
