from functools import partial

from university_local.core.features import Feature, Job
from university_local.enrollments.routes import router
from university_local.enrollments.service import expire_due

FEATURE = Feature("enrollments", api=(router,), jobs=(
    Job("expiry", lambda config: config.expiry_interval_seconds, lambda store, config: partial(expire_due, store)),
))
