from university_local.core.features import Feature
from university_local.discussions.routes import router

FEATURE = Feature("discussions", api=(router,))
