from functools import partial

from university_local.core.features import Feature, Job
from university_local.quizzes.routes import router
from university_local.quizzes.service import close_expired_attempts

FEATURE = Feature("quizzes", api=(router,), jobs=(
    Job("quiz-deadlines", lambda config: config.expiry_interval_seconds,
        lambda store, config: partial(close_expired_attempts, store)),
))
