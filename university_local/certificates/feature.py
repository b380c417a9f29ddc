from university_local.certificates.routes import pages, router
from university_local.certificates.service import key_of
from university_local.core.features import Feature

# The site's signing key exists from the first start, before any certificate needs it.
FEATURE = Feature("certificates", api=(router,), pages=(pages,), on_start=(lambda store, config: key_of(store),))
