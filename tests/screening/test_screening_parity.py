"""One input, one result: the web UI, the API and ``palermo screen`` agree exactly.

The three shells share the engine; this test guards against one of them quietly
reshaping the input (a dropped source, a misread age) before it reaches it.
"""

from __future__ import annotations

import json

import orjson
import pytest
from django.urls import reverse
from test_screening_shell import auth
from tests.screening.interview_helpers import assess, palermo_step, tick
from typer.testing import CliRunner

from palermo.cli import app
from palermo.screening.models import Screening

CASES = {
    "farm workers (adult, labour)": {
        "age": 34,
        "forms": ["labour"],
        "indicators": [
            {"key": "deceived_about_wages", "source": "self_reported"},
            {"key": "excessive_working_hours", "source": "observed"},
            {"key": "wage_manipulation", "source": "document"},
            {"key": "coerced_documents_confiscated"},
        ],
    },
    "uncertain age, may be a child": {
        "age": 19,
        "age_uncertain_may_be_child": True,
        "forms": ["labour"],
        "indicators": [{"key": "excessive_working_hours", "source": "observed"}],
    },
    "not enough to assess": {"age": 40, "forms": ["labour"], "indicators": []},
    # Children (Palermo Art. 3(c)): a declared act plus exploitation is trafficking of a
    # child; exploitation alone is a child's exploitation; recruitment alone a risk.
    "child, declared act and exploitation": {
        "age": 15,
        "forms": ["labour"],
        "act": ["recruitment"],
        "indicators": [
            {"key": "excessive_working_hours", "source": "observed"},
            {"key": "no_access_to_education", "source": "self_reported"},
        ],
    },
    "child, exploitation without act": {
        "age": 16,
        "forms": ["labour"],
        "indicators": [{"key": "excessive_working_hours"}, {"key": "hazardous_work"}],
    },
    "presumed child, recruitment without exploitation": {
        "age": 19,
        "age_uncertain_may_be_child": True,
        "forms": ["labour"],
        "indicators": [{"key": "deceived_about_job"}, {"key": "deceived_about_education"}],
    },
}
ASSESSMENTS = {
    "child, declared act and exploitation": "trafficking_of_a_child_for_labour_exploitation",
    "child, exploitation without act": "exploitation_of_a_child",
    "presumed child, recruitment without exploitation": "child_at_risk_of_trafficking",
}


def _via_cli(tmp_path, body: dict) -> dict:
    path = tmp_path / "people.jsonl"
    path.write_bytes(orjson.dumps({"ref": "p1", **body}) + b"\n")
    out = tmp_path / "out.jsonl"
    run = CliRunner().invoke(app, ["screen", str(path), "--output", str(out)])
    assert run.exit_code == 0, run.output
    return json.loads(out.read_text().splitlines()[0])["result"]


def _via_web(client, body: dict) -> dict:
    start = {"forms": body["forms"], "age": str(body.get("age", ""))}
    if body.get("age_uncertain_may_be_child"):
        start["age_uncertain_may_be_child"] = "on"
    client.post(reverse("screening:start"), start)
    ref = Screening.objects.latest("created_at").reference
    tick(
        client,
        ref,
        [i["key"] for i in body["indicators"]],
        sources={i["key"]: i["source"] for i in body["indicators"] if i.get("source")},
    )
    if body.get("act"):
        assert palermo_step(client, ref, {"act": body["act"]}).status_code == 302
    response = assess(client, ref)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Screening.objects.get(reference=ref).result


@pytest.mark.parametrize("name", list(CASES))
def test_ui_api_and_cli_give_the_same_result(name, client, api_token, persona, tmp_path):
    body = CASES[name]
    api = client.post(
        "/api/v1/screenings", body, content_type="application/json", **auth(api_token("police"))
    )
    assert api.status_code == 201
    from_api = api.json()["result"]
    client.force_login(persona("police"))
    from_web = _via_web(client, body)
    from_cli = _via_cli(tmp_path, body)
    assert from_api == from_cli
    assert from_web == from_cli
    if name in ASSESSMENTS:
        assert from_cli["assessment"] == ASSESSMENTS[name]
        codes = [s["code"] for s in from_cli["next_steps"]]
        assert "notify_child_protection" in codes and "refer_labour_rights" not in codes
