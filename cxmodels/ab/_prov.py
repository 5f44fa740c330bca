"""Provenance for A/B results, cheap enough for thousands of evaluations a second.

Library versions are cached by :mod:`cxmodels.provenance`; the data fingerprint is that of
:func:`cxmodels.provenance.data_fingerprint` on the per-variant table the model was fitted to.
"""

from __future__ import annotations

import datetime as _dt
from ..provenance import Provenance, _versions, data_fingerprint


def versions() -> dict:
    return _versions()


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def provenance_for(method, table, options, seed, created) -> Provenance:
    clean = {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in options.items()}
    return Provenance(method=method, options=clean, data=data_fingerprint(table), seed=seed,
                      versions=dict(versions()), created=created)
