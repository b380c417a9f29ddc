from university_local.core.features import Feature
from university_local.reports.routes import router

FEATURE = Feature("reports", api=(router,))
