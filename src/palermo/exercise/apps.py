from django.apps import AppConfig


class ExerciseConfig(AppConfig):
    name = "palermo.exercise"
    label = "exercise"

    def ready(self) -> None:
        from palermo.core import scope
        from palermo.core.demo import DEMO_STEPS
        from palermo.exercise.demo import demo_exercise
        from palermo.exercise.scope import team_scope

        scope.register(team_scope)

        if demo_exercise not in DEMO_STEPS:
            DEMO_STEPS.append(demo_exercise)
