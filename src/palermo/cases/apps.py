from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "palermo.cases"
    label = "cases"
    verbose_name = "NRM case file"

    def ready(self) -> None:
        # Load and check the rules file now: a broken file (or a reflection period
        # set below 30 days) stops start-up with the reason, not a case worker later.
        from palermo.cases import entitlements
        from palermo.cases.demo import demo_cases
        from palermo.core.demo import DEMO_STEPS

        entitlements.settings_from_environment(entitlements.default_rules())
        if demo_cases not in DEMO_STEPS:
            DEMO_STEPS.append(demo_cases)
