"""Certificate lists page in issue order by position, reading ranges of positions rather than every
match: every certificate exactly once, in order, whatever the filter, the gaps or the page size."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from pymongo import MongoClient, monitoring

from certificates_svc.repository import CERTIFICATES, COUNTERS, POSITION_COUNTER, CertificatesRepository
from services.errors import InvalidInput
from services.mongo import connect
from services.pagination import encode_cursor

SCHOOLS = ("school-a", "school-b", "school-c")
ISSUERS = ("evaluator", "school-a")
# Positions drawn for certificates that were never stored (a failed chunk): lists step over them.
GAPS = range(150, 170)


class Finds(monitoring.CommandListener):
    """How many ``find`` commands the client sends."""

    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.count += event.command_name == "find"

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def finds() -> Finds:
    return Finds()


@pytest.fixture
def repository(config, finds) -> Iterator[CertificatesRepository]:
    client: MongoClient = MongoClient(config["MONGO_URI"], event_listeners=[finds], tz_aware=True)
    database = client[f"{config['DATABASE_PREFIX']}certificates"]
    CertificatesRepository.ensure_indexes(database, config)
    yield CertificatesRepository(database, producer="certificates")
    client.close()


def certificate(position: int) -> dict[str, Any]:
    """A stored certificate's listed fields; school-c's people hold one in 37 (a sparse list)."""
    school = "school-c" if position % 37 == 0 else SCHOOLS[position % 2]
    number = f"N{10_000_000 - position:08d}"  # numbers in the opposite order to issue
    return {
        "_id": number,
        "number": number,
        "position": position,
        "status_index": position,
        "kind": "skill_level",
        "title": "电工 四级",
        "holder_id": f"person-{position % 50}",
        "holder_organisation_id": school,
        "issuer_id": ISSUERS[position % 3 == 0],
        "level": 4,
        "status": "revoked" if position % 10 == 0 else "active",
        "issued_at": datetime(2026, 6, 1, tzinfo=timezone.utc),
    }


@pytest.fixture
def stored(repository) -> list[dict[str, Any]]:
    """600 positions drawn, 580 certificates stored."""
    first = repository.reserve_positions(600)
    certificates = [certificate(p) for p in range(first, first + 600) if p not in GAPS]
    repository.db[CERTIFICATES].insert_many(certificates)
    return certificates


def every_page(repository: CertificatesRepository, limit: int, **filters: Any) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        items, cursor = repository.list_certificates({"limit": limit, "cursor": cursor, **filters})
        pages.append([item["number"] for item in items])
        if cursor is None:
            return pages


def in_issue_order(certificates: list[dict[str, Any]], keep) -> list[str]:
    return [c["number"] for c in sorted(certificates, key=lambda c: c["position"]) if keep(c)]


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        ({}, lambda c: True),
        ({"holder_organisation_id": "school-c"}, lambda c: c["holder_organisation_id"] == "school-c"),
        ({"organisation_id": "school-a"}, lambda c: "school-a" in (c["holder_organisation_id"], c["issuer_id"])),
        (
            {"holder_organisation_id": "school-b", "status": "revoked"},
            lambda c: c["holder_organisation_id"] == "school-b" and c["status"] == "revoked",
        ),
        ({"holder_id": "person-7"}, lambda c: c["holder_id"] == "person-7"),
        ({"holder_organisation_id": "nobody"}, lambda c: False),
    ],
    ids=["all", "sparse-school", "either-party", "two-filters", "one-holder", "none"],
)
@pytest.mark.parametrize("limit", [7, 200])
def test_pages_hold_every_certificate_once_in_issue_order(repository, stored, filters, keep, limit):
    pages = every_page(repository, limit, **filters)
    assert [number for page in pages for number in page] == in_issue_order(stored, keep)
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages[-1]) <= limit


def test_a_page_of_a_sparse_list_reads_ranges_not_every_match(repository, stored, finds):
    """school-c holds 1 in 37: a 10-item page takes a few growing ranges, not one per item."""
    finds.count = 0
    items, cursor = repository.list_certificates({"limit": 10, "cursor": None, "holder_organisation_id": "school-c"})
    assert len(items) == 10 and cursor is not None
    # One read of the position counter, then ranges sized by the density found so far.
    assert finds.count <= 8


def test_a_page_of_every_certificate_is_one_range(repository, stored, finds):
    finds.count = 0
    items, _ = repository.list_certificates({"limit": 200, "cursor": None})
    assert len(items) == 200
    # The counter, a range of 201 positions, and one more range for the 20 positions in it never stored.
    assert finds.count == 3


def test_certificates_from_before_positions_get_them_in_number_order(config):
    client = connect(config["MONGO_URI"])
    database = client[f"{config['DATABASE_PREFIX']}earlier"]
    try:
        database[CERTIFICATES].insert_many(
            [{"_id": n, "number": n, "status_index": i} for i, n in enumerate(("B2", "A1", "C3"))]
        )
        database[CERTIFICATES].create_index([("holder_id", 1), ("_id", 1)])  # lists paged by number then
        CertificatesRepository.ensure_indexes(database, config)
        CertificatesRepository.ensure_indexes(database, config)  # a restart places nothing twice
        assert "holder_id_1__id_1" not in database[CERTIFICATES].index_information()
        placed = {c["_id"]: c["position"] for c in database[CERTIFICATES].find()}
        assert placed == {"A1": 1, "B2": 2, "C3": 3}
        assert database[COUNTERS].find_one({"_id": POSITION_COUNTER})["value"] == 3
        repository = CertificatesRepository(database, producer="certificates")
        items, _ = repository.list_certificates({"limit": 10, "cursor": None})
        assert [item["number"] for item in items] == ["A1", "B2", "C3"]
    finally:
        client.close()


@pytest.mark.parametrize("cursor", [encode_cursor("N00001234"), encode_cursor(-1), "not-a-cursor"])
def test_a_cursor_not_of_a_certificate_list_is_refused(repository, stored, cursor):
    with pytest.raises(InvalidInput) as refused:
        repository.list_certificates({"limit": 10, "cursor": cursor})
    assert refused.value.details == {"cursor": "not a cursor this API returned"}
