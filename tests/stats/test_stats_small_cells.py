"""Small-cell protection: nothing small is published, nothing suppressed can be derived."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from palermo.stats.small_cells import Constraint, VictimStat, protect, rapporteur_tables


def two_way(table: list[list[int]]):
    """Cells and constraints of a table with row, column and grand totals."""
    values = {}
    constraints = []
    rows, cols = len(table), len(table[0])
    for i in range(rows):
        for j in range(cols):
            values[("c", i, j)] = table[i][j]
        values[("r", i)] = sum(table[i])
        constraints.append(Constraint(("r", i), tuple(("c", i, j) for j in range(cols))))
    for j in range(cols):
        values[("k", j)] = sum(table[i][j] for i in range(rows))
        constraints.append(Constraint(("k", j), tuple(("c", i, j) for i in range(rows))))
    values[("g",)] = sum(values[("r", i)] for i in range(rows))
    constraints.append(Constraint(("g",), tuple(("r", i) for i in range(rows))))
    constraints.append(Constraint(("g",), tuple(("k", j) for j in range(cols))))
    return values, constraints


def brute_force_values(values, suppressed, constraints, bound):
    """Every integer value each suppressed cell can take, by exhaustive search."""
    variables = sorted(suppressed, key=repr)
    equations = []
    for c in constraints:
        terms = [(c.total, -1)] + [(p, 1) for p in c.parts]
        if not any(k in suppressed for k, _ in terms):
            continue
        rhs = -sum(s * values[k] for k, s in terms if k not in suppressed)
        equations.append(([(k, s) for k, s in terms if k in suppressed], rhs))
    seen = {v: set() for v in variables}

    def propagate(assign):
        changed = True
        while changed:
            changed = False
            for terms, rhs in equations:
                free = [(k, s) for k, s in terms if k not in assign]
                rest = rhs - sum(s * assign[k] for k, s in terms if k in assign)
                if not free:
                    if rest != 0:
                        return False
                elif len(free) == 1:
                    k, s = free[0]
                    x = rest * s
                    if x < 0 or x > bound:
                        return False
                    assign[k] = x
                    changed = True
        return True

    def search(assign):
        if not propagate(assign):
            return
        free = [v for v in variables if v not in assign]
        if not free:
            for v in variables:
                seen[v].add(assign[v])
            return
        for x in range(bound + 1):
            search({**assign, free[0]: x})

    search({})
    return seen


COUNTS = st.sampled_from([0, 0, 1, 2, 3, 4, 6, 9, 12, 15, 25])


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    st.integers(2, 3).flatmap(
        lambda r: st.integers(2, 3).flatmap(
            lambda c: st.lists(st.lists(COUNTS, min_size=c, max_size=c), min_size=r, max_size=r)
        )
    )
)
def test_no_small_cell_is_published_or_derivable_from_the_margins(table):
    assume(len(table) * len(table[0]) <= 6)
    values, constraints = two_way(table)
    threshold, width = 5, 2
    result = protect(values, constraints, threshold=threshold, protection_width=width)
    published = result.published()
    assert all(v == 0 or v >= threshold for v in published.values())
    assert all(values[k] == v for k, v in published.items())
    suppressed = result.suppressed()
    assume(len(suppressed) <= 9)
    # The grand total bounds every cell when it is published; when it is not, an
    # attacker knows no bound, so the search may go beyond the true total.
    bound = values[("g",)] + (0 if ("g",) in published else 2 * width)
    feasible = brute_force_values(values, suppressed, constraints, bound=bound)
    for key, cell in result.cells.items():
        if cell.status == "primary":
            assert values[key] in feasible[key]
            assert max(feasible[key]) - min(feasible[key]) >= width, (
                key,
                table,
                sorted(suppressed),
            )


def test_a_lone_small_cell_gets_a_partner_in_its_row_and_column():
    values, constraints = two_way([[3, 40, 50], [30, 45, 60]])
    result = protect(values, constraints, threshold=5, protection_width=2)
    statuses = {k: c.status for k, c in result.cells.items()}
    assert statuses[("c", 0, 0)] == "primary"
    assert sum(s == "secondary" for s in statuses.values()) >= 3  # a rectangle at least
    lo, hi = result.intervals[("c", 0, 0)]
    assert hi - lo >= 2


def test_small_margins_are_primary_too():
    values, constraints = two_way([[1, 2], [30, 40]])
    result = protect(values, constraints, threshold=5)
    assert result.cells[("r", 0)].status == "primary"
    assert ("r", 0) not in result.published()


def test_inconsistent_input_is_refused():
    values, constraints = two_way([[1, 2], [3, 4]])
    values[("g",)] += 1
    with pytest.raises(ValueError, match="not the sum"):
        protect(values, constraints)


def _victims():
    out = []
    for i in range(400):
        year = 2020 + i % 3
        out.append(
            VictimStat(
                year=year,
                sex="Female" if i % 4 else "Male",
                age=(i * 7) % 60,
                citizenship=["UA", "MD", "RO", "NG", "VN"][i % 5] if i % 17 else "GH",
                country_of_exploitation=["PL", "DE"][i % 2] if i % 23 else None,
                forms_of_exploitation=("SexualExploitation",)
                if i % 3
                else ("ForcedLabour", "ForcedBegging"),
                referral_outcome=["Accepted", "Declined"][i % 2] if i % 5 else None,
                referral_date=date(year, 1, 1),
                decision_date=date(year, 1, 1 + i % 28) if i % 6 else None,
            )
        )
    return out


def test_rapporteur_tables_publish_no_small_cell_and_share_margins():
    tables = rapporteur_tables(_victims(), threshold=11)
    rows = tables.rows()
    assert {r["table"] for r in rows} >= {
        "victims",
        "sex",
        "age_group",
        "citizenship",
        "country_of_exploitation",
        "form_of_exploitation",
        "referral_outcome",
        "days_referral_to_decision",
    }
    assert all(r["value"] is None or r["value"] == 0 or r["value"] >= 11 for r in rows)
    assert all(
        hi - lo >= tables.protection.protection_width
        for lo, hi in tables.protection.intervals.values()
    )
    # Year totals are one set of cells shared by every table.
    year_cells = [r for r in rows if r["table"] == "victims" and r["year"] != "All years"]
    assert len(year_cells) == 3


def test_rapporteur_csv_marks_suppressed_cells(tmp_path):
    tables = rapporteur_tables(_victims(), threshold=11)
    path = tmp_path / "stats.csv"
    tables.write_csv(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "table,category,year,value,status"
    assert any(",x," in line for line in lines)


def test_decision_before_referral_is_refused():
    bad = VictimStat(
        2020,
        "Female",
        30,
        "UA",
        "PL",
        referral_date=date(2020, 5, 1),
        decision_date=date(2020, 4, 1),
    )
    with pytest.raises(ValueError):
        rapporteur_tables([bad])
