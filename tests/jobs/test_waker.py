"""The Waker folds many pokes into few runs of its action, and never loses the last one."""

from __future__ import annotations

import threading

from crowdloop.jobs.waker import Waker


def _wait_for(condition: threading.Event) -> None:
    assert condition.wait(10), "the waker's action did not run"


def test_pokes_during_a_run_fold_into_one_more_run() -> None:
    runs: list[int] = []
    started, release = threading.Event(), threading.Event()

    def action() -> None:
        runs.append(1)
        started.set()
        release.wait(10)

    waker = Waker(action, name="test-waker", gap=0)
    waker.poke()
    _wait_for(started)
    for _ in range(50):
        waker.poke()
    release.set()
    assert waker.flush(10)
    assert len(runs) == 2  # the first, and one for all 50 pokes that came meanwhile


def test_pokes_within_the_gap_after_a_run_fold_too() -> None:
    runs: list[int] = []
    ran = threading.Event()

    def action() -> None:
        runs.append(1)
        ran.set()

    waker = Waker(action, name="test-waker", gap=2.0)
    waker.poke()
    _wait_for(ran)
    for _ in range(20):  # well within the 2 s gap
        waker.poke()
    assert waker.flush(10)
    assert len(runs) == 2


def test_a_failing_action_does_not_stop_the_waker() -> None:
    calls: list[int] = []

    def action() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")

    waker = Waker(action, name="test-waker", gap=0)
    waker.poke()
    assert waker.flush(10)
    waker.poke()
    assert waker.flush(10)
    assert len(calls) == 2
