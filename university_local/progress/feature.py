from university_local.core.features import Feature
from university_local.progress.routes import router

FEATURE = Feature("progress", api=(router,))
