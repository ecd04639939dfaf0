"""Cursor pagination over a collection ordered by ``_id`` (ObjectId strings sort by time).

The one paging convention: a list query schema derives from :class:`PageQuery`; a list RPC takes
that query as one dict (filters, ``limit`` and ``cursor``) and answers ``{"items", "next_cursor"}``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from marshmallow import fields, validate
from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from services.errors import InvalidInput
from services.validation import StrictSchema

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageQuery(StrictSchema):
    """``limit`` and ``cursor`` of a list query; filters are added by subclasses."""

    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(load_default=None)


def page(items: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    """The answer of every list RPC and list route."""
    return {"items": items, "next_cursor": next_cursor}


def encode_cursor(last_id: str) -> str:
    raw = json.dumps({"after": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The id a cursor points after; InvalidInput for anything not made by encode_cursor."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = value["after"]
        if not isinstance(after, str):
            raise ValueError
        return after
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise InvalidInput("invalid cursor", {"cursor": "not a cursor this API returned"}) from None


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= int(limit) <= MAX_LIMIT:
        raise InvalidInput("invalid limit", {"limit": f"must be between 1 and {MAX_LIMIT}"})
    return int(limit)


def paginate(
    collection: Collection,
    query: dict[str, Any],
    limit: int | None,
    cursor: str | None,
    projection: dict[str, Any] | None = None,
    session: ClientSession | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of documents and the cursor of the next page (None on the last)."""
    size = check_limit(limit)
    if cursor:
        after = {"$gt": decode_cursor(cursor)}
        # Beside the filter's own fields rather than under $and, so that an index on (field, _id)
        # serves both; the embedded server scans the whole collection for a top-level $and.
        query = {**query, "_id": after} if "_id" not in query else {"$and": [query, {"_id": after}]}
    docs = list(collection.find(query, projection, session=session).sort("_id", 1).limit(size + 1))
    next_cursor = encode_cursor(docs[size - 1]["_id"]) if len(docs) > size else None
    return docs[:size], next_cursor


def paginate_any(
    collection: Collection,
    selectors: list[dict[str, Any]],
    limit: int | None,
    cursor: str | None,
    projection: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the documents matching any of ``selectors``, in ``_id`` order, as :func:`paginate` pages.

    Several selectors stand for one ``$or`` (run as separate, index-served queries).
    """
    size = check_limit(limit)
    found: dict[str, dict[str, Any]] = {}
    more = False
    for selector in selectors:
        docs, next_cursor = paginate(collection, selector, size, cursor, projection)
        found.update((doc["_id"], doc) for doc in docs)
        more = more or next_cursor is not None
    ordered = [found[key] for key in sorted(found)]
    # Each selector gave its first ``size`` after the cursor, so the first ``size`` of the union are among them.
    more = more or len(ordered) > size
    return ordered[:size], encode_cursor(ordered[size - 1]["_id"]) if more else None
