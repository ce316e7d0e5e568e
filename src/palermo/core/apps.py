from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "palermo.core"
    label = "core"
    verbose_name = "Palermo core: organisations, roles, audit"

    def ready(self) -> None:
        from django.utils.translation import gettext

        from palermo.core import (
            deploy_checks,  # noqa: F401  (registers palermo.W001)
            errors,
            signals,  # noqa: F401  (connects login auditing)
        )
        from palermo.core.mfa import required_roles

        required_roles()  # a misspelt role in PALERMO_MFA_REQUIRED_ROLES stops start-up
        # Refusals and field errors are said in the reader's language (core/errors.py).
        errors.install_translator(gettext)
