from functools import partial

from university_local.analytics.rollups import catch_up
from university_local.analytics.routes import router
from university_local.core.features import Feature, Job

# Analytics reads fold what is pending themselves; this keeps what is pending small. It folds at
# most a fifth of the time (pause 4.0), so that under a burst of progress writes the writer process
# gives them four fifths of its time (bench/README.md).
FEATURE = Feature("analytics", api=(router,), jobs=(
    Job("rollups", lambda config: 30, lambda store, config: partial(catch_up, store, pause=4.0)),
))
