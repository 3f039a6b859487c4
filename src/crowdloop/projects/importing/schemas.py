"""What an import tells its caller: counts, the first bad rows and notes."""

from __future__ import annotations

from pydantic import BaseModel, Field

MAX_REPORTED_ERRORS = 1000


class RowError(BaseModel):
    """One rejected row. ``index`` counts records from 0 (CSV data rows, JSONL lines that hold
    something, Label Studio list items); ``line`` is the 1-based line the record starts on
    (None for Label Studio JSON, whose items are located by ``index``)."""

    index: int
    line: int | None
    reason: str


class ImportReport(BaseModel):
    batch_id: int | None = Field(description="The TaskBatch created; None when rejected.")
    format: str
    source: str
    on_error: str
    n_rows: int = Field(0, description="Records read from the file.")
    n_imported: int = 0
    n_errors: int = Field(0, description="Bad records, all of them (errors lists the first).")
    errors: list[RowError] = Field(default_factory=list)
    errors_truncated: bool = False
    notes: list[str] = Field(default_factory=list)

    def add_error(self, index: int, line: int | None, reason: str) -> None:
        self.n_errors += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(index=index, line=line, reason=reason))
        else:
            self.errors_truncated = True

    def summary(self, first: int = 5) -> str:
        shown = "; ".join(
            f"{'line ' + str(e.line) if e.line is not None else 'item ' + str(e.index)}: {e.reason}"
            for e in self.errors[:first]
        )
        return f"{self.n_errors} bad row(s) of {self.n_rows}; nothing imported. First: {shown}"
