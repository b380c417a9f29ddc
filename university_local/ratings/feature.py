from university_local.core.features import Feature
from university_local.ratings.routes import router

FEATURE = Feature("ratings", api=(router,))
