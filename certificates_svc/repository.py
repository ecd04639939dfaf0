"""The only module that touches certificates_svc's collections."""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from services.errors import Conflict, NotFound
from services.mongo import Repository
from services.pagination import paginate

CERTIFICATES = "certificates"
COUNTERS = "counters"
HOLDERS = "holders"  # read model of members' people
ISSUERS = "issuers"  # read model of members' organisations

STATUS_INDEX_COUNTER = "status-list-index"


class CertificatesRepository(Repository):
    INDEXES = [
        (CERTIFICATES, [("number", 1)], {"unique": True}),
        (CERTIFICATES, [("holder_id", 1)], {}),
        (CERTIFICATES, [("issuer_id", 1), ("issued_at", 1)], {}),
        (CERTIFICATES, [("status_index", 1)], {"unique": True}),
    ]

    # read models fed by members events

    def save_holder(self, session: ClientSession | None, holder: dict[str, Any]) -> None:
        self.db[HOLDERS].replace_one({"_id": holder["_id"]}, holder, upsert=True, session=session)

    def save_issuer(self, session: ClientSession | None, issuer: dict[str, Any]) -> None:
        self.db[ISSUERS].replace_one({"_id": issuer["_id"]}, issuer, upsert=True, session=session)

    def find_holder(self, person_id: str) -> dict[str, Any] | None:
        return self.db[HOLDERS].find_one({"_id": person_id})

    def find_issuer(self, organisation_id: str) -> dict[str, Any] | None:
        return self.db[ISSUERS].find_one({"_id": organisation_id})

    # numbers

    def next_serial(self, key: str) -> int:
        """The next value of an atomic counter; never the same twice, even across instances."""
        counter = self.db[COUNTERS].find_one_and_update(
            {"_id": key}, {"$inc": {"value": 1}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        return int(counter["value"])

    def next_status_index(self) -> int:
        return self.next_serial(STATUS_INDEX_COUNTER) - 1

    # certificates

    def insert_certificate(self, certificate: dict[str, Any], issued_event: dict[str, Any]) -> None:
        """Store a signed certificate and its ``certificate_issued`` event together."""

        def work(session: ClientSession) -> None:
            self.db[CERTIFICATES].insert_one(certificate, session=session)
            self.emit(session, "certificate_issued", issued_event)

        try:
            self.transaction(work)
        except DuplicateKeyError:
            raise Conflict(f"certificate number {certificate['number']} is taken") from None

    def get_certificate(self, number: str) -> dict[str, Any]:
        certificate = self.db[CERTIFICATES].find_one({"_id": number})
        if certificate is None:
            raise NotFound(f"certificate {number} not found")
        return certificate

    def list_certificates(self, query: dict[str, Any], limit: int | None, cursor: str | None):
        return paginate(self.db[CERTIFICATES], query, limit, cursor, projection={"credential": 0})
