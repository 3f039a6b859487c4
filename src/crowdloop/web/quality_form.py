"""The wizard's quality settings: flat browser fields <-> ``QualityConfig`` (dynamic overlap,
control-task rate, quality rules) and pydantic error locations -> those fields.

Validation is ``QualityConfig``'s own (through ``ProjectCreate``); this module only maps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

N_RULES = 3
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
FIELDS = (
    "dynamic",
    "control_rate",
    *DYNAMIC.values(),
    *(f"{prefix}_{i}" for i in range(N_RULES) for prefix in RULE.values()),
)
DEFAULTS = {
    "control_rate": "0.1",
    "dyn_min": "2",
    "dyn_max": "5",
    "dyn_confidence": "0.9",
    "dyn_escalate_ability": "0.8",
    **{f"rule_min_{i}": "5" for i in range(N_RULES)},
    **{f"rule_action_{i}": "warn" for i in range(N_RULES)},
    **{f"rule_hours_{i}": "24" for i in range(N_RULES)},
}


def values_of(form: Mapping[str, Any]) -> dict[str, str]:
    """The quality fields as trimmed strings (missing ones empty)."""
    found = {}
    for name in FIELDS:
        raw = form.get(name)
        found[name] = raw.strip() if isinstance(raw, str) else ""
    return found


def _filled(values: dict[str, str], names: Mapping[str, str], suffix: str = "") -> dict[str, str]:
    return {key: values[field + suffix] for key, field in names.items() if values[field + suffix]}


def rule_rows(values: dict[str, str]) -> list[int]:
    """The rows of the rules table that name a rule (a blank kind means no rule)."""
    return [i for i in range(N_RULES) if values[f"rule_kind_{i}"]]


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
