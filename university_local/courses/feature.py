from university_local.core.features import Feature
from university_local.courses.routes import router

FEATURE = Feature("courses", api=(router,))
