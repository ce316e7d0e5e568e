from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "palermo.screening"
    label = "screening"
    verbose_name = "Identification screening"

    def ready(self) -> None:
        # Load and validate every indicator set now: a broken set stops start-up
        # with the file and the reason, instead of failing a screener mid-interview.
        from palermo.screening.loader import default_catalogue

        default_catalogue()
