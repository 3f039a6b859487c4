"""Import every model so that Base.metadata is complete (Alembic, tests)."""

from crowdloop.accounts import models as accounts_models
from crowdloop.ai import models as ai_models
from crowdloop.files import models as files_models
from crowdloop.projects import models as projects_models
from crowdloop.quality import models as quality_models
from crowdloop.storage.base import Base
from crowdloop.work import models as work_models

__all__ = [
    "Base",
    "accounts_models",
    "ai_models",
    "files_models",
    "projects_models",
    "quality_models",
    "work_models",
]
