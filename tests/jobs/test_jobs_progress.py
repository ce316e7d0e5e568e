"""The pure core of jobs: states and progress (no Django)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from palermo.jobs import progress
from palermo.jobs.progress import Progress, can_move, progress_steps

ints = st.integers(min_value=-(10**9), max_value=10**9)


@given(ints, ints)
def test_progress_is_always_consistent(done: int, total: int) -> None:
    p = Progress.of(done, total)
    assert p.done >= 0 and p.total >= 0
    if p.known:
        assert p.done <= p.total
        assert p.percent is not None and 0 <= p.percent <= 100
        assert (p.percent == 100) == (p.done == p.total)
    else:
        assert p.percent is None


@given(st.integers(min_value=1, max_value=10**6), st.data())
def test_percent_never_goes_back_as_work_advances(total: int, data: st.DataObject) -> None:
    a = data.draw(st.integers(min_value=0, max_value=total))
    b = data.draw(st.integers(min_value=a, max_value=total))
    assert Progress.of(a, total).percent <= Progress.of(b, total).percent  # type: ignore[operator]


def test_a_job_only_moves_forward_and_never_leaves_a_finished_state() -> None:
    assert can_move(progress.QUEUED, progress.RUNNING)
    assert can_move(progress.RUNNING, progress.DONE) and can_move(progress.RUNNING, progress.FAILED)
    assert can_move(progress.QUEUED, progress.FAILED)
    assert not can_move(progress.QUEUED, progress.DONE)  # done means the work ran
    for finished in progress.FINISHED:
        assert not any(can_move(finished, s) for s in progress.STATUSES)
    assert not any(can_move(s, progress.QUEUED) for s in progress.STATUSES)
    assert not can_move("unknown", progress.RUNNING)


@given(st.integers(min_value=-5, max_value=10**7), st.integers(min_value=1, max_value=500))
def test_progress_steps_report_about_every_nth_of_the_work(total: int, every: int) -> None:
    step = progress_steps(total, every=every)
    assert step >= 1
    if total > 0:
        reports = -(-total // step)  # how many times a job reports
        assert reports <= 2 * every or step == 1
