from django.apps import AppConfig


class MonitorConfig(AppConfig):
    name = "palermo.monitor"
    label = "monitor"

    def ready(self) -> None:
        # `palermo demo` also builds a fictional action plan and recommendations register.
        from palermo.core.demo import DEMO_STEPS
        from palermo.monitor.demo import demo_monitor

        if demo_monitor not in DEMO_STEPS:
            DEMO_STEPS.append(demo_monitor)
