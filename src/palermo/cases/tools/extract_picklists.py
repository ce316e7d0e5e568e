"""Regenerate ``cases/data/htcds_picklists.json`` from the HTCDS 2.0 specification.

The case file validates its picklist fields against this small extract, so the
case context starts even without the statistics context's full specification;
``tests/cases/test_cases_vocabulary.py`` checks the extract against
``stats/data/htcds_2_0.json`` whenever that file is present.

Run: ``python src/palermo/cases/tools/extract_picklists.py``
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent.parent / "stats" / "data" / "htcds_2_0.json"
OUT = HERE.parent / "data" / "htcds_picklists.json"

# The HTCDS picklists the case file stores.
FIELDS = [
    "prs_Gender",
    "vic_TraffickingStatus",
    "vic_TraffickingStatusDecisionMakingOrg",
    "vic_RelationshipToTrafficker",
    "vic_MethodOfRecruitment",
    "vic_MethodsOfControl",
    "vic_TypeOfExploitation",
    "vic_ForcedLabourIndustry",
    "vic_TypeOfSexExploitation",
    "per_RoleInProcess",
    "cas_Status",
    "cas_ReasonForIncomingReferral",
    "hte_Type",
    "spl_Type",
]


def main() -> None:
    doc = json.loads(SPEC.read_text(encoding="utf-8"))
    by_name = {f["name"]: f for f in doc["fields"]}
    out = {
        "standard": doc["standard"],
        "version": doc["version"],
        "attribution": doc["attribution"],
        "license": doc["license"],
        "generated_by": "src/palermo/cases/tools/extract_picklists.py",
        "picklists": {
            name: {
                "label": by_name[name]["label"],
                "multiple": by_name[name]["multiple"],
                "values": [
                    {"name": v["name"], "label": v["label"]} for v in by_name[name]["values"]
                ],
            }
            for name in FIELDS
        },
    }
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(FIELDS)} picklists)")


if __name__ == "__main__":
    main()
