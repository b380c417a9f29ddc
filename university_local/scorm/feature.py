from university_local.core.features import Feature
from university_local.scorm.routes import content, router
from university_local.scorm.runtime_routes import player, runtime

FEATURE = Feature("scorm", api=(router, runtime), pages=(content, player))
