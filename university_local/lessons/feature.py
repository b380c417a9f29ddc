from university_local.core.features import Feature
from university_local.lessons.content import CONTENT_MODELS
from university_local.lessons.routes import router

FEATURE = Feature("lessons", api=(router,), schemas=tuple(CONTENT_MODELS.values()))
