"""One error hierarchy; each adapter (API, web, CLI) maps it once."""

from __future__ import annotations


class CrowdloopError(Exception):
    """Base of every error a user can cause; carries an HTTP-like status code."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(CrowdloopError):
    status_code = 422


class NotAuthenticated(CrowdloopError):
    status_code = 401


class PermissionDenied(CrowdloopError):
    status_code = 403


class NotFound(CrowdloopError):
    status_code = 404


class Conflict(CrowdloopError):
    status_code = 409


class TooManyAttempts(CrowdloopError):
    """Too many failed sign-ins on this username or from this address: locked for now."""

    status_code = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Gone(CrowdloopError):
    """A lease or resource that existed but has expired."""

    status_code = 410


class Busy(CrowdloopError):
    """The database gave up on this request to resolve a conflict with a concurrent one
    (deadlock, serialization failure, lock timeout): nothing was written; try again."""

    status_code = 503


class Unavailable(CrowdloopError):
    """The database could not be reached or dropped the connection (a restart, a network
    fault): nothing of the request was saved; try again shortly."""

    status_code = 503


class StorageFull(CrowdloopError):
    """The database's disk is full: nothing of the request was saved."""

    status_code = 507


class NoTaskAvailable(CrowdloopError):
    """The worker asked for work but nothing is open for them right now."""

    status_code = 404
