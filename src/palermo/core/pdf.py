"""One font for every PDF Palermo writes, so that every language and every name prints.

reportlab's built-in fonts (Helvetica, Times, Courier) cover Latin-1 only: a Ukrainian,
Russian or Serbian report, a Romanian "ș", or a victim's or supplier's name in Cyrillic came
out as black boxes. The PDFs (monitoring report, exercise hot-wash and after-action report,
supply evidence and information packs, investigation evidence pack) take their styles from
:func:`stylesheet` and their page furniture's font from :data:`FONT` / :data:`FONT_BOLD`,
which are DejaVu Sans, shipped in ``core/fonts`` with its licence (Bitstream Vera licence;
DejaVu's changes are public domain) so that no system font is needed.

Not covered: right-to-left shaping. reportlab does not join Arabic letters or reorder
right-to-left text, so Arabic prints as separate letters in typing order; the PDFs are for
the working languages (uk, ru, fr, sq, sr, en).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

FONT = "PalermoSans"
FONT_BOLD = "PalermoSans-Bold"
_FONTS = Path(__file__).with_name("fonts")

# reportlab's base fonts, as the sample stylesheet names them, and what takes their place.
_BOLD = {
    "Helvetica-Bold",
    "Times-Bold",
    "Courier-Bold",
    "Helvetica-BoldOblique",
    "Times-BoldItalic",
}


@cache
def register_fonts() -> None:
    """Registers DejaVu Sans (regular and bold) with reportlab, once per process; <b> in a
    paragraph picks the bold face, <i> stays upright (no oblique face is shipped)."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT, str(_FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(_FONTS / "DejaVuSans-Bold.ttf")))
    for bold, italic, face in ((0, 0, FONT), (1, 0, FONT_BOLD), (0, 1, FONT), (1, 1, FONT_BOLD)):
        addMapping(FONT, bold, italic, face)


def stylesheet() -> Any:
    """reportlab's sample stylesheet with every style set in DejaVu Sans (bold where the
    sample is bold): the styles the PDFs already use, in a font that has the glyphs."""
    from reportlab.lib.styles import getSampleStyleSheet

    register_fonts()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        if hasattr(style, "fontName"):
            style.fontName = FONT_BOLD if style.fontName in _BOLD else FONT
    return styles
