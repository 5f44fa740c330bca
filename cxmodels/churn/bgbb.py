r"""Beta-geometric/beta-Bernoulli (BG/BB) model of repeat transactions in a discrete-time
noncontractual setting (Fader, Hardie & Shang 2010): yearly donations, annual events,
any business where a customer can transact at most once per period and leaves unannounced.

While alive, a customer transacts in each period with probability p; at the start of each
period after the first she dies with probability theta.  Across customers
p ~ Beta(alpha, beta) and theta ~ Beta(gamma, delta), independently.  With x repeat
transactions in n opportunities, the last in period t_x (0 when x = 0), the likelihood is
(FHS 2010, eq. 5)

    L(alpha, beta, gamma, delta | x, t_x, n)
        = B(alpha + x, beta + n - x) / B(alpha, beta) * B(gamma, delta + n) / B(gamma, delta)
        + sum_{i=0}^{n - t_x - 1} B(alpha + x, beta + t_x - x + i) / B(alpha, beta)
                                  * B(gamma + 1, delta + t_x + i) / B(gamma, delta).

The probability of being alive in period n + m (eq. 11 with m = 1), the expected number of
transactions in the next n* periods (eq. 13) and the discounted expected residual
transactions (DERT, eq. 15) follow in closed form:

    P(alive at n + m) = B(alpha + x, beta + n - x) / B(alpha, beta)
                        * B(gamma, delta + n + m) / B(gamma, delta) / L,
    E[X(n, n + n*)] = B(alpha + x + 1, beta + n - x) / B(alpha, beta) / L
                      * delta / (gamma - 1) * Gamma(gamma + delta) / Gamma(1 + delta)
                      * [Gamma(1 + delta + n) / Gamma(gamma + delta + n)
                         - Gamma(1 + delta + n + n*) / Gamma(gamma + delta + n + n*)],
    DERT(d) = B(alpha + x + 1, beta + n - x) / B(alpha, beta)
              * B(gamma, delta + n + 1) / (B(gamma, delta) (1 + d))
              * 2F1(1, delta + n + 1; gamma + delta + n + 1; 1 / (1 + d)) / L.

References
----------
Fader, P. S., Hardie, B. G. S., & Shang, J. (2010). Customer-base analysis in a
discrete-time noncontractual setting. Marketing Science 29(6), 1086-1108.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from .. import plotting
from .._numerics import hessian, safe_inverse
from .._results import Result
from .._validation import check_level, require_columns, require_finite, require_frame, require_no_missing, \
    require_numeric, rows_text
from ..errors import ConvergenceWarning, ImproperSolutionWarning, InputError
from ..provenance import make_provenance
from . import references as R
from .checks import require_single_columns

__all__ = ["fit_bgbb", "BGBBResult"]

# The work this model implements.  (Kept here while the domain's references.py is not ours to
# edit; it is the same structured Reference object that methods_text cites.)
PARAMS = ("alpha", "beta", "gamma", "delta")


def _loglik_rows(p, x, tx, n):
    """log L of each (x, t_x, n) row (eq. 5), summed with logsumexp so long histories stay finite."""
    a, b, g, d = p
    base = -special.betaln(a, b) - special.betaln(g, d)
    first = special.betaln(a + x, b + n - x) + special.betaln(g, d + n) + base
    m = (n - tx).astype(int)
    top = int(m.max()) if m.size else 0
    if top == 0:
        return first
    i = np.arange(top)[None, :]
    with np.errstate(invalid="ignore"):
        terms = (special.betaln(a + x[:, None], b + tx[:, None] - x[:, None] + i)
                 + special.betaln(g + 1, d + tx[:, None] + i) + base)
    terms = np.where(i < m[:, None], terms, -np.inf)
    return np.logaddexp(first, special.logsumexp(terms, axis=1))


def _rows(data, frequency, recency, n_periods, weights):
    """Checked (x, t_x, n, w) arrays from the caller's frame (not modified)."""
    require_frame(data)
    cols = [frequency, recency, n_periods] + ([weights] if weights is not None else [])
    require_columns(data, cols)
    require_single_columns(data, cols)
    twice = sorted({c for c in cols if cols.count(c) > 1}, key=str)
    if twice:
        raise InputError(f"column(s) {twice} are named in more than one role")
    if len(data) == 0:
        raise InputError("data has no rows")
    require_numeric(data, cols)
    require_no_missing(data, cols)
    require_finite(data, cols)
    arr = {c: data[c].to_numpy(dtype=float) for c in cols}
    for c in cols:
        bad = data.index[(arr[c] < 0) | (np.mod(arr[c], 1) != 0)]
        if len(bad):
            raise InputError(f"column {c!r} must hold whole numbers >= 0 ({len(bad)} rows do not: {rows_text(bad)})")
    x, tx, n = arr[frequency], arr[recency], arr[n_periods]
    w = arr[weights] if weights is not None else np.ones(len(x))
    checks = [(n < 1, f"{n_periods!r} (transaction opportunities) must be >= 1"),
              (x > n, f"{frequency!r} exceeds {n_periods!r} (at most one transaction per period)"),
              (tx > n, f"{recency!r} exceeds {n_periods!r}"),
              ((x == 0) & (tx != 0), f"{recency!r} must be 0 when {frequency!r} is 0"),
              ((x > 0) & (tx < x), f"{recency!r} (period of the last transaction) is below {frequency!r}")]
    for bad, what in checks:
        if bad.any():
            raise InputError(f"{what}: {rows_text(data.index[bad])}; BG/BB data are (frequency = repeat "
                             "transactions, recency = period of the last one, n_periods = opportunities)")
    if w.sum() <= 0:
        raise InputError(f"column {weights!r} (counts of customers) sums to 0; nothing to fit")
    # identical histories enter the likelihood once, weighted by how many customers share them
    key = pd.DataFrame({"x": x, "tx": tx, "n": n, "w": w}).groupby(["x", "tx", "n"], sort=True)["w"].sum()
    key = key[key > 0]
    idx = key.index.to_frame(index=False)
    return idx["x"].to_numpy(), idx["tx"].to_numpy(), idx["n"].to_numpy(), key.to_numpy(float)


class BGBBResult(Result):
    """A BG/BB fit (Fader, Hardie & Shang 2010).

    ``summary()``: alpha, beta, gamma, delta with est, se (delta method on the log scale) and
    Wald intervals on the log scale; ``params``; ``log_likelihood``; ``.p_alive(data)``,
    ``.expected_transactions(data, periods)``, ``.dert(data, discount_rate)`` per customer
    history; ``.expected_frequency(n)``; ``.frequency_table()`` observed vs expected counts of
    repeat transactions; ``plot()`` that comparison.
    """

    _references = (R.FADER_HARDIE_SHANG,)

    def __init__(self, rows, logp, cov, loglik, table, level, columns, provenance):
        self._x, self._tx, self._n, self._w = rows
        self.logparams, self.cov_logparams = logp, cov
        self.alpha, self.beta, self.gamma, self.delta = (float(v) for v in np.exp(logp))
        self.log_likelihood = loglik
        self.level, self.columns = level, columns
        self.n_customers = float(self._w.sum())
        self._table, self._provenance, self._warnings = table, provenance, []

    @property
    def _p(self):
        return (self.alpha, self.beta, self.gamma, self.delta)

    def _histories(self, data):
        """(x, t_x, n) of the rows of ``data`` (default: the fitted distinct histories)."""
        if data is None:
            return self._x, self._tx, self._n
        f, r, n = self.columns
        x, tx, nn, _ = _rows_unsorted(data, f, r, n)
        return x, tx, nn

    def p_alive(self, data=None, *, periods_ahead: int = 1) -> np.ndarray:
        """P(alive in period n + ``periods_ahead``) for each row of ``data`` (eq. 11; default: the
        fitted distinct histories, in ``frequency_table`` order)."""
        k = _whole(periods_ahead, "periods_ahead", 1)
        x, tx, n = self._histories(data)
        a, b, g, d = self._p
        lp = (special.betaln(a + x, b + n - x) - special.betaln(a, b)
              + special.betaln(g, d + n + k) - special.betaln(g, d))
        return np.exp(lp - _loglik_rows(self._p, x, tx, n))

    def expected_transactions(self, data=None, periods: int = 1) -> np.ndarray:
        """E[X(n, n + periods) | x, t_x, n]: expected transactions in the next ``periods``
        opportunities for each row of ``data`` (eq. 13)."""
        k = _whole(periods, "periods", 1)
        x, tx, n = self._histories(data)
        a, b, g, d = self._p
        post = np.exp(special.betaln(a + x + 1, b + n - x) - special.betaln(a, b) - _loglik_rows(self._p, x, tx, n))
        return post * _death_term(g, d, n, k)

    def dert(self, data=None, discount_rate: float = 0.1) -> np.ndarray:
        """Discounted expected residual transactions (eq. 15) at ``discount_rate`` per period, for
        each row of ``data``; multiply by the value of a transaction for a residual CLV."""
        if isinstance(discount_rate, bool) or not isinstance(discount_rate, (int, float, np.integer, np.floating)) \
                or not np.isfinite(discount_rate) or discount_rate <= 0:
            raise InputError(f"discount_rate must be a number > 0 (per period), got {discount_rate!r}")
        x, tx, n = self._histories(data)
        a, b, g, d = self._p
        r = float(discount_rate)
        lp = (special.betaln(a + x + 1, b + n - x) - special.betaln(a, b)
              + special.betaln(g, d + n + 1) - special.betaln(g, d) - np.log1p(r))
        return np.exp(lp - _loglik_rows(self._p, x, tx, n)) * special.hyp2f1(1.0, d + n + 1, g + d + n + 1,
                                                                            1.0 / (1.0 + r))

    def expected_frequency(self, n: int) -> float:
        """E[X(n)]: expected repeat transactions of a new customer in n opportunities (eq. 7)."""
        n = _whole(n, "n", 1)
        a, b, g, d = self._p
        return float(a / (a + b) * _death_term(g, d, 0, n))

    def frequency_table(self) -> pd.DataFrame:
        """Customers by number of repeat transactions: observed and expected under the fit
        (eq. 8, summed over the cohorts' numbers of opportunities)."""
        top = int(self._n.max())
        exp = np.zeros(top + 1)
        for n_val in np.unique(self._n):
            w = self._w[self._n == n_val].sum()
            exp[: int(n_val) + 1] += w * _p_x(self._p, int(n_val))
        obs = np.bincount(self._x.astype(int), weights=self._w, minlength=top + 1)
        return pd.DataFrame({"frequency": np.arange(top + 1), "observed": obs, "expected": exp}).set_index("frequency")

    def plot(self, ax=None):
        """Observed and expected numbers of customers by repeat transactions; returns the Axes."""
        t = self.frequency_table()
        ax = plotting.axes(ax)
        w = 0.4
        ax.bar(t.index - w / 2, t["observed"], width=w, color=plotting.color(0), label="observed")
        ax.bar(t.index + w / 2, t["expected"], width=w, color=plotting.color(1), label="BG/BB")
        ax.set_xlabel("repeat transactions")
        ax.set_ylabel("customers")
        ax.legend()
        return ax

    def methods_text(self) -> str:
        return (f"Repeat transactions were modelled with the beta-geometric/beta-Bernoulli (BG/BB) model "
                f"({R.FADER_HARDIE_SHANG.cite}), fitted by maximum likelihood to {self.n_customers:,.0f} customers "
                f"({len(self._x)} distinct histories; at most {int(self._n.max())} transaction opportunities): "
                f"alpha = {self.alpha:.3f}, beta = {self.beta:.3f}, gamma = {self.gamma:.3f}, "
                f"delta = {self.delta:.3f}, log-likelihood {self.log_likelihood:,.1f}. Standard errors are from the "
                f"observed information on the log parameters ({self.level:.0%} Wald intervals on that scale).")


def _rows_unsorted(data, frequency, recency, n_periods):
    """The checks of :func:`_rows` on a frame to score, keeping its row order."""
    _rows(data, frequency, recency, n_periods, None)   # validates (columns, types, consistency)
    return tuple(data[c].to_numpy(dtype=float) for c in (frequency, recency, n_periods)) + (None,)


def _whole(v, what, minimum):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise InputError(f"{what} must be a whole number >= {minimum}, got {v!r}")
    return int(v)


def _death_term(g, d, n, k):
    """delta/(gamma-1) Gamma(gamma+delta)/Gamma(1+delta) [Gamma(1+delta+n)/Gamma(gamma+delta+n) -
    Gamma(1+delta+n+k)/Gamma(gamma+delta+n+k)]: expected periods alive among the next k, given
    alive to n, up to the posterior factor.  At gamma = 1 the limit is taken (the bracket and
    gamma - 1 vanish together), as the sum of the survival terms."""
    n = np.asarray(n, float)
    if abs(g - 1.0) < 1e-8:
        j = np.arange(1, k + 1)[None, :]
        return np.exp(special.betaln(g, d + n[..., None] + j) - special.betaln(g, d)).sum(axis=-1) \
            if n.ndim else float(np.exp(special.betaln(g, d + n + j.ravel()) - special.betaln(g, d)).sum())
    c = d / (g - 1) * np.exp(special.gammaln(g + d) - special.gammaln(1 + d))
    return c * (np.exp(special.gammaln(1 + d + n) - special.gammaln(g + d + n))
                - np.exp(special.gammaln(1 + d + n + k) - special.gammaln(g + d + n + k)))


def _p_x(p, n):
    """P(X(n) = x), x = 0..n (FHS 2010, eq. 8)."""
    a, b, g, d = p
    x = np.arange(n + 1, dtype=float)
    logc = special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
    out = np.exp(logc + special.betaln(a + x, b + n - x) - special.betaln(a, b)
                 + special.betaln(g, d + n) - special.betaln(g, d))
    for xi in range(n + 1):
        i = np.arange(xi, n, dtype=float)
        if i.size:
            lc = special.gammaln(i + 1) - special.gammaln(xi + 1) - special.gammaln(i - xi + 1)
            out[xi] += np.exp(lc + special.betaln(a + xi, b + i - xi) - special.betaln(a, b)
                              + special.betaln(g + 1, d + i) - special.betaln(g, d)).sum()
    return out


def fit_bgbb(data: pd.DataFrame, *, frequency: str = "frequency", recency: str = "recency",
             n_periods: str = "n_periods", weights: str | None = None, initial=None,
             level: float = 0.95) -> BGBBResult:
    """Fit the BG/BB model (Fader, Hardie & Shang 2010) by maximum likelihood.

    Parameters
    ----------
    data : DataFrame
        One row per customer, or per distinct history with its count in ``weights``; not
        modified.  :func:`cxmodels.datasets.load_donations` is the paper's data set.
    frequency : str
        Repeat transactions x (at most one per period), 0 <= x <= n.
    recency : str
        Period of the last repeat transaction t_x (0 when x = 0), x <= t_x <= n.
    n_periods : str
        Transaction opportunities n after the first transaction.
    weights : str, optional
        Column with the number of customers who share the row's history.
    initial : sequence of 4 floats, optional
        Starting values of (alpha, beta, gamma, delta); default all 1 (other starts are
        tried too and the best optimum kept).
    level : float
        Level of the parameter intervals (Wald on the log scale).

    Returns
    -------
    BGBBResult
        Flagged ``admissible=False`` when no customer made a repeat transaction or every
        customer transacted in every period (the model is then not identified), or when the
        information matrix is not positive definite.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Shang, J. (2010). Customer-base analysis in a discrete-time
    noncontractual setting. Marketing Science 29(6), 1086-1108.
    """
    level = check_level(level)
    x, tx, n, w = _rows(data, frequency, recency, n_periods, weights)
    total = w.sum()

    def f(logp):
        with np.errstate(all="ignore"):
            ll = float(np.dot(w, _loglik_rows(np.exp(logp), x, tx, n)))
        return -ll / total if np.isfinite(ll) else 1e10

    starts = [np.zeros(4), np.log([0.5, 0.5, 0.5, 2.0]), np.log([2.0, 1.0, 1.0, 3.0])]
    if initial is not None:
        try:
            init = np.asarray(initial, dtype=float).ravel()
        except (TypeError, ValueError):
            raise InputError(f"initial must be 4 positive numbers (alpha, beta, gamma, delta), got {initial!r}") \
                from None
        if init.size != 4 or not np.all(np.isfinite(init)) or np.any(init <= 0):
            raise InputError(f"initial must be 4 positive numbers (alpha, beta, gamma, delta), got {initial!r}")
        starts.insert(0, np.log(init))
    # without a repeat transaction, or with one in every period, the optimum runs off to a boundary:
    # one quick search is enough to report it (flagged below)
    identified = not (np.all(x == 0) or np.all(x == n))
    best = None
    for s in starts if identified else starts[:1]:
        r = optimize.minimize(f, s, method="BFGS", options={"gtol": 1e-10, "maxiter": 2000 if identified else 200})
        if not r.success and identified:   # BFGS stalls on a flat ridge: polish with Nelder-Mead
            r = optimize.minimize(f, r.x, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14,
                                                                          "maxiter": 4000})
        if best is None or r.fun < best.fun:
            best = r
    logp = best.x
    H = hessian(lambda q: f(q) * total, logp, h=1e-4)
    cov, pd_ok = safe_inverse(H)
    se_log = np.sqrt(np.diag(cov))
    z = stats.norm.ppf(0.5 + level / 2)
    est = np.exp(logp)
    table = pd.DataFrame({"est": est, "se": est * se_log, "ci_lower": np.exp(logp - z * se_log),
                          "ci_upper": np.exp(logp + z * se_log)}, index=pd.Index(list(PARAMS), name="param"))
    prov = make_provenance("churn.fit_bgbb", pd.DataFrame({"frequency": x, "recency": tx, "n_periods": n,
                                                           "weights": w}),
                           {"frequency": frequency, "recency": recency, "n_periods": n_periods, "weights": weights,
                            "level": level})
    res = BGBBResult((x, tx, n, w), logp, cov, -best.fun * total, table, level, (frequency, recency, n_periods), prov)
    if np.all(x == 0):
        res._flag("BG/BB: no customer made a repeat transaction, so the transaction and dropout processes "
                  "cannot be told apart; (alpha, beta, gamma, delta) are not identified", ImproperSolutionWarning,
                  admissible=False)
    elif np.all(x == n):
        res._flag("BG/BB: every customer transacted in every period, so no dropout is observed and "
                  "(gamma, delta) are not identified", ImproperSolutionWarning, admissible=False)
    elif np.any(np.abs(logp) > 12):
        res._flag(f"BG/BB: a parameter ran to the boundary ({dict(zip(PARAMS, np.round(est, 4)))}); the data do "
                  "not identify it", ImproperSolutionWarning, admissible=False)
    elif not pd_ok:
        res._flag("BG/BB: the information matrix is not positive definite at the optimum; standard errors and "
                  "intervals are not available", ImproperSolutionWarning, admissible=False)
    if not best.success and res.admissible:
        res._flag(f"BG/BB fit did not converge: {best.message}", ConvergenceWarning, converged=False)
    return res
