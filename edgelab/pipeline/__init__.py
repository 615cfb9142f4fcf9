"""The reproduction pipeline: run every chapter, compile the summary, compare runs.

``reproduce`` papermills each ``notebooks/*.ipynb`` into ``OUT/runs/`` with the parameters
``quick``, ``seed`` and ``out_dir``; chapters record through :mod:`edgelab.record` into
``OUT/tables/``. :func:`compile_summary` then judges every recorded claim against
``data/reported.csv`` (``OUT/summary.csv`` / ``summary.md``) and regenerates seed 003's
Table 2 (training systems) and Table 4 (inference systems) with an ``edgelab`` column.
:func:`compare_runs` reports the cells that drifted between two OUT folders.

Layout of OUT::

    OUT/tables/<chapter>__<name>.csv|json   deterministic results (byte-identical for a seed)
    OUT/timings/<chapter>.json               timings a chapter recorded (rec.timing)
    OUT/runs/<chapter>.ipynb                 the executed notebook (never the source)
    OUT/runs/<chapter>.json                  manifest: input fingerprint, status, outputs
    OUT/summary.csv, summary.md, summary_uncovered.csv
    OUT/table2_training.csv|md, OUT/table4_inference.csv|md
    OUT/timings.json                         wall times of the pipeline (not deterministic)

"""

from edgelab.pipeline.compare import CompareReport, compare_runs
from edgelab.pipeline.run import (
    CELL_TIMEOUT_S,
    ChapterResult,
    ReproduceResult,
    check_kernel,
    discover_notebooks,
    find_notebooks_dir,
    input_fingerprint,
    kernel_env,
    reproduce,
    run_chapter,
)
from edgelab.pipeline.summary import (
    SUMMARY_COLUMNS,
    compile_summary,
    regenerate_survey_tables,
    summary_counts,
)

__all__ = [
    "ChapterResult",
    "ReproduceResult",
    "CompareReport",
    "CELL_TIMEOUT_S",
    "SUMMARY_COLUMNS",
    "check_kernel",
    "find_notebooks_dir",
    "discover_notebooks",
    "input_fingerprint",
    "kernel_env",
    "run_chapter",
    "reproduce",
    "compile_summary",
    "regenerate_survey_tables",
    "compare_runs",
    "summary_counts",
]
