"""Prepare one real Palermo instance for test_crossborder_e2e.py (run as a script, in the
instance's own environment: its database, var directory and cross-border key file).

Migrates the instance's own SQLite database, creates the fictional demo organisations and
users (without the other demo steps), puts the signed trust list in force and prints, as one
JSON line, an API token for the case worker and one for the co-ordinator.

    python e2e_instance.py TRUST_LIST.jws TEMPLATE.sqlite3

TEMPLATE: a freshly migrated database; made here (after migrating) if it does not exist,
otherwise copied to this instance's own database file first (migrating is then a no-op).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def _copy(src: str, dst: str) -> None:
    import sqlite3

    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)  # consistent even with the WAL journal


def main(trust_file: str, template: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palermo.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from palermo.core import demo
    from palermo.core.encryption import ensure_demo_key_file
    from palermo.core.models import User
    from palermo.core.tokens import token_create
    from palermo.crossborder import services

    ensure_demo_key_file()
    own = str(settings.DATABASES["default"]["NAME"])
    made = Path(template).exists()
    if made:
        _copy(template, own)
    call_command("migrate", interactive=False, verbosity=0)
    if not made:
        connection.close()
        _copy(own, template)
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
    print(json.dumps(tokens))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
