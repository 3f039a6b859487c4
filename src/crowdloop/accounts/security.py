"""Password hashing (argon2) and API token generation/hashing."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "cl_"
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """A hash of a random password, made once per process: unknown usernames and
    unusable hashes are verified against it, so every sign-in costs one argon2 run."""
    return hash_password(secrets.token_urlsafe(32))


def is_usable(password_hash: str) -> bool:
    """False for the marker of an account without a password (a forgotten user)."""
    return password_hash.startswith("$argon2")


def new_token() -> str:
    """A fresh bearer token: ``cl_`` + 40 url-safe random characters."""
    return TOKEN_PREFIX + secrets.token_urlsafe(30)


def hash_token(token: str) -> str:
    # Tokens are long and random, so a fast hash is enough (unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()
