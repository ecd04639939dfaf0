"""Cursor pagination over a collection ordered by ``_id`` (ObjectId strings sort by time), by a
date field (:func:`paginate_by_date`), or by a dense integer position (:func:`paginate_by_position`).

The one paging convention: a list query schema derives from :class:`PageQuery`; a list RPC takes
that query as one dict (filters, ``limit`` and ``cursor``) and answers ``{"items", "next_cursor"}``.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime
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


def encode_cursor(last: str | int | list[str]) -> str:
    """The cursor of the page after the one ending at ``last`` (an id, a position, or a date and an id)."""
    raw = json.dumps({"after": last}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The id a cursor points after; InvalidInput for anything not made by encode_cursor."""
    after = _cursor_value(cursor)
    if not isinstance(after, str):
        raise _invalid_cursor()
    return after


def decode_position_cursor(cursor: str) -> int:
    """The position a cursor points after; InvalidInput for anything not made by encode_cursor(position)."""
    after = _cursor_value(cursor)
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise _invalid_cursor()
    return after


def decode_date_cursor(cursor: str) -> tuple[datetime, str]:
    """The (date, id) a cursor of :func:`paginate_by_date` points after; InvalidInput for anything else."""
    after = _cursor_value(cursor)
    if not (isinstance(after, list) and len(after) == 2 and all(isinstance(part, str) for part in after)):
        raise _invalid_cursor()
    try:
        moment = datetime.fromisoformat(after[0])
    except ValueError:
        raise _invalid_cursor() from None
    if moment.tzinfo is None:
        raise _invalid_cursor()
    return moment.astimezone(UTC).replace(tzinfo=None), after[1]


def _cursor_value(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise _invalid_cursor() from None


def _invalid_cursor() -> InvalidInput:
    return InvalidInput("invalid cursor", {"cursor": "not a cursor this API returned"})


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


def paginate_by_date(
    collection: Collection,
    query: dict[str, Any],
    field: str,
    limit: int | None,
    cursor: str | None,
    projection: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of documents in the order of the date ``field`` (then ``_id``, for equal dates) and
    the cursor of the next page. Every document must have the field (stored in UTC)."""
    size = check_limit(limit)
    if cursor:
        moment, last_id = decode_date_cursor(cursor)
        after = {"$or": [{field: {"$gt": moment}}, {field: moment, "_id": {"$gt": last_id}}]}
        query = {"$and": [query, after]} if query else after
    docs = list(collection.find(query, projection).sort([(field, 1), ("_id", 1)]).limit(size + 1))
    if len(docs) <= size:
        return docs, None
    last = docs[size - 1]
    moment = last[field].replace(tzinfo=UTC) if last[field].tzinfo is None else last[field].astimezone(UTC)
    return docs[:size], encode_cursor([moment.isoformat(), str(last["_id"])])


# A window spans at most this many pages' worth of positions, so one window reads a bounded number of
# documents however few of them a sparse filter keeps.
MAX_WINDOW_PAGES = 8
# Headroom over what the density seen so far says the rest of a page needs.
WINDOW_HEADROOM = 1.25


def paginate_by_position(
    collection: Collection,
    selectors: list[dict[str, Any]],
    limit: int | None,
    cursor: str | None,
    projection: dict[str, Any],
    *,
    key: str,
    last: int,
    windowed: bool,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the documents matching any of ``selectors``, in the order of ``key``: a dense
    integer position (1, 2, … ``last``; gaps allowed), unique in the collection and indexed.

    ``windowed`` reads the page as consecutive ranges of positions rather than as every matching
    document after the cursor: since positions are dense, a range of *w* positions holds at most *w*
    documents, so a page of a filter that matches thousands costs about a page of reads on a server
    that materialises every candidate before it applies a limit (the embedded one does). Ask for it
    when the selectors match many documents; a selective filter (one holder, one event) is read
    whole after the cursor, which is then cheaper than walking every range.
    """
    size = check_limit(limit)
    after = decode_position_cursor(cursor) if cursor else 0
    projection = {**projection, key: 1}
    if windowed:
        found = _read_windows(collection, selectors, size + 1, after, projection, key, last)
    else:
        found = {}
        for selector in selectors:
            query = {**selector, key: {"$gt": after}}
            found.update((doc["_id"], doc) for doc in collection.find(query, projection).sort(key, 1).limit(size + 1))
    ordered = sorted(found.values(), key=lambda doc: doc[key])
    next_cursor = encode_cursor(ordered[size - 1][key]) if len(ordered) > size else None
    return [_without(doc, key) for doc in ordered[:size]], next_cursor


def _read_windows(
    collection: Collection,
    selectors: list[dict[str, Any]],
    wanted: int,
    after: int,
    projection: dict[str, Any],
    key: str,
    last: int,
) -> dict[Any, dict[str, Any]]:
    """The matching documents of consecutive position ranges after ``after``, until ``wanted`` are found
    or the positions run out; each range is sized by the density of matches seen so far."""
    found: dict[Any, dict[str, Any]] = {}
    start, width = after, wanted
    while len(found) < wanted and start < last:
        end = min(start + width, last)
        for selector in selectors:
            # The range first: where no index holds a selector's fields and the position together,
            # the embedded server plans the query on the first indexed clause.
            found.update(
                (doc["_id"], doc) for doc in collection.find({key: {"$gt": start, "$lte": end}, **selector}, projection)
            )
        start, remaining = end, wanted - len(found)
        density = len(found) / (end - after)
        estimate = math.ceil(remaining / density * WINDOW_HEADROOM) if density else math.inf
        width = max(remaining, min(estimate, wanted * MAX_WINDOW_PAGES))
    return found


def _without(doc: dict[str, Any], key: str) -> dict[str, Any]:
    doc.pop(key, None)
    return doc
