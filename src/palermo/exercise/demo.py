"""`palermo demo` step: the demo is not an exercise instance, so it loads no scenario; it says how
to create one (an exercise always gets a database of its own)."""

from __future__ import annotations

import random

from palermo.exercise.isolation import is_exercise_instance
from palermo.exercise.scenario import shipped_packages


def demo_exercise(rng: random.Random) -> str:
    if is_exercise_instance():
        return "exercise: this is an exercise instance (see the direction dashboard)"
    names = ", ".join(shipped_packages())
    return (
        f"exercise: scenarios {names} ship with Palermo; run `palermo exercise create {names.split(',')[0]}` "
        "for a training instance with its own database"
    )
