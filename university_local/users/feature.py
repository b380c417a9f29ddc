from university_local.core.features import Feature
from university_local.users.routes import router

FEATURE = Feature("users", api=(router,))
