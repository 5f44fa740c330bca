r"""Scoring many customers in chunks, with bounded memory.

A fitted purchase model (BG/NBD, MBG/NBD, Pareto/NBD) scores each customer from her own
``(frequency, recency, T)``: :math:`P(\text{alive})` and the expected purchases in the next
``t`` time units.  :func:`iter_scores` reads a summary of any size, from any source the engine
layer accepts (a pandas frame, a Parquet or CSV path, a DuckDB relation, a Spark DataFrame, an
Ibis table), ``size`` rows at a time, and yields one scored frame per chunk;
:func:`write_scores` streams them into a Parquet file.  Memory is bounded by the chunk, not by
the number of customers (100 million customers are a loop of 100 chunks of a million).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import _engine
from .._lazy import optional_import
from ..errors import InputError

_COLUMNS = ("frequency", "recency", "T")


def _score(model, frame: pd.DataFrame, t) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    out["p_alive"] = model.p_alive(frame).to_numpy()
    if t is not None:
        out["expected_purchases"] = model.expected_purchases(t, frame).to_numpy()
    return out


def iter_scores(data, model, *, t=None, customer: str = "customer", size: int = 1_000_000):
    """Yield DataFrames of ``p_alive`` (and ``expected_purchases`` over ``t`` when given),
    indexed by ``customer``, for ``size`` customers at a time.

    Parameters
    ----------
    data : summary with ``frequency``, ``recency``, ``T`` and a ``customer`` column (or, for a
        pandas frame, the customer index of :func:`cxmodels.clv.rfm_summary`); not modified.
    model : result of ``fit_bgnbd``, ``fit_mbgnbd`` or ``fit_pareto_nbd`` (or ``from_params``)
    t : float, optional
        Horizon of the expected purchases, in the summary's time unit.
    size : int
        Customers per chunk (memory is proportional to it).
    """
    for name in ("p_alive", "expected_purchases"):
        if not callable(getattr(model, name, None)):
            raise InputError(f"model must be a fitted purchase model with {name}(); got {type(model).__name__}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise InputError(f"size must be a positive whole number of customers, got {size!r}")
    if isinstance(data, pd.DataFrame):
        frame = data if customer not in data.columns else data.set_index(customer)
        missing = [c for c in _COLUMNS if c not in frame.columns]
        if missing:
            raise InputError(f"data lacks column(s) {missing}; it has {list(map(str, frame.columns))}")
        for start in range(0, len(frame), int(size)):
            yield _score(model, frame.iloc[start:start + int(size)], t)
        return
    if not _engine.is_engine_source(data):
        raise InputError(f"data must be a summary frame, a Parquet/CSV path, a DuckDB relation, a Spark DataFrame "
                         f"or an ibis Table; got {type(data).__name__}")
    for chunk in _engine.chunks(data, [customer, *_COLUMNS], size=int(size), order=customer):
        yield _score(model, chunk.set_index(customer).rename_axis("customer"), t)


def write_scores(data, model, path, *, t=None, customer: str = "customer", size: int = 1_000_000) -> int:
    """Score every customer of ``data`` (see :func:`iter_scores`) into the Parquet file ``path``,
    one chunk at a time; returns the number of customers written."""
    pq = optional_import("pyarrow.parquet", "duckdb", "writing scores to Parquet")
    pa = optional_import("pyarrow", "duckdb", "writing scores to Parquet")
    writer, n = None, 0
    try:
        for chunk in iter_scores(data, model, t=t, customer=customer, size=size):
            table = pa.Table.from_pandas(chunk.reset_index(), preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(str(path), table.schema)
            writer.write_table(table)
            n += len(chunk)
    finally:
        if writer is not None:
            writer.close()
    return n
