"""Pure helpers of the web layer: chart geometry, ETA, form mapping, per-worker rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from crowdloop.monitoring import service as monitoring
from crowdloop.projects.schemas import ProjectCreate
from crowdloop.web import charts, forms
from crowdloop.web.markup import money, render_markdown
from crowdloop.web.worker import rating_options, task_fields

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_bucket_fits_the_span_in_thirty_bars() -> None:
    assert charts.bucket_seconds(timedelta(minutes=10)) == 60
    assert charts.bucket_seconds(timedelta(hours=2)) == 300
    assert charts.bucket_seconds(timedelta(hours=20)) == 3600
    assert charts.bucket_seconds(timedelta(days=400)) == 86400


def test_throughput_counts_answers_into_bars() -> None:
    times = [NOW - timedelta(seconds=s) for s in (5, 10, 70, 29 * 60 + 1)]
    chart = charts.throughput(sorted(times), NOW)
    counts = [bar.count for bar in chart.bars]
    assert len(counts) == charts.MAX_BARS
    assert counts[-1] == 2  # the last minute
    assert counts[-2] == 1
    assert counts[0] == 1  # 29 minutes ago: the first of thirty 1-minute bars
    assert sum(counts) == 4
    assert chart.peak == 2
    tallest = max(chart.bars, key=lambda b: b.h)
    assert tallest.h == pytest.approx(charts.HEIGHT - 2 * charts.PAD)


def test_empty_chart() -> None:
    chart = charts.throughput([], NOW)
    assert chart.peak == 0
    assert all(bar.h == 0 for bar in chart.bars)


def test_rate_and_eta() -> None:
    recent = [NOW - timedelta(minutes=m) for m in (50, 40, 30, 20)]
    assert monitoring.rate_per_hour(recent, NOW) == 4
    old = [NOW - timedelta(hours=h) for h in (5, 3)]
    assert monitoring.rate_per_hour(old, NOW) == pytest.approx(1.0)
    assert monitoring.rate_per_hour([], NOW) == 0
    assert charts.eta_text(0, 5) == "done"
    assert charts.eta_text(10, 0).startswith("unknown")
    assert charts.eta_text(10, 60) == "about 10 min"
    assert charts.eta_text(90, 60) == "about 1 h 30 min"
    assert charts.eta_text(480, 5) == "about 4 days"


def test_worker_rows() -> None:
    t0 = NOW - timedelta(minutes=1)
    rows = [
        (1, "cat", t0, t0 + timedelta(seconds=4), "cat", 3),
        (1, "dog", t0, t0 + timedelta(seconds=6), "cat", 3),
        (2, "cat", t0, t0 + timedelta(seconds=2), "cat", 1),  # single answer: not judged
    ]
    got = charts.worker_rows(rows, {1: "ann"})
    assert [(w.username, w.answers, w.agreement, w.median_seconds) for w in got] == [
        ("ann", 2, 0.5, 5.0),
        ("user 2", 1, None, 2.0),
    ]


def test_form_body_and_error_fields() -> None:
    values = forms.form_values(
        {"name": " X ", "task_type": "rating", "rating_min": "0", "rating_max": "0", "overlap": ""}
    )
    body = forms.project_body(values)
    assert body["answer_schema"] == {"type": "rating", "min": "0", "max": "0"}
    assert "overlap" not in body
    with pytest.raises(ValidationError) as info:
        ProjectCreate.model_validate(body)
    assert forms.field_errors(info.value, values) == {"rating_max": "rating needs min < max"}
    assert (
        forms.field_for(("answer_schema", "single_choice", "labels", 0), "single_choice")
        == "labels"
    )
    assert forms.field_for(("answer_schema",), "x") == "task_type"
    assert forms.field_for(("deadline",), "text") == "deadline"
    assert forms.field_for((), "text") == "form"


def test_markup_helpers() -> None:
    assert money(1234) == "$12.34"
    assert money(-5) == "-$0.05"
    assert money(None) == "—"
    html = str(render_markdown("<b>x</b> [a](javascript:alert(1)) [b](https://ok.example)"))
    assert "<b>" not in html
    assert "javascript:" not in html.replace("[a](javascript:alert(1))", "")
    assert 'href="https://ok.example"' in html


def test_task_fields_and_rating_options() -> None:
    fields = task_fields({"text": "hi", "img": "https://x.example/a.PNG", "meta": {"k": 1}})
    assert [f.kind for f in fields] == ["text", "image", "json"]
    assert rating_options({"min": 1, "max": 5, "step": 1}) == ["1", "2", "3", "4", "5"]
    assert rating_options({"min": 0, "max": 1, "step": 0.25}) == ["0", "0.25", "0.5", "0.75", "1"]
    assert rating_options({"min": 0, "max": 10, "step": 1}) == []
    assert rating_options({"min": 0, "max": 10, "step": None}) == []


def test_span_labels() -> None:
    assert charts.throughput([], NOW).span_label == "30 minutes"
    old = [NOW - timedelta(hours=2)]
    assert charts.throughput(old, NOW).span_label == "2.5 hours"
    ancient = [NOW - timedelta(days=20)]
    assert charts.throughput(ancient, NOW).span_label == "30 days"


def test_confidence_histogram_bins_and_heights() -> None:
    from crowdloop.web import charts

    chart = charts.confidence_histogram([0, 1, 0, 0, 0, 0, 0, 0, 2, 4])
    assert len(chart.bars) == 10
    assert chart.peak == 4
    tallest = max(chart.bars, key=lambda b: b.h)
    assert tallest.count == 4
    assert tallest.label == "confidence 90%-100%: 4 tasks"
    assert chart.bars[0].h == 0
    assert chart.bars[8].h == tallest.h / 2
    assert charts.confidence_histogram([0] * 10).peak == 0
