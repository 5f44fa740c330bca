"""Pieces shared by the ``to_r()`` methods: R scripts that re-fit a churn result with R's
``survival`` package (Therneau 2024), for a reviewer who wants to check it outside Python.

Every script reads the CSV at ``data_path`` (the caller's data, written with
``data.to_csv(data_path, index=False)``), fits the same model, prints R's own summary and
then, after a line ``cxmodels-compare``, a CSV of the numbers cxmodels reports, which
``tests/test_r_scripts_churn.py`` reads back.  The numbers cxmodels found are in comments
at the top, so the script is also a record of what was reported.
"""

from __future__ import annotations

import math

import pandas as pd

MARKER = "cxmodels-compare"


def q(name: str) -> str:
    """An R name for a column, backticked so any column name works (``ph.ecog``, ``my var``)."""
    return "`" + str(name).replace("\\", "\\\\").replace("`", "\\`") + "`"


def s(text) -> str:
    """An R string literal."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def vec(values) -> str:
    """An R character vector ``c("a", "b")``."""
    return "c(" + ", ".join(s(v) for v in values) + ")"


def surv(duration: str, event: str, entry: str | None = None) -> str:
    """``Surv(time, event)`` or, with left truncation, ``Surv(entry, time, event)``."""
    return f"Surv({q(entry)}, {q(duration)}, {q(event)})" if entry else f"Surv({q(duration)}, {q(event)})"


def _fmt(v) -> str:
    if isinstance(v, float):
        return "NA" if math.isnan(v) else f"{v:.10g}"
    return str(v)


def expected_comment(table: pd.DataFrame) -> str:
    """The numbers cxmodels reported, as commented CSV lines."""
    lines = [",".join(map(str, table.columns))]
    for row in table.itertuples(index=False):
        lines.append(",".join(_fmt(v) for v in row))
    return "\n".join("#   " + ln for ln in lines)


def header(method: str, data_path: str, expected: pd.DataFrame, provenance) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("cxmodels")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        v = "unknown"
    sha = provenance.data.get("sha256", "")[:16] if provenance is not None else ""
    return "\n".join([
        f"# Re-fit of cxmodels {method} (cxmodels {v}) with R's survival package.",
        f"# Data: {data_path} (the frame passed to cxmodels, written with to_csv(index=False));",
        f"# cxmodels fingerprint of the columns it used: sha256 {sha}...",
        "# Run: Rscript this_file.R   (needs install.packages(\"survival\") or r-cran-survival)",
        "# Expected (cxmodels):",
        expected_comment(expected),
        "",
        "library(survival)",
        f"d <- read.csv({s(data_path)}, check.names = FALSE)",
    ])


def footer(frame_expr: str) -> str:
    return "\n".join([f"out <- {frame_expr}", f'cat("{MARKER}\\n")',
                      "write.csv(out, stdout(), row.names = FALSE)", ""])


def read_output(stdout: str) -> pd.DataFrame:
    """The comparison table an R script printed after its ``cxmodels-compare`` line."""
    import io

    if MARKER not in stdout:
        raise ValueError(f"no {MARKER!r} line in the R output")
    return pd.read_csv(io.StringIO(stdout.split(MARKER, 1)[1].lstrip("\n")))
