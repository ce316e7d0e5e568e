"""The exercise clock: exercise time as a pure function of wall time and the controller's acts.

Pure: no Django imports. Exercise time is counted in seconds from the start of day 1
(``day_start`` o'clock); wall times are seconds (e.g. a POSIX timestamp). The clock is a value:
every act returns a new clock, so the state stored in the database is just its fields.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from palermo.core.errors import Problem

MAX_SPEED = 60.0  # a rehearsal may run an hour of exercise per minute, no faster
DAY_SECONDS = 24 * 3600


class ClockError(ValueError):
    """An act the clock refuses (e.g. pausing a clock that is not running); its argument is a
    ``Problem``, said in the controller's language by the shell."""


@dataclass(frozen=True)
class Clock:
    started: bool = False
    running: bool = False
    anchor_wall: float = 0.0  # wall time of the last act
    anchor_sim: float = 0.0  # exercise seconds at the last act
    speed: float = 1.0

    def now(self, wall: float) -> float:
        """Exercise seconds at wall time ``wall`` (never before the last act)."""
        if not self.running:
            return self.anchor_sim
        return self.anchor_sim + max(0.0, wall - self.anchor_wall) * self.speed

    def start(self, wall: float) -> Clock:
        if self.started:
            raise ClockError(Problem("The clock has already been started."))
        return replace(self, started=True, running=True, anchor_wall=wall)

    def pause(self, wall: float) -> Clock:
        if not self.running:
            raise ClockError(Problem("The clock is not running."))
        return replace(self, running=False, anchor_sim=self.now(wall), anchor_wall=wall)

    def resume(self, wall: float) -> Clock:
        if not self.started:
            raise ClockError(Problem("Start the clock first."))
        if self.running:
            raise ClockError(Problem("The clock is already running."))
        return replace(self, running=True, anchor_wall=wall)

    def set_speed(self, wall: float, speed: float) -> Clock:
        if not (0 < speed <= MAX_SPEED):
            raise ClockError(
                Problem("The speed must be above 0 and at most {max}.", max=f"{MAX_SPEED:g}")
            )
        return replace(self, anchor_sim=self.now(wall), anchor_wall=wall, speed=speed)

    def jump(self, wall: float, to_sim: float) -> Clock:
        """Move exercise time to ``to_sim`` (forward or back); a paused clock stays paused."""
        if to_sim < 0:
            raise ClockError(Problem("Exercise time cannot be before the start of day 1."))
        return replace(self, anchor_sim=float(to_sim), anchor_wall=wall)


def day_and_time(sim_seconds: float, day_start_minutes: int) -> tuple[int, int, int]:
    """(day number from 1, hour, minute) of exercise time ``sim_seconds``."""
    total_minutes = int(sim_seconds // 60) + day_start_minutes
    day = total_minutes // (24 * 60) + 1
    minute_of_day = total_minutes % (24 * 60)
    return day, minute_of_day // 60, minute_of_day % 60


def sim_seconds_of(day: int, hour: int, minute: int, day_start_minutes: int) -> int:
    """Exercise seconds of day ``day`` at ``hour:minute`` (inverse of ``day_and_time``)."""
    return ((day - 1) * 24 * 60 + hour * 60 + minute - day_start_minutes) * 60


def format_time(sim_seconds: float, day_start_minutes: int) -> str:
    day, hour, minute = day_and_time(sim_seconds, day_start_minutes)
    return f"D{day} {hour:02d}:{minute:02d}"
