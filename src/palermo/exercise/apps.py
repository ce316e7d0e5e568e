from django.apps import AppConfig


class ExerciseConfig(AppConfig):
    name = "palermo.exercise"
    label = "exercise"

    def ready(self) -> None:
        from palermo.core.demo import DEMO_STEPS
        from palermo.exercise.demo import demo_exercise

        if demo_exercise not in DEMO_STEPS:
            DEMO_STEPS.append(demo_exercise)
