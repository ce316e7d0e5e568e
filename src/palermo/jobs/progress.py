"""The pure core of background jobs: their states, the moves between them, and progress.

No Django here: the rules a job's life follows are plain data and functions, tested on
their own (tests/jobs/test_jobs_progress.py).
"""

from __future__ import annotations

from dataclasses import dataclass

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"

STATUSES = (QUEUED, RUNNING, DONE, FAILED)
FINISHED = frozenset({DONE, FAILED})

# queued → running → done | failed; a job the worker never picks up may also fail from queued
# (e.g. cancelled by an operator), and nothing leaves a finished state.
_MOVES: dict[str, frozenset[str]] = {
    QUEUED: frozenset({RUNNING, FAILED}),
    RUNNING: frozenset({DONE, FAILED}),
    DONE: frozenset(),
    FAILED: frozenset(),
}


def can_move(current: str, target: str) -> bool:
    """True when a job in ``current`` may go to ``target``."""
    return target in _MOVES.get(current, frozenset())


@dataclass(frozen=True)
class Progress:
    """How far a job is: ``done`` of ``total`` steps; ``total`` 0 means "not known yet"."""

    done: int = 0
    total: int = 0

    @classmethod
    def of(cls, done: int, total: int) -> Progress:
        """Clamp what a job reports into a consistent pair (0 ≤ done ≤ total when total is known)."""
        total = max(0, int(total))
        done = max(0, int(done))
        if total:
            done = min(done, total)
        return cls(done, total)

    @property
    def known(self) -> bool:
        return self.total > 0

    @property
    def percent(self) -> int | None:
        """Whole per cent done, rounded down (100 only when every step is done); None when unknown."""
        if not self.total:
            return None
        return (100 * self.done) // self.total


def progress_steps(total: int, *, every: int = 50) -> int:
    """How many items a job should process between two progress reports: about one report per
    ``every``-th of the work, never fewer than one item (keeps writes cheap on long runs)."""
    if total <= 0:
        return 1
    return max(1, total // max(1, every))
