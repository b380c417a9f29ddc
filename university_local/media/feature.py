from university_local.core.features import Feature
from university_local.media.routes import files, router

FEATURE = Feature("media", api=(router,), pages=(files,))
