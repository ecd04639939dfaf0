"""`alliance seed --demo` against `alliance up`: the demo alliance through the public API, and again."""

from __future__ import annotations

import re
import subprocess
from datetime import date

import pytest

from alliance import demo
from alliance.embedded_db import free_port
from tests.support.cli import alliance
from tests.support.system import RunningSystem

pytestmark = pytest.mark.e2e

COHORT = 40  # 39 pass: the demo's 97.6 % at a size that seeds in seconds


def seed(system: RunningSystem, *args: str) -> subprocess.CompletedProcess:
    return alliance("seed", "--demo", "--url", system.url, *args, env=system.env, timeout=300)


def snapshot(system: RunningSystem) -> dict[str, list]:
    """What the demo put there, as a client sees it."""
    organisations = system.all("/api/v1/organisations")
    (demo_alliance,) = system.all("/api/v1/alliances")
    events = system.all("/api/v1/events")
    return {
        "organisations": sorted(o["name"] for o in organisations),
        "memberships": sorted(
            (m["organisation_id"], m["role"], m["status"])
            for m in system.all(f"/api/v1/alliances/{demo_alliance['id']}/memberships")
        ),
        "people": sorted(
            p["student_number"] for o in organisations for p in system.all(f"/api/v1/organisations/{o['id']}/people")
        ),
        "events": sorted((e["title"], e["status"]) for e in events),
        "registrations": sorted(
            r["team_name"]
            for e in events
            if e["kind"] == "skills_competition"
            for r in system.all(f"/api/v1/events/{e['id']}/registrations")
        ),
        "certificates": sorted((c["kind"], c["holder_id"], c["title"]) for c in system.all("/api/v1/certificates")),
        "lead": [demo_alliance["lead_organisation_id"]],
        "wulong_2022": [
            system.get(
                "/api/v1/stats/attainment",
                year=2022,
                organisation_id=next(o["id"] for o in organisations if o["name"] == demo.WULONG),
            )
        ],
    }


@pytest.fixture
def system(system_env, tmp_path):
    running = RunningSystem(system_env, free_port(), tmp_path / "up.log")
    try:
        running.wait_ready()
        yield running
    finally:
        assert running.stop() == 0


def test_seed_loads_the_demo_alliance_and_a_second_run_changes_nothing(system):
    first = seed(system, "--cohort-size", str(COHORT))
    assert first.returncode == 0, first.stderr[-3000:]
    assert "Traceback" not in first.stderr
    assert "2022 assessment at 武隆职业教育中心: 39 of 40 certified (97.5%)" in first.stdout
    assert "first prize (网络搭建与应用): 3 award certificates" in first.stdout
    loaded = snapshot(system)

    assert loaded["organisations"] == sorted(o.name for o in demo.ORGANISATIONS)
    assert len(loaded["memberships"]) == 14 and {m[2] for m in loaded["memberships"]} == {"active"}
    assert sorted(m[1] for m in loaded["memberships"]).count("lead") == 1
    assert len(loaded["people"]) == len(demo.PEOPLE) + COHORT
    competition = next(e.body["title"] for e in demo.events(date.today()) if e.key == "competition")
    assert dict(loaded["events"])[competition] == "closed"
    assert loaded["registrations"] == sorted(team for _, team, *_ in demo.TEAMS)
    kinds = [kind for kind, _, _ in loaded["certificates"]]
    # 3 teams × 3 people win prizes; two teachers completed the training; 39 passed the assessment.
    assert (kinds.count("competition_award"), kinds.count("training_completion"), kinds.count("skill_level")) == (
        9,
        2,
        39,
    )
    stats = loaded["wulong_2022"][0]
    assert (stats["assessed"], stats["certified"]) == (COHORT, 39)

    again = seed(system, "--cohort-size", str(COHORT))
    assert again.returncode == 0, again.stderr[-3000:]
    assert set(re.findall(r"(\d+) new", again.stdout)) == {"0"}
    assert snapshot(system) == loaded


def test_seed_says_how_to_start_the_gateway_when_none_answers(tmp_path):
    result = alliance(
        "seed", "--demo", "--url", f"http://127.0.0.1:{free_port()}", ALLIANCE_DATA_DIR=str(tmp_path / "var")
    )
    assert result.returncode == 2
    assert "alliance up" in result.stderr and "Traceback" not in result.stderr
