"""Declarative base with a naming convention (SQLite batch migrations need named constraints)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit ids on PostgreSQL; SQLite only auto-increments a plain INTEGER PRIMARY KEY.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")

# The largest values the integer columns hold on every backend (PostgreSQL INTEGER and
# BIGINT; SQLite stores 64 bits). Inputs are bounded by these, so a larger number is refused
# as invalid input instead of overflowing in the database driver.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
