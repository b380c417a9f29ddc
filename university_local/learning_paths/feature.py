from university_local.core.features import Feature
from university_local.learning_paths.routes import router

FEATURE = Feature("learning_paths", api=(router,))
