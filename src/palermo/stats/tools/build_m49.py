"""Build ``palermo/stats/data/m49_regions.csv``: ISO 3166-1 alpha-2 → UN M49 regions.

Run once when the UN Statistics Division changes the M49 standard::

    pip download --no-deps hdx-python-country   # a wheel that ships the UNSD table
    .venv/bin/python src/palermo/stats/tools/build_m49.py TAXONOMY_CSV

TAXONOMY_CSV is "Countries & Territories Taxonomy MVP - C&T Taxonomy.csv" from
the OCHA ``hdx-python-country`` package (MIT), which carries the UNSD M49
columns (Region, Sub-region, Intermediate Region, with their numeric codes)
for every ISO 3166-1 country. The source data is UN M49
(https://unstats.un.org/unsd/methodology/m49/). The run-time code reads only
the CSV written here, so the package is not a run-time dependency.

Every ISO 3166-1 code known to pycountry gets a row; a territory M49 places in
no region (Antarctica) gets the empty string, which the generalisation
hierarchy treats as its own branch.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pycountry

OUTPUT = Path(__file__).resolve().parents[1] / "data" / "m49_regions.csv"
COLUMNS = [
    "alpha2",
    "name",
    "m49",
    "region_code",
    "region",
    "sub_region_code",
    "sub_region",
    "intermediate_region_code",
    "intermediate_region",
]


def _code(value: str) -> str:
    value = value.strip()
    return value.zfill(3) if value else ""


def build(taxonomy_csv: Path) -> list[dict[str, str]]:
    with taxonomy_csv.open(encoding="utf-8") as fh:
        source = {
            row["ISO 3166-1 Alpha 2-Codes"].strip(): row
            for row in csv.DictReader(fh)
            if row["ISO 3166-1 Alpha 2-Codes"].strip()
        }
    rows = []
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        src = source.get(country.alpha_2, {})
        rows.append(
            {
                "alpha2": country.alpha_2,
                "name": country.name,
                "m49": country.numeric,
                "region_code": _code(src.get("Region Code", "")),
                "region": src.get("Region Name", "").strip(),
                "sub_region_code": _code(src.get("Sub-region Code", "")),
                "sub_region": src.get("Sub-region Name", "").strip(),
                "intermediate_region_code": _code(src.get("Intermediate Region Code", "")),
                "intermediate_region": src.get("Intermediate Region Name", "").strip(),
            }
        )
    return rows


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    rows = build(Path(argv[1]))
    with OUTPUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
