"""External model server speaking Label Studio's ML backend protocol.

``POST {url}/predict`` with ``{"tasks": [{"id", "data"}...], "label_config", "params"}``
answers ``{"results": [{"result": [{"value": {"choices": [label]}}], "score",
"model_version"}...]}``; ``GET {url}/health`` answers ``{"status": "UP"}``. Existing
Label Studio model servers therefore plug in unchanged.

Such a server only reports its top label and one score, so a prediction becomes a row
with ``score`` on that label and the rest spread evenly. A server that is down, slow or
answers garbage never blocks human work: the affected rows are NaN ("no prediction")
and :attr:`HttpPrelabeler.status` says what happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
from numpy.typing import NDArray

__all__ = ["HttpPrelabeler", "ServerStatus"]


@dataclass(frozen=True)
class ServerStatus:
    """``state`` is ``ok``, ``partial`` (some items unusable), ``unreachable``,
    ``timeout``, ``http_error`` or ``bad_response``; ``detail`` is one readable line."""

    state: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "ok"


class HttpPrelabeler:
    """A Label Studio-compatible model server used as a :class:`Prelabeler`."""

    def __init__(
        self,
        url: str,
        labels: Sequence[str],
        *,
        timeout: float = 5.0,
        label_config: str = "",
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._labels = list(labels)
        self.timeout = timeout
        self.label_config = label_config
        self._client = client
        self._version = "unknown"
        self.status = ServerStatus("ok", "no request yet")

    @property
    def labels(self) -> Sequence[str]:
        return list(self._labels)

    @property
    def model_version(self) -> str:
        return self._version

    def health(self) -> ServerStatus:
        """``GET /health``: ``ok`` when the server says ``{"status": "UP"}``."""
        try:
            body = self._request("GET", "/health", None)
        except _Failure as exc:
            return exc.status
        if isinstance(body, Mapping) and str(body.get("status", "")).upper() == "UP":
            return ServerStatus("ok", "UP")
        return ServerStatus("bad_response", f"health answered {str(body)[:80]!r}")

    def predict_proba(self, items: Sequence[Mapping[str, Any]]) -> NDArray[np.float64]:
        """Rows for items the server predicted; NaN rows for the rest (see ``status``)."""
        out = np.full((len(items), len(self._labels)), np.nan)
        if not items:
            return out
        payload = {
            "tasks": [{"id": i, "data": dict(item)} for i, item in enumerate(items)],
            "label_config": self.label_config,
            "params": {},
        }
        try:
            body = self._request("POST", "/predict", payload)
        except _Failure as exc:
            self.status = exc.status
            return out
        self.status = self._fill(out, body)
        return out

    def _fill(self, out: NDArray[np.float64], body: Any) -> ServerStatus:
        results = body.get("results") if isinstance(body, Mapping) else body
        if not isinstance(results, list):
            return ServerStatus("bad_response", "no 'results' list in the /predict answer")
        if isinstance(body, Mapping) and isinstance(body.get("model_version"), str):
            self._version = body["model_version"]
        bad = len(out) - len(results)
        for row, result in enumerate(results[: len(out)]):
            parsed = self._parse(result)
            if parsed is None:
                bad += 1
                continue
            out[row] = parsed
        if bad == len(out):
            return ServerStatus("bad_response", "no usable prediction in the /predict answer")
        if bad:
            return ServerStatus("partial", f"{bad} of {len(out)} items had no usable prediction")
        return ServerStatus("ok", f"{len(out)} predictions")

    def _parse(self, result: Any) -> NDArray[np.float64] | None:
        if not isinstance(result, Mapping):
            return None
        label = _choice(result.get("result"))
        score = result.get("score")
        if label not in self._labels or not isinstance(score, int | float):
            return None
        if not 0.0 <= float(score) <= 1.0:
            return None
        if isinstance(result.get("model_version"), str):
            self._version = result["model_version"]
        k = len(self._labels)
        row = np.full(k, (1.0 - float(score)) / (k - 1) if k > 1 else 0.0)
        row[self._labels.index(label)] = float(score) if k > 1 else 1.0
        return row

    def _request(self, method: str, path: str, payload: Any) -> Any:
        client = self._client or httpx.Client(timeout=self.timeout)
        try:
            response = client.request(method, self.url + path, json=payload, timeout=self.timeout)
        except httpx.TimeoutException as exc:
            raise _Failure(
                ServerStatus("timeout", f"{path}: no answer in {self.timeout}s")
            ) from exc
        except httpx.HTTPError as exc:
            raise _Failure(ServerStatus("unreachable", f"{path}: {exc}")) from exc
        finally:
            if self._client is None:
                client.close()
        if response.status_code >= 400:
            raise _Failure(ServerStatus("http_error", f"{path}: HTTP {response.status_code}"))
        try:
            return response.json()
        except ValueError as exc:
            raise _Failure(ServerStatus("bad_response", f"{path}: not JSON")) from exc


class _Failure(Exception):
    def __init__(self, status: ServerStatus) -> None:
        super().__init__(status.detail)
        self.status = status


def _choice(result: Any) -> str | None:
    """The first ``choices`` label in a Label Studio result list."""
    if not isinstance(result, list):
        return None
    for region in result:
        value = region.get("value") if isinstance(region, Mapping) else None
        choices = value.get("choices") if isinstance(value, Mapping) else None
        if isinstance(choices, list) and choices and isinstance(choices[0], str):
            return choices[0]
    return None
