"""Verify and decrypt a Palermo hand-over with joserfc only (for partners not running Palermo).

usage: python verify_sample.py ENVELOPE.jwe OUR_PRIVATE_JWKS.json SENDER_PUBLIC_JWKS.json OUR_ID
"""

import hashlib
import json
import sys
import time

from joserfc import jwe, jws
from joserfc.jwk import KeySet

envelope, ours, sender, our_id = sys.argv[1:5]
token = open(envelope).read().strip()
our_keys = KeySet.import_key_set(json.load(open(ours)))
sender_keys = KeySet.import_key_set(json.load(open(sender)))

inner = jwe.decrypt_compact(token, our_keys, algorithms=["ECDH-ES", "A256GCM"])
signed = jws.deserialize_compact(inner.plaintext, sender_keys, algorithms=["ES256"])
claims = json.loads(signed.payload)

assert claims["aud"] == our_id, "not addressed to us"
assert claims["exp"] > time.time(), "expired"
body = claims["body"]
if claims["typ"] == "handover":
    assert set(body["data"]) <= set(body["groups"]), "data outside the declared groups"
print("from", claims["iss"], "message", claims["jti"], "kind", claims["typ"])
print("sha256 of the envelope (for the receipt):", hashlib.sha256(token.encode()).hexdigest())
print(json.dumps(body, indent=1, ensure_ascii=False))
