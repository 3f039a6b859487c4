from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from crowdloop.accounts.models import Role
from crowdloop.text import StorableInput

USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]{2,64}$"


class UserCreate(StorableInput):
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=8, max_length=256)
    role: Role = Role.worker
    email: str | None = Field(None, max_length=254)
    skills: list[str] = Field(default_factory=list)


class UserUpdate(StorableInput):
    email: str | None = Field(None, max_length=254)
    skills: list[str] | None = None
    is_active: bool | None = None
    role: Role | None = None
    password: str | None = Field(None, min_length=8, max_length=256)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str | None
    role: Role
    skills: list[str]
    is_active: bool
    created_at: datetime
    forgotten_at: datetime | None = Field(
        None, description="When the user's personal data was erased on request."
    )


class TokenCreate(BaseModel):
    username: str
    password: str
    name: str = Field("default", max_length=100)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class TokenIssued(TokenRead):
    token: str = Field(description="The bearer token; shown only once.")
