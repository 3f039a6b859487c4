"""Sign-in throttling: failed sign-ins counted per username and per client address.

Each key counts consecutive failures in the database (every server process sees the same
count). From ``max_failures`` on (four times as many for an address, which many people may
share behind one NAT), each failure locks the key for ``lockout``, doubled per further
failure up to an hour. While a key is locked every sign-in on it is refused, even with
the right password. A success clears the username's count (not the address's); counts
with no failure for a day are forgotten. The key is the name as typed (lower-cased),
whether or not such a user exists, so a lock tells nothing about who has an account.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from crowdloop.accounts import repository
from crowdloop.errors import TooManyAttempts

ADDRESS_FACTOR = 4
MAX_LOCK = timedelta(hours=1)
FORGET_AFTER = timedelta(days=1)
KEY_LENGTH = 128


@dataclass(frozen=True)
class Policy:
    max_failures: int = 5
    lockout: timedelta = timedelta(seconds=30)

    def lock_for(self, failures: int, limit: int) -> timedelta | None:
        """How long ``failures`` in a row lock a key whose threshold is ``limit``."""
        if failures < limit:
            return None
        doublings = min(failures - limit, 20)  # 2**20 x the lockout is past any cap
        return min(self.lockout * (1 << doublings), MAX_LOCK)


def _keys(username: str, ip: str | None, policy: Policy) -> list[tuple[str, int]]:
    keys = [(f"user:{username.strip().lower()}"[:KEY_LENGTH], policy.max_failures)]
    if ip:
        keys.append((f"ip:{ip}"[:KEY_LENGTH], policy.max_failures * ADDRESS_FACTOR))
    return keys


def locked_until(
    session: Session, username: str, ip: str | None, *, policy: Policy, now: datetime
) -> datetime | None:
    """The end of the latest lock on this username or address, if one is on now."""
    names = [key for key, _ in _keys(username, ip, policy)]
    ends = [
        t.locked_until
        for t in repository.throttles(session, names)
        if t.locked_until is not None and t.locked_until > now
    ]
    return max(ends, default=None)


def refusal(until: datetime, now: datetime) -> TooManyAttempts:
    """The one answer for a locked sign-in, whoever the username belongs to."""
    seconds = max(1, math.ceil((until - now).total_seconds()))
    return TooManyAttempts(
        f"too many failed sign-ins: try again in {seconds} s", retry_after=seconds
    )


def record_failure(
    session: Session, username: str, ip: str | None, *, policy: Policy, now: datetime
) -> datetime | None:
    """Count a failure on the username and the address; the lock it starts, if any."""
    repository.delete_stale_throttles(session, now - FORGET_AFTER)
    ends: list[datetime] = []
    for key, limit in _keys(username, ip, policy):
        fresh = {"failures": 0, "last_failure_at": now, "locked_until": None}
        row = repository.throttle_for_update(session, key, fresh)
        if now - row.last_failure_at > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        lock = policy.lock_for(row.failures, limit)
        if lock is not None:
            row.locked_until = now + lock
            ends.append(row.locked_until)
    session.flush()
    return max(ends, default=None)


def record_success(session: Session, username: str) -> None:
    """The right password on an unlocked username: its count starts again."""
    key, _ = _keys(username, None, Policy())[0]
    repository.delete_throttles(session, [key])


def forget(session: Session, username: str) -> None:
    record_success(session, username)


def prune(session: Session, now: datetime) -> int:
    """Forget counts with no failure for ``FORGET_AFTER`` (housekeeping job)."""
    return repository.delete_stale_throttles(session, now - FORGET_AFTER)
