"""`make bench`: run every scenario on fresh stacks, print the table, write bench/results/latest.json."""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import requests

from bench import list_pages, scenarios
from bench.stack import MANAGEMENT_URI, Stack, Vhost

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    try:
        rabbit = requests.get(f"{MANAGEMENT_URI}/api/overview", timeout=5).json().get("rabbitmq_version")
    except requests.RequestException:
        rabbit = None
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "rabbitmq": rabbit,
        "packages": {
            name: version(name) for name in ("nameko", "eventlet", "kombu", "pymongo", "marshmallow", "SecantusDB")
        },
    }


def run(seconds: float, scale_out: bool = True) -> dict:
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="alliance-bench-") as tmp:
        vhost = Vhost()
        (Path(tmp) / "one").mkdir()
        stack = Stack(Path(tmp) / "one", vhost.uri)
        try:
            client = scenarios.Client(stack)
            print("preparing a cohort of 2,114 candidates ...", flush=True)
            cohort = scenarios.prepare_cohort(stack, client)
            print("cohort (1 certificates instance) ...", flush=True)
            figures["cohort"] = scenarios.run_cohort(stack, client, cohort)
            figures["memory"] = scenarios.process_stats(stack.service_pids())
            figures["cohort_floor"] = scenarios.cohort_floor(stack, vhost.uri)
            figures["registration"] = cohort["registration"]
            figures["registration_floor"] = scenarios.registration_floor(stack, cohort)
            print("outbox relay ...", flush=True)
            figures["relay"] = scenarios.relay_throughput(stack, vhost.uri)
            # What is measured so far, should a later scenario fail.
            print(
                json.dumps(
                    {k: figures[k] for k in ("registration", "registration_floor", "cohort", "relay")}, default=str
                )
            )
            print("verify ...", flush=True)
            figures["verify"] = scenarios.verify_load(stack, client, cohort, seconds)
            figures["verify_floor"] = scenarios.verify_floor(stack, vhost.uri, Path(tmp), seconds)
            print("fan-out ...", flush=True)
            figures["fan_out"] = scenarios.fan_out(stack, client, cohort, 50, seconds)
        finally:
            stack.stop()
            vhost.delete()
        if scale_out:
            figures.update(run_scale_out(Path(tmp) / "two"))
        print("list pages ...", flush=True)
        figures["list_pages"] = list_pages.run(Path(tmp) / "lists")
    return figures


def run_scale_out(workdir: Path) -> dict:
    """The cohort again, on a fresh stack with two certificates instances."""
    vhost = Vhost()
    workdir.mkdir()
    stack = Stack(workdir, vhost.uri, scale={"certificates": 2})
    try:
        client = scenarios.Client(stack)
        print("cohort (2 certificates instances) ...", flush=True)
        cohort = scenarios.prepare_cohort(stack, client)
        before = scenarios.process_stats(stack.service_pids())
        two = scenarios.run_cohort(stack, client, cohort)
        after = scenarios.process_stats(stack.service_pids())
        return {
            "cohort_two_instances": two,
            "scale_out_cpu_s": [
                round(a["cpu_s"] - b["cpu_s"], 2)
                for b, a in zip(before["certificates"], after["certificates"], strict=True)
            ],
        }
    finally:
        stack.stop()
        vhost.delete()


def run_registration(people: int) -> dict:
    """Only the registration scenario and its floor, on one fresh stack."""
    with tempfile.TemporaryDirectory(prefix="alliance-bench-") as tmp:
        vhost = Vhost()
        # Registering 5,000 people in one call takes longer than the default RPC deadline here.
        stack = Stack(Path(tmp), vhost.uri, env={"RPC_TIMEOUT_SECONDS": "120"})
        try:
            client = scenarios.Client(stack)
            print(f"registering {people:,} people ...", flush=True)
            cohort = scenarios.prepare_cohort(stack, client, people)
            return {
                "registration": cohort["registration"],
                "registration_floor": scenarios.registration_floor(stack, cohort),
            }
        finally:
            stack.stop()
            vhost.delete()


def registration_row(figures: dict) -> tuple[str, str, str, str, str]:
    registration, registration_floor = figures["registration"], figures["registration_floor"]
    registration_ratio = registration["seconds"] / registration_floor["seconds"]
    return (
        "registration",
        f"{registration['people']} people in every read model in {registration['seconds']:.1f} s, "
        f"{registration['db_commands_per_person']:.2f} db round trips/person",
        f"raw insert {registration_floor['seconds']:.2f} s",
        f"{registration_ratio:.1f}× floor time",
        f"≤ 5× floor time: {registration_ratio <= 5}; ≤ 0.5 round trips: "
        f"{registration['db_commands_per_person'] <= 0.5}",
    )


def table(figures: dict) -> list[tuple[str, str, str, str, str]]:
    if "cohort" not in figures:
        return [registration_row(figures)]
    cohort, floor = figures["cohort"], figures["cohort_floor"]
    verify, verify_floor = figures["verify"], figures["verify_floor"]
    fan = figures["fan_out"]
    two = figures.get("cohort_two_instances")
    split = figures.get("scale_out_cpu_s")
    rss = max(p["rss_mb"] for procs in figures["memory"].values() for p in procs)
    cohort_ratio = cohort["throughput_per_s"] / floor["throughput_per_s"]
    verify_ratio = verify["rps"] / verify_floor["rps"]
    relay = figures["relay"]
    rows = [
        registration_row(figures),
        (
            "outbox relay",
            f"{relay['per_batch']['per_s']:.0f} events/s, confirms awaited per batch",
            f"{relay['per_message']['per_s']:.0f} events/s, per message",
            f"{relay['per_batch']['per_s'] / relay['per_message']['per_s']:.1f}",
            f"{relay['records']} records drained",
        ),
        (
            "cohort",
            f"{cohort['throughput_per_s']:.0f} certs/s ({cohort['seconds']:.1f} s), "
            f"{cohort['db_commands_per_certificate']:.2f} db round trips/cert",
            f"{floor['throughput_per_s']:.0f} docs/s",
            f"{cohort_ratio:.2f}",
            f"≥ 0.3 × floor: {cohort_ratio >= 0.3}; ≤ 0.5 round trips: {cohort['db_commands_per_certificate'] <= 0.5}",
        ),
        (
            "verify",
            f"{verify['rps']:.0f} req/s, p99 {verify['p99_ms']:.0f} ms",
            f"{verify_floor['rps']:.0f} req/s, p99 {verify_floor['p99_ms']:.0f} ms",
            f"{verify_ratio:.2f}",
            f"≥ 0.8 × floor: {verify_ratio >= 0.8}",
        ),
        (
            "fan-out",
            f"p99 {fan['p99_ms']:.0f} ms (p50 {fan['p50_ms']:.0f}) at {fan['achieved_rate_per_s']:.0f}/s",
            "—",
            "—",
            f"p99 ≤ 200 ms: {fan['p99_ms'] <= 200}",
        ),
        ("memory", f"max RSS {rss:.0f} MB", "—", "—", f"≤ 250 MB each: {rss <= 250}"),
        *list_pages.rows(figures["list_pages"]),
    ]
    if two is not None and split is not None:
        rows.append(
            (
                "scale-out",
                f"{two['throughput_per_s']:.0f} certs/s with 2 instances",
                "1 instance",
                f"{two['throughput_per_s'] / cohort['throughput_per_s']:.2f}",
                f"CPU split {' / '.join(f'{s:.1f} s' for s in split)}",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the verify and fan-out loads")
    parser.add_argument(
        "--no-scale-out", action="store_true", help="skip the second stack (the cohort with 2 certificates instances)"
    )
    parser.add_argument(
        "--only-registration",
        type=int,
        metavar="PEOPLE",
        help="run only the registration scenario, with this many people (at most 5,000, one batch call)",
    )
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so every stack and vhost of the run is cleaned up.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    started = time.monotonic()
    if args.only_registration:
        figures = run_registration(args.only_registration)
    else:
        figures = run(args.seconds, scale_out=not args.no_scale_out)
    rows = table(figures)
    header = ("scenario", "the project", "its floor", "ratio", "target")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
    report = {
        "machine": machine(),
        "figures": figures,
        "table": rows,
        "duration_s": round(time.monotonic() - started, 1),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    results = RESULTS.with_name("registration.json") if args.only_registration else RESULTS
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    print(f"\nwritten {results} in {report['duration_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
