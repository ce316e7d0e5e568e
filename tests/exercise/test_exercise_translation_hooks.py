"""Every scenario text a person reads has a translation hook (issue 16).

The test walks the shipped package's files and collects every text leaf (every string that is
not a key, a code or a time: ``CODES`` lists the fields that are not prose, with the reason).
It then writes a ``translations.yaml`` giving each text a marked French version, through the
documented structure (``_french``), loads the package with it and shows:

* the walk and the hooks agree: every text leaf comes out marked through ``texts.Texts`` — a new
  prose field in a package schema without a hook fails here;
* the pages read in French show the marked texts and not the written ones (home page: the
  country, its laws, the NRM's rules, the service directory, the SOP steps; inbox and cue cards:
  role titles and briefs, team names, personas; direction and antenna: inject titles, expected
  actions, roles, teams);
* what is stored in Palermo's own tables (organisation and role names, seeded case files) is in
  the language chosen at load (``load_scenario(language=...)``, ``exercise create --language``).
"""

from __future__ import annotations

from html import escape
from typing import Any

import pytest
import yaml
from django.test import override_settings

from palermo.exercise.scenario import FILES, SHIPPED, TRANSLATIONS, PackageError, parse_package

MARK = "«fr» "

# Fields whose strings are not prose a person reads as the package wrote them.
CODES = {
    "schema", "id", "version", "language", "day_start", "key", "type", "kind", "organisation",
    "palermo_roles", "path", "sender", "receivers", "channel", "persona", "at", "after_inject",
    "unless", "criterion", "sop_step", "evidence", "played_by", "opened_by", "exploitation_forms",
    "service_types",
    # seeded cases: the case file's source is a code of Palermo's (shown in Palermo's words)
    "source",
}  # fmt: skip
# Subtrees that are not scenario prose: the fictional person's identity fields on a seeded case
# file are the person's data (a name, a gender code, ISO codes), stored as given.
NOT_PROSE = {("personas.yaml", "cases", "*", "person")}
# The SOP step's `source` (a citation) is shown nowhere; "source" is listed above for that too.


def _files() -> dict[str, str]:
    return {n: (SHIPPED / "harbour_crossing" / n).read_text() for n in FILES}


def _walk(node: Any, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(node, dict):
        out = []
        for k, v in node.items():
            if k in CODES:
                continue
            out += _walk(v, (*path, k))
        return out
    if isinstance(node, list):
        out = []
        for i, v in enumerate(node):
            out += _walk(v, (*path, i))
        return out
    if isinstance(node, str):
        generic = tuple("*" if isinstance(p, int) else p for p in path)
        if any(generic[: len(n)] == n for n in NOT_PROSE):
            return []
        return [(path, node)]
    return []


def text_leaves() -> list[tuple[tuple[Any, ...], str]]:
    leaves = []
    for name, text in _files().items():
        leaves += _walk(yaml.safe_load(text), (name,))
    return leaves


def _m(text: str) -> str:
    return MARK + text


def _french() -> dict[str, Any]:
    """A translation of every text, through translations.yaml's documented structure."""
    d = {n: yaml.safe_load(t) for n, t in _files().items()}
    sc, country = d["scenario.yaml"], d["country.yaml"]
    orgs, personas, msel = d["organisations.yaml"], d["personas.yaml"], d["msel.yaml"]
    return {
        "title": _m(sc["title"]),
        "summary": _m(sc["summary"]),
        "teams": {t["key"]: _m(t["name"]) for t in sc["teams"]},
        "sop_steps": {s["key"]: _m(s["title"]) for s in sc["sop_steps"]},
        "country": {
            "name": _m(country["name"]),
            "description": _m(country["description"]),
            "laws": [
                {"title": _m(x["title"]), "summary": _m(x["summary"])} for x in country["laws"]
            ],
            "nrm_rules": [_m(r) for r in country["nrm"]["rules"]],
            "services": [
                {k: _m(s[k]) for k in ("name", "offers", "region") if k in s}
                for s in country["services"]
            ],
        },
        "organisations": {o["key"]: _m(o["name"]) for o in orgs["organisations"]},
        "roles": {
            r["key"]: {k: _m(r[k]) for k in ("title", "brief") if k in r} for r in orgs["roles"]
        },
        "personas": {
            p["key"]: {
                "name": _m(p["name"]),
                "background": _m(p["background"]),
                **({"languages": [_m(x) for x in p["languages"]]} if "languages" in p else {}),
                **(
                    {
                        "reveals": [
                            {"when": _m(r["when"]), "fact": _m(r["fact"])} for r in p["reveals"]
                        ]
                    }
                    if "reveals" in p
                    else {}
                ),
            }
            for p in personas["personas"]
        },
        "cases": {
            c["key"]: {
                "summary": _m(c["summary"]),
                "documents": [
                    {"title": _m(x["title"]), "text": _m(x["text"])} for x in c["documents"]
                ],
            }
            for c in personas.get("cases", [])
        },
        "injects": {
            x["id"]: {
                "title": _m(x["title"]),
                "content": _m(x["content"]),
                **({"cue": _m(x["cue"])} if x.get("cue") else {}),
                **({"questions": [_m(q) for q in x["questions"]]} if x.get("questions") else {}),
                "expected_actions": {
                    ea["id"]: _m(ea["text"]) for ea in x.get("expected_actions", [])
                },
            }
            for x in msel["injects"]
        },
    }


def _package() -> dict[str, str]:
    files = _files()
    files[TRANSLATIONS] = yaml.safe_dump({"fr": _french()}, allow_unicode=True, width=10_000)
    return files


def _hooked_outputs(sc: Any) -> list[str]:
    """Every text the hooks give for the scenario in French (texts.Texts over each thing)."""
    from types import SimpleNamespace as NS

    from palermo.exercise import texts

    t = texts.of_package(sc.translations, "fr")
    out = [t.scenario("title", sc.title), t.scenario("summary", sc.summary)]
    out += [t.team(NS(key=x["key"], name=x["name"])) for x in sc.teams]
    out += [t.sop(s) for s in sc.sop_steps]
    c = t.country(sc.country)
    out += [c["name"], c.get("description", "")]
    out += [v for law in c["laws"] for v in (law["title"], law["summary"])]
    out += list(c["nrm"]["rules"])
    out += [s[k] for s in c["services"] for k in ("name", "offers", "region") if k in s]
    out += [t.organisation(o["key"], o["name"]) for o in sc.organisations]
    out += [t.role(r["key"], r["title"]) for r in sc.roles]
    out += [t.role(r["key"], r["brief"], "brief") for r in sc.roles if r.get("brief")]
    for p in sc.personas:
        q = t.persona(p)
        out += [q["name"], q["background"], *q.get("languages", [])]
        out += [v for r in q.get("reveals", []) for v in (r["when"], r["fact"])]
    for case in sc.cases:
        q = t.case(case)
        out += [q["summary"], *(v for d in q["documents"] for v in (d["title"], d["text"]))]
    for x in sc.injects:
        inj = NS(key=x.id, title=x.title, content=x.content, cue=x.cue, questions=x.questions)
        out += [t.inject(inj, "title"), t.inject(inj, "content"), t.inject(inj, "cue")]
        out += t.questions(inj)
        out += [t.action(NS(inject=inj, key=ea.id, text=ea.text)) for ea in x.expected_actions]
    return out


def test_the_walk_finds_the_texts_a_person_reads():
    found = {v for _p, v in text_leaves()}
    # a sample from each file and kind, so a broken walk cannot pass vacuously
    for sample in (
        "Team A",
        "Republic of Lusveria (fictional)",
        "Mira Dalen",
        "Hotline call note",
        "Routine inspection at the Marennes fish-processing plant",
        "Identification officer",
        "Plays Mira Dalen at the NGO drop-in and in interviews.",
    ):
        assert sample in found, sample
    assert "nio_officer" not in found and "D1 09:15" not in found and "hotline" not in found


def test_every_text_leaf_has_a_hook():
    sc = parse_package(_package())
    outputs = set(_hooked_outputs(sc))
    missing = [(path, text) for path, text in text_leaves() if _m(text) not in outputs]
    assert not missing, missing[:10]
    # and nothing the hooks give is left as written
    written = {v for _p, v in text_leaves()}
    assert not [o for o in outputs if o in written and o.strip()]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f["country"]["laws"].pop(), "translate all of them, in order"),
        (lambda f: f["country"]["nrm_rules"].pop(), "translate all of them, in order"),
        (lambda f: f["sop_steps"].update({"sop-99": "x"}), "unknown SOP step 'sop-99'"),
        (lambda f: f["organisations"].update({"bank": "x"}), "unknown organisation 'bank'"),
        (lambda f: f["roles"].update({"judge": {"title": "x"}}), "unknown role 'judge'"),
        (lambda f: f["personas"].update({"ghost": {"name": "x"}}), "unknown persona 'ghost'"),
        (lambda f: f["personas"]["mira"]["reveals"].pop(), "mira's reveals has 4 items"),
        (lambda f: f["cases"].update({"nope": {"summary": "x"}}), "unknown case 'nope'"),
        (lambda f: f["cases"]["plant_tip"]["documents"].pop(), "plant_tip's documents"),
    ],
)
def test_bad_translations_of_the_new_texts_are_named(mutate, message):
    fr = _french()
    mutate(fr)
    files = _files()
    files[TRANSLATIONS] = yaml.safe_dump({"fr": fr}, allow_unicode=True, width=10_000)
    with pytest.raises(PackageError) as exc:
        parse_package(files)
    assert any(
        message in str(p) and "translations.yaml, line" in str(p) for p in exc.value.problems
    )


# --- the pages --------------------------------------------------------------------------------


@pytest.fixture
def loaded_fr(exercise_instance):
    from palermo.exercise import services

    ex, _ = services.load_scenario(
        parse_package(_package()), antennas=1, controllers=1, password="Exercise-test-1"
    )
    return ex


def _in(client, url, lang="fr") -> str:
    r = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert r.status_code == 200, url
    return r.content.decode()


def _shows(page: str, texts: list[str]) -> None:
    """Each of ``texts`` is on the page marked, and nowhere as written: once every marked text
    of the package is taken out (a short text such as a region may sit inside a longer one),
    none of ``texts`` is left."""
    rest = page
    for text in sorted({v for _p, v in text_leaves()}, key=len, reverse=True):
        rest = rest.replace(escape(_m(text)), "")
    for text in texts:
        assert escape(_m(text)) in page, text
        assert escape(text) not in rest, text


@override_settings(LANGUAGES=[("en", "English"), ("fr", "French")])
def test_the_home_page_shows_the_country_and_the_sops_in_french(loaded_fr, as_user):
    d = {n: yaml.safe_load(t) for n, t in _files().items()}
    country = d["country.yaml"]
    home = _in(as_user("a-ngo_worker-1"), "/exercise/")
    _shows(
        home,
        [
            country["name"],
            country["description"],
            *(v for law in country["laws"] for v in (law["title"], law["summary"])),
            *country["nrm"]["rules"],
            *(s[k] for s in country["services"] for k in ("name", "offers", "region") if k in s),
            *(s["title"] for s in d["scenario.yaml"]["sop_steps"]),
        ],
    )
    en = _in(as_user("a-ngo_worker-1"), "/exercise/", "en")
    assert escape(country["name"]) in en and MARK not in en


@override_settings(LANGUAGES=[("en", "English"), ("fr", "French")])
def test_inbox_and_cue_cards_show_roles_teams_and_personas_in_french(loaded_fr, as_user):
    d = {n: yaml.safe_load(t) for n, t in _files().items()}
    roles = {r["key"]: r for r in d["organisations.yaml"]["roles"]}
    inbox = _in(as_user("a-ngo_worker-1"), "/exercise/inbox/")
    assert escape(_m(roles["ngo_worker"]["title"])) in inbox
    assert escape(_m("Team A")) in inbox
    cues = _in(as_user("actor_mira"), "/exercise/cues/")
    mira = next(p for p in d["personas.yaml"]["personas"] if p["key"] == "mira")
    _shows(
        cues,
        [
            roles["actor_mira"]["brief"],
            mira["name"],
            mira["background"],
            *mira["languages"],
            *(v for r in mira["reveals"] for v in (r["when"], r["fact"])),
        ],
    )


@override_settings(LANGUAGES=[("en", "English"), ("fr", "French")])
def test_direction_and_antenna_show_injects_actions_roles_and_teams_in_french(loaded_fr, as_user):
    d = {n: yaml.safe_load(t) for n, t in _files().items()}
    msel = d["msel.yaml"]["injects"]
    direction = _in(as_user("chief"), "/exercise/direction/")
    upcoming = [x["title"] for x in msel if x["kind"] == "scheduled"][:5]
    trainee_roles = [r["title"] for r in d["organisations.yaml"]["roles"] if r["kind"] == "trainee"]
    _shows(direction, [d["scenario.yaml"]["title"], *upcoming, *trainee_roles, "Team B"])
    antenna = _in(as_user("antenna-1"), "/exercise/antenna/")
    for x in msel:
        for ea in x.get("expected_actions", []):
            assert escape(_m(ea["text"])[:40]) in antenna, ea["id"]
    assert escape(_m("Team C")) in antenna


def test_stored_names_and_seeded_case_files_are_in_the_language_chosen_at_load(
    exercise_instance,
):
    from palermo.cases import selectors as case_selectors
    from palermo.core.models import AuditEntry, Organisation, User
    from palermo.exercise import services
    from palermo.exercise.models import Participant

    services.load_scenario(
        parse_package(_package()), antennas=1, controllers=1, language="fr", password="Ex-1-abc"
    )
    names = set(Organisation.objects.values_list("name", flat=True))
    assert all(n.startswith(MARK) for n in names), names
    assert all(p.role_title.startswith(MARK) for p in Participant.objects.all())
    ref = (
        AuditEntry.objects.filter(
            action="create", object_type="case", actor_username="a-nio_officer-1"
        )
        .latest("id")
        .object_ref
    )
    officer = User.objects.get(username="a-nio_officer-1")
    case = case_selectors.access_case(officer, officer.organisations()[0], ref)
    notes = [e.text for e in case_selectors.case_timeline(case) if e.text]
    assert notes and all(n.startswith(MARK) for n in notes), notes


def test_a_load_language_the_package_lacks_is_refused(exercise_instance):
    from palermo.core.errors import InvalidInput
    from palermo.exercise import services
    from palermo.exercise.models import Exercise

    with pytest.raises(InvalidInput):
        services.load_scenario(parse_package(_package()), language="de", password="Ex-1-abc")
    assert not Exercise.objects.exists()
