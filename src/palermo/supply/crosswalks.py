"""Product classifications to the goods of the risk list (issue 18, item 2).

Three user-editable tables lead from a buyer's product code to a good of the list:

* the **crosswalk** (``models.Crosswalk``): a code prefix (``hs:6109``, ``cpv:18``,
  ``unspsc:53``) → a good; a default for HS is shipped (``data/goods_hs.csv``: the goods of
  the US DOL list → the HS chapters and headings of ``hscodes.HEADINGS``) and loaded on
  demand, never over an entry the user made;
* the **classification map** (``models.ClassificationMap``): a CPV code (8 digits, a dash and
  its check digit: ``18100000-0``) or a UNSPSC code (8 digits: ``53100000``) → an HS code.
  The code stands for its class: trailing zeros (CPV) or trailing ``00`` pairs (UNSPSC) are
  dropped, so ``18100000-0`` covers every ``cpv:181…`` line. The check digit's format is
  checked, not its value;
* ``compose`` folds the map into the crosswalk: each CPV/UNSPSC prefix gets the good its HS
  code reaches, unless the crosswalk names a good for that very prefix itself. The longest
  matching prefix of a line's code then decides (``risk.resolve_good``).

Pure: no Django imports.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

from palermo.supply import hscodes
from palermo.supply.risk import resolve_good

_ = hscodes._

DEFAULTS_FILE: Final = Path(__file__).parent / "data" / "goods_hs.csv"
CPV: Final = re.compile(r"\d{8}-\d")
UNSPSC: Final = re.compile(r"\d{8}")
SYSTEMS: Final = ("cpv", "unspsc")


def classification_code(value: str) -> tuple[str, str | None]:
    """``cpv:18100000-0`` or ``unspsc:53100000`` → (the prefix it stands for, e.g.
    ``cpv:181``, or "" with a message)."""
    text = (value or "").strip().lower().replace(" ", "")
    system, sep, code = text.partition(":")
    if not sep or system not in SYSTEMS:
        return "", _("Write cpv: or unspsc: and the code (cpv:18100000-0, unspsc:53100000).")
    if system == "cpv":
        if not CPV.fullmatch(code):
            return "", _("A CPV code has 8 digits, a dash and a check digit (18100000-0).")
        digits = code[:8].rstrip("0")
        digits = digits if len(digits) >= 2 else code[:2]
    else:
        if not UNSPSC.fullmatch(code):
            return "", _("A UNSPSC code has 8 digits (53100000).")
        digits = code
        while len(digits) > 2 and digits.endswith("00"):
            digits = digits[:-2]
    return f"{system}:{digits}", None


def hs_code(value: str) -> tuple[str, str | None]:
    """The digits of an HS code (``hs:6109``, ``6109`` or ``61.09``), or "" with a message."""
    text = (value or "").strip().lower().replace(" ", "").replace(".", "").removeprefix("hs:")
    if not text.isdigit():
        return "", _("An HS code has 2 to 10 digits (chapter, heading, subheading …).")
    issue = hscodes.problem(text)
    return ("", issue) if issue else (text, None)


def hs_values(value: str) -> dict[str, str]:
    """The values an HS code's message names: its chapter, heading and subheading."""
    text = (value or "").strip().lower().replace(" ", "").replace(".", "").removeprefix("hs:")
    return {"chapter": text[:2], "heading": text[:4], "subheading": text[:6]}


def compose(crosswalk: Mapping[str, str], code_map: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The crosswalk with each CPV/UNSPSC prefix of the map resolved through its HS code."""
    out = dict(crosswalk)
    for prefix, hs in code_map:
        if prefix in crosswalk:
            continue  # the user's own entry for this prefix wins
        good = resolve_good("", f"hs:{hs}", crosswalk)
        if good:
            out[prefix] = good
    return out


def default_goods(path: Path = DEFAULTS_FILE) -> list[tuple[str, str]]:
    """The shipped goods → HS crosswalk as (``hs:…`` prefix, good)."""
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    return [(f"hs:{r['hs'].strip()}", r["good"].strip()) for r in rows]
