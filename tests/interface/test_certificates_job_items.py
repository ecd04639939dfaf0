"""A job's items against the real database: claimed in chunks under a lease, released once, and the
keys already issued under found whatever else the holders hold."""

from __future__ import annotations

import pytest
from bson import ObjectId

from certificates_svc import assessments
from certificates_svc.assessments import JobKind
from certificates_svc.jobs import JobWorker, LeaseLost
from certificates_svc.repository import JOB_ITEMS, CertificatesRepository
from services.clock import utcnow
from services.mongo import connect, database_name


@pytest.fixture
def repository(config) -> CertificatesRepository:
    client = connect(config["MONGO_URI"])
    database = client[database_name(config, "certificates")]
    CertificatesRepository.ensure_indexes(database, config)
    yield CertificatesRepository(database, "certificates", config=config)
    client.close()


def queued_job(repository: CertificatesRepository, people: list[str]) -> str:
    """An assessment job for ``people`` (every one passed), queued with one item each."""
    job_id = str(ObjectId())
    request = {
        "issuer_id": "school",
        "occupation": "网络与信息安全管理员",
        "level": 4,
        "assessed_on": "2022-06-30",
        "external_ref": job_id,
        "results": [{"person_id": person, "passed": True, "score": 80} for person in people],
    }
    key = assessments.job_key(JobKind.ASSESSMENT, "school", request)
    items = assessments.job_items(job_id, JobKind.ASSESSMENT, key, request)
    repository.create_job(assessments.new_job(job_id, JobKind.ASSESSMENT, key, request, len(items), utcnow()), items)
    return job_id


def states(repository: CertificatesRepository, job_id: str) -> list[str]:
    return [i["state"] for i in repository.db[JOB_ITEMS].find({"job_id": job_id}).sort("index", 1)]


def release(repository: CertificatesRepository, token: str, done: list[str], failed: list[str]) -> int:
    return repository.transaction(lambda session: repository.release_items(session, token, done, failed))


def test_chunks_come_from_the_oldest_job_in_order_and_are_released_done_or_failed(repository):
    first = queued_job(repository, [f"p{n}" for n in range(5)])
    second = queued_job(repository, [f"q{n}" for n in range(3)])

    token, items = repository.claim_items(3, 60)
    assert [(i["job_id"], i["index"]) for i in items] == [(first, 0), (first, 1), (first, 2)]
    assert {i["claim"] for i in items} == {token}
    assert release(repository, token, [items[0]["_id"], items[2]["_id"]], [items[1]["_id"]]) == 3
    assert states(repository, first) == ["done", "failed", "done", "pending", "pending"]
    assert repository.items_left(first) == 2

    # The rest of the oldest job, and no item of the next one in the same chunk.
    token, items = repository.claim_items(3, 60)
    assert [(i["job_id"], i["index"]) for i in items] == [(first, 3), (first, 4)]
    assert release(repository, token, [i["_id"] for i in items], []) == 2
    assert repository.items_left(first) == 0

    token, items = repository.claim_items(10, 60)
    assert [(i["job_id"], i["index"]) for i in items] == [(second, 0), (second, 1), (second, 2)]
    assert repository.items_left(second) == 3
    assert release(repository, token, [], [i["_id"] for i in items]) == 3
    assert states(repository, second) == ["failed"] * 3
    assert repository.claim_items(10, 60) is None


def test_a_chunk_taken_over_after_its_lease_ran_out_is_released_by_its_new_holder_only(repository):
    job_id = queued_job(repository, [f"p{n}" for n in range(4)])
    stale_token, stale = repository.claim_items(4, -1)  # its lease has already run out

    token, items = repository.claim_items(4, 60)
    assert token != stale_token
    assert [i["_id"] for i in items] == [i["_id"] for i in stale]
    assert release(repository, stale_token, [i["_id"] for i in stale], []) == 0
    assert states(repository, job_id) == ["claimed"] * 4
    assert release(repository, token, [i["_id"] for i in items[1:]], [items[0]["_id"]]) == 4
    assert states(repository, job_id) == ["failed", "done", "done", "done"]


def test_a_worker_that_lost_its_lease_writes_nothing_of_its_chunk(repository):
    job_id = queued_job(repository, ["p0", "p1"])
    stale_token, stale = repository.claim_items(2, -1)
    repository.claim_items(2, 60)
    worker = JobWorker(repository, factory=None, directory=None, chunk_size=2, lease_seconds=60)
    job = repository.get_job(job_id)

    # Neither holder is known, so nothing is signed: each item fails, and the release finds the items gone.
    with pytest.raises(LeaseLost):
        worker._store_chunk(job, stale_token, stale, {}, None, "unknown issuer")
    assert states(repository, job_id) == ["claimed", "claimed"]
    assert repository.get_job(job_id)["failed"] == 0


def test_issued_keys_are_those_of_the_holders_certificates_issued_under_the_keys_asked(repository):
    def certificate(n: int, holder: str, key: str | None) -> dict:
        number = f"S{n:021d}"
        return {
            "_id": number,
            "number": number,
            "holder_id": holder,
            "status_index": n,
            "position": n,
            "issuance_key": key,
        }

    repository.insert_certificates(
        None,
        [
            certificate(1, "p1", "job-a|p1"),
            certificate(2, "p1", "award|p1"),  # another certificate of the same holder
            certificate(3, "p2", None),  # issued one by one, without a key
            certificate(4, "p3", "job-b|p3"),  # another job's
        ],
    )
    keys = ["job-a|p1", "job-a|p2", "job-a|p3", "job-a|p4"]
    assert repository.issued_keys(keys, ["p1", "p2", "p3", "p4"]) == {"job-a|p1"}
    assert repository.issued_keys(["job-b|p3", "award|p1"], ["p3", "p1"]) == {"job-b|p3", "award|p1"}
    assert repository.issued_keys(["job-a|p4"], ["p4"]) == set()
