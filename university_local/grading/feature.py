from university_local.core.features import Feature
from university_local.grading.routes import router

FEATURE = Feature("grading", api=(router,))
