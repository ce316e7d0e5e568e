"""Red-team review: hostile envelopes at the public inbox answer 4xx, never 500."""

from __future__ import annotations

import base64

import pytest
from joserfc import jwe

from palermo.crossborder import envelope as e
from palermo.crossborder import keys as k
from tests.crossborder.core_helpers import NOW, B, World

W = World()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _nested_header_envelope(depth: int = 5000) -> str:
    return ".".join([_b64(b"[" * depth), "", "", "", ""])


def _nested_inner_envelope(depth: int = 5000) -> str:
    """A JWE anyone can make (our encryption key is public) around a 'JWS' whose payload is
    deeply nested JSON: it must be refused before any signature matters."""
    inner = ".".join([_b64(b'{"alg":"ES256"}'), _b64(b"[" * depth), _b64(b"x")])
    enc_key = k.encryption_key(W.trust.require(B, NOW).jwks)
    return jwe.encrypt_compact(
        {"alg": k.KEY_ALG, "enc": k.CONTENT_ENC, "kid": str(enc_key.kid or ""), "cty": "JWT"},
        inner.encode("ascii"),
        enc_key,
        algorithms=[k.KEY_ALG, k.CONTENT_ENC],
    )


@pytest.mark.parametrize("make", [_nested_header_envelope, _nested_inner_envelope])
def test_redteam_deeply_nested_json_is_refused_not_crashing(make):
    with pytest.raises(e.Rejected) as exc:
        e.open_envelope(make(), own_id=B, own_keys=W.kb, trust=W.trust, now=NOW)
    assert exc.value.reason in ("malformed", "tampered")


def test_redteam_inbox_answers_400_to_nested_header(instances):
    from django.test import Client

    from tests.crossborder.conftest import B as HTTP_B

    with instances.as_(HTTP_B):
        r = Client(raise_request_exception=False).post(
            "/api/v1/crossborder/inbox", _nested_header_envelope(), content_type="application/jose"
        )
    assert (r.status_code, r.content) == (400, b"malformed")


def test_redteam_exercise_instance_never_posts_to_a_partner(settings, monkeypatch):
    """An exercise instance given real keys and the real trust list must still send nothing:
    a hand-over of fictional data would land in a partner's production database."""
    from palermo.crossborder import services

    posted: list[str] = []
    monkeypatch.setattr(services.requests, "post", lambda url, **_kw: posted.append(url) or None)
    settings.PALERMO_EXERCISE = "drill"
    partner = W.trust.require(B, NOW)
    with pytest.raises(services.DeliveryFailed):
        services.http_transport(partner, "a.b.c.d.e")
    assert posted == []


def test_redteam_inbox_body_over_the_upload_limit_is_4xx(instances):
    from django.test import Client

    from tests.crossborder.conftest import B as HTTP_B

    with instances.as_(HTTP_B):
        c = Client(raise_request_exception=False)
        r = c.post("/api/v1/crossborder/inbox", "a" * 3_000_000, content_type="application/jose")
        assert 400 <= r.status_code < 500
        r = c.post("/api/v1/crossborder/inbox", "a\x00b.c.d.e.f", content_type="application/jose")
        assert (r.status_code, r.content) == (400, b"malformed")
        r = c.post("/api/v1/crossborder/inbox", "x", content_type="multipart/form-data; boundary=z")
        assert r.status_code == 415


@pytest.mark.parametrize(
    "where",
    ["value", "list_value", "pseudonym"],
)
def test_redteam_nul_or_lone_surrogate_in_a_signed_body_is_schema_invalid(where):
    """A partner's signed body with NUL (or a lone surrogate) in a text would be refused by
    PostgreSQL when stored (a 500 at the inbox): it is schema_invalid instead."""
    from tests.crossborder.test_crossborder_core import body

    for bad in ("A\x00na", "A\ud800na"):
        b = body()
        if where == "value":
            b["data"]["identity"]["prs_FirstName"] = bad
        elif where == "list_value":
            b["data"]["exploitation"]["vic_TypeOfExploitation"] = [bad]
        else:
            b["case_pseudonym"] = bad
        with pytest.raises(e.Rejected) as exc:
            e.validate_body("handover", b)
        assert exc.value.reason == "schema_invalid"
