"""Red-flag alert summaries and role evidence in the reader's language (issue 15).

A rule's query writes its alert's summary in English; the workspace keeps it and the
evidence pack (and its digest) is made of it, so it stays as written. The investigation
page reads it back against its rule's sentences (investigate/summaries.py) and says it
through gettext; a summary they do not read back exactly is shown as written, lang="en".
A stand-in gettext marks what went through it (⟦…⟧): the catalogues are completed later.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from palermo.investigate.amlsim_gen import GeneratorParams, generate, write_amlsim
from palermo.investigate.redflags import load_rule_pack
from palermo.investigate.summaries import ALERTS, ROLES, RULE_SENTENCES, read_summary
from palermo.investigate.synth import write_synthetic_csv
from palermo.investigate.templatetags.investigate_labels import alert_summary, role_evidence
from palermo.investigate.workspace import Workspace


def mark(text: str) -> str:
    return f"⟦{text}⟧"


@pytest.fixture
def marked(monkeypatch):
    """gettext (and ngettext, for counts) mark their msgid; the reader is not English."""
    from palermo.investigate.templatetags import investigate_labels
    from palermo.web import display, sentences

    monkeypatch.setattr(sentences, "gettext", mark)
    monkeypatch.setattr(display, "gettext", mark)  # data-file text (category labels)
    monkeypatch.setattr(sentences, "english_reader", lambda: False)
    monkeypatch.setattr(investigate_labels, "ngettext", lambda s, p, n: mark(p))


def test_every_packaged_rule_has_its_sentences() -> None:
    assert set(RULE_SENTENCES) == set(load_rule_pack().ids)
    assert {k for keys in RULE_SENTENCES.values() for k in keys} == set(ALERTS.by_key)


@pytest.fixture(scope="module")
def run_alerts(tmp_path_factory):
    """Alerts of the packaged rules over the synthetic statement and an AMLSim-style set:
    between them, every network rule and most of the others fire."""
    tmp = tmp_path_factory.mktemp("sets")
    alerts, roles = [], []
    csv = Path(tmp) / "statement.csv"
    write_synthetic_csv(csv, rows=3_000, seed=2026)
    gen = generate(
        GeneratorParams(
            seed=9,
            accounts=3_000,
            days=200,
            normal_transactions=6_000,
            alerts_per_typology=2,
            size=(6, 8),
        )
    )
    for path, kw in (
        (csv, {"kind": "csv", "profile": "palermo-canonical"}),
        (write_amlsim(gen, Path(tmp) / "set"), {}),
    ):
        ws = Workspace(":memory:", memory_limit=None)
        assert ws.ingest(path, **kw).ok
        alerts += ws.run_rules().alerts
        roles += ws.network().roles
        ws.close()
    return alerts, roles


def test_every_summary_the_rules_write_reads_back(run_alerts) -> None:
    alerts, _ = run_alerts
    fired = {a.rule_id for a in alerts}
    assert len(fired) >= 12
    unread = [(a.rule_id, a.summary) for a in alerts if read_summary(a.rule_id, a.summary) is None]
    assert unread == []
    for a in alerts:  # read back means: the same text, written again from its values
        assert str(read_summary(a.rule_id, a.summary)) == a.summary


# The rules the two data sets above do not fire, as their queries write (see rules/*.yaml).
WRITTEN = [
    ("THB-ALT-PAYMENTS", "4 payments to crypto_exchange, prepaid_card within 30 days"),
    ("THB-TRAVEL-TICKETS", "3 payments to travel within 14 days"),
    ("THB-MT-REMITTANCE", "12 payments to money_transfer within 30 days"),
    ("THB-LAB-NO-PAYROLL", "took in 125000.00 and paid no wages, taxes or contributions"),
    ("THB-NET-SHARED-ID", "3 accounts of unrelated holders share this phone"),
]


@pytest.mark.parametrize(("rule_id", "summary"), WRITTEN)
def test_the_other_rules_summaries_read_back(rule_id, summary) -> None:
    said = read_summary(rule_id, summary)
    assert said is not None and str(said) == summary


def test_a_summary_its_rule_does_not_write_is_not_read() -> None:
    assert read_summary("THB-SEX-HOTEL", "3 payments to hotel within 30 days!") is None
    assert read_summary("THB-SEX-HOTEL", "3 payments to casino within 30 days") is None
    assert read_summary("THB-SEX-HOTEL", "cycle of 3 accounts closed within 2 days") is None
    assert read_summary("LOCAL-RULE", "3 payments to hotel within 30 days") is None


def test_every_role_evidence_reads_back(run_alerts) -> None:
    _, roles = run_alerts
    assert {r.role for r in roles} >= {"beneficial_owner"}
    assert [r.evidence for r in roles if ROLES.read(r.evidence) is None] == []
    for evidence in (
        "5 payers, 3% paid on",
        "97% paid on within a median 1.5 days",
        "80% of outflows to lodging, travel, adverts or recruiters",
    ):
        assert ROLES.read(evidence) is not None, evidence


def _alert(rule_id: str, summary: str):
    return types.SimpleNamespace(rule_id=rule_id, summary=summary)


def test_a_summary_is_said_through_gettext_with_counts_and_categories(marked) -> None:
    html = alert_summary(_alert("THB-ALT-PAYMENTS", WRITTEN[0][1]))
    # The template, each count by its plural msgid, each category by its data-file label.
    assert html == (
        "⟦⟦4 payments⟧ to ⟦Virtual-asset exchanges and crypto ATMs⟧, "
        "⟦Prepaid cards and vouchers⟧ within ⟦30 days⟧⟧"
    )
    assert "lang=" not in html
    html = alert_summary(_alert("THB-LAB-NO-PAYROLL", WRITTEN[3][1]))
    assert html == "⟦took in 125,000.00 and paid no wages, taxes or contributions⟧"


def test_an_unknown_summary_is_shown_as_written_marked_english(marked) -> None:
    assert str(alert_summary(_alert("LOCAL-RULE", "odd <b>thing</b>"))) == (
        '<span lang="en">odd &lt;b&gt;thing&lt;/b&gt;</span>'
    )
    assert str(alert_summary(_alert("THB-SEX-HOTEL", "old wording"))) == (
        '<span lang="en">old wording</span>'
    )


def test_an_english_reader_sees_codes_and_numbers_in_words() -> None:
    """The stored summary names categories by their ids ("online_advertising") and amounts
    without grouping: an English reader reads them by their labels, as any other reader."""
    with translation.override("en"):
        assert str(alert_summary(_alert("LOCAL-RULE", "as is"))) == "as is"
        assert str(alert_summary(_alert("THB-TRAVEL-TICKETS", WRITTEN[1][1]))) == (
            "3 payments to airlines, coaches, rail and travel agencies within 14 days"
        )
        assert str(alert_summary(_alert("THB-LAB-NO-PAYROLL", WRITTEN[3][1]))) == (
            "took in 125,000.00 and paid no wages, taxes or contributions"
        )
        assert "_" not in str(alert_summary(_alert("THB-ALT-PAYMENTS", WRITTEN[0][1])))


def test_role_evidence_is_said_through_gettext(marked) -> None:
    html = role_evidence(types.SimpleNamespace(evidence="5 payers, 3% paid on"))
    assert html == "⟦⟦5 payers⟧, 3% paid on⟧"


@pytest.fixture
def workspace_dir(settings, tmp_path):
    settings.PALERMO_INVESTIGATIONS_DIR = str(tmp_path / "investigations")
    return tmp_path


def test_the_alert_list_says_summaries_in_the_readers_language(
    login_as, client, workspace_dir, marked
) -> None:
    from test_investigate_shell import _imported

    from palermo.investigate import services

    login_as("police")
    inv = _imported(client)
    client.post(reverse("investigate:run", args=[inv.reference]))
    stored = {a.alert_key: a.summary for a in services.alert_views(inv, include_decided=True)}
    assert stored
    page = client.get(
        reverse("investigate:detail", args=[inv.reference]), {"status": "all"}
    ).content.decode()
    kick = next(a for a in services.alert_views(inv) if a.rule_id == "THB-LAB-WAGE-KICKBACK")
    card = page.split(f'id="alert-{kick.alert_key}"', 1)[1].split("</article>", 1)[0]
    assert "<p>⟦⟦" in card and " handed back " in card
    assert f"<p>{kick.summary}</p>" not in card and '<p lang="en">' not in card
    # Showing changed nothing stored.
    assert {
        a.alert_key: a.summary for a in services.alert_views(inv, include_decided=True)
    } == stored


def test_the_network_page_says_role_evidence_in_the_readers_language(
    login_as, client, workspace_dir, marked
) -> None:
    from test_investigate_shell import _imported

    login_as("police")
    inv = _imported(client)
    client.post(reverse("investigate:run", args=[inv.reference]))
    page = client.get(
        reverse("investigate:network", args=[inv.reference]), {"scope": "all"}
    ).content.decode()
    table = page.split('<table class="roles">', 1)[1].split("</table>", 1)[0]
    cells = [row.split("<td>")[3].split("</td>")[0] for row in table.split("<tr>")[2:]]
    assert cells and all(c.startswith("⟦") for c in cells), cells
