"""Bulk-load fictional NRM cases into PostgreSQL for the latency benchmark.

Creates (or reuses) a dedicated database, migrates it, loads the demo
organisations and users, then streams cases, persons, victim contexts, case
teams, forms of exploitation, tasks and timeline events with COPY (psycopg),
and VACUUM ANALYZEs the tables. Prints rows, time, throughput and peak memory.
Target: 1,000,000 cases and 10,000,000 timeline events.

    DATABASE_URL=postgres:///palermo_bench_cases?host=/var/run/postgresql \
        .venv/bin/python benchmarks/cases_load.py [--cases 1000000] [--events-per-case 10]

The connection comes from DATABASE_URL (any form dj-database-url reads: socket or
TCP host, user, password); --db overrides only the database name in it. Without
DATABASE_URL it uses the local socket and the database palermo_bench_cases.
Run on demand, never in the test suite. The database is dropped and re-created
with --reset. Then run benchmarks/cases_latency.py against the same database.
Prints the machine's plain-Python calibration (a 10**7-step loop) and load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta

TARGET_CASES = 1_000_000
TARGET_EVENTS_PER_CASE = 10
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
NATIONALITIES = [
    "RO",
    "MD",
    "UA",
    "NG",
    "VN",
    "AL",
    "BG",
    "PH",
    "IN",
    "BR",
    "XK",
    "TR",
    "RS",
    "MK",
    "PK",
    "CN",
]
FORMS = [
    "ForcedLabour",
    "SexualExploitation",
    "Servitude",
    "ForcedBegging",
    "ForcedMarriage",
    "ChildLabour",
]
PHASES = [
    "identification",
    "first_line",
    "medium_long_term",
    "return_inclusion",
    "proceedings",
    "closed",
]
EVENT_KINDS = ["note", "task", "referral", "consent", "decision", "transition", "person_updated"]


DEFAULT_URL = "postgres:///palermo_bench_cases?host=/var/run/postgresql"


def _db_url(url: str, name: str | None) -> str:
    """DATABASE_URL with its database name replaced by `name` (when given)."""
    from urllib.parse import urlsplit, urlunsplit

    if not name:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _conninfo(url: str, dbname: str) -> str:
    """A libpq connection string for `url`, pointed at database `dbname`."""
    import dj_database_url
    from psycopg.conninfo import make_conninfo

    cfg = dj_database_url.parse(url)
    keys = {"HOST": "host", "PORT": "port", "USER": "user", "PASSWORD": "password"}
    return make_conninfo(dbname=dbname, **{k: str(cfg[d]) for d, k in keys.items() if cfg.get(d)})


def calibration() -> str:
    """The machine's plain-Python speed and load, printed beside every figure."""
    t0 = time.perf_counter()
    x = 0
    for i in range(10_000_000):
        x += i
    loop = time.perf_counter() - t0
    load1, load5, load15 = os.getloadavg()
    return (
        f"calibration: 10^7-step Python loop {loop:.2f} s; "
        f"load average {load1:.2f} {load5:.2f} {load15:.2f} on {os.cpu_count()} CPUs"
    )


def _ensure_database(url: str, reset: bool) -> str:
    import dj_database_url
    import psycopg

    name = dj_database_url.parse(url)["NAME"]
    with psycopg.connect(_conninfo(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reset:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _ts(d: datetime) -> str:
    return d.isoformat()


class Gen:
    """Deterministic rows: same seed, same database."""

    def __init__(self, seed: int, orgs: dict[str, int], users: dict[str, int], today: date) -> None:
        self.rng = random.Random(seed)
        self.orgs = orgs
        self.users = users
        self.today = today
        self.seen: set[str] = set()

    def reference(self) -> str:
        while True:
            body = "".join(self.rng.choice(ALPHABET) for _ in range(8))
            ref = f"NRM-{body[:4]}-{body[4:]}"
            if ref not in self.seen:
                self.seen.add(ref)
                return ref


BIG_TABLES = (
    "cases_case",
    "cases_person",
    "cases_victimcontext",
    "cases_caseteammember",
    "cases_caseexploitation",
    "cases_task",
    "cases_caseevent",
)


def _drop_secondary_indexes(raw: object) -> list[str]:
    """Drop the indexes that back no constraint; return their definitions to rebuild them."""
    rows = raw.execute(  # type: ignore[attr-defined]
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND NOT EXISTS ("
        " SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [list(BIG_TABLES)],
    ).fetchall()
    for name, _ in rows:
        raw.execute(f'DROP INDEX "{name}"')  # type: ignore[attr-defined]
    raw.commit()  # type: ignore[attr-defined]
    return [ddl for _, ddl in rows]


def load(n_cases: int, events_per_case: int, seed: int) -> dict[str, int]:
    from django.db import connection

    from palermo.core import fieldcrypt
    from palermo.core.encryption import keyring
    from palermo.core.models import Organisation, User

    # Personal fields are sealed at rest (docs/security.md): the loader seals them as the
    # application would, bound to table, column and row id, under the key file's primary key.
    ring = keyring()

    def seal(table: str, column: str, row_id: int, text: str) -> str:
        return (
            fieldcrypt.encrypt(ring, text, fieldcrypt.context(table, column, row_id))
            if text
            else ""
        )

    def reserve(table: str, n: int) -> list[int]:
        with connection.cursor() as c:
            c.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return [r[0] for r in c.fetchall()]

    orgs = {o.name.split(" ")[0]: o.pk for o in Organisation.objects.all()}
    users = {u.username: u.pk for u in User.objects.all()}
    office, police, harbour, inspect, eastbay = (
        orgs["National"],
        orgs["Riverside"],
        orgs["Safe"],
        orgs["Labour"],
        orgs["Eastbay"],
    )
    referrers = [police, inspect, eastbay, eastbay, harbour, office]
    leads = [eastbay, harbour, eastbay]
    today = date.today()
    g = Gen(seed, orgs, users, today)
    rng = g.rng
    counts = dict.fromkeys(
        ("cases", "persons", "contexts", "team", "exploitation", "tasks", "events"), 0
    )
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM cases_case")
        first_id = cur.fetchone()[0] + 1
        cur.execute("SELECT reference FROM cases_case")
        g.seen.update(r[0] for r in cur.fetchall())
    raw = connection.connection  # the psycopg connection under Django's
    raw.execute("SET synchronous_commit = off")
    # Standard bulk-load practice: no foreign-key triggers row by row (the generator only
    # writes consistent rows) and secondary indexes built once at the end, not per row.
    raw.execute("SET session_replication_role = replica")
    indexes = _drop_secondary_indexes(raw)
    chunk = 50_000
    case_cols = (
        "id, reference, status, phase, identification_status, decision_organisation_id, is_child, nationality,"
        " exploitation_types, source, source_ref, referring_organisation_id, incoming_referral_date,"
        " reason_for_incoming_referral, referring_country, summary, lead_organisation_id, case_owner_id,"
        " cooperates_with_authorities, opened_at, updated_at, closed_at, closure_reason, closure_details,"
        " next_deadline, version"
    )
    person_cols = (
        "id, case_id, given_name, family_name, birthdate, gender, citizenship, primary_language, secondary_language,"
        " identity_number, phone, email, street, city, postal_code, country, identity_number_index"
    )
    ctx_cols = (
        "case_id, methods_of_recruitment, methods_of_control, exploitation_types, forced_labour_industry,"
        " sex_exploitation_types, relationship_to_trafficker, age_when_trafficked, countries_of_recruitment,"
        " countries_of_transit, countries_of_exploitation"
    )
    team_cols = "case_id, organisation_id, role, added_at, added_by_id, removed_at"
    expl_cols = "case_id, code"
    task_cols = (
        "case_id, title, kind, rule_key, rule_version, starts_on, due_on, assigned_organisation_id,"
        " remind_days_before, reminded_at, done_at, done_by_id, done_note, created_at"
    )
    event_cols = "id, case_id, at, kind, actor_id, organisation_id, summary, text, corrects_id"
    start = 0
    while start < n_cases:
        stop = min(n_cases, start + chunk)
        rows: dict[str, list[tuple[object, ...]]] = {
            k: [] for k in ("case", "person", "ctx", "team", "expl", "task", "event")
        }
        person_ids = iter(reserve("cases_person", stop - start))
        event_ids = iter(reserve("cases_caseevent", (stop - start) * events_per_case))
        for i in range(start, stop):
            cid = first_id + i
            opened = datetime.combine(
                today - timedelta(days=rng.randint(0, 3650)), datetime.min.time(), tzinfo=UTC
            ) + timedelta(minutes=rng.randint(480, 1080))
            phase = rng.choice(PHASES)
            ident = (
                "potential"
                if phase == "identification" and rng.random() < 0.8
                else rng.choice(["presumed", "identified", "identified", "not_identified"])
            )
            nat = rng.choice(NATIONALITIES)
            forms = [rng.choice(FORMS)] + ([rng.choice(FORMS)] if rng.random() < 0.2 else [])
            forms = list(dict.fromkeys(forms))
            child = rng.random() < 0.12
            referrer = rng.choice(referrers)
            lead = rng.choice(leads)
            closed = phase == "closed"
            tasks = []
            for k in range(3):
                starts = opened.date() + timedelta(days=k * 10)
                due = starts + timedelta(days=rng.choice([2, 3, 14, 30]))
                done = closed or due < today - timedelta(days=30) or rng.random() < 0.6
                tasks.append((starts, due, done))
            open_dues = [d for _, d, done in tasks if not done]
            rows["case"].append(
                (
                    cid,
                    g.reference(),
                    "Closed" if closed else rng.choice(["Active", "Active", "FollowUp"]),
                    phase,
                    ident,
                    office if ident != "potential" else None,
                    child,
                    nat,
                    json.dumps(forms),
                    rng.choice(["screening", "hotline", "agency", "transnational"]),
                    f"BENCH-{i}",
                    referrer,
                    opened.date(),
                    "",
                    "",
                    seal("cases_case", "summary", cid, "Fictional benchmark case: no real person."),
                    lead,
                    None,
                    None,
                    opened,
                    opened,
                    opened + timedelta(days=200) if closed else None,
                    "assistance_completed" if closed else "",
                    "",
                    min(open_dues) if open_dues else None,
                    1,
                )
            )
            pid = next(person_ids)

            def p(col: str, text: str, pid: int = pid) -> str:
                return seal("cases_person", col, pid, text)

            rows["person"].append(
                (
                    pid,
                    cid,
                    p("given_name", "Bench"),
                    p("family_name", f"Person{i}"),
                    None,
                    rng.choice(["Feminine", "Masculine"]),
                    json.dumps([nat]),
                    "ro",
                    "",
                    p("identity_number", f"BENCH{i:08d}"),
                    p("phone", f"+1202555{i % 100 + 100:04d}"),
                    "",
                    p("street", "1 Benchmark Street"),
                    p("city", "Demo City"),
                    "",
                    "",
                    fieldcrypt.blind_index(
                        ring.index_key, "cases_person.identity_number", f"BENCH{i:08d}"
                    ),
                )
            )
            rows["ctx"].append(
                (
                    cid,
                    "[]",
                    '["DebtBondage"]',
                    json.dumps(forms),
                    "",
                    "[]",
                    "",
                    None,
                    json.dumps([nat]),
                    "[]",
                    '["XK"]',
                )
            )
            rows["team"].append((cid, referrer, "referrer", opened, None, None))
            if lead != referrer:
                rows["team"].append((cid, lead, "lead", opened, None, None))
            for f in forms:
                rows["expl"].append((cid, f))
            for starts, due, done in tasks:
                done_at = datetime.combine(due, datetime.min.time(), tzinfo=UTC) if done else None
                rows["task"].append(
                    (
                        cid,
                        "Benchmark deadline",
                        "deadline",
                        "rights_information",
                        "1.0.0",
                        starts,
                        due,
                        lead,
                        2,
                        None,
                        done_at,
                        None,
                        "",
                        opened,
                    )
                )
            at = opened
            for _k in range(events_per_case):
                at = at + timedelta(hours=rng.randint(1, 400))
                kind = rng.choice(EVENT_KINDS)
                eid = next(event_ids)
                rows["event"].append(
                    (
                        eid,
                        cid,
                        at,
                        kind,
                        users["outreach"],
                        eastbay,
                        f"Benchmark {kind}",
                        seal("cases_caseevent", "text", eid, "Fictional note text.")
                        if kind == "note"
                        else "",
                        None,
                    )
                )
        with raw.cursor() as cur:
            for table, cols, key in (
                ("cases_case", case_cols, "case"),
                ("cases_person", person_cols, "person"),
                ("cases_victimcontext", ctx_cols, "ctx"),
                ("cases_caseteammember", team_cols, "team"),
                ("cases_caseexploitation", expl_cols, "expl"),
                ("cases_task", task_cols, "task"),
                ("cases_caseevent", event_cols, "event"),
            ):
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows[key]:
                        copy.write_row(row)
        raw.commit()
        counts["cases"] += len(rows["case"])
        counts["persons"] += len(rows["person"])
        counts["contexts"] += len(rows["ctx"])
        counts["team"] += len(rows["team"])
        counts["exploitation"] += len(rows["expl"])
        counts["tasks"] += len(rows["task"])
        counts["events"] += len(rows["event"])
        start = stop
        print(f"  {counts['cases']:>10,} cases, {counts['events']:>11,} events", flush=True)
    print(f"  rebuilding {len(indexes)} indexes …", flush=True)
    raw.execute("SET maintenance_work_mem = '512MB'")
    for ddl in indexes:
        raw.execute(ddl)
    raw.execute("SET session_replication_role = origin")
    raw.commit()
    # The ids were written explicitly: move the sequence past them.
    raw.execute(
        "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT MAX(id) FROM cases_case))"
    )
    raw.commit()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=TARGET_CASES)
    parser.add_argument("--events-per-case", type=int, default=TARGET_EVENTS_PER_CASE)
    parser.add_argument(
        "--db", default=None, help="database name (default: the one in DATABASE_URL)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--reset", action="store_true", help="drop and re-create the database first"
    )
    args = parser.parse_args()

    url = _db_url(os.environ.get("DATABASE_URL") or DEFAULT_URL, args.db)
    print(calibration(), flush=True)
    db_name = _ensure_database(url, args.reset)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("PALERMO_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from palermo.core.demo import load_demo

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    load_demo()
    print(
        f"database {db_name}: migrated, demo organisations and users ready ({time.perf_counter() - t0:.1f} s)"
    )
    t1 = time.perf_counter()
    counts = load(args.cases, args.events_per_case, args.seed)
    t2 = time.perf_counter()
    print("VACUUM ANALYZE …", flush=True)
    raw = connection.connection
    raw.autocommit = True
    for table in (
        "cases_case",
        "cases_person",
        "cases_victimcontext",
        "cases_caseteammember",
        "cases_caseexploitation",
        "cases_task",
        "cases_caseevent",
    ):
        raw.execute(f"VACUUM (ANALYZE) {table}")
    t3 = time.perf_counter()
    total_rows = sum(counts.values())
    size = raw.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"cases loaded          {counts['cases']:>12,}   (target {TARGET_CASES:,})")
    print(
        f"timeline events       {counts['events']:>12,}   (target {TARGET_CASES * TARGET_EVENTS_PER_CASE:,})"
    )
    print(
        f"other rows            {total_rows - counts['cases'] - counts['events']:>12,}   "
        "(persons, contexts, team, exploitation, tasks)"
    )
    print(f"load time             {t2 - t1:>12.1f} s   ({total_rows / (t2 - t1):,.0f} rows/s)")
    print(f"vacuum analyze        {t3 - t2:>12.1f} s")
    print(f"database size         {size:>12}")
    print(f"peak memory (loader)  {peak_mb:>12.0f} MB")
    print(calibration())


if __name__ == "__main__":
    main()
