from university_local.assignments.routes import router
from university_local.core.features import Feature

FEATURE = Feature("assignments", api=(router,))
