"""Requests whose bodies arrive slowly wait on threads of their own, so they hold none of the app's.

uWSGI gives a request one of the worker's threads until it is answered, and its HTTP router
streams a body to the worker as the client sends it: it has no option to buffer one. (The
fastrouter can, between the two, but then a body that stops arriving gets no answer, and a body
declared over a limit is read to its end before the app can refuse it; bench/README.md.) So the
worker runs spare threads beyond the app's `slots`, and keeps the spares parked: only `slots`
threads take new requests. A request with a large body hands its place to a parked thread and
reads the body as before, on its own thread, as slowly as the client sends it. A thread beyond
`slots` parks once its answer is sent and its connection closed.
"""

from __future__ import annotations

import _thread
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# More than a client sends in its first round trip (a fresh TCP connection's initial window is
# about 14 KB), so a smaller body is in when its request arrives, and does not change threads.
LARGE_BODY_BYTES = 16 * 1024
# A parked thread takes a request this often all the same, so a graceful stop never waits long on it.
PARK_SECONDS = 1.0


class Threads:
    """How many of the worker's threads take new requests: `slots`, once each has answered one;
    the others are parked, or reading a large body."""

    def __init__(self, slots: int, total: int) -> None:
        self._slots = slots
        self._taking = total  # every thread takes requests until it has answered one
        self._lock = threading.Lock()
        self._parked: list[Any] = []  # a held lock for each parked thread, released to wake it

    def reading_body(self) -> None:
        """This thread is about to wait for a large body: a parked thread takes new requests meanwhile."""
        with self._lock:
            self._taking -= 1
            if self._taking < self._slots and self._parked:
                self._parked.pop().release()
                self._taking += 1

    def answered(self, read_body: bool, can_park: bool) -> bool:
        """The app has answered: whether this thread is one too many and is to `park` once the answer is sent."""
        if not read_body and self._taking <= self._slots:  # the common case, without the lock
            return False
        with self._lock:
            if read_body:
                self._taking += 1
            if can_park and self._taking > self._slots:
                self._taking -= 1
                return True
        return False

    def park(self) -> None:
        """Wait until a large body needs this thread's place, or for PARK_SECONDS."""
        waiter = _thread.allocate_lock()
        waiter.acquire()
        with self._lock:
            self._parked.append(waiter)
        if waiter.acquire(timeout=PARK_SECONDS):
            return  # woken by reading_body, which counted it back in
        with self._lock:
            if waiter in self._parked:
                self._parked.remove(waiter)
                self._taking += 1


class _ThenPark:
    """An answer after which its thread parks: once the server has sent it, the connection is
    closed (so the client is done) and the thread waits."""

    def __init__(self, body: Iterable[bytes], park: Callable[[], None], disconnect: Callable[[], None]) -> None:
        self._body = body
        self._park = park
        self._disconnect = disconnect

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        self._disconnect()
        self._park()


def spare_threads_for_bodies(app: WSGIApp, slots: int) -> WSGIApp:
    """`app`, with requests whose large bodies are arriving moved off the `slots` threads that take
    new requests, onto the worker's other threads; `app` itself when not running under uWSGI."""
    try:
        import uwsgi  # exists only inside a uWSGI worker
    except ImportError:
        return app
    threads = Threads(slots, int(uwsgi.opt.get("threads", slots)))

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH")
        read_body = bool(length and length.isdigit() and int(length) > LARGE_BODY_BYTES)
        if read_body:
            threads.reading_body()
        try:
            body = app(environ, start_response)
        except BaseException:
            threads.answered(read_body, can_park=False)
            raise
        # Only after a rendered answer with bytes to send: uWSGI sends the headers with the first
        # bytes (an empty answer's only at the end), and a file may still be on its way from the
        # offload thread, on this connection.
        if threads.answered(read_body, can_park=type(body) is list and any(body)):
            return _ThenPark(body, threads.park, uwsgi.disconnect)
        return body

    return application
