"""A learner's work is never lost or double-counted: concurrency, kill -9, and a disk that refuses writes."""

from __future__ import annotations

import random
import resource
import sqlite3
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import Api, error_of, make_tenant, start_server


def _setup(api: Api, learners: int, lessons: int) -> tuple[dict, list[dict]]:
    course = api.course()
    module = api.module(course["id"])
    made = [api.lesson(module["id"]) for _ in range(lessons)]
    response = api.post("/enrollments/bulk", {"course_id": course["id"],
                                              "user_ids": [f"p{n}" for n in range(learners)]})
    assert response.json()["data"]["enrolled_count"] == learners
    return course, made


def test_fifty_threads_lose_nothing_and_complete_once(server) -> None:
    tenant = make_tenant(server)
    api = tenant.secret
    learners, lessons = 5, 4
    course, made = _setup(api, learners, lessons)
    sent: dict[tuple[str, str], int] = {}
    lock = threading.Lock()
    failures: list[str] = []

    def worker(n: int) -> None:
        rng = random.Random(n)
        client = tenant.with_key(api.key).http
        for step in range(20):
            user, lesson = f"p{rng.randrange(learners)}", made[rng.randrange(lessons)]["id"]
            total = rng.randrange(1, 5000)
            if rng.random() < 0.3:
                response = client.post(f"/lessons/{lesson}/complete", json={"user_id": user, "time_spent_seconds": total})
            else:
                response = client.patch(f"/lessons/{lesson}/progress",
                                        json={"user_id": user, "time_spent_seconds": total, "position": step})
            if response.status_code != 200:
                failures.append(response.text)
                continue
            with lock:
                sent[(user, lesson)] = max(sent.get((user, lesson), 0), total)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    for n in range(learners):
        user = f"p{n}"
        progress = api.get(f"/progress/{course['id']}/users/{user}").json()["data"]["attributes"]
        expected_seconds = sum(v for (u, _), v in sent.items() if u == user)
        completed = progress["lessons_completed"]
        assert len(completed) == len({c["lesson_id"] for c in completed})  # no duplicate completions
        enrollment = api.get("/enrollments", params={"user_id": user}).json()["data"][0]["attributes"]
        total_seconds = sum(
            api.patch(f"/lessons/{lesson['id']}/progress", json={"user_id": user}).json()["data"]["attributes"]["time_spent_seconds"]
            for lesson in made)
        assert total_seconds == expected_seconds
        assert enrollment["time_spent_minutes"] == expected_seconds // 60
    events = server.store.scalar("SELECT COUNT(*) FROM events WHERE app_id = ? AND event_type = 'lesson.completed'",
                                 (tenant.app_id,))
    completions = server.store.scalar("SELECT COUNT(*) FROM lesson_progress WHERE app_id = ? AND completed_at IS NOT NULL",
                                      (tenant.app_id,))
    assert events == completions  # one lesson.completed per completion, never two


def test_acknowledged_writes_survive_kill_9(tmp_path) -> None:
    srv = start_server(tmp_path, {"UNIVERSITY_LOCAL_RATE_LIMITS": "off"})
    tenant = make_tenant(srv)
    api = tenant.secret
    learners, lessons = 8, 5
    _, made = _setup(api, learners, lessons)
    acknowledged: dict[tuple[str, str], int] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int) -> None:
        client = tenant.with_key(api.key).http
        total = 0
        while not stop.is_set():
            total += 1
            user, lesson = f"p{n % learners}", made[total % lessons]["id"]
            try:
                response = client.patch(f"/lessons/{lesson}/progress", json={"user_id": user, "time_spent_seconds": total * 7 + n})
            except httpx.HTTPError:
                return  # the server is gone
            if response.status_code == 200:
                with lock:
                    key = (user, lesson)
                    acknowledged[key] = max(acknowledged.get(key, 0), total * 7 + n)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    srv.kill()
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) > 10
    restarted = start_server(tmp_path, {"UNIVERSITY_LOCAL_RATE_LIMITS": "off"})
    try:
        store = restarted.store
        for (user, lesson), seconds in acknowledged.items():
            stored = store.scalar("SELECT time_spent_seconds FROM lesson_progress WHERE app_id = ? AND user_id = ? "
                                  "AND lesson_id = ?", (tenant.app_id, user, lesson))
            assert stored is not None and stored >= seconds, (user, lesson, stored, seconds)
    finally:
        restarted.stop()


def _process_tree(pid: int) -> list[int]:
    """`pid` and every process under it: uWSGI's master, router and worker, and the writer process."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    tree = [pid]
    for member in tree:
        tree += [child for child, parent in parents.items() if parent == member]
    return tree


def _limit_file_size(pids: list[int], limit: int) -> None:
    """Let the processes write no further into any file than `limit` bytes (RLIMIT_FSIZE): every
    write to the database, its WAL and the log then fails, as on a disk that is full or failing."""
    for pid in pids:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


def test_a_disk_that_refuses_writes_answers_503_and_loses_nothing(tmp_path) -> None:
    srv = start_server(tmp_path, {"UNIVERSITY_LOCAL_RATE_LIMITS": "off"})
    try:
        api = make_tenant(srv).secret
        course = api.course(status="published")
        lesson = api.lesson(api.module(course["id"])["id"])
        assert api.create("/enrollments", "enrollment", course_id=course["id"], user_id="sam")
        position = f"/lessons/{lesson['id']}/progress"
        assert api.patch(position, {"user_id": "sam", "position": 5, "time_spent_seconds": 10}).status_code == 200
        pids = _process_tree(srv.proc.pid)  # the writer process is running now: it applied that update

        _limit_file_size(pids, 1)
        refused = [
            api.patch(position, {"user_id": "sam", "position": 6, "time_spent_seconds": 20}),  # the writer process
            api.post(f"/lessons/{lesson['id']}/complete", {"user_id": "sam", "time_spent_seconds": 30}),  # a transaction
            api.post("/courses", {"data": {"type": "course", "attributes": {"title": "Lost?"}}}),
        ]
        for response in refused:
            assert response.status_code == 503, response.text
            assert error_of(response)["code"] in {"storage_full", "storage_unavailable"}
            assert int(response.headers["Retry-After"]) > 0

        _limit_file_size(pids, resource.RLIM_INFINITY)
        # Nothing of the refused writes is there, and everything before them is.
        progress = api.get(f"/progress/{course['id']}/users/sam").json()["data"]["attributes"]
        assert progress["lessons_completed"] == [] and progress["current_lesson"]["position"] == 5
        assert api.get("/courses").json()["meta"]["total"] == 1
        # Sent again, as a client told 503 does, each lands once.
        assert api.patch(position, {"user_id": "sam", "position": 6, "time_spent_seconds": 20}).json()["data"][
            "attributes"]["time_spent_seconds"] == 20
        done = api.post(f"/lessons/{lesson['id']}/complete", {"user_id": "sam", "time_spent_seconds": 30})
        assert done.json()["data"]["attributes"]["enrollment_status"] == "completed"
        assert api.post("/courses", {"data": {"type": "course", "attributes": {"title": "Now"}}}).status_code == 201
        enrollment = api.get("/enrollments", params={"user_id": "sam"}).json()["data"][0]["attributes"]
        assert (enrollment["status"], enrollment["lessons_completed"]) == ("completed", 1)
        assert srv.proc.poll() is None
    finally:
        srv.stop()
    with sqlite3.connect(tmp_path / "university.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_disk_that_fails_under_load_loses_no_acknowledged_write(tmp_path) -> None:
    """Learners keep saving while the disk refuses writes for moments at a time: every write is
    answered 2xx or a 503 that says to send it again, and every 2xx is on disk afterwards, whether
    it went through the writer process (positions) or a shared group commit (completions)."""
    srv = start_server(tmp_path, {"UNIVERSITY_LOCAL_RATE_LIMITS": "off"})
    try:
        tenant = make_tenant(srv)
        api = tenant.secret
        learners, lessons = 30, 6  # enough pairs that a pair's last acknowledged write often meets a fault
        course, made = _setup(api, learners, lessons)
        assert api.patch(f"/lessons/{made[0]['id']}/progress", {"user_id": "p0", "position": 1}).status_code == 200
        pids = _process_tree(srv.proc.pid)  # with the writer process, started by that update
        acknowledged: dict[tuple[str, str], int] = {}
        completed: set[tuple[str, str]] = set()
        refused: list[str] = []
        unexpected: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def learner(n: int) -> None:
            rng = random.Random(n)
            client = tenant.with_key(api.key).http
            step = 0
            while not stop.is_set():
                step += 1
                user, lesson = f"p{rng.randrange(learners)}", made[rng.randrange(lessons)]["id"]
                seconds = step * 100 + n  # grows, and tells the threads apart
                completing = rng.random() < 0.1
                if completing:
                    response = client.post(f"/lessons/{lesson}/complete", json={"user_id": user, "time_spent_seconds": seconds})
                else:
                    response = client.patch(f"/lessons/{lesson}/progress",
                                            json={"user_id": user, "time_spent_seconds": seconds, "position": step})
                with lock:
                    if response.status_code == 200:
                        acknowledged[(user, lesson)] = max(acknowledged.get((user, lesson), 0), seconds)
                        if completing:
                            completed.add((user, lesson))
                    elif response.status_code == 503 and error_of(response)["code"] in {"storage_full", "storage_unavailable"}:
                        refused.append(error_of(response)["code"])
                    else:
                        unexpected.append(f"{response.status_code} {response.text}")

        threads = [threading.Thread(target=learner, args=(n,)) for n in range(12)]
        for t in threads:
            t.start()
        try:
            for _ in range(4):
                time.sleep(0.4)
                _limit_file_size(pids, 1)
                time.sleep(0.4)
                _limit_file_size(pids, resource.RLIM_INFINITY)
            time.sleep(0.4)
        finally:
            _limit_file_size(pids, resource.RLIM_INFINITY)
            stop.set()
            for t in threads:
                t.join()

        assert unexpected == []
        assert refused and len(acknowledged) > 20  # the disk did refuse, and the learners did save
        for (user, lesson), seconds in acknowledged.items():
            row = srv.store.one("SELECT time_spent_seconds, completed_at FROM lesson_progress WHERE app_id = ? "
                                "AND user_id = ? AND lesson_id = ?", (tenant.app_id, user, lesson))
            assert row is not None and row["time_spent_seconds"] >= seconds, (user, lesson, seconds)
            assert (user, lesson) not in completed or row["completed_at"] is not None, (user, lesson)
        events = srv.store.scalar("SELECT COUNT(*) FROM events WHERE app_id = ? AND event_type = 'lesson.completed'",
                                  (tenant.app_id,))
        completions = srv.store.scalar("SELECT COUNT(*) FROM lesson_progress WHERE app_id = ? "
                                       "AND completed_at IS NOT NULL", (tenant.app_id,))
        assert events == completions  # a refused completion left no event behind, a saved one left one
        assert api.get(f"/progress/{course['id']}/users/p0").status_code == 200
        assert srv.proc.poll() is None
    finally:
        srv.stop()
    with sqlite3.connect(tmp_path / "university.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
