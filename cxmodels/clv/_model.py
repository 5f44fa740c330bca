"""Maximum-likelihood machinery shared by the CLV models.

Each model supplies a per-row log-likelihood (and, where cheap, its gradient) in its
natural parameters.  Fitting works on the distinct rows of the summary with their
counts as weights (a million customers have far fewer distinct (x, t_x, T) rows),
maximises the log-likelihood over log-parameters with BFGS, and takes standard errors
from the observed information (the Hessian of the negative log-likelihood at the
optimum, by central differences), mapped back by the delta method.  Confidence
intervals are Wald intervals on the log scale, so they stay positive.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._results import Result
from .._validation import as_generator
from ..errors import ConvergenceWarning, ImproperSolutionWarning, InputError
from ..provenance import make_provenance


def compress(columns: dict[str, np.ndarray], weights: np.ndarray | None = None):
    """Distinct rows of ``columns`` (dict of equal-length arrays) and their summed weights."""
    frame = pd.DataFrame(columns)
    w = np.ones(len(frame)) if weights is None else np.asarray(weights, float)
    frame["_w"] = w
    g = frame.groupby(list(columns), sort=False, observed=True)["_w"].sum()
    idx = g.index
    return {k: idx.get_level_values(i).to_numpy(dtype=float) if idx.nlevels > 1 else idx.to_numpy(dtype=float)
            for i, k in enumerate(columns)}, g.to_numpy(dtype=float)


class CLVModel(Result):
    """Base class of the fitted CLV models (see the module docstring for the fitting method).

    Parameters
    ----------
    penalizer : float, default 0
        L2 penalty ``penalizer * sum(params**2)`` added to the mean negative
        log-likelihood (lifetimes' ``penalizer_coef``); 0 gives plain maximum likelihood.
    initial : sequence of float, optional
        Starting values in the order of ``param_names`` (default: all 1).
    tol : float
        Gradient tolerance of the optimiser on the mean log-likelihood.
    maxiter : int
        Iteration limit; hitting it raises a :class:`ConvergenceWarning`.
    """

    param_names: tuple[str, ...] = ()
    method_name = ""
    _WARM_ROWS = 20_000
    _columns: tuple[str, ...] = ("frequency", "recency", "T")

    def __init__(self, *, penalizer: float = 0.0, initial=None, tol: float = 1e-9, maxiter: int = 2000):
        self.penalizer = penalizer
        self.initial = initial
        self.tol = tol
        self.maxiter = maxiter
        self._warnings: list[str] = []

    # --- to be supplied by each model ---------------------------------------------
    def _arrays(self, rfm) -> dict[str, np.ndarray]:  # pragma: no cover - abstract
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

    # --- fitting ------------------------------------------------------------------
    def _objective(self, d, w, W):
        k = len(self.param_names)
        pen = float(self.penalizer)

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
                h = 1e-6
                grad = np.array([(f(phi + h * e) - f(phi - h * e)) / (2 * h) for e in np.eye(k)])
                return f(phi), grad
            ll_sum, g_sum = both
            val = -ll_sum / W + pen * np.sum(theta ** 2)
            grad = -g_sum / W * theta + 2 * pen * theta ** 2
            if not (np.isfinite(val) and np.all(np.isfinite(grad))):
                return 1e300, np.zeros(k)
            return val, grad

        return f, fg

    def fit(self, rfm: pd.DataFrame, *, weights=None):
        """Fit by maximum likelihood on ``rfm`` (from :func:`cxmodels.clv.rfm_summary`).

        ``weights`` (optional, one per row) are counts of identical customers; rows are
        compressed to distinct values before fitting either way.  Returns ``self``.
        """
        from scipy import optimize

        d_all = self._arrays(rfm)
        if weights is not None:
            weights = np.asarray(weights, float)
            if weights.shape != (len(rfm),) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
                raise InputError(f"weights must be {len(rfm)} non-negative finite numbers, one per row of rfm")
        d, w = self._compress(d_all, weights)
        d = self._prepare(d)
        if len(w) == 0 or w.sum() <= 0:
            raise InputError(f"{self.method_name}: no customers to fit")
        W = w.sum()
        k = len(self.param_names)
        x0 = np.ones(k) if self.initial is None else np.asarray(self.initial, float)
        if x0.shape != (k,) or np.any(x0 <= 0):
            raise InputError(f"initial must hold {k} positive values for {self.param_names}")
        f, fg = self._objective(d, w, W)
        phi0, opts = np.log(x0), {"gtol": self.tol, "maxiter": self.maxiter}
        if len(w) > 4 * self._WARM_ROWS:
            # warm start: fit a systematic subsample of the distinct rows first, then start the
            # full fit there with the subsample's inverse Hessian (a handful of full-data iterations)
            step = len(w) // self._WARM_ROWS
            sub = {key: val[::step] for key, val in d.items() if not key.startswith("_")}
            sub_w = w[::step]
            sub = self._prepare(sub)
            fs, fgs = self._objective(sub, sub_w, sub_w.sum())
            rs = optimize.minimize(fgs, phi0, jac=True, method="BFGS", options={"gtol": 1e-6, "maxiter": self.maxiter})
            Hs = self._hessian(fs, fgs, rs.x)
            if rs.success and np.all(np.isfinite(Hs)) and np.all(np.linalg.eigvalsh(Hs) > 0):
                Hi = np.linalg.inv(Hs)
                phi0, opts = rs.x, dict(opts, hess_inv0=(Hi + Hi.T) / 2)
        res = optimize.minimize(fg, phi0, jac=True, method="BFGS", options=opts)
        phi = res.x
        # polish: a second BFGS run from the solution tightens the gradient cheaply
        if not res.success:
            res2 = optimize.minimize(fg, phi, jac=True, method="L-BFGS-B",
                                     options={"ftol": 1e-15, "gtol": self.tol, "maxiter": self.maxiter})
            if res2.fun <= res.fun:
                res, phi = res2, res2.x
        theta = np.exp(phi)
        grad_norm = float(np.max(np.abs(fg(phi)[1])))
        self._warnings = []
        self.converged_ = bool(res.success or grad_norm < 1e-5)
        if not self.converged_:
            msg = (f"{self.method_name}: the optimiser stopped without converging ({res.message}; "
                   f"max |gradient| {grad_norm:.2e}); estimates may be unreliable")
            warnings.warn(msg, ConvergenceWarning, stacklevel=2)
            self._warnings.append(msg)
        for msg in self._check_params(theta):
            warnings.warn(msg, ImproperSolutionWarning, stacklevel=2)
            self._warnings.append(msg)

        # observed information in log-parameters, total (not mean) log-likelihood
        H = self._hessian(f, fg, phi) * W
        try:
            cov_phi = np.linalg.inv(H)
            ok = np.all(np.isfinite(cov_phi)) and np.all(np.linalg.eigvalsh((H + H.T) / 2) > 0)
        except np.linalg.LinAlgError:
            ok = False
        if not ok:
            cov_phi = np.full((k, k), np.nan)
            msg = (f"{self.method_name}: the Hessian of the log-likelihood is not positive definite at the "
                   "estimates; standard errors are unavailable (a parameter may be at a boundary)")
            warnings.warn(msg, ImproperSolutionWarning, stacklevel=2)
            self._warnings.append(msg)
        cov_phi = (cov_phi + cov_phi.T) / 2
        se_phi = np.sqrt(np.clip(np.diag(cov_phi), 0, None))
        z = 1.959963984540054
        self._theta = theta
        self._cov_phi = cov_phi
        self.loglik_ = float((w * self._loglik(theta, d)).sum())
        self.n_customers_ = float(W)
        self.n_distinct_ = int(len(w))
        self._table = pd.DataFrame({
            "est": theta, "se": theta * se_phi,
            "ci_lower": np.exp(phi - z * se_phi), "ci_upper": np.exp(phi + z * se_phi),
        }, index=pd.Index(self.param_names, name="param"))
        cols = [c for c in rfm.columns if c in self._columns]
        self._provenance = make_provenance(
            self.method_name, rfm[cols],
            {"penalizer": self.penalizer, "initial": None if self.initial is None else list(map(float, x0)),
             "tol": self.tol, "optimizer": "BFGS on log-parameters", "n_distinct_rows": self.n_distinct_,
             "loglik": self.loglik_, "converged": self.converged_})
        return self

    def _compress(self, d_all, weights):
        return compress(d_all, weights)

    @staticmethod
    def _hessian(f, fg, phi, h: float = 1e-4) -> np.ndarray:
        k = len(phi)
        H = np.empty((k, k))
        for i in range(k):
            e = np.zeros(k)
            e[i] = h
            H[i] = (fg(phi + e)[1] - fg(phi - e)[1]) / (2 * h)
        return (H + H.T) / 2

    # --- fitted surface -------------------------------------------------------------
    def _require_fit(self):
        if not hasattr(self, "_theta"):
            raise InputError(f"{type(self).__name__} is not fitted yet: call .fit(rfm) first")

    @property
    def params(self) -> pd.Series:
        """Point estimates, a Series indexed by parameter name."""
        self._require_fit()
        return self._table["est"].copy()

    @property
    def params_(self) -> pd.Series:
        return self.params

    def summary(self) -> pd.DataFrame:
        """Estimates, standard errors and 95% intervals (Wald on the log scale)."""
        self._require_fit()
        return self._table.copy()

    @property
    def covariance(self) -> pd.DataFrame:
        """Asymptotic covariance of the estimates (delta method from log-parameters)."""
        self._require_fit()
        D = np.diag(self._theta)
        return pd.DataFrame(D @ self._cov_phi @ D, index=list(self.param_names), columns=list(self.param_names))

    def sample_params(self, n: int, seed=None) -> np.ndarray:
        """``n`` parameter draws (n, k) from the asymptotic normal of the log-parameters."""
        self._require_fit()
        if not np.all(np.isfinite(self._cov_phi)):
            raise InputError(f"{self.method_name}: no standard errors, so no parameter draws")
        rng = as_generator(seed)
        return np.exp(rng.multivariate_normal(np.log(self._theta), self._cov_phi, size=int(n), method="cholesky"))

    @classmethod
    def from_params(cls, **params):
        """A model with fixed parameters (no fit, no standard errors): for prediction."""
        obj = cls()
        missing = [p for p in cls.param_names if p not in params]
        if missing:
            raise InputError(f"{cls.__name__}.from_params needs {list(cls.param_names)}; missing {missing}")
        theta = np.array([float(params[p]) for p in cls.param_names])
        if np.any(~np.isfinite(theta)) or np.any(theta <= 0):
            raise InputError(f"{cls.__name__}: parameters must be positive, got {params}")
        obj._theta = theta
        k = len(theta)
        obj._cov_phi = np.full((k, k), np.nan)
        obj._warnings = []
        obj.converged_ = True
        obj._table = pd.DataFrame({"est": theta, "se": np.nan, "ci_lower": np.nan, "ci_upper": np.nan},
                                  index=pd.Index(cls.param_names, name="param"))
        obj._provenance = make_provenance(cls.method_name + " (fixed parameters)", None, dict(params))
        return obj

    _references = ""

    def methods_text(self) -> str:
        """A methods paragraph: model, estimation, data size, estimates with SEs, references."""
        self._require_fit()
        est = "; ".join(f"{k} = {v:.4g}" + (f" (SE {se:.3g})" if np.isfinite(se) else "")
                        for k, v, se in zip(self.param_names, self._table["est"], self._table["se"]))
        refs = f"References: {self._references}" if self._references else ""
        if not hasattr(self, "n_customers_"):
            return f"Predictions used the {self.method_name} with fixed parameters {est}. {refs}".strip()
        conv = "" if self.converged_ else " The optimiser did not converge; treat the estimates with caution."
        return (f"Purchase and spend histories were summarised per customer as frequency (repeat purchase "
                f"days), recency and age T. The {self.method_name} was fitted by maximum likelihood with cxmodels "
                f"{self._provenance.versions.get('cxmodels', '')} on {self.n_customers_:,.0f} customers "
                f"({self.n_distinct_:,} distinct rows, log-likelihood {self.loglik_:.2f}); standard errors come "
                f"from the observed information and intervals are Wald intervals on the log scale. "
                f"Estimates: {est}.{conv} {refs}").strip()

    def _series(self, values, rfm, name):
        return pd.Series(values, index=rfm.index, name=name)

    def __repr__(self) -> str:
        if not hasattr(self, "_theta"):
            return f"<{type(self).__name__} (not fitted)>"
        p = ", ".join(f"{k}={v:.4g}" for k, v in zip(self.param_names, self._theta))
        return f"<{type(self).__name__}: {p}>"
