"""What a reproduction returns: one :class:`ChapterResult` per chapter (shared by run and summary)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["RUNS", "ChapterResult", "ReproduceResult"]

#: The folder of OUT that holds executed chapters and their manifests.
RUNS = "runs"


# =========================================================================== results
@dataclass
class ChapterResult:
    """What happened to one chapter: ``status`` is ``ok``, ``failed`` or ``skipped`` (resume)."""

    name: str
    status: str
    seconds: float = 0.0
    error: str | None = None
    cell_index: int | None = None  # index of the failing cell in the *source* notebook
    cell_source: str | None = None  # first line of the failing cell's source
    outputs: dict[str, str] = field(default_factory=dict)  # tables file -> sha256
    retries: int = 0  # re-executions after a kernel stall (at most one)
    kernel_log: str | None = None  # the kernel's stdout/stderr, kept when the chapter failed

    @property
    def ok(self) -> bool:
        """True unless the chapter failed."""
        return self.status != "failed"

    def describe_failure(self) -> str:
        """One line naming the failing cell and the error (for the console and summary.md)."""
        where = f"cell {self.cell_index}" if self.cell_index is not None else "before any cell"
        if self.cell_source:
            where += f" (`{self.cell_source}`)"
        text = f"{where}: {self.error}"
        if self.kernel_log:
            text += f" [kernel log: {self.kernel_log}]"
        return text


@dataclass
class ReproduceResult:
    """The outcome of :func:`reproduce`: one :class:`ChapterResult` per chapter run or skipped."""

    out: Path
    chapters: list[ChapterResult]
    seconds: float

    @property
    def failed(self) -> list[ChapterResult]:
        """The chapters that failed."""
        return [c for c in self.chapters if c.status == "failed"]

    @property
    def exit_status(self) -> int:
        """0 if every chapter ran (or was skipped as unchanged), 1 otherwise."""
        return 1 if self.failed else 0


