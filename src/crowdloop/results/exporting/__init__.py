"""Streaming export of results: CSV, JSONL and Label Studio JSON."""

from crowdloop.results.exporting.service import (
    FORMATS,
    ExportFormat,
    export_results,
    iter_export,
    start_export,
    stream_export,
)

__all__ = [
    "FORMATS",
    "ExportFormat",
    "export_results",
    "iter_export",
    "start_export",
    "stream_export",
]
