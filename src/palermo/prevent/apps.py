from django.apps import AppConfig


class PreventConfig(AppConfig):
    name = "palermo.prevent"
    label = "prevent"

    def ready(self) -> None:
        # `palermo demo` also builds a licence list, an imported advert campaign and reports.
        from palermo.core.demo import DEMO_STEPS
        from palermo.prevent.demo import demo_prevent

        if demo_prevent not in DEMO_STEPS:
            DEMO_STEPS.append(demo_prevent)
