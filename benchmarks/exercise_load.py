"""Benchmark: one exercise instance with 200 trainees, 40 antennas and 10 controllers.

    .venv/bin/python benchmarks/exercise_load.py [--quick]
    DATABASE_URL=postgres:///palermo_bench_ex?host=/var/run/postgresql .venv/bin/python benchmarks/exercise_load.py

Builds the shipped scenario with 25 teams (8 trainees each) in a throw-away database (SQLite in
a temporary directory unless DATABASE_URL names another — it must be empty), then plays 30
exercise minutes: each minute every controller refreshes the dashboard, 40 trainees open their
inbox and acknowledge, and antennas send observations (a tenth of them resent). Requests go
through Django's test client in this process, one at a time (server time per page, not
concurrency on loopback). Prints p95 per page, the time from an inject's due time to its
delivery to every team, and the after-action report's render time with 2,000 observations.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchenv import begin, django_defaults, result


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1] if len(xs) >= 20 else max(xs)


def main() -> None:  # noqa: PLR0915 – one scripted run, step by step
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    begin("exercise_load", quick=args.quick)
    django_defaults()
    tmp = Path(tempfile.mkdtemp(prefix="palermo-ex-bench-"))
    os.environ["PALERMO_EXERCISE"] = "bench"
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'exercise.sqlite3'}")
    os.environ.setdefault("PALERMO_TESTING", "1")  # fast password hashing for 250 accounts
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from palermo.exercise import selectors, services
    from palermo.exercise.models import Exercise, Observation, Participant
    from palermo.exercise.scenario import SHIPPED, load_package

    call_command("migrate", interactive=False, verbosity=0)
    pkg = tmp / "pkg"
    shutil.copytree(SHIPPED / "harbour_crossing", pkg)
    sc_file = pkg / "scenario.yaml"
    text = sc_file.read_text()
    head, _teams, tail = text.partition("teams:\n")
    tail = tail[tail.index("sop_steps:") :]
    teams = "".join(f'  - {{key: t{i:02d}, name: "Team {i:02d}"}}\n' for i in range(1, 26))
    sc_file.write_text(head + "teams:\n" + teams + tail)
    t0 = time.perf_counter()
    ex, logins = services.load_scenario(
        load_package(pkg),
        antennas=40,
        controllers=10,
        password="Bench-exercise-1",  # noqa: S106 – throw-away accounts
    )
    kinds = {
        k: Participant.objects.filter(kind=k).count() for k in ("trainee", "observer", "controller")
    }
    result(
        "accounts created (trainees/antennas/controllers)",
        f"{kinds['trainee']}/{kinds['observer']}/{kinds['controller']}",
    )
    result("exercise built", time.perf_counter() - t0, unit="s")

    chief = Participant.objects.get(role_key="chief").user
    org = chief.organisations()[0]
    services.clock_act(actor=chief, organisation=org, act="start")
    services.clock_act(actor=chief, organisation=org, act="pause")
    rng = random.Random(16)
    clients: dict[str, Client] = {}

    def client(user) -> Client:
        if user.username not in clients:
            c = Client()
            c.force_login(user)
            clients[user.username] = c
        return clients[user.username]

    trainees = list(Participant.objects.filter(kind="trainee").select_related("user"))
    antennas = list(Participant.objects.filter(kind="observer").select_related("user"))
    controllers = list(Participant.objects.filter(kind="controller").select_related("user"))
    page_times: dict[str, list[float]] = {"inbox": [], "antenna": [], "dashboard": [], "ack": []}
    delivery_delays: list[float] = []
    minutes = 10 if args.quick else 30
    for minute in range(minutes):
        ex = Exercise.objects.get()
        services.clock_act(actor=chief, organisation=org, act="jump", value=f"D1 09:{minute:02d}")
        due = [i for i in ex.injects.filter(kind="scheduled", at_seconds=minute * 60)]
        t = time.perf_counter()
        services.tick()
        if due:
            delivery_delays.append(time.perf_counter() - t)
        for p in controllers:
            t = time.perf_counter()
            client(p.user).get("/exercise/direction/?live=1", HTTP_HX_REQUEST="true")
            page_times["dashboard"].append(time.perf_counter() - t)
        for p in rng.sample(trainees, 40 if not args.quick else 10):
            c = client(p.user)
            t = time.perf_counter()
            c.get("/exercise/inbox/")
            page_times["inbox"].append(time.perf_counter() - t)
            receipt = selectors.inbox(p).filter(acknowledged_at__isnull=True).first()
            if receipt:
                t = time.perf_counter()
                c.post(f"/exercise/inbox/{receipt.pk}/acknowledge/")
                page_times["ack"].append(time.perf_counter() - t)
        for p in rng.sample(antennas, 10):
            data = {
                "client_id": str(uuid.uuid4()),
                "criterion": rng.choice(["sop", "multi_agency", "victim_centred"]),
                "team": f"t{rng.randint(1, 25):02d}",
                "note": "Observed during the bench.",
            }
            for _ in range(2 if rng.random() < 0.1 else 1):  # a tenth resent
                t = time.perf_counter()
                client(p.user).post("/exercise/antenna/", data)
                page_times["antenna"].append(time.perf_counter() - t)
    for name, xs in page_times.items():
        if xs:
            result(
                f"p95 {name} page ({len(xs)} requests)",
                p95(xs) * 1000,
                unit="ms",
                target="< 300 ms" if name != "dashboard" else "< 500 ms",
                met=p95(xs) < (0.3 if name != "dashboard" else 0.5),
            )
    if delivery_delays:
        result(
            "inject delivery to 25 teams after its time (max of ticks)",
            max(delivery_delays),
            unit="s",
            target="< 2 s",
            met=max(delivery_delays) < 2,
        )

    # the AAR with 2,000 observations over the exercise's days
    ex = Exercise.objects.get()
    have = Observation.objects.count()
    team_list = list(ex.teams.all())
    actions = list(selectors.expected_actions(ex))
    Observation.objects.bulk_create(
        Observation(
            exercise=ex,
            client_id=uuid.uuid4(),
            antenna=rng.choice(antennas),
            team=rng.choice(team_list),
            expected_action=(a := rng.choice(actions)),
            inject=a.inject,
            criterion=a.criterion,
            rating=rng.choice(
                ["performed", "some_challenges", "major_challenges", "not_performed"]
            ),
            deviation=rng.random() < 0.1,
            note="Bench note.",
            received_at=ex.created_at,
            sim_seconds=rng.randint(0, 3 * 86400),
            day=rng.randint(1, 3),
        )
        for _ in range(2000 - have)
    )
    c = client(chief)
    t = time.perf_counter()
    r = c.get("/exercise/aar/")
    took = time.perf_counter() - t
    result(
        f"AAR with {Observation.objects.count():,} observations (status {r.status_code}, {len(r.content):,} bytes)",
        took,
        unit="s",
        target="< 10 s",
        met=took < 10 and r.status_code == 200,
    )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
