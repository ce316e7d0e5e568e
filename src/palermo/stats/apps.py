from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "palermo.stats"
    label = "stats"

    def ready(self) -> None:
        from palermo.stats import jobs

        jobs.register()  # the import's confirm step runs as a background job
