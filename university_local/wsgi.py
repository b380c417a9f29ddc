"""The WSGI entry point: `application`, configured from `UNIVERSITY_LOCAL_*` environment variables.

`university-local serve` hands this module to the WSGI server; any other WSGI server can load it
the same way.
"""

import logging

from university_local.app import create_app
from university_local.core.bodies import spare_threads_for_bodies
from university_local.core.config import Config
from university_local.core.files import send_files_by_uwsgi
from university_local.server import SHUTDOWN_TIMEOUT

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per job run
logging.getLogger("fontTools").setLevel(logging.WARNING)  # not a line per glyph table of every PDF
config = Config.from_env()
application = send_files_by_uwsgi(spare_threads_for_bodies(create_app(config), slots=config.threads),
                                  stop_seconds=SHUTDOWN_TIMEOUT - 1)
