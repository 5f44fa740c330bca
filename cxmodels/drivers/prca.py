r"""Penalty-reward contrast analysis (PRCA): asymmetric effects of driver ratings on satisfaction.

For each driver rating :math:`r_j` two dummies are formed, :math:`L_j = 1[r_j \le \text{low}]`
and :math:`H_j = 1[r_j \ge \text{high}]` (the middle ratings are the reference), and overall
satisfaction is regressed on all of them by OLS:

.. math::

    s_i = \beta_0 + \sum_j (\lambda_j L_{ij} + \eta_j H_{ij}) + e_i .

* penalty :math:`P_j = -\lambda_j` (positive when a low rating lowers satisfaction),
* reward :math:`R_j = \eta_j` (positive when a high rating raises it),
* asymmetry :math:`A_j = R_j - P_j = \eta_j + \lambda_j`,
* impact-asymmetry index :math:`IA_j = (R_j - P_j)/(|R_j| + |P_j|)`, in :math:`[-1, 1]`; equal
  to :math:`(R_j - P_j)/(R_j + P_j)` when both are positive (the usual case), and bounded
  when one has the "wrong" sign.

Penalty and reward get OLS standard errors and t intervals (as R's ``lm``/``confint``); the
asymmetry and IA get percentile intervals from a seeded nonparametric bootstrap that
resamples respondents (Efron & Tibshirani 1993).  Kano classes (Kano et al. 1984), in order:

* ``"unclassified"``: neither the penalty's nor the reward's interval excludes 0;
* ``"basic"`` (dissatisfier, must-be): the asymmetry's interval lies below 0 (penalty > reward);
* ``"excitement"`` (satisfier, attractive): the asymmetry's interval lies above 0;
* ``"performance"`` (one-dimensional): the asymmetry's interval contains 0.

Default cuts
    Inferred from the scale: ``scale=(lo, hi)`` if given, else ``lo`` = 0 if any driver rating
    is 0 and 1 otherwise, and ``hi`` the smallest of 5, 7, 10 not below the largest rating.
    ``low`` = the largest scale point :math:`\le lo + 0.4(hi-lo)` and ``high`` = the smallest
    :math:`\ge hi - 0.4(hi-lo)`: 1-5 gives low <= 2, high >= 4 (reference 3); 1-7 gives <= 3,
    >= 5; 1-10 gives <= 4, >= 7; 0-10 gives <= 4, >= 6.  The cuts are symmetric about the
    scale's midpoint so that penalty and reward compare groups equally far from the reference.

References
----------
Brandt, D. R. (1987). A procedure for identifying value-enhancing service components using
customer satisfaction survey data. In C. Surprenant (Ed.), *Add Value to Your Service*, 61-65. AMA.
Conklin, M., Powaga, K., & Lipovetsky, S. (2004). Customer satisfaction analysis: identification of
key drivers. *European Journal of Operational Research* 154, 819-827.
Mikulić, J., & Prebežac, D. (2011). A critical review of techniques for classifying quality
attributes in the Kano model. *Managing Service Quality* 21, 46-66.
Kano, N., Seraku, N., Takahashi, F., & Tsuji, S. (1984). Attractive quality and must-be quality.
*Hinshitsu* 14(2), 39-48.
Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
from scipy import stats

from .. import plotting
from .._results import Result
from .._validation import (check_count, check_level, require_columns, require_finite, require_frame,
                           require_no_missing, require_not_constant, require_numeric, require_unique_columns,
                           resolve_seed, rows_text)
from ..errors import InputError
from ..provenance import make_provenance
from . import references as refs

__all__ = ["PRCAResult", "penalty_reward", "default_cuts"]

_CLASS_COLOURS = {"basic": plotting.color(1), "performance": plotting.color(0), "excitement": plotting.color(2),
                  "unclassified": "0.6"}


def default_cuts(lo: float, hi: float) -> tuple[float, float]:
    """Symmetric low/high cuts for a rating scale ``lo..hi`` (see the module docstring)."""
    width = hi - lo
    return float(np.floor(lo + 0.4 * width + 1e-9)), float(np.ceil(hi - 0.4 * width - 1e-9))


def _infer_scale(values: np.ndarray, drivers) -> tuple[float, float]:
    vmin, vmax = float(values.min()), float(values.max())
    if vmin < 0 or vmax > 10:
        raise InputError(f"cannot infer the rating scale of {list(drivers)} (ratings from {vmin:g} to {vmax:g}); "
                         "pass scale=(lowest, highest) or the cuts low= and high=")
    lo = 0.0 if vmin == 0 else 1.0
    hi = next(h for h in (5.0, 7.0, 10.0) if h >= vmax)
    return lo, hi


class PRCAResult(Result):
    """Penalty-reward contrast analysis; see :func:`penalty_reward`.

    ``summary()`` is tidy: one row per driver and term (``penalty``, ``reward``, ``asymmetry``,
    ``ia``) with ``est``, ``se``, ``ci_lower``, ``ci_upper`` and ``interval`` (``"t"`` for the OLS
    interval, ``"bootstrap percentile"``); ``params`` is ``est`` indexed by (driver, term).
    :meth:`classification` is the wide per-driver table with the Kano class.

    Attributes
    ----------
    kano : pandas.Series
        Kano class by driver.
    drivers : list of str
    outcome : str
    low, high : float
        The cuts used (``rating <= low``, ``rating >= high``).
    n_boot : int
        Bootstrap resamples requested (0: the asymmetry has a t interval and the IA none).
    n_boot_failed : int
        Bootstrap replicates dropped because a dummy was empty (or full) in the resample.
    seed
        Seed of the bootstrap (also in ``provenance``).
    level : float
        Interval level.
    nobs : int
    """

    def __init__(self, *, table: pd.DataFrame, provenance, coef: pd.DataFrame, wide: pd.DataFrame,
                 drivers: list, outcome: str, low: float, high: float, n_boot: int, n_boot_failed: int,
                 seed, level: float, nobs: int):
        self._table, self._provenance, self._warnings = table, provenance, []
        self._coef, self._wide = coef, wide
        self.drivers, self.outcome, self.low, self.high = drivers, outcome, low, high
        self.n_boot, self.n_boot_failed, self.seed, self.level, self.nobs = n_boot, n_boot_failed, seed, level, nobs
        self._references = refs.PRCA if n_boot else tuple(r for r in refs.PRCA if r is not refs.EFRON_1993)


    @property
    def kano(self) -> pd.Series:
        """Kano class by driver: basic, performance, excitement or unclassified."""
        return self._wide["kano_class"].copy()

    def classification(self) -> pd.DataFrame:
        """Per driver: penalty, reward, asymmetry, ia with intervals, group sizes and ``kano_class``."""
        return self._wide.copy()

    def coefficients(self) -> pd.DataFrame:
        """The OLS table behind the analysis, terms named ``(Intercept)``, ``<driver>_low``,
        ``<driver>_high``; columns ``est``, ``se``, ``t``, ``pvalue``, ``ci_lower``, ``ci_upper``."""
        return self._coef.copy()

    def plot(self, ax=None):
        """Penalty (left, drawn negative) and reward (right) bars per driver with their intervals,
        coloured by Kano class.  Returns the Axes."""
        from matplotlib.patches import Patch

        w = self._wide
        ax = plotting.axes(ax, figsize=(7, 0.6 * len(w) + 1.5))
        pos = np.arange(len(w))[::-1]
        colours = [_CLASS_COLOURS[c] for c in w["kano_class"]]
        for val, lo, hi, sign in (("penalty", "penalty_lower", "penalty_upper", -1),
                                  ("reward", "reward_lower", "reward_upper", 1)):
            est = sign * w[val].to_numpy()
            a, b = sign * w[lo].to_numpy(), sign * w[hi].to_numpy()
            err = np.vstack([est - np.minimum(a, b), np.maximum(a, b) - est])
            ax.barh(pos, est, color=colours, alpha=0.55 if sign < 0 else 0.95, xerr=err, capsize=3,
                    edgecolor="k", linewidth=0.5)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(pos)
        ax.set_yticklabels(w.index)
        ax.set_xlabel(f"<- penalty (rating <= {self.low:g})      reward (rating >= {self.high:g}) ->   "
                      f"[{self.outcome} points]")
        present = [c for c in _CLASS_COLOURS if c in set(w["kano_class"])]
        ax.legend(handles=[Patch(color=_CLASS_COLOURS[c], label=c) for c in present], fontsize=8,
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), title="Kano class", title_fontsize=8)
        ax.set_title("Penalty-reward contrast analysis", fontsize=10)
        return ax

    def methods_text(self) -> str:
        """A methods-section paragraph naming the procedure, its settings and references."""
        counts = self._wide["kano_class"].value_counts()
        classes = "; ".join(f"{k}: {', '.join(self._wide.index[self._wide['kano_class'] == k])}"
                            for k in ("basic", "performance", "excitement", "unclassified") if k in counts)
        pct = int(round(self.level * 100))
        r = refs
        if self.n_boot:
            boot = (f"their asymmetry and the impact-asymmetry index have {pct}% percentile intervals from "
                    f"{self.n_boot} bootstrap resamples of respondents as in {r.EFRON_1993.cite}, with bootstrap "
                    f"seed {self.seed}. ")
        else:
            boot = (f"their asymmetry has a {pct}% t interval from the same regression (no bootstrap, so the "
                    "impact-asymmetry index has no interval). ")
        return (f"Asymmetric effects of {len(self._wide)} attribute ratings on {self.outcome} were estimated by "
                f"the penalty-reward contrast analysis of {r.BRANDT_1987.cite} and {r.CONKLIN_2004.cite}: each rating "
                f"was coded into a low dummy (rating <= {self.low:g}) and a high dummy (rating >= {self.high:g}), "
                f"and {self.outcome} was regressed on all dummies by OLS ({self.nobs} respondents). Penalties and "
                f"rewards have {pct}% t intervals; " + boot +
                f"Attributes were classified after {r.KANO_1984.cite}, following the review by "
                f"{r.MIKULIC_2011.cite}, as basic (penalty exceeds reward), excitement (reward "
                f"exceeds penalty) or performance (interval of the asymmetry includes zero): {classes}.")


def _ols(X: np.ndarray, y: np.ndarray):
    xtx_inv = np.linalg.inv(X.T @ X)
    beta = xtx_inv @ (X.T @ y)
    resid = y - X @ beta
    dof = len(y) - X.shape[1]
    return beta, (resid @ resid / dof) * xtx_inv, dof


def _bootstrap(X, y, n_boot, rng):
    """Coefficients on ``n_boot`` resamples of respondents (rows); NaN where a dummy is empty or full.

    Each resample is a vector of row counts c, so X'CX = sum_i c_i x_i x_i' is one matrix product
    with the per-row outer products: no resampled copies of the data are made.
    """
    n, p = X.shape
    outer = (X[:, :, None] * X[:, None, :]).reshape(n, p * p)
    xy = X * y[:, None]
    out = np.full((n_boot, p), np.nan)
    for start in range(0, n_boot, 256):  # chunks keep the count matrix small
        b = min(256, n_boot - start)
        idx = rng.integers(0, n, size=(b, n))
        counts = np.zeros((b, n))
        np.add.at(counts, (np.repeat(np.arange(b), n), idx.ravel()), 1.0)
        dummy_n = counts @ X[:, 1:]
        ok = np.all((dummy_n > 0) & (dummy_n < n), axis=1)
        A = (counts @ outer).reshape(b, p, p)
        rhs = counts @ xy
        ok &= np.linalg.cond(A) < 1e12
        out[start + np.flatnonzero(ok)] = np.linalg.solve(A[ok], rhs[ok][..., None])[..., 0]
    return out


def penalty_reward(data: pd.DataFrame, drivers, outcome: str, *, low: float | None = None,
                   high: float | None = None, scale: tuple[float, float] | None = None, n_boot: int = 1000,
                   seed=None, level: float = 0.95, min_group: int = 30) -> PRCAResult:
    r"""Penalty-reward contrast analysis of ``drivers`` on ``outcome`` (see the module docstring).

    Parameters
    ----------
    data : DataFrame
        One row per respondent; not modified.  Missing values raise :class:`InputError`.
    drivers : list of str
        Attribute ratings on a common scale.
    outcome : str
        Overall satisfaction.
    low, high : float, optional
        Cuts: ``rating <= low`` is "low", ``rating >= high`` is "high".  Default from the scale
        (1-5: 2 and 4; 1-7: 3 and 5; 1-10: 4 and 7; 0-10: 4 and 6).
    scale : (float, float), optional
        Lowest and highest rating; inferred when omitted.  Ratings outside it raise InputError.
    n_boot : int
        Bootstrap resamples for the asymmetry and IA intervals (at least 100 for percentile
        intervals); ``0`` for none: the asymmetry then has the t interval of the regression
        (it is a linear contrast of two coefficients) and the IA no interval.
    seed : int or Generator, optional
        Seed of the bootstrap: same seed, same intervals (recorded in ``provenance``).
    level : float
        Interval level.
    min_group : int
        A low or high group with fewer respondents gives a warning naming the driver.

    Returns
    -------
    PRCAResult
    """
    data = require_frame(data)
    require_unique_columns(data)
    drivers = [drivers] if isinstance(drivers, str) else list(drivers)
    if not drivers:
        raise InputError("drivers must name at least one column")
    cols = drivers + [outcome]
    try:
        distinct = len(set(cols)) == len(cols)
    except TypeError:
        raise InputError(f"drivers and outcome must be column names, got {cols}") from None
    if not distinct:
        raise InputError(f"drivers and outcome must be distinct columns, got {cols}")
    level = check_level(level)
    n_boot = check_count(n_boot, "n_boot")
    if 0 < n_boot < 100:
        raise InputError(f"n_boot must be 0 (no bootstrap) or at least 100 for percentile intervals, got {n_boot}")
    min_group = check_count(min_group, "min_group")
    require_columns(data, cols)
    require_numeric(data, cols)
    require_no_missing(data, cols, hint="; drop or impute those rows before the analysis")
    require_finite(data, cols)
    require_not_constant(data, cols)
    R = data[drivers].to_numpy(float)
    y = data[outcome].to_numpy(float)
    n = len(y)

    if scale is not None:
        lo_s, hi_s = map(float, scale)
        for j, d in enumerate(drivers):
            bad = data.index[(R[:, j] < lo_s) | (R[:, j] > hi_s)]
            if len(bad):
                raise InputError(f"column {d!r} has {len(bad)} ratings outside the scale {lo_s:g}-{hi_s:g} "
                                 f"({rows_text(bad)})")
    elif low is None or high is None:
        lo_s, hi_s = _infer_scale(R, drivers)
    if low is None or high is None:
        dl, dh = default_cuts(lo_s, hi_s)
        low = dl if low is None else float(low)
        high = dh if high is None else float(high)
    low, high = float(low), float(high)
    if not low < high:
        raise InputError(f"low cut ({low:g}) must be below high cut ({high:g})")

    warns = []
    L, H = (R <= low).astype(float), (R >= high).astype(float)
    for j, d in enumerate(drivers):
        for name, D in (("low", L), ("high", H)):
            m = int(D[:, j].sum())
            if m == 0 or m == n:
                which = "no respondent" if m == 0 else "every respondent"
                raise InputError(f"column {d!r}: {which} has a {name} rating ({'<=' if name == 'low' else '>='} "
                                 f"{low if name == 'low' else high:g}), so its {name} effect cannot be estimated; "
                                 "change the cuts or drop the driver")
            if m < min_group:
                warns.append(f"driver {d!r} has only {m} respondents in its {name} group (< {min_group}); its "
                             f"{'penalty' if name == 'low' else 'reward'} is imprecise")
        mid = data.index[(L[:, j] == 0) & (H[:, j] == 0)]
        if len(mid) == 0:
            # with no middle rating the two dummies add up to the intercept: not identifiable
            raise InputError(f"column {d!r}: no respondent rates between the cuts ({low:g} < rating < {high:g}), "
                             "the reference group of its dummies; change the cuts")
    names = ["(Intercept)"] + [f"{d}_{s}" for d in drivers for s in ("low", "high")]
    X = np.column_stack([np.ones(n)] + [c for j in range(len(drivers)) for c in (L[:, j], H[:, j])])
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise InputError(f"the low/high dummies of {drivers} are collinear (two drivers split respondents "
                         "identically); drop one of them")
    if n <= X.shape[1]:
        raise InputError(f"{n} respondents cannot identify {X.shape[1]} coefficients")
    beta, cov, dof = _ols(X, y)
    se = np.sqrt(np.diag(cov))
    tcrit = stats.t.ppf(0.5 + level / 2, dof)
    coef = pd.DataFrame({"est": beta, "se": se, "t": beta / se, "pvalue": 2 * stats.t.sf(np.abs(beta / se), dof),
                         "ci_lower": beta - tcrit * se, "ci_upper": beta + tcrit * se}, index=pd.Index(names, name="term"))

    rng, seed = resolve_seed(seed)    # None draws a seed and records it: the intervals can be re-run
    boot = _bootstrap(X, y, n_boot, rng)
    failed = int(np.isnan(boot[:, 0]).sum())
    if failed:
        warns.append(f"{failed} of {n_boot} bootstrap resamples left a dummy empty and were dropped")
    boot = boot[~np.isnan(boot[:, 0])]
    if n_boot and len(boot) < 2:
        raise InputError(f"every bootstrap resample left a low or high group empty ({failed} of {n_boot}); "
                         "the groups are too small: widen the cuts or use n_boot=0")
    a = (1 - level) / 2

    rows, wide = [], {}
    for j, d in enumerate(drivers):
        il, ih = 1 + 2 * j, 2 + 2 * j
        pen, rew = -beta[il], beta[ih]
        asym = rew - pen
        asym_se = float(np.sqrt(cov[il, il] + cov[ih, ih] + 2 * cov[il, ih]))
        ia = asym / (abs(rew) + abs(pen))
        if n_boot:
            b_asym = boot[:, ih] + boot[:, il]
            b_ia = b_asym / (np.abs(boot[:, ih]) + np.abs(boot[:, il]))
            ci_asym = np.quantile(b_asym, [a, 1 - a])
            ci_ia = np.quantile(b_ia, [a, 1 - a])
            ia_se, kind = float(np.std(b_ia, ddof=1)), "bootstrap percentile"
        else:   # the asymmetry eta + lambda is a linear contrast: its t interval is exact under OLS
            ci_asym = np.array([asym - tcrit * asym_se, asym + tcrit * asym_se])
            ci_ia, ia_se, kind = np.array([np.nan, np.nan]), np.nan, "none (n_boot=0)"
        pen_ci = (-coef["ci_upper"].iloc[il], -coef["ci_lower"].iloc[il])
        rew_ci = (coef["ci_lower"].iloc[ih], coef["ci_upper"].iloc[ih])
        sig = lambda c: c[0] > 0 or c[1] < 0  # noqa: E731 - interval excludes 0
        if not (sig(pen_ci) or sig(rew_ci)):
            kano = "unclassified"
        elif ci_asym[1] < 0:
            kano = "basic"
        elif ci_asym[0] > 0:
            kano = "excitement"
        else:
            kano = "performance"
        rows += [(d, "penalty", pen, se[il], *pen_ci, "t"), (d, "reward", rew, se[ih], *rew_ci, "t"),
                 (d, "asymmetry", asym, asym_se, *ci_asym, kind if n_boot else "t"),
                 (d, "ia", ia, ia_se, *ci_ia, kind)]
        wide[d] = {"penalty": pen, "penalty_lower": pen_ci[0], "penalty_upper": pen_ci[1],
                   "reward": rew, "reward_lower": rew_ci[0], "reward_upper": rew_ci[1],
                   "asymmetry": asym, "asymmetry_lower": ci_asym[0], "asymmetry_upper": ci_asym[1],
                   "ia": ia, "ia_lower": ci_ia[0], "ia_upper": ci_ia[1],
                   "n_low": int(L[:, j].sum()), "n_high": int(H[:, j].sum()), "kano_class": kano}
        # a reliably negative penalty or reward contradicts the model's reading; a noisy one near 0 does not
        for term, c in (("penalty", pen_ci), ("reward", rew_ci)):
            if c[1] < 0:
                warns.append(f"driver {d!r} has a negative {term} whose interval excludes 0 ("
                             f"{'low ratings raise' if term == 'penalty' else 'high ratings lower'} {outcome}); "
                             "read its class with care")
    table = pd.DataFrame(rows, columns=["driver", "term", "est", "se", "ci_lower", "ci_upper", "interval"])
    table = table.set_index(["driver", "term"])
    wide_df = pd.DataFrame.from_dict(wide, orient="index")
    wide_df.index.name = "driver"
    options = {"drivers": drivers, "outcome": outcome, "low": low, "high": high, "n_boot": n_boot,
               "level": level, "min_group": min_group}
    res = PRCAResult(table=table, provenance=make_provenance("cxmodels.drivers.penalty_reward", data[cols], options,
                                                             seed),
                     coef=coef, wide=wide_df, drivers=drivers, outcome=outcome, low=low, high=high, n_boot=n_boot,
                     n_boot_failed=failed, seed=seed, level=level, nobs=n)
    for m in warns:
        res._note(m)
    return res
