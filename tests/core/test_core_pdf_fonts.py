"""Every PDF is set in a font that has the glyphs of every working language (core/pdf.py)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import polib
import pytest

from palermo.core.pdf import FONT, FONT_BOLD, register_fonts, stylesheet

LOCALE = Path(__file__).resolve().parents[2] / "src" / "palermo" / "locale"
# The working languages whose PDFs must print; Arabic (public pages only) needs shaping and
# right-to-left ordering, which reportlab does not do (see core/pdf.py).
WORKING = ["uk", "ru", "fr", "sq", "sr"]


def _glyphs(font_name: str) -> set[int]:
    from reportlab.pdfbase import pdfmetrics

    register_fonts()
    return set(pdfmetrics.getFont(font_name).face.charToGlyph)


@pytest.mark.parametrize("language", WORKING)
def test_every_character_of_a_working_language_catalogue_is_in_the_font(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    text = "".join(e.msgstr + "".join(e.msgstr_plural.values()) for e in po.translated_entries())
    assert len(text) > 10_000  # a real catalogue, not an empty one
    used = {ord(c) for c in text if c.isprintable()}
    for face in (FONT, FONT_BOLD):
        missing = sorted(chr(c) for c in used - _glyphs(face))
        assert missing == [], f"{language} {face}: no glyph for {missing}"


def test_names_in_any_european_script_are_in_the_font():
    names = "Олена Коваленко · Љубица Ђорђевић · Ștefan Țurcanu · Zoë Çela · Łukasz Żółć · Ξανθή"
    assert {ord(c) for c in names} - _glyphs(FONT) == set()


def test_a_pdf_uses_only_the_shipped_font_and_keeps_cyrillic_text():
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = stylesheet()
    assert {s.fontName for s in styles.byName.values() if hasattr(s, "fontName")} == {
        FONT,
        FONT_BOLD,
    }
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, pageCompression=0, initialFontName=FONT)
    doc.build(
        [
            Paragraph("Звіт про моніторинг", styles["Title"]),
            Paragraph("Постачальник: <b>ТОВ «Ромашка»</b>, Київ", styles["BodyText"]),
            Paragraph("SHA-256 e3b0c44298fc1c149afbf4c8996fb924", styles["Code"]),
        ]
    )
    pdf = out.getvalue()
    fonts = set(re.findall(rb"/BaseFont /([A-Za-z0-9+\-]+)", pdf))
    assert fonts == {b"AAAAAA+DejaVuSans", b"AAAAAA+DejaVuSans-Bold"}  # no base-14 font
    # A subset font with a ToUnicode map: the text can be searched and copied from the PDF.
    from pypdf import PdfReader

    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Звіт про моніторинг" in text and "ТОВ «Ромашка», Київ" in text
