"""Synthetic crowd: value-based matching vs random assignment under dynamic overlap.

Workers have a confusion matrix (accuracy on the diagonal, errors spread by a seeded
Dirichlet), one task type they are good at (on the other types they are closer to
chance), a speed (answers per step while online), a price that grows with their skill,
fatigue (accuracy slides toward chance the longer a session lasts), and drift (a slow
random walk of their skill). A share are spammers who answer uniformly at random.
Tasks have a type, a true label, a difficulty (pulling every worker toward chance) and
a deadline. Time runs in steps; each step a random subset of workers is online, the
platform refits its one-coin model per (worker, task type) on every answer so far
(no truth except the control tasks of each worker's short qualification), closes tasks
by the dynamic-overlap policy and assigns open tasks to online workers either by the
matching score M(t, u) and the push solver (``"value"``) or at random (``"random"``).
Both arms see the same crowd, tasks and online pattern (same seed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from crowdloop.algorithms._validation import FloatArray, IntArray
from crowdloop.algorithms.allocation.overlap import OverlapPolicy
from crowdloop.algorithms.allocation.posterior import OnlineOneCoin
from crowdloop.algorithms.allocation.scores import PairWeights, deadline_urgency, match_scores
from crowdloop.algorithms.allocation.solve import assign
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.skills.from_confusion import one_coin_confusion

__all__ = ["ArmResult", "CrowdConfig", "compare", "simulate"]

Allocator = Literal["value", "random"]


@dataclass(frozen=True)
class CrowdConfig:
    """Crowd and workload; every field has a documented default."""

    n_workers: int = 100
    n_tasks: int = 1000
    n_labels: int = 3
    n_types: int = 3
    spammer_share: float = 0.2
    accuracy_range: tuple[float, float] = (0.65, 0.98)
    off_type: float = 0.6  # share of skill above chance kept on other task types
    online_share: float = 0.5
    max_speed: int = 3
    fatigue: float = 0.01  # skill lost per answer in one online session (floor 0.5)
    drift: float = 0.02  # std of the per-step random walk of skill (kept in [0.7, 1])
    steps: int = 60
    deadline_range: tuple[int, int] = (8, 30)
    qualification: int = 3  # control answers (paid) when a worker first comes online
    price_weight: float = 0.01  # budget price lambda (gain per unit of reward)
    gain: Literal["accuracy", "information"] = "information"
    error_concentration: float = 5.0  # Dirichlet parameter of how errors spread
    # stop on the pairwise bound (docs/allocation.md)? Off: this crowd spreads its errors nearly
    # evenly (Dirichlet(5)), as the one-coin posterior assumes; the bound would only cost answers
    robust_confidence: bool = False


@dataclass(frozen=True)
class ArmResult:
    """One allocator's outcome."""

    allocator: str
    paid_answers: int
    answers_per_task: float
    accuracy: float
    deadline_hit_rate: float
    cost: float
    closed_share: float


@dataclass
class _World:
    truth: IntArray
    ttype: IntArray
    difficulty: FloatArray
    release: IntArray
    deadline: IntArray
    confusion: FloatArray  # (n_workers, K, K), per-worker base
    expert: IntArray
    skill: FloatArray
    speed: IntArray
    price: FloatArray
    online: IntArray = field(repr=False)  # (steps, n_workers) bool as int


def _world(cfg: CrowdConfig, rng: np.random.Generator) -> _World:
    k, n_w, n_t = cfg.n_labels, cfg.n_workers, cfg.n_tasks
    acc = rng.uniform(*cfg.accuracy_range, n_w)
    spam = rng.random(n_w) < cfg.spammer_share
    acc[spam] = 1.0 / k
    conf = np.empty((n_w, k, k))
    for w in range(n_w):
        errors = rng.dirichlet(np.full(max(k - 1, 1), cfg.error_concentration), size=k)
        for true in range(k):
            conf[w, true, np.arange(k) != true] = (1.0 - acc[w]) * errors[true]
            conf[w, true, true] = acc[w]
    release = rng.integers(0, max(int(cfg.steps * 0.6), 1), n_t)
    return _World(
        truth=rng.integers(0, k, n_t),
        ttype=rng.integers(0, cfg.n_types, n_t),
        difficulty=rng.beta(1.0, 4.0, n_t),
        release=release,
        deadline=release + rng.integers(cfg.deadline_range[0], cfg.deadline_range[1] + 1, n_t),
        confusion=conf,
        expert=rng.integers(0, cfg.n_types, n_w),
        skill=np.ones(n_w),
        speed=rng.integers(1, cfg.max_speed + 1, n_w),
        price=np.where(spam, 1.0, 1.0 + (acc - cfg.accuracy_range[0]) / np.ptp(cfg.accuracy_range)),
        online=(rng.random((cfg.steps, n_w)) < cfg.online_share).astype(np.int64),
    )


@dataclass
class _State:
    tasks: list[int] = field(default_factory=list)
    workers: list[int] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    session: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    qualified: IntArray = field(default_factory=lambda: np.zeros(0, bool))
    cost: float = 0.0


def _answer(
    cfg: CrowdConfig,
    world: _World,
    st: _State,
    pairs: tuple[IntArray, IntArray],
    rng: np.random.Generator,
) -> None:
    """Workers answer (real task or control task ids >= n_tasks, of type ``id % n_types``)."""
    k = cfg.n_labels
    for t, w in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
        ttype = world.ttype[t] if t < cfg.n_tasks else (t - cfg.n_tasks) % cfg.n_types
        truth = world.truth[t] if t < cfg.n_tasks else 0
        diff = world.difficulty[t] if t < cfg.n_tasks else 0.0
        f = (1.0 - diff) * world.skill[w] * max(0.5, 1.0 - cfg.fatigue * st.session[w])
        if ttype != world.expert[w]:
            f *= cfg.off_type
        row = f * world.confusion[w, truth] + (1.0 - f) / k
        st.tasks.append(t)
        st.workers.append(w)
        st.labels.append(int(rng.choice(k, p=row / row.sum())))
        st.session[w] += 1
        st.cost += float(world.price[w])


def _candidates(
    cfg: CrowdConfig, st: _State, open_tasks: IntArray, workers: IntArray
) -> tuple[IntArray, IntArray]:
    t = np.repeat(open_tasks, workers.size)
    w = np.tile(workers, open_tasks.size)
    seen = np.zeros(t.size, dtype=bool)
    if st.tasks:
        done = np.asarray(st.tasks, np.int64) * cfg.n_workers + np.asarray(st.workers, np.int64)
        seen = np.isin(t * cfg.n_workers + w, done)
    return t[~seen], w[~seen]


def _fit(cfg: CrowdConfig, world: _World, st: _State, prev: OnlineOneCoin | None) -> OnlineOneCoin:
    """One-coin model on virtual workers (worker, task type); control tasks are gold."""
    n_all = cfg.n_tasks + cfg.n_types
    t = np.asarray(st.tasks, np.int64)
    real = t < cfg.n_tasks
    ttype = np.where(real, world.ttype[np.where(real, t, 0)], (t - cfg.n_tasks) % cfg.n_types)
    answers = Answers(
        t,
        np.asarray(st.workers, np.int64) * cfg.n_types + ttype,
        np.asarray(st.labels, np.int64),
        n_all,
        cfg.n_workers * cfg.n_types,
        cfg.n_labels,
    )
    gold = np.full(n_all, -1, dtype=np.int64)
    gold[cfg.n_tasks :] = 0
    return OnlineOneCoin(robust=cfg.robust_confidence).fit(answers, gold=gold, init=prev)


def simulate(
    cfg: CrowdConfig, overlap: OverlapPolicy, *, allocator: Allocator, seed: int = 0
) -> ArmResult:
    """Run one arm; ``seed`` fixes the crowd, the tasks and who is online when."""
    if allocator not in ("value", "random"):
        raise ValueError(f"unknown allocator {allocator!r}; choose value or random")
    world = _world(cfg, np.random.default_rng(seed))
    rng = np.random.default_rng([seed, 1])
    st = _State(session=np.zeros(cfg.n_workers, np.int64), qualified=np.zeros(cfg.n_workers, bool))
    n_ans = np.zeros(cfg.n_tasks, np.int64)
    closed_at = np.full(cfg.n_tasks, -1, np.int64)
    model: OnlineOneCoin | None = None
    for step in range(cfg.steps):
        online = np.flatnonzero(world.online[step] > 0)
        st.session[world.online[step] == 0] = 0
        world.skill = np.clip(world.skill + rng.normal(0.0, cfg.drift, cfg.n_workers), 0.7, 1.0)
        _qualify(cfg, world, st, online, rng)
        open_tasks = np.flatnonzero((world.release <= step) & (closed_at < 0))
        if st.tasks:
            model = _fit(cfg, world, st, model)
        t, w = _candidates(cfg, st, open_tasks, online)
        chosen = _allocate(cfg, world, model, (t, w), step, allocator, rng)
        _answer(cfg, world, st, (t[chosen], w[chosen]), rng)
        np.add.at(n_ans, t[chosen], 1)
        model = _fit(cfg, world, st, model)
        conf = model.confidence_[: cfg.n_tasks]
        newly = (closed_at < 0) & (n_ans > 0) & overlap.is_done(n_ans, conf)
        closed_at[newly] = step
    final = model.labels_[: cfg.n_tasks] if model is not None else np.zeros(cfg.n_tasks, np.int64)
    closed = closed_at >= 0
    return ArmResult(
        allocator=allocator,
        paid_answers=len(st.tasks),
        answers_per_task=len(st.tasks) / cfg.n_tasks,
        accuracy=float(np.mean(final == world.truth)),
        deadline_hit_rate=float(np.mean(closed & (closed_at <= world.deadline))),
        cost=st.cost,
        closed_share=float(closed.mean()),
    )


def _qualify(
    cfg: CrowdConfig, world: _World, st: _State, online: IntArray, rng: np.random.Generator
) -> None:
    new = online[~st.qualified[online]]
    st.qualified[new] = True
    for w in new.tolist():
        kinds = (
            rng.permutation(cfg.n_types)[: cfg.qualification]
            if cfg.qualification <= cfg.n_types
            else rng.integers(0, cfg.n_types, cfg.qualification)
        )
        tasks = cfg.n_tasks + kinds
        _answer(cfg, world, st, (tasks, np.full(tasks.size, w)), rng)


def _allocate(
    cfg: CrowdConfig,
    world: _World,
    model: OnlineOneCoin | None,
    pairs: tuple[IntArray, IntArray],
    step: int,
    allocator: Allocator,
    rng: np.random.Generator,
) -> IntArray:
    t, w = pairs
    if t.size == 0:
        return np.zeros(0, np.int64)
    if allocator == "random" or model is None:
        value = rng.random(t.size) + 1e-9
        return assign(
            t,
            w,
            value,
            n_tasks=cfg.n_tasks,
            n_workers=cfg.n_workers,
            worker_capacity=world.speed,
            method="greedy",
        )
    virtual = w * cfg.n_types + world.ttype[t]
    conf = one_coin_confusion(model.accuracy_, cfg.n_labels)
    weights = PairWeights(
        urgency=deadline_urgency(world.deadline - step, 10.0),
        cost=world.price[w],
        cost_weight=cfg.price_weight,
        gain=cfg.gain,
    )
    value = match_scores(model.posteriors_, conf, t, virtual, weights)
    return assign(
        t, w, value, n_tasks=cfg.n_tasks, n_workers=cfg.n_workers, worker_capacity=world.speed
    )


def compare(cfg: CrowdConfig, overlap: OverlapPolicy, *, seed: int = 0) -> dict[str, ArmResult]:
    """Both arms on the same crowd and workload."""
    return {a: simulate(cfg, overlap, allocator=a, seed=seed) for a in ("value", "random")}
