from django.apps import AppConfig


class InvestigateConfig(AppConfig):
    name = "palermo.investigate"
    label = "investigate"

    def ready(self) -> None:
        from palermo.investigate import jobs

        jobs.register()  # statement imports and red-flag runs run as background jobs
        # `palermo demo` also builds one fictional investigation (after the demo cases,
        # which the cases app registers first: INSTALLED_APPS order).
        from palermo.core.demo import DEMO_STEPS
        from palermo.investigate.demo import demo_investigation

        if demo_investigation not in DEMO_STEPS:
            DEMO_STEPS.append(demo_investigation)
