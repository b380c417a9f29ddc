from university_local.core.features import Feature
from university_local.modules.routes import router

FEATURE = Feature("modules", api=(router,))
