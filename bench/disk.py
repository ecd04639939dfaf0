"""Disk use after 100,000 certificates, and after the retention has run.

Stores the certificates straight through the repository as issuance does (``store_issued``: each
certificate with its ``certificate_issued`` outbox record, a thousand per transaction) for people
registered in members_svc, lets the outbox relay publish them and members_svc add them to the
portfolios, and reports the embedded database's data directory, its main collections, the outbox,
the processed event ids and the oplog. Then it starts the same data again with a retention of a
minute for sent outbox records and processed ids and a small oplog, waits until the retention has
deleted them, and reports the same again.

Run alone with ``python -m bench.disk [--certificates N]``; it takes longer than ``make bench``'s
other scenarios, so that does not run it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.errors import OperationFailure

from alliance.embedded_db import EmbeddedDatabase, OplogBounds, database_credentials
from bench.scenarios import Client, certificate_copies, person_name, register_people, stored_template
from bench.stack import Stack, Vhost
from certificates_svc.repository import CertificatesRepository
from certificates_svc.workflows import store_issued
from services.waiting import wait_until

CERTIFICATES = 100_000
PEOPLE = 2_000
INSERT_CHUNK = 1_000
COMMIT_ATTEMPTS = 5
INTERNAL_ERROR = 1
DRAIN_TIMEOUT_SECONDS = 3_600
# The second start: sent outbox records, processed ids and idempotency keys kept a minute; an oplog
# of a minute or 10,000 entries.
SHORT_RETENTION_SECONDS = 60
SHORT_OPLOG_ENTRIES = 10_000
SHORT_RETENTION = {
    "OUTBOX_RETENTION_DAYS": f"{SHORT_RETENTION_SECONDS / 86_400:.8f}",
    "PROCESSED_EVENTS_RETENTION_DAYS": f"{SHORT_RETENTION_SECONDS / 86_400:.8f}",
    "IDEMPOTENCY_RETENTION_HOURS": f"{SHORT_RETENTION_SECONDS / 3_600:.6f}",
    "EMBEDDED_DB_OPLOG_RETENTION_SECONDS": str(SHORT_RETENTION_SECONDS),
    "EMBEDDED_DB_OPLOG_MAX_ENTRIES": str(SHORT_OPLOG_ENTRIES),
}
# The database's TTL monitor deletes about once a minute; deleting 200,000 records takes a few more.
RETENTION_TIMEOUT_SECONDS = 1_800
DATABASE_OPEN_TIMEOUT_SECONDS = 1_800
COLLECTIONS = {
    "alliance_certificates": ("certificates", "outbox", "processed_events", "holders"),
    "alliance_members": ("people", "outbox", "processed_events"),
    "alliance_events": ("outbox", "processed_events"),
    "alliance_gateway": ("outbox", "idempotency_keys"),
}
BOOKKEEPING = ("outbox", "processed_events", "idempotency_keys")
MB = 1024 * 1024
RESULTS = Path(__file__).resolve().parent / "results" / "disk.json"


def store_certificates(stack: Stack, client: Client, count: int, people: int) -> dict[str, Any]:
    """``count`` certificates for ``people`` registered people, stored as issuance stores them."""
    school = client.post(
        "/api/v1/organisations",
        {
            "name": "武隆职业教育中心",
            "kind": "secondary_vocational_school",
            "accredited_evaluator": True,
            "evaluator": {"type": "S", "code": "5001", "province": "50", "site": "000123"},
        },
    )["id"]
    started = time.monotonic()
    roster = [{"name": person_name(i), "kind": "student", "student_number": f"D{i:07d}"} for i in range(people)]
    holders = register_people(client, school, roster)
    registered_seconds = time.monotonic() - started
    stored = stored_template(stack, client, holders[0], school)
    database = stack.mongo["alliance_certificates"]
    repository = CertificatesRepository(database, "certificates")
    started = time.monotonic()
    retried = 0
    for chunk in certificate_copies(
        repository, stored, count, INSERT_CHUNK, lambda i: {"holder_id": holders[i % people]}
    ):
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            try:
                repository.transaction(lambda session, chunk=chunk: store_issued(repository, session, chunk))
                break
            except OperationFailure as exc:
                # The embedded server answers a write conflict found only at commit as an internal
                # error, after rolling the transaction back: the chunk is stored again.
                if exc.code != INTERNAL_ERROR or attempt == COMMIT_ATTEMPTS:
                    raise
                retried += 1
    return {
        "people": people,
        "register_seconds": round(registered_seconds, 1),
        "store_seconds": round(time.monotonic() - started, 1),
        "certificates": database["certificates"].estimated_document_count(),
        "chunks_stored_again": retried,
    }


def drain(stack: Stack, count: int, processed_before: int) -> float:
    """Seconds until every certificate is published and in its holder's portfolio."""
    started = time.monotonic()
    outbox = stack.mongo["alliance_certificates"]["outbox"]
    processed = stack.mongo["alliance_members"]["processed_events"]
    # The cheap count first: counting the pending records reads each of them.
    wait_until(
        lambda: (
            processed.estimated_document_count() - processed_before >= count
            and outbox.count_documents({"status": "pending"}) == 0
        ),
        DRAIN_TIMEOUT_SECONDS,
        "the relay and members_svc to take every certificate",
        interval=2,
    )
    return time.monotonic() - started


def data_dir_bytes(stack: Stack) -> int:
    """What ``du`` says the embedded database's data directory takes on disk."""
    out = subprocess.run(
        ["du", "-s", "--block-size=1", str(stack.workdir / "var" / "db")], capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[0])


def snapshot(stack: Stack) -> dict[str, Any]:
    """The data directory, each database's and main collection's documents and sizes, the oplog."""
    figures: dict[str, Any] = {"data_dir_bytes": data_dir_bytes(stack), "databases": {}, "collections": {}}
    for name, collections in COLLECTIONS.items():
        database = stack.mongo[name]
        stats = database.command("dbStats")
        figures["databases"][name] = {k: stats[k] for k in ("objects", "dataSize", "indexSize")}
        present = set(database.list_collection_names())
        for collection in collections:
            if collection in present:
                stats = database.command("collStats", collection)
                figures["collections"][f"{name}.{collection}"] = {
                    "count": stats["count"],
                    "size": stats["size"],
                    "index_size": stats["totalIndexSize"],
                }
    figures["oplog_entries"] = stack.mongo["local"]["oplog.rs"].estimated_document_count()
    return figures


def bookkeeping_left(stack: Stack) -> int:
    """Outbox records and processed event ids still stored, in every service's database."""
    return sum(
        stack.mongo[name][collection].estimated_document_count()
        for name, collections in COLLECTIONS.items()
        for collection in collections
        if collection in BOOKKEEPING
    )


def retention_phase(workdir: Path, amqp_uri: str) -> dict[str, Any]:
    """The stored data started again with the short retention, until it has deleted the bookkeeping.

    The database is started here rather than by `alliance up`, so that the time it takes to open a
    directory of some gigabytes is measured on its own, with a deadline of its own, and is not
    counted against the stack's wait for the services to answer.
    """
    state = workdir / "var"
    database = EmbeddedDatabase(
        str(state / "db"),
        log_path=state / "embedded-db.log",
        credentials=database_credentials(state),
        oplog=OplogBounds(SHORT_RETENTION_SECONDS, SHORT_OPLOG_ENTRIES),
    )
    started = time.monotonic()
    database.start(timeout=DATABASE_OPEN_TIMEOUT_SECONDS)
    figures: dict[str, Any] = {"database_open_seconds": round(time.monotonic() - started, 1)}
    try:
        # With MONGO_URI set, `alliance up` uses that database; the services set the TTL indexes as they start.
        stack = Stack(workdir, amqp_uri, env={**SHORT_RETENTION, "MONGO_URI": database.uri})
        stack.mongo.close()
        stack.mongo = MongoClient(database.uri, tz_aware=True)
        try:
            started = time.monotonic()
            wait_until(
                lambda: bookkeeping_left(stack) == 0,
                RETENTION_TIMEOUT_SECONDS,
                "the retention to delete the outbox records and processed ids",
                interval=5,
            )
            figures["retention_seconds"] = round(time.monotonic() - started, 1)
            figures["after_retention"] = snapshot(stack)
        finally:
            stack.stop()
    finally:
        database.stop()
    return figures


def run(workdir: Path, count: int) -> dict[str, Any]:
    vhost = Vhost()
    workdir.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {"certificates": count}
    try:
        stack = Stack(workdir, vhost.uri)
        try:
            client = Client(stack)
            processed_before = stack.mongo["alliance_members"]["processed_events"].estimated_document_count()
            print(f"storing {count:,} certificates ...", flush=True)
            figures["stored"] = store_certificates(stack, client, count, min(PEOPLE, count))
            print(f"  {figures['stored']}", flush=True)
            figures["stored"]["drain_seconds"] = round(drain(stack, count, processed_before), 1)
            print(f"  published and in the portfolios {figures['stored']['drain_seconds']} s later", flush=True)
            figures["after_drain"] = snapshot(stack)
            save(figures)
        finally:
            stack.stop()
        (workdir / "stack.log").rename(workdir / "stack-first.log")
        print(f"starting again with a retention of {SHORT_RETENTION_SECONDS} s ...", flush=True)
        figures.update(retention_phase(workdir, vhost.uri))
    finally:
        vhost.delete()
    return figures


def save(figures: dict[str, Any]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2))


def table(figures: dict[str, Any]) -> list[tuple[str, str, str]]:
    before, after = figures["after_drain"], figures["after_retention"]
    rows = [
        ("data directory (du)", f"{before['data_dir_bytes'] / MB:,.1f} MB", f"{after['data_dir_bytes'] / MB:,.1f} MB")
    ]
    for name in COLLECTIONS:
        b, a = before["databases"][name], after["databases"][name]
        rows.append(
            (
                f"{name} (dbStats)",
                f"{b['objects']:,} docs, {b['dataSize'] / MB:,.1f} MB data, {b['indexSize'] / MB:,.1f} MB indexes",
                f"{a['objects']:,} docs, {a['dataSize'] / MB:,.1f} MB data, {a['indexSize'] / MB:,.1f} MB indexes",
            )
        )
    for key in before["collections"]:
        b, a = before["collections"][key], after["collections"].get(key, {"count": 0, "size": 0, "index_size": 0})
        rows.append(
            (
                key,
                f"{b['count']:,} docs, {b['size'] / MB:,.1f} MB + {b['index_size'] / MB:,.1f} MB indexes",
                f"{a['count']:,} docs, {a['size'] / MB:,.1f} MB + {a['index_size'] / MB:,.1f} MB indexes",
            )
        )
    rows.append(("oplog entries", f"{before['oplog_entries']:,}", f"{after['oplog_entries']:,}"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.disk")
    parser.add_argument("--certificates", type=int, default=CERTIFICATES, help="how many to store (default 100,000)")
    parser.add_argument(
        "--workdir", type=Path, help="keep the stack's data and logs in this new directory (default: a temporary one)"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.workdir is not None:
        args.workdir.mkdir(parents=True)
        figures = run(args.workdir, args.certificates)
    else:
        with tempfile.TemporaryDirectory(prefix="alliance-bench-disk-") as tmp:
            figures = run(Path(tmp), args.certificates)
    stored = figures["stored"]
    print()
    print(
        f"{stored['certificates']:,} certificates for {stored['people']:,} people: "
        f"stored in {stored['store_seconds']} s ({stored['chunks_stored_again']} chunks of {INSERT_CHUNK:,} "
        "stored again after a conflict at commit), "
        f"published and in every portfolio {stored['drain_seconds']} s later; the retention of "
        f"{SHORT_RETENTION_SECONDS} s had deleted the outbox records and processed ids "
        f"{figures['retention_seconds']} s after the second start (its database took "
        f"{figures['database_open_seconds']} s to open)"
    )
    rows = [("", "after the drain", f"after a {SHORT_RETENTION_SECONDS} s retention"), *table(figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for n, row in enumerate(rows):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if n == 0:
            print(" | ".join("-" * width for width in widths))
    figures["duration_s"] = round(time.monotonic() - started, 1)
    save(figures)
    print(f"\nwritten {RESULTS} in {figures['duration_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
