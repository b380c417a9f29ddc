"""Serve the app on a production WSGI server, print where to reach it, stop cleanly.

cheroot (CherryPy's server) was chosen by measurement against waitress: see bench/README.md.
SIGINT and SIGTERM stop accepting connections, let in-flight requests finish (up to
`SHUTDOWN_TIMEOUT` seconds), then close the database.
"""

from __future__ import annotations

import fcntl
import logging
import signal
import socket
import struct
from collections.abc import Callable
from types import FrameType
from typing import Any

from cheroot import wsgi

log = logging.getLogger("university_local")
SHUTDOWN_TIMEOUT = 15


class _Stop(SystemExit):
    """Raised in the main thread by the signal handler to leave the accept loop."""


def serve(app: Any, host: str, port: int, threads: int, on_ready: Callable[[str, int], None] | None = None) -> None:
    server = wsgi.Server(
        (host, port), app, numthreads=threads, request_queue_size=256,
        shutdown_timeout=SHUTDOWN_TIMEOUT, server_name="university-local",
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.prepare()
        bound_host, bound_port = server.bind_addr[:2]
        if on_ready:
            on_ready(bound_host, bound_port)
        server.serve()
    except _Stop as why:
        log.info("stopping on %s: finishing in-flight requests", why)
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def lan_addresses() -> list[str]:
    """IPv4 addresses of this machine's up interfaces, loopback last, read from the kernel."""
    found: list[str] = []
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _, name in socket.if_nameindex():
            try:
                packed = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))  # SIOCGIFADDR
            except OSError:
                continue  # interface without an IPv4 address
            found.append(socket.inet_ntoa(packed[20:24]))
    finally:
        probe.close()
    return sorted(set(found), key=lambda a: (a.startswith("127."), a))


def urls(host: str, port: int) -> list[str]:
    hosts = lan_addresses() if host in {"0.0.0.0", ""} else [host]
    return [f"http://{h}:{port}" for h in hosts or ["127.0.0.1"]]
