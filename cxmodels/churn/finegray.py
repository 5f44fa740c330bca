r"""Competing-risks regression of churn: Fine-Gray subdistribution hazards and cause-specific Cox.

When customers leave for different reasons (voluntary cancellation, involuntary churn from
failed payment, a move to a named competitor), two regressions answer two questions:

* **cause-specific Cox** (:func:`cause_specific_cox`): the hazard of churn of type k among
  customers still active, :math:`h_k(t \mid x) = h_{k0}(t) \exp(x'\beta_k)`, with the other
  types treated as censoring.  It answers "what drives this kind of churn" (aetiology).
* **Fine-Gray** (:func:`fine_gray`): the hazard of the *subdistribution* of type k,
  :math:`\bar h_k(t \mid x) = \bar h_{k0}(t) \exp(x'\beta)`, whose cumulative incidence is
  :math:`F_k(t \mid x) = 1 - \exp\{-\bar\Lambda_{k0}(t) e^{x'\beta}\}`.  Customers who left
  for another reason stay in the risk set with weight :math:`\hat G(t-)/\hat G(T_j-)`,
  :math:`\hat G` the Kaplan-Meier curve of censoring (Fine & Gray 1999).  It answers "who
  ends up churning this way by time t" (prediction).

The Fine-Gray estimating equation, its Breslow treatment of ties, the censoring weights and
the sandwich variance :math:`I^{-1}\{\sum_i (\eta_i + \psi_i)^{\otimes 2}\} I^{-1}` (whose
:math:`\psi_i` term carries the uncertainty of :math:`\hat G`) follow R's ``cmprsk::crr``
(Gray 2024) line by line; coefficients, standard errors and predicted cumulative incidences
equal ``crr`` / ``predict.crr`` (tests/test_churn_finegray.py, fixtures from
tests/fixtures/churn_finegray/make_fixtures.R).  No maintained Python library fits the model
(lifelines has none; scikit-survival only the nonparametric cumulative incidence), so it is
written here, vectorised with cumulative sums: O(n p^2) per Newton step.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plotting
from .._results import Result
from .coefficients import HazardCoefficients
from .._stats import wald
from .._validation import check_level, require_columns, require_finite, require_frame, require_no_missing, \
    require_numeric, rows_text
from ..errors import ConvergenceWarning, ImproperSolutionWarning, InputError
from ..provenance import make_provenance
from . import _rscript as R
from .checks import as_list, collinear_columns, survival_frame
from .references import AALEN_JOHANSEN, COX, FINE_GRAY, GRAY_CMPRSK, PUTTER, THERNEAU_GRAMBSCH

__all__ = ["FineGrayResult", "CauseSpecificCoxResult", "fine_gray", "cause_specific_cox", "churn_causes"]


# ------------------------------------------------------------------------------------ input
def churn_causes(data: pd.DataFrame, event: str, censored=0) -> list:
    """The churn types coded in column ``event`` (every value but ``censored``), sorted.

    Refuses what would be silently wrong: missing codes; codes of different types (``1`` and
    ``"1"``); text codes that differ only in case or surrounding spaces (``"Voluntary"``,
    ``"voluntary "``), which would split one cause in two; and a ``censored`` value absent
    from a column that has no censored customer only if that is what the caller said.
    """
    require_frame(data)
    if not isinstance(event, str):
        raise InputError(f"event= takes a column name (a string), got {type(event).__name__}")
    require_columns(data, [event])
    if int((data.columns == event).sum()) > 1:
        raise InputError(f"data has more than one column named {event!r}; rename them so each name is unique")
    s = data[event]
    na = s.index[s.isna()]
    if len(na):
        raise InputError(f"column {event!r} has {len(na)} missing churn codes ({rows_text(na)}); code "
                         f"still-active customers as {censored!r}")
    values = pd.unique(s)
    kinds = {("number" if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
              else type(v).__name__) for v in values}
    if len(kinds) > 1:
        raise InputError(f"column {event!r} mixes kinds of churn code ({sorted(kinds)}: values "
                         f"{sorted(map(repr, values))[:6]}); causes are coded inconsistently: use one kind")
    texts = [v for v in values if isinstance(v, str)]
    norm = {}
    for v in texts:
        norm.setdefault(v.strip().lower(), []).append(v)
    clash = [vs for vs in norm.values() if len(vs) > 1]
    if clash:
        raise InputError(f"column {event!r} codes one cause in several spellings ({clash[:3]}); causes are "
                         "coded inconsistently: strip spaces and use one case before fitting")
    types = [v for v in values if v != censored]
    try:
        return sorted(types)
    except TypeError:  # pragma: no cover - guarded by the kind check
        raise InputError(f"column {event!r} holds churn codes that cannot be ordered") from None


def _cause_frame(data, duration, event, covariates, censored, fn):
    covariates = as_list(covariates)
    if not covariates:
        raise InputError(f"{fn}() needs at least one covariate")
    if event in covariates or event == duration:
        raise InputError(f"column {event!r} is named in more than one role (duration, event, covariates)")
    d = survival_frame(data, duration, False, covariates=covariates, fn=fn)
    types = churn_causes(data, event, censored)
    if not types:
        raise InputError(f"column {event!r} has no churns (every one of {len(d)} rows is {censored!r})")
    sets = collinear_columns(d[covariates].to_numpy(float), covariates)
    if sets:
        raise InputError(f"{fn}(): covariates are collinear: {sets}; drop one of each set")
    d["__cause"] = data[event].to_numpy()
    return d, covariates, types


# ------------------------------------------------------------------------------ Fine-Gray core
def _censoring_left(t: np.ndarray, cens: np.ndarray) -> np.ndarray:
    """Kaplan-Meier of censoring at each ``t`` from the left, G(t-), as cmprsk's ``uuu``."""
    times, inv = np.unique(t, return_inverse=True)
    n_at = np.cumsum(np.bincount(inv, minlength=len(times))[::-1])[::-1].astype(float)
    c = np.bincount(inv, weights=cens.astype(float), minlength=len(times))
    g = np.cumprod(1 - c / n_at)
    g_left = np.concatenate([[1.0], g[:-1]])
    return g_left[inv]


class _FG:
    """The sorted data and the cumulative sums the Fine-Gray score, information, baseline and
    variance are made of (names as in cmprsk's Fortran: S0, S1, S2 over the weighted risk set)."""

    def __init__(self, t, status, X):
        o = np.argsort(t, kind="stable")
        self.t, self.status, self.X = t[o], status[o], X[o]
        self.order = o
        self.G = _censoring_left(self.t, self.status == 0)
        ev = self.status == 1
        self.u, self.d = np.unique(self.t[ev], return_counts=True)
        # first sorted index with t >= u_k; G(u_k-)
        self.first = np.searchsorted(self.t, self.u, side="left")
        self.Gu = self.G[self.first]
        self.comp = self.status == 2
        self.sum_x_events = self.X[ev].sum(axis=0)

    def sums(self, beta):
        """S0_k, S1_k, S2_k over the weighted risk set at each distinct cause-k time u_k."""
        X, n, p = self.X, len(self.t), self.X.shape[1]
        r = np.exp(np.clip(X @ beta, -700, 700))
        rx = r[:, None] * X
        rxx = (rx[:, :, None] * X[:, None, :]).reshape(n, p * p)
        # still at risk: t_j >= u_k (suffix sums); left for another cause before u_k: weight G(u_k-)/G(t_j-)
        def suffix(a):
            c = np.concatenate([np.cumsum(a[::-1], axis=0)[::-1], np.zeros((1,) + a.shape[1:])])
            return c[self.first]

        def prefix_comp(a):
            w = np.where(self.comp, 1 / self.G, 0.0)
            a = a * (w if a.ndim == 1 else w[:, None])
            c = np.concatenate([np.zeros((1,) + a.shape[1:]), np.cumsum(a, axis=0)])
            return c[self.first]

        S0 = suffix(r) + self.Gu * prefix_comp(r)
        S1 = suffix(rx) + self.Gu[:, None] * prefix_comp(rx)
        S2 = (suffix(rxx) + self.Gu[:, None] * prefix_comp(rxx)).reshape(-1, p, p)
        return r, S0, S1, S2

    def objective(self, beta):
        """Log partial likelihood, score and information (Breslow ties, as crr)."""
        _, S0, S1, S2 = self.sums(beta)
        if np.any(S0 <= 0) or not np.all(np.isfinite(S0)):
            return -np.inf, None, None
        ll = float(self.sum_x_events @ beta - np.sum(self.d * np.log(S0)))
        xbar = S1 / S0[:, None]
        score = self.sum_x_events - (self.d[:, None] * xbar).sum(axis=0)
        info = np.einsum("k,kij->ij", self.d, S2 / S0[:, None, None] - xbar[:, :, None] * xbar[:, None, :])
        return ll, score, info

    def baseline_jumps(self, beta):
        """Jumps of the baseline cumulative subdistribution hazard at each u_k (crr's bfitj)."""
        _, S0, _, _ = self.sums(beta)
        return self.d / S0

    def sandwich(self, beta, info):
        """cmprsk's crrvv: I^-1 sum_i (eta_i + psi_i)(eta_i + psi_i)' I^-1."""
        t, X, st, G = self.t, self.X, self.status, self.G
        r, S0, S1, _ = self.sums(beta)
        xbar = S1 / S0[:, None]
        a = self.d / S0                       # dLambda_k
        b = a[:, None] * xbar
        # index of the last u_k <= t_i
        kk = np.searchsorted(self.u, t, side="right")
        ca = np.concatenate([[0.0], np.cumsum(a)])
        cb = np.vstack([np.zeros((1, X.shape[1])), np.cumsum(b, axis=0)])
        # u_k > t_i, weighted by G(u_k-) (only for those who left for another cause)
        ra = np.concatenate([np.cumsum((self.Gu * a)[::-1])[::-1], [0.0]])
        rb = np.vstack([np.cumsum((self.Gu[:, None] * b)[::-1], axis=0)[::-1], np.zeros((1, X.shape[1]))])
        A0 = ca[kk] + np.where(self.comp, ra[kk] / G, 0.0)
        A1 = cb[kk] + np.where(self.comp[:, None], rb[kk] / G[:, None], 0.0)
        eta = -r[:, None] * (X * A0[:, None] - A1)
        ev = st == 1
        k_of = np.searchsorted(self.u, t[ev])
        eta[ev] += X[ev] - xbar[k_of]
        # psi: the censoring martingale part
        times, inv = np.unique(t, return_inverse=True)
        first_t = np.searchsorted(t, times, side="left")
        Y = (len(t) - first_t).astype(float)
        n_cens = np.bincount(inv, weights=(st == 0).astype(float), minlength=len(times))
        # q(u) = A1c(u) C0(u) - A0c(u) C1(u): A.c over competing exits before u, C. over cause-k times >= u
        wc = np.where(self.comp, r / G, 0.0)
        P0 = np.concatenate([[0.0], np.cumsum(wc)])[first_t]
        P1 = np.vstack([np.zeros((1, X.shape[1])), np.cumsum(wc[:, None] * X, axis=0)])[first_t]
        kf = np.searchsorted(self.u, times, side="left")
        C0 = np.concatenate([np.cumsum((self.Gu * a)[::-1])[::-1], [0.0]])[kf]
        C1 = np.vstack([np.cumsum((self.Gu[:, None] * b)[::-1], axis=0)[::-1], np.zeros((1, X.shape[1]))])[kf]
        q = P1 * C0[:, None] - P0[:, None] * C1
        comp_cum = np.cumsum(n_cens[:, None] * q / (Y ** 2)[:, None], axis=0)
        psi = -comp_cum[inv]
        cz = st == 0
        psi[cz] += q[inv[cz]] / Y[inv[cz]][:, None]
        U = eta + psi
        inv_info = np.linalg.inv(info)
        return inv_info @ (U.T @ U) @ inv_info


def _newton(fg: _FG, p: int, maxiter: int = 50, tol: float = 1e-9):
    """Newton-Raphson with backtracking on the log partial likelihood (as crr)."""
    beta = np.zeros(p)
    ll, score, info = fg.objective(beta)
    ll0 = ll
    for it in range(maxiter):
        if np.max(np.abs(score) * np.maximum(np.abs(beta), 1)) < max(abs(ll), 1) * tol:
            return beta, ll, ll0, score, info, True, it
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            return beta, ll, ll0, score, info, False, it
        for _ in range(30):
            nb = beta + step
            nll, ns, ni = fg.objective(nb)
            if np.isfinite(nll) and nll >= ll + 1e-4 * float(step @ score):
                break
            step = step / 2
        else:
            return beta, ll, ll0, score, info, False, it
        beta, ll, score, info = nb, nll, ns, ni
    ok = np.max(np.abs(score) * np.maximum(np.abs(beta), 1)) < max(abs(ll), 1) * tol * 1e3
    return beta, ll, ll0, score, info, bool(ok), maxiter


def _tidy(names, coef, se, level):
    w = wald(coef, se, level)
    t = pd.DataFrame({"coef": coef, "se": se, "z": w["z"], "pvalue": w["pvalue"],
                      "ci_lower": w["ci_lower"], "ci_upper": w["ci_upper"]}, index=pd.Index(names, name="covariate"))
    with np.errstate(over="ignore"):
        t["hazard_ratio"] = np.exp(t["coef"])
        t["hr_lower"] = np.exp(t["ci_lower"])
        t["hr_upper"] = np.exp(t["ci_upper"])
    return t


def _profiles(profiles, covariates) -> pd.DataFrame:
    if isinstance(profiles, dict):
        profiles = pd.DataFrame([profiles])
    require_frame(profiles, "profiles")
    require_columns(profiles, covariates, "profiles")
    require_numeric(profiles, covariates, "profiles")
    require_no_missing(profiles, covariates, "profiles")
    require_finite(profiles, covariates, "profiles")
    return profiles


def _times(times) -> np.ndarray:
    try:
        t = np.atleast_1d(np.asarray(times, dtype=float))
    except (TypeError, ValueError):
        raise InputError(f"times must be numbers, got {times!r}") from None
    if t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise InputError(f"times must be finite numbers >= 0, got {times!r}")
    return t


def _r_value(v) -> str:
    """An R literal for a cause or censoring code (a number as is, anything else as a string)."""
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return R.s(v)


class FineGrayResult(HazardCoefficients, Result):
    """A fitted Fine-Gray subdistribution-hazards model for one churn cause.

    ``summary()``: one row per covariate (coef, se, z, pvalue, ci_lower, ci_upper,
    hazard_ratio, hr_lower, hr_upper: subdistribution hazard ratios); ``params`` the
    coefficients; ``baseline`` the cumulative baseline subdistribution hazard;
    ``cumulative_incidence(profiles, times)`` F_k(t | x) per covariate profile.
    """

    _references = (FINE_GRAY, GRAY_CMPRSK, PUTTER)

    def __init__(self, table, baseline, *, cause, causes, duration, event, covariates, censored, level,
                 nobs, nevents, ncompeting, loglik, loglik_null, vcov, provenance):
        self._table, self.baseline = table, baseline
        self.cause, self.causes = cause, causes
        self.duration, self.event, self.covariates, self.censored = duration, event, covariates, censored
        self.level, self.nobs, self.nevents, self.ncompeting = level, nobs, nevents, ncompeting
        self.log_likelihood, self.log_likelihood_null = loglik, loglik_null
        self.vcov = vcov
        self._provenance = provenance
        self._warnings = []




    def cumulative_incidence(self, profiles, times) -> pd.DataFrame:
        r"""Cumulative incidence of this cause by ``times`` for each covariate profile:
        :math:`F_k(t \mid x) = 1 - \exp\{-\bar\Lambda_{k0}(t) e^{x'\hat\beta}\}` (as ``predict.crr``).

        Returns a DataFrame, one row per time, one column per profile (row of ``profiles``).
        """
        prof = _profiles(profiles, self.covariates)
        t = _times(times)
        lp = prof[self.covariates].to_numpy(float) @ self._table["coef"].to_numpy()
        bt = self.baseline["time"].to_numpy()
        H = self.baseline["cumhaz"].to_numpy()
        i = np.searchsorted(bt, t, side="right") - 1
        H_t = np.where(i >= 0, H[np.clip(i, 0, None)], 0.0)
        F = 1 - np.exp(-H_t[:, None] * np.exp(lp)[None, :])
        return pd.DataFrame(F, index=pd.Index(t, name="time"), columns=prof.index)

    def plot(self, ax=None, profiles=None):
        """Cumulative incidence curves of this cause for ``profiles`` (default: the covariate
        means); returns the Axes."""
        ax = plotting.axes(ax)
        if profiles is None:
            profiles = pd.DataFrame([self._means], index=["mean profile"])
        t = np.concatenate([[0.0], self.baseline["time"].to_numpy()])
        F = self.cumulative_incidence(profiles, t)
        for j, col in enumerate(F.columns):
            ax.step(t, F[col], where="post", color=plotting.color(j), label=str(col))
        ax.set_xlabel(f"tenure ({self.duration})")
        ax.set_ylabel(f"cumulative incidence of churn: {self.cause}")
        ax.set_ylim(0, None)
        ax.legend(title="profile")
        return ax

    def to_r(self, data_path: str = "data.csv") -> str:
        """A runnable R script that re-fits this model with ``cmprsk::crr`` (Gray 2024) on the CSV
        at ``data_path`` and prints its coefficients and standard errors, the cxmodels numbers in
        comments at the top.  Needs R's cmprsk (``install.packages("cmprsk")``, Debian
        r-cran-cmprsk)."""
        exp = pd.DataFrame({"term": self.covariates, "est": self._table["coef"].to_numpy(),
                            "se": self._table["se"].to_numpy()})
        lines = [R.header("churn.fine_gray", data_path, exp, self._provenance),
                 "library(cmprsk)   # install.packages(\"cmprsk\") or r-cran-cmprsk",
                 f"X <- as.matrix(d[, {R.vec(self.covariates)}, drop = FALSE])",
                 f"fit <- crr(d[[{R.s(self.duration)}]], d[[{R.s(self.event)}]], X, failcode = {_r_value(self.cause)}, "
                 f"cencode = {_r_value(self.censored)}, gtol = 1e-8, maxiter = 100)",
                 "print(summary(fit))",
                 R.footer(f"data.frame(term = {R.vec(self.covariates)}, est = unname(fit$coef), "
                          "se = sqrt(diag(fit$var)))")]
        return "\n".join(lines)

    def methods_text(self) -> str:
        return (f"The cumulative incidence of churn of type {self.cause!r} was modelled with a Fine-Gray "
                f"proportional subdistribution-hazards regression ({FINE_GRAY.cite}) on {self.nobs} customers "
                f"({self.nevents} churns of this type, {self.ncompeting} of competing types treated as competing "
                f"events, not censoring); covariates: {', '.join(self.covariates)}. Censoring weights are the "
                "Kaplan-Meier estimate of the censoring distribution, ties are handled as Breslow, and standard "
                f"errors are the sandwich estimator of {FINE_GRAY.cite} including the estimation of the weights; "
                f"intervals are {self.level:.0%} Wald intervals. The estimator follows R's cmprsk::crr "
                f"({GRAY_CMPRSK.cite}) and reproduces its estimates. Subdistribution hazard ratios describe "
                "who ends up churning this way, not the rate among those still active "
                f"({PUTTER.cite}).")


def fine_gray(data: pd.DataFrame, duration: str, event: str, covariates, *, cause, censored=0,
              level: float = 0.95, maxiter: int = 50) -> FineGrayResult:
    r"""Fine-Gray proportional subdistribution-hazards regression for one churn cause.

    Parameters
    ----------
    data : DataFrame
        One row per customer; not modified.
    duration : str
        Tenure (> 0).
    event : str
        Churn type per row (e.g. ``"voluntary"``, ``"payment"``); ``censored`` marks customers
        still active.
    covariates : list of str
        Numeric columns (dummy-code categories first).
    cause : scalar
        The churn type modelled (a value of ``event``); required: with several causes the one
        of interest is never guessed.
    censored : scalar
        The value of ``event`` meaning "still a customer" (default 0).
    level : float
        Interval level.
    maxiter : int
        Newton-Raphson iterations.

    Returns
    -------
    FineGrayResult

    Notes
    -----
    The estimating equation is the weighted partial-likelihood score
    :math:`U(\beta) = \sum_i \int \{x_i - \bar x(u)\} w_i(u)\, dN_i(u)` with
    :math:`w_i(u) = \hat G(u-)/\hat G(\min(T_i, u)-)` over the subdistribution risk set
    (Fine & Gray 1999, eq. 6); variance as in their section 3 (R's ``crr``).

    References
    ----------
    Fine, J. P., & Gray, R. J. (1999). A proportional hazards model for the subdistribution of a
    competing risk. JASA 94(446), 496-509.
    """
    level = check_level(level)
    if isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 1:
        raise InputError(f"maxiter must be a whole number >= 1, got {maxiter!r}")
    d, covariates, types = _cause_frame(data, duration, event, covariates, censored, "fine_gray")
    if cause not in types:
        raise InputError(f"cause={cause!r} is not a churn type of column {event!r}; it holds {types} "
                         f"(and {censored!r} for still-active customers)")
    codes = d["__cause"].to_numpy()
    status = np.where(codes == censored, 0, np.where(codes == cause, 1, 2))
    t = d[duration].to_numpy(float)
    X = d[covariates].to_numpy(float)
    fg = _FG(t, status, X)
    beta, ll, ll0, score, info, ok, _ = _newton(fg, X.shape[1], maxiter=maxiter)
    try:
        vcov = fg.sandwich(beta, info)
        se = np.sqrt(np.diag(vcov))
    except (np.linalg.LinAlgError, FloatingPointError):
        vcov, se = np.full((len(beta), len(beta)), np.nan), np.full(len(beta), np.nan)
    table = _tidy(covariates, beta, se, level)
    base = pd.DataFrame({"time": fg.u, "jump": fg.baseline_jumps(beta)})
    base["cumhaz"] = np.cumsum(base["jump"])
    prov = make_provenance("churn.fine_gray", d.drop(columns="__cause").assign(**{event: codes}),
                           {"duration": duration, "event": event, "covariates": covariates, "cause": cause,
                            "censored": censored, "level": level, "ties": "breslow", "maxiter": maxiter})
    res = FineGrayResult(table, base, cause=cause, causes=types, duration=duration, event=event,
                         covariates=covariates, censored=censored, level=level, nobs=len(d),
                         nevents=int((status == 1).sum()), ncompeting=int((status == 2).sum()), loglik=ll,
                         loglik_null=ll0, vcov=pd.DataFrame(vcov, index=covariates, columns=covariates),
                         provenance=prov)
    res._means = dict(zip(covariates, X.mean(axis=0)))
    if not ok:
        res._flag(f"Fine-Gray fit for cause {cause!r} did not converge in {maxiter} Newton steps "
                  "(the estimates may run off: look for a covariate level with no churns of this type)",
                  ConvergenceWarning)
    if not (np.all(np.isfinite(se)) and np.all(np.isfinite(beta))) or np.any(np.abs(beta) > 15):
        res._flag(f"Fine-Gray fit for cause {cause!r}: some coefficients or standard errors are infinite or "
                  "huge (|coef| > 15); a covariate (nearly) separates this cause: drop or pool it",
                  ImproperSolutionWarning)
    return res


# --------------------------------------------------------------------------- cause-specific Cox
class CauseSpecificCoxResult(Result):
    """Cause-specific Cox models, one per churn type (the other types censored).

    ``summary()``: long table (cause, covariate, coef, se, z, pvalue, ci_lower, ci_upper,
    hazard_ratio, hr_lower, hr_upper); ``params`` indexed ``<cause>:<covariate>``;
    ``models`` the per-cause :class:`~cxmodels.churn.CoxResult`;
    ``cumulative_incidence(profiles, times)`` the Aalen-Johansen-type incidence implied by
    all cause-specific hazards together.
    """

    _references = (COX, PUTTER, AALEN_JOHANSEN, THERNEAU_GRAMBSCH)

    def __init__(self, models, table, *, duration, event, covariates, censored, level, nobs, provenance):
        self.models, self._table = models, table
        self.duration, self.event, self.covariates = duration, event, covariates
        self.censored, self.level, self.nobs = censored, level, nobs
        self.causes = list(models)
        self._provenance = provenance
        self._warnings = []

    @property
    def params(self) -> pd.Series:
        s = self._table.set_index(["cause", "covariate"])["coef"]
        s.index = [f"{c}:{v}" for c, v in s.index]
        return s.copy()

    def cumulative_incidence(self, profiles, times) -> pd.DataFrame:
        r"""Cumulative incidence of every cause by ``times`` for each profile, from the
        cause-specific Breslow hazards: :math:`F_k(t|x) = \sum_{s \le t} S(s-|x)\, d\Lambda_k(s|x)`,
        :math:`S = \exp(-\sum_k \Lambda_k)`.  Long DataFrame: profile, time, cause, cif."""
        prof = _profiles(profiles, self.covariates)
        t = _times(times)
        grid = np.unique(np.concatenate([m._data[m.duration].to_numpy(float) for m in self.models.values()]))
        rows = []
        cum = {}
        for k, m in self.models.items():
            H0 = m.lifelines_fitter.baseline_cumulative_hazard_
            h = np.interp(grid, H0.index.to_numpy(float), H0.iloc[:, 0].to_numpy(), left=0.0)
            # lifelines centres covariates: baseline at the mean; rescale with the centred linear predictor
            mean = m.lifelines_fitter._norm_mean.reindex(m.covariates).to_numpy()
            lp = (prof[m.covariates].to_numpy(float) - mean) @ m.params.to_numpy()
            cum[k] = h[:, None] * np.exp(lp)[None, :]
        total = sum(cum.values())
        S_before = np.exp(-np.vstack([np.zeros((1, total.shape[1])), total[:-1]]))
        for k, H in cum.items():
            dH = np.diff(np.vstack([np.zeros((1, H.shape[1])), H]), axis=0)
            F = np.cumsum(S_before * dH, axis=0)
            i = np.searchsorted(grid, t, side="right") - 1
            Ft = np.where((i >= 0)[:, None], F[np.clip(i, 0, None)], 0.0)
            for j, p in enumerate(prof.index):
                rows += [{"profile": p, "time": float(tt), "cause": k, "cif": float(Ft[ti, j])}
                         for ti, tt in enumerate(t)]
        return pd.DataFrame(rows)

    def plot(self, ax=None):
        """Forest plot of cause-specific hazard ratios (log scale), one colour per cause."""
        t = self._table
        ax = plotting.axes(ax, figsize=(6, 0.8 + 0.4 * len(t)))
        y = np.arange(len(t))[::-1]
        for j, c in enumerate(self.causes):
            m = (t["cause"] == c).to_numpy()
            hr, lo, hi = (t.loc[m, col].to_numpy(float) for col in ("hazard_ratio", "hr_lower", "hr_upper"))
            ax.errorbar(hr, y[m], xerr=[hr - lo, hi - hr], fmt="o", capsize=3, color=plotting.color(j),
                        label=str(c))
        ax.axvline(1, color="grey", lw=1, ls="--")
        ax.set_xscale("log")
        ax.set_yticks(y, [f"{c}: {v}" for c, v in zip(t["cause"], t["covariate"])])
        ax.set_xlabel(f"cause-specific hazard ratio ({self.level:.0%} CI)")
        ax.legend(title="churn type")
        return ax

    def to_r(self, data_path: str = "data.csv") -> str:
        """A runnable R script that re-fits each cause-specific model with ``survival::coxph``
        (Efron ties; the cause indicator as the event, other churn types censored) on the CSV at
        ``data_path`` and prints coefficients and standard errors by ``<cause>:<covariate>``."""
        t = self._table
        exp = pd.DataFrame({"term": [f"{c}:{v}" for c, v in zip(t["cause"], t["covariate"])],
                            "est": t["coef"].to_numpy(), "se": t["se"].to_numpy()})
        rhs = " + ".join(R.q(c) for c in self.covariates)
        lines = [R.header("churn.cause_specific_cox", data_path, exp, self._provenance), "parts <- list()"]
        for k in self.causes:
            terms = [f"{k}:{v}" for v in self.covariates]
            lines += [f"fit <- coxph(Surv({R.q(self.duration)}, {R.q(self.event)} == {_r_value(k)}) ~ {rhs}, data = d, "
                      f'ties = "efron")',
                      "print(summary(fit))",
                      f"parts[[length(parts) + 1]] <- data.frame(term = {R.vec(terms)}, est = unname(coef(fit)), "
                      "se = unname(sqrt(diag(vcov(fit)))))"]
        lines.append(R.footer("do.call(rbind, parts)"))
        return "\n".join(lines)

    def methods_text(self) -> str:
        return (f"Cause-specific Cox regressions ({COX.cite}) were fitted for each churn type "
                f"({', '.join(map(str, self.causes))}) on {self.nobs} customers, treating churn of the other types "
                f"as censoring (Efron ties); covariates: {', '.join(self.covariates)}. Cause-specific hazard ratios "
                f"describe the rate of each kind of churn among customers still active ({PUTTER.cite}); cumulative "
                f"incidences combine all cause-specific hazards ({AALEN_JOHANSEN.cite}). Coefficients equal R's "
                f"coxph on the cause indicator ({THERNEAU_GRAMBSCH.cite}); intervals are {self.level:.0%} Wald.")


def cause_specific_cox(data: pd.DataFrame, duration: str, event: str, covariates, *, censored=0,
                       level: float = 0.95) -> CauseSpecificCoxResult:
    r"""One Cox model per churn type, the other types censored (Prentice et al. 1978).

    Parameters
    ----------
    data : DataFrame
        One row per customer; not modified.
    duration : str
        Tenure (> 0).
    event : str
        Churn type per row; ``censored`` marks customers still active.
    covariates : list of str
        Numeric columns.
    censored : scalar
        The value of ``event`` meaning "still a customer".
    level : float
        Interval level.

    Returns
    -------
    CauseSpecificCoxResult
        With every per-cause flag (separation, non-convergence) carried over.

    References
    ----------
    Putter, H., Fiocco, M., & Geskus, R. B. (2007). Tutorial in biostatistics: competing risks and
    multi-state models. Statistics in Medicine 26(11), 2389-2430.
    """
    import warnings as _w

    from .cox import cox

    level = check_level(level)
    d, covariates, types = _cause_frame(data, duration, event, covariates, censored, "cause_specific_cox")
    codes = d["__cause"].to_numpy()
    models, parts, msgs = {}, [], []
    for k in types:
        dk = d[[duration] + covariates].copy()
        dk["__churn"] = (codes == k).astype(int)
        with _w.catch_warnings(record=True) as rec:
            _w.simplefilter("always")
            try:
                m = cox(dk, duration, "__churn", covariates, level=level)
            except InputError as exc:
                raise InputError(f"cause {k!r}: {exc}") from None
        msgs += [(k, w) for w in rec]
        models[k] = m
        tab = m.summary().reset_index()
        tab.insert(0, "cause", k)
        parts.append(tab)
    table = pd.concat(parts, ignore_index=True)
    prov = make_provenance("churn.cause_specific_cox", d.drop(columns="__cause").assign(**{event: codes}),
                           {"duration": duration, "event": event, "covariates": covariates,
                            "censored": censored, "level": level, "ties": "efron"})
    res = CauseSpecificCoxResult(models, table, duration=duration, event=event, covariates=covariates,
                                 censored=censored, level=level, nobs=len(d), provenance=prov)
    for k, w in msgs:
        cat = w.category if issubclass(w.category, (ConvergenceWarning, ImproperSolutionWarning)) else None
        if cat is not None:
            res._flag(f"cause {k!r}: {w.message}", cat)
    return res
