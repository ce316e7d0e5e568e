"""Isolation of exercise data: only an exercise instance may hold it.

An exercise instance is marked by ``settings.PALERMO_EXERCISE`` (set by `palermo exercise
serve|create`, never in production). Every write of an exercise model — save, delete, bulk
create, update — goes through ``guard``, so no code path can put exercise data into a
production database. Reads are allowed (an empty production table shows nothing).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _

from palermo.core.errors import NotAllowed


class NotAnExerciseInstance(NotAllowed):
    """A write of exercise data outside an exercise instance."""


def exercise_name() -> str:
    return str(getattr(settings, "PALERMO_EXERCISE", "") or "")


def is_exercise_instance() -> bool:
    return bool(exercise_name())


def guard() -> None:
    if not is_exercise_instance():
        raise NotAnExerciseInstance(
            _(
                "This is not an exercise instance: scenarios and exercise data are refused here. "
                "Create an exercise with `palermo exercise create`, which uses its own database."
            ),
            object_type="exercise",
        )


class GuardedQuerySet(models.QuerySet[Any]):
    def bulk_create(self, *args: Any, **kwargs: Any) -> Any:
        guard()
        return super().bulk_create(*args, **kwargs)

    def bulk_update(self, *args: Any, **kwargs: Any) -> Any:
        guard()
        return super().bulk_update(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        guard()
        return super().update(**kwargs)

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        guard()
        return super().update_or_create(*args, **kwargs)

    def get_or_create(self, *args: Any, **kwargs: Any) -> Any:
        guard()
        return super().get_or_create(*args, **kwargs)

    def delete(self) -> Any:
        guard()
        return super().delete()


class GuardedModel(models.Model):
    """Base of every exercise model: writes only inside an exercise instance."""

    objects = GuardedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        guard()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        guard()
        return super().delete(*args, **kwargs)
