"""Test helpers for forms guarded by a one-time token (palermo.web.once)."""

from __future__ import annotations

import re
from typing import Any

TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def token_in(html: str | bytes) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    found = TOKEN.search(text)
    assert found, "the form carries a one-time token"
    return found.group(1)


def token_for(client: Any, url: str) -> str:
    """The token of the form at ``url``, as a browser would get it by opening the page."""
    return token_in(client.get(url).content)
