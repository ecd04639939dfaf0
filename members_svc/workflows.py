"""members_svc's use cases: each loads through the repository, applies the domain rules, and
writes its change together with its outbox events in one transaction."""

from __future__ import annotations

from typing import Any

from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from members_svc import corrections, domain, portfolio
from members_svc.repository import MembersRepository, new_id
from services.clock import utcnow
from services.errors import Conflict, InvalidInput


def _organisation_taken(exc: DuplicateKeyError) -> Conflict:
    """The Conflict naming the field (normalised name or code) another organisation already holds."""
    if "name_key" in str(exc.details or exc):
        return Conflict(
            "an organisation with this name exists (names compare after Unicode NFKC, case and spacing)",
            {"name": "already registered"},
        )
    return Conflict("an organisation with this code exists", {"code": "already registered"})


def _person_taken(exc: DuplicateKeyError) -> Conflict:
    """The Conflict naming the field (ID number or student number) another person of the organisation holds."""
    if "identity" in str(exc.details or exc):
        return Conflict(
            "a person with this national ID number exists in the organisation",
            {"national_id": ["already registered in this organisation"]},
        )
    return Conflict(
        "a person with this student number exists in the organisation",
        {"student_number": ["already registered in this organisation"]},
    )


# alliances


def create_alliance(repository: MembersRepository, fields: dict[str, Any]) -> dict[str, Any]:
    """A new alliance; it publishes no event, so one insert is the whole change."""
    alliance = domain.new_alliance(new_id(), fields, utcnow())
    repository.insert_alliance(alliance)
    return alliance


def correct_alliance(
    repository: MembersRepository, alliance_id: str, requested: dict[str, Any], by: str | None
) -> dict[str, Any]:
    """Apply the fields that differ, with a history line; the alliance as it is now."""
    current = repository.get_alliance(alliance_id)
    correction = domain.alliance_correction(current, requested, utcnow(), by)
    if correction is None:
        return current
    changes, entry = correction
    return repository.update_alliance(alliance_id, changes, entry)


# organisations


def register_organisation(repository: MembersRepository, fields: dict[str, Any]) -> dict[str, Any]:
    """A new organisation and its ``organisation_registered``; Conflict for a name or code already taken."""
    organisation = domain.new_organisation(new_id(), fields, utcnow())

    def work(session: ClientSession) -> None:
        repository.insert_organisation(session, organisation)
        repository.emit(session, "organisation_registered", domain.organisation_event(organisation))

    try:
        repository.transaction(work)
    except DuplicateKeyError as exc:
        raise _organisation_taken(exc) from None
    return organisation


def update_organisation(
    repository: MembersRepository, organisation_id: str, requested: dict[str, Any], by_alliance_admin: bool
) -> dict[str, Any]:
    """Apply the fields that differ; record ``organisation_updated`` when anything changed."""
    domain.check_organisation_update(requested, by_alliance_admin)

    def work(session: ClientSession) -> dict[str, Any]:
        current = repository.get_organisation(organisation_id, session)
        changes = domain.organisation_changes(current, requested)
        if not changes:
            return current
        updated = repository.update_organisation(session, organisation_id, {**changes, "updated_at": utcnow()})
        repository.emit(session, "organisation_updated", domain.organisation_event(updated))
        return updated

    try:
        return repository.transaction(work)
    except DuplicateKeyError as exc:
        raise _organisation_taken(exc) from None


# memberships


def apply_for_membership(
    repository: MembersRepository, alliance_id: str, organisation_id: str, role: str, by: str | None
) -> dict[str, Any]:
    """An ``applied`` membership, its first history line and ``membership_changed``, together."""
    now = utcnow()
    membership = domain.new_membership(new_id(), alliance_id, organisation_id, role, by, now)

    def work(session: ClientSession) -> None:
        # Writing the alliance makes concurrent applications to it conflict, so two
        # organisations cannot both pass the single-lead check.
        repository.touch_alliance(session, alliance_id, now)
        repository.get_organisation(organisation_id, session)
        domain.check_single_lead(repository.roles_and_statuses(session, alliance_id), role)
        repository.insert_membership(session, membership)
        repository.emit(session, "membership_changed", domain.membership_event(membership, None, None))

    try:
        repository.transaction(work)
    except DuplicateKeyError:
        existing = repository.find_open_membership(alliance_id, organisation_id)
        raise Conflict(
            "the organisation already has an open membership of this alliance",
            {"membership_id": existing["_id"], "current_state": existing["status"]} if existing else {},
        ) from None
    return membership


def change_membership(
    repository: MembersRepository, membership_id: str, action: str, by: str | None, reason: str | None
) -> dict[str, Any]:
    """Apply a lifecycle action: the status, its history line, the alliance's lead and
    ``membership_changed``, together."""

    def work(session: ClientSession) -> dict[str, Any]:
        membership = repository.get_membership(membership_id, session)
        old_status = membership["status"]
        new_status = domain.next_membership_status(old_status, action).value
        now = utcnow()
        updated = repository.set_membership_status(
            session,
            membership_id,
            new_status,
            domain.history_entry(old_status, new_status, now, by, reason),
            now,
        )
        alliance = repository.touch_alliance(session, membership["alliance_id"], now)
        lead = domain.lead_organisation_after(
            alliance.get("lead_organisation_id"),
            membership["role"],
            membership["organisation_id"],
            new_status,
        )
        if lead != alliance.get("lead_organisation_id"):
            repository.set_lead_organisation(session, alliance["_id"], lead)
        repository.emit(session, "membership_changed", domain.membership_event(updated, old_status, reason))
        return updated

    return repository.transaction(work)


def change_membership_role(
    repository: MembersRepository, membership_id: str, role: str, by: str | None, reason: str | None
) -> dict[str, Any]:
    """Give an open membership another role: its history line, the alliance's lead and
    ``membership_changed``, together; Conflict for a second lead."""

    def work(session: ClientSession) -> dict[str, Any]:
        membership = repository.get_membership(membership_id, session)
        domain.check_role_change(membership, role)
        if membership["role"] == role:
            return membership
        now = utcnow()
        alliance = repository.touch_alliance(session, membership["alliance_id"], now)
        domain.check_single_lead(repository.roles_and_statuses(session, alliance["_id"], but=membership_id), role)
        status = membership["status"]
        line = domain.history_entry(status, status, now, by, reason, roles=(membership["role"], role))
        updated = repository.set_membership_role(session, membership_id, role, line, now)
        lead = domain.lead_organisation_after_role_change(alliance.get("lead_organisation_id"), membership, role)
        if lead != alliance.get("lead_organisation_id"):
            repository.set_lead_organisation(session, alliance["_id"], lead)
        repository.emit(
            session, "membership_changed", domain.membership_event(updated, status, reason, membership["role"])
        )
        return updated

    return repository.transaction(work)


# people


def register_person(
    repository: MembersRepository, organisation_id: str, fields: dict[str, Any], identity_key: bytes
) -> dict[str, Any]:
    """A person of the organisation and its ``person_registered``; Conflict for a student number taken."""
    stored = domain.person_fields(fields, identity_key)
    repository.get_organisation(organisation_id)
    person = domain.new_person(new_id(), organisation_id, stored, utcnow())

    def work(session: ClientSession) -> None:
        repository.insert_person(session, person)
        repository.emit(session, "person_registered", domain.holder_record(person))

    try:
        repository.transaction(work)
    except DuplicateKeyError as exc:
        raise _person_taken(exc) from None
    return person


def register_people(
    repository: MembersRepository, organisation_id: str, cohort: list[dict[str, Any]], identity_key: bytes
) -> list[dict[str, Any]]:
    """Register a cohort in one transaction, with one ``person_registered`` event each."""
    prepared = domain.cohort_fields(cohort, identity_key)
    repository.get_organisation(organisation_id)
    now = utcnow()
    people = [domain.new_person(new_id(), organisation_id, fields, now) for fields in prepared]

    def work(session: ClientSession) -> None:
        repository.insert_people(session, people)
        repository.emit_many(session, "person_registered", [domain.holder_record(person) for person in people])

    try:
        repository.transaction(work)
    except DuplicateKeyError as exc:
        numbers = [n for n in (person.get("student_number") for person in people) if n]
        digests = [d for d in (domain.identity_digest(person) for person in people) if d]
        taken = repository.people_holding(organisation_id, numbers, digests)
        raise domain.cohort_taken(people, *taken) or _person_taken(exc) from None
    return people


def check_people(
    repository: MembersRepository, organisation_id: str, cohort: dict[int, dict[str, Any]], identity_key: bytes
) -> dict[int, dict[str, list[str]]]:
    """What registering the loaded people of a cohort (by index) would refuse, person by person,
    and the student and ID numbers they repeat or the organisation already holds; writes nothing."""
    repository.get_organisation(organisation_id)
    problems: dict[int, dict[str, list[str]]] = {}
    prepared: dict[int, dict[str, Any]] = {}
    for index, fields in cohort.items():
        try:
            prepared[index] = domain.person_fields(fields, identity_key)
        except InvalidInput as exc:
            problems[index] = {field: _messages(message) for field, message in exc.details.items()}
    numbers = [fields["student_number"] for fields in prepared.values() if fields.get("student_number")]
    digests = [fields["identity"]["digest"] for fields in prepared.values() if fields.get("identity")]
    taken_numbers, taken_digests = repository.people_holding(organisation_id, numbers, digests)
    for index, found in domain.cohort_problems(prepared, taken_numbers, taken_digests).items():
        problems.setdefault(index, {}).update(found)
    return problems


def _messages(message: Any) -> list[str]:
    return [str(item) for item in message] if isinstance(message, list) else [str(message)]


def correct_person(
    repository: MembersRepository,
    person_id: str,
    requested: dict[str, Any],
    by: str | None,
    identity_key: bytes,
) -> dict[str, Any]:
    """Apply the fields that differ, with a history line and ``person_updated``, together;
    Conflict for a student number another person of the organisation holds."""

    def work(session: ClientSession) -> dict[str, Any]:
        current = repository.get_person_with_identity(person_id, session)
        changes, changed = corrections.person_corrections(current, requested, identity_key)
        if not changed:
            return current
        now = utcnow()
        entry = corrections.correction_entry(changed, now, by, requested.get("reason"))
        updated = repository.update_person(session, person_id, {**changes, "updated_at": now}, entry)
        repository.emit(session, "person_updated", domain.person_updated_event(updated, changed))
        return updated

    try:
        return repository.transaction(work)
    except DuplicateKeyError as exc:
        raise _person_taken(exc) from None


def archive_person(repository: MembersRepository, person_id: str, by: str | None) -> dict[str, Any]:
    """Hide the person from lists and keep the record for its history and certificates;
    archiving an archived person changes nothing."""

    def work(session: ClientSession) -> dict[str, Any]:
        current = repository.get_person_with_identity(person_id, session)
        if current.get("archived"):
            return current
        now = utcnow()
        entry = corrections.correction_entry(["archived"], now, by, None)
        updated = repository.update_person(session, person_id, {"archived": True, "updated_at": now}, entry)
        repository.emit(session, "person_updated", domain.person_updated_event(updated, ["archived"]))
        return updated

    return repository.transaction(work)


def record_certificates_issued(repository: MembersRepository, envelopes: list[dict[str, Any]]) -> None:
    """Add the certificates of a batch of ``certificate_issued`` events to their holders' portfolios,
    each event once, with one read and one bulk write; NotFound when a holder is unknown."""

    def effect(session: ClientSession, fresh: list[dict[str, Any]]) -> None:
        portfolios = repository.portfolios_of(session, [envelope["data"]["holder_id"] for envelope in fresh])
        for envelope in fresh:
            data = envelope["data"]
            held = portfolios[data["holder_id"]]
            portfolios[data["holder_id"]] = portfolio.apply_certificate_event(held, portfolio.CERTIFICATE_ISSUED, data)
        repository.save_portfolios(session, portfolios)

    repository.consume_batch(envelopes, effect)


def record_certificate_event(repository: MembersRepository, event_type: str, envelope: dict[str, Any]) -> None:
    """Update the holder's portfolio from a certificates event, once per event id."""
    data = envelope["data"]

    def effect(session: ClientSession) -> None:
        held = repository.portfolio_of(session, data["holder_id"])
        repository.save_portfolio(session, data["holder_id"], portfolio.apply_certificate_event(held, event_type, data))

    repository.consume(envelope, effect)
