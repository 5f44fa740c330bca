r"""Maximum-likelihood machinery shared by the CLV models.

Each model supplies a per-row log-likelihood (and, where cheap, its gradient) in its
natural parameters.  Fitting works on the distinct rows of the summary with their
counts as weights (a million customers have far fewer distinct (x, t_x, T) rows),
maximises the log-likelihood over log-parameters with BFGS, and takes standard errors
from the observed information (the Hessian of the negative log-likelihood at the
optimum, by central differences in :mod:`cxmodels._numerics`), mapped back by the delta
method.  Confidence intervals are Wald intervals on the log scale, so they stay positive:
:math:`\exp(\hat\phi \pm z_{(1+\text{level})/2}\, \mathrm{se}(\hat\phi))`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._numerics import hessian, hessian_from_gradient, jacobian, safe_inverse
from .._results import Result
from .._validation import as_generator, check_level
from ..errors import ConvergenceWarning, ImproperSolutionWarning, InputError
from ..plotting import axes
from ..provenance import make_provenance

#: |log parameter| beyond which an estimate is taken to have run off to 0 or infinity
_BOUNDARY = 18.0


def compress(columns: dict[str, np.ndarray], weights: np.ndarray | None = None):
    """Distinct rows of ``columns`` (dict of equal-length arrays) and their summed weights."""
    frame = pd.DataFrame(columns)
    w = np.ones(len(frame)) if weights is None else np.asarray(weights, float)
    frame["_w"] = w
    g = frame.groupby(list(columns), sort=False, observed=True)["_w"].sum()
    idx = g.index
    return {k: idx.get_level_values(i).to_numpy(dtype=float) if idx.nlevels > 1 else idx.to_numpy(dtype=float)
            for i, k in enumerate(columns)}, g.to_numpy(dtype=float)


class CLVResult(Result):
    """A fitted (or fixed-parameter) CLV model: the result of ``fit_bgnbd``, ``fit_mbgnbd``,
    ``fit_pareto_nbd`` or ``fit_gamma_gamma`` (see the module docstring for the method).

    ``summary()`` has ``est``, ``se``, ``ci_lower``, ``ci_upper`` (Wald on the log scale at
    ``level``); ``covariance``, ``loglik``, ``n_customers``, ``n_distinct`` and the
    prediction methods of each model complete the surface.
    """

    param_names: tuple[str, ...] = ()
    method_name = ""
    _WARM_ROWS = 20_000
    _columns: tuple[str, ...] = ("frequency", "recency", "T")
    _analytic_gradient = True

    def __init__(self):
        self._warnings = []

    # --- to be supplied by each model ---------------------------------------------
    def _arrays(self, data) -> dict[str, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _loglik(self, theta: np.ndarray, d: dict[str, np.ndarray]) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _grad(self, theta: np.ndarray, d: dict[str, np.ndarray]) -> np.ndarray | None:
        """Per-row gradient (n, k) of the log-likelihood in natural parameters, or None."""
        return None

    def _loglik_grad(self, theta, d, w):
        """Weighted sums of the log-likelihood and of its gradient (natural parameters), or None."""
        g = self._grad(theta, d)
        if g is None:
            return None
        return float((w * self._loglik(theta, d)).sum()), (w[:, None] * g).sum(axis=0)

    def _prepare(self, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Hook: add precomputed lookups to the compressed data (default: none)."""
        return d

    def _check_params(self, theta: np.ndarray) -> list[str]:
        return []

    def _degenerate(self, d: dict[str, np.ndarray], w: np.ndarray) -> str | None:
        """Hook: why the data cannot identify the model (None when they can)."""
        if not np.any(d["frequency"] > 0):
            return (f"{self.method_name}: no customer made a repeat purchase (every frequency is 0), so "
                    "the purchase rate and the dropout process are not identified; the estimates run off "
                    "towards 0 or infinity and predictions from them are meaningless")
        return None

    def _compress(self, d_all, weights):
        return compress(d_all, weights)

    # --- fitting ------------------------------------------------------------------
    def _objective(self, d, w, W, penalizer):
        k = len(self.param_names)
        pen = float(penalizer)

        def f(phi):
            theta = np.exp(phi)
            with np.errstate(all="ignore"):
                ll = self._loglik(theta, d)
            val = -(w * ll).sum() / W + pen * np.sum(theta ** 2)
            return val if np.isfinite(val) else 1e300

        def fg(phi):
            theta = np.exp(phi)
            with np.errstate(all="ignore"):
                both = self._loglik_grad(theta, d, w)
            if both is None:
                # no coded gradient: central differences of the objective (step 1e-6 in log-parameters)
                return f(phi), jacobian(f, phi, 1e-6, relative=False)[0]
            ll_sum, g_sum = both
            val = -ll_sum / W + pen * np.sum(theta ** 2)
            grad = -g_sum / W * theta + 2 * pen * theta ** 2
            if not (np.isfinite(val) and np.all(np.isfinite(grad))):
                return 1e300, np.zeros(k)
            return val, grad

        return f, fg

    def _hessian(self, f, fg, phi) -> np.ndarray:
        """Observed information of the mean objective in log-parameters: the differentiated
        analytic gradient (step 1e-4), or second differences of the function (step 1e-3)."""
        with np.errstate(all="ignore"):
            if self._analytic_gradient:
                return hessian_from_gradient(lambda p: fg(p)[1], phi, 1e-4, relative=False)
            return hessian(f, phi, 1e-3, relative=False)

    @classmethod
    def _fit(cls, data, *, weights=None, penalizer: float = 0.0, initial=None, tol: float = 1e-9,
             maxiter: int = 2000, level: float = 0.95):
        self = cls()
        level = check_level(level)
        for name, val in (("penalizer", penalizer), ("tol", tol)):
            if isinstance(val, bool) or not isinstance(val, (int, float, np.number)) or not np.isfinite(val) \
                    or val < 0:
                raise InputError(f"{name} must be a non-negative number, got {val!r}")
        if isinstance(maxiter, bool) or not isinstance(maxiter, (int, np.integer)) or maxiter < 1:
            raise InputError(f"maxiter must be a positive whole number, got {maxiter!r}")
        d_all = self._arrays(data)
        if weights is not None:
            try:
                weights = np.asarray(weights, float)
            except (TypeError, ValueError):
                weights = np.array([np.nan])
            if weights.shape != (len(data),) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
                raise InputError(f"weights must be {len(data)} non-negative finite numbers, one per row of data")
        d, w = self._compress(d_all, weights)
        d = self._prepare(d)
        if len(w) == 0 or w.sum() <= 0:
            raise InputError(f"{self.method_name}: no customers to fit")
        W = w.sum()
        k = len(self.param_names)
        try:
            x0 = np.ones(k) if initial is None else np.asarray(initial, float)
        except (TypeError, ValueError):
            x0 = np.zeros(0)
        if x0.shape != (k,) or not np.all(np.isfinite(x0)) or np.any(x0 <= 0):
            raise InputError(f"initial must hold {k} positive values for {self.param_names}")
        f, fg = self._objective(d, w, W, penalizer)
        phi0, opts = np.log(x0), {"gtol": tol, "maxiter": maxiter}
        if len(w) > 4 * self._WARM_ROWS:
            # warm start: fit a systematic subsample of the distinct rows first, then start the
            # full fit there with the subsample's inverse Hessian (a handful of full-data iterations)
            step = len(w) // self._WARM_ROWS
            sub = {key: val[::step] for key, val in d.items() if not key.startswith("_")}
            sub_w = w[::step]
            sub = self._prepare(sub)
            fs, fgs = self._objective(sub, sub_w, sub_w.sum(), penalizer)
            rs = optimize.minimize(fgs, phi0, jac=True, method="BFGS", options={"gtol": 1e-6, "maxiter": maxiter})
            Hs = self._hessian(fs, fgs, rs.x)
            if rs.success and np.all(np.isfinite(Hs)) and np.all(np.linalg.eigvalsh(Hs) > 0):
                Hi = np.linalg.inv(Hs)
                phi0, opts = rs.x, dict(opts, hess_inv0=(Hi + Hi.T) / 2)
        with np.errstate(all="ignore"):
            res = optimize.minimize(fg, phi0, jac=True, method="BFGS", options=opts)
            phi = res.x
            # polish: a second run from the solution tightens the gradient cheaply
            if not res.success:
                res2 = optimize.minimize(fg, phi, jac=True, method="L-BFGS-B",
                                         options={"ftol": 1e-15, "gtol": tol, "maxiter": maxiter})
                if res2.fun <= res.fun:
                    res, phi = res2, res2.x
        theta = np.exp(phi)
        grad_norm = float(np.max(np.abs(fg(phi)[1])))
        converged = bool(res.success or grad_norm < 1e-5)
        if not converged:
            self._flag(f"{self.method_name}: the optimiser stopped without converging ({res.message}; "
                       f"max |gradient| {grad_norm:.2e}); estimates may be unreliable", ConvergenceWarning, stacklevel=4)
        why = self._degenerate(d, w)
        if why:
            self._flag(why, ImproperSolutionWarning, stacklevel=4)
        elif np.any(np.abs(phi) > _BOUNDARY):
            off = [n for n, p in zip(self.param_names, phi) if abs(p) > _BOUNDARY]
            self._flag(f"{self.method_name}: parameter(s) {off} ran off towards 0 or infinity "
                       f"({', '.join(f'{n} = {t:.3g}' for n, t in zip(self.param_names, theta))}); the data do "
                       "not identify the model (too few repeat purchases, or no variation in them)",
                       ImproperSolutionWarning, stacklevel=4)
        for msg in self._check_params(theta):
            self._flag(msg, ImproperSolutionWarning, stacklevel=4)

        # observed information in log-parameters, total (not mean) log-likelihood
        H = self._hessian(f, fg, phi) * W
        cov_phi, ok = safe_inverse(H)
        if not ok:
            cov_phi = np.full((k, k), np.nan)
            self._flag(f"{self.method_name}: the Hessian of the log-likelihood is not positive definite at the "
                       "estimates; standard errors are unavailable (a parameter may be at a boundary)",
                       ImproperSolutionWarning, stacklevel=4)
        cov_phi = (cov_phi + cov_phi.T) / 2
        self._theta = theta
        self._cov_phi = cov_phi
        self._level = level
        self.loglik = float((w * self._loglik(theta, d)).sum())
        self.n_customers = float(W)
        self.n_distinct = int(len(w))
        self._table = self._make_table(theta, cov_phi, level)
        cols = [c for c in data.columns if c in self._columns]
        self._provenance = make_provenance(
            self.method_name, data[cols],
            {"penalizer": penalizer, "initial": None if initial is None else list(map(float, x0)),
             "tol": tol, "maxiter": maxiter, "level": level, "optimizer": "BFGS on log-parameters",
             "n_distinct_rows": self.n_distinct, "loglik": self.loglik, "converged": converged,
             "weights": weights is not None})
        return self

    def _make_table(self, theta, cov_phi, level):
        se_phi = np.sqrt(np.clip(np.diag(cov_phi), 0, None))
        z = stats.norm.ppf((1 + level) / 2)
        phi = np.log(theta)
        return pd.DataFrame({
            "est": theta, "se": theta * se_phi,
            "ci_lower": np.exp(phi - z * se_phi), "ci_upper": np.exp(phi + z * se_phi),
        }, index=pd.Index(self.param_names, name="param"))

    # --- fitted surface -------------------------------------------------------------
    @property
    def covariance(self) -> pd.DataFrame:
        """Asymptotic covariance of the estimates (delta method from log-parameters)."""
        D = np.diag(self._theta)
        return pd.DataFrame(D @ self._cov_phi @ D, index=list(self.param_names), columns=list(self.param_names))

    def sample_params(self, n: int, seed=None) -> np.ndarray:
        """``n`` parameter draws (n, k) from the asymptotic normal of the log-parameters."""
        if not np.all(np.isfinite(self._cov_phi)):
            raise InputError(f"{self.method_name}: no standard errors, so no parameter draws")
        rng = as_generator(seed)
        return np.exp(rng.multivariate_normal(np.log(self._theta), self._cov_phi, size=int(n), method="cholesky"))

    @classmethod
    def from_params(cls, **params):
        """A model with fixed parameters (no fit, no standard errors): for prediction."""
        obj = cls()
        missing = [p for p in cls.param_names if p not in params]
        extra = [p for p in params if p not in cls.param_names]
        if missing or extra:
            raise InputError(f"{cls.__name__}.from_params needs exactly {list(cls.param_names)}; "
                             f"missing {missing}, unknown {extra}")
        try:
            theta = np.array([float(params[p]) for p in cls.param_names])
        except (TypeError, ValueError):
            raise InputError(f"{cls.__name__}: parameters must be positive numbers, got {params}") from None
        if np.any(~np.isfinite(theta)) or np.any(theta <= 0):
            raise InputError(f"{cls.__name__}: parameters must be positive, got {params}")
        obj._theta = theta
        k = len(theta)
        obj._cov_phi = np.full((k, k), np.nan)
        obj._level = 0.95
        obj._table = pd.DataFrame({"est": theta, "se": np.nan, "ci_lower": np.nan, "ci_upper": np.nan},
                                  index=pd.Index(cls.param_names, name="param"))
        obj._provenance = make_provenance(cls.method_name + " (fixed parameters)", None,
                                          {k: float(v) for k, v in zip(cls.param_names, theta)})
        return obj

    def methods_text(self) -> str:
        """A methods paragraph: model, estimation, data size, estimates with SEs, references."""
        est = "; ".join(f"{k} = {v:.4g}" + (f" (SE {se:.3g})" if np.isfinite(se) else "")
                        for k, v, se in zip(self.param_names, self._table["est"], self._table["se"]))
        cites = " and ".join(r.cite for r in self._references)
        if not hasattr(self, "n_customers"):
            return f"Predictions used the {self.method_name} model of {cites} with fixed parameters {est}."
        conv = "" if self.converged else " The optimiser did not converge; treat the estimates with caution."
        adm = "" if self.admissible else " The fit is not admissible: " + " ".join(self.warnings)
        return (f"Purchase and spend histories were summarised per customer as frequency (repeat purchase "
                f"days), recency and age T. The {self.method_name} model of {cites} was fitted by maximum likelihood "
                f"with cxmodels {self._provenance.versions.get('cxmodels', '')} on {self.n_customers:,.0f} "
                f"customers ({self.n_distinct:,} distinct rows, log-likelihood {self.loglik:.2f}); standard "
                f"errors come from the observed information and {100 * self._level:g}% intervals are Wald "
                f"intervals on the log scale. Estimates: {est}.{conv}{adm}")

    def _series(self, values, data, name):
        return pd.Series(values, index=data.index, name=name)

    def plot(self, ax=None, *, t=None):
        """Expected repeat purchases of a new customer over ``t`` (default 0-104 time units);
        returns the Axes.  Spend models override this."""
        ax = axes(ax)
        grid = np.linspace(0, 104 if t is None else float(t), 200)
        ax.plot(grid, self.expected_purchases(grid))
        ax.set(xlabel="time since first purchase", ylabel="expected repeat purchases",
               title=self.method_name)
        return ax

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v:.4g}" for k, v in zip(self.param_names, self._theta))
        return f"<{type(self).__name__}: {p}>"
