"""The label tables of the web app and of the public pages name every code the services use,
and where both have a table, they say the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from certificates_svc.assessments import JobKind, JobStatus
from certificates_svc.lifecycle import REVOCATION_CATEGORIES
from certificates_svc.numbers import CERTIFICATE_KINDS
from certificates_svc.schemas import VERIFICATION_STATUSES
from events_svc.domain import EventKind, EventStatus, RegistrationStatus
from events_svc.results import Award
from members_svc.domain import MembershipRole, MembershipStatus, OrganisationKind, PersonKind, ResearcherPosition
from members_svc.imports import ImportMode
from members_svc.schemas import PersonUpdate

STATIC = Path(__file__).resolve().parents[2] / "gateway" / "static"
ENTRY = re.compile(r'^\s*"?([\w]+)"?\s*:\s*\[\s*"([^"]*)"\s*,\s*"([^"]*)"\s*\]', re.MULTILINE)


def tables(path: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """Each ``NAME = { code: ["中文", "English"], ... }`` of a script, by NAME."""
    text = path.read_text()
    found = {}
    for match in re.finditer(r"\b([A-Z][A-Z_]+) = \{(.*?)\n\s*\};", text, re.DOTALL):
        found[match.group(1)] = {code: (zh, en) for code, zh, en in ENTRY.findall(match.group(2))}
    return found


APP = tables(STATIC / "app" / "labels.js")
PUBLIC = tables(STATIC / "web" / "common.js")


def values(enum) -> set[str]:
    return {member.value for member in enum}


@pytest.mark.parametrize(
    ("table", "codes"),
    [
        ("EVENT_KINDS", values(EventKind)),
        ("CERTIFICATE_KINDS", set(CERTIFICATE_KINDS)),
        ("PERSON_KINDS", values(PersonKind)),
        ("RESEARCHER_POSITIONS", values(ResearcherPosition)),
        ("EVENT_AWARDS", values(Award)),
        ("REVOCATION_CATEGORIES", set(REVOCATION_CATEGORIES)),
        ("ORGANISATION_KINDS", values(OrganisationKind)),
        ("MEMBERSHIP_ROLES", values(MembershipRole)),
        ("MEMBERSHIP_STATUSES", values(MembershipStatus)),
        ("JOB_KINDS", values(JobKind)),
        ("IMPORT_MODES", values(ImportMode) | {"preview"}),  # an upload checked and not imported
    ],
)
def test_each_app_table_names_exactly_the_codes_of_the_service(table, codes):
    assert set(APP[table]) == codes


def test_the_app_names_every_status_and_every_field_a_correction_can_change():
    statuses = (
        set(VERIFICATION_STATUSES)
        | values(EventStatus)
        | values(RegistrationStatus)
        | values(MembershipStatus)
        | values(JobStatus)
    )
    assert statuses <= set(APP["STATUSES"]), statuses - set(APP["STATUSES"])
    corrected = set(PersonUpdate().fields) - {"reason"}
    assert corrected | {"archived"} <= set(APP["PERSON_FIELDS"]), corrected - set(APP["PERSON_FIELDS"])


def test_the_public_pages_say_what_the_app_says_and_name_every_certificate_and_event_status():
    assert PUBLIC["KINDS"] == APP["EVENT_KINDS"]
    assert PUBLIC["CERTIFICATE_KINDS"] == APP["CERTIFICATE_KINDS"]
    assert {code: APP["STATUSES"][code] for code in PUBLIC["STATUSES"]} == PUBLIC["STATUSES"]
    assert set(VERIFICATION_STATUSES) | values(EventStatus) <= set(PUBLIC["STATUSES"])
