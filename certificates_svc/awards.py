"""Award and participation certificates from an event's published results."""

from __future__ import annotations

from typing import Any

PRIZES: dict[str, str] = {
    "first_prize": "一等奖",
    "second_prize": "二等奖",
    "third_prize": "三等奖",
    "excellence": "优秀奖",
}
PARTICIPATION = "participation"
# Best first: a person listed in several rows gets the best of their awards.
AWARD_RANK = (*PRIZES, PARTICIPATION)
# The revocation category of an award a results correction changed.
CORRECTION_CATEGORY = "results_corrected"


def desired_awards(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{person_id: result row}`` for everyone whose award earns a certificate."""
    chosen: dict[str, dict[str, Any]] = {}
    for row in results:
        award = row.get("award")
        if award not in AWARD_RANK:
            continue
        for person_id in row.get("person_ids") or []:
            held = chosen.get(person_id)
            if held is None or AWARD_RANK.index(award) < AWARD_RANK.index(held["award"]):
                chosen[person_id] = row
    return chosen


def plan_award_changes(
    desired: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """Numbers to revoke and people to issue to, so only changed awards are touched.

    ``current`` maps person ids to their standing certificate (``number``,
    ``award``) for the event.
    """
    to_revoke = [
        held["number"]
        for person_id, held in current.items()
        if person_id not in desired or desired[person_id]["award"] != held["award"]
    ]
    to_issue = [
        person_id
        for person_id, row in desired.items()
        if person_id not in current or current[person_id]["award"] != row["award"]
    ]
    return to_revoke, to_issue


def correction_reason(results: dict[str, Any]) -> str:
    """Why a correction revokes an award; public, as it names no one: ``results corrected (revision 2)``."""
    return f"results corrected (revision {results['revision']})"


def award_title(event: dict[str, Any], row: dict[str, Any]) -> str:
    """The certificate title of a result row, e.g. ``网络搭建与应用 团体一等奖``."""
    if row["award"] == PARTICIPATION:
        return f"{event['title']} 参与证书"
    team = "团体" if row.get("team_name") else ""
    return f"{event['title']} {team}{PRIZES[row['award']]}"


def award_kind(row: dict[str, Any]) -> str:
    """The certificate kind a result row earns."""
    return PARTICIPATION if row["award"] == PARTICIPATION else "competition_award"


def award_request(event: dict[str, Any], row: dict[str, Any], person_id: str) -> dict[str, Any]:
    """The certificate request for one person's award at ``event``."""
    narrative = f"{event['title']} ({event['kind']}), {row['award']}"
    if row.get("team_name"):
        narrative += f", team {row['team_name']}"
    if row.get("rank") is not None:
        narrative += f", rank {row['rank']}"
    return {
        "kind": award_kind(row),
        "holder_id": person_id,
        "issuer_id": event["organiser_id"],
        "title": award_title(event, row),
        "description": None,
        "occupation": event.get("skill"),
        "work_type": None,
        "level": None,
        "valid_until": None,
        "evidence": [{"name": event["title"], "url": None, "narrative": narrative}],
    }


def award_source(event: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """What the certificate records about where it came from."""
    return {
        "type": "event_results",
        "event_id": event["event_id"],
        "award": row["award"],
        "revision": event["revision"],
    }


def award_issuance_key(event: dict[str, Any], person_id: str, award: str) -> str:
    """What stops a second certificate for the same award of the same results revision."""
    return f"award:{event['event_id']}:{person_id}:{award}:r{event['revision']}"
