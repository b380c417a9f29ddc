"""The writer process: it applies batched writes and long single ones, survives its own death,
never outlives the server, takes no one else's connections, and waits for the server's own
transactions."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import eventually
from university_local.core.db import BatchedWrite, Store

# Sets named counters to the largest value written: idempotent, as batched writes must be.
_RAISE = BatchedWrite(
    apply="""INSERT INTO counters (name, total) SELECT value->>'name', value->>'total' FROM json_each(:jobs)
             WHERE true ON CONFLICT (name) DO UPDATE SET total = MAX(total, excluded.total)
             RETURNING name, total""",
    key_columns=("name",))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "t.sqlite3")
    with s.transaction() as tx:
        tx.execute("CREATE TABLE counters (name TEXT PRIMARY KEY, total INTEGER NOT NULL)")
    yield s
    s.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return _state(pid) != "Z"  # not a zombie


def _state(pid: int) -> str:
    """The process's state letter in /proc (R, S, T for stopped, Z for a zombie...)."""
    return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]


def test_a_killed_writer_process_is_replaced_and_the_write_goes_through(store: Store) -> None:
    assert store.write_batched(_RAISE, {"name": "a", "total": 1}, key=("a",)) == {"name": "a", "total": 1}
    first = store.writer_process.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    assert eventually(lambda: not alive(first))
    assert store.write_batched(_RAISE, {"name": "a", "total": 2}, key=("a",)) == {"name": "a", "total": 2}
    second = store.writer_process.pid
    assert second not in (None, first)

    # Killed while an update is in flight: the update is sent again to a new process.
    os.kill(second, signal.SIGSTOP)
    assert eventually(lambda: _state(second) == "T")
    outcome: list[object] = []
    writer = threading.Thread(target=lambda: outcome.append(
        store.write_batched(_RAISE, {"name": "a", "total": 3}, key=("a",))))
    writer.start()
    time.sleep(0.2)
    assert writer.is_alive() and not outcome
    os.kill(second, signal.SIGKILL)
    writer.join(10)
    assert outcome == [{"name": "a", "total": 3}]
    assert store.writer_process.pid not in (None, first, second)


def test_the_writer_process_outlives_signals_but_not_its_server(tmp_path: Path) -> None:
    script = f"""
import sys, time
from university_local.core.db import Store
from tests.test_writer_process import _RAISE
store = Store({str(tmp_path / "t.sqlite3")!r})
with store.transaction() as tx:
    tx.execute("CREATE TABLE counters (name TEXT PRIMARY KEY, total INTEGER NOT NULL)")
store.write_batched(_RAISE, {{"name": "a", "total": 1}}, key=("a",))
print(store.writer_process.pid, flush=True)
time.sleep(60)
"""
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parent.parent)
    try:
        assert server.stdout is not None
        writer = int(server.stdout.readline())
        for sig in (signal.SIGINT, signal.SIGTERM):  # as a Ctrl+C or a service stop sends the whole group
            os.kill(writer, sig)
        time.sleep(0.3)
        assert alive(writer)  # it stops with its server, not before
    finally:
        server.kill()  # SIGKILL: no cleanup runs in the server
        server.wait()
    assert eventually(lambda: not alive(writer), timeout=10)


def test_the_writer_process_takes_connections_only_from_its_server(store: Store) -> None:
    store.write_batched(_RAISE, {"name": "a", "total": 1}, key=("a",))
    intruder = """
import socket, struct, sys
import orjson
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(bytes.fromhex(sys.argv[1]))
payload = orjson.dumps([0, ["a"], {"name": "a", "total": 99}])
try:
    sock.sendall(struct.pack("<I", len(payload)) + payload)
    print(len(sock.recv(65536)))
except OSError:
    print(0)
"""
    reply = subprocess.run([sys.executable, "-c", intruder, store.writer_process.address.hex()],
                           capture_output=True, text=True, check=True).stdout
    assert reply.strip() == "0"  # closed without an answer
    after = store.write_batched(_RAISE, {"name": "a", "total": 1}, key=("a",))
    assert after == {"name": "a", "total": 1}  # 99 never applied


def test_batched_writes_wait_for_a_transaction_of_the_server(store: Store) -> None:
    store.write_batched(_RAISE, {"name": "a", "total": 1}, key=("a",))
    outcome: list[object] = []
    writer = threading.Thread(target=lambda: outcome.append(
        store.write_batched(_RAISE, {"name": "a", "total": 3}, key=("a",))))
    with store.transaction() as db:
        db.execute("UPDATE counters SET total = 2 WHERE name = 'a'")
        writer.start()
        time.sleep(0.3)
        assert writer.is_alive()  # the process waits for the write lock
    writer.join(10)
    assert outcome == [{"name": "a", "total": 3}]


def test_a_long_write_shares_a_batch_and_fails_alone(store: Store) -> None:
    calls = {
        "update": lambda: store.write_batched(_RAISE, {"name": "b", "total": 5}, key=("b",)),
        "long": lambda: store.write_long(
            "INSERT INTO counters (name, total) VALUES (:name, :total) RETURNING name, total", {"name": "c", "total": 7}),
        "failing": lambda: store.write_long("INSERT INTO counters (name, total) VALUES (:name, NULL)", {"name": "d"}),
    }
    connected, go = threading.Barrier(len(calls) + 1), threading.Event()
    outcomes: dict[str, object] = {}

    def run(name: str) -> None:
        store.write_batched(_RAISE, {"name": "a", "total": 1}, key=("a",))  # this thread's socket is open
        connected.wait()
        go.wait()
        try:
            outcomes[name] = calls[name]()
        except sqlite3.Error as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=run, args=(name,)) for name in calls]
    for thread in threads:
        thread.start()
    connected.wait()
    pid, before = store.writer_process.pid, store.writer_process.batches
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # all three arrive while it is stopped: one batch
    assert eventually(lambda: _state(pid) == "T")  # the signal is taken asynchronously
    go.set()
    time.sleep(0.3)
    os.kill(pid, signal.SIGCONT)
    for thread in threads:
        thread.join(10)
    assert outcomes["update"] == {"name": "b", "total": 5}
    assert outcomes["long"] == [{"name": "c", "total": 7}]
    assert isinstance(outcomes["failing"], sqlite3.IntegrityError)
    assert store.writer_process.batches == before + 1
    assert [tuple(r) for r in store.all("SELECT name, total FROM counters ORDER BY name")] == [
        ("a", 1), ("b", 5), ("c", 7)]


def test_a_long_write_inside_a_transaction_is_part_of_it(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        assert store.write_long("INSERT INTO counters (name, total) VALUES ('e', 1) RETURNING name",
                                {}) == [{"name": "e"}]
        raise RuntimeError("undo")
    assert store.one("SELECT 1 FROM counters WHERE name = 'e'") is None
