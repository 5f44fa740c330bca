r"""Clustered customers: Cox models when customers of one store (branch, agent, region) share
something unmeasured.

* :func:`cox_cluster`: the ordinary Cox fit with the cluster-robust (sandwich) variance of
  Lin & Wei (1989): coefficients are unchanged, standard errors allow customers of one store
  to be correlated.  lifelines' ``cluster_col`` is the engine; SEs equal R's
  ``coxph(..., cluster = store)``.
* :func:`cox_frailty`: a shared gamma frailty, :math:`h_{ij}(t) = w_j h_0(t) \exp(x_{ij}'\beta)`
  with :math:`w_j \sim \mathrm{Gamma}(1/\theta, 1/\theta)` (mean 1, variance :math:`\theta`).
  For fixed :math:`\theta` the log-frailties :math:`u_j = \log w_j` and :math:`\beta` maximise the
  penalised partial likelihood

  .. math:: \ell(\beta, u) - \tfrac{1}{\theta} \sum_j \{e^{u_j} - u_j\},

  whose solution is the EM solution of Klein (1992) and Nielsen et al. (1992); :math:`\theta`
  maximises the integrated (marginal) likelihood, the penalised fit's partial likelihood plus
  the gamma correction :math:`\sum_j [d_j + \nu \log\{\nu/(\nu + d_j)\} + \log\Gamma(\nu + d_j) -
  \log\Gamma(\nu) - d_j \log(\nu + d_j)]`, :math:`\nu = 1/\theta`, :math:`d_j` the churns of
  store j (Therneau & Grambsch 2000, ch. 9).  This is R's ``coxph(... + frailty(store))``
  (``method = "em"``), written here because no maintained Python library fits it (lifelines
  issues #173, #878).  Standard errors are the :math:`\beta` block of the inverse penalised
  information, as R's ``se(coef)``.  Efron or Breslow ties.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special

from .. import plotting
from .._results import Result
from .coefficients import HazardCoefficients
from .._validation import check_level
from ..errors import ConvergenceWarning, ImproperSolutionWarning, InputError
from ..provenance import make_provenance
from . import _rscript as R
from .checks import as_list, check_event_count, collinear_columns, survival_frame
from .references import COX, DAVIDSON_PILON, EFRON, KLEIN, LIN_WEI, NIELSEN, THERNEAU_GRAMBSCH

__all__ = ["cox_cluster", "cox_frailty", "FrailtyResult", "ClusteredCoxResult"]


def _prepare(data, duration, event, covariates, group, fn):
    covariates = as_list(covariates)
    if not covariates:
        raise InputError(f"{fn}() needs at least one covariate")
    if not isinstance(group, str):
        raise InputError(f"{fn}() needs group=, the column naming each customer's store (cluster)")
    d = survival_frame(data, duration, event, covariates=covariates, group=group, fn=fn)
    check_event_count(d, event)
    sets = collinear_columns(d[covariates].to_numpy(float), covariates)
    if sets:
        raise InputError(f"{fn}(): covariates are collinear: {sets}; drop one of each set")
    n_groups = d[group].nunique()
    if n_groups < 2:
        raise InputError(f"column {group!r} has {n_groups} cluster; clustering needs at least 2")
    return d.reset_index(drop=True), covariates, n_groups, None


# ------------------------------------------------------------------------------ cluster-robust
class ClusteredCoxResult(HazardCoefficients, Result):
    """A Cox fit with cluster-robust standard errors (coefficients as an ordinary Cox fit).

    ``summary()``: covariate rows with coef, se (robust), naive_se, z, pvalue, intervals and
    hazard ratios; ``params`` the coefficients.
    """

    _references = (COX, EFRON, LIN_WEI, DAVIDSON_PILON, THERNEAU_GRAMBSCH)

    def __init__(self, table, *, duration, event, covariates, group, n_groups, level, nobs, nevents, fitter,
                 provenance):
        self._table = table
        self.duration, self.event, self.covariates, self.group = duration, event, covariates, group
        self.n_groups, self.level, self.nobs, self.nevents = n_groups, level, nobs, nevents
        self._fitter = fitter
        self._provenance = provenance
        self._warnings = []



    @property
    def design_effect(self) -> pd.Series:
        """(robust SE / naive SE)^2: how much clustering inflates each coefficient's variance."""
        return (self._table["se"] / self._table["naive_se"]) ** 2

    def plot(self, ax=None):
        """Hazard ratios with robust and naive intervals (log scale); returns the Axes."""
        from scipy import stats

        t = self._table
        ax = plotting.axes(ax, figsize=(6, 0.8 + 0.5 * len(t)))
        y = np.arange(len(t))[::-1]
        z = stats.norm.ppf(0.5 + self.level / 2)
        for j, (col, lab) in enumerate((("se", "cluster-robust"), ("naive_se", "naive"))):
            lo, hi = np.exp(t["coef"] - z * t[col]), np.exp(t["coef"] + z * t[col])
            hr = np.exp(t["coef"])
            ax.errorbar(hr, y + 0.15 * (1 - 2 * j), xerr=[hr - lo, hi - hr], fmt="o", capsize=3,
                        color=plotting.color(j), label=lab)
        ax.axvline(1, color="grey", lw=1, ls="--")
        ax.set_xscale("log")
        ax.set_yticks(y, t.index)
        ax.set_xlabel(f"hazard ratio of churn ({self.level:.0%} CI)")
        ax.legend()
        return ax

    def to_r(self, data_path: str = "data.csv") -> str:
        """A runnable R script that re-fits this model with ``survival::coxph(..., cluster = )``
        (Efron ties) on the CSV at ``data_path`` and prints coefficients, robust and naive
        standard errors, the cxmodels numbers in comments at the top."""
        t = self._table
        exp = pd.DataFrame({"term": self.covariates, "est": t.loc[self.covariates, "coef"].to_numpy(),
                            "se": t.loc[self.covariates, "se"].to_numpy(),
                            "naive_se": t.loc[self.covariates, "naive_se"].to_numpy()})
        rhs = " + ".join(R.q(c) for c in self.covariates)
        lines = [R.header("churn.cox_cluster", data_path, exp, self._provenance),
                 f"fit <- coxph({R.surv(self.duration, self.event)} ~ {rhs}, data = d, cluster = {R.q(self.group)}, "
                 'ties = "efron")',
                 "print(summary(fit))",
                 R.footer(f"data.frame(term = {R.vec(self.covariates)}, est = unname(coef(fit)), "
                          "se = unname(sqrt(diag(vcov(fit)))), naive_se = unname(sqrt(diag(fit$naive.var))))")]
        return "\n".join(lines)

    def methods_text(self) -> str:
        return (f"Churn hazards were modelled with a Cox regression ({COX.cite}; Efron ties, {EFRON.cite}) on "
                f"{self.nobs} customers of {self.n_groups} {self.group} clusters ({self.nevents} churns); standard "
                f"errors are cluster-robust sandwich estimates ({LIN_WEI.cite}) allowing customers of one "
                f"{self.group} to be correlated, with {self.level:.0%} Wald intervals. Computed with lifelines "
                f"({DAVIDSON_PILON.cite}); equal to R's coxph with cluster() ({THERNEAU_GRAMBSCH.cite}).")


def cox_cluster(data: pd.DataFrame, duration: str, event: str, covariates, *, group: str,
                level: float = 0.95) -> ClusteredCoxResult:
    """Cox model of churn with standard errors robust to clustering of customers in ``group``.

    Parameters
    ----------
    data : DataFrame
        One row per customer; not modified.
    duration, event : str
        Tenure (> 0) and churn (1) / still active (0).
    covariates : list of str
        Numeric columns.
    group : str
        The cluster of each customer (store, agent, region).
    level : float
        Interval level.

    Returns
    -------
    ClusteredCoxResult

    References
    ----------
    Lin, D. Y., & Wei, L. J. (1989). The robust inference for the Cox proportional hazards model.
    JASA 84(408), 1074-1078.
    """
    from lifelines import CoxPHFitter

    from .cox import _fit_lifelines

    level = check_level(level)
    d, covariates, n_groups, _ = _prepare(data, duration, event, covariates, group, "cox_cluster")
    dd = d[[duration, event] + covariates].assign(__cluster=pd.factorize(d[group])[0])
    naive, _ = _fit_lifelines(lambda: CoxPHFitter(alpha=1 - level).fit(dd.drop(columns="__cluster"), duration,
                                                                        event), "Cox")
    fitter, msgs = _fit_lifelines(lambda: CoxPHFitter(alpha=1 - level).fit(dd, duration, event,
                                                                            cluster_col="__cluster"), "Cox")
    from .._stats import wald

    s = fitter.summary.reindex(covariates)
    coef, se = s["coef"].to_numpy(), s["se(coef)"].to_numpy()
    w = wald(coef, se, level)
    table = pd.DataFrame({"coef": coef, "se": se, "naive_se": naive.summary.reindex(covariates)["se(coef)"].to_numpy(),
                          "z": w["z"], "pvalue": w["pvalue"], "ci_lower": w["ci_lower"], "ci_upper": w["ci_upper"]},
                         index=pd.Index(covariates, name="covariate"))
    table["hazard_ratio"], table["hr_lower"], table["hr_upper"] = (np.exp(table[c]) for c in
                                                                  ("coef", "ci_lower", "ci_upper"))
    prov = make_provenance("churn.cox_cluster", d, {"duration": duration, "event": event, "covariates": covariates,
                                                    "group": group, "level": level, "ties": "efron"})
    res = ClusteredCoxResult(table, duration=duration, event=event, covariates=covariates, group=group,
                             n_groups=n_groups, level=level, nobs=len(d), nevents=int(d[event].sum()),
                             fitter=fitter, provenance=prov)
    for m in msgs:
        res._flag(m, ConvergenceWarning)
    if n_groups < 20:
        res._flag(f"only {n_groups} clusters in {group!r}: the sandwich variance is biased downwards with fewer "
                  "than about 20-40 clusters; read the robust intervals as too narrow", ImproperSolutionWarning,
                  admissible=True)
    return res


# ----------------------------------------------------------------------------- gamma frailty
class _CoxPL:
    """Partial likelihood (Efron or Breslow ties) of ``eta = Z @ gamma``: value, gradient and
    information, vectorised over the distinct churn times."""

    def __init__(self, t, e, ties):
        o = np.argsort(t, kind="stable")
        self.o, self.t, self.e = o, t[o], e[o].astype(bool)
        self.u, kev = np.unique(self.t[self.e], return_inverse=True)
        self.kev = kev                                        # event rows -> their time index
        self.dk = np.bincount(kev, minlength=len(self.u))
        self.first = np.searchsorted(self.t, self.u, side="left")
        # (k, l) pairs for Efron's correction; Breslow uses f = 0
        self.kk = np.repeat(np.arange(len(self.u)), self.dk)
        ll = np.concatenate([np.arange(d) for d in self.dk])
        self.f = ll / self.dk[self.kk] if ties == "efron" else np.zeros(len(self.kk))
        self.last_k = np.searchsorted(self.u, self.t, side="right") - 1   # last churn time <= t_j

    def __call__(self, Z, gamma, need_info=True):
        Z = Z[self.o]
        eta = Z @ gamma
        r = np.exp(eta - eta.max())
        shift = eta.max()
        S0R = np.concatenate([np.cumsum(r[::-1])[::-1], [0.0]])[self.first]
        S1R = np.concatenate([np.cumsum((r[:, None] * Z)[::-1], axis=0)[::-1], np.zeros((1, Z.shape[1]))])[self.first]
        re, Ze = r[self.e], Z[self.e]
        S0E = np.bincount(self.kev, weights=re, minlength=len(self.u))
        S1E = np.zeros((len(self.u), Z.shape[1]))
        np.add.at(S1E, self.kev, re[:, None] * Ze)
        D = S0R[self.kk] - self.f * S0E[self.kk]
        ll = float(eta[self.e].sum() - np.sum(np.log(D) + shift))
        M = (S1R[self.kk] - self.f[:, None] * S1E[self.kk]) / D[:, None]
        grad = Ze.sum(axis=0) - M.sum(axis=0)
        if not need_info:
            return ll, grad, None
        A = np.bincount(self.kk, weights=1 / D, minlength=len(self.u))
        B = np.bincount(self.kk, weights=self.f / D, minlength=len(self.u))
        cA = np.concatenate([[0.0], np.cumsum(A)])
        c = cA[self.last_k + 1]
        c[self.e] -= B[self.kev]
        info = (Z * (r * c)[:, None]).T @ Z - M.T @ M
        return ll, grad, info


def _gamma_correction(d: np.ndarray, nu: float) -> float:
    """R's ``frailty.gammacon``: integrated minus partial log-likelihood for a gamma frailty."""
    term1 = np.sum(d + nu * np.log(nu / (nu + d)))
    term2 = np.sum(special.gammaln(nu + d) - special.gammaln(nu) - d * np.log(nu + d))
    return float(term1 + term2)


def _penalized_fit(pl, Z, p, theta, start, maxiter=100, tol=1e-10):
    """Newton-Raphson on the penalised partial likelihood for fixed theta; returns
    (gamma, partial loglik, penalised info, converged)."""
    nu = 1 / theta  # theta = inf: no penalty (an ordinary Cox fit when Z has no frailty columns)
    g = start.copy()

    def objective(g):
        ll, grad, info = pl(Z, g)
        u = g[p:]
        pen = nu * np.sum(np.exp(u) - u)
        grad = grad.copy()
        grad[p:] -= nu * (np.exp(u) - 1)
        info = info.copy()
        info[p:, p:] += np.diag(nu * np.exp(u))
        return ll - pen, ll, grad, info

    obj, ll, grad, info = objective(g)
    for _ in range(maxiter):
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            return g, ll, info, False
        for _ in range(40):
            new = objective(g + step)
            if np.isfinite(new[0]) and new[0] >= obj - 1e-12:
                break
            step = step / 2
        else:
            return g, ll, info, False
        g = g + step
        done = abs(new[0] - obj) < tol * max(1.0, abs(obj))
        obj, ll, grad, info = new
        if done:
            return g, ll, info, True
    return g, ll, info, False


class FrailtyResult(HazardCoefficients, Result):
    """A Cox model with a shared gamma frailty per cluster.

    ``summary()``: covariate rows (coef, se, z, pvalue, ci_lower, ci_upper, hazard_ratio,
    hr_lower, hr_upper) and a ``theta`` row (frailty variance, no SE); ``params`` the
    coefficients and theta; ``frailties``: the estimated store frailties w_j (mean about 1)
    with their churns; ``theta``; ``integrated_loglik``.
    """

    _references = (COX, NIELSEN, KLEIN, THERNEAU_GRAMBSCH)

    def __init__(self, table, frailties, *, theta, theta_fixed, ties, ilik, loglik, duration, event, covariates,
                 group, n_groups, level, nobs, nevents, provenance):
        self._table, self.frailties = table, frailties
        self.theta, self.theta_fixed, self.ties = theta, theta_fixed, ties
        self.integrated_loglik, self.log_likelihood = ilik, loglik
        self.duration, self.event, self.covariates, self.group = duration, event, covariates, group
        self.n_groups, self.level, self.nobs, self.nevents = n_groups, level, nobs, nevents
        self._provenance = provenance
        self._warnings = []


    @property
    def standard_errors(self) -> pd.Series:
        return self._table["se"].drop("theta").copy()

    def plot(self, ax=None):
        """Estimated store frailties, sorted, with a reference line at 1; returns the Axes."""
        f = self.frailties.sort_values("frailty")
        ax = plotting.axes(ax, figsize=(6, 0.6 + 0.18 * len(f)))
        y = np.arange(len(f))
        ax.plot(f["frailty"], y, "o", color=plotting.color(0))
        ax.axvline(1, color="grey", lw=1, ls="--")
        ax.set_yticks(y, f.index.astype(str))
        ax.set_xlabel(f"frailty (relative churn hazard of the {self.group})")
        return ax

    def to_r(self, data_path: str = "data.csv") -> str:
        """A runnable R script that re-fits this model with ``survival::coxph(... + frailty())``
        on the CSV at ``data_path``, at the frailty variance cxmodels found (``frailty(group,
        theta = )``, so coefficients, standard errors and likelihoods are comparable to the
        digits), and, when theta was estimated, also lets R estimate it (row ``theta_r``;
        coxph's own search stops within a few per cent of the optimum)."""
        t = self._table
        p = len(self.covariates)
        exp = pd.DataFrame({"term": self.covariates + ["theta", "integrated_loglik", "loglik"],
                            "est": list(t.loc[self.covariates, "coef"]) + [self.theta, self.integrated_loglik,
                                                                           self.log_likelihood],
                            "se": list(t.loc[self.covariates, "se"]) + [np.nan] * 3})
        rhs = " + ".join(R.q(c) for c in self.covariates)
        lhs = R.surv(self.duration, self.event)
        lines = [R.header("churn.cox_frailty", data_path, exp, self._provenance),
                 f"fit <- coxph({lhs} ~ {rhs} + frailty({R.q(self.group)}, theta = {float(self.theta)!r}), data = d, "
                 f"ties = {R.s(self.ties)})",
                 "print(fit)"]
        extra_terms, extra_est = "", ""
        if not self.theta_fixed:
            lines += [f"free <- coxph({lhs} ~ {rhs} + frailty({R.q(self.group)}), data = d, ties = {R.s(self.ties)})",
                      "print(free)",
                      "# the fit reported is at the last theta tried (history's theta is the next, unfitted proposal)",
                      'theta_r <- unname(tail(free$history[[1]]$history[, "theta"], 1))']
            extra_terms, extra_est = ', "theta_r"', ", theta_r"
        lines.append(R.footer(
            f'data.frame(term = c({", ".join(R.s(c) for c in self.covariates)}, "theta", "integrated_loglik", '
            f'"loglik"{extra_terms}), est = c(unname(coef(fit)), {float(self.theta)!r}, fit$history[[1]]$c.loglik, '
            f"fit$loglik[2]{extra_est}), se = c(sqrt(diag(fit$var))[1:{p}], rep(NA, {3 + (not self.theta_fixed)})))"))
        return "\n".join(lines)

    def methods_text(self) -> str:
        how = "fixed at" if self.theta_fixed else "estimated by maximising the integrated likelihood as"
        return (f"Churn hazards were modelled with a Cox regression ({COX.cite}) with a shared gamma frailty per "
                f"{self.group} ({self.n_groups} clusters, {self.nobs} customers, {self.nevents} churns); the "
                f"frailty variance was {how} {self.theta:.3f}. Coefficients and frailties maximise the penalised "
                f"partial likelihood ({self.ties} ties), which equals the EM solution of {NIELSEN.cite} and "
                f"{KLEIN.cite}; standard errors come from the inverse penalised information. The estimator "
                f"follows R's coxph with frailty() ({THERNEAU_GRAMBSCH.cite}); {self.level:.0%} Wald intervals.")


def cox_frailty(data: pd.DataFrame, duration: str, event: str, covariates, *, group: str, theta: float | None = None,
                ties: str = "efron", level: float = 0.95) -> FrailtyResult:
    r"""Cox model of churn with a shared gamma frailty for the customers of each ``group``.

    Parameters
    ----------
    data : DataFrame
        One row per customer; not modified.
    duration, event : str
        Tenure (> 0) and churn (1) / still active (0).
    covariates : list of str
        Numeric columns that vary within clusters or between them.
    group : str
        The cluster (store, agent) whose customers share a frailty.
    theta : float, optional
        Fix the frailty variance (R's ``frailty(store, theta = ...)``); None estimates it.
    ties : {"efron", "breslow"}
        Handling of tied churn times.
    level : float
        Interval level.

    Returns
    -------
    FrailtyResult
        ``admissible=False`` with a warning when theta is estimated at the boundary (0: no
        detectable clustering, the model reduces to an ordinary Cox fit).

    References
    ----------
    Klein, J. P. (1992). Semiparametric estimation of random effects using the Cox model based on the EM
    algorithm. Biometrics 48(3), 795-806.
    Therneau, T. M., & Grambsch, P. M. (2000). Modeling survival data, ch. 9. Springer.
    """
    level = check_level(level)
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    if theta is not None and (isinstance(theta, bool) or not isinstance(theta, (int, float, np.integer, np.floating))
                              or not np.isfinite(theta) or theta <= 0):
        raise InputError(f"theta must be a number > 0 (the frailty variance) or None to estimate it, got {theta!r}")
    d, covariates, n_groups, _ = _prepare(data, duration, event, covariates, group, "cox_frailty")
    codes, labels = pd.factorize(d[group], sort=True)
    X = d[covariates].to_numpy(float)
    Xc = X - X.mean(axis=0)   # centring leaves the coefficients unchanged and helps Newton
    Z = np.hstack([Xc, np.eye(n_groups)[codes]])
    p = X.shape[1]
    pl = _CoxPL(d[duration].to_numpy(float), d[event].to_numpy(int), ties)
    dg = np.bincount(codes, weights=d[event].to_numpy(float), minlength=n_groups)
    state = {"g": np.zeros(p + n_groups)}

    def fit_at(th):
        g, ll, info, ok = _penalized_fit(pl, Z, p, th, state["g"])
        state["g"] = g
        # R's I-likelihood: the partial likelihood plus nu * sum(u) (the penalty without its constant
        # exp part, sum exp(u) = G at the solution) plus the gamma correction
        return g, ll, info, ok, ll + np.sum(g[p:]) / th + _gamma_correction(dg, 1 / th)

    converged = True
    if theta is None:
        cache = {}

        def neg(logt):
            out = fit_at(float(np.exp(logt)))
            cache[float(logt)] = out
            return -out[4]

        opt = optimize.minimize_scalar(neg, bounds=(np.log(1e-5), np.log(50.0)), method="bounded",
                                       options={"xatol": 1e-6})
        th = float(np.exp(opt.x))
        converged = bool(opt.success)
        g, ll, info, ok, ilik = fit_at(th)
    else:
        th = float(theta)
        g, ll, info, ok, ilik = fit_at(th)
    converged &= ok
    # likelihood-ratio test of theta = 0 against the ordinary Cox fit (I-likelihood -> partial likelihood);
    # theta sits on the boundary, so the p-value is half a chi-square(1) tail (Self & Liang 1987)
    pl0 = _CoxPL(d[duration].to_numpy(float), d[event].to_numpy(int), ties)
    g0, ll0, _, _ = _penalized_fit(pl0, Xc, p, np.inf, np.zeros(p))
    lr = max(0.0, 2 * (ilik - ll0))
    from scipy import stats as _st
    theta_test = {"statistic": lr, "pvalue": 0.5 * float(_st.chi2.sf(lr, 1)) if lr > 0 else 1.0}
    # as coxph for a sparse frailty term: the frailty block of the information is taken as diagonal
    info = info.copy()
    fb = info[p:, p:]
    info[p:, p:] = np.diag(np.diag(fb))
    try:
        cov = np.linalg.inv(info)
        se = np.sqrt(np.clip(np.diag(cov)[:p], 0, None))
    except np.linalg.LinAlgError:
        se = np.full(p, np.nan)
    from .._stats import wald

    beta = g[:p]
    w = wald(beta, se, level)
    table = pd.DataFrame({"coef": beta, "se": se, "z": w["z"], "pvalue": w["pvalue"], "ci_lower": w["ci_lower"],
                          "ci_upper": w["ci_upper"]}, index=pd.Index(covariates, name="covariate"))
    table["hazard_ratio"], table["hr_lower"], table["hr_upper"] = (np.exp(table[c]) for c in
                                                                  ("coef", "ci_lower", "ci_upper"))
    table.loc["theta"] = [th] + [np.nan] * (table.shape[1] - 1)
    frail = pd.DataFrame({"log_frailty": g[p:], "frailty": np.exp(g[p:]), "churns": dg.astype(int),
                          "customers": np.bincount(codes, minlength=n_groups)}, index=pd.Index(labels, name=group))
    prov = make_provenance("churn.cox_frailty", d, {"duration": duration, "event": event, "covariates": covariates,
                                                    "group": group, "theta": theta, "ties": ties, "level": level,
                                                    "distribution": "gamma"})
    res = FrailtyResult(table, frail, theta=th, theta_fixed=theta is not None, ties=ties, ilik=ilik, loglik=ll,
                        duration=duration, event=event, covariates=covariates, group=group, n_groups=n_groups,
                        level=level, nobs=len(d), nevents=int(d[event].sum()), provenance=prov)
    if not converged:
        res._flag("frailty fit: the penalised Newton iterations or the search for theta did not converge",
                  ConvergenceWarning)
    res.theta_test = theta_test
    if theta is None and th < 1e-3:
        res._flag(f"frailty variance estimated at the boundary (theta = {th:.2g}): the data show no clustering of "
                  f"churn by {group!r}; an ordinary cox() fit is the same model", ImproperSolutionWarning)
    if not np.all(np.isfinite(se)):
        res._flag("frailty fit: standard errors are not finite (the penalised information is singular)",
                  ImproperSolutionWarning)
    return res
