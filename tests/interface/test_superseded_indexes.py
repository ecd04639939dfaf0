"""At start a service drops the indexes earlier versions made and nothing reads any more."""

from __future__ import annotations

from members_svc.repository import MEMBERSHIPS, PEOPLE, MembersRepository
from services.mongo import connect


def test_members_drops_the_indexes_of_earlier_versions_and_builds_their_successors(config):
    client = connect(config["MONGO_URI"])
    database = client[f"{config['DATABASE_PREFIX']}members_earlier"]
    try:
        person = {"_id": "p1", "name": "李明", "organisation_id": "o1", "certificates": [{"number": "N1"}]}
        database[PEOPLE].insert_one(person)
        # What earlier versions made: the portfolio numbers, one membership per alliance for good.
        database[PEOPLE].create_index([("certificates.number", 1)])
        database[MEMBERSHIPS].create_index([("alliance_id", 1), ("organisation_id", 1)], unique=True)
        MembersRepository.ensure_indexes(database, config)
        MembersRepository.ensure_indexes(database, config)  # a restart finds nothing left to drop
        indexes = database[PEOPLE].index_information()
        assert "certificates.number_1" not in indexes
        assert "organisation_id_1_class_name_1" in indexes and "organisation_id_1_archived_1__id_1" in indexes
        assert database[PEOPLE].count_documents({}) == 1
        memberships = database[MEMBERSHIPS].index_information()
        assert "alliance_id_1_organisation_id_1" not in memberships and "alliance_organisation" in memberships
    finally:
        client.drop_database(database.name)
        client.close()
