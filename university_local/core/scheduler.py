"""Scheduled work inside the server process (APScheduler). Every job is idempotent."""

from __future__ import annotations

from datetime import timezone

from apscheduler.schedulers.background import BackgroundScheduler

from university_local.analytics.rollups import catch_up
from university_local.core.config import Config
from university_local.core.db import Store
from university_local.enrollments.service import expire_due
from university_local.quizzes.service import close_expired_attempts
from university_local.tenancy.apps import refresh_utc_offsets
from university_local.webhooks.delivery import Deliverer


def start_jobs(store: Store, config: Config) -> BackgroundScheduler:
    deliverer = Deliverer(store, max_attempts=config.webhook_max_attempts,
                          retry_base_seconds=config.webhook_retry_seconds)
    scheduler = BackgroundScheduler(timezone=timezone.utc, job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(deliverer.run_once, "interval", seconds=config.webhook_poll_seconds, id="webhooks")
    scheduler.add_job(expire_due, "interval", args=[store], seconds=config.expiry_interval_seconds, id="expiry")
    scheduler.add_job(close_expired_attempts, "interval", args=[store], seconds=config.expiry_interval_seconds,
                      id="quiz-deadlines")
    # Daylight saving moves a zone's offset; activity is dated with the offset now in force.
    scheduler.add_job(refresh_utc_offsets, "interval", args=[store], minutes=5, id="utc-offsets")
    # Analytics reads fold what is pending themselves; this keeps what is pending small. It folds
    # at most a fifth of the time, so that under a burst of progress writes the writer process
    # gives them four fifths of its time; under the progress benchmark's load that still folds
    # about 4,000 log rows a second (bench/README.md).
    scheduler.add_job(catch_up, "interval", args=[store], kwargs={"pause": 4.0}, seconds=30, id="rollups")
    scheduler.start()
    return scheduler
