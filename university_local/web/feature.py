from university_local.core.features import Feature
from university_local.web.routes import pages

FEATURE = Feature("web", web=(pages,))
