"""Template context: the TRAINING banner of an exercise instance (base.html shows it)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from palermo.exercise.isolation import exercise_name


def training(request: HttpRequest) -> dict[str, Any]:
    name = exercise_name()
    return {"exercise_training": bool(name), "exercise_name": name}
