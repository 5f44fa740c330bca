r"""BG/NBD, Pareto/NBD and Gamma-Gamma with time-invariant covariates, by maximum likelihood.

Each customer's scale parameters move with her covariates :math:`z_i` (Fader & Hardie 2007;
the row-level likelihoods and the exact parametrisation are in :mod:`cxmodels.clv.covariates`):

* :func:`fit_bgnbd_covariates`: :math:`\alpha_i = \alpha e^{-\gamma_p' z_i}`,
  :math:`a_i = a e^{\gamma_a' z_i}`, :math:`b_i = b e^{\gamma_b' z_i}` (a positive purchase
  coefficient raises the purchase rate; the dropout covariates enter ``a`` and ``b`` with
  coefficients of their own, as in pymc-marketing's ``BetaGeoModel``);
* :func:`fit_pareto_nbd_covariates`: :math:`\alpha_i = \alpha e^{-\gamma_p' z_i}`,
  :math:`\beta_i = \beta e^{-\gamma_d' z_i}` (a positive dropout coefficient raises the dropout rate);
* :func:`fit_gamma_gamma_covariates`: :math:`v_i = v e^{\gamma_m' z_i}` (expected spend
  :math:`p v_i/(q-1)` scales with :math:`e^{\gamma_m' z_i}`).

Estimation follows :mod:`cxmodels.clv._model`: identical rows (history and covariates) are
compressed with counts as weights; BFGS maximises the log-likelihood over the log baseline
parameters and the coefficients with the analytic gradient (chain rule through the linear
predictors); standard errors come from the observed information (the analytic gradient
differenced by :func:`cxmodels._numerics.hessian_from_gradient`).  Baseline parameters get
Wald intervals on the log scale, coefficients Wald intervals on their own scale.
``sample_params`` draws from the asymptotic normal for intervals on predictions.

References
----------
Fader, P. S., & Hardie, B. G. S. (2007). Incorporating time-invariant covariates into the
Pareto/NBD and BG/NBD models. http://brucehardie.com/notes/019/
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._numerics import hessian_from_gradient, safe_inverse
from .._results import Result
from .._validation import (as_generator, check_count, check_level, require_columns, require_finite,
                           require_no_missing, require_numeric)
from ..errors import ConvergenceWarning, ImproperSolutionWarning, InputError
from ..plotting import axes
from ..provenance import make_provenance
from . import covariates as cv
from ._model import compress
from .checks import positive_horizon, row_weights, summary_arrays
from .gammagamma import _spend_arrays
from .references import FH_2005_NOTE, FH_2007_COVARIATES, FHL_2005, FHL_2005B, SMC_1987

#: |log baseline| or |coefficient x sd(z)| beyond which an estimate has run off
_BOUNDARY = 18.0
#: distinct rows of the warm-start subsample (fits on more than 2x as many rows start there)
_WARM_ROWS = 20_000
_SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


def covariate_matrix(data: pd.DataFrame, columns, what: str = "data", role: str = "covariates", *,
                     fitting: bool = True) -> np.ndarray:
    """Validated covariate columns of ``data`` as a float matrix (n, len(columns)).

    Refuses (InputError naming columns and rows): a column missing, non-numeric, with missing
    or infinite values, listed twice; and, when ``fitting``, constant (it is absorbed by the
    baseline parameter) or a set of columns that are collinear (named).  Predictions for a
    single customer need neither variation nor rank.
    """
    if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
        raise InputError(f"{role} must be a list of column names, got {columns!r}")
    columns = list(columns)
    if len(set(columns)) < len(columns):
        raise InputError(f"{role} lists a column twice: {columns}")
    clash = [c for c in columns if c in _SUMMARY_COLUMNS]
    if clash:
        raise InputError(f"{role} may not use the summary column(s) {clash}; covariates are time-invariant "
                         "customer attributes (the history enters the likelihood already)")
    if not columns:
        return np.zeros((len(data), 0))
    require_columns(data, columns, what)
    dup = [c for c in columns if int((data.columns == c).sum()) > 1]
    if dup:
        raise InputError(f"{what} has more than one column named {dup}; covariates must be unambiguous")
    require_numeric(data, columns, what)
    require_no_missing(data, columns, what, hint="; covariates must be known for every customer")
    require_finite(data, columns, what)
    Z = data[columns].to_numpy(dtype=float)
    if not fitting:
        return Z
    for j, c in enumerate(columns):
        if np.ptp(Z[:, j]) == 0:
            raise InputError(f"covariate {c!r} of {what} is constant ({Z[0, j]:g} in every row); its effect "
                             "cannot be told apart from the baseline parameter: drop it")
    sd = Z.std(axis=0)
    X = np.column_stack([np.ones(len(Z)), (Z - Z.mean(axis=0)) / sd])
    sv, vt = np.linalg.svd(X, full_matrices=False)[1:]
    if sv[-1] < 1e-8 * sv[0]:
        null = np.abs(vt[-1, 1:])
        involved = [c for c, v in zip(columns, null) if v > 1e-6 * null.max()]
        raise InputError(f"{role} {involved} of {what} are collinear (one is a linear combination of the others "
                         "and the constant); their effects are not identified: drop one")
    return Z


def _check_number(val, name, minimum=0.0, strict=False):
    if isinstance(val, bool) or not isinstance(val, (int, float, np.number)) or not np.isfinite(val) \
            or val < minimum or (strict and val <= minimum):
        raise InputError(f"{name} must be a {'positive' if strict else 'non-negative'} number, got {val!r}")
    return float(val)


class CovariateCLVResult(Result):
    """Shared surface of the covariate BTYD and spend fits (see the module docstring).

    ``summary()`` has one row per baseline parameter (``r, alpha, ...``) and per coefficient
    (``"purchase[z]"``, ``"dropout[z]"`` ...) with ``est``, ``se``, ``ci_lower``,
    ``ci_upper``; ``covariates`` maps each process to its columns; ``covariance`` is the
    asymptotic covariance of (log baseline, coefficients); ``loglik``, ``n_customers``,
    ``n_distinct`` describe the fit.
    """

    baseline_names: tuple[str, ...] = ()
    #: process -> (key of the row gradient, sign of d log(individual parameter) / d lp)
    processes: dict[str, tuple[str, float]] = {}
    method_name = ""
    _summary_columns: tuple[str, ...] = ("frequency", "recency", "T")

    def __init__(self):
        self._warnings = []

    # --- model hooks -------------------------------------------------------------------
    def _summary(self, data) -> dict[str, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _row_grad(self, params, d, lps):  # pragma: no cover - abstract
        raise NotImplementedError

    def _keep(self, d) -> np.ndarray:
        return np.ones(len(d["frequency"]), bool)

    def _degenerate(self, d, w) -> str | None:
        if not np.any(d["frequency"] > 0):
            return (f"{self.method_name}: no customer made a repeat purchase, so the purchase and dropout "
                    "processes are not identified")
        return None

    # --- parameters ----------------------------------------------------------------------
    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(self.baseline_names) + tuple(f"{p}[{c}]" for p in self.processes for c in self.covariates[p])

    def _split(self, theta):
        """Natural parameter vector -> (baseline dict, {process: coefficient array})."""
        k0 = len(self.baseline_names)
        base = {n: float(v) for n, v in zip(self.baseline_names, theta[:k0])}
        coefs, i = {}, k0
        for p in self.processes:
            m = len(self.covariates[p])
            coefs[p] = np.asarray(theta[i:i + m], float)
            i += m
        return base, coefs

    def _lps(self, coefs, Z):
        return tuple(Z[p] @ coefs[p] if Z[p].shape[1] else np.zeros(Z[p].shape[0]) for p in self.processes)

    def _design(self, data, what="data", fitting=False):
        return {p: covariate_matrix(data, self.covariates[p], what, f"{p} covariates", fitting=fitting)
                for p in self.processes}

    # --- fitting -------------------------------------------------------------------------
    def _objective(self, d, Z, w, W):
        k0 = len(self.baseline_names)

        def fg(phi):
            theta = np.concatenate([np.exp(phi[:k0]), phi[k0:]])
            base, coefs = self._split(theta)
            with np.errstate(all="ignore"):
                ll, g = self._row_grad(base, d, self._lps(coefs, Z))
                grad = [(w * g[n]).sum() for n in self.baseline_names]
                for p, (key, sign) in self.processes.items():
                    if Z[p].shape[1]:
                        grad.extend(sign * (w * g[key]) @ Z[p])
            val = -(w * ll).sum() / W
            grad = -np.asarray(grad) / W
            if not (np.isfinite(val) and np.all(np.isfinite(grad))):
                return 1e300, np.zeros(len(phi))
            return float(val), grad

        return fg

    def _default_baseline(self, d, w):
        """Hook: baseline starting values when the caller gives none (default: all 1)."""
        return np.ones(len(self.baseline_names))

    @classmethod
    def _fit(cls, data, covariates: dict, *, weights=None, initial=None, tol=1e-9, maxiter=2000, level=0.95):
        self = cls()
        self.covariates = {}
        for p in cls.processes:
            cols = covariates.get(p)
            cols = () if cols is None else cols
            if isinstance(cols, str) or not isinstance(cols, (list, tuple, pd.Index)):
                raise InputError(f"{p} covariates must be a list of column names, got {cols!r}")
            self.covariates[p] = list(cols)
        level = check_level(level)
        tol = _check_number(tol, "tol")
        if isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 1:
            raise InputError(f"maxiter must be a positive whole number, got {maxiter!r}")
        d_all = self._summary(data)
        Z_all = self._design(data, fitting=True)
        weights = row_weights(weights, len(data))
        keep = self._keep(d_all)
        cols = {k: v[keep] for k, v in d_all.items()}
        zcols = {f"_z_{p}_{j}": Z_all[p][keep, j] for p in self.processes for j in range(Z_all[p].shape[1])}
        comp, w = compress({**cols, **zcols}, None if weights is None else weights[keep])
        if w.sum() <= 0:
            raise InputError(f"{self.method_name}: no customers to fit (every weight is 0)")
        d = {k: comp[k] for k in cols}
        Z = {p: np.column_stack([comp[f"_z_{p}_{j}"] for j in range(Z_all[p].shape[1])])
             if Z_all[p].shape[1] else np.zeros((len(w), 0)) for p in self.processes}
        W = float(w.sum())
        k0, k = len(self.baseline_names), len(self.param_names)
        if initial is None:
            phi0 = np.concatenate([np.log(self._default_baseline(d, w)), np.zeros(k - k0)])
        else:
            try:
                x0 = np.asarray(initial, float)
            except (TypeError, ValueError):
                x0 = np.zeros(0)
            if x0.shape != (k,) or not np.all(np.isfinite(x0)) or np.any(x0[:k0] <= 0):
                raise InputError(f"initial must hold {k} values for {list(self.param_names)} (baseline positive)")
            phi0 = np.concatenate([np.log(x0[:k0]), x0[k0:]])
        fg = self._objective(d, Z, w, W)
        opts = {"gtol": tol, "maxiter": maxiter}
        if len(w) > 2 * _WARM_ROWS:
            # warm start as in _model.py: fit a systematic subsample of the distinct rows, then start the
            # full fit there with the subsample's inverse Hessian (a handful of full-data iterations)
            step = len(w) // _WARM_ROWS
            sub_w = w[::step]
            fgs = self._objective({k: v[::step] for k, v in d.items()}, {p: z[::step] for p, z in Z.items()},
                                  sub_w, sub_w.sum())
            with np.errstate(all="ignore"):
                rs = optimize.minimize(fgs, phi0, jac=True, method="BFGS", options={"gtol": 1e-6, "maxiter": maxiter})
                Hs = hessian_from_gradient(lambda p: fgs(p)[1], rs.x, 1e-4, relative=False)
            if rs.success and np.all(np.isfinite(Hs)) and np.all(np.linalg.eigvalsh(Hs) > 0):
                Hi = np.linalg.inv(Hs)
                phi0, opts = rs.x, dict(opts, hess_inv0=(Hi + Hi.T) / 2)
        with np.errstate(all="ignore"):
            res = optimize.minimize(fg, phi0, jac=True, method="BFGS", options=opts)
            if not res.success:
                # polish from where BFGS stopped (it often stalls on rounding at a tight gtol)
                res2 = optimize.minimize(fg, res.x, jac=True, method="L-BFGS-B",
                                         options={"ftol": 1e-15, "gtol": tol, "maxiter": maxiter})
                if res2.fun <= res.fun:
                    res = res2
        phi = res.x
        self._phi = phi
        self._theta = np.concatenate([np.exp(phi[:k0]), phi[k0:]])
        grad_norm = float(np.max(np.abs(fg(phi)[1])))
        converged = bool(res.success or grad_norm < 1e-5)
        if not converged:
            self._flag(f"{self.method_name}: the optimiser stopped without converging ({res.message}; "
                       f"max |gradient| {grad_norm:.2e}); estimates may be unreliable", ConvergenceWarning)
        why = self._degenerate(d, w)
        sd = np.concatenate([Z[p].std(axis=0) for p in self.processes]) if k > k0 else np.zeros(0)
        size = np.concatenate([np.abs(phi[:k0]), np.abs(phi[k0:]) * sd])
        if why:
            self._flag(why, ImproperSolutionWarning)
        elif np.any(size > _BOUNDARY):
            off = [n for n, s in zip(self.param_names, size) if s > _BOUNDARY]
            self._flag(f"{self.method_name}: parameter(s) {off} ran off towards 0 or infinity; the data do not "
                       "identify them (a covariate that separates buyers from non-buyers, or too few repeat "
                       "purchases)", ImproperSolutionWarning)
        H = hessian_from_gradient(lambda p: fg(p)[1], phi, 1e-4, relative=False) * W
        cov, ok = safe_inverse(H)
        if not ok:
            cov = np.full((k, k), np.nan)
            self._flag(f"{self.method_name}: the Hessian of the log-likelihood is not positive definite at the "
                       "estimates; standard errors are unavailable", ImproperSolutionWarning)
        self._cov_phi, self._level = (cov + cov.T) / 2, level
        base, coefs = self._split(self._theta)
        self.loglik = float((w * self._row_grad(base, d, self._lps(coefs, Z))[0]).sum())
        self.n_customers, self.n_distinct = W, int(len(w))
        self._table = self._make_table()
        used = [c for c in self._summary_columns if c in data.columns] + \
            sorted({c for p in self.processes for c in self.covariates[p]})
        self._provenance = make_provenance(
            self.method_name, data[used],
            {"covariates": self.covariates, "initial": None if initial is None else list(map(float, initial)),
             "tol": tol, "maxiter": maxiter, "level": level, "n_distinct_rows": self.n_distinct,
             "weights": weights is not None,
             "loglik": self.loglik, "converged": converged,
             "optimizer": "BFGS on log baseline parameters and coefficients, analytic gradient"})
        return self

    def _make_table(self):
        k0 = len(self.baseline_names)
        se = np.sqrt(np.clip(np.diag(self._cov_phi), 0, None))
        z = stats.norm.ppf((1 + self._level) / 2)
        phi = self._phi
        lo, hi = phi - z * se, phi + z * se
        est = self._theta
        return pd.DataFrame({
            "est": est,
            "se": np.concatenate([est[:k0] * se[:k0], se[k0:]]),
            "ci_lower": np.concatenate([np.exp(lo[:k0]), lo[k0:]]),
            "ci_upper": np.concatenate([np.exp(hi[:k0]), hi[k0:]]),
        }, index=pd.Index(self.param_names, name="param"))

    # --- surface -------------------------------------------------------------------------
    @property
    def covariance(self) -> pd.DataFrame:
        """Asymptotic covariance of (log baseline parameters, coefficients)."""
        names = [f"log {n}" for n in self.baseline_names] + list(self.param_names[len(self.baseline_names):])
        return pd.DataFrame(self._cov_phi, index=names, columns=names)

    def sample_params(self, n: int, seed=None) -> np.ndarray:
        """``n`` parameter draws (n, k) in the order of ``summary().index`` (natural scale) from the
        asymptotic normal of (log baseline parameters, coefficients)."""
        n = check_count(n, "n", minimum=1)
        if not np.all(np.isfinite(self._cov_phi)):
            raise InputError(f"{self.method_name}: no standard errors, so no parameter draws")
        k0 = len(self.baseline_names)
        try:
            draws = as_generator(seed).multivariate_normal(self._phi, self._cov_phi, size=n, method="cholesky")
        except np.linalg.LinAlgError:
            raise InputError(f"{self.method_name}: the covariance of the estimates is not positive definite, "
                             "so no parameter draws") from None
        draws[:, :k0] = np.exp(draws[:, :k0])
        return draws

    def linear_predictors(self, data: pd.DataFrame) -> pd.DataFrame:
        r"""Each customer's linear predictor :math:`\gamma' z_i` per process (columns named by process)."""
        Z = self._design(data)
        _, coefs = self._split(self._theta)
        return pd.DataFrame(dict(zip(self.processes, self._lps(coefs, Z))), index=data.index)

    def methods_text(self) -> str:
        """A methods paragraph: model, covariates, estimation, estimates with SEs, references."""
        t = self._table
        est = "; ".join(f"{k} = {v:.4g}" + (f" (SE {s:.3g})" if np.isfinite(s) else "")
                        for k, v, s in zip(t.index, t["est"], t["se"]))
        cov = "; ".join(f"{p}: {', '.join(c) if c else 'none'}" for p, c in self.covariates.items())
        refs = [r.cite for r in self._references]
        cites = ", ".join(refs[:-1]) + " and " + refs[-1] if len(refs) > 1 else refs[0]
        conv = "" if self.converged else " The optimiser did not converge; treat the estimates with caution."
        adm = "" if self.admissible else " The fit is not admissible: " + " ".join(self.warnings)
        return (f"The {self.method_name} model with time-invariant covariates ({cites}; covariates by process: "
                f"{cov}) was fitted by maximum likelihood with cxmodels "
                f"{self._provenance.versions.get('cxmodels', '')} on {self.n_customers:,.0f} customers "
                f"({self.n_distinct:,} distinct rows, log-likelihood {self.loglik:.2f}); standard errors come "
                f"from the observed information; {100 * self._level:g}% intervals are Wald intervals, on the log "
                f"scale for the baseline parameters. Estimates: {est}.{conv}{adm}")

    def plot(self, ax=None):
        """The coefficients with their intervals, one row per covariate and process; returns the Axes."""
        ax = axes(ax)
        coef = self._table.iloc[len(self.baseline_names):]
        est, lo, hi = (coef[c].to_numpy(float) for c in ("est", "ci_lower", "ci_upper"))
        y = np.arange(len(coef))[::-1]
        ax.errorbar(est, y, xerr=np.vstack([est - lo, hi - est]), fmt="o", capsize=3)
        ax.axvline(0.0, color="grey", lw=0.8)
        ax.set_yticks(y, list(coef.index))
        ax.set(xlabel=f"coefficient ({100 * self._level:g}% interval)", title=self.method_name)
        return ax

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v:.4g}" for k, v in zip(self.param_names, self._theta))
        return f"<{type(self).__name__}: {body}>"


class _PurchaseCovariateResult(CovariateCLVResult):
    """Predictions shared by the covariate BG/NBD and Pareto/NBD."""

    def _summary(self, data):
        return summary_arrays(data)

    def _arrays(self, data):
        """Validated history and covariate design of ``data`` for predictions."""
        return self._summary(data), self._design(data)

    def _cond_purchases(self, theta, d, Z, t):  # pragma: no cover - per model
        raise NotImplementedError

    def p_alive(self, data: pd.DataFrame) -> pd.Series:
        """Probability each customer is alive at ``T`` given her history and covariates."""
        d, Z = self._arrays(data)
        base, coefs = self._split(self._theta)
        vals = self._p_alive_fn(base, d["frequency"], d["recency"], d["T"], *self._lps(coefs, Z))
        return pd.Series(vals, index=data.index, name="p_alive")

    def expected_purchases(self, t, data: pd.DataFrame) -> pd.Series:
        """Expected purchases of each customer in the next ``t`` given her history and covariates."""
        t = float(positive_horizon(t))
        d, Z = self._arrays(data)
        return pd.Series(self._cond_purchases(self._theta, d, Z, t), index=data.index, name="expected_purchases")

    def expected_purchases_new_customer(self, t, data: pd.DataFrame | None = None):
        """Expected purchases in ``(0, t]`` of a new customer: per row of ``data`` (its covariate
        columns), or at covariates 0 (the baseline) without ``data``, for scalar or array ``t``."""
        t = positive_horizon(t)
        base, coefs = self._split(self._theta)
        if data is None:
            return self._new_fn(base, t)
        Z = self._design(data)
        vals = self._new_fn(base, float(t), *self._lps(coefs, Z))
        return pd.Series(vals, index=data.index, name="expected_purchases")

    def plot_purchases(self, ax=None, *, t=None):
        """Expected repeat purchases of a new customer with covariates 0 over ``t``; returns the Axes."""
        ax = axes(ax)
        grid = np.linspace(0, 104 if t is None else float(t), 200)
        ax.plot(grid, self.expected_purchases_new_customer(grid))
        ax.set(xlabel="time since first purchase", ylabel="expected repeat purchases", title=self.method_name)
        return ax


class BGNBDCovariateResult(_PurchaseCovariateResult):
    """A BG/NBD fit with covariates (from :func:`fit_bgnbd_covariates`); coefficient rows
    ``purchase[z]``, ``dropout_a[z]``, ``dropout_b[z]``."""

    baseline_names = ("r", "alpha", "a", "b")
    processes = {"purchase": ("alpha", -1.0), "dropout_a": ("a", 1.0), "dropout_b": ("b", 1.0)}
    method_name = "BG/NBD"
    _references = (FHL_2005, FH_2007_COVARIATES)
    _p_alive_fn = staticmethod(cv.bgnbd_p_alive)
    _new_fn = staticmethod(cv.bgnbd_expected_purchases)

    def _row_grad(self, params, d, lps):
        return cv.bgnbd_row_loglik_grad(params, d["frequency"], d["recency"], d["T"], *lps)

    def _cond_purchases(self, theta, d, Z, t):
        base, coefs = self._split(theta)
        return cv.bgnbd_conditional_purchases(base, t, d["frequency"], d["recency"], d["T"], *self._lps(coefs, Z))


class ParetoNBDCovariateResult(_PurchaseCovariateResult):
    """A Pareto/NBD fit with covariates (from :func:`fit_pareto_nbd_covariates`); coefficient rows
    ``purchase[z]``, ``dropout[z]``."""

    baseline_names = ("r", "alpha", "s", "beta")
    processes = {"purchase": ("alpha", -1.0), "dropout": ("beta", -1.0)}
    method_name = "Pareto/NBD"
    _references = (SMC_1987, FH_2005_NOTE, FH_2007_COVARIATES)
    _p_alive_fn = staticmethod(cv.pareto_nbd_p_alive)
    _new_fn = staticmethod(cv.pareto_nbd_expected_purchases)

    def _default_baseline(self, d, w):
        # as cxmodels.clv.fit_pareto_nbd: alpha = beta at a quarter of the mean observation length
        # (from all-ones BFGS wanders through alpha >> beta, where each evaluation is slow)
        scale = max(float(np.average(d["T"], weights=w)) / 4.0, 1e-3)
        return np.array([1.0, scale, 1.0, scale])

    def _row_grad(self, params, d, lps):
        return cv.pareto_nbd_row_loglik_grad(params, d["frequency"], d["recency"], d["T"], *lps)

    def _cond_purchases(self, theta, d, Z, t):
        base, coefs = self._split(theta)
        return cv.pareto_nbd_conditional_purchases(base, t, d["frequency"], d["recency"], d["T"],
                                                   *self._lps(coefs, Z))


class GammaGammaCovariateResult(CovariateCLVResult):
    """A Gamma-Gamma spend fit with covariates (from :func:`fit_gamma_gamma_covariates`);
    coefficient rows ``spend[z]``: :math:`e^{\\gamma}` is the factor on expected spend per unit of z."""

    baseline_names = ("p", "q", "v")
    processes = {"spend": ("v", 1.0)}
    method_name = "Gamma-Gamma spend"
    _references = (FHL_2005B, FH_2007_COVARIATES)
    _summary_columns = ("frequency", "monetary_value")

    def _summary(self, data):
        return _spend_arrays(data)

    def _keep(self, d):
        keep = d["frequency"] > 0
        if not keep.any():
            raise InputError("Gamma-Gamma: no repeat buyers (frequency > 0) to fit the spend model on")
        return keep

    def _row_grad(self, params, d, lps):
        return cv.gamma_gamma_row_loglik_grad(params, d["frequency"], d["monetary_value"], *lps)

    def _degenerate(self, d, w):
        if w.sum() < 2 or np.unique(d["monetary_value"]).size < 2:
            return (f"{self.method_name}: fewer than two repeat buyers or no variation in their mean spend; "
                    "the spread of spend across customers is not identified")
        if self._theta[1] <= 1:
            return (f"{self.method_name}: q = {self._theta[1]:.4g} <= 1, so the population mean spend is "
                    "infinite; expected spend is undefined")
        return None

    def _spend(self, theta, d, Z):
        base, coefs = self._split(theta)
        return cv.gamma_gamma_expected_spend(base, d["frequency"], d["monetary_value"], *self._lps(coefs, Z))

    def expected_spend(self, data: pd.DataFrame) -> pd.Series:
        r"""Expected mean transaction value :math:`p(v_i + x m)/(px+q-1)` per customer given covariates;
        customers without repeat purchases get their covariates' population mean :math:`p v_i/(q-1)`."""
        d = self._summary(data)
        return pd.Series(self._spend(self._theta, d, self._design(data)), index=data.index, name="expected_spend")

    def population_mean_spend(self, data: pd.DataFrame | None = None):
        """:math:`p v_i/(q-1)`: at covariates 0 (a float) or per row of ``data`` (a Series)."""
        base, coefs = self._split(self._theta)
        if data is None:
            return float(cv.gamma_gamma_expected_spend(base, 0.0, 0.0))
        vals = cv.gamma_gamma_expected_spend(base, 0.0, 0.0, *self._lps(coefs, self._design(data)))
        return pd.Series(np.broadcast_to(vals, len(data)), index=data.index, name="population_mean_spend")


_FIT_ARGS = """
    Parameters
    ----------
    data : DataFrame
        One row per customer: ``frequency, recency, T`` (as :func:`cxmodels.clv.rfm_summary`
        returns; ``frequency, monetary_value`` for spend) and the covariate columns, numeric,
        complete and not constant (centre them for a baseline that describes the average
        customer).  Identical rows are compressed; not modified.
    weights : array-like, optional
        Counts (or bootstrap weights) of the rows, non-negative, one per row of ``data``.
    initial : sequence of float, optional
        Starting values in the order of ``summary().index`` (default: baseline 1, coefficients 0).
    tol : float
        Gradient tolerance of the optimiser on the mean log-likelihood.
    maxiter : int
        Iteration limit; hitting it flags the result as not converged.
    level : float, default 0.95
        Level of the Wald intervals in ``summary()``.

    Raises
    ------
    cxmodels.errors.InputError
        Missing, non-numeric, constant, incomplete or collinear covariates, named (with the rows).

    Notes
    -----
    A fit the data cannot identify warns, is listed in ``.warnings`` and has ``admissible=False``.
"""


def fit_bgnbd_covariates(data: pd.DataFrame, *, purchase_covariates=(), dropout_covariates=(), weights=None,
                         initial=None, tol: float = 1e-9, maxiter: int = 2000, level: float = 0.95) -> BGNBDCovariateResult:
    r"""Fit the BG/NBD with time-invariant covariates (Fader & Hardie 2007); returns a
    :class:`BGNBDCovariateResult`.

    :math:`\alpha_i = \alpha e^{-\gamma_p' z_i}` for the ``purchase_covariates``;
    :math:`a_i = a e^{\gamma_a' z_i}`, :math:`b_i = b e^{\gamma_b' z_i}` for the
    ``dropout_covariates`` (two coefficients per column: ``dropout_a[z]``, ``dropout_b[z]``).
    """
    return BGNBDCovariateResult._fit(data, {"purchase": purchase_covariates, "dropout_a": dropout_covariates,
                                            "dropout_b": dropout_covariates},
                                     weights=weights, initial=initial, tol=tol, maxiter=maxiter, level=level)


def fit_pareto_nbd_covariates(data: pd.DataFrame, *, purchase_covariates=(), dropout_covariates=(),
                              weights=None, initial=None, tol: float = 1e-9, maxiter: int = 2000,
                              level: float = 0.95) -> ParetoNBDCovariateResult:
    r"""Fit the Pareto/NBD with time-invariant covariates (Fader & Hardie 2007); returns a
    :class:`ParetoNBDCovariateResult`.

    :math:`\alpha_i = \alpha e^{-\gamma_p' z_i}` (purchase rate :math:`E[\lambda_i] = (r/\alpha)
    e^{\gamma_p' z_i}`), :math:`\beta_i = \beta e^{-\gamma_d' z_i}` (dropout rate
    :math:`E[\mu_i] = (s/\beta) e^{\gamma_d' z_i}`).
    """
    return ParetoNBDCovariateResult._fit(data, {"purchase": purchase_covariates, "dropout": dropout_covariates},
                                         weights=weights, initial=initial, tol=tol, maxiter=maxiter, level=level)


def fit_gamma_gamma_covariates(data: pd.DataFrame, *, covariates=(), weights=None, initial=None,
                               tol: float = 1e-9, maxiter: int = 2000, level: float = 0.95) -> GammaGammaCovariateResult:
    r"""Fit the Gamma-Gamma spend model with covariates on spend on the repeat buyers of ``data``;
    returns a :class:`GammaGammaCovariateResult`.

    The rate of a customer's transaction values :math:`\nu_i = \tilde\nu e^{-\gamma' z_i}`,
    :math:`\tilde\nu \sim \mathrm{Gamma}(q, v)`: :math:`v_i = v e^{\gamma' z_i}` and expected spend
    :math:`p v_i/(q-1)` is multiplied by :math:`e^{\gamma}` per unit of a covariate.
    """
    return GammaGammaCovariateResult._fit(data, {"spend": covariates}, weights=weights, initial=initial, tol=tol,
                                          maxiter=maxiter, level=level)


for _f in (fit_bgnbd_covariates, fit_pareto_nbd_covariates, fit_gamma_gamma_covariates):
    _f.__doc__ += _FIT_ARGS
del _f
