from django.apps import AppConfig


class SupplyConfig(AppConfig):
    name = "palermo.supply"
    label = "supply"

    def ready(self) -> None:
        # `palermo demo` also builds a fictional ministry's suppliers, orders and one inspection.
        from palermo.core.demo import DEMO_MORE_USERS, DEMO_STEPS
        from palermo.supply.demo import DEMO_SUPPLY_USERS, demo_supply

        if demo_supply not in DEMO_STEPS:
            DEMO_STEPS.append(demo_supply)
        DEMO_MORE_USERS.extend(u for u in DEMO_SUPPLY_USERS if u not in DEMO_MORE_USERS)
