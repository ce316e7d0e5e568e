"""What a partner without Palermo relies on: the JSON Schema and the 30-line joserfc script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from joserfc import jwe

import palermo.crossborder
from palermo.crossborder import envelope as e
from palermo.crossborder import keys as k
from tests.crossborder.core_helpers import NOW, A, B
from tests.crossborder.test_crossborder_core import W, body, send

SCHEMA = json.loads(
    (Path(palermo.crossborder.__file__).parent / "data" / "handover.schema.json").read_text()
)
SCRIPT = Path(__file__).parents[2] / "docs" / "crossborder" / "verify_sample.py"


def _claims(envelope: str) -> dict:
    from joserfc import jws

    inner = jwe.decrypt_compact(
        envelope, k.keys_for(W.kb, "enc"), algorithms=["ECDH-ES", "A256GCM"]
    )
    return json.loads(jws.deserialize_compact(inner.plaintext, k.keys_for(W.ka, "sig")).payload)


@pytest.mark.parametrize(
    ("typ", "b"),
    [
        ("handover", None),
        ("status", {"ref": "r" * 24, "status": "closed"}),
        ("revoke", {"ref": "r" * 24, "reason": "sent_in_error"}),
    ],
)
def test_every_message_kind_follows_the_published_schema(typ, b):
    _, envelope = send(b if b is not None else body(groups=tuple(e.GROUPS)), typ=typ)
    jsonschema.validate(_claims(envelope), SCHEMA)


def test_the_schema_refuses_what_the_receiver_refuses():
    _, envelope = send()
    claims = _claims(envelope)
    claims["body"]["data"]["identity"]["dna_profile"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(claims, SCHEMA)


def test_the_thirty_line_script_verifies_and_decrypts_a_sample(tmp_path):
    assert len(SCRIPT.read_text().splitlines()) <= 30
    jti, envelope = send(now=int(__import__("time").time()))
    (tmp_path / "sample.jwe").write_text(envelope)
    (tmp_path / "ours.json").write_text(json.dumps(W.kb))
    (tmp_path / "sender.json").write_text(json.dumps(k.public_jwks(W.ka)))
    out = subprocess.run(  # noqa: S603 - our own script, run with this interpreter
        [
            sys.executable,
            str(SCRIPT),
            *(str(tmp_path / n) for n in ("sample.jwe", "ours.json", "sender.json")),
            B,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"from {A} message {jti} kind handover" in out.stdout
    assert e.digest(envelope) in out.stdout
    assert NOW  # the pure tests' clock; this sample is dated now so it has not expired
