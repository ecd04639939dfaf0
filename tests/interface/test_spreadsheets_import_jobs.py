"""The roster import worker against the real database: a student number taken while an import waited."""

from __future__ import annotations

import secrets

import pytest

from members_svc import domain, imports
from members_svc.repository import MembersRepository, new_id
from members_svc.schemas import PeopleImportCreate, PeopleQuery
from services.clock import utcnow
from services.errors import Conflict
from services.mongo import connect, database_name
from services.validation import load

IDENTITY_KEY = secrets.token_bytes(32)


@pytest.fixture
def repository(config) -> MembersRepository:
    client = connect(config["MONGO_URI"])
    database = client[database_name(config, "members")]
    MembersRepository.ensure_indexes(database, config)
    yield MembersRepository(database, "members", config=config)
    client.close()


def queued_import(repository: MembersRepository, mode: str) -> tuple[str, dict]:
    """A school and an import of three students (rows 2 to 4) queued for it."""
    organisation = domain.new_organisation(new_id(), {"name": f"学校{new_id()}", "kind": "enterprise"}, utcnow())
    repository.insert_organisation(None, organisation)
    people = [{"name": f"学生{n}", "kind": "student", "student_number": f"S{n}"} for n in (1, 2, 3)]
    request = load(PeopleImportCreate, {"mode": mode, "people": people, "rows": [2, 3, 4]})
    job = imports.submit_people_import(repository, organisation["_id"], request, IDENTITY_KEY, "tester")
    return organisation["_id"], job


def register_meanwhile(repository: MembersRepository, organisation_id: str, student_number: str) -> None:
    fields = {"name": "别人", "kind": "student", "student_number": student_number, "position": None}
    repository.insert_person(None, domain.new_person(new_id(), organisation_id, fields, utcnow()))


def student_numbers(repository: MembersRepository, organisation_id: str) -> list[str]:
    query = load(PeopleQuery, {"limit": 200})
    return sorted(p["student_number"] for p in repository.list_people(organisation_id, query)[0])


def test_row_level_reports_the_row_whose_student_number_was_taken_and_registers_the_rest(repository):
    organisation_id, job = queued_import(repository, "row_level")
    register_meanwhile(repository, organisation_id, "S2")

    imports.PeopleImportWorker(repository, chunk_size=10, lease_seconds=60).run(budget_seconds=30)

    done = repository.get_people_import(job["_id"])
    assert (done["status"], done["registered"], done["failed"]) == ("done", 2, 1)
    assert [(e["row"], e["field"]) for e in done["errors"]] == [(3, "student_number")]
    assert "people" not in repository.db["people_imports"].find_one({"_id": job["_id"]})
    assert student_numbers(repository, organisation_id) == ["S1", "S2", "S3"]
    registered = repository.db["outbox"].count_documents({"event_type": "person_registered"})
    assert registered == 2


def test_all_or_nothing_writes_nobody_when_one_student_number_was_taken(repository):
    organisation_id, job = queued_import(repository, "all_or_nothing")
    register_meanwhile(repository, organisation_id, "S3")

    imports.PeopleImportWorker(repository, chunk_size=10, lease_seconds=60).run(budget_seconds=30)

    failed = repository.get_people_import(job["_id"])
    assert (failed["status"], failed["registered"], failed["failed"]) == ("failed", 0, 3)
    assert student_numbers(repository, organisation_id) == ["S3"]
    assert repository.db["outbox"].count_documents({"event_type": "person_registered"}) == 0


def test_an_import_repeating_a_registered_student_number_is_refused_before_it_is_queued(repository):
    organisation_id, _ = queued_import(repository, "row_level")
    imports.PeopleImportWorker(repository, chunk_size=10, lease_seconds=60).run(budget_seconds=30)
    request = load(
        PeopleImportCreate,
        {"mode": "row_level", "people": [{"name": "李明", "kind": "student", "student_number": "S1"}]},
    )

    with pytest.raises(Conflict) as refused:
        imports.submit_people_import(repository, organisation_id, request, IDENTITY_KEY, "tester")
    assert refused.value.details == {"people": {"0": {"student_number": ["already registered in this organisation"]}}}
