"""Streaming task import: CSV, JSONL and Label Studio JSON."""

from crowdloop.projects.importing.schemas import ImportReport, RowError
from crowdloop.projects.importing.service import (
    FORMATS,
    ImportFormat,
    ImportRejected,
    OnError,
    detect_format,
    import_tasks,
)

__all__ = [
    "FORMATS",
    "ImportFormat",
    "ImportRejected",
    "ImportReport",
    "OnError",
    "RowError",
    "detect_format",
    "import_tasks",
]
