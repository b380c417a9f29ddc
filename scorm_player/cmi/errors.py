"""The error codes of the two run-time APIs, their strings, and what each failure is called.

The SCO sees numbers as strings ("0", "101", ...). Both adapters (this Python engine and the
browser's scorm-api.js) name a failure by its *kind* (`read_only`, `type_mismatch`, ...) and look
its number up in the version's `CODES`, so the two standards' different numbering is written
down once, here.
"""

from __future__ import annotations

# SCORM 1.2 RTE, section 3.3 (LMSGetErrorString).
ERRORS_12: dict[int, str] = {
    0: "No error",
    101: "General exception",
    201: "Invalid argument error",
    202: "Element cannot have children",
    203: "Element not an array - cannot have count",
    301: "Not initialized",
    401: "Not implemented error",
    402: "Invalid set value, element is a keyword",
    403: "Element is read only",
    404: "Element is write only",
    405: "Incorrect Data Type",
}

# SCORM 2004 4th edition RTE, table 3.1.7a.
ERRORS_2004: dict[int, str] = {
    0: "No Error",
    101: "General Exception",
    102: "General Initialization Failure",
    103: "Already Initialized",
    104: "Content Instance Terminated",
    111: "General Termination Failure",
    112: "Termination Before Initialization",
    113: "Termination After Termination",
    122: "Retrieve Data Before Initialization",
    123: "Retrieve Data After Termination",
    132: "Store Data Before Initialization",
    133: "Store Data After Termination",
    142: "Commit Before Initialization",
    143: "Commit After Termination",
    201: "General Argument Error",
    301: "General Get Failure",
    351: "General Set Failure",
    391: "General Commit Failure",
    401: "Undefined Data Model Element",
    402: "Unimplemented Data Model Element",
    403: "Data Model Element Value Not Initialized",
    404: "Data Model Element Is Read Only",
    405: "Data Model Element Is Write Only",
    406: "Data Model Element Type Mismatch",
    407: "Data Model Element Value Out Of Range",
    408: "Data Model Dependency Not Established",
}

# Failure kind -> (SCORM 1.2 code, SCORM 2004 code). SCORM 1.2 has no "value not initialised"
# error: such a read answers "" with code 0.
KINDS: dict[str, tuple[int, int]] = {
    "general": (101, 101),
    "already_initialized": (101, 103),
    "initialize_after_terminate": (101, 104),
    "terminate_before_initialize": (301, 112),
    "terminate_after_terminate": (301, 113),
    "get_before_initialize": (301, 122),
    "get_after_terminate": (301, 123),
    "set_before_initialize": (301, 132),
    "set_after_terminate": (301, 133),
    "commit_before_initialize": (301, 142),
    "commit_after_terminate": (301, 143),
    "argument": (201, 201),
    "get_empty": (201, 301),
    "set_empty": (201, 351),
    "get_index": (201, 301),
    "set_index": (201, 351),
    "set_failure": (101, 351),
    "commit_failure": (101, 391),
    "undefined": (401, 401),
    "no_children": (202, 301),
    "no_count": (203, 301),
    "set_keyword": (402, 404),
    "read_only": (403, 404),
    "write_only": (404, 405),
    "not_initialized": (0, 403),
    "type_mismatch": (405, 406),
    "out_of_range": (405, 407),
    "dependency": (201, 408),
}


def errors_for(version: str) -> dict[int, str]:
    return ERRORS_12 if version == "1.2" else ERRORS_2004


def codes_for(version: str) -> dict[str, int]:
    """Failure kind -> error number, for one version."""
    column = 0 if version == "1.2" else 1
    return {kind: codes[column] for kind, codes in KINDS.items()}


class CmiError(Exception):
    """A failed API call: its kind (see KINDS) and a diagnostic for GetDiagnostic."""

    def __init__(self, kind: str, diagnostic: str) -> None:
        super().__init__(diagnostic)
        assert kind in KINDS, kind
        self.kind = kind
        self.diagnostic = diagnostic
