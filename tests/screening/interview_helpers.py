"""Driving the stepped screening interview over HTTP, as a browser without JavaScript would."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse


def step_url(ref: str, n: int) -> str:
    return reverse("screening:interview_step", args=[ref, n])


def version_in(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def step_count(html: str) -> int:
    return int(re.search(r"Step \d+ of (\d+)", html).group(1))


def step_with(client: Any, ref: str, field: str) -> tuple[int, str]:
    """The step (number, page) that asks ``field`` (e.g. ``ind_low_or_no_salary``)."""
    first = client.get(step_url(ref, 1)).content.decode()
    for n in range(1, step_count(first) + 1):
        html = client.get(step_url(ref, n)).content.decode()
        if f'name="{field}"' in html:
            return n, html
    raise AssertionError(f"no step asks {field}")


def send_step(client: Any, ref: str, n: int, data: dict[str, Any], go: str = "next") -> Any:
    """Send step ``n`` with ``data`` (the fields of that step only), as its page would."""
    html = client.get(step_url(ref, n)).content.decode()
    return client.post(step_url(ref, n), {"version": version_in(html), "go": go, **data})


def tick(
    client: Any,
    ref: str,
    keys: list[str],
    *,
    notes: dict[str, str] | None = None,
    sources: dict[str, str] | None = None,
) -> None:
    """Tick indicators (each in its own step), keeping what each step already holds."""
    notes, sources = notes or {}, sources or {}
    pages = _StepPages(client, ref)
    by_step: dict[int, dict[str, Any]] = {}
    for key in keys:
        n, html = pages.asking(f"ind_{key}")
        data = by_step.setdefault(n, _current(html))
        data[f"ind_{key}"] = "on"
        if key in notes:
            data[f"note_{key}"] = notes[key]
        if key in sources:
            data[f"src_{key}"] = sources[key]
    for n, data in by_step.items():
        response = send_step(client, ref, n, data)
        assert response.status_code == 302, response.content.decode()[:2000]


class _StepPages:
    """The interview's step pages, each fetched once, when first needed: ``tick`` reads them
    all before it sends anything, so none changes meanwhile (``step_with`` fetches the steps
    again for every field it looks for)."""

    def __init__(self, client: Any, ref: str) -> None:
        self.client, self.ref = client, ref
        self.pages: list[str] = []

    def asking(self, field: str) -> tuple[int, str]:
        """The first step (number, page) that asks ``field``."""
        n = 1
        while not self.pages or n <= step_count(self.pages[0]):
            if n > len(self.pages):
                self.pages.append(self.client.get(step_url(self.ref, n)).content.decode())
            if f'name="{field}"' in self.pages[n - 1]:
                return n, self.pages[n - 1]
            n += 1
        raise AssertionError(f"no step asks {field}")


def _current(html: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in re.findall(r'<input type="checkbox" name="(ind_[a-z0-9_]+)"[^>]*checked', html):
        data[name] = "on"
    for name, value in re.findall(
        r'<select name="(src_[a-z0-9_]+)"[^>]*>.*?<option value="([a-z_]+)" selected', html, re.S
    ):
        data[name] = value
    for name, value in re.findall(
        r'<textarea name="(note_[a-z0-9_]+)"[^>]*>\s*([^<]*)</textarea>', html
    ):
        if value.strip():
            data[name] = value.strip()
    return data


def assess(client: Any, ref: str, **extra: Any) -> Any:
    from tests.web.once_helpers import token_in

    url = reverse("screening:interview_summary", args=[ref])
    html = client.get(url).content.decode()
    return client.post(url, {"version": version_in(html), "form_token": token_in(html), **extra})


def palermo_step(client: Any, ref: str, data: dict[str, Any]) -> Any:
    """Send the last step (the Palermo elements)."""
    first = client.get(step_url(ref, 1)).content.decode()
    return send_step(client, ref, step_count(first), data, go="summary")
