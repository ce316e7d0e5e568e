"""The children's rule on the result page: words not codes, in English and French, and
the page's next steps are the engine's (same codes, same English text)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from test_screening_shell import auth
from tests.conftest import needs_french

from palermo.screening.engine import _NEXT_STEP_TEXT, NEXT_STEP_CODES
from palermo.screening.labels import NEXT_STEP_LABELS, OUTCOME_LABELS, outcome_label

CHILD = {
    "age": 15,
    "forms": ["labour"],
    "act": ["recruitment"],
    "indicators": [{"key": "excessive_working_hours"}, {"key": "no_access_to_education"}],
}


def _result_page(client, api_token, persona, lang: str) -> str:
    created = client.post(
        "/api/v1/screenings", CHILD, content_type="application/json", **auth(api_token("police"))
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["result"]["assessment"] == "trafficking_of_a_child_for_labour_exploitation"
    client.force_login(persona("police"))
    url = reverse("screening:result", args=[body["reference"]])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    return response.content.decode()


def test_child_result_page_in_english(client, api_token, persona, db) -> None:
    html = _result_page(client, api_token, persona, "en")
    assert "Trafficking of a child for labour exploitation" in html
    assert "no means are required (Palermo Protocol, Art. 3(c)" in html
    assert "palermo-art-3c-children" in html
    assert 'data-step="no_detention"' in html and "Do not detain the child" in html
    assert 'data-step="refer_labour_rights"' not in html
    assert "trafficking_of_a_child_for_labour_exploitation" not in html  # no raw code


@needs_french
def test_child_result_page_in_french(client, api_token, persona, db) -> None:
    html = _result_page(client, api_token, persona, "fr")
    assert "Traite d&#x27;un enfant à des fins d&#x27;exploitation par le travail" in html
    assert "aucun moyen n'est requis (Protocole de Palerme, art. 3(c)" in html  # (not escaped)
    assert "Ne pas placer l&#x27;enfant en rétention" in html
    assert "Demander sans délai la désignation d&#x27;un tuteur provisoire." in html
    assert "règle pour les enfants" in html
    listing = client.get(reverse("screening:list"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Traite d&#x27;un enfant à des fins d&#x27;exploitation par le travail" in listing
    assert "For a child, the act" not in html.split("<ol")[0]  # the note itself is French


def test_labels_say_in_english_what_the_engine_says() -> None:
    with translation.override("en"):
        for code, text in _NEXT_STEP_TEXT.items():
            assert str(NEXT_STEP_LABELS[code]) == text, code
        assert set(NEXT_STEP_LABELS) == set(NEXT_STEP_CODES) - {"gather_information"}
        assert outcome_label("exploitation_of_a_child") == str(
            OUTCOME_LABELS["exploitation_of_a_child"]
        )
        assert outcome_label("a_national_outcome") == "A national outcome"
        assert outcome_label(None) == "—"
    with translation.override("fr"):
        for code in (
            "exploitation_of_a_child",
            "child_at_risk_of_trafficking",
            "trafficking_of_a_child_for_sexual_exploitation",
        ):
            assert str(OUTCOME_LABELS[code]) != outcome_label(None)
            assert "enfant" in str(OUTCOME_LABELS[code]).lower()
