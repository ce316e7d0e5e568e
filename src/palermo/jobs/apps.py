from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "palermo.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
