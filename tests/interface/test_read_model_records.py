"""Read-model records are written in one bulk write: new ids inserted, recorded ones replaced."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.mongo import Repository, connect


@pytest.fixture
def repository(config) -> Iterator[Repository]:
    client = connect(config["MONGO_URI"])
    yield Repository(client[f"{config['DATABASE_PREFIX']}records"], producer="test")
    client.close()


def saved(repository: Repository, records: list[dict], known: set | None = None) -> dict:
    repository.transaction(lambda session: repository.save_records(session, "people", records, known))
    return {record["_id"]: record for record in repository.db["people"].find()}


def test_new_records_are_added_and_recorded_ones_replaced_whole(repository):
    saved(repository, [{"_id": "a", "name": "王伟", "kind": "student"}])
    stored = saved(repository, [{"_id": "a", "name": "王伟强"}, {"_id": "b", "name": "李娜"}])
    assert stored == {"a": {"_id": "a", "name": "王伟强"}, "b": {"_id": "b", "name": "李娜"}}


def test_the_last_record_of_an_id_in_one_write_wins(repository):
    stored = saved(repository, [{"_id": "a", "name": "first"}, {"_id": "a", "name": "last"}])
    assert stored == {"a": {"_id": "a", "name": "last"}}


def test_known_ids_given_by_the_caller_are_replaced(repository):
    saved(repository, [{"_id": "a", "name": "王伟"}])
    assert saved(repository, [{"_id": "a", "name": "张敏"}], known={"a"}) == {"a": {"_id": "a", "name": "张敏"}}


def test_nothing_to_record_writes_nothing(repository):
    assert saved(repository, []) == {}
