from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "palermo.stats"
    label = "stats"
