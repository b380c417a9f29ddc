"""Prefixed, globally unique, time-sortable ids (`course-01jd...`).

Records are created offline at many sites and merged later, so ids are ULIDs: 48 bits of
millisecond time and 80 random bits, Crockford base32, lower case. Within one process the
generator is monotonic, so ids created in the same millisecond still sort in creation order.
"""

from __future__ import annotations

import secrets
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_lock = threading.Lock()
_last_ms = 0
_last_rand = 0


def _encode(value: int) -> str:
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def ulid() -> str:
    """A new lower-case ULID, strictly greater than the previous one from this process."""
    global _last_ms, _last_rand
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms, rand = _last_ms, _last_rand + 1
            if rand >= 1 << 80:  # random part exhausted within one millisecond
                ms, rand = ms + 1, secrets.randbits(79)
        else:
            rand = secrets.randbits(79)  # headroom so increments never overflow in practice
        _last_ms, _last_rand = ms, rand
    return _encode((ms << 80) | rand)


def new_id(prefix: str) -> str:
    """An API id such as `course-01jd8v...`."""
    return f"{prefix}-{ulid()}"
