"""URL map. Paths carry only pseudonymous ids, never personal data."""

from __future__ import annotations

import importlib

from django.urls import include, path

from palermo.api import api
from palermo.core import mfa_views, oidc
from palermo.core import views as core_views
from palermo.core.admin import site as admin_site
from palermo.web import languages
from palermo.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("dashboard/", web_views.dashboard, name="dashboard"),
    path("language/", languages.set_language, name="set_language"),
    path("accounts/login/", core_views.login, name="login"),
    path("accounts/logout/", core_views.logout, name="logout"),
    path("accounts/password/change/", core_views.password_change, name="password_change"),
    path(
        "accounts/password/change/done/",
        core_views.password_change_done,
        name="password_change_done",
    ),
    path("accounts/password/reset/", core_views.password_reset, name="password_reset"),
    path(
        "accounts/password/reset/done/", core_views.password_reset_done, name="password_reset_done"
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        core_views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/", core_views.password_reset_complete, name="password_reset_complete"
    ),
    # Two-step sign-in and single sign-on (core/mfa_views.py, core/oidc.py)
    path("accounts/two-step/verify/", mfa_views.mfa_verify, name="mfa_verify"),
    path(
        "accounts/two-step/verify/passkey/options/",
        mfa_views.mfa_passkey_options,
        name="mfa_passkey_options",
    ),
    path(
        "accounts/two-step/verify/passkey/", mfa_views.mfa_passkey_verify, name="mfa_passkey_verify"
    ),
    path("accounts/two-step/", mfa_views.mfa_setup, name="mfa_setup"),
    path("accounts/two-step/app/", mfa_views.mfa_totp_setup, name="mfa_totp_setup"),
    path("accounts/two-step/app/remove/", mfa_views.mfa_totp_remove, name="mfa_totp_remove"),
    path(
        "accounts/two-step/recovery-codes/", mfa_views.mfa_recovery_codes, name="mfa_recovery_codes"
    ),
    path("accounts/two-step/recovery-codes/new/", mfa_views.mfa_new_codes, name="mfa_new_codes"),
    path(
        "accounts/two-step/passkeys/options/",
        mfa_views.mfa_passkey_register_options,
        name="mfa_passkey_register_options",
    ),
    path(
        "accounts/two-step/passkeys/", mfa_views.mfa_passkey_register, name="mfa_passkey_register"
    ),
    path(
        "accounts/two-step/passkeys/<int:credential_id>/remove/",
        mfa_views.mfa_passkey_remove,
        name="mfa_passkey_remove",
    ),
    path("accounts/sso/login/", oidc.oidc_login, name="oidc_login"),
    path("accounts/sso/callback/", oidc.oidc_callback, name="oidc_callback"),
    path("organisation/switch/", core_views.switch_organisation, name="switch_organisation"),
    path("tokens/", core_views.token_list, name="token_list"),
    path("tokens/<int:token_id>/revoke/", core_views.token_revoke, name="token_revoke"),
    path("audit/", core_views.audit_list, name="audit_list"),
    path("audit/export.csv", core_views.audit_export, name="audit_export"),
    path("admin/", admin_site.urls),
    path("api/v1/", api.urls),
]

# Each bounded context with web pages contributes ``<context>/urls.py``.
for _prefix, _module, _namespace in [
    ("screening/", "palermo.screening.urls", "screening"),
    ("cases/", "palermo.cases.urls", "cases"),
    ("stats/", "palermo.stats.urls", "stats"),
    ("investigations/", "palermo.investigate.urls", "investigate"),
    ("jobs/", "palermo.jobs.urls", "jobs"),
    ("monitor/", "palermo.monitor.urls", "monitor"),
    ("supply/", "palermo.supply.urls", "supply"),
    ("exercise/", "palermo.exercise.urls", "exercise"),
    ("prevent/", "palermo.prevent.urls", "prevent"),
    ("", "palermo.prevent.public_urls", "prevent_public"),  # /check/ and /report/, no account
    ("crossborder/", "palermo.crossborder.urls", "crossborder"),
]:
    try:
        importlib.import_module(_module)
    except ModuleNotFoundError as exc:
        if exc.name != _module:
            raise
        continue
    urlpatterns.append(path(_prefix, include((_module, _namespace))))

handler403 = "palermo.web.errors.forbidden"
handler404 = "palermo.web.errors.not_found"
handler500 = "palermo.web.errors.server_error"
