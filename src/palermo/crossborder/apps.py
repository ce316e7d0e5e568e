from django.apps import AppConfig


class CrossborderConfig(AppConfig):
    name = "palermo.crossborder"
    label = "crossborder"

    def ready(self) -> None:
        # `palermo demo` also sets up a partner-country trust list and one hand-over.
        from palermo.core.demo import DEMO_STEPS
        from palermo.crossborder.demo import demo_crossborder

        if demo_crossborder not in DEMO_STEPS:
            DEMO_STEPS.append(demo_crossborder)
