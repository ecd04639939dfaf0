"""`alliance seed --demo` against `alliance up`: the demo alliance through the public API, and again."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import date

import pytest
import requests

from alliance import demo
from alliance.embedded_db import free_port
from tests.e2e.conftest import ALLIANCE, RunningSystem

pytestmark = pytest.mark.e2e

COHORT = 40  # 39 pass: the demo's 97.6 % at a size that seeds in seconds


def seed(system: RunningSystem, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*ALLIANCE, "seed", "--demo", "--url", system.url, *args], env=system.env,
                          capture_output=True, text=True, timeout=300)


def snapshot(system: RunningSystem) -> dict[str, list]:
    """What the demo put there, as a client sees it."""
    headers = {"Authorization": f"Bearer {system.token('--role', 'alliance_admin')}"}

    def every(path: str, **params) -> list[dict]:
        items, cursor = [], None
        while True:
            page = requests.get(system.url + path, headers=headers, timeout=30,
                                params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})}).json()
            items += page["items"]
            if not (cursor := page["next_cursor"]):
                return items

    organisations = every("/api/v1/organisations")
    (alliance,) = every("/api/v1/alliances")
    events = every("/api/v1/events")
    return {
        "organisations": sorted(o["name"] for o in organisations),
        "memberships": sorted((m["organisation_id"], m["role"], m["status"])
                              for m in every(f"/api/v1/alliances/{alliance['id']}/memberships")),
        "people": sorted(p["student_number"] for o in organisations
                         for p in every(f"/api/v1/organisations/{o['id']}/people")),
        "events": sorted((e["title"], e["status"]) for e in events),
        "registrations": sorted(r["team_name"] for e in events if e["kind"] == "skills_competition"
                                for r in every(f"/api/v1/events/{e['id']}/registrations")),
        "certificates": sorted((c["kind"], c["holder_id"], c["title"]) for c in every("/api/v1/certificates")),
        "lead": [alliance["lead_organisation_id"]],
        "wulong_2022": [requests.get(system.url + "/api/v1/stats/attainment", headers=headers, timeout=30, params={
            "organisation_id": next(o["id"] for o in organisations if o["name"] == demo.WULONG),
            "year": 2022}).json()],
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
    assert (kinds.count("competition_award"), kinds.count("training_completion"), kinds.count("skill_level")) \
        == (9, 2, 39)
    stats = loaded["wulong_2022"][0]
    assert (stats["assessed"], stats["certified"]) == (COHORT, 39)

    again = seed(system, "--cohort-size", str(COHORT))
    assert again.returncode == 0, again.stderr[-3000:]
    assert set(re.findall(r"(\d+) new", again.stdout)) == {"0"}
    assert snapshot(system) == loaded


def test_seed_says_how_to_start_the_gateway_when_none_answers(tmp_path):
    env = dict(os.environ, ALLIANCE_DATA_DIR=str(tmp_path / "var"))
    result = subprocess.run([*ALLIANCE, "seed", "--demo", "--url", f"http://127.0.0.1:{free_port()}"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "alliance up" in result.stderr and "Traceback" not in result.stderr
