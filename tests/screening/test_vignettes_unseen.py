"""Identification vignettes written apart from the rest of the test data.

``tests/data/screening_vignettes_unseen.yaml`` holds short case descriptions (adult labour
and sexual exploitation, children on both lists, begging, forced criminality, domestic
servitude, organ removal, forced marriage, online recruitment, smuggling, plain bad
working conditions, 17 against 18, an unknown age, unknowns, contradictions, CSV
spellings, non-ASCII input), each with the outcome the domain rules give and the rule
cited. Every vignette goes through every way in: the Python API (mapping and dataclass),
the batch CLI on CSV and on JSON Lines, the compact result by columns, the fast path, the
HTTP API and (on CI, marked slow) the web interview, so none of them can drift from the
domain's answer or from the others.

The file also lists inputs that must be refused: the message names the field (and in a
batch the line and the row's reference), and no row is silently dropped.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from palermo.cli import app
from palermo.screening.batch_parallel import compact_result, screen_lines_parallel
from palermo.screening.engine import (
    ObservedIndicator,
    ScreeningInput,
    ScreeningInputError,
    screen,
    screen_mapping,
)
from palermo.screening.fastpath import FastScreener
from palermo.screening.loader import default_catalogue

DATA = yaml.safe_load(
    (Path(__file__).parents[1] / "data" / "screening_vignettes_unseen.yaml").read_text("utf-8")
)
VIGNETTES: list[dict[str, Any]] = DATA["vignettes"]
REFUSALS: list[dict[str, Any]] = DATA["refusals"]
CATALOGUE = default_catalogue()
FIELDS = [
    "ref",
    "age",
    "age_uncertain_may_be_child",
    "forms",
    "act",
    "means",
    "purpose",
    "self_identifies_as_victim",
    "indicators",
]


def ref_of(v: dict[str, Any]) -> str:
    return str(v.get("ref", v["id"]))


# ------------------------------------------------------------------ expectations


def mismatches(expect: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """What differs between a vignette's expectation and a full engine result."""
    bad = []
    for key in ("age_group", "age_basis", "assessment", "status", "status_rule"):
        if key in expect and result[key] != expect[key]:
            bad.append(f"{key}: expected {expect[key]!r}, got {result[key]!r}")
    if "assessments" in expect and list(result["assessments"]) != expect["assessments"]:
        bad.append(f"assessments: expected {expect['assessments']}, got {result['assessments']}")
    codes = [s["code"] for s in result["next_steps"]]
    for code in expect.get("next_steps_include", []):
        if code not in codes:
            bad.append(f"next step {code!r} missing from {codes}")
    for code in expect.get("next_steps_exclude", []):
        if code in codes:
            bad.append(f"next step {code!r} should not be in {codes}")
    if "next_steps_exact" in expect and codes != expect["next_steps_exact"]:
        bad.append(f"next steps: expected {expect['next_steps_exact']}, got {codes}")
    for rule in expect.get("rules_include", []):
        if rule not in result["rules_met"]:
            bad.append(f"rule {rule!r} missing from {result['rules_met']}")
    if "positive" in expect:
        got = {
            s["set_id"]: [d["key"] for d in s["dimensions"] if d["positive"]]
            for s in result["sets"]
        }
        got = {k: v for k, v in got.items() if v}
        if got != expect["positive"]:
            bad.append(f"positive dimensions: expected {expect['positive']}, got {got}")
    return bad


def compact_mismatches(expect: dict[str, Any], compact: dict[str, Any]) -> list[str]:
    """The part of the expectation the compact result carries."""
    bad = []
    if "assessment" in expect and compact["assessment"] != expect["assessment"]:
        bad.append(f"assessment: expected {expect['assessment']!r}, got {compact['assessment']!r}")
    if "status" in expect and compact["status"] != expect["status"]:
        bad.append(f"status: expected {expect['status']!r}, got {compact['status']!r}")
    if "status_rule" in expect and compact["rules_met"][0] != expect["status_rule"]:
        bad.append(f"status rule: expected {expect['status_rule']!r}, got {compact['rules_met']}")
    if "positive" in expect:
        got = {k: v for k, v in compact["positive_dimensions"].items() if v}
        if got != expect["positive"]:
            bad.append(f"positive dimensions: expected {expect['positive']}, got {got}")
    return bad


# ------------------------------------------------------------------ encodings


def csv_cells(v: dict[str, Any]) -> dict[str, str]:
    """The vignette as a CSV row: its raw cells, or its input flattened (a column per
    indicator holding its source or 'x', lists joined by ';')."""
    if "csv" in v:
        return {k: str(x) for k, x in v["csv"].items()}
    cells: dict[str, str] = {}
    data = v["input"]
    for name in FIELDS[1:-1]:
        if name in data:
            value = data[name]
            if isinstance(value, list):
                cells[name] = ";".join(value)
            elif isinstance(value, bool):
                cells[name] = "yes" if value else "no"
            else:
                cells[name] = str(value)
    for item in data.get("indicators", []):
        item = {"key": item} if isinstance(item, str) else item
        cells[item["key"]] = item.get("source") or "x"
    return cells


def as_csv(rows: list[dict[str, str]]) -> str:
    columns = FIELDS + sorted({k for r in rows for k in r} - set(FIELDS))
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def vignettes_csv() -> str:
    return as_csv([{**csv_cells(v), "ref": ref_of(v)} for v in VIGNETTES])


def vignettes_jsonl() -> str:
    return "".join(
        orjson.dumps({"ref": ref_of(v), **v["input"]}).decode() + "\n" for v in VIGNETTES
    )


def as_dataclass(data: dict[str, Any]) -> ScreeningInput:
    return ScreeningInput(
        age=data.get("age"),
        age_uncertain_may_be_child=data.get("age_uncertain_may_be_child", False),
        forms=tuple(data.get("forms", ())),
        indicators=tuple(
            ObservedIndicator(i["key"], i.get("source")) for i in data.get("indicators", ())
        ),
        act=tuple(data.get("act", ())),
        means=tuple(data.get("means", ())),
        purpose=tuple(data.get("purpose", ())),
        self_identifies_as_victim=data.get("self_identifies_as_victim", False),
    )


def run_cli(tmp_path: Path, name: str, text: str, *extra: str) -> tuple[int, list[dict], list]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    run = CliRunner().invoke(
        app, ["screen", str(path), "-o", str(out), "-e", str(err), "-j", "1", *extra]
    )
    results = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    errors = [json.loads(line) for line in err.read_text("utf-8").splitlines()]
    return run.exit_code, results, errors


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["id"] for i in items]


# ------------------------------------------------------------------ the vignettes


def test_there_are_enough_vignettes_and_each_cites_its_rule() -> None:
    assert len(VIGNETTES) >= 30
    assert len(set(ids(VIGNETTES))) == len(VIGNETTES)
    for v in VIGNETTES:
        assert v["cite"].strip() and v["story"].strip() and v["expect"], v["id"]


@pytest.mark.parametrize("v", VIGNETTES, ids=ids(VIGNETTES))
def test_python_api(v: dict[str, Any]) -> None:
    result = screen_mapping(v["input"], CATALOGUE).to_dict()
    assert mismatches(v["expect"], result) == [], v["cite"]
    # the dataclass input gives the same result as the mapping
    assert screen(as_dataclass(v["input"]), CATALOGUE).to_dict() == result


@pytest.mark.parametrize("v", VIGNETTES, ids=ids(VIGNETTES))
def test_csv_row_and_fast_path(v: dict[str, Any]) -> None:
    """The CSV spelling of the vignette means the same as its JSON input, and the batch's
    fast path writes the engine's result byte for byte."""
    row = csv_cells(v)
    reference = screen_mapping(row, CATALOGUE)
    assert reference.to_dict() == screen_mapping(v["input"], CATALOGUE).to_dict()
    fast = FastScreener(CATALOGUE)
    assert fast.result_json(row) == orjson.dumps(reference)
    assert fast.result_json(v["input"]) == orjson.dumps(reference)


@pytest.mark.parametrize("name", ["people.csv", "people.jsonl"])
def test_batch_cli(tmp_path: Path, name: str) -> None:
    text = vignettes_csv() if name.endswith(".csv") else vignettes_jsonl()
    code, results, errors = run_cli(tmp_path, name, text)
    assert (code, errors) == (0, [])
    assert [r["ref"] for r in results] == [ref_of(v) for v in VIGNETTES]
    wrong = {}
    for v, row in zip(VIGNETTES, results, strict=True):
        bad = mismatches(v["expect"], row["result"])
        if row["result"] != screen_mapping(v["input"], CATALOGUE).to_dict():
            bad.append("differs from the Python API's result")
        if bad:
            wrong[v["id"]] = bad
    assert wrong == {}


@pytest.mark.parametrize("workers", [1, 2])
def test_compact_by_columns(workers: int) -> None:
    text = vignettes_csv()
    out, err = io.BytesIO(), io.BytesIO()
    summary = screen_lines_parallel(
        io.StringIO(text, newline=""),
        CATALOGUE,
        out,
        err,
        input_format="csv",
        compact=True,
        workers=workers,
    )
    assert (summary.rows_ok, summary.rows_rejected, err.getvalue()) == (len(VIGNETTES), 0, b"")
    rows = [orjson.loads(line) for line in out.getvalue().splitlines()]
    wrong = {}
    for v, row in zip(VIGNETTES, rows, strict=True):
        engine = compact_result(screen_mapping(v["input"], CATALOGUE).to_dict())
        bad = compact_mismatches(v["expect"], row["result"])
        if row["result"] != engine or row["ref"] != ref_of(v):
            bad.append(f"compact {row} differs from the engine's {engine}")
        if bad:
            wrong[v["id"]] = bad
    assert wrong == {}


def test_cli_compact(tmp_path: Path) -> None:
    code, results, errors = run_cli(tmp_path, "people.csv", vignettes_csv(), "--compact")
    assert (code, errors) == (0, [])
    wrong = {
        v["id"]: bad
        for v, row in zip(VIGNETTES, results, strict=True)
        if (bad := compact_mismatches(v["expect"], row["result"]))
    }
    assert wrong == {}


def test_http_api(client, api_token) -> None:
    from test_screening_shell import auth

    headers = auth(api_token("police"))
    wrong = {}
    for v in VIGNETTES:
        response = client.post(
            "/api/v1/screenings", v["input"], content_type="application/json", **headers
        )
        if response.status_code != 201:
            wrong[v["id"]] = [f"HTTP {response.status_code}: {response.content[:300]!r}"]
            continue
        body = response.json()
        result = body["result"]
        bad = mismatches(v["expect"], result)
        if result != screen_mapping(v["input"], CATALOGUE).to_dict():
            bad.append("differs from the Python API's result")
        if (body["assessment"], body["suggested_status"]) != (
            result["assessment"],
            result["status"],
        ):
            bad.append("the screening's summary fields differ from its result")
        if bad:
            wrong[v["id"]] = bad
    assert wrong == {}


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize("r", REFUSALS, ids=ids(REFUSALS))
def test_refused_with_the_field_named(r: dict[str, Any]) -> None:
    with pytest.raises(ScreeningInputError) as caught:
        screen_mapping(r["input"], CATALOGUE)
    found = [e for e in caught.value.to_list() if e["field"] == r["field"]]
    assert found, caught.value.to_list()
    assert any(r["message"] in e["message"] for e in found), found
    # the fast path refuses it with the same words
    with pytest.raises(ScreeningInputError) as fast:
        FastScreener(CATALOGUE).result_json(r["input"])
    assert fast.value.to_list() == caught.value.to_list()


def _mixed_rows() -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Every CSV-writable refusal between two valid vignettes."""
    good = iter(VIGNETTES)
    rows, bad = [], []
    for r in (r for r in REFUSALS if "csv" in r):
        v = next(good)
        rows.append({**csv_cells(v), "ref": ref_of(v)})
        rows.append({**{k: str(x) for k, x in r["csv"].items()}, "ref": r["id"]})
        bad.append(r)
    return rows, bad


@pytest.mark.parametrize("compact", [False, True])
def test_batch_names_line_row_and_field_and_drops_nothing(tmp_path: Path, compact: bool) -> None:
    rows, bad = _mixed_rows()
    code, results, errors = run_cli(
        tmp_path, "mixed.csv", as_csv(rows), *(["--compact"] if compact else [])
    )
    assert code == 1
    assert len(results) + len(errors) == len(rows)  # nothing silently dropped
    assert [e["ref"] for e in errors] == [r["id"] for r in bad]
    for r, e in zip(bad, errors, strict=True):
        # the header is line 1; the refusals are the even rows
        assert e["line"] == 2 + 2 * bad.index(r) + 1, e
        assert any(
            x["field"] == r["field"] and r["message"] in x["message"] for x in e["errors"]
        ), (r["id"], e)


def test_unknown_column_rejects_the_file_and_names_the_column(tmp_path: Path) -> None:
    text = "ref,age,forms,excesive_working_hours\np1,30,labour,x\n"
    path = tmp_path / "people.csv"
    path.write_text(text)
    run = CliRunner().invoke(app, ["screen", str(path), "-o", str(tmp_path / "out.jsonl")])
    assert run.exit_code == 2
    assert "line 1" in run.output and "unknown column(s): excesive_working_hours" in run.output
    assert not (tmp_path / "out.jsonl").exists() or not (tmp_path / "out.jsonl").read_text()


def test_http_api_refuses_with_the_field_named(client, api_token) -> None:
    from test_screening_shell import auth

    headers = auth(api_token("police"))
    cases = [
        (
            {"age": 30, "forms": ["labour"], "indicators": [{"key": "excesive_working_hours"}]},
            "indicators.excesive_working_hours",
        ),
        (
            {"age": 17, "forms": ["labour"], "indicators": [{"key": "no_social_protection"}]},
            "indicators.no_social_protection",
        ),
        ({"age": 30, "forms": ["labor"]}, "forms"),
        ({"age": 30, "purpose": ["organ_removal"]}, "purpose"),
        # The schema used to read true as the age 1 and false as 0 (a child), "on" or "y"
        # as yes, and to drop a misspelt field of an indicator: all refused now, as the
        # engine refuses them in a batch.
        ({"age": True, "forms": ["labour"]}, "age"),
        ({"age": False, "forms": ["labour"]}, "age"),
        ({"age": 30, "age_uncertain_may_be_child": "on"}, "age_uncertain_may_be_child"),
        ({"age": 30, "self_identifies_as_victim": "y"}, "self_identifies_as_victim"),
        (
            {
                "age": 30,
                "forms": ["labour"],
                "indicators": [{"key": "excessive_working_hours", "sourc": "observed"}],
            },
            "indicators.0.sourc",
        ),
    ]
    from palermo.screening.models import Screening

    before = Screening.objects.count()
    for body, field in cases:
        response = client.post(
            "/api/v1/screenings", body, content_type="application/json", **headers
        )
        assert response.status_code in (400, 422), (body, response.content)
        fields = [e["field"] for e in response.json()["errors"]]
        assert field in fields, (body, response.json())
    assert Screening.objects.count() == before


def _via_web(client, data: dict[str, Any]) -> dict[str, Any]:
    from django.urls import reverse
    from tests.screening.interview_helpers import assess, palermo_step, send_step, tick

    from palermo.screening.models import Screening

    start = {"forms": data["forms"], "age": "" if data.get("age") is None else str(data["age"])}
    if data.get("age_uncertain_may_be_child"):
        start["age_uncertain_may_be_child"] = "on"
    assert client.post(reverse("screening:start"), start).status_code == 302
    ref = Screening.objects.latest("created_at").reference
    if data.get("self_identifies_as_victim"):
        response = send_step(client, ref, 1, {**start, "self_identifies_as_victim": "on"})
        assert response.status_code == 302, response.content.decode()[:2000]
    indicators = data.get("indicators", [])
    tick(
        client,
        ref,
        [i["key"] for i in indicators],
        sources={i["key"]: i["source"] for i in indicators if i.get("source")},
    )
    elements = {k: data[k] for k in ("act", "means", "purpose") if data.get(k)}
    if elements:
        assert palermo_step(client, ref, elements).status_code == 302
    response = assess(client, ref)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Screening.objects.get(reference=ref).result


# The web interview asks for at least one form of exploitation; the vignettes without one
# (organ removal) are screened through the other ways in only.
WEB = [v for v in VIGNETTES if v["input"].get("forms")]


@pytest.mark.slow  # about 2 s each, 90 s in all: one test per vignette, so workers share them
@pytest.mark.parametrize("vignette", WEB, ids=[v["id"] for v in WEB])
def test_web_interview(client, persona, vignette) -> None:
    client.force_login(persona("police"))
    result = _via_web(client, vignette["input"])
    bad = mismatches(vignette["expect"], result)
    if result != screen_mapping(vignette["input"], CATALOGUE).to_dict():
        bad.append("differs from the Python API's result")
    assert bad == []
