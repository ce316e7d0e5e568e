"""Benchmark: the monitoring indicators over the cases of a real database, and the annual report.

    DATABASE_URL=postgres:///palermo_bench?host=/var/run/postgresql \\
        .venv/bin/python benchmarks/cases_load.py --cases 1000000 --events-per-case 0 --reset
    DATABASE_URL=… .venv/bin/python benchmarks/monitor_db.py --add-monitoring-rows
    DATABASE_URL=… .venv/bin/python benchmarks/monitor_db.py

Runs against whatever database DATABASE_URL names. ``cases_load.py`` bulk-loads the cases
with COPY; ``--add-monitoring-rows`` then adds, in a few set-based INSERT … SELECT statements,
what the indicators read besides the case itself — guardian and reflection-period deadlines,
guardians appointed, service referrals, compensation claims and links to a financial
investigation — for a deterministic share of the cases (by id). Prints, beside the machine's
plain-Python calibration and load:

* every indicator computed from the database — the grouped read of the case facts
  (``cases.selectors.monitoring_fact_groups``, joined with the investigate context's
  investigations per case), conditions, counting and small-cell protection
  (target: < 30 s for 1,000,000 cases on PostgreSQL);
* the annual report as PDF, DOCX and HTML with its own charts, and then with 20 charts
  (the report's charts repeated under other titles), each end to end — indicators, register,
  plans, charts, rendering (target: the report with 20 charts in < 15 s).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import time


def calibration() -> float:
    start = time.perf_counter()
    n = 0
    for i in range(10_000_000):
        n += i
    return time.perf_counter() - start


MONITORING_ROWS = [
    # Guardian deadline 3 days after the referral for presumed/identified children.
    """INSERT INTO cases_task (case_id, title, kind, rule_key, rule_version, starts_on, due_on,
           assigned_organisation_id, remind_days_before, reminded_at, done_at, done_by_id,
           done_note, created_at)
       SELECT id, 'Benchmark guardian', 'deadline', 'guardian_appointment', '1.0.0',
              incoming_referral_date, incoming_referral_date + 3, lead_organisation_id, 1, NULL,
              NULL, NULL, '', opened_at
       FROM cases_case WHERE is_child AND identification_status IN ('presumed', 'identified')""",
    # Reflection period started for 7 in 10 presumed/identified victims.
    """INSERT INTO cases_task (case_id, title, kind, rule_key, rule_version, starts_on, due_on,
           assigned_organisation_id, remind_days_before, reminded_at, done_at, done_by_id,
           done_note, created_at)
       SELECT id, 'Benchmark reflection', 'deadline', 'reflection_recovery_period', '1.0.0',
              incoming_referral_date, incoming_referral_date + 30, lead_organisation_id, 1, NULL,
              NULL, NULL, '', opened_at
       FROM cases_case
       WHERE identification_status IN ('presumed', 'identified') AND id % 10 < 7""",
    # Guardian appointed 0–5 days after the referral for 4 in 5 children.
    """INSERT INTO cases_childsafeguard (case_id, guardian_name, guardian_appointed_on,
           child_protection_authority, child_protection_notified_on, guardian_organisation_id)
       SELECT id, '', incoming_referral_date + (id % 6)::int, '', NULL, NULL
       FROM cases_case WHERE is_child AND id % 5 <> 0
       ON CONFLICT DO NOTHING""",
    # A referral for 1 in 3 cases, in every status.
    """INSERT INTO cases_servicereferral (case_id, service_type, status, details, sent_at,
           responded_at, decline_reason, delivered_at, closed_at, outcome, outcome_details,
           consent_id, provider_id, receiving_organisation_id, sending_organisation_id, sent_by_id)
       SELECT c.id, 'shelter',
              (ARRAY['sent', 'accepted', 'declined', 'delivered', 'closed'])[c.id % 5 + 1],
              '', c.opened_at, CASE WHEN c.id % 5 = 0 THEN NULL ELSE c.opened_at END, '', NULL,
              NULL, '', '', (SELECT MIN(id) FROM cases_consent), p.id, p.organisation_id,
              c.lead_organisation_id, NULL
       FROM cases_case c, (SELECT id, organisation_id FROM cases_serviceprovider
                           ORDER BY id LIMIT 1) p
       WHERE c.id % 3 = 0""",
    # A compensation claim for 1 in 7 cases, in every status.
    """INSERT INTO cases_compensationclaim (case_id, amount, currency, source, status, filed_on,
           decided_on, amount_awarded, recorded_at, recorded_by_id)
       SELECT id, 5000, 'EUR', 'offender',
              (ARRAY['planned', 'filed', 'awarded', 'rejected', 'paid'])[id % 5 + 1],
              incoming_referral_date, NULL, NULL, opened_at, NULL
       FROM cases_case WHERE id % 7 = 0""",
    # 1 in 9 cases linked to the first financial investigation.
    """INSERT INTO investigate_investigationcase (case_id, investigation_id, linked_at,
           linked_by_id)
       SELECT id, (SELECT MIN(id) FROM investigate_investigation), opened_at, NULL
       FROM cases_case WHERE id % 9 = 0
       ON CONFLICT DO NOTHING""",
]


def add_monitoring_rows() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        for sql in MONITORING_ROWS:
            start = time.perf_counter()
            cur.execute(sql)
            table = sql.split("INSERT INTO ")[1].split(" ")[0]
            print(f"  {table}: {cur.rowcount:,} rows in {time.perf_counter() - start:.1f} s")
        for table in (
            "cases_task",
            "cases_childsafeguard",
            "cases_servicereferral",
            "cases_compensationclaim",
            "investigate_investigationcase",
        ):
            cur.execute(f"VACUUM ANALYZE {table}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--add-monitoring-rows",
        action="store_true",
        help="add deadlines, safeguards, referrals, claims and investigation links, then stop",
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    os.environ.setdefault("PALERMO_TESTING", "1")  # no demo key files; auditing as configured
    import django

    django.setup()
    if args.add_monitoring_rows:
        from django.db import connection

        connection.ensure_connection()
        connection.connection.autocommit = True
        add_monitoring_rows()
        return
    from palermo.cases.models import Case
    from palermo.monitor import report, selectors

    print(f"calibration: 10^7-step loop {calibration():.2f} s; load {os.getloadavg()}")
    n = Case.objects.count()
    print(f"cases in the database: {n:,}")
    for _ in range(args.repeat):
        start = time.perf_counter()
        results = selectors.indicator_results(None, None, year=None)
        took = time.perf_counter() - start
        print(
            f"all {len(results)} indicators over {n:,} cases: {took:.1f} s "
            f"(target < 30 s at 10^6); load {os.getloadavg()[0]:.1f}"
        )
    for fmt in ("pdf", "docx", "html"):
        start = time.perf_counter()
        out = report.annual_report(actor=None, organisation=None, year=None, fmt=fmt)
        print(
            f"annual report {fmt} (its own charts): {time.perf_counter() - start:.1f} s, {len(out):,} bytes"
        )

    # The report with 20 charts: the report's data as it is built, then its indicators (each a
    # table and a chart) repeated under other titles until the report holds 20 charts, then
    # rendered — end to end, indicators included.
    def twenty(data: report.ReportData) -> report.ReportData:
        inds = list(data.indicators)
        out = dict(data.charts)
        i = 0
        while len(out) < 20:
            ind = data.indicators[i % len(data.indicators)]
            copy = {**ind, "id": f"{ind['id']}_{i}", "title": f"{ind['title']} ({i + 2})"}
            inds.append(copy)
            out[copy["id"]] = dataclasses.replace(data.charts[ind["id"]], title=copy["title"])
            i += 1
        return dataclasses.replace(data, indicators=inds, charts=out)

    for fmt in ("pdf", "docx", "html"):
        for _ in range(args.repeat):
            start = time.perf_counter()
            data = twenty(report.report_data(None, None, year=None))
            mid = time.perf_counter()
            body = report.RENDERERS[fmt](data)
            end = time.perf_counter()
            print(
                f"annual report {fmt} with {len(data.charts)} charts: {end - start:.1f} s "
                f"(data {mid - start:.1f} s, rendering {end - mid:.1f} s), {len(body):,} bytes "
                f"(target < 15 s); load {os.getloadavg()[0]:.1f}"
            )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {rss:.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
