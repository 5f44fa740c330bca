r"""Sequential monitoring: always-valid p-values and confidence sequences.

A fixed-horizon test looked at after every batch of customers rejects a true null far more
often than its nominal :math:`\alpha` (Johari et al. 2017).  The mixture sequential
probability ratio test (mSPRT) with a normal mixture over the effect is a martingale under
the null, so by Ville's inequality its reciprocal is a p-value valid at every look at once.
With :math:`\hat\Delta_t` the effect at look :math:`t`, :math:`V_t` its variance, :math:`N_t`
the customers in the comparison and the mixture variance :math:`\tau^2_t = \rho^2 N_t V_t`,

.. math::

    \Lambda_t = \sqrt{\frac{V_t}{V_t + \tau_t^2}}\exp\Bigl(\frac{\tau_t^2\hat\Delta_t^2}{2V_t(V_t + \tau_t^2)}\Bigr),
    \qquad p_t = \min\bigl(1, \min_{s \le t} 1/\Lambda_s\bigr),

and inverting :math:`\Lambda_t < 1/\alpha` gives the asymptotic confidence sequence
(Howard et al. 2021; Waudby-Smith et al. 2023, eq. 9)

.. math::

    \hat\Delta_t \pm \sqrt{V_t\,\frac{N_t\rho^2 + 1}{N_t\rho^2}\Bigl(2\log\frac1\alpha + \log(N_t\rho^2 + 1)\Bigr)},

tightest near :math:`N_t = n^*` with :math:`\rho^2 = (-2\log\alpha + \log(1 - 2\log\alpha))/n^*`
(GrowthBook's parameterisation, ``n_star`` its "sequential tuning parameter").  The sequence
reported is the running intersection, still valid, and the p-value the running minimum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import plotting
from .._results import Decision, Result
from .._validation import check_level, require_columns, require_frame, require_numeric, require_unique_columns, rows_text
from ..errors import InputError
from ..provenance import make_provenance
from . import references as R
from .cuped import per_respondent
from .effects import compare_arms, read_frame

__all__ = ["sequential_test", "SequentialResult", "mixture_sequence"]


def mixture_sequence(est, var, n, alpha: float, n_star: float):
    """Per-look mSPRT p-value and confidence-sequence half-width (elementwise on arrays).

    Parameters
    ----------
    est, var : array-like
        Effect estimate and its variance at each look.
    n : array-like
        Units in the comparison at each look (both arms).
    alpha : float
        1 - level.
    n_star : float
        Total sample size at which the sequence is tightest.

    Returns
    -------
    (p_look, half_width) : arrays
        ``p_look`` = min(1, 1/Lambda) at that look (take the running minimum across looks for
        the always-valid p-value) and the half-width of the confidence sequence.
    """
    est, var, n = (np.asarray(a, float) for a in (est, var, n))
    rho2 = (-2 * np.log(alpha) + np.log(-2 * np.log(alpha) + 1)) / n_star
    tr = n * rho2 + 1  # (V + tau^2) / V
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_lam = rho2 * n * est ** 2 / var / (2 * tr) - 0.5 * np.log(tr)
        p = np.minimum(1.0, np.exp(-log_lam))
        half = np.sqrt(var * tr / (n * rho2) * (2 * np.log(1 / alpha) + np.log(tr)))
    return p, half


class SequentialResult(Result):
    """Always-valid readout of a monitored experiment, one row per look and challenger.

    ``summary()`` columns: ``look, variant, control, n`` (customers in the comparison),
    ``est, se``, ``ci_lower, ci_upper`` (the confidence sequence, running intersection),
    ``pvalue`` (always-valid, running minimum), ``pvalue_look`` (the look's own mSPRT value),
    ``naive_lower, naive_upper, naive_pvalue`` (the fixed-horizon z test, invalid under
    peeking: shown for contrast), ``level``.
    """

    def __init__(self, table, provenance, level, control, metric, n_star, relative, higher_is_better):
        self._table = table
        self._provenance = provenance
        self._warnings = []
        self.level, self.control, self.metric = level, control, metric
        self.n_star, self.relative, self.higher_is_better = n_star, relative, higher_is_better
        self._references = (R.JOHARI, R.HOWARD, R.WAUDBY)

    @property
    def params(self) -> pd.Series:
        """The effect of each challenger at the latest look."""
        last = self._table[self._table.look == self._table.look.iloc[-1]]
        return pd.Series(last["est"].to_numpy(), index=last["variant"].to_numpy(), name="est")

    def methods_text(self) -> str:
        kind = "relative" if self.relative else "absolute"
        return (f"The experiment was monitored at {self._table.look.nunique()} looks with the mixture sequential "
                f"probability ratio test ({R.JOHARI.cite}): the {kind} effect on the {self.metric} against the control "
                f"({self.control}) is reported with always-valid p-values and {self.level:.0%} asymptotic confidence "
                f"sequences ({R.HOWARD.cite}; {R.WAUDBY.cite}), tuned to be tightest at {self.n_star:,.0f} customers, "
                f"so the experiment can be stopped at any look without inflating the error rate. "
                f"Computed with cxmodels.")

    def decide(self) -> Decision:
        """At the latest look: stop and adopt (or keep the control) once the always-valid p-value is
        below 1 - level; otherwise continue."""
        alpha = 1 - self.level
        t = self._table
        last = t[t.look == t.look.iloc[-1]].set_index("variant")
        sign = 1 if self.higher_is_better else -1
        crit = {"alpha": alpha, "pvalue": last["pvalue"].to_dict(), "look": t.look.iloc[-1]}
        sig = last[last["pvalue"] < alpha]
        good = sig[sign * sig["est"] > 0]
        if len(good):
            v = str((sign * good["est"]).idxmax())
            return Decision("adopt", v, f"always-valid p = {good.loc[v, 'pvalue']:.3g} < {alpha:.3g} at look "
                            f"{crit['look']}; confidence sequence [{good.loc[v, 'ci_lower']:.4g}, "
                            f"{good.loc[v, 'ci_upper']:.4g}]: stop the experiment", crit)
        if len(sig) == len(last):
            return Decision("keep_control", self.control, f"every challenger is significantly worse (always-valid "
                            f"p < {alpha:.3g}): stop the experiment", crit)
        return Decision("continue", None, f"no challenger has an always-valid p-value below {alpha:.3g} yet; keep "
                        "collecting data (peeking is safe)", crit)

    def plot(self, ax=None):
        """Confidence sequence and fixed-horizon interval over the looks; returns the Axes."""
        ax = plotting.axes(ax, figsize=(6.5, 3.5))
        for i, (v, d) in enumerate(self._table.groupby("variant", sort=False)):
            c = plotting.color(i)
            ax.fill_between(d["n"], d["ci_lower"], d["ci_upper"], color=c, alpha=0.25,
                            label=f"{v}: {self.level:.0%} confidence sequence")
            ax.plot(d["n"], d["naive_lower"], ls=":", color=c)
            ax.plot(d["n"], d["naive_upper"], ls=":", color=c, label=f"{v}: fixed-horizon interval")
            ax.plot(d["n"], d["est"], color=c)
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xlabel("customers in the comparison")
        ax.set_ylabel(("relative" if self.relative else "absolute") + f" effect on {self.metric}")
        ax.legend(frameon=False, fontsize=8)
        return ax


def _stats_arms(data, group, look, metric):
    """Cumulative sufficient statistics per (look, variant) from a table of them."""
    require_frame(data)
    require_unique_columns(data)
    cols = ["n", "successes"] if metric == "proportion" else ["n", "mean", "sd"]
    require_columns(data, [group, look] + cols)
    require_numeric(data, cols)
    f = read_frame(data, group, cols, roles={c: "statistic column" for c in cols})
    lk = data[look]
    if lk.isna().any():
        raise InputError(f"look column {look!r} has missing values ({rows_text(data.index[lk.isna().to_numpy()])})")
    f[look] = lk.to_numpy()
    return f, cols


def sequential_test(data, *, group: str, look: str, value: str | None = None, metric: str = "mean", control=None,
                    relative: bool = False, n_star: float = 5000, level: float = 0.95,
                    higher_is_better: bool = True) -> SequentialResult:
    """Monitor an experiment at every look with always-valid p-values and confidence sequences.

    Parameters
    ----------
    data : DataFrame
        Either one row per customer with ``value`` and ``look`` (the look, a number or a date,
        at which the customer's outcome was first available: each look analyses everyone up
        to it), or, with ``value=None``, one row per look and variant of *cumulative*
        statistics: ``n, mean, sd`` (``metric="mean"``) or ``n, successes``
        (``metric="proportion"``).
    group, look : str
        Variant column and look column.
    metric : {"mean", "proportion", "nps", "rating"}
        How ``value`` is read (``"nps"``/``"rating"`` need customer rows).
    relative : bool
        Monitor the relative effect instead of the absolute one.
    n_star : float
        Customers (both arms) at which the confidence sequence is tightest; plan it near the
        expected final size.  Any choice keeps the error rate; it only moves the power.
    level : float
        1 - alpha, for the sequence and the always-valid p-value.

    Returns
    -------
    SequentialResult

    Raises
    ------
    InputError
        Looks out of order (cumulative counts falling), a look repeated for a variant, a
        variant missing at a look, missing or non-numeric statistics.
    """
    level = check_level(level)
    if isinstance(relative, (bool, np.bool_)) is False:
        raise InputError(f"relative must be True or False, got {relative!r}")
    if isinstance(n_star, bool) or not isinstance(n_star, (int, float)) or not np.isfinite(n_star) or n_star <= 0:
        raise InputError(f"n_star must be a positive number of customers, got {n_star!r}")
    alpha = 1 - level
    rows = []
    if value is not None:
        f = read_frame(data, group, [value], roles={value: "outcome"})
        lk = data[look] if look in data.columns else None
        if lk is None:
            raise InputError(f"data lacks the look column {look!r}")
        if lk.isna().any():
            raise InputError(f"look column {look!r} has missing values ({rows_text(data.index[lk.isna().to_numpy()])})")
        y, mname = per_respondent(f[value].to_numpy(), metric, value)
        try:
            looks = np.sort(lk.unique())
        except TypeError:
            raise InputError(f"look column {look!r} mixes types that cannot be ordered") from None
        lv = lk.to_numpy()
        g = f[group].to_numpy()
        variants = sorted(set(g))
        for t in looks:
            m = lv <= t
            arm = {}
            for v in variants:
                x = y[m & (g == v)]
                if x.size >= 2:
                    arm[v] = {"n": x.size, "mean": x.mean(), "var": x.var(ddof=1), "unadjusted": x.mean()}
            rows.append((t, arm))
    else:
        if metric not in ("mean", "proportion"):
            raise InputError("cumulative statistics take metric='mean' (n, mean, sd) or 'proportion' (n, successes); "
                             "NPS and ratings need one row per customer with value=")
        f, cols = _stats_arms(data, group, look, metric)
        mname = metric
        dup = f.duplicated([look, group])
        if dup.any():
            raise InputError(f"look and variant repeat in {int(dup.sum())} rows ({rows_text(data.index[dup.to_numpy()])}); "
                             "give one row of cumulative statistics per look and variant")
        variants = sorted(f[group].unique())
        try:
            f = f.sort_values(look, kind="stable")
        except TypeError:
            raise InputError(f"look column {look!r} mixes types that cannot be ordered") from None
        for v in variants:
            nn = f.loc[f[group] == v, ["n", look]]
            drop = np.flatnonzero(np.diff(nn["n"].to_numpy()) < 0)
            if len(drop):
                i = drop[0]
                raise InputError(f"looks out of order: n of variant {v!r} falls from {nn['n'].iloc[i]:g} at look "
                                 f"{nn[look].iloc[i]} to {nn['n'].iloc[i + 1]:g} at look {nn[look].iloc[i + 1]}; "
                                 "each row must hold cumulative statistics, growing with the look")
        for t, sub in f.groupby(look, sort=True):
            arm = {}
            for _, r in sub.iterrows():
                n = r["n"]
                if n < 2:
                    continue
                if metric == "proportion":
                    if r["successes"] > n or r["successes"] < 0:
                        raise InputError(f"variant {r[group]!r} has {r['successes']:g} successes of {n:g} at look {t!r}")
                    p = r["successes"] / n
                    arm[r[group]] = {"n": n, "mean": p, "var": p * (1 - p) * n / (n - 1), "unadjusted": p}
                else:
                    if r["sd"] < 0:
                        raise InputError(f"variant {r[group]!r} has a negative sd at look {t!r}")
                    arm[r[group]] = {"n": n, "mean": r["mean"], "var": r["sd"] ** 2, "unadjusted": r["mean"]}
            rows.append((t, arm))
    if len(variants) < 2:
        raise InputError(f"sequential_test compares variants and needs at least two; got {variants}")
    from ._checks import resolve_control
    ctrl = resolve_control(variants, control)
    out = []
    for t, arm in rows:
        if ctrl not in arm or len(arm) < 2 or any(a["var"] <= 0 for a in arm.values()):
            continue  # too early: an arm with fewer than two customers or no spread yet
        tab = compare_arms(pd.DataFrame(arm).T.astype(float), ctrl, level, welch=False)
        for v, r in tab.iterrows():
            est, se = (r["relative"], r["relative_se"]) if relative else (r["est"], r["se"])
            n = arm[v]["n"] + arm[ctrl]["n"]
            out.append({"look": t, "variant": v, "control": ctrl, "n": n, "est": est, "se": se})
    if not out:
        raise InputError("no look has at least two customers with spread in the control and a challenger")
    tab = pd.DataFrame(out)
    z = stats.norm.ppf(1 - alpha / 2)
    p_look, half = mixture_sequence(tab["est"], tab["se"] ** 2, tab["n"], alpha, n_star)
    tab["ci_lower"], tab["ci_upper"] = tab["est"] - half, tab["est"] + half
    tab["pvalue_look"] = p_look
    g = tab.groupby("variant", sort=False)
    tab["ci_lower"] = g["ci_lower"].cummax()
    tab["ci_upper"] = g["ci_upper"].cummin()
    tab["pvalue"] = g["pvalue_look"].cummin()
    tab["naive_lower"], tab["naive_upper"] = tab["est"] - z * tab["se"], tab["est"] + z * tab["se"]
    tab["naive_pvalue"] = 2 * stats.norm.sf(np.abs(tab["est"] / tab["se"]))
    tab["level"] = level
    prov = make_provenance("mixture SPRT (always-valid inference)", f,
                           {"metric": metric, "relative": relative, "n_star": n_star, "level": level, "control": ctrl})
    res = SequentialResult(tab, prov, level, ctrl, mname, n_star, relative, higher_is_better)
    if (tab["ci_lower"] > tab["ci_upper"]).any():
        res._flag("the running intersection of the confidence sequence became empty: the data do not look like one "
                  "stationary experiment (a changing effect or a broken assignment); check the looks")
    return res
