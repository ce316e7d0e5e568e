"""Prepare one real Palermo instance for test_crossborder_e2e.py (run as a script, in the
instance's own environment: its database, var directory and cross-border key file).

Migrates the instance's own SQLite database, creates the fictional demo organisations and
users (without the other demo steps), puts the signed trust list in force and prints, as one
JSON line, an API token for the case worker and one for the co-ordinator.

    python e2e_instance.py TRUST_LIST.jws
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(trust_file: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from palermo.core import demo
    from palermo.core.encryption import ensure_demo_key_file
    from palermo.core.models import User
    from palermo.core.tokens import token_create
    from palermo.crossborder import services

    ensure_demo_key_file()
    call_command("migrate", interactive=False, verbosity=0)
    demo.DEMO_STEPS.clear()  # organisations and users only: the test makes its own cases
    demo.load_demo()
    services.trust_list_load(Path(trust_file).read_text())
    tokens = {}
    for username in ("caseworker", "coordinator", "analyst"):
        user = User.objects.get(username=username)
        _, clear = token_create(
            actor=user, organisation=user.organisations()[0], name="end-to-end test"
        )
        tokens[username] = clear
    print(json.dumps(tokens))  # noqa: T201 – the test reads this line


if __name__ == "__main__":
    main(sys.argv[1])
