"""Map every error to JSON ``{"error": ..., "detail": ...}`` with the right status, and
declare those answers in the OpenAPI document (every operation, one ``ErrorBody`` schema)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from crowdloop.errors import CrowdloopError, TooManyAttempts


class Problem(BaseModel):
    """One invalid input: where it is (``["body", "overlap"]``) and what is wrong."""

    loc: list[str | int]
    msg: str


class ErrorBody(BaseModel):
    """Every error answer of the API."""

    error: str = Field(description="The error's name: NotFound, InvalidInput, Conflict, ...")
    detail: str | list[Problem] | dict[str, Any] = Field(
        description="A sentence; the list of problems of an invalid input; or a report "
        "(an import's rejected rows)."
    )


ERRORS = {
    400: "The body could not be parsed (not JSON, or not the declared form).",
    401: "Not authenticated: the bearer token is missing, unknown, expired or revoked.",
    403: "Authenticated, but your role may not do this.",
    404: "Not found, or not yours to see.",
    409: "The resource's current state does not allow this.",
    410: "The lease of this assignment expired.",
    422: "Invalid input: `detail` lists each problem (`loc`, `msg`).",
    503: "The database is busy or unreachable: nothing was written; retry after Retry-After.",
}


def _body(
    error: str, detail: Any, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


async def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CrowdloopError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    if exc.status_code == 503:  # a transient database conflict: the client retries
        headers = {"Retry-After": "1"}
    if isinstance(exc, TooManyAttempts):  # a sign-in lock: when it ends
        headers = {"Retry-After": str(exc.retry_after)}
    return _body(type(exc).__name__, exc.detail, exc.status_code, headers)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", "")} for err in exc.errors()
    ]
    return _body("InvalidInput", problems, 422)


def _allowed(request: Request) -> str:
    """Every method of every route at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(request.url.path):
            methods |= route.methods or set()
    return ", ".join(sorted(methods))


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    # 400 is a body that is not JSON at all; 405 lists the allowed methods (RFC 9110).
    names = {400: "BadRequest", 401: "NotAuthenticated", 404: "NotFound", 405: "MethodNotAllowed"}
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed(request)
    error = names.get(exc.status_code, "HTTPError")
    return _body(error, exc.detail, exc.status_code, headers or None)


async def _value_error(_: Request, exc: Exception) -> JSONResponse:
    # Pydantic/ValueError raised while building domain objects from user data.
    return _body("InvalidInput", str(exc), 422)


def _statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation may answer with."""
    found = [401, 403, 404, 422, 503]
    if "requestBody" in operation:
        found.append(400)
    if method != "get":
        found.append(409)
    if path.startswith("/api/v1/assignments/{assignment_id}"):
        found.append(410)
    return sorted(found)


def declare_errors(document: dict[str, Any]) -> None:
    """Give every operation its error answers with the ``ErrorBody`` schema, in place of
    FastAPI's default 422 (which is not what this API sends)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(body.pop("$defs", {}))
    schemas["ErrorBody"] = body
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if path.endswith("/health"):
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation):
                responses.setdefault(str(status), {"description": ERRORS[status]})
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = content


def _with_errors(app: FastAPI) -> Callable[[], dict[str, Any]]:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            declare_errors(build())
        return build()

    return openapi


def install(app: FastAPI) -> None:
    app.add_exception_handler(CrowdloopError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ValueError, _value_error)
    app.openapi = _with_errors(app)  # type: ignore[method-assign]
