from django.apps import AppConfig


class InvestigateConfig(AppConfig):
    name = "palermo.investigate"
    label = "investigate"
