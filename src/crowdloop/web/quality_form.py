"""The wizard's quality settings: flat browser fields <-> ``QualityConfig`` (dynamic overlap,
control-task rate, quality rules) and pydantic error locations -> those fields.

Validation is ``QualityConfig``'s own (through ``ProjectCreate``); this module only maps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from crowdloop.projects.quality_config import QualityConfig

N_RULES = 3  # rows of the rules table on a new project
MAX_RULES = 20
RULE_KINDS = [
    ("fast_answers", "Answers too fast", "threshold: seconds per answer"),
    ("control_accuracy", "Low check-question accuracy", "threshold: accuracy, 0 to 1"),
    ("consensus_agreement", "Low agreement with the consensus", "threshold: agreement, 0 to 1"),
    ("skips_in_row", "Skips in a row", "threshold: number of skips"),
]
ACTIONS = [("warn", "Warn"), ("block", "Block"), ("discard", "Discard answers")]
DYNAMIC = {  # DynamicOverlap field -> form field
    "min_answers": "dyn_min",
    "max_answers": "dyn_max",
    "target_confidence": "dyn_confidence",
    "escalate_after": "dyn_escalate_after",
    "escalate_ability": "dyn_escalate_ability",
}
RULE = {  # QualityRule field -> form field prefix (the row number is appended)
    "kind": "rule_kind",
    "threshold": "rule_threshold",
    "min_answers": "rule_min",
    "action": "rule_action",
    "block_hours": "rule_hours",
}
FIELDS = ("dynamic", "control_rate", *DYNAMIC.values())
RULE_DEFAULTS = {"rule_min": "5", "rule_action": "warn", "rule_hours": "24"}
DEFAULTS = {
    "control_rate": "0.1",
    "dyn_min": "2",
    "dyn_max": "5",
    "dyn_confidence": "0.9",
    "dyn_escalate_ability": "0.8",
    **{f"{k}_{i}": v for i in range(N_RULES) for k, v in RULE_DEFAULTS.items()},
}


def n_rows(values: Mapping[str, Any]) -> int:
    """How many rule rows the form has (its hidden ``n_rules`` field, within bounds)."""
    raw = values.get("n_rules")
    count = int(raw) if isinstance(raw, str) and raw.isdigit() else N_RULES
    return min(max(count, N_RULES), MAX_RULES)


def values_of(form: Mapping[str, Any]) -> dict[str, str]:
    """The quality fields as trimmed strings (missing ones empty)."""
    n = n_rows(form)
    names = (*FIELDS, *(f"{prefix}_{i}" for i in range(n) for prefix in RULE.values()))
    found = {"n_rules": str(n)}
    for name in names:
        raw = form.get(name)
        found[name] = raw.strip() if isinstance(raw, str) else ""
    return found


def _text(value: Any) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def values_from(config: Mapping[str, Any] | None) -> dict[str, str]:
    """The fields showing a stored ``QualityConfig`` (one empty rule row to add one)."""
    found = QualityConfig.model_validate(config or {})
    n = min(max(N_RULES, len(found.rules) + 1), MAX_RULES)
    values = values_of({"n_rules": str(n)})
    values.update({f"{k}_{i}": v for i in range(n) for k, v in RULE_DEFAULTS.items()})
    values.update({k: v for k, v in DEFAULTS.items() if k in FIELDS})
    values["control_rate"] = _text(found.control_rate)
    if found.dynamic_overlap is not None:
        values["dynamic"] = "1"
        for key, field in DYNAMIC.items():
            values[field] = _text(getattr(found.dynamic_overlap, key))
    for i, rule in enumerate(found.rules[: n - 1]):
        for key, prefix in RULE.items():
            values[f"{prefix}_{i}"] = _text(getattr(rule, key))
    return values


def _filled(values: dict[str, str], names: Mapping[str, str], suffix: str = "") -> dict[str, str]:
    return {key: values[field + suffix] for key, field in names.items() if values[field + suffix]}


def rule_rows(values: dict[str, str]) -> list[int]:
    """The rows of the rules table that name a rule (a blank kind means no rule)."""
    return [i for i in range(n_rows(values)) if values.get(f"rule_kind_{i}")]


def body(values: dict[str, str]) -> dict[str, Any]:
    """The ``QualityConfig`` body the fields describe (not yet validated)."""
    config: dict[str, Any] = {"rules": [_filled(values, RULE, f"_{i}") for i in rule_rows(values)]}
    if values["control_rate"]:
        config["control_rate"] = values["control_rate"]
    if values["dynamic"]:
        config["dynamic_overlap"] = _filled(values, DYNAMIC)
    return config


def field_for(loc: Sequence[Any], values: dict[str, str]) -> str:
    """The form field of an error at ``loc`` inside ``quality`` (``loc`` without it)."""
    if not loc:
        return "dynamic"
    head, rest = str(loc[0]), loc[1:]
    if head == "dynamic_overlap":
        # the min <= max check is a model validator: no field of its own
        return DYNAMIC.get(str(rest[0]), "dyn_max") if rest else "dyn_max"
    if head == "rules" and rest and isinstance(rest[0], int):
        row = rule_rows(values)[rest[0]]
        prefix = RULE.get(str(rest[1]), "rule_kind") if len(rest) > 1 else "rule_kind"
        return f"{prefix}_{row}"
    return head


def errors_of(
    exc: ValidationError, values: dict[str, str], *, prefix: str = "quality"
) -> dict[str, str]:
    """One message per field (the first), for errors under ``prefix`` of a body."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        rest = loc[1:] if loc[:1] == (prefix,) else loc
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        errors.setdefault(field_for(rest, values), message)
    return errors
