"""Provenance of a result: what produced it, on what data, with which options.

Data is identified by its shape, column names and SHA-256, never by its rows: a
provenance record can be shared without sharing customer-level data.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import importlib.metadata as _md
import platform
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

_DEPENDENCIES = ("numpy", "pandas", "scipy", "lifelines", "pymc", "arviz", "matplotlib")


def data_fingerprint(data: pd.DataFrame) -> dict[str, Any]:
    """Shape, column names and SHA-256 of a DataFrame's values and index.

    The hash is taken over ``pandas.util.hash_pandas_object`` (row hashes, including the
    index) so it is stable across pandas versions for the same values and dtypes.
    """
    row_hashes = pd.util.hash_pandas_object(data, index=True).to_numpy()
    h = hashlib.sha256(row_hashes.tobytes())
    h.update("\x1f".join(map(str, data.columns)).encode())
    return {"n_rows": int(data.shape[0]), "n_columns": int(data.shape[1]),
            "columns": [str(c) for c in data.columns], "sha256": h.hexdigest()}


@functools.lru_cache(maxsize=1)
def _installed_versions() -> tuple:
    """Library versions, read once per process (they cannot change while it runs)."""
    out = {"python": platform.python_version()}
    for name in ("cxmodels",) + _DEPENDENCIES:
        try:
            out[name] = _md.version(name)
        except _md.PackageNotFoundError:
            out[name] = "not installed"
    return tuple(out.items())


def _versions() -> dict[str, str]:
    return dict(_installed_versions())


@dataclass(frozen=True)
class Provenance:
    """Where a result came from: method, options, seed, data fingerprint, versions, time."""

    method: str
    options: dict[str, Any]
    data: dict[str, Any]
    seed: Any = None
    versions: dict[str, str] = field(default_factory=_versions)
    created: str = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    steps: tuple = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_step(self, step: str, seed: Any = None, **options: Any) -> "Provenance":
        """A copy recording one more computation on the fitted result (a bootstrap, a
        permutation test), with its seed and options, so a reader can re-run it."""
        clean = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in options.items()}
        return replace(self, steps=self.steps + ({"step": step, "seed": seed, **clean},))


def make_provenance(method: str, data: pd.DataFrame | None, options: dict[str, Any],
                    seed: Any = None) -> Provenance:
    """Build a :class:`Provenance` for ``method`` fitted on ``data`` with ``options``."""
    fp = data_fingerprint(data) if data is not None else {}
    clean = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in options.items()}
    return Provenance(method=method, options=clean, data=fp, seed=seed)
