"""What a feature plugs into the app: its routes, its scheduled jobs and its start-up duties.

Each feature declares one `Feature` in its `feature.py`; `app.py` collects them. The ground floor
(`core/`) knows the shape of a feature, never a feature itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from university_local.core.config import Config
from university_local.core.db import Store
from university_local.core.routing import Router


@dataclass(frozen=True)
class Job:
    """Scheduled work, run every `seconds(config)` in the server process. Idempotent: a restart
    or a double run changes nothing. `start` builds the callable once, when the scheduler starts."""

    id: str
    seconds: Callable[[Config], float]
    start: Callable[[Store, Config], Callable[[], object]]


@dataclass(frozen=True)
class Feature:
    name: str
    api: tuple[Router, ...] = ()  # under the API prefix
    pages: tuple[Router, ...] = ()  # at the server's root: public pages and files
    web: tuple[Router, ...] = ()  # the learner web app, at the root; pages for people, not in the API document
    jobs: tuple[Job, ...] = ()
    on_start: tuple[Callable[[Store, Config], object], ...] = ()  # before the first request
    schemas: tuple[type[BaseModel], ...] = ()  # models the OpenAPI document lists beside the routes'
