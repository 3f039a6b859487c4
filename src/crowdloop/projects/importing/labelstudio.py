"""Label Studio task JSON <-> crowdloop: one place for the mapping, used by import and export.

A crowdloop answer becomes one Label Studio ``result`` item named ``FROM_NAME`` -> ``TO_NAME``:

=================  ==========  ================================
task type          LS type     ``value``
=================  ==========  ================================
single_choice      choices     ``{"choices": [label]}``
multiple_choice    choices     ``{"choices": [label, ...]}``
rating             rating      ``{"rating": number}``
text               textarea    ``{"text": [string]}``
=================  ==========  ================================
"""

from __future__ import annotations

from typing import Any

from crowdloop.projects.schemas import TaskCreate

FROM_NAME = "label"
TO_NAME = "text"
LS_TYPES = {
    "single_choice": "choices",
    "multiple_choice": "choices",
    "rating": "rating",
    "text": "textarea",
}
# Top-level keys of an item that map straight onto TaskCreate (besides data and predictions).
_TASK_KEYS = tuple(k for k in TaskCreate.model_fields if k not in ("data", "predictions"))


def result_item(task_type: str, answer: Any) -> dict[str, Any]:
    """One Label Studio result item holding ``answer``."""
    if task_type == "single_choice":
        value: dict[str, Any] = {"choices": [answer]}
    elif task_type == "multiple_choice":
        value = {"choices": list(answer)}
    elif task_type == "rating":
        value = {"rating": answer}
    else:
        value = {"text": [answer]}
    return {"from_name": FROM_NAME, "to_name": TO_NAME, "type": LS_TYPES[task_type], "value": value}


def answer_from_result(task_type: str, result: Any) -> Any:
    """The answer held by a Label Studio ``result`` list (ValueError if none fits the type)."""
    if not isinstance(result, list):
        raise ValueError("annotation result must be a list")
    for item in result:
        value = item.get("value") if isinstance(item, dict) else None
        if isinstance(value, dict):
            found = _answer_from_value(task_type, value)
            if found is not None:
                return found
    raise ValueError(f"ground-truth annotation holds no {LS_TYPES[task_type]} result")


def _answer_from_value(task_type: str, value: dict[str, Any]) -> Any:
    if task_type in ("single_choice", "multiple_choice") and isinstance(value.get("choices"), list):
        choices = value["choices"]
        if task_type == "multiple_choice":
            return choices
        if len(choices) != 1:
            raise ValueError(f"single_choice gold needs exactly one choice, got {choices!r}")
        return choices[0]
    if task_type == "rating":
        return value.get("rating", value.get("number"))
    if task_type == "text" and isinstance(value.get("text"), list) and value["text"]:
        return value["text"][0]
    return None


def task_fields(item: dict[str, Any], task_type: str) -> tuple[dict[str, Any], int]:
    """TaskCreate fields for one Label Studio item, and how many annotations were ignored.

    An item without ``data`` is all data (Label Studio's flat task). ``predictions`` are kept
    as they are. The first annotation with ``ground_truth: true`` (and not cancelled) becomes
    the gold answer unless ``gold`` is given; every other annotation is ignored and counted.
    ``meta.external_id``, else ``external_id``, else Label Studio's ``id`` becomes external_id.
    Other Label Studio keys (created_at, project, drafts, ...) are ignored.
    """
    if "data" not in item:
        return {"data": item}, 0
    fields = {key: item[key] for key in _TASK_KEYS if key in item}
    fields["data"] = item["data"]
    if item.get("predictions") is not None:
        fields["predictions"] = item["predictions"]
    external = _external_id(item)
    if external is not None:
        fields["external_id"] = external
    annotations = item.get("annotations", item.get("completions")) or []
    if not isinstance(annotations, list):
        raise ValueError("annotations must be a list")
    truth = [
        a
        for a in annotations
        if isinstance(a, dict) and a.get("ground_truth") and not a.get("was_cancelled")
    ]
    if truth and fields.get("gold") is None:
        fields["gold"] = answer_from_result(task_type, truth[0].get("result"))
        return fields, len(annotations) - 1
    return fields, len(annotations)


def _external_id(item: dict[str, Any]) -> str | None:
    meta = item.get("meta")
    if isinstance(meta, dict) and meta.get("external_id") is not None:
        return str(meta["external_id"])
    if item.get("external_id") is not None:
        return str(item["external_id"])
    if item.get("id") is not None:
        return str(item["id"])
    return None
