r"""Early warning of churn: who to contact, how good the warning is, and the practitioners' rules.

* :func:`early_warning` evaluates a risk score (any model's probability of churn within a
  horizon: :func:`cxmodels.churn.churn_risk`, :meth:`MLSurvivalResult.predict_risk`, a
  BG/NBD 1 - P(alive), or a 0/1 rule trigger) on customers active at a snapshot whose
  outcome over the horizon is known: the gains and lift table by risk decile (top-decile lift,
  Neslin et al. 2006), precision, recall, F1 and false-alarm rate at the cutoff that a contact
  budget allows (Wilson intervals), and an alert list (customer ids, risk, top reasons) that
  is only returned by :meth:`EarlyWarningResult.alerts`: ``summary()``, ``repr`` and
  ``methods_text()`` never hold a customer id, so a report never prints one unless asked.
* :func:`gap_rule`: the rule "no purchase in ``factor`` times the customer's usual gap"
  (median inter-purchase gap) at a snapshot date; :func:`recency_rule`: the RFM rule "a
  customer whose recency is in the worst ``share`` of the base".
* :func:`compare_warnings`: several signals (model risks and rules) on the same holdout, at
  the same contact budget: which catches more churners, at what false-alarm rate.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .. import plotting
from .._results import Decision, Result
from .._validation import check_level, require_columns, require_consistent_ids, require_finite, require_frame, \
    require_no_missing, require_numeric, rows_text
from ..errors import ImproperSolutionWarning, InputError
from ..provenance import make_provenance
from .checks import check_event, require_single_columns
from .references import NESLIN

__all__ = ["early_warning", "compare_warnings", "gap_rule", "recency_rule", "EarlyWarningResult"]


def _wilson(k, n, level):
    if n == 0:
        return np.nan, np.nan
    z = stats.norm.ppf(0.5 + level / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _outcome(data, duration, event, horizon, fn):
    """Churned within ``horizon`` (1), still a customer at ``horizon`` (0); customers followed for
    less than the horizon without churning have no known outcome (returned as a mask)."""
    if isinstance(horizon, bool) or not isinstance(horizon, (int, float, np.integer, np.floating)) \
            or not np.isfinite(horizon) or horizon <= 0:
        raise InputError(f"horizon must be a number > 0, got {horizon!r}")
    require_numeric(data, [duration])
    require_no_missing(data, [duration])
    require_finite(data, [duration])
    check_event(data, event)
    t, e = data[duration].to_numpy(float), data[event].to_numpy(int)
    if np.any(t < 0):
        raise InputError(f"column {duration!r} has negative follow-up times ({rows_text(data.index[t < 0])})")
    y = ((e == 1) & (t <= horizon)).astype(int)
    known = (t >= horizon) | (y == 1)
    if not known.any() or t.max() < horizon:
        raise InputError(f"{fn}(): horizon {horizon:g} is beyond follow-up (the longest follow-up in {duration!r} is "
                         f"{t.max():g}); no customer's outcome over the horizon is known")
    return y, known


class EarlyWarningResult(Result):
    """A churn warning evaluated on a holdout.

    ``summary()``: the gains/lift table by risk decile (decile 1 = highest risk): n,
    churners, churn_rate, lift, cumulative share of churners captured (gains), cumulative
    lift; ``params``: precision, recall, f1, false_alarm_rate, top_decile_lift, auc and the
    cutoff; ``at_cutoff``: the same with Wilson intervals; ``alerts()`` the contact list
    (ids only there); ``decide()`` whom to contact.
    """

    _references = (NESLIN,)

    def __init__(self, table, metrics, alerts, *, risk, customer, budget, horizon, nobs, n_unknown, level, provenance):
        self._table, self.at_cutoff, self._alerts = table, metrics, alerts
        self.risk, self.customer, self.budget, self.horizon = risk, customer, budget, horizon
        self.nobs, self.n_unknown, self.level = nobs, n_unknown, level
        self._provenance = provenance
        self._warnings = []

    @property
    def params(self) -> pd.Series:
        return self.at_cutoff["est"].copy()

    def alerts(self, top: int | None = None) -> pd.DataFrame:
        """The contact list: customer, risk, rank and top reasons, highest risk first (a copy).

        Customer ids appear only here, never in ``summary()``, ``repr`` or the methods text."""
        a = self._alerts.copy()
        if top is not None:
            if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
                raise InputError(f"top must be a whole number >= 1, got {top!r}")
            a = a.head(int(top))
        return a

    def __repr__(self) -> str:
        p = self.params
        return (f"<EarlyWarningResult: {len(self._alerts)} alerts of {self.nobs} customers, precision "
                f"{p['precision']:.2f}, recall {p['recall']:.2f}>")

    def decide(self) -> Decision:
        p = self.params
        base = self.at_cutoff.loc["base_rate", "est"]
        if p["precision"] <= base:
            return Decision("hold", None, f"contacting the {len(self._alerts)} highest-risk customers finds "
                            f"churners no more often ({p['precision']:.1%}) than contacting at random ({base:.1%}); the score "
                            "does not earn the budget", {"precision": p["precision"], "base_rate": base})
        return Decision("contact", None, f"contact the {len(self._alerts)} highest-risk customers: "
                        f"{p['precision']:.1%} of them churn within {self.horizon:g} without action (base rate {base:.1%}), and they hold "
                        f"{p['recall']:.1%} of all churners", {k: float(v) for k, v in p.items()})

    def plot(self, ax=None):
        """Cumulative gains chart: share of churners captured against share of customers
        contacted, with the random line; returns the Axes."""
        t = self._table
        ax = plotting.axes(ax, figsize=(5, 4.5))
        x = np.concatenate([[0], t["cum_customers"] / t["n"].sum()])
        ax.plot(x, np.concatenate([[0], t["gains"]]), "o-", color=plotting.color(0), label=self.risk)
        ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="random")
        ax.axvline(len(self._alerts) / self.nobs, color=plotting.color(1), ls=":", label="contact budget")
        ax.set_xlabel("share of customers contacted (highest risk first)")
        ax.set_ylabel("share of churners captured")
        ax.legend()
        return ax

    def methods_text(self) -> str:
        p = self.params
        return (f"The churn warning {self.risk!r} was evaluated on {self.nobs} customers active at the snapshot whose "
                f"outcome over {self.horizon:g} time units was known ({self.n_unknown} followed for less without "
                f"churning were excluded). Customers were ranked by risk; with a contact budget of "
                f"{len(self._alerts)} customers, precision was {p['precision']:.3f}, recall {p['recall']:.3f}, F1 "
                f"{p['f1']:.3f} and the false-alarm rate {p['false_alarm_rate']:.3f} ({self.level:.0%} Wilson "
                f"intervals in the table); top-decile lift, the measure of {NESLIN.cite}, was "
                f"{p['top_decile_lift']:.2f}.")


def _budget(budget, n):
    if budget is None:
        raise InputError("budget= is required: the number of customers that can be contacted (an int) or a share "
                         "of the base (a number between 0 and 1)")
    if isinstance(budget, bool) or not isinstance(budget, (int, float, np.integer, np.floating)) or budget <= 0:
        raise InputError(f"budget must be a whole number >= 1 or a share in (0, 1), got {budget!r}")
    if isinstance(budget, (float, np.floating)) and budget < 1:
        return max(1, int(round(budget * n)))
    if float(budget) != int(budget):
        raise InputError(f"budget must be a whole number of customers or a share in (0, 1), got {budget!r}")
    return int(min(int(budget), n))


def early_warning(data: pd.DataFrame, risk: str, *, duration: str, event: str, horizon: float, budget,
                  customer: str | None = None, reasons=None, n_reasons: int = 3, level: float = 0.95
                  ) -> EarlyWarningResult:
    """Evaluate a churn warning on a holdout and list whom to contact.

    Parameters
    ----------
    data : DataFrame
        One row per customer active at the snapshot; not modified.
    risk : str
        Column of the warning score (probability of churn within ``horizon``, any score where
        higher means riskier, or a 0/1 rule trigger).
    duration : str
        Follow-up after the snapshot (time to churn or to the end of observation).
    event : str
        Churned (1) or still a customer at the end of follow-up (0).
    horizon : float
        The warning's horizon; churn within it is the outcome.  Customers followed for less than
        the horizon without churning have no known outcome and are excluded (counted).
    budget : int or float
        Customers that can be contacted: a number, or a share of the base in (0, 1).
    customer : str, optional
        Customer id column for the alert list (default: the row index).
    reasons : list of str, optional
        Columns holding each covariate's contribution to the risk (e.g. x_j * beta_j); the
        ``n_reasons`` largest positive ones become the alert's reasons.
    level : float
        Level of the Wilson intervals.

    Returns
    -------
    EarlyWarningResult

    References
    ----------
    Neslin, S. A., Gupta, S., Kamakura, W., Lu, J., & Mason, C. H. (2006). Defection detection.
    Journal of Marketing Research 43(2), 204-211.
    """
    level = check_level(level)
    require_frame(data)
    reasons = [] if reasons is None else ([reasons] if isinstance(reasons, str) else list(reasons))
    cols = [risk, duration, event] + ([customer] if customer else []) + reasons
    require_columns(data, cols)
    require_single_columns(data, cols)
    require_numeric(data, [risk] + reasons)
    require_no_missing(data, [risk] + reasons + ([customer] if customer else []))
    require_finite(data, [risk] + reasons)
    if customer:
        require_consistent_ids(data, customer)
        dup = data.index[data[customer].duplicated(keep=False)]
        if len(dup):
            raise InputError(f"column {customer!r} repeats customer ids ({rows_text(dup)}); one row per customer")
    if isinstance(n_reasons, bool) or not isinstance(n_reasons, (int, np.integer)) or n_reasons < 1:
        raise InputError(f"n_reasons must be a whole number >= 1, got {n_reasons!r}")
    y_all, known = _outcome(data, duration, event, horizon, "early_warning")
    d = data.loc[known]
    y = y_all[known]
    r = d[risk].to_numpy(float)
    n = len(d)
    if y.sum() == 0 or y.sum() == n:
        raise InputError(f"early_warning(): every one of the {n} customers with a known outcome "
                         f"{'churned' if y.sum() == n else 'stayed'} within the horizon; nothing to separate")
    k = _budget(budget, n)
    order = np.lexsort((np.arange(n), -r))        # highest risk first, ties in row order
    contacted = np.zeros(n, bool)
    contacted[order[:k]] = True
    tp = int((contacted & (y == 1)).sum())
    fp = k - tp
    prec, rec = tp / k, tp / y.sum()
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    far = fp / (n - y.sum())
    # gains and lift by decile of risk (decile 1 = the highest 10%)
    dec = np.empty(n, int)
    dec[order] = np.minimum(10, np.arange(n) * 10 // n + 1)
    g = pd.DataFrame({"decile": dec, "y": y}).groupby("decile")["y"]
    table = pd.DataFrame({"n": g.size(), "churners": g.sum()})
    table["churn_rate"] = table["churners"] / table["n"]
    base = y.mean()
    table["lift"] = table["churn_rate"] / base
    table["cum_customers"] = table["n"].cumsum()
    table["gains"] = table["churners"].cumsum() / y.sum()
    table["cum_lift"] = (table["churners"].cumsum() / table["cum_customers"]) / base
    from scipy.stats import rankdata

    ranks = rankdata(r)
    auc = (ranks[y == 1].sum() - y.sum() * (y.sum() + 1) / 2) / (y.sum() * (n - y.sum()))
    est = {"precision": prec, "recall": rec, "f1": f1, "false_alarm_rate": far,
           "top_decile_lift": float(table["lift"].iloc[0]), "auc": float(auc), "base_rate": float(base),
           "cutoff": float(r[order[k - 1]]), "contacted": float(k)}
    ints = {"precision": _wilson(tp, k, level), "recall": _wilson(tp, int(y.sum()), level),
            "false_alarm_rate": _wilson(fp, int(n - y.sum()), level), "base_rate": _wilson(int(y.sum()), n, level)}
    metrics = pd.DataFrame({"est": est, "ci_lower": {m: ints.get(m, (np.nan,))[0] for m in est},
                            "ci_upper": {m: ints.get(m, (np.nan, np.nan))[1] for m in est}})
    metrics.index.name = "metric"
    ids = d[customer].to_numpy() if customer else d.index.to_numpy()
    al = pd.DataFrame({"customer": ids[order[:k]], "risk": r[order[:k]], "rank": np.arange(1, k + 1)})
    if reasons:
        C = d[reasons].to_numpy(float)[order[:k]]
        top = np.argsort(-C, axis=1)[:, :n_reasons]
        al["reasons"] = [", ".join(reasons[j] for j in row if C[i, j] > 0) for i, row in enumerate(top)]
    ties = int(np.sum(r == est["cutoff"]))
    prov = make_provenance("churn.early_warning", d[[risk, duration, event] + reasons],
                           {"risk": risk, "duration": duration, "event": event, "horizon": horizon,
                            "budget": budget, "customer": customer, "reasons": reasons, "level": level})
    res = EarlyWarningResult(table, metrics, al, risk=risk, customer=customer, budget=budget, horizon=float(horizon),
                             nobs=n, n_unknown=int((~known).sum()), level=level, provenance=prov)
    if ties > 1 and int(np.sum(r[order[:k]] == est["cutoff"])) < ties:
        res._flag(f"{ties} customers share the cutoff risk {est['cutoff']:.4g}; the budget splits them by row order "
                  "(a 0/1 rule cannot rank within its alerts)", ImproperSolutionWarning, admissible=True)
    return res


def compare_warnings(data: pd.DataFrame, signals, *, duration: str, event: str, horizon: float, budget=None,
                     level: float = 0.95, history: pd.DataFrame | None = None, customer: str | None = None,
                     time: str = "time", false_alarm_rate: float | None = None, n_boot: int = 1000,
                     seed=None) -> pd.DataFrame:
    """Several warning signals on the same holdout: precision, recall, F1, false-alarm rate,
    top-decile lift and AUC of each; with ``history``, how early each catches the churners.

    ``signals``: column names of risk scores or 0/1 rule triggers.  With ``budget`` every
    signal contacts the same number of customers (a rule's alerts first, ties by row order);
    without it, a 0/1 rule contacts the customers it flags and a score the same number as the
    first rule (or the number of churners when there is no rule).  Returns one row per signal.

    **Lead time** (with ``history``): ``history`` holds the signals at repeated snapshots: one row per customer (``customer``,
    present in ``data`` too) and snapshot time (``time``, on the clock of ``duration``: 0 is the
    snapshot of ``data``, negative earlier, positive later monitoring), only while the customer
    is still a customer (time < ``duration``).  A history row is a *false alarm* when it is
    flagged and the customer does not churn within ``horizon`` after it.  Signals are compared
    at matched false-alarm rates: each 0/1 rule keeps its own; each score is flagged above the
    quantile of its values on the no-churn rows that gives ``false_alarm_rate`` (default: the
    first rule's rate, or 0.10 without a rule).  For every churner of the holdout (churned
    within ``horizon``) the lead time is churn time minus the first snapshot at which the
    signal flagged it; columns added: ``lead_false_alarm_rate`` (achieved), ``churners``,
    ``caught`` (flagged before churning), ``lead_median``, ``lead_q1``, ``lead_q3`` (over the
    caught churners) and ``lead_median_lower``/``lead_median_upper``, a percentile bootstrap
    interval at ``level`` resampling the churners (``n_boot`` replicates, ``seed``).  The
    bootstrap ignores the uncertainty of the matched threshold (estimated on many more
    no-churn rows).
    """
    level = check_level(level)
    require_frame(data)
    signals = [signals] if isinstance(signals, str) else list(signals)
    if not signals:
        raise InputError("compare_warnings() needs at least one signal column")
    require_columns(data, signals)
    require_numeric(data, signals)
    rules = [s for s in signals if set(pd.unique(data[s].dropna())) <= {0, 1}]
    y, known = _outcome(data, duration, event, horizon, "compare_warnings")
    rows = []
    for s in signals:
        b = budget
        if b is None:
            b = int(data.loc[known, s].sum()) if s in rules else (
                int(data.loc[known, rules[0]].sum()) if rules else int(y[known].sum()))
            b = max(b, 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImproperSolutionWarning)  # ties at a rule's cutoff are expected here
            res = early_warning(data, s, duration=duration, event=event, horizon=horizon, budget=b, level=level)
        rows.append({"signal": s, "kind": "rule" if s in rules else "score", **res.params.to_dict()})
    out = pd.DataFrame(rows).set_index("signal")
    if history is None:
        if customer is not None or false_alarm_rate is not None:
            raise InputError("customer= and false_alarm_rate= belong to the lead-time comparison: pass history= "
                             "(the signals at repeated snapshots) too")
        return out
    lead = _lead_times(data, history, signals, rules, customer=customer, time=time, duration=duration, event=event,
                       horizon=float(horizon), false_alarm_rate=false_alarm_rate, n_boot=n_boot, seed=seed,
                       level=level)
    return out.join(lead)


def _lead_times(data, history, signals, rules, *, customer, time, duration, event, horizon, false_alarm_rate,
                n_boot, seed, level):
    """Lead time of each signal over the churners of the holdout at matched false-alarm rates
    (see :func:`compare_warnings`)."""
    from .._stats import bootstrap_interval
    from .._validation import check_count, resolve_seed

    if customer is None:
        raise InputError("compare_warnings(history=...) needs customer=, the id column linking history to data")
    require_frame(history, "history")
    require_columns(data, [customer])
    require_columns(history, [customer, time] + signals, "history")
    require_single_columns(history, [customer, time] + signals, "history")
    require_no_missing(data, [customer])
    require_no_missing(history, [customer, time] + signals, "history")
    require_numeric(history, [time] + signals, "history")
    require_finite(history, [time] + signals, "history")
    require_consistent_ids(data, customer)
    require_consistent_ids(history, customer, "history")
    n_boot = check_count(n_boot, "n_boot", 1)
    if false_alarm_rate is not None and (isinstance(false_alarm_rate, bool)
                                         or not isinstance(false_alarm_rate, (int, float, np.floating))
                                         or not 0 < false_alarm_rate < 1):
        raise InputError(f"false_alarm_rate must be strictly between 0 and 1, got {false_alarm_rate!r}")
    dup = data.index[data[customer].duplicated(keep=False)]
    if len(dup):
        raise InputError(f"column {customer!r} of data repeats customer ids ({rows_text(dup)}); one row per customer")
    dup = history.index[history.duplicated([customer, time], keep=False)]
    if len(dup):
        raise InputError(f"history has more than one row per customer and {time!r} ({rows_text(dup)})")
    for s in rules:
        bad = history.index[~history[s].isin([0, 1])]
        if len(bad):
            raise InputError(f"rule {s!r} is 0/1 in data but not in history ({rows_text(bad)})")
    c = pd.Series(data[duration].to_numpy(float), index=data[customer].to_numpy())
    e = pd.Series(data[event].to_numpy(int), index=data[customer].to_numpy())
    ids = history[customer].to_numpy()
    missing = pd.Index(c.index).get_indexer(ids) < 0
    if missing.any():
        raise InputError(f"history has customers that are not in data ({rows_text(history.index[missing])}); their "
                         "outcome is unknown")
    t = history[time].to_numpy(float)
    ct, ev = c.reindex(ids).to_numpy(), e.reindex(ids).to_numpy()
    late = history.index[t >= ct]
    if len(late):
        raise InputError(f"history has rows at or after the customer's churn or end of follow-up in data "
                         f"({rows_text(late)}); a snapshot must fall while the customer is still a customer")
    negative = ct > t + horizon                       # no churn within the horizon after this snapshot
    if not negative.any():
        raise InputError("history has no snapshot followed by a horizon without churn; no false-alarm rate to match")
    if false_alarm_rate is None:
        false_alarm_rate = float(history.loc[negative, rules[0]].mean()) if rules else 0.10
        if not 0 < false_alarm_rate < 1:
            raise InputError(f"the rule {rules[0]!r} flags {'no' if false_alarm_rate == 0 else 'every'} no-churn "
                             "snapshot; give false_alarm_rate= to compare the signals")
    churners = c.index[(e.to_numpy() == 1) & (c.to_numpy() <= horizon)]
    if len(churners) == 0:
        raise InputError("no customer of data churned within the horizon; no lead time to measure")
    rng, _ = resolve_seed(seed)
    boot_idx = rng.integers(0, len(churners), size=(n_boot, len(churners)))
    rows = []
    for s in signals:
        v = history[s].to_numpy(float)
        if s in rules:
            flag = v == 1
        else:
            flag = v > np.quantile(v[negative], 1 - false_alarm_rate)
        first = pd.Series(t[flag], index=ids[flag]).groupby(level=0).min()
        lead = c.reindex(churners).to_numpy() - first.reindex(churners).to_numpy()   # NaN: never flagged
        caught = ~np.isnan(lead)
        q = np.quantile(lead[caught], [0.25, 0.5, 0.75]) if caught.any() else np.full(3, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)     # a resample with no caught churner: NaN, dropped
            draws = np.nanmedian(lead[boot_idx], axis=1)[:, None]
            lo, hi = bootstrap_interval(draws, np.array([q[1]]), level, "percentile")
        rows.append({"signal": s, "lead_false_alarm_rate": float(flag[negative].mean()), "churners": len(churners),
                     "caught": int(caught.sum()), "lead_median": q[1], "lead_q1": q[0], "lead_q3": q[2],
                     "lead_median_lower": float(lo[0]), "lead_median_upper": float(hi[0])})
    return pd.DataFrame(rows).set_index("signal")


def _purchases(data, customer, date, as_of):
    require_frame(data)
    require_columns(data, [customer, date])
    require_single_columns(data, [customer, date])
    require_no_missing(data, [customer, date])
    require_consistent_ids(data, customer)
    if not pd.api.types.is_datetime64_any_dtype(data[date]):
        raise InputError(f"column {date!r} must hold datetimes (parse it with pd.to_datetime and an explicit "
                         f"format first; ambiguous dates are refused), has dtype {data[date].dtype}")
    try:
        as_of = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        raise InputError(f"as_of must be a date, got {as_of!r}") from None
    d = data.loc[data[date] <= as_of, [customer, date]].sort_values([customer, date])
    if d.empty:
        raise InputError(f"no purchases on or before as_of={as_of.date()}")
    return d, as_of


def gap_rule(data: pd.DataFrame, customer: str, date: str, *, as_of, factor: float = 1.5,
             min_purchases: int = 3) -> pd.DataFrame:
    """The practitioners' rule "no purchase in ``factor`` x the customer's usual gap".

    For each customer with at least ``min_purchases`` purchases on or before ``as_of``: the
    usual gap (median days between purchases), days since the last purchase, and
    ``triggered`` (1 when days since > factor x usual gap).  Customers with fewer purchases have
    no usual gap: ``triggered`` is 0 and ``usual_gap`` NaN (they are listed, not guessed).
    """
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor > 0:
        raise InputError(f"factor must be a number > 0, got {factor!r}")
    if isinstance(min_purchases, bool) or not isinstance(min_purchases, (int, np.integer)) or min_purchases < 2:
        raise InputError(f"min_purchases must be a whole number >= 2, got {min_purchases!r}")
    d, as_of = _purchases(data, customer, date, as_of)
    gaps = d.groupby(customer, observed=True)[date].diff().dt.total_seconds() / 86400
    g = pd.DataFrame({"customer": d[customer], "gap": gaps, "date": d[date]}).groupby("customer", sort=True,
                                                                                      observed=True)
    out = pd.DataFrame({"purchases": g.size(), "last_purchase": g["date"].max(), "usual_gap": g["gap"].median()})
    out.loc[out["purchases"] < min_purchases, "usual_gap"] = np.nan
    out["days_since"] = (as_of - out["last_purchase"]).dt.total_seconds() / 86400
    out["threshold"] = factor * out["usual_gap"]
    out["triggered"] = (out["days_since"] > out["threshold"]).astype(int)
    out.index.name = customer
    return out


def recency_rule(data: pd.DataFrame, customer: str, date: str, *, as_of, share: float = 0.2) -> pd.DataFrame:
    """The RFM rule "recency in the worst ``share`` of the base": ``triggered`` is 1 for the
    customers whose days since last purchase are above the (1 - share) quantile."""
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1:
        raise InputError(f"share must be strictly between 0 and 1, got {share!r}")
    d, as_of = _purchases(data, customer, date, as_of)
    g = d.groupby(customer, sort=True, observed=True)[date]
    out = pd.DataFrame({"purchases": g.size(), "last_purchase": g.max()})
    out["days_since"] = (as_of - out["last_purchase"]).dt.total_seconds() / 86400
    out["triggered"] = (out["days_since"] > out["days_since"].quantile(1 - share)).astype(int)
    out.index.name = customer
    return out
