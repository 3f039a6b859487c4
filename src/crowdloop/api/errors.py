"""Map every error to JSON ``{"error": ..., "detail": ...}`` with the right status."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from crowdloop.errors import CrowdloopError


def _body(
    error: str, detail: Any, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


async def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CrowdloopError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    if exc.status_code == 503:  # a transient database conflict: the client retries
        headers = {"Retry-After": "1"}
    return _body(type(exc).__name__, exc.detail, exc.status_code, headers)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", "")} for err in exc.errors()
    ]
    return _body("InvalidInput", problems, 422)


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    names = {404: "NotFound", 405: "MethodNotAllowed", 401: "NotAuthenticated"}
    return _body(names.get(exc.status_code, "HTTPError"), exc.detail, exc.status_code)


async def _value_error(_: Request, exc: Exception) -> JSONResponse:
    # Pydantic/ValueError raised while building domain objects from user data.
    return _body("InvalidInput", str(exc), 422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(CrowdloopError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ValueError, _value_error)
