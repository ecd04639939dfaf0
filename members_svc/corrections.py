"""Corrections of a registered person, free of I/O: what changes, and the history line it leaves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from members_svc import domain
from services.errors import Conflict


def person_corrections(
    current: dict[str, Any], requested: dict[str, Any], identity_key: bytes
) -> tuple[dict[str, Any], list[str]]:
    """What a correction changes in the stored person, and the names of the fields it changed.

    A re-entered national ID replaces the stored digest and masked form; null removes them.
    Its value is never compared or recorded, so it counts as changed whenever it is given.
    """
    if current.get("archived"):
        raise Conflict("an archived person cannot be corrected", {"person_id": "archived"})
    editable = {key: value for key, value in requested.items() if key not in ("national_id", "reason")}
    changes = {field: value for field, value in editable.items() if current.get(field) != value}
    kind = changes.get("kind", current["kind"])
    domain.check_person_position(kind, changes.get("position", current.get("position")))
    changed = sorted(changes)
    if "national_id" in requested:
        national_id = requested["national_id"]
        changes.update(
            domain.stored_identity(national_id, identity_key)
            if national_id
            else {"identity": None, "national_id_masked": None}
        )
        changed = sorted([*changed, "national_id"])
    return changes, changed


def correction_entry(changed: list[str], at: datetime, by: str | None, reason: str | None) -> dict[str, Any]:
    """One line of a person's correction history: which fields, when, by whom and why (no values)."""
    return {"changed_fields": changed, "at": at, "by": by, "reason": reason}
