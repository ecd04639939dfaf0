"""Idempotency-Key: a creating POST sent again with the same key gets the first answer.

Keys are stored per caller (the token's subject), so two callers' keys never
collide. The same key with a different body is refused with 422; a key whose
first request is still running gets 409. Answers of 5xx are not stored, so a
request that failed for want of a service can be retried with the same key.
Keys are kept ``IDEMPOTENCY_RETENTION_HOURS`` (a TTL index deletes them).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.clock import utcnow
from services.errors import Conflict, InvalidInput, Unprocessable
from services.mongo import Repository, ensure_ttl_index

IDEMPOTENCY_KEYS = "idempotency_keys"
DEFAULT_RETENTION_HOURS = 48
MAX_KEY_LENGTH = 255


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def retention(config: dict[str, Any] | None) -> timedelta:
    """How long a key is remembered: ``IDEMPOTENCY_RETENTION_HOURS`` (default 48)."""
    return timedelta(hours=float((config or {}).get("IDEMPOTENCY_RETENTION_HOURS", DEFAULT_RETENTION_HOURS)))


class IdempotencyRepository(Repository):
    @classmethod
    def ensure_indexes(cls, database: Database, config: dict[str, Any] | None = None) -> None:
        """The kernel's indexes and the keys' expiry."""
        super().ensure_indexes(database, config)
        ensure_ttl_index(database[IDEMPOTENCY_KEYS], "created_at", int(retention(config).total_seconds()))

    def begin(self, caller: str, key: str, request_fingerprint: str) -> dict[str, Any] | None:
        """Claim ``key`` for this request; returns the stored answer when it was already given."""
        if not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidInput("invalid Idempotency-Key", {"Idempotency-Key": f"1 to {MAX_KEY_LENGTH} characters"})
        record_id = f"{caller}\x1f{key}"
        keys = self.db[IDEMPOTENCY_KEYS]
        now = utcnow()
        # The TTL monitor deletes only now and then: a key past its time is forgotten here already.
        keys.delete_one({"_id": record_id, "created_at": {"$lt": now - retention(self.config)}})
        try:
            keys.insert_one(
                {"_id": record_id, "fingerprint": request_fingerprint, "state": "in_progress", "created_at": now}
            )
            return None
        except DuplicateKeyError:
            record = keys.find_one({"_id": record_id})
        if record is None:  # expired between the two calls
            return self.begin(caller, key, request_fingerprint)
        if record["fingerprint"] != request_fingerprint:
            raise Unprocessable(
                "this Idempotency-Key was used with a different request",
                {"Idempotency-Key": "already used with another body"},
            )
        if record["state"] != "done":
            raise Conflict("a request with this Idempotency-Key is still in progress")
        return record

    def complete(self, caller: str, key: str, status: int, body: bytes, content_type: str) -> None:
        self.db[IDEMPOTENCY_KEYS].update_one(
            {"_id": f"{caller}\x1f{key}"},
            {"$set": {"state": "done", "status": status, "body": body, "content_type": content_type}},
        )

    def abandon(self, caller: str, key: str) -> None:
        self.db[IDEMPOTENCY_KEYS].delete_one({"_id": f"{caller}\x1f{key}", "state": "in_progress"})
