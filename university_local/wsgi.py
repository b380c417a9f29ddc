"""The WSGI entry point: `application`, configured from `UNIVERSITY_LOCAL_*` environment variables.

`university-local serve` hands this module to the WSGI server; any other WSGI server can load it
the same way.
"""

from university_local.app import create_app
from university_local.core.config import Config

application = create_app(Config.from_env())
