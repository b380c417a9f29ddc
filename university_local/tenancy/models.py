"""Tenants and callers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Environment = Literal["test", "live"]
KeyType = Literal["secret", "publishable"]

APP_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
ENV_NAMES = {"test": "staging", "live": "production"}


@dataclass(frozen=True)
class Tenant:
    """The hard partition: one organisation in one environment."""

    app_id: str
    env: Environment


@dataclass(frozen=True)
class Principal:
    """The caller of one request, as its API key says."""

    key_id: str
    tenant: Tenant
    key_type: KeyType

    @property
    def can_write(self) -> bool:
        """Secret keys may do everything; publishable keys only read what is published."""
        return self.key_type == "secret"
