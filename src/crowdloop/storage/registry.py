"""Import every model so that Base.metadata is complete (Alembic, tests)."""

from crowdloop.accounts import models as accounts_models
from crowdloop.ai import models as ai_models
from crowdloop.audit import models as audit_models
from crowdloop.events import models as events_models
from crowdloop.files import models as files_models
from crowdloop.jobs import models as jobs_models
from crowdloop.projects import models as projects_models
from crowdloop.quality import models as quality_models
from crowdloop.storage import instance as instance_models
from crowdloop.storage.base import Base
from crowdloop.webhooks import models as webhooks_models
from crowdloop.work import models as work_models

__all__ = [
    "Base",
    "accounts_models",
    "ai_models",
    "audit_models",
    "events_models",
    "files_models",
    "instance_models",
    "jobs_models",
    "projects_models",
    "quality_models",
    "webhooks_models",
    "work_models",
]
