from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from palermo.web.navigation import visible_items


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    org = getattr(request, "organisation", None)
    return {
        "nav_items": visible_items(user, org),
        "acting_for": org,
        "my_organisations": user.organisations(),
        "my_roles": sorted(user.roles_in(org)) if org else [],
        "my_role_names": _role_names(user.roles_in(org)) if org else [],
    }


def _role_names(roles: object) -> list[str]:
    """Roles in words ("Case worker"), not codes ("case_worker")."""
    from palermo.core.roles import Role

    names = []
    for r in sorted(roles):  # type: ignore[call-overload]
        try:
            names.append(str(Role(r).label))
        except ValueError:
            names.append(str(r))
    return names


def languages(request: HttpRequest) -> dict[str, Any]:
    """The switcher's choices (shipped languages, each named in itself) and, when the reader
    asked for a language whose translation is not complete, its name for the notice."""
    from django.conf import settings
    from django.utils import translation

    from palermo.web.languages import fallback_language, on_public_page, shipped_codes

    # On the public pages also the languages complete for those pages only.
    offered = shipped_codes(public_page=on_public_page(request))
    choices = []
    for code, _name in settings.LANGUAGES:
        if code not in offered:
            continue
        info = translation.get_language_info(code)
        choices.append({"code": code, "name": info["name_local"]})
    missing = fallback_language(request)
    missing_name = None
    if missing:
        wanted = dict(settings.PALERMO_WANTED_LANGUAGES)
        # A public-page language is named by Django's own catalogue ("Arabic").
        missing_name = str(
            wanted.get(missing) or translation.get_language_info(missing)["name_translated"]
        )
    return {"language_choices": choices, "language_fallback": missing_name}
