"""Scheduled work inside the server process (APScheduler): the jobs the features declare."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler

from university_local.core.config import Config
from university_local.core.db import Store
from university_local.core.features import Job


def start_jobs(store: Store, config: Config, jobs: Iterable[Job]) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
    for job in jobs:
        scheduler.add_job(job.start(store, config), "interval", seconds=job.seconds(config), id=job.id)
    scheduler.start()
    return scheduler
