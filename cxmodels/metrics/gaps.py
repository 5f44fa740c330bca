r"""Expectations against experience: disconfirmation gaps and the zone of tolerance.

Per attribute, each respondent rates the service received (perceived, P) and, on the same
scale, what was expected (E), and/or the adequate (minimum acceptable, A) and desired (D)
levels.  The gaps are paired differences per respondent, averaged with t intervals:

* **disconfirmation** :math:`P - E` (Oliver 1980; the SERVQUAL gap, Parasuraman et al. 1988):
  negative when experience falls short of expectation;
* **measure of service adequacy** :math:`MSA = P - A` and **measure of service superiority**
  :math:`MSS = P - D` (Zeithaml, Berry & Parasuraman 1993); the **zone of tolerance** is
  :math:`D - A`.  An attribute is ``below`` the zone when the whole MSA interval is below 0,
  ``above`` it when the whole MSS interval is above 0, ``within`` when the intervals place it
  inside, and ``unclear`` otherwise; ``share_below`` / ``share_above`` count respondents
  individually below their own adequate or above their own desired level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import _validation as V
from .. import plotting
from .._results import Result
from ..errors import CXModelsWarning, InputError
from ..provenance import make_provenance
from .references import OLIVER, PARASURAMAN, ZEITHAML

ROLES = ("perceived", "expected", "adequate", "desired")


def _paired(d: np.ndarray, level: float):
    n = len(d)
    m = float(d.mean())
    se = float(d.std(ddof=1) / np.sqrt(n))
    t = stats.t.ppf(0.5 + level / 2, n - 1)
    return m, se, m - t * se, m + t * se


class GapResult(Result):
    """Gaps per attribute: ``summary()`` has one row per (attribute, quantity) — ``perceived``,
    ``gap`` (P - E), ``msa``, ``mss``, ``zone_width`` — with ``est, se, lower, upper, n``;
    :meth:`zones` the zone position per attribute."""

    def __init__(self, table, zones, *, level, provenance, references):
        self._table = table
        self._zones = zones
        self.level = level
        self._provenance = provenance
        self._references = tuple(references)
        self._warnings = []

    @property
    def params(self) -> pd.Series:
        return pd.Series(self._table["est"].to_numpy(), index=[f"{q}[{a}]" for a, q in self._table.index], name="est")

    def zones(self) -> pd.DataFrame:
        """Per attribute with adequate and desired levels: ``position`` (below, within, above,
        unclear), ``share_below``, ``share_above``, ``share_inconsistent`` (desired < adequate)."""
        return self._zones.copy()

    def methods_text(self) -> str:
        qs = set(self._table.index.get_level_values(1))
        parts = []
        if "gap" in qs:
            parts.append(f"expectation-disconfirmation gaps (perceived minus expected) as in {OLIVER.cite} and "
                         f"{PARASURAMAN.cite}")
        if "msa" in qs or "mss" in qs:
            parts.append(f"the zone of tolerance between adequate and desired service with the measures of service "
                         f"adequacy and superiority of {ZEITHAML.cite}")
        k = self._table.index.get_level_values(0).nunique()
        return (f"For {k} attributes, " + " and ".join(parts) + f": paired differences per respondent averaged with "
                f"{self.level:.0%} t intervals.")

    def plot(self, ax=None):
        """Per attribute: the zone of tolerance (adequate to desired means) as a bar and the perceived
        mean with its interval (or the P - E gaps when no zone was rated); returns the Axes."""
        t = self._table
        attrs = list(dict.fromkeys(t.index.get_level_values(0)))
        ax = plotting.axes(ax, figsize=(6.5, 0.8 + 0.45 * len(attrs)))
        y = np.arange(len(attrs))
        if len(self._zones):
            for i, a in enumerate(attrs):
                if a in self._zones.index:
                    z = self._zones.loc[a]
                    ax.barh(i, z["desired"] - z["adequate"], left=z["adequate"], color=plotting.color(2),
                            alpha=0.3, label="zone of tolerance" if i == 0 else None)
            p = t.xs("perceived", level=1).reindex(attrs)
            xlabel = f"rating (perceived mean, {self.level:.0%} interval)"
        else:
            p = t.xs("gap", level=1).reindex(attrs)
            ax.axvline(0, color="0.4", lw=0.8)
            xlabel = f"perceived - expected ({self.level:.0%} interval)"
        ax.errorbar(p["est"], y, xerr=np.vstack([p["est"] - p["lower"], p["upper"] - p["est"]]), fmt="o",
                    color=plotting.color(0), capsize=3)
        ax.set_yticks(y, [str(a) for a in attrs])
        ax.set_xlabel(xlabel)
        ax.set_title("Expectations and experience")
        if len(self._zones):
            ax.legend(fontsize=8, loc="lower right")
        return ax


def expectation_gaps(data: pd.DataFrame, attributes: dict, *, level: float = 0.95) -> GapResult:
    """Disconfirmation gaps and zones of tolerance per attribute, with intervals.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; not modified.
    attributes : dict
        ``{attribute: {"perceived": col, "expected": col, "adequate": col, "desired": col}}``;
        ``perceived`` is required, with ``expected`` and/or both ``adequate`` and ``desired``.
    level : float

    Returns
    -------
    GapResult
    """
    level = V.check_level(level)
    data = V.require_frame(data)
    V.require_unique_columns(data)
    if not isinstance(attributes, dict) or not attributes:
        raise InputError("attributes must be a non-empty dict {attribute: {'perceived': col, 'expected': col, ...}}")
    cols = []
    for a, roles in attributes.items():
        if not isinstance(roles, dict):
            raise InputError(f"attribute {a!r} must map to a dict of roles {ROLES}, got {roles!r}")
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise InputError(f"attribute {a!r} has unknown roles {sorted(unknown)}; roles are {ROLES}")
        if "perceived" not in roles:
            raise InputError(f"attribute {a!r} needs a 'perceived' column")
        if ("adequate" in roles) != ("desired" in roles):
            raise InputError(f"attribute {a!r}: the zone of tolerance needs both 'adequate' and 'desired'")
        if "expected" not in roles and "adequate" not in roles:
            raise InputError(f"attribute {a!r} needs 'expected' or 'adequate' and 'desired' to compare with")
        cols += list(roles.values())
    cols = list(dict.fromkeys(cols))
    V.require_columns(data, cols)
    V.require_numeric(data, cols)
    V.require_no_missing(data, cols)
    V.require_finite(data, cols)
    n = len(data)
    if n < 3:
        raise InputError(f"data has {n} respondent(s); intervals need at least 3")
    rows, zones = [], []
    for a, roles in attributes.items():
        P = data[roles["perceived"]].to_numpy(float)
        qs = {"perceived": P}
        if "expected" in roles:
            qs["gap"] = P - data[roles["expected"]].to_numpy(float)
        if "adequate" in roles:
            A, D = data[roles["adequate"]].to_numpy(float), data[roles["desired"]].to_numpy(float)
            qs.update(msa=P - A, mss=P - D, zone_width=D - A)
        for q, d in qs.items():
            m, se, lo, hi = _paired(d, level)
            rows.append({"attribute": a, "quantity": q, "est": m, "se": se, "lower": lo, "upper": hi, "n": n})
        if "adequate" in roles:
            _, _, msa_lo, _ = _paired(qs["msa"], level)
            _, _, mss_lo, mss_hi = _paired(qs["mss"], level)
            _, _, _, msa_hi = _paired(qs["msa"], level)
            pos = ("below" if msa_hi < 0 else "above" if mss_lo > 0 else
                   "within" if msa_lo > 0 and mss_hi < 0 else "unclear")
            zones.append({"attribute": a, "adequate": float(A.mean()), "desired": float(D.mean()),
                          "perceived": float(P.mean()), "position": pos, "share_below": float(np.mean(P < A)),
                          "share_above": float(np.mean(P > D)), "share_inconsistent": float(np.mean(D < A))})
    table = pd.DataFrame(rows).set_index(["attribute", "quantity"])
    ztab = (pd.DataFrame(zones).set_index("attribute") if zones else
            pd.DataFrame(columns=["adequate", "desired", "perceived", "position", "share_below", "share_above",
                                  "share_inconsistent"]))
    prov = make_provenance("expectation gaps", data[cols], {"attributes": attributes, "level": level})
    refs = ((OLIVER, PARASURAMAN) if any("expected" in r for r in attributes.values()) else ()) + \
        ((ZEITHAML,) if zones else ())
    res = GapResult(table, ztab, level=level, provenance=prov, references=refs)
    if len(ztab):
        bad = ztab.index[ztab["share_inconsistent"] > 0.1]
        if len(bad):
            res._flag(f"attribute(s) {list(bad)}: more than 10% of respondents rate the desired level below the "
                      "adequate one; check the questions' order and wording", CXModelsWarning)
    return res


__all__ = ["expectation_gaps", "GapResult"]
