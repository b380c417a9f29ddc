"""Delivering the outbox to webhook receivers: signed, in order per subscription, retried.

At least once: a delivery is marked done only after the receiver answered 2xx, so a crash in
between sends it again after a restart. Every delivery of an event carries the event's id
(`X-University-Event-Id`, and `id` in the body); receivers use it to ignore repeats.

Signature: `X-University-Signature: sha256=<hex>` is HMAC-SHA256, keyed with the subscription's
secret, over `<X-University-Timestamp>.<raw body>`. Receivers should also refuse old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx

from university_local import __version__
from university_local.core.clock import now_iso, to_iso, utcnow
from university_local.core.db import Row, Store

log = logging.getLogger("university_local.webhooks")
MAX_BACKOFF_SECONDS = 3600


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def backoff_seconds(attempts: int, base: float) -> float:
    """Exponential backoff with jitter: about base * 2^(attempts-1), between half and all of it."""
    delay = min(MAX_BACKOFF_SECONDS, base * 2 ** (attempts - 1))
    return delay * random.uniform(0.5, 1.0)


class Deliverer:
    """Sends due deliveries from a small thread pool; one subscription never waits for another."""

    def __init__(self, store: Store, *, max_attempts: int, retry_base_seconds: float,
                 timeout_seconds: float = 10.0, workers: int = 4) -> None:
        self.store = store
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self.http = httpx.Client(timeout=timeout_seconds, headers={"User-Agent": f"university-local/{__version__}"})
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook")
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    def run_once(self) -> None:
        """Start draining every subscription with a delivery due (the scheduler calls this)."""
        due = self.store.all(
            "SELECT DISTINCT webhook_id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?",
            (now_iso(),))
        for row in due:
            with self._lock:
                if row["webhook_id"] in self._busy:
                    continue
                self._busy.add(row["webhook_id"])
            self.pool.submit(self._drain, row["webhook_id"])

    def _drain(self, webhook_id: str) -> None:
        """Deliver this subscription's pending events oldest first, stopping at one that must wait."""
        try:
            while (head := self._head(webhook_id)) is not None and head["next_attempt_at"] <= now_iso():
                if not self._attempt(head):
                    return
        except Exception:  # a bug must not kill the pool thread; the next run tries again
            log.exception("webhook delivery for %s failed unexpectedly", webhook_id)
        finally:
            with self._lock:
                self._busy.discard(webhook_id)

    def _head(self, webhook_id: str) -> Row | None:
        return self.store.one(
            """SELECT d.id, d.attempts, d.next_attempt_at, d.event_id, e.event_type, e.payload, w.url, w.secret
               FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
               WHERE d.webhook_id = ? AND d.status = 'pending' AND w.deleted_at IS NULL AND w.status != 'disabled'
               ORDER BY d.id LIMIT 1""", (webhook_id,))

    def _attempt(self, head: Row) -> bool:
        """POST one delivery; True when the queue may move on (delivered, or given up)."""
        body = head["payload"].encode()
        timestamp = int(time.time())
        status, error = None, None
        try:
            response = self.http.post(head["url"], content=body, headers={
                "Content-Type": "application/json",
                "X-University-Event": head["event_type"],
                "X-University-Event-Id": head["event_id"],
                "X-University-Delivery": head["id"],
                "X-University-Timestamp": str(timestamp),
                "X-University-Signature": sign(head["secret"], timestamp, body),
            })
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        return self._record(head, status, error)

    def _record(self, head: Row, status: int | None, error: str | None) -> bool:
        now = utcnow()
        attempts = head["attempts"] + 1
        with self.store.transaction() as tx:
            webhook_id = tx.execute("SELECT webhook_id FROM webhook_deliveries WHERE id = ?",
                                    (head["id"],)).fetchone()[0]
            if error is None:
                tx.execute("UPDATE webhook_deliveries SET status = 'delivered', attempts = ?, last_attempt_at = ?, "
                           "delivered_at = ?, response_status = ?, last_error = NULL WHERE id = ?",
                           (attempts, to_iso(now), to_iso(now), status, head["id"]))
                tx.execute("UPDATE webhooks SET consecutive_failures = 0, status = CASE WHEN status = 'failing' "
                           "THEN 'active' ELSE status END WHERE id = ?", (webhook_id,))
                return True
            if attempts >= self.max_attempts:
                tx.execute("UPDATE webhook_deliveries SET status = 'failed', attempts = ?, last_attempt_at = ?, "
                           "response_status = ?, last_error = ? WHERE id = ?",
                           (attempts, to_iso(now), status, error, head["id"]))
                tx.execute("UPDATE webhooks SET consecutive_failures = consecutive_failures + 1, "
                           "status = CASE WHEN status = 'active' THEN 'failing' ELSE status END WHERE id = ?",
                           (webhook_id,))
                log.warning("webhook %s: gave up on delivery %s after %d attempts (%s)",
                            webhook_id, head["id"], attempts, error)
                return True
            retry_at = now + timedelta(seconds=backoff_seconds(attempts, self.retry_base_seconds))
            tx.execute("UPDATE webhook_deliveries SET attempts = ?, last_attempt_at = ?, next_attempt_at = ?, "
                       "response_status = ?, last_error = ? WHERE id = ?",
                       (attempts, to_iso(now), to_iso(retry_at), status, error, head["id"]))
            return False

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.http.close()
