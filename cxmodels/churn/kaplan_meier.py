"""Kaplan-Meier retention curves, median tenure, retention tables and restricted mean
survival time, by customer group.

The product-limit estimator (Kaplan & Meier 1958)

    S(t) = prod_{t_i <= t} (1 - d_i / n_i)

with Greenwood's (1926) variance  Var log S(t) = sum_{t_i <= t} d_i / (n_i (n_i - d_i)).
Pointwise intervals follow R's ``survfit``: ``conf_type="log"`` (R's default,
exp(log S +- z se)), ``"log-log"`` (lifelines' default) or ``"plain"``.  The median and its
interval follow R's ``print.survfit`` (Brookmeyer & Crowley 1982): the first time the curve
(lower / upper band) reaches 0.5, with the midpoint rule where the curve is flat at 0.5.
The restricted mean survival time up to ``tau`` is the area under S(t) on [0, tau]
(Royston & Parmar 2013) with R's standard error.  Computed in numpy; checked against R's
``survival`` package and lifelines in tests/test_churn_parity.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import plotting
from .._results import Result
from .._validation import check_level
from ..errors import InputError
from ..provenance import make_provenance
from . import _rscript as R
from .checks import survival_frame
from .references import BROOKMEYER_CROWLEY, GREENWOOD, KAPLAN_MEIER, THERNEAU_SURVIVAL

_ALL = "all"


def _km_table(t: np.ndarray, e: np.ndarray, entry: np.ndarray | None = None) -> pd.DataFrame:
    """Product-limit table at each distinct time (events or censorings)."""
    times, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=e, minlength=len(times)).astype(float)
    tot = np.bincount(inv, minlength=len(times)).astype(float)
    c = tot - d
    n = np.cumsum(tot[::-1])[::-1]  # customers with t >= time
    if entry is not None:
        # at risk at u: t >= u and entry < u  (entry < t always), i.e. minus those with entry >= u
        n = n - (len(entry) - np.searchsorted(np.sort(entry), times, side="left"))
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n > 0, 1 - d / n, 1.0))
        g = np.cumsum(np.where((n - d) > 0, d / (n * (n - d)), 0.0))
    return pd.DataFrame({"time": times, "n_risk": n, "n_event": d, "n_censor": c, "survival": surv,
                         "greenwood": g})


def _bands(surv, greenwood, level, conf_type):
    z = stats.norm.ppf(0.5 + level / 2)
    se_log = np.sqrt(greenwood)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log":
            lo, hi = surv * np.exp(-z * se_log), surv * np.exp(z * se_log)
        elif conf_type == "log-log":
            ll = np.log(-np.log(surv))
            s = se_log / np.abs(np.log(surv))
            lo, hi = np.exp(-np.exp(ll + z * s)), np.exp(-np.exp(ll - z * s))
        elif conf_type == "plain":
            lo, hi = surv - z * se_log * surv, surv + z * se_log * surv
        else:
            raise InputError(f"conf_type must be 'log', 'log-log' or 'plain', got {conf_type!r}")
    # once the curve reaches 0 the band is undefined (Greenwood's variance is infinite): NA, as R's survfit
    lo = np.where(surv > 0, np.clip(lo, 0, 1), np.nan)
    hi = np.where(surv > 0, np.clip(hi, 0, 1), np.nan)
    return lo, hi


def _quantile_time(times, curve, p=0.5, tol=1e-10):
    """First time ``curve <= p``; midpoint with the next time if the curve sits at p (R's rule)."""
    curve = np.asarray(curve)
    idx = np.nonzero(curve <= p + tol)[0]
    if len(idx) == 0:
        return np.nan
    i = idx[0]
    if abs(curve[i] - p) < tol:
        later = np.nonzero(curve < p - tol)[0]
        if len(later):
            return 0.5 * (times[i] + times[later[0]])
    return float(times[i])


def _rmst(tab: pd.DataFrame, tau: float) -> tuple[float, float]:
    """Area under the step function S on [0, tau] and R's (survfit) standard error."""
    t, s = tab["time"].to_numpy(), tab["survival"].to_numpy()
    keep = t <= tau
    t_k, s_k = t[keep], s[keep]
    knots = np.concatenate([[0.0], t_k, [tau]])
    heights = np.concatenate([[1.0], s_k])
    widths = np.diff(knots)
    area = float(np.sum(heights * widths))
    # area beyond each event time up to tau, used by Greenwood-type variance
    seg = heights * widths
    after = np.cumsum(seg[::-1])[::-1][1:]  # area from t_k[j] to tau
    d, n = tab["n_event"].to_numpy()[keep], tab["n_risk"].to_numpy()[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where((n - d) > 0, after ** 2 * d / (n * (n - d)), 0.0)
    return area, float(np.sqrt(term.sum()))


class KaplanMeierResult(Result):
    """Kaplan-Meier curves, one per group (``"all"`` when ungrouped).

    ``summary()`` is the tidy curve table (group, time, n_risk, n_event, n_censor, survival,
    ci_lower, ci_upper); ``params`` is the median survival per group.
    """

    _references = (KAPLAN_MEIER, GREENWOOD, BROOKMEYER_CROWLEY, THERNEAU_SURVIVAL)

    def __init__(self, table, data_n, duration, event, group, entry, level, conf_type, provenance):
        self._table = table
        self._provenance = provenance
        self._warnings = []
        self.duration, self.event, self.group, self.entry = duration, event, group, entry
        self.level, self.conf_type = level, conf_type
        self.groups = list(pd.unique(table["group"]))
        self.nobs = data_n

    def _curve(self, g) -> pd.DataFrame:
        return self._table[self._table["group"] == g]

    @property
    def params(self) -> pd.Series:
        return self.median_survival()

    def median_survival(self, intervals: bool = False):
        """Median tenure per group (NaN when the curve never reaches 0.5).

        Returns a Series indexed by group; with ``intervals=True`` a DataFrame with columns n,
        events, median, ci_lower, ci_upper (Brookmeyer-Crowley interval, as R prints it).
        """
        rows = []
        for g in self.groups:
            c = self._curve(g)
            t = c["time"].to_numpy()
            rows.append({"group": g, "n": int(c["n_event"].sum() + c["n_censor"].sum()),
                         "events": int(c["n_event"].sum()),
                         "median": _quantile_time(t, c["survival"].to_numpy()),
                         "ci_lower": _quantile_time(t, c["ci_lower"].to_numpy()),
                         "ci_upper": _quantile_time(t, c["ci_upper"].to_numpy())})
        out = pd.DataFrame(rows).set_index("group")
        return out if intervals else out["median"]

    def survival_at(self, times) -> pd.DataFrame:
        """Survival (retention) probability and interval at ``times``, per group.

        Long table: group, time, survival, ci_lower, ci_upper, n_risk (customers still at
        risk just before ``time``).  Times beyond a group's last observation get NaN.
        """
        times = np.atleast_1d(np.asarray(times, float))
        rows = []
        for g in self.groups:
            c = self._curve(g)
            t = c["time"].to_numpy()
            for u in times:
                i = np.searchsorted(t, u, side="right") - 1
                after = np.searchsorted(t, u, side="left")
                n_risk = float(c["n_risk"].iloc[after]) if after < len(t) else 0.0
                if u > t[-1]:
                    s = lo = hi = np.nan if c["survival"].iloc[-1] > 0 else 0.0
                elif i < 0:
                    s, lo, hi = 1.0, 1.0, 1.0
                else:
                    s, lo, hi = (float(c[k].iloc[i]) for k in ("survival", "ci_lower", "ci_upper"))
                rows.append({"group": g, "time": u, "survival": s, "ci_lower": lo, "ci_upper": hi,
                             "n_risk": n_risk})
        return pd.DataFrame(rows)

    def retention_table(self, horizons) -> pd.DataFrame:
        """Wide retention table: rows are groups, columns the horizons (percent retained)."""
        sa = self.survival_at(horizons)
        return sa.pivot(index="group", columns="time", values="survival").reindex(self.groups) * 100

    def rmst(self, tau: float) -> pd.DataFrame:
        """Restricted mean survival time up to ``tau`` per group: mean tenure within the
        first ``tau`` time units, with R's standard error and a Wald interval."""
        z = stats.norm.ppf(0.5 + self.level / 2)
        rows = []
        for g in self.groups:
            a, se = _rmst(self._curve(g), float(tau))
            rows.append({"group": g, "tau": float(tau), "rmst": a, "se": se,
                         "ci_lower": a - z * se, "ci_upper": a + z * se})
        return pd.DataFrame(rows).set_index("group")

    def plot(self, ax=None, *, at_risk: bool = True, at_risk_times=None, bands: bool = True):
        """Step curves with confidence bands and, below the axis, the number at risk; returns the Axes."""
        ax = plotting.axes(ax, figsize=(7, 4.2 + (0.3 * (len(self.groups) + 1) if at_risk else 0)))
        for i, g in enumerate(self.groups):
            c = self._curve(g)
            t = np.concatenate([[0.0], c["time"].to_numpy()])
            s = np.concatenate([[1.0], c["survival"].to_numpy()])
            line, = ax.step(t, s, where="post", label=str(g), color=plotting.color(i))
            if bands:
                lo = np.concatenate([[1.0], np.nan_to_num(c["ci_lower"].to_numpy(), nan=0.0)])
                hi = np.concatenate([[1.0], np.nan_to_num(c["ci_upper"].to_numpy(), nan=0.0)])
                ax.fill_between(t, lo, hi, step="post", alpha=plotting.BAND_ALPHA, color=line.get_color())
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(f"tenure ({self.duration})")
        ax.set_ylabel("share still a customer")
        if len(self.groups) > 1:
            ax.legend(title=str(self.group))
        if at_risk:
            if at_risk_times is None:
                at_risk_times = [x for x in ax.get_xticks() if 0 <= x <= self._table["time"].max()]
            sa = self.survival_at(at_risk_times)
            ax.set_xticks(at_risk_times)
            trans = ax.get_xaxis_transform()  # x in data units, y in axes fraction
            ax.text(-0.02, -0.2, "at risk", transform=ax.transAxes, ha="right", va="top", fontsize=8,
                    weight="bold")
            for i, g in enumerate(self.groups):
                y = -0.2 - 0.07 * (i + 1)
                ax.text(-0.02, y, str(g), transform=ax.transAxes, ha="right", va="top", fontsize=8)
                n = sa[sa["group"] == g]["n_risk"].astype(int).tolist()
                for x, v in zip(at_risk_times, n):
                    ax.text(x, y, f"{v}", transform=trans, ha="center", va="top", fontsize=8)
            ax.figure.subplots_adjust(bottom=0.2 + 0.07 * (len(self.groups) + 1), left=0.15)
        return ax

    def to_r(self, data_path: str = "data.csv") -> str:
        """A runnable R script that re-fits these curves with ``survival::survfit`` (same
        ``conf.type`` and level) on the CSV at ``data_path`` and prints the medians with their
        intervals, the cxmodels numbers in comments at the top."""
        med = self.median_survival(intervals=True).reset_index()
        med["group"] = med["group"].astype(str)
        expected = med.rename(columns={"ci_lower": "lower", "ci_upper": "upper"})
        rhs = R.q(self.group) if self.group is not None else "1"
        conf = {"log": "log", "log-log": "log-log", "plain": "plain"}[self.conf_type]
        lines = [R.header("churn.kaplan_meier", data_path, expected, self._provenance),
                 f"fit <- survfit({R.surv(self.duration, self.event, self.entry)} ~ {rhs}, data = d, "
                 f"conf.type = {R.s(conf)}, conf.int = {self.level!r})",
                 "print(fit)",
                 "tab <- summary(fit)$table",
                 "if (is.null(dim(tab))) tab <- t(as.matrix(tab))  # ungrouped: one row",
                 "grp <- if (is.null(fit$strata)) \"all\" else sub(\"^[^=]*=\", \"\", names(fit$strata))",
                 R.footer('data.frame(group = grp, n = tab[, "records"], events = tab[, "events"], '
                          'median = tab[, "median"], lower = tab[, grep("LCL$", colnames(tab))], '
                          'upper = tab[, grep("UCL$", colnames(tab))])')]
        return "\n".join(lines)

    def methods_text(self) -> str:
        return (f"Retention curves were estimated with the Kaplan-Meier product-limit estimator "
                f"({KAPLAN_MEIER.cite}) on {self.nobs} customers, treating customers still active at the end of "
                f"the observation window as right-censored; {self.level:.0%} pointwise intervals use "
                f"Greenwood's variance ({GREENWOOD.cite}) on the {self.conf_type} scale, and median tenures "
                f"their intervals by {BROOKMEYER_CROWLEY.cite}, as in R's survival package "
                f"({THERNEAU_SURVIVAL.cite}), against which cxmodels is tested.")


def kaplan_meier(data: pd.DataFrame, duration: str, event: str, group: str | None = None, *,
                 entry: str | None = None, level: float = 0.95, conf_type: str = "log") -> KaplanMeierResult:
    """Kaplan-Meier retention curves, overall or by group.

    Parameters
    ----------
    data : DataFrame
        One row per customer; not modified.
    duration : str
        Tenure column (> 0).
    event : str
        Churn column: 1 = churned, 0 = still active (censored).  Required: if every
        customer churned, pass a column of ones (``data.assign(churned=1)``, ``event="churned"``).
    group : str, optional
        Group column (segment, plan, channel); one curve per level.
    entry : str, optional
        Left-truncation column: the tenure at which the customer entered observation.
    level : float
        Confidence level of the pointwise bands and median intervals.
    conf_type : {"log", "log-log", "plain"}
        Scale of the bands (R's default ``"log"``; lifelines uses ``"log-log"``).

    Returns
    -------
    KaplanMeierResult
        ``.median_survival()``, ``.survival_at(times)``, ``.retention_table(horizons)``,
        ``.rmst(tau)``, ``.plot()``, ``.summary()``, ``.to_r()``.

    References
    ----------
    Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from incomplete observations.
    JASA 53(282), 457-481.  Greenwood, M. (1926). The natural duration of cancer.  Brookmeyer,
    R., & Crowley, J. (1982). A confidence interval for the median survival time. Biometrics 38, 29-41.
    """
    level = check_level(level)
    if conf_type not in ("log", "log-log", "plain"):
        raise InputError(f"conf_type must be 'log', 'log-log' or 'plain', got {conf_type!r}")
    d = survival_frame(data, duration, event, group=group, entry=entry, fn="kaplan_meier")
    t = d[duration].to_numpy(float)
    e = d[event].to_numpy(int)
    ent = d[entry].to_numpy(float) if entry is not None else None
    if group is None:
        keys = [(_ALL, np.ones(len(d), bool))]
    else:
        labels = d[group]
        levels = sorted(pd.unique(labels), key=lambda x: (str(type(x)), x))
        keys = [(g, (labels == g).to_numpy()) for g in levels]
    parts = []
    for g, m in keys:
        tab = _km_table(t[m], e[m], None if ent is None else ent[m])
        lo, hi = _bands(tab["survival"].to_numpy(), tab["greenwood"].to_numpy(), level, conf_type)
        tab["ci_lower"], tab["ci_upper"] = lo, hi
        tab.insert(0, "group", g)
        parts.append(tab.drop(columns="greenwood"))
    table = pd.concat(parts, ignore_index=True)
    prov = make_provenance("churn.kaplan_meier", d, {"duration": duration, "event": event, "group": group,
                                                     "entry": entry, "level": level, "conf_type": conf_type})
    return KaplanMeierResult(table, len(d), duration, event, group, entry, level, conf_type, prov)


def rmst(data: pd.DataFrame, duration: str, event: str, tau: float, group: str | None = None, *,
         level: float = 0.95) -> pd.DataFrame:
    """Restricted mean survival time up to ``tau``: expected tenure within the first ``tau``
    units, per group, with standard error and interval; with two groups, the difference
    (second minus first) is added as a row ``"difference"``.

    RMST = integral_0^tau S(t) dt (Royston & Parmar 2013, BMC Med Res Methodol 13:152).
    """
    try:
        tau = float(tau)
    except (TypeError, ValueError):
        raise InputError(f"tau must be a positive number of time units, got {tau!r}") from None
    if not (np.isfinite(tau) and tau > 0):
        raise InputError(f"tau must be a positive, finite number of time units, got {tau!r}")
    km = kaplan_meier(data, duration, event, group, level=level)
    out = km.rmst(tau)
    if group is not None and len(out) == 2:
        z = stats.norm.ppf(0.5 + level / 2)
        a, b = out.iloc[0], out.iloc[1]
        diff, se = b["rmst"] - a["rmst"], float(np.hypot(a["se"], b["se"]))
        out.loc["difference"] = [float(tau), diff, se, diff - z * se, diff + z * se]
    return out
