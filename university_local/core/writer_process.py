"""Batched writes, applied by a process of their own.

The hottest write of the server, a learner's position in a lesson, is a `BatchedWrite`: one
statement that applies every update waiting at that moment. Its writer is the one serial
section of the server under load. As a thread of the server it spent most of its time waiting
for the GIL: every trip into SQLite hands the GIL to the request threads, and under load winning
it back takes long (bench/README.md). A process of its own has an interpreter to itself, so the
writer only ever waits for the disk.

Each server thread keeps a Unix socket to the process (`WriterProcess.submit`): it sends one
update and receives its outcome once the update is on disk. The process takes connections only
from the server process that started it, and exits when that process goes away (its stdin pipe
closes), so a killed server never leaves it behind. A batched write inside a transaction of the
server runs on the server's own writer connection (`apply_group`); SQLite's write lock orders the
two writers.

A long set-based write that the updates would otherwise wait for, the fold of the analytics log
into its rollups, is sent here too (`WriterProcess.execute`) and runs in the next batch's
transaction. Run by the server, a fold held SQLite's write lock while it competed for the CPU
with every request thread, and the updates waited for all of it. Here it delays the updates
behind it by its own work only, and shares their commit (bench/README.md has the figures).
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from university_local.core.connection import BUSY_TIMEOUT_MS, connect, sqlite_error

_HEADER = struct.Struct("<I")  # every message is its length, then that many bytes of JSON
_PEER = struct.Struct("3i")  # SO_PEERCRED: pid, uid, gid
STOP_TIMEOUT = 5  # seconds `close` waits for the process to finish its batch
BUSY_POLL = 0.0001  # seconds between tries for the write lock


@dataclass(frozen=True)
class BatchedWrite:
    """A write applied to many requests in one statement (`Store.write_batched`).

    `apply` reads the requests from `json_each(:jobs)`, a JSON array of their parameter objects.
    It writes what every request asks for, and must leave alone a request whose conditions fail.
    Its RETURNING clause gives one row for each request that applied: the request's outcome,
    found by its `key_columns`, whose values are the request's key. Applying a request twice must
    leave what applying it once leaves: a request in flight when the writer process dies is sent
    again to a new one.
    """

    apply: str
    key_columns: tuple[str, ...]


@dataclass
class SingleWrite:
    """One statement to run once in a batch's transaction (`WriterProcess.execute`), and its rows."""

    sql: str
    params: dict[str, Any]
    rows: list[dict[str, Any]] | None = None  # its RETURNING rows, once committed
    error: BaseException | None = None


@dataclass
class Update:
    """One request's batched write, and what became of it."""

    statement: BatchedWrite
    params: dict[str, Any]
    key: tuple[Any, ...]  # its values of key_columns: two updates with one key never share a statement
    outcome: dict[str, Any] | None = None  # None when the statement's conditions kept it from applying
    error: BaseException | None = None


def apply_updates(conn: sqlite3.Connection, updates: list[Update], singles: list[SingleWrite] | None = None) -> None:
    """Apply `updates`, then run `singles`, in one transaction and commit it, setting each one's
    outcome (or rows) or error.

    Updates of one statement share a statement, except that two with the same key never do:
    the second waits for the first to apply, so each outcome shows the state its own write left.
    """
    singles = singles or []
    try:
        _begin(conn)
        groups: dict[BatchedWrite, dict[tuple[Any, ...], Update]] = {}
        for update in updates:
            group = groups.setdefault(update.statement, {})
            if update.key in group:
                apply_group(conn, update.statement, list(group.values()))
                group.clear()
            group[update.key] = update
        for statement, group in groups.items():
            if group:
                apply_group(conn, statement, list(group.values()))
        for single in singles:
            _run_single(conn, single)
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        _fail(updates, exc)
        for single in singles:
            single.rows = None
            single.error = single.error or exc


def _begin(conn: sqlite3.Connection) -> None:
    """Take the write lock, waiting while the server's own writer holds it. Polled every 0.1 ms:
    SQLite's busy handler sleeps 1, 2, 5, 10 ms and more between tries, while the server's
    transactions hold the lock for a millisecond or two, and every update in flight waits."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(BUSY_POLL)


def apply_group(conn: sqlite3.Connection, statement: BatchedWrite, group: list[Update]) -> None:
    """Apply `group` (distinct keys) inside the open transaction. A failing statement is undone
    by SQLite and re-run one update at a time, so only the culprit fails."""
    try:
        _take_outcomes(conn.execute(statement.apply, {"jobs": _payload(group)}), statement, group)
    except sqlite3.Error as exc:
        if not conn.in_transaction:  # the error rolled back the whole transaction
            raise
        if len(group) == 1:
            group[0].error = exc
        else:
            for update in group:
                apply_group(conn, statement, [update])


def _run_single(conn: sqlite3.Connection, single: SingleWrite) -> None:
    """Run `single` in a savepoint of the open transaction: if it fails, it fails alone."""
    conn.execute("SAVEPOINT single")
    try:
        single.rows = _rows(conn.execute(single.sql, single.params))
        conn.execute("RELEASE single")
    except sqlite3.Error as exc:
        single.error = exc
        if not conn.in_transaction:  # the error rolled back the whole transaction
            raise
        conn.execute("ROLLBACK TO single")
        conn.execute("RELEASE single")


def _payload(updates: list[Update]) -> str:
    return orjson.dumps([u.params for u in updates]).decode()


def _take_outcomes(cursor: sqlite3.Cursor, statement: BatchedWrite, group: list[Update]) -> None:
    """Give each update that applied the row the statement returned for it. The rows come from
    the write itself: reading them back would repeat the statement's joins."""
    updates = {update.key: update for update in group}
    for row in _rows(cursor):
        updates[tuple(row[column] for column in statement.key_columns)].outcome = row


def _rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    """The cursor's rows as dicts (they go back to the server as JSON objects)."""
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def _fail(updates: list[Update], error: BaseException) -> None:
    for update in updates:
        update.outcome = None
        if update.error is None:
            update.error = error


# -- the server's side ----------------------------------------------------------------------


class WriterProcess:
    """Starts the writer process on first use and hands it updates, one socket per thread.

    If the process dies (it should not), the update in flight is sent again to a new one, which
    is why a BatchedWrite must be idempotent.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.batches = 0  # the highest batch number an outcome came back with (for tests)
        self._local = threading.local()
        self._start = threading.Lock()
        self._current: tuple[subprocess.Popen[bytes], bytes] | None = None  # the process and its address
        self._statements: dict[BatchedWrite, int] = {}

    @property
    def pid(self) -> int | None:
        current = self._current
        return current[0].pid if current is not None else None

    @property
    def address(self) -> bytes:
        """The process's socket, in Linux's abstract namespace."""
        current = self._current
        return current[1] if current is not None else b""

    def submit(self, statement: BatchedWrite, params: dict[str, Any], key: tuple[Any, ...]) -> dict[str, Any] | None:
        """Apply one update; its outcome once it is durable, or None when its conditions failed."""
        number = self._statements.get(statement)
        if number is None:
            with self._start:
                number = self._statements.setdefault(statement, len(self._statements))
        return self._call([number, key, params], statement)["outcome"]

    def execute(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run one statement in the next batch's transaction; its RETURNING rows once durable.

        For a long set-based write that the batched updates would otherwise wait for while it
        held the write lock (see the module's docstring). Like a BatchedWrite, it must leave what
        running it once leaves if it runs twice (sent again after the process died).
        """
        return self._call([None, sql, params], None)["rows"]

    def _call(self, message: list[Any], statement: BatchedWrite | None) -> dict[str, Any]:
        """Send `message` and return the reply, starting a new process (once) if this one died."""
        for attempt in range(2):
            process, address = self._running()
            try:
                reply = self._exchange(process, address, message, statement)
                break
            except (OSError, EOFError) as exc:
                self._forget(process)
                if attempt:
                    raise sqlite3.OperationalError(f"The writer process failed twice ({exc!r}).") from exc
        if "error" in reply:
            kind = getattr(sqlite3, reply["error"], sqlite3.Error)
            raise sqlite_error(reply["message"], reply.get("code"),
                               kind if isinstance(kind, type) and issubclass(kind, sqlite3.Error) else sqlite3.Error)
        self.batches = max(self.batches, reply["batch"])
        return reply

    def close(self) -> None:
        """Stop the process once its batch is done (it exits when its stdin closes)."""
        with self._start:
            current, self._current = self._current, None
        process = current[0] if current is not None else None
        if process is not None and process.stdin is not None:
            process.stdin.close()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _exchange(self, process: subprocess.Popen[bytes], address: bytes, message: list[Any],
                  statement: BatchedWrite | None) -> dict[str, Any]:
        """Send `message` on this thread's socket to `process` and wait for the reply. A socket
        names each batched statement's SQL once; later messages carry only its number."""
        connection = getattr(self._local, "connection", None)
        if connection is None or connection[0] is not process:
            if connection is not None:
                connection[1].close()
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection = self._local.connection = (process, sock, set())
            sock.connect(address)
        _, sock, defined = connection
        number = message[0]
        if statement is not None and number not in defined:
            message = [*message, statement.apply, statement.key_columns]
        sock.sendall(_frame(orjson.dumps(message)))
        reply = orjson.loads(_receive(sock))
        if statement is not None:
            defined.add(number)
        return reply

    def _forget(self, process: subprocess.Popen[bytes]) -> None:
        """After a failed exchange: drop this thread's socket, and the process if it is still the
        current one, so that the next update starts a new process."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection[1].close()
            self._local.connection = None
        with self._start:
            if self._current is not None and self._current[0] is process:
                process.kill()
                process.wait()
                self._current = None

    def _running(self) -> tuple[subprocess.Popen[bytes], bytes]:
        """The process and its address, started now if there is none.

        A process that died is noticed by the exchange that fails on it (see `_forget`), not by
        asking the kernel before every update: that would cost each update a system call, and
        with it a turn at the GIL.
        """
        current = self._current
        if current is not None:
            return current
        with self._start:
            if self._current is None:
                # No file to clean up; the process itself checks who connects.
                address = f"\0university-local-writer-{os.getpid()}-{os.urandom(8).hex()}".encode()
                listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    listener.bind(address)
                    listener.listen(256)
                    process = subprocess.Popen(
                        [_interpreter(), "-m", "university_local.core.writer_process", str(self.path),
                         str(listener.fileno())],
                        stdin=subprocess.PIPE, pass_fds=[listener.fileno()])
                finally:
                    listener.close()  # the process holds its own copy; connections wait in its backlog
                self._current = (process, address)
            return self._current


def _interpreter() -> str:
    """This environment's Python. Under uWSGI `sys.executable` is the base interpreter, outside
    the virtual environment the server runs in; `sys.prefix` is still the environment's."""
    candidate = Path(sys.prefix, "bin", f"python{sys.version_info.major}.{sys.version_info.minor}")
    return str(candidate) if candidate.exists() else sys.executable


def _frame(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload)) + payload


def _take_frames(buffer: bytearray) -> list[bytes]:
    """Remove every complete message from the start of `buffer` and return them."""
    messages = []
    while len(buffer) >= _HEADER.size:
        end = _HEADER.size + _HEADER.unpack_from(buffer)[0]
        if len(buffer) < end:
            break
        messages.append(bytes(buffer[_HEADER.size:end]))
        del buffer[:end]
    return messages


def _receive(sock: socket.socket) -> bytes:
    """The one reply to the message just sent."""
    buffer = bytearray()
    while not (messages := _take_frames(buffer)):
        data = sock.recv(65536)
        if not data:
            raise EOFError("the writer process closed the connection")
        buffer += data
    return messages[0]


# -- the process ----------------------------------------------------------------------------


def serve(conn: sqlite3.Connection, listener: socket.socket, parent: int) -> None:
    """Apply what the server's threads send, a batch at a time, until stdin closes.

    A batch is every update that has arrived by the time the last one is applied: under load
    the batches grow by themselves, and alone an update is applied at once. A message is
    `[number, key, params]` for an update (the first with a statement number adds its SQL and
    key columns), or `[None, sql, params]` for a single write.
    """
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ)  # closes when the server is gone
    statements: dict[int, BatchedWrite] = {}
    buffers: dict[socket.socket, bytearray] = {}
    batch = 0
    while True:
        waiting: list[tuple[socket.socket, Update]] = []
        singles: list[tuple[socket.socket, SingleWrite]] = []
        for event, _ in selector.select():
            source = event.fileobj
            if source is listener:
                client, _ = listener.accept()
                if _PEER.unpack(client.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEER.size))[0] != parent:
                    client.close()  # only the server that started this process may write
                    continue
                buffers[client] = bytearray()
                selector.register(client, selectors.EVENT_READ)
            elif isinstance(source, int):
                if not os.read(source, 4096):
                    return
            else:
                assert isinstance(source, socket.socket)
                try:
                    data = source.recv(65536)
                except ConnectionError:
                    data = b""
                if not data:  # that thread's connection closed
                    selector.unregister(source)
                    del buffers[source]
                    source.close()
                    continue
                buffers[source] += data
                for frame in _take_frames(buffers[source]):
                    message = orjson.loads(frame)
                    if message[0] is None:
                        singles.append((source, SingleWrite(message[1], message[2])))
                        continue
                    number, key, params, *definition = message
                    if definition:
                        statements[number] = BatchedWrite(definition[0], tuple(definition[1]))
                    waiting.append((source, Update(statements[number], params, tuple(key))))
        if not waiting and not singles:
            continue
        batch += 1
        apply_updates(conn, [update for _, update in waiting], [single for _, single in singles])
        done: list[tuple[socket.socket, Update | SingleWrite]] = [*waiting, *singles]
        for client, job in done:
            if job.error is not None:
                reply = {"error": type(job.error).__name__, "message": str(job.error),
                         "code": getattr(job.error, "sqlite_errorcode", None)}
            elif isinstance(job, Update):
                reply = {"outcome": job.outcome, "batch": batch}
            else:
                reply = {"rows": job.rows, "batch": batch}
            try:
                client.sendall(_frame(orjson.dumps(reply)))
            except OSError:
                pass  # that thread is gone; its socket closes on the next select


def main() -> None:
    # Ctrl+C and a service manager's SIGTERM reach the whole process group. The server drains its
    # requests first; this process stops when the server is gone, after the batch in hand.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    path, listener_fd = sys.argv[1], int(sys.argv[2])
    conn = connect(path)
    conn.execute("PRAGMA busy_timeout=0")  # _begin waits for the lock itself
    serve(conn, socket.socket(fileno=listener_fd), os.getppid())


if __name__ == "__main__":
    main()
