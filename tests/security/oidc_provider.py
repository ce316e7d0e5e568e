"""A real, tiny OpenID Connect provider for the test suite, on 127.0.0.1.

It serves discovery, JWKS, an authorization endpoint that answers at once (the
"user" has signed in at the provider), and a token endpoint that checks the client's
secret and the code, and signs an RS256 ID token with joserfc. Palermo talks to it
over real HTTP through Authlib, exactly as to a State identity provider.

Misbehaviour switches let tests prove that Palermo refuses a token signed with the
wrong key, carrying the wrong nonce, or issued by someone else.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "palermo-test-client"
CLIENT_SECRET = "palermo-test-secret-0123456789"


class OidcProvider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(
            2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"}
        )
        # Same kid, different key: a forger who knows the key id but not the key.
        self.forger_key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.claims: dict[str, Any] = {"sub": "idp-subject-1"}
        self.sign_with_forger_key = False
        self.wrong_nonce = False
        self.wrong_issuer = False
        self.wrong_audience = False
        self.foreign_audience_with_azp = False  # aud is someone else, azp names Palermo
        self.codes: dict[str, dict[str, str]] = {}
        self.token_requests = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _json(self, data: Any, status: int = 200) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(provider.metadata())
                elif url.path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    q = {k: v[0] for k, v in parse_qs(url.query).items()}
                    if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
                        self._json({"error": "invalid_request"}, 400)
                        return
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {
                        "nonce": q.get("nonce", ""),
                        "redirect_uri": q["redirect_uri"],
                    }
                    self.send_response(302)
                    self.send_header(
                        "Location",
                        q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]}),
                    )
                    self.end_headers()
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                if urlsplit(self.path).path != "/token":
                    self._json({"error": "not_found"}, 404)
                    return
                provider.token_requests += 1
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                basic = self.headers.get("Authorization", "")
                expected = (
                    "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                )
                if not secrets.compare_digest(basic, expected):
                    self._json({"error": "invalid_client"}, 401)
                    return
                grant = provider.codes.pop(form.get("code", ""), None)
                if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                    self._json({"error": "invalid_grant"}, 400)
                    return
                self._json(
                    {
                        "access_token": secrets.token_urlsafe(16),
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": provider.id_token(grant["nonce"]),
                    }
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": "https://impostor.example" if self.wrong_issuer else self.url,
            "aud": "someone-else" if self.wrong_audience else CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": "not-the-nonce" if self.wrong_nonce else nonce,
            **self.claims,
        }
        if self.foreign_audience_with_azp:
            claims.update(aud=["someone-else"], azp=CLIENT_ID)
        key = self.forger_key if self.sign_with_forger_key else self.key
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)

    def __enter__(self) -> OidcProvider:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
