"""Vocabularies of the monitoring context, as stable codes (labels live in ``models``).

Pure: no Django imports.
"""

from __future__ import annotations

from typing import Final

# The eight thematic areas of the 2016 survey on the implementation of the OSCE Action Plan
# (OSCE SR/CTHB 2016 report; 2016–17 report).
THEMATIC_AREAS: Final[tuple[str, ...]] = (
    "labour_exploitation",
    "child_trafficking",
    "organ_removal",
    "victim_identification",
    "victim_support",
    "criminal_justice_support",
    "traffickers_assets",
    "financial_investigations",
)
SOURCE_BODIES: Final[tuple[str, ...]] = (
    "osce",
    "greta",
    "un_treaty_body",
    "us_tip",
    "national",
    "other",
)
RECOMMENDATION_STATUSES: Final[tuple[str, ...]] = (
    "not_started",
    "in_progress",
    "implemented",
    "not_accepted",
)
MEASURE_STATUSES: Final[tuple[str, ...]] = (
    "planned",
    "in_progress",
    "completed",
    "delayed",
    "dropped",
)
