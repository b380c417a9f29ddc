"""Organisations and their API keys: the names and patterns they use.

The tenant itself and the caller's scope are core/scope.py: every feature scopes by them.
"""

from __future__ import annotations

import re
from typing import Literal

KeyType = Literal["secret", "publishable"]

APP_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
ENV_NAMES = {"test": "staging", "live": "production"}
