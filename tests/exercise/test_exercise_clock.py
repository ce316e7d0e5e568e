"""The exercise clock: pure, acts return new clocks."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.exercise.clock import Clock, ClockError, day_and_time, format_time, sim_seconds_of


def test_start_pause_resume_speed_jump():
    c = Clock().start(1000.0)
    assert c.now(1060.0) == 60.0
    c = c.pause(1060.0)
    assert c.now(5000.0) == 60.0  # paused: frozen
    c = c.resume(5000.0)
    assert c.now(5010.0) == 70.0
    c = c.set_speed(5010.0, 10)
    assert c.now(5020.0) == 170.0
    c = c.jump(5020.0, 86400.0)
    assert c.now(5020.0) == 86400.0
    assert c.now(5021.0) == 86410.0


def test_refused_acts():
    with pytest.raises(ClockError):
        Clock().pause(0)
    with pytest.raises(ClockError):
        Clock().resume(0)
    with pytest.raises(ClockError):
        Clock().start(0).start(1)
    with pytest.raises(ClockError):
        Clock().start(0).resume(1)
    for bad in (0, -1, 61):
        with pytest.raises(ClockError):
            Clock().start(0).set_speed(1, bad)
    with pytest.raises(ClockError):
        Clock().start(0).jump(1, -5)


def test_before_the_last_act_is_the_last_act():
    c = Clock().start(100.0)
    assert c.now(50.0) == 0.0


def test_day_and_time_round_trip():
    assert format_time(0, 540) == "D1 09:00"
    assert format_time(sim_seconds_of(2, 10, 30, 540), 540) == "D2 10:30"


@given(
    acts=st.lists(
        st.tuples(
            st.sampled_from(["pause", "resume", "speed"]), st.floats(0, 1000), st.floats(0.5, 60)
        ),
        max_size=20,
    )
)
def test_time_never_runs_backwards_without_a_jump(acts):
    c = Clock().start(0.0)
    wall = 0.0
    last = 0.0
    for act, dt, speed in acts:
        wall += dt
        with contextlib.suppress(ClockError):
            c = (
                c.pause(wall)
                if act == "pause"
                else c.resume(wall)
                if act == "resume"
                else c.set_speed(wall, speed)
            )
        now = c.now(wall)
        assert now >= last
        last = now


@given(st.integers(0, 9 * 86400 // 60))
def test_day_and_time_inverse(minutes):
    day, hh, mm = day_and_time(minutes * 60, 540)
    assert sim_seconds_of(day, hh, mm, 540) == minutes * 60
