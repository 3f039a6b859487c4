"""Dashboard figures from plain values: throughput buckets, ETA text and SVG bar geometry.

Pure functions (no database, no web): the template only draws what these return.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

BUCKETS = (60, 300, 900, 3600, 6 * 3600, 86400)
MAX_BARS = 30
WIDTH, HEIGHT, PAD = 600, 160, 24


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    count: int
    label: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    peak: int
    bucket_label: str
    first_label: str
    last_label: str
    span_label: str
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD


def bucket_seconds(span: timedelta) -> int:
    """The smallest bucket that shows the whole span in at most MAX_BARS bars."""
    for size in BUCKETS:
        if span.total_seconds() <= size * MAX_BARS:
            return size
    return BUCKETS[-1]


def _label(size: int) -> str:
    return {60: "minute", 300: "5 min", 900: "15 min", 3600: "hour", 21600: "6 h"}.get(size, "day")


def _span(seconds: int) -> str:
    """A duration in words: 30 minutes, 2.5 hours, 7.5 days."""
    if seconds < 3600:
        return f"{seconds // 60} minutes"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:g} hours"
    return f"{seconds / 86400:g} days"


def throughput(times: Sequence[datetime], now: datetime) -> Chart:
    """Answers per time bucket, the last MAX_BARS buckets up to ``now``."""
    span = now - times[0] if times else timedelta(0)
    size = bucket_seconds(span)
    end = now.timestamp()
    counts = [0] * MAX_BARS
    for t in times:
        back = int((end - t.timestamp()) // size)
        if 0 <= back < MAX_BARS:
            counts[MAX_BARS - 1 - back] += 1
    return _bars(counts, size, now)


def _geometry(counts: Sequence[int], labels: Sequence[str]) -> list[Bar]:
    """SVG bars for ``counts`` side by side, scaled to the tallest, with hover labels."""
    peak = max(counts, default=0) or 1
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    slot = inner_w / max(len(counts), 1)
    bars = []
    for i, (n, label) in enumerate(zip(counts, labels, strict=True)):
        h = inner_h * n / peak
        bars.append(
            Bar(
                x=round(PAD + i * slot + 1, 1),
                y=round(PAD + inner_h - h, 1),
                w=round(max(slot - 2, 1), 1),
                h=round(h, 1),
                count=n,
                label=label,
            )
        )
    return bars


def _bars(counts: list[int], size: int, now: datetime) -> Chart:
    starts = [now - timedelta(seconds=size * (len(counts) - i)) for i in range(len(counts))]
    labels = [f"{t:%Y-%m-%d %H:%M} UTC: {n} answers" for t, n in zip(starts, counts, strict=True)]
    first = now - timedelta(seconds=size * len(counts))
    span = _span(size * len(counts))
    bars = _geometry(counts, labels)
    return Chart(bars, max(counts), _label(size), f"{first:%H:%M}", f"{now:%H:%M}", span)


def confidence_histogram(counts: Sequence[int]) -> Chart:
    """Tasks per confidence bin, from the least to the most confident."""
    n = len(counts)
    labels = [f"confidence {i / n:.0%}-{(i + 1) / n:.0%}: {c} tasks" for i, c in enumerate(counts)]
    return Chart(
        _geometry(counts, labels), max(counts, default=0), "confidence bin", "0%", "100%", ""
    )


def eta_text(remaining: int, rate: float) -> str:
    if remaining == 0:
        return "done"
    if rate <= 0:
        return "unknown (no answers yet)"
    minutes = round(remaining / rate * 60)
    if minutes < 60:
        return f"about {max(minutes, 1)} min"
    hours, mins = divmod(minutes, 60)
    if hours < 48:
        return f"about {hours} h {mins} min"
    return f"about {round(hours / 24)} days"


@dataclass(frozen=True)
class WorkerRow:
    worker_id: int
    username: str
    answers: int
    agreement: float | None
    median_seconds: float | None


def worker_rows(rows: Sequence[Any], names: dict[int, str]) -> list[WorkerRow]:
    """Per worker: answers, share agreeing with the task's result (tasks with 2+ answers),
    median seconds from lease to submit. Rows: (worker_id, answer, created, finished,
    result, n_answers)."""
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(int(row[0]), []).append(row)
    found = []
    for worker_id, mine in grouped.items():
        judged = [r for r in mine if r[5] >= 2 and r[4] is not None]
        agree = sum(1 for r in judged if r[1] == r[4]) / len(judged) if judged else None
        durations = [(r[3] - r[2]).total_seconds() for r in mine if r[3] is not None]
        median = statistics.median(durations) if durations else None
        name = names.get(worker_id, f"user {worker_id}")
        found.append(WorkerRow(worker_id, name, len(mine), agree, median))
    return sorted(found, key=lambda w: (-w.answers, w.username))
