"""Shared helpers of the monitoring tests (imported, not collected)."""

from __future__ import annotations


def acting(name: str):
    from palermo.core.models import User

    u = User.objects.get(username=name)
    return u, u.organisations()[0]


CSV_HEADER = "source_body,report,paragraph,issued_on,thematic_area,addressee,text,due_on,response\n"


def csv_file(*rows: str) -> bytes:
    return (CSV_HEADER + "".join(r + "\n" for r in rows)).encode("utf-8")


GOOD_ROWS = (
    "un_treaty_body,CEDAW concluding observations (fictional),31,2025-02-10,victim_support,Government,"
    '"Provide shelters for all victims, including men.",2026-12-31,shelters',
    "us_tip,TIP Report 2025 (fictional),Prioritised recommendation 3,2025-06-24,victim_support,Government,"
    '"Increase shelter capacity for adult male victims.",2026-06-30,shelters',
    "greta,Third round (fictional),140,2025-06-02,labour_exploitation,Labour Inspectorate,"
    '"Give labour inspectors a mandate to identify victims.",,',
)
