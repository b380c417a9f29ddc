from university_local.core.features import Feature, Job
from university_local.webhooks.delivery import Deliverer
from university_local.webhooks.routes import router

FEATURE = Feature("webhooks", api=(router,), jobs=(
    Job("webhooks", lambda config: config.webhook_poll_seconds,
        lambda store, config: Deliverer(store, max_attempts=config.webhook_max_attempts,
                                        retry_base_seconds=config.webhook_retry_seconds).run_once),
))
