"""Export entry points (the implementation lives in ``crowdloop.results.exporting``)."""

from crowdloop.results.exporting import (
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
