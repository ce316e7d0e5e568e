"""The protected statistics are computed once per set of counted cases, never served stale."""

from __future__ import annotations

from dataclasses import replace

from palermo.stats import selectors, services
from palermo.stats.small_cells import VictimStat


def _cases(n: int, citizenship: str = "RS") -> list[VictimStat]:
    return [
        VictimStat(2025, "F" if i % 2 else "M", 20 + i % 30, citizenship, "RS", ("labour",))
        for i in range(n)
    ]


def _published(stats: services.Statistics) -> list[tuple[object, ...]]:
    return sorted(
        (str(r["table"]), str(r["category"]), str(r["year"]), r["value"])
        for r in services.statistics_rows(stats)
    )


def test_same_cases_are_protected_once_and_a_changed_case_is_protected_again(monkeypatch):
    services._protected.clear()
    counted: list[list[VictimStat]] = [_cases(40)]
    monkeypatch.setattr(selectors, "victim_stats", lambda **_: list(counted[0]))
    calls: list[int] = []
    real = services.protected_statistics

    def counting(victims, *, threshold, subset_of=None):
        calls.append(len(victims))
        return real(victims, threshold=threshold, subset_of=subset_of)

    monkeypatch.setattr(services, "protected_statistics", counting)

    first = services.rapporteur_statistics()
    again = services.rapporteur_statistics()
    assert calls == [40]
    assert (
        _published(again)
        == _published(first)
        == _published(real(_cases(40), threshold=services.DEFAULT_THRESHOLD))
    )

    # Cases are corrected (recorded sex): the next page counts them, not the kept answer.
    counted[0] = [replace(v, sex="F") if i < 20 else v for i, v in enumerate(counted[0])]
    changed = services.rapporteur_statistics()
    assert calls == [40, 40]
    assert _published(changed) == _published(real(counted[0], threshold=services.DEFAULT_THRESHOLD))
    assert _published(changed) != _published(first)


def test_a_caller_changing_its_copy_does_not_change_the_next_answer(monkeypatch):
    services._protected.clear()
    monkeypatch.setattr(selectors, "victim_stats", lambda **_: _cases(30))
    first = services.rapporteur_statistics()
    before = _published(first)
    first.flows.clear()
    assert first.tables is not None
    first.tables.protection.cells.clear()
    assert _published(services.rapporteur_statistics()) == before


def test_a_form_is_protected_against_the_tables_of_every_case_it_was_kept_with(monkeypatch):
    """A form's tables depend on the unfiltered tables too (differencing): a change to a case of
    another form changes them, so the kept answer must not be served then either."""
    services._protected.clear()
    labour = [replace(v, sex="M") for v in _cases(20)]
    other = [replace(v, sex="M", forms_of_exploitation=("sexual",)) for v in _cases(15)]
    counted = {"": labour + other, "labour": labour}
    monkeypatch.setattr(selectors, "victim_stats", lambda form="", **_: list(counted[form]))
    first = services.rapporteur_statistics(form="labour")
    assert _published(services.rapporteur_statistics(form="labour")) == _published(first)
    # Ten cases of the other form are withdrawn: all men 25, men in forced labour 20 — the
    # difference (5) is now a small number, so the labour table must change.
    counted[""] = labour + other[:5]
    whole = services.protected_statistics(counted[""], threshold=services.DEFAULT_THRESHOLD)
    assert whole.tables is not None
    expected = services.protected_statistics(
        labour, threshold=services.DEFAULT_THRESHOLD, subset_of=whole.tables.protection.published()
    )
    assert _published(expected) != _published(first)
    assert _published(services.rapporteur_statistics(form="labour")) == _published(expected)


def test_only_a_few_answers_are_kept(monkeypatch):
    services._protected.clear()
    for n in range(services._PROTECTED_KEEP + 5):
        monkeypatch.setattr(selectors, "victim_stats", lambda n=n, **_: _cases(10 + n))
        services.rapporteur_statistics()
    assert len(services._protected) == services._PROTECTED_KEEP
