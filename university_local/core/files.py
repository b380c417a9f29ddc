"""File responses that do not hold a request thread while a slow client reads them.

A request thread that writes a large file to a learner on weak Wi-Fi is a thread no other
request can use until the last byte has left: eight learners opening a SCORM lesson's 20 MB
video at 2 MB/s each held all eight threads the server then had, and every other request, a
progress save included, waited the ten seconds their downloads took. Under `university-local
serve`, uWSGI's offload thread (an event loop in C) sends files instead, and the request thread
is free at once.

A handler returns an open file for a whole file, or a `FileRange` for part of one (a Range
request). `send_files_by_uwsgi` takes the place of the server's `wsgi.file_wrapper` and hands
each to `uwsgi.sendfile(fd, chunk, offset, length)`, which the offload thread sends. (uWSGI's
own file_wrapper is offloaded too, but always starts at byte 0.) The offload thread sends in
whole 128 KiB steps, past the end of a range that stops short of the file's end, so such a range
(small in practice: a player's probe, a PDF viewer's page) is written by the request thread;
ranges that run to the end (`bytes=N-`, what a browser's video element asks for when it plays or
seeks) and whole files are offloaded. A graceful stop waits for the offloaded files as it waits
for requests under way (`Sends`). Under any other WSGI server a `FileRange` is read like a file by
the server's own file_wrapper.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import bottle

CHUNK_BYTES = 256 * 1024

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FileRange:
    """`length` bytes of an open file (of `file_size` bytes) from byte `start`: a file that ends
    there when read, and its chunks when iterated."""

    def __init__(self, handle: BinaryIO, start: int, length: int, file_size: int) -> None:
        self.handle = handle
        self.handle.seek(start)
        self.start, self.remaining = start, length
        self.to_end_of_file = start + length >= file_size

    @classmethod
    def open(cls, path: Path, start: int, length: int, file_size: int) -> FileRange:
        return cls(open(path, "rb"), start, length, file_size)  # noqa: SIM115 - closed by the server

    @classmethod
    def rest_of(cls, handle: BinaryIO) -> FileRange:
        """An open file from where it stands to its end: what a handler returns for a whole file."""
        start, size = handle.tell(), os.fstat(handle.fileno()).st_size
        return cls(handle, start, size - start, size)

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


class Sends:
    """Files handed to the offload thread and not yet sent, so that a graceful stop can let them
    finish as it lets requests finish. The offload thread closes a file's descriptor once it is
    sent; a descriptor that is closed, or now names another file, is done."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[int, tuple[int, int]] = {}  # descriptor -> (device, inode)

    def descriptor_for(self, handle: BinaryIO) -> int:
        """A descriptor of its own for the offload thread to send from and close."""
        fd = os.dup(handle.fileno())
        stat = os.fstat(fd)
        with self._lock:
            self._files[fd] = (stat.st_dev, stat.st_ino)
        return fd

    def pending(self) -> int:
        with self._lock:
            for fd, identity in list(self._files.items()):
                try:
                    stat = os.fstat(fd)
                except OSError:
                    stat = None
                if stat is None or (stat.st_dev, stat.st_ino) != identity:
                    del self._files[fd]
            return len(self._files)

    def wait(self, seconds: float) -> None:
        """Return once every file is sent, or after `seconds`."""
        deadline = time.monotonic() + seconds
        while self.pending() and time.monotonic() < deadline:
            time.sleep(0.1)


def send_files_by_uwsgi(app: WSGIApp, stop_seconds: float) -> WSGIApp:
    """`app`, with every file it answers (an open file or a `FileRange`) sent by uWSGI's offload
    thread, and a graceful stop that waits up to `stop_seconds` for those sends; `app` itself when
    not running under uWSGI with offload threads."""
    try:
        import uwsgi  # type: ignore[import-untyped]  # exists only inside a uWSGI worker
    except ImportError:
        return app
    if not int(uwsgi.opt.get("offload-threads", 0) or 0):
        return app
    sends = Sends()
    uwsgi.atexit = lambda: sends.wait(stop_seconds)

    def as_range(f: Any, *args: Any) -> Any:  # in place of the server's wsgi.file_wrapper
        if isinstance(f, FileRange):
            return f
        try:
            return FileRange.rest_of(f)
        except (AttributeError, OSError):  # no descriptor to send from: the request thread reads it
            return bottle.WSGIFileWrapper(f)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.file_wrapper"] = as_range
        body = app(environ, start_response)
        if not isinstance(body, FileRange) or not body.to_end_of_file:
            return body
        with body.handle:
            uwsgi.sendfile(sends.descriptor_for(body.handle), 0, body.start, body.remaining)
        return []

    return application
