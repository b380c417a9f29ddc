"""File responses that do not hold a request thread while a slow client reads them.

A request thread that writes a large file to a learner on weak Wi-Fi is a thread no other
request can use until the last byte has left: eight learners opening a SCORM lesson's 20 MB
video at 2 MB/s each held all eight threads, and every other request, a progress save included,
waited the ten seconds their downloads took. Under `university-local serve`, uWSGI's offload
thread (an event loop in C) sends files instead, and the request thread is free at once.

A handler returns an open file for a whole file: the server's `wsgi.file_wrapper`, which uWSGI
offloads by itself. For part of a file (a Range request) it returns a `FileRange`. uWSGI's
file_wrapper always starts at byte 0, so `send_ranges_by_uwsgi` hands a range that runs to the
end of the file (`bytes=N-`, what a browser's video element asks for when it plays or seeks) to
`uwsgi.sendfile(fd, chunk, offset, length)`, which offloads it the same way. Its offload thread
sends in whole 128 KiB steps, past the end of a range that stops short of the file's end, so such
a range (small in practice: a player's probe, a PDF viewer's page) is written by the request
thread. Under any other WSGI server a `FileRange` is read like a file by the server's own
file_wrapper.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

CHUNK_BYTES = 256 * 1024

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FileRange:
    """`length` bytes of the file at `path` (of `file_size` bytes) from byte `start`: a file that
    ends there when read, and its chunks when iterated."""

    def __init__(self, path: Path, start: int, length: int, file_size: int) -> None:
        self.handle = open(path, "rb")  # noqa: SIM115 - closed with the range, by the server
        self.handle.seek(start)
        self.start, self.remaining = start, length
        self.to_end_of_file = start + length >= file_size

    def read(self, size: int = -1) -> bytes:
        size = self.remaining if size < 0 else min(size, self.remaining)
        data = self.handle.read(size)
        self.remaining -= len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK_BYTES):
            yield chunk

    def close(self) -> None:
        self.handle.close()


def send_ranges_by_uwsgi(app: WSGIApp) -> WSGIApp:
    """`app`, with each `FileRange` it answers sent by uWSGI's offload thread; `app` itself when
    not running under uWSGI with offload threads."""
    try:
        import uwsgi  # type: ignore[import-untyped]  # exists only inside a uWSGI worker
    except ImportError:
        return app
    if not int(uwsgi.opt.get("offload-threads", 0) or 0):
        return app

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        wrap_file = environ["wsgi.file_wrapper"]
        environ["wsgi.file_wrapper"] = lambda f, *args: f if isinstance(f, FileRange) else wrap_file(f, *args)
        body = app(environ, start_response)
        if not isinstance(body, FileRange) or not body.to_end_of_file:
            return body
        with body.handle:  # uWSGI closes the descriptor it is given once it is sent: give it its own
            uwsgi.sendfile(os.dup(body.handle.fileno()), 0, body.start, body.remaining)
        return []

    return application
