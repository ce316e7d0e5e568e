from django.apps import AppConfig


class SupplyConfig(AppConfig):
    name = "palermo.supply"
    label = "supply"

    def ready(self) -> None:
        # `palermo demo` also builds a fictional ministry's suppliers, orders and one inspection.
        from palermo.core.demo import DEMO_STEPS
        from palermo.supply.demo import demo_supply

        if demo_supply not in DEMO_STEPS:
            DEMO_STEPS.append(demo_supply)
