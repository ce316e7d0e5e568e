"""Applicant selection for an international exercise (issue 16, item 9). Pure: no Django.

The reports cite 670 applications from 60 countries for 192 places. The chief controller
fills ``places`` from the applications with three rules:

* **quotas per profession**: at least ``quotas[p]`` places go to profession ``p`` whenever the
  applications (and the country cap) allow it;
* a **per-country cap**: no country gets more than ``country_cap`` places;
* a **gender-balance target**: the share of places for women; the other places go to men and
  applicants of another or unstated gender. It is a preference, never a reason to leave a place
  empty: when one group runs out, the other fills the places.

Who comes first is decided by a **seeded lottery**: each applicant's rank is the SHA-256 of
the seed and their application reference, so the same applications and seed always give the
same result, whatever order the rows came in. Quota places are found with a maximum flow
(profession → country → cap), so a quota is met whenever any choice of applicants could meet it;
the remaining places go in lottery order, skipping an applicant only for the country cap or to
move toward the gender target. Every applicant gets a decision with its reason and lottery rank.

Applications are read from CSV by :func:`parse_csv`: every row is checked and all errors are
returned (row number, column, reason); the caller imports nothing unless there are none.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

import pycountry

from palermo.core.spreadsheet import spreadsheet_unescape
from palermo.exercise.vocabulary import GENDERS, PROFESSIONS


def _(text: str) -> str:  # translation marker: extracted, translated where shown
    return text


WOMEN: Final = "female"

REASONS: Final[dict[str, str]] = {
    "quota": _("Selected for the quota of their profession."),
    "open_place": _("Selected for an open place, in lottery order."),
    "gender_balance": _(
        "Selected for an open place ahead of earlier lottery ranks, toward the gender-balance target."
    ),
    "country_cap": _("Not selected: their country had reached its cap of places."),
    "places_full": _(
        "Not selected: the places were filled before their turn in the lottery, or went to "
        "applicants needed for a profession quota or the gender-balance target."
    ),
}


@dataclass(frozen=True)
class Applicant:
    ref: str
    country: str
    organisation: str
    profession: str
    gender: str
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rules:
    places: int
    quotas: Mapping[str, int] = field(default_factory=dict)
    women_target: float | None = None  # share of the places, 0..1
    country_cap: int | None = None

    def problems(self) -> list[tuple[str, str]]:
        """(field, message) for each rule that cannot be applied; empty when all are sound."""
        out: list[tuple[str, str]] = []
        if self.places < 1:
            out.append(("places", _("Give at least one place.")))
        for p, q in self.quotas.items():
            if p not in PROFESSIONS:
                out.append((f"quota_{p}", _("Unknown profession.")))
            elif q < 0:
                out.append((f"quota_{p}", _("A quota cannot be negative.")))
        if sum(max(q, 0) for q in self.quotas.values()) > max(self.places, 0):
            out.append(("quotas", _("The quotas add up to more than the places.")))
        if self.women_target is not None and not 0.0 <= self.women_target <= 1.0:
            out.append(("women_target", _("Give the share of women between 0 and 100 %.")))
        if self.country_cap is not None and self.country_cap < 1:
            out.append(("country_cap", _("A country cap must be at least one place.")))
        return out

    def women_places(self) -> int | None:
        if self.women_target is None:
            return None
        return round(self.women_target * self.places)


@dataclass(frozen=True)
class Decision:
    ref: str
    selected: bool
    reason: str  # a key of REASONS
    rank: int  # place in the seeded lottery, 1 = first


@dataclass(frozen=True)
class Line:
    """One row of the balance report: applications, places won and the target, if any."""

    key: str
    applied: int
    selected: int
    target: int | None = None  # a minimum (quota, women's places) or maximum (country cap)
    met: bool | None = None


@dataclass(frozen=True)
class Result:
    seed: int
    rules: Rules
    decisions: tuple[Decision, ...]  # in lottery order
    by_profession: tuple[Line, ...]
    by_gender: tuple[Line, ...]
    by_country: tuple[Line, ...]

    @property
    def selected(self) -> tuple[str, ...]:
        return tuple(d.ref for d in self.decisions if d.selected)


def lottery_key(seed: int, ref: str) -> tuple[str, str]:
    return (hashlib.sha256(f"{seed}\x00{ref}".encode()).hexdigest(), ref)


Node = tuple[str, str]


def _max_flow(residual: dict[Node, dict[Node, int]], src: Node, sink: Node) -> None:
    """Edmonds–Karp in place on a residual graph; neighbours visited in sorted order."""
    while True:
        parent: dict[Node, Node] = {src: src}
        queue = deque([src])
        while queue and sink not in parent:
            u = queue.popleft()
            for v in sorted(residual[u]):
                if v not in parent and residual[u][v] > 0:
                    parent[v] = u
                    queue.append(v)
        if sink not in parent:
            return
        path: list[tuple[Node, Node]] = []
        v = sink
        while v != src:
            path.append((parent[v], v))
            v = parent[v]
        push = min(residual[u][w] for u, w in path)
        for u, w in path:
            residual[u][w] -= push
            residual[w][u] += push


def _max_flow_quota_cells(
    pool: Sequence[Applicant], quotas: Mapping[str, int], cap: int | None
) -> dict[tuple[str, str], int]:
    """Places per (profession, country) meeting as much of the quotas as the cap allows.

    Maximum flow on source → profession (quota) → country (applicants of that profession
    there) → sink (country cap); deterministic because nodes are visited in sorted order.
    """
    profs = sorted(p for p, q in quotas.items() if q > 0)
    if not profs:
        return {}
    countries = sorted({a.country for a in pool})
    count: dict[tuple[str, str], int] = {}
    for a in pool:
        count[(a.profession, a.country)] = count.get((a.profession, a.country), 0) + 1
    src, sink = ("s", ""), ("t", "")
    residual: dict[Node, dict[Node, int]] = {src: {}, sink: {}}

    def edge(u: Node, v: Node, c: int) -> None:
        residual.setdefault(u, {})[v] = residual.get(u, {}).get(v, 0) + c
        residual.setdefault(v, {}).setdefault(u, 0)

    for p in profs:
        edge(src, ("p", p), quotas[p])
    for (p, c), n in count.items():
        if p in profs:
            edge(("p", p), ("c", c), n)
    for c in countries:
        edge(("c", c), sink, len(pool) if cap is None else cap)
    _max_flow(residual, src, sink)
    cells: dict[tuple[str, str], int] = {}
    for (p, c), n in count.items():
        if p in profs and n - residual[("p", p)][("c", c)] > 0:
            cells[(p, c)] = n - residual[("p", p)][("c", c)]
    return cells


class _State:
    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.chosen: dict[str, str] = {}  # ref → reason
        self.per_country: dict[str, int] = {}
        self.women = 0
        self.others = 0
        wp = rules.women_places()
        self.women_goal = wp
        self.others_goal = None if wp is None else rules.places - wp

    def wants_woman(self) -> bool | None:
        if self.women_goal is None or self.others_goal is None:
            return None
        wd, od = self.women_goal - self.women, self.others_goal - self.others
        if wd <= 0 and od <= 0:
            return None
        if wd <= 0:
            return False
        if od <= 0:
            return True
        return wd * self.others_goal >= od * self.women_goal

    def room_in(self, country: str) -> bool:
        cap = self.rules.country_cap
        return cap is None or self.per_country.get(country, 0) < cap

    def take(self, a: Applicant, reason: str) -> None:
        self.chosen[a.ref] = reason
        self.per_country[a.country] = self.per_country.get(a.country, 0) + 1
        if a.gender == WOMEN:
            self.women += 1
        else:
            self.others += 1

    def pick(self, candidates: Iterable[Applicant], reason: str) -> Applicant | None:
        """The first eligible candidate in lottery order, or of the wanted gender if any."""
        want = self.wants_woman()
        first: Applicant | None = None
        choice: Applicant | None = None
        for a in candidates:  # one pass, stopping at the first of the wanted gender
            if a.ref in self.chosen or not self.room_in(a.country):
                continue
            if first is None:
                first = a
            if want is None or (a.gender == WOMEN) == want:
                choice = a
                break
        if first is None:
            return None
        choice = choice or first
        self.take(choice, reason if choice is first or reason == "quota" else "gender_balance")
        return choice


def select(applicants: Sequence[Applicant], rules: Rules, seed: int) -> Result:
    """Fill ``rules.places`` from ``applicants``; see the module docstring for the rules."""
    problems = rules.problems()
    if problems:
        raise ValueError("; ".join(f"{f}: {m}" for f, m in problems))
    refs = [a.ref for a in applicants]
    if len(set(refs)) != len(refs):
        raise ValueError("Application references must be unique.")
    pool = sorted(applicants, key=lambda a: lottery_key(seed, a.ref))
    rank = {a.ref: i + 1 for i, a in enumerate(pool)}
    state = _State(rules)
    # 1. quota places, cell by cell (profession, country) as the maximum flow found them
    for (p, c), n in sorted(_max_flow_quota_cells(pool, rules.quotas, rules.country_cap).items()):
        cell = [a for a in pool if a.profession == p and a.country == c]
        for _i in range(n):
            state.pick(cell, "quota")
    # 2. open places, in lottery order
    while len(state.chosen) < rules.places:
        if state.pick(pool, "open_place") is None:
            break
    decisions = []
    for a in pool:
        if a.ref in state.chosen:
            decisions.append(Decision(a.ref, True, state.chosen[a.ref], rank[a.ref]))
        else:
            why = "places_full" if state.room_in(a.country) else "country_cap"
            decisions.append(Decision(a.ref, False, why, rank[a.ref]))
    return Result(seed, rules, tuple(decisions), *_balance(pool, state.chosen, rules))


def _balance(
    pool: Sequence[Applicant], chosen: Mapping[str, str], rules: Rules
) -> tuple[tuple[Line, ...], tuple[Line, ...], tuple[Line, ...]]:
    def tally(key: str) -> tuple[dict[str, int], dict[str, int]]:
        applied: dict[str, int] = {}
        won: dict[str, int] = {}
        for a in pool:
            k = str(getattr(a, key))
            applied[k] = applied.get(k, 0) + 1
            if a.ref in chosen:
                won[k] = won.get(k, 0) + 1
        return applied, won

    applied, won = tally("profession")
    profs = []
    for p in PROFESSIONS:
        q = rules.quotas.get(p, 0) or None
        if applied.get(p) or q:
            s = won.get(p, 0)
            profs.append(Line(p, applied.get(p, 0), s, q, None if q is None else s >= q))
    applied, won = tally("gender")
    wp = rules.women_places()
    genders = []
    for g in GENDERS:
        target = None
        if wp is not None and g == WOMEN:
            target = wp
        genders.append(
            Line(
                g,
                applied.get(g, 0),
                won.get(g, 0),
                target,
                None if target is None else won.get(g, 0) == target,
            )
        )
    applied, won = tally("country")
    cap = rules.country_cap
    countries = tuple(
        Line(c, applied[c], won.get(c, 0), cap, None if cap is None else won.get(c, 0) <= cap)
        for c in sorted(applied)
    )
    return tuple(profs), tuple(genders), countries


# --- applications from CSV -----------------------------------------------------------------------

COLUMNS: Final[tuple[str, ...]] = (
    "reference",
    "name",
    "country",
    "organisation",
    "profession",
    "gender",
    "languages",
)
MAX_ROWS: Final = 5000


@dataclass(frozen=True)
class Application:
    """An application as entered or imported: the applicant plus their name (personal data)."""

    ref: str
    name: str
    country: str
    organisation: str
    profession: str
    gender: str
    languages: tuple[str, ...]
    line: int = 0  # the file's line it came from, when imported

    def applicant(self) -> Applicant:
        return Applicant(
            self.ref, self.country, self.organisation, self.profession, self.gender, self.languages
        )


@dataclass(frozen=True)
class RowError:
    row: int  # the line of the file (1 = the header line when nothing comes before it)
    column: str
    message: str


def _code_of(value: str, vocab: Mapping[str, str]) -> str | None:
    v = value.strip().lower()
    for code, label in vocab.items():
        if v in (code, label.lower()):
            return code
    return None


def country_code(value: str) -> str | None:
    v = value.strip().upper()
    if v == "XK":  # Kosovo: user-assigned, widely used
        return v
    found = pycountry.countries.get(alpha_2=v) if len(v) == 2 else None
    return str(found.alpha_2) if found is not None else None


def language_code(value: str) -> str | None:
    v = value.strip().lower()
    if len(v) == 2:
        found = pycountry.languages.get(alpha_2=v)
    elif len(v) == 3:
        found = pycountry.languages.get(alpha_3=v)
    else:
        return None
    if found is None:
        return None
    return str(getattr(found, "alpha_2", None) or found.alpha_3)


def check_application(raw: Mapping[str, str]) -> tuple[Application | None, list[tuple[str, str]]]:
    """One application from its fields; (None, [(field, message)…]) when any is wrong."""
    get = {k: str(spreadsheet_unescape(raw.get(k, "") or "")).strip() for k in COLUMNS}
    errs: list[tuple[str, str]] = []
    if not get["reference"]:
        errs.append(("reference", _("Give the application's reference.")))
    elif len(get["reference"]) > 40:
        errs.append(("reference", _("A reference has at most 40 characters.")))
    if not get["name"]:
        errs.append(("name", _("Give the applicant's name.")))
    elif len(get["name"]) > 200:
        errs.append(("name", _("A name has at most 200 characters.")))
    country = country_code(get["country"])
    if country is None:
        errs.append(("country", _("Give the country as an ISO 3166 two-letter code, e.g. MD.")))
    if not get["organisation"]:
        errs.append(("organisation", _("Give the applicant's organisation.")))
    elif len(get["organisation"]) > 200:
        errs.append(("organisation", _("An organisation has at most 200 characters.")))
    profession = _code_of(get["profession"], PROFESSIONS)
    if profession is None:
        errs.append(("profession", _("Choose one of the listed professions.")))
    gender = _code_of(get["gender"], GENDERS)
    if gender is None:
        errs.append(("gender", _("Give the gender as female, male or other.")))
    langs: list[str] = []
    for part in get["languages"].replace(",", ";").split(";"):
        if not part.strip():
            continue
        code = language_code(part)
        if code is None:
            errs.append(
                ("languages", _("Give languages as ISO 639 codes separated by ';', e.g. en;ro."))
            )
            break
        if code not in langs:
            langs.append(code)
    if errs or country is None or profession is None or gender is None:
        return None, errs
    return (
        Application(
            get["reference"],
            get["name"],
            country,
            get["organisation"],
            profession,
            gender,
            tuple(langs),
        ),
        [],
    )


def parse_csv(text: str) -> tuple[list[Application], list[RowError]]:
    """Every application of a CSV file, or every error found in it (then import nothing)."""
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and lines[skipped].startswith("#"):  # e.g. the TRAINING line
        skipped += 1
    reader = csv.DictReader(io.StringIO("".join(lines[skipped:])))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header and c != "languages"]
    if missing:
        return [], [
            RowError(1 + skipped, c, _("This column is missing from the header line."))
            for c in missing
        ]
    reader.fieldnames = header
    apps: list[Application] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(reader, start=2 + skipped):
        if i - 1 > MAX_ROWS:
            errors.append(RowError(i, "", _("A file holds at most 5,000 applications.")))
            break
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        app, errs = check_application({k: v for k, v in row.items() if isinstance(k, str)})
        errors.extend(RowError(i, f, m) for f, m in errs)
        if app is not None:
            if app.ref in seen:
                errors.append(
                    RowError(i, "reference", _("This reference is already on an earlier row."))
                )
            else:
                seen[app.ref] = i
                apps.append(replace(app, line=i))
    if not apps and not errors:
        errors.append(RowError(1 + skipped, "", _("The file holds no applications.")))
    return apps, errors


def country_name(code: str) -> str:
    if code == "XK":
        return "Kosovo"
    found = pycountry.countries.get(alpha_2=code)
    return str(getattr(found, "common_name", None) or found.name) if found is not None else code


def language_name(code: str) -> str:
    found = (
        pycountry.languages.get(alpha_2=code)
        if len(code) == 2
        else pycountry.languages.get(alpha_3=code)
    )
    return str(found.name) if found is not None else code
