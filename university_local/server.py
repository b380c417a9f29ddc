"""Serve the app on a production WSGI server, print where to reach it, stop cleanly.

The server is uWSGI (the `pyuwsgi` wheel), chosen by measurement over waitress, gunicorn and
cheroot (bench/README.md): its HTTP parsing and connection handling are C, so it serves far more
requests a second with a far shorter tail, while the app keeps one process with a pool of
threads (the in-process scheduler and caches rely on that).

Browsers keep connections open between requests. uWSGI's own HTTP router (a C event loop in a
process of its own) holds those idle connections, so that a worker thread is only busy while a
request is being answered: a classroom of browsers with open connections never leaves a new
request waiting for a free thread. (Serving HTTP from the worker threads directly is a little
faster, but each idle keep-alive connection then occupies a thread for seconds.) The router
streams request bodies to the worker as they arrive (it cannot buffer them), so the worker also
keeps parked threads, and a request with a large body hands its place to one while the body
arrives (core/bodies.py): slow uploads hold none of the threads that take requests.

SIGINT and SIGTERM stop accepting connections and let requests already under way finish (up to
`SHUTDOWN_TIMEOUT` seconds) before the process exits.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from university_local.core.config import Config

SHUTDOWN_TIMEOUT = 15
SOCKET_PATH_BYTES = 100  # a Unix socket's path must fit in sun_path (108 bytes)
IDLE_TIMEOUT = 60  # seconds the router waits on a silent client or worker
ROUTER_BUFFER_BYTES = 32 * 1024  # at most MAX_HEADER_BYTES
MAX_HEADER_BYTES = 32768


def uwsgi_args(config: Config) -> list[str]:
    """uWSGI's arguments for `config`: the HTTP router, and one worker process with `config.threads`
    threads taking requests and `config.body_threads` more for requests whose bodies are arriving."""
    worker = worker_socket(config)
    return [
        "--http", f"{config.host}:{config.port}", "--http-keepalive", "--http-timeout", str(IDLE_TIMEOUT),
        # The router hands requests to the worker over a Unix socket rather than uWSGI's default
        # loopback TCP port: no TCP stack on either side (bench/README.md), and other local users
        # cannot speak uWSGI's protocol to the worker.
        "--socket", worker, "--chmod-socket=600", "--http-to", worker, "--vacuum",
        # A page-sized buffer splits a 30 KB course list into writes that wait on delayed ACKs;
        # 32 KB sends it whole (bench/README.md). It must not exceed the worker's --buffer-size:
        # the router's first packet to the worker would be refused.
        "--http-buffer-size", str(ROUTER_BUFFER_BYTES),
        "--module", "university_local.wsgi:application",
        # `threads` take requests; `body_threads` more stay parked for large bodies (core/bodies.py).
        "--master", "--processes", "1", "--threads", str(config.threads + config.body_threads), "--enable-threads",
        "--lazy-apps", "--single-interpreter", "--need-app",
        "--listen", str(_listen_backlog()),
        "--buffer-size", str(MAX_HEADER_BYTES),
        # Files go out from an event loop of their own, not from a request thread (core/files.py).
        "--offload-threads", "1",
        "--die-on-term", "--no-orphans",  # a worker never outlives its master (and its port)
        # Both signals drain: stop accepting, finish in-flight requests, then exit.
        "--hook-master-start", "unix_signal:2 gracefully_kill_them_all",
        "--hook-master-start", "unix_signal:15 gracefully_kill_them_all",
        "--worker-reload-mercy", str(SHUTDOWN_TIMEOUT),
        "--disable-logging", "--ignore-sigpipe", "--ignore-write-errors", "--disable-write-exception",
        # uWSGI's banner and messages, and the app's log, go to a file: the terminal keeps the
        # addresses `serve` printed for the teacher.
        "--logto", str(log_path(config)),
        "--chdir", str(Path.cwd()),
    ]


def serve(config: Config) -> None:
    """Run until SIGINT/SIGTERM. The app reads its settings from the environment in the worker."""
    import pyuwsgi

    os.environ.update(config.to_env())
    pyuwsgi.run(uwsgi_args(config))


def log_path(config: Config) -> Path:
    """The server's log: uWSGI's messages and the app's warnings and errors (appended to)."""
    return config.data_dir.resolve() / "server.log"


def worker_socket(config: Config) -> str:
    """The router-to-worker socket: in the data directory, or a private temporary directory when
    that path is too long for a socket. One per port, so two servers never share one."""
    path = config.data_dir.resolve() / f"uwsgi-{config.port}.sock"
    if len(str(path).encode()) > SOCKET_PATH_BYTES:
        path = Path(tempfile.mkdtemp(prefix="university-local-")) / f"uwsgi-{config.port}.sock"
    return str(path)


def _listen_backlog() -> int:
    """As deep a listen queue as the kernel allows, up to 1024 (uWSGI refuses more than somaxconn)."""
    try:
        return min(1024, int(Path("/proc/sys/net/core/somaxconn").read_text()))
    except (OSError, ValueError):
        return 128
