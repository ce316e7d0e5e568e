"""Languages: the message template, data msgids, catalogue completeness (issue 15, item 5).

* ``WANTED_LANGUAGES``: the languages Palermo is translated into (English is the source).
* ``shipped_languages()``: those whose compiled catalogue translates **every** msgid of the
  committed template ``locale/django.pot``. Only these are offered and put on a page
  (``settings.LANGUAGES``); a reader who asks for another is served English and told so.
* ``data_strings()`` / ``write_data_msgids()``: the English text of the YAML/JSON data
  (indicator sets, red-flag rules, NRM rules, monitoring indicators, HTCDS picklists) as
  msgids, written to ``data_msgids.py`` so that ``makemessages`` puts them in django.po.
* ``extract()``: the whole extraction (data msgids, makemessages, msgfmt --check).
* ``catalogue_status()``: per language, translated / fuzzy / untranslated / missing.

No Django settings are needed for the completeness check, so settings.py can call it.
"""

from __future__ import annotations

import gettext as _gettext
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/palermo
LOCALE_DIR = PACKAGE_DIR / "locale"
TEMPLATE = LOCALE_DIR / "django.pot"
DATA_MSGIDS = Path(__file__).resolve().parent / "data_msgids.py"

# (code, English name) — names are marked for translation in settings.py.
WANTED_LANGUAGES: tuple[tuple[str, str], ...] = (
    ("en", "English"),
    ("uk", "Ukrainian"),
    ("ru", "Russian"),
    ("fr", "French"),
    ("sq", "Albanian"),
    ("sr", "Serbian"),
)
SOURCE_LANGUAGE = "en"
# A second, smaller tier: languages offered ONLY on the public pages (/check/, /report/ and
# its thanks page; the URL namespace ``prevent_public``) once their catalogue translates
# every msgid those pages can show (``public_msgids()``), though not the rest of Palermo.
# Signed-in pages never offer them: a reader who asks for one there gets the English
# fallback and its notice (palermo.web.languages). See docs/translating.md.
PUBLIC_LANGUAGES: tuple[tuple[str, str], ...] = (
    ("ro", "Romanian"),
    ("ar", "Arabic"),
)
PUBLIC_URL_NAMESPACE = "prevent_public"
# The languages this release promises complete, one code a line (a file, so that each
# translation team adds its own line and merges never conflict). The test suite and
# `palermo i18n check` fail when one of them misses a msgid of the template.
RELEASED_FILE = LOCALE_DIR / "RELEASED"


# The public-page languages this release promises complete for the public pages (the same
# format): the tests fail when one of them misses a public msgid.
RELEASED_PUBLIC_FILE = LOCALE_DIR / "RELEASED_PUBLIC"


def released_public_languages(path: Path = RELEASED_PUBLIC_FILE) -> list[str]:
    return released_languages(path)


def released_languages(path: Path = RELEASED_FILE) -> list[str]:
    if not path.exists():
        return []
    codes = [line.split("#")[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [c for c in dict.fromkeys(codes) if c]


# --- the message template ----------------------------------------------------------------


def _unquote(line: str) -> str:
    return json.loads(line) if line.startswith('"') else ""


@dataclass(frozen=True, slots=True)
class PoEntry:
    msgctxt: str | None
    msgid: str
    msgid_plural: str | None
    msgstr: tuple[str, ...]
    fuzzy: bool
    obsolete: bool
    # The files the ``#:`` references name (package-relative), without line numbers.
    occurrences: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The key a compiled catalogue uses (``ctxt\\x04msgid``)."""
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    @property
    def translated(self) -> bool:
        return all(s for s in self.msgstr) and bool(self.msgstr) and not self.fuzzy


def read_po(path: Path) -> list[PoEntry]:
    """The entries of a .po/.pot file (header left out). GNU PO syntax as written by
    xgettext/msgmerge; parsed with polib, the maintained reader made for the job."""
    import polib

    po = polib.pofile(str(path), wrapwidth=0)
    out = [_entry(e, obsolete=False) for e in po]
    out += [_entry(e, obsolete=True) for e in po.obsolete_entries()]
    return out


def _entry(e: object, *, obsolete: bool) -> PoEntry:
    plural = e.msgid_plural or None  # type: ignore[attr-defined]
    if plural:
        forms = e.msgstr_plural  # type: ignore[attr-defined]
        msgstr = tuple(forms[i] for i in sorted(forms))
    else:
        msgstr = (e.msgstr,)  # type: ignore[attr-defined]
    return PoEntry(
        msgctxt=e.msgctxt,  # type: ignore[attr-defined]
        msgid=e.msgid,  # type: ignore[attr-defined]
        msgid_plural=plural,
        msgstr=msgstr,
        fuzzy="fuzzy" in e.flags,  # type: ignore[attr-defined]
        obsolete=obsolete,
        occurrences=tuple(f for f, _line in e.occurrences),  # type: ignore[attr-defined]
    )


@lru_cache(maxsize=4)
def template_keys(template: Path = TEMPLATE) -> frozenset[str]:
    """Every msgid (with its context) of the committed template."""
    if not template.exists():
        return frozenset()
    return frozenset(e.key for e in read_po(template) if not e.obsolete and e.msgid)


def _compiled_file(mo: Path) -> dict[object, object]:
    """The messages of a compiled catalogue (msgid → msgstr; (msgid, n) for plurals)."""
    with mo.open("rb") as fh:
        catalogue = _gettext.GNUTranslations(fh)
    return dict(catalogue._catalog)  # type: ignore[attr-defined]


def _compiled(language: str, locale_dir: Path) -> dict[object, object] | None:
    mo = locale_dir / language / "LC_MESSAGES" / "django.mo"
    return _compiled_file(mo) if mo.exists() else None


def missing_msgids(
    language: str, locale_dir: Path = LOCALE_DIR, template: Path = TEMPLATE
) -> list[str]:
    """The template's msgids the compiled catalogue of ``language`` does not translate
    (a plural msgid counts once). Every msgid when there is no compiled catalogue."""
    keys = template_keys(template)
    compiled = _compiled(language, locale_dir)
    if compiled is None:
        return sorted(keys)
    return sorted(keys - _translated_keys(compiled))


def _translated_keys(compiled: dict[object, object]) -> set[str]:
    """The keys a compiled catalogue translates (a plural msgid once)."""
    have = set()
    for k, v in compiled.items():
        if isinstance(k, tuple):
            if v:
                have.add(k[0])
        elif k and v:
            have.add(k)
    return have


def shipped_languages(
    locale_dir: Path = LOCALE_DIR, template: Path = TEMPLATE
) -> list[tuple[str, str]]:
    """The wanted languages whose catalogue is complete (English always)."""
    if not template.exists():
        return [WANTED_LANGUAGES[0]]
    return [
        (code, name)
        for code, name in WANTED_LANGUAGES
        if code == SOURCE_LANGUAGE or not missing_msgids(code, locale_dir, template)
    ]


# --- the public pages' msgids (the second tier) ------------------------------------------

# Everything the public pages can put in front of a reader, by where makemessages finds it
# (the ``#:`` references of the template, package-relative):
# * templates: the pages, the base they extend and every template they include (a test
#   follows their {% extends %}/{% include %} tags, so a new include cannot be forgotten);
# * modules whose every marked string is shown there: the check rules' texts (questions,
#   indicators, warnings, next steps — ``prevent/msgids.py``, kept in step with
#   ``prevent/data/job_offer_rules.json`` by a test) and the report form's core
#   (kinds of work, warning signs, its refusals — ``prevent/reports.py``).
PUBLIC_TEMPLATES: tuple[str, ...] = (
    "prevent/templates/prevent/public_base.html",
    "prevent/templates/prevent/check.html",
    "prevent/templates/prevent/report.html",
    "prevent/templates/prevent/report_thanks.html",
    "web/templates/web/error_summary.html",
)
PUBLIC_MODULES: tuple[str, ...] = ("prevent/msgids.py", "prevent/reports.py")
# Modules that also serve the analysts' pages: only the strings marked inside these
# top-level definitions (found in the source, so a new label in them is in scope at once).
PUBLIC_DEFINITIONS: dict[str, tuple[str, ...]] = {
    "prevent/forms.py": ("ANSWER_LABELS", "CheckForm", "ReportForm"),
    "prevent/models.py": ("LicenceStatus",),  # the registry look-up on /check/
    "prevent/services.py": ("report_submit",),
}
# Django's own messages on these forms (a required field, a choice not in the list, a text
# too long) come from Django's catalogue, which has ar and ro; a test checks that.
DJANGO_FORM_MESSAGES: tuple[str, ...] = (
    "This field is required.",
    "Select a valid choice. %(value)s is not one of the available choices.",
    "Enter a list of values.",
    "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
)

_MARKERS = frozenset({"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"})
_CONTEXT_MARKERS = frozenset({"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"})


def _marked_in(node: object) -> Iterator[str]:
    """The keys of the strings marked for gettext inside an AST node."""
    import ast

    for n in ast.walk(node):  # type: ignore[arg-type]
        if not isinstance(n, ast.Call):
            continue
        name = n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
        args = [a.value if isinstance(a, ast.Constant) else None for a in n.args]
        strings = [a for a in args[:2] if isinstance(a, str)]
        if name in _MARKERS and args and isinstance(args[0], str):
            yield args[0]
        elif name in _CONTEXT_MARKERS and len(strings) == 2:  # (context, msgid)
            yield f"{strings[0]}\x04{strings[1]}"


def public_definition_msgids(package_dir: Path = PACKAGE_DIR) -> set[str]:
    """The strings marked inside ``PUBLIC_DEFINITIONS`` (a name not found is an error)."""
    import ast

    out: set[str] = set()
    for rel, names in PUBLIC_DEFINITIONS.items():
        tree = ast.parse((package_dir / rel).read_text(encoding="utf-8"), filename=rel)
        found = set()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                defined = {node.name}
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                defined = {t.id for t in targets if isinstance(t, ast.Name)}
            else:
                continue
            if defined & set(names):
                found |= defined & set(names)
                out.update(_marked_in(node))
        if set(names) - found:
            raise LookupError(f"{rel} defines no {sorted(set(names) - found)}")
    return out


def public_msgids(template: Path = TEMPLATE, package_dir: Path = PACKAGE_DIR) -> frozenset[str]:
    """Every msgid (key) the public pages can show: the template's entries found in the
    public templates and modules, and the strings of the public definitions."""
    sources = set(PUBLIC_TEMPLATES) | set(PUBLIC_MODULES)
    keys = set()
    if template.exists():
        for e in read_po(template):
            if e.msgid and not e.obsolete and sources.intersection(e.occurrences):
                keys.add(e.key)
    return frozenset(keys | public_definition_msgids(package_dir))


def missing_public_msgids(
    language: str, locale_dir: Path = LOCALE_DIR, template: Path = TEMPLATE
) -> list[str]:
    """The public msgids the compiled catalogue of ``language`` does not translate."""
    compiled = _compiled(language, locale_dir)
    keys = public_msgids(template)
    return sorted(keys - _translated_keys(compiled or {}))


def write_public_todo(
    language: str, out: Path, locale_dir: Path = LOCALE_DIR, template: Path = TEMPLATE
) -> int:
    """Write the public msgids ``language`` does not translate yet to ``out``: a GNU .po
    with empty msgstr (references and translator comments kept) for translators to fill and
    the lead to merge (``msgcat --use-first``). Returns the number of entries."""
    import polib

    missing = set(missing_public_msgids(language, locale_dir, template))
    po_path = locale_dir / language / "LC_MESSAGES" / "django.po"
    source = polib.pofile(str(po_path if po_path.exists() else template), wrapwidth=0)
    todo = polib.POFile(wrapwidth=78)
    todo.metadata = dict(source.metadata)
    todo.metadata["Language"] = language
    todo.header = (
        f"Palermo: the msgids of the public pages (/check/, /report/) not yet translated "
        f"into {language}."
    )
    plural_forms = todo.metadata.get("Plural-Forms", "")
    found = re.search(r"nplurals=(\d+)", plural_forms)
    nplurals = int(found.group(1)) if found else 2  # the template's header: no language yet
    for e in source:
        key = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt else e.msgid
        if key not in missing:
            continue
        entry = polib.POEntry(
            msgid=e.msgid,
            msgctxt=e.msgctxt,
            msgid_plural=e.msgid_plural,
            occurrences=e.occurrences,
            comment=e.comment,
            flags=[f for f in e.flags if f != "fuzzy"],
        )
        if e.msgid_plural:
            entry.msgstr_plural = dict.fromkeys(range(nplurals), "")  # the language's forms
        else:
            entry.msgstr = ""
        todo.append(entry)
    todo.save(str(out))
    return len(todo)


def public_languages(
    locale_dir: Path = LOCALE_DIR, template: Path = TEMPLATE
) -> list[tuple[str, str]]:
    """The public-page languages whose catalogue translates every public msgid."""
    if not template.exists():
        return []
    return [
        (code, name)
        for code, name in PUBLIC_LANGUAGES
        if not missing_public_msgids(code, locale_dir, template)
    ]


# --- data text as msgids -----------------------------------------------------------------


def _yaml(path: Path) -> object:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _s(value: object) -> str | None:
    return " ".join(str(value).split()) if isinstance(value, str) and value.strip() else None


def _indicator_set_strings(path: Path) -> Iterator[tuple[str, str | None]]:
    data = _yaml(path)
    assert isinstance(data, dict)
    name = f"screening/indicator_sets/{path.name}"
    yield f"{name} title", data.get("title")
    for d in data.get("dimensions") or ():
        yield f"{name} dimension {d.get('key')}", d.get("label")
    rule = data.get("rule") or {}
    for c in rule.get("dimension_positive_when_any") or ():
        yield f"{name} threshold {c.get('id')}", c.get("label")
    for st in rule.get("stages") or ():
        yield f"{name} stage {st.get('key')}", st.get("label")
    child = rule.get("child_act_rule") or {}
    yield f"{name} child act", child.get("act_label")
    for c in data.get("criteria") or ():
        yield f"{name} criterion {c.get('key')}", c.get("label")
        yield f"{name} criterion {c.get('key')} description", c.get("description")
    for q in data.get("screening_questions") or ():
        yield f"{name} question {q.get('key')}", q.get("text")
    for i in data.get("indicators") or ():
        yield f"{name} indicator {i.get('key')}", i.get("label")
        yield f"{name} indicator {i.get('key')} guidance", i.get("guidance")


def _red_flag_rule_strings(path: Path) -> Iterator[tuple[str, str | None]]:
    data = _yaml(path)
    assert isinstance(data, dict)
    name = f"investigate/rules/{path.name}"
    yield f"{name} title", data.get("title")
    yield f"{name} description", data.get("description")
    for key, p in (data.get("parameters") or {}).items():
        if isinstance(p, dict):
            yield f"{name} parameter {key}", p.get("description")


def _questionnaire_strings(path: Path) -> Iterator[tuple[str, str | None]]:
    """A supplier self-assessment questionnaire: its title, each question's text and help,
    and the labels of a choice's answers (``supply/questionnaire.py``)."""
    data = _yaml(path)
    if not isinstance(data, dict):
        return
    where = f"supply/data/questionnaires/{path.name}"
    yield f"{where} title", data.get("title")
    for q in data.get("questions") or ():
        yield f"{where} {q.get('id')}", q.get("text")
        yield f"{where} {q.get('id')} help", q.get("help")
        for code, label in (q.get("options") or {}).items():
            yield f"{where} {q.get('id')} {code}", label


def _data_sources() -> Iterator[tuple[str, str | None]]:
    for path in sorted((PACKAGE_DIR / "screening" / "indicator_sets").glob("*.yaml")):
        yield from _indicator_set_strings(path)
    for path in sorted((PACKAGE_DIR / "investigate" / "rules").glob("*.yaml")):
        yield from _red_flag_rule_strings(path)
    for path in sorted((PACKAGE_DIR / "investigate" / "profiles").glob("*.yaml")):
        profile = _yaml(path)
        if isinstance(profile, dict):
            yield f"investigate/profiles/{path.name} label", profile.get("label")
    cats = _yaml(PACKAGE_DIR / "investigate" / "data" / "counterparty_categories.yaml")
    for c in (cats if isinstance(cats, dict) else {}).get("categories") or ():
        yield f"investigate/data/counterparty_categories.yaml {c.get('id')}", c.get("label")
    nrm = _yaml(PACKAGE_DIR / "cases" / "data" / "nrm_rules.yaml")
    assert isinstance(nrm, dict)
    yield "cases/data/nrm_rules.yaml title", nrm.get("title")
    for r in nrm.get("rules") or ():
        yield f"cases/data/nrm_rules.yaml {r.get('key')}", r.get("label")
        yield f"cases/data/nrm_rules.yaml {r.get('key')} task", r.get("task")
    mon = _yaml(PACKAGE_DIR / "monitor" / "data" / "indicators.yaml")
    for i in (mon if isinstance(mon, dict) else {}).get("indicators") or ():
        yield f"monitor/data/indicators.yaml {i.get('id')}", i.get("title")
        yield f"monitor/data/indicators.yaml {i.get('id')} definition", i.get("definition")
    clauses = _yaml(PACKAGE_DIR / "supply" / "data" / "clauses.yaml")
    for c in (clauses if isinstance(clauses, dict) else {}).get("clauses") or ():
        yield f"supply/data/clauses.yaml {c.get('id')} title", c.get("title")
        yield f"supply/data/clauses.yaml {c.get('id')} text", c.get("text")
    for path in sorted((PACKAGE_DIR / "supply" / "data" / "questionnaires").glob("*.yaml")):
        yield from _questionnaire_strings(path)
    picklists = json.loads(
        (PACKAGE_DIR / "cases" / "data" / "htcds_picklists.json").read_text(encoding="utf-8")
    )["picklists"]
    for field, spec in picklists.items():
        yield f"HTCDS picklist {field}", spec.get("label")
        for v in spec.get("values") or ():
            yield f"HTCDS picklist {field} value {v.get('name')}", v.get("label")


def _code_tables() -> Iterator[tuple[str, str | None]]:
    """Label tables of the pure core that pages show (the shell translates them)."""
    from palermo.cases import access, workflow
    from palermo.cases.wf_words import LABEL_TABLES

    for name in LABEL_TABLES:
        for key, label in getattr(workflow, name).items():
            yield f"cases/workflow.py {name} {key}", label
    for key, label in access.GROUP_LABELS.items():
        yield f"cases/access.py GROUP_LABELS {key}", label
    for status in workflow.REFERRAL_STATUSES:
        # stats/case_mapping.referral_outcome: a referral without an outcome yet
        yield f"stats/case_mapping.py referral {status}", f"Referral {status}"
    from palermo.investigate.services import STATEMENT_KINDS

    for key, label in STATEMENT_KINDS.items():
        yield f"investigate/services.py STATEMENT_KINDS {key}", label
    from palermo.stats import case_mapping, small_cells
    from palermo.stats.services import TABLE_TITLES  # the stats shell: Django set up

    for key, title in TABLE_TITLES.items():
        yield f"stats/services.py TABLE_TITLES {key}", title
    for label in dict.fromkeys(case_mapping.SEX.values()):
        yield "stats/case_mapping.py SEX", label
    yield "stats/small_cells.py UNKNOWN", small_cells.UNKNOWN
    yield "stats/small_cells.py NO_DECISION", small_cells.NO_DECISION
    yield "stats/small_cells.py referral_outcome", "No referral"
    for _low, _high, label in small_cells.DECISION_BANDS:
        yield "stats/small_cells.py DECISION_BANDS", label
    from palermo.stats.hierarchies import m49_table

    for row in m49_table().values():  # "Other – Western Africa" on the statistics pages
        for region in (row.region, row.sub_region, row.intermediate_region):
            if region:
                yield "stats/data/m49_regions.csv", region


# --- refusal messages (core/errors.py: said in the reader's language) ---------------------

# Call name → index of the positional argument that is the message (None: none), and the
# keyword that can carry it. Subclasses defined in the contexts are listed with their base's.
REFUSAL_CALLS: dict[str, tuple[int | None, str | None]] = {
    "FieldError": (1, None),
    "Problem": (0, None),
    "PalermoError": (0, "message"),
    "NotAllowed": (0, "message"),
    "NotFound": (0, "message"),
    "Conflict": (0, "message"),
    "Busy": (0, "message"),
    "NotAnExerciseInstance": (0, "message"),
    "StaleVersion": (0, "message"),
    "InvalidInput": (1, "detail"),
    "ImportRejected": (1, "detail"),
}


_GETTEXT_NAMES = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext"})


@dataclass(frozen=True, slots=True)
class RefusalMessage:
    where: str  # the file (no line: an edit elsewhere in it must not churn the catalogues)
    text: str | None  # the literal; None when the message is an f-string (a defect)


def _gettexted(node: object) -> bool:
    import ast

    return any(
        isinstance(n, ast.Call) and getattr(n.func, "id", "") in _GETTEXT_NAMES
        for n in ast.walk(node)  # type: ignore[arg-type]
    )


def _message_literals(node: object) -> Iterator[str | None]:
    """The string literals a message expression can be (None for an f-string). Anything
    else (a variable, a ``gettext`` call) is translated where it comes from."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr) or (isinstance(node, ast.BinOp) and not _gettexted(node)):
        yield None  # built at run time ("a" + x, an f-string): no msgid can match it
    elif isinstance(node, ast.IfExp):
        yield from _message_literals(node.body)
        yield from _message_literals(node.orelse)
    elif isinstance(node, ast.BoolOp):  # message or "default"
        for value in node.values:
            yield from _message_literals(value)


def _assigns_default_detail(node: object) -> bool:
    import ast

    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == "default_detail" for t in node.targets)
    return (
        isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "default_detail"
    )


def refusal_messages(package_dir: Path = PACKAGE_DIR) -> list[RefusalMessage]:
    """Every literal message given to ``FieldError`` or a refusal in the package, and the
    ``default_detail`` of each refusal class: the msgids ``core.errors.say`` looks up."""
    import ast

    out: list[RefusalMessage] = []
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir).as_posix()
        if rel.startswith(("migrations/", "locale/")) or "/migrations/" in rel:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        # Other modules have classes of their own named Problem (a field and a message):
        # only core.errors' Problem takes the message first.
        core_problem = rel == "core/errors.py" or any(
            isinstance(n, ast.ImportFrom)
            and n.module == "palermo.core.errors"
            and any(a.name == "Problem" for a in n.names)
            for n in ast.walk(tree)
        )
        for node in ast.walk(tree):
            found: list[object] = []
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name not in REFUSAL_CALLS or (name == "Problem" and not core_problem):
                    continue
                index, keyword = REFUSAL_CALLS[name]
                if index is not None and len(node.args) > index:
                    found.append(node.args[index])
                found += [k.value for k in node.keywords if keyword and k.arg == keyword]
            elif _assigns_default_detail(node):
                found.append(node.value)  # type: ignore[attr-defined]
            for expr in found:
                for text in _message_literals(expr):
                    out.append(RefusalMessage(rel, text))
    return out


def data_strings() -> dict[str, list[str]]:
    """msgid → where it comes from (first occurrences first), whitespace normalised as the
    loaders and ``data_text`` do."""
    out: dict[str, list[str]] = {}
    for where, value in [*_data_sources(), *_code_tables()]:
        text = _s(value)
        if text:
            out.setdefault(text, []).append(where)
    # Exact, not whitespace-normalised: the template is looked up as written.
    for m in refusal_messages():
        if m.text and m.text.strip():
            out.setdefault(m.text, []).append(m.where)
    return out


def render_data_msgids() -> str:
    lines = [
        '"""GENERATED by `palermo i18n data-msgids` — do not edit.',
        "",
        "The English text of Palermo's data files (indicator sets, red-flag rules, NRM rules,",
        "monitoring indicators, HTCDS picklists) as msgids, so that makemessages puts them in",
        "django.po. Pages translate them with palermo.web.display.data_text.",
        '"""',
        "# ruff: noqa",
        "# fmt: off",
        "",
        "from django.utils.translation import gettext_noop as _",
        "",
        "MSGIDS = [",
    ]
    for text, where in data_strings().items():
        shown = "; ".join(where[:3]) + (f" (+{len(where) - 3})" if len(where) > 3 else "")
        lines.append(f"    # Translators: {shown}")
        lines.append(f"    _({json.dumps(text, ensure_ascii=False)}),")
    lines.append("]")
    return "\n".join(lines) + "\n"


def write_data_msgids(path: Path = DATA_MSGIDS) -> bool:
    """Write the module; True if it changed. Needs Django set up (the stats shell's
    titles are read from it)."""
    text = render_data_msgids()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


# --- extraction --------------------------------------------------------------------------

MAKEMESSAGES_ARGS = [
    "--domain",
    "django",
    "--keep-pot",
    "--no-obsolete",
    "--add-location",
    "file",
    "--ignore",
    "tests/*",
    "--ignore",
    "static/*",
]


def run_makemessages(package_dir: Path, languages: list[str]) -> None:
    """``django-admin makemessages`` inside ``package_dir`` (the app whose locale/ we fill),
    in a child process so the current process's cwd and settings stay as they are."""
    argv = [sys.executable, "-m", "django", "makemessages", *MAKEMESSAGES_ARGS]
    for code in languages:
        argv += ["-l", code]
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    env.setdefault("PALERMO_TESTING", "1")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(package_dir.parent), *filter(None, [env.get("PYTHONPATH")])]
    )
    subprocess.run(  # noqa: S603 – fixed argv: this interpreter, django, our options
        argv, cwd=package_dir, env=env, check=True, capture_output=True, text=True
    )


def fresh_template(workdir: Path) -> Path:
    """Extract the template from the current source into ``workdir`` (a copy of the package
    tree, so nothing in the source tree changes) and return the .pot path."""
    copy = workdir / "palermo"
    shutil.copytree(
        PACKAGE_DIR,
        copy,
        ignore=shutil.ignore_patterns("locale", "__pycache__", "*.pyc", "node_modules"),
    )
    (copy / "locale").mkdir()
    write_data_msgids(copy / "web" / "data_msgids.py")
    run_makemessages(copy, [SOURCE_LANGUAGE])
    return copy / "locale" / "django.pot"


def compile_catalogues(locale_dir: Path = LOCALE_DIR) -> list[str]:
    """``msgfmt --check`` every catalogue into its .mo; the error lines (empty if fine)."""
    errors: list[str] = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/django.po")):
        done = subprocess.run(  # noqa: S603 – fixed argv, GNU gettext from PATH
            ["msgfmt", "--check", "-o", str(po.with_suffix(".mo")), str(po)],  # noqa: S607
            capture_output=True,
            text=True,
        )
        if done.returncode:
            errors.append(done.stderr.strip())
    return errors


def extract(languages: list[str] | None = None) -> list[str]:
    """Data msgids, makemessages for ``languages`` (default: every catalogue there is, so
    one team's run does not create another's), msgfmt --check; the errors."""
    write_data_msgids()
    existing = [p.name for p in sorted(LOCALE_DIR.glob("*")) if (p / "LC_MESSAGES").is_dir()]
    run_makemessages(PACKAGE_DIR, sorted(set(languages or []) | set(existing)))
    template_keys.cache_clear()
    return compile_catalogues()


# --- status ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatalogueStatus:
    language: str
    total: int
    translated: int
    fuzzy: int
    untranslated: int
    missing: int  # msgids of the template the .po does not even list
    compiled_missing: int  # msgids the compiled .mo does not translate

    @property
    def complete(self) -> bool:
        return self.compiled_missing == 0


def catalogue_status(
    language: str, locale_dir: Path = LOCALE_DIR, template: Path = TEMPLATE
) -> CatalogueStatus:
    keys = template_keys(template)
    po = locale_dir / language / "LC_MESSAGES" / "django.po"
    entries = {e.key: e for e in read_po(po) if not e.obsolete} if po.exists() else {}
    listed = [entries[k] for k in keys if k in entries]
    return CatalogueStatus(
        language=language,
        total=len(keys),
        translated=sum(1 for e in listed if e.translated),
        fuzzy=sum(1 for e in listed if e.fuzzy),
        untranslated=sum(1 for e in listed if not e.translated and not e.fuzzy),
        missing=len(keys) - len(listed),
        compiled_missing=len(missing_msgids(language, locale_dir, template)),
    )
