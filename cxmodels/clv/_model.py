r"""Maximum-likelihood machinery shared by the CLV models.

Each model supplies a per-row log-likelihood (and, where cheap, its gradient and Hessian)
in its natural parameters.  Fitting works on the distinct rows of the summary with their
counts as weights when merging pays (the share of distinct rows is estimated on a sample
first: when nearly every row is distinct, merging costs more than it saves and is
skipped), maximises the log-likelihood over log-parameters :math:`\phi = \log\theta`,
and takes standard errors from the observed information (the Hessian of the negative
log-likelihood at the optimum), mapped back by the delta method.

Two optimisers: BFGS (any model; on large data warm-started from a fit on a systematic
subsample of the rows), and, for models that code the Hessian (``_loglik_grad_hess``),
damped Newton steps on the full data from that warm start.  Newton converges
quadratically, so a million rows take about three full passes, each returning the value,
the gradient and the Hessian together; the Hessian of the last pass gives the standard
errors (no further passes).  With :math:`g_\theta, H_\theta` the derivatives in natural
parameters, the log-parameter derivatives are :math:`g_\phi = \theta \odot g_\theta` and
:math:`H_\phi = \mathrm{diag}(\theta) H_\theta \mathrm{diag}(\theta) + \mathrm{diag}(\theta \odot g_\theta)`.
Models without a coded Hessian difference their gradient (or the likelihood) with the
central differences of :mod:`cxmodels._numerics`.  Confidence intervals are Wald
intervals on the log scale, so they stay positive:
:math:`\exp(\hat\phi \pm z_{(1+\text{level})/2}\, \mathrm{se}(\hat\phi))`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._numerics import hessian, hessian_from_gradient, jacobian, safe_inverse
from .._results import Result
from .._validation import as_generator, check_count, check_level
from ..errors import ConvergenceWarning, ImproperSolutionWarning, InputError
from ..plotting import axes
from ..provenance import make_provenance
from .checks import row_weights

#: |log parameter| beyond which an estimate is taken to have run off to 0 or infinity
_BOUNDARY = 18.0
#: merge identical rows only when the estimated share of distinct rows is below this: a merge
#: costs about as much as two or three likelihood passes and saves (1 - share) of each pass
_MERGE_SHARE = 0.5
#: rows sampled to estimate the share of distinct rows
_SHARE_SAMPLE = 20_000


def distinct_share(columns: dict[str, np.ndarray], sample: int = _SHARE_SAMPLE) -> float:
    r"""Estimated share of distinct rows among the rows of ``columns``, from a random sample.

    Two rows drawn at random are equal with probability :math:`\sum_j c_j(c_j-1)/(n(n-1))`,
    :math:`c_j` the multiplicity of distinct row :math:`j`; with every :math:`c_j = c` that is
    about :math:`(c-1)/n`.  The number of equal pairs in a sample of :math:`m` rows estimates it:
    :math:`\hat c = 1 + 2n\,\mathrm{pairs}/m^2`, and the share is :math:`1/\hat c`.  Cheap (one
    count of ``sample`` rows) and exact when ``n <= sample``.
    """
    n = len(next(iter(columns.values())))
    if n <= sample:
        return float(len(pd.DataFrame(columns).drop_duplicates())) / max(n, 1)
    idx = np.random.default_rng(0).choice(n, size=sample, replace=False)  # fixed: a fit is deterministic
    k = pd.DataFrame({key: v[idx] for key, v in columns.items()}).value_counts(sort=False).to_numpy(dtype=float)
    pairs = float((k * (k - 1)).sum() / 2)
    return float(1.0 / (1.0 + 2.0 * n * pairs / sample ** 2))


def compress(columns: dict[str, np.ndarray], weights: np.ndarray | None = None):
    """Distinct rows of ``columns`` (dict of equal-length arrays) and their summed weights."""
    frame = pd.DataFrame(columns)
    w = np.ones(len(frame)) if weights is None else np.asarray(weights, float)
    frame["_w"] = w
    g = frame.groupby(list(columns), sort=False, observed=True)["_w"].sum()
    idx = g.index
    return {k: idx.get_level_values(i).to_numpy(dtype=float) if idx.nlevels > 1 else idx.to_numpy(dtype=float)
            for i, k in enumerate(columns)}, g.to_numpy(dtype=float)


def sort_by_frequency(d: dict[str, np.ndarray], w: np.ndarray):
    """Rows (and weights) sorted by ``frequency`` with the block structure of equal frequencies.

    Terms that depend on :math:`x` only are then evaluated once per distinct value and summed
    per contiguous block (``np.add.reduceat``).  The sort is a stable radix sort of small
    integers.  Adds ``_starts`` (first row of each block), ``_ux`` (the block's frequency)
    and ``_n0`` (rows with frequency 0, which come first).
    """
    x = d["frequency"]
    key = x.astype(np.int16) if x.max(initial=0) < 32_000 else x.astype(np.int64)
    order = np.argsort(key, kind="stable")
    out = {k: v[order] for k, v in d.items() if not k.startswith("_")}
    xs = out["frequency"]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]]) if len(xs) else np.zeros(0, int)
    out["_starts"] = starts
    out["_ux"] = xs[starts]
    out["_n0"] = int((starts[1] if len(starts) > 1 else len(xs)) if len(xs) and xs[0] == 0 else 0)
    return out, w[order]


class CLVResult(Result):
    """A fitted (or fixed-parameter) CLV model: the result of ``fit_bgnbd``, ``fit_mbgnbd``,
    ``fit_pareto_nbd`` or ``fit_gamma_gamma`` (see the module docstring for the method).

    ``summary()`` has ``est``, ``se``, ``ci_lower``, ``ci_upper`` (Wald on the log scale at
    ``level``); ``covariance``, ``loglik``, ``n_customers``, ``n_distinct`` (the rows the
    likelihood ran on: the distinct rows, or all rows when nearly all are distinct and
    merging was skipped, see ``provenance.options["rows_merged"]``) and the prediction
    methods of each model complete the surface.
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

    def _loglik_grad_hess(self, theta, d, w):
        """Weighted sums of the log-likelihood, its gradient (k,) and Hessian (k, k) in natural
        parameters in one pass, or None (no coded Hessian: BFGS and differenced Hessian)."""
        return None

    def _default_initial(self, d: dict[str, np.ndarray], w: np.ndarray) -> np.ndarray:
        """Hook: starting values when the caller gives none (default: all 1)."""
        return np.ones(len(self.param_names))

    def _prepare(self, d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Hook: add precomputed lookups to the compressed data (default: none)."""
        return d

    def _prepare_weighted(self, d: dict[str, np.ndarray], w: np.ndarray):
        """Hook: ``(d, w)`` ready for the likelihood passes; may reorder rows together with
        their weights (default: ``self._prepare(d)``, order unchanged)."""
        return self._prepare(d), w

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
        """Distinct rows with summed weights; on large data only when the estimated share of
        distinct rows (:func:`distinct_share`) is below ``_MERGE_SHARE``, else the rows as given."""
        n = len(next(iter(d_all.values())))
        if n > 4 * self._WARM_ROWS and distinct_share(d_all) > _MERGE_SHARE:
            self._merged = False
            w = np.ones(n) if weights is None else np.asarray(weights, float)
            return {k: np.asarray(v, float) for k, v in d_all.items()}, w
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

    def _objective_hess(self, d, w, W, penalizer):
        """``fgh(phi)``: mean objective, its gradient and Hessian in log-parameters in one pass
        (None when the model codes no Hessian)."""
        if type(self)._loglik_grad_hess is CLVResult._loglik_grad_hess:
            return None
        k = len(self.param_names)
        pen = float(penalizer)

        def fgh(phi):
            theta = np.exp(phi)
            with np.errstate(all="ignore"):
                out = self._loglik_grad_hess(theta, d, w)
            if out is None:
                return np.inf, np.zeros(k), np.full((k, k), np.nan), np.nan
            ll, g, H = out
            gt = g / W
            val = -ll / W + pen * np.sum(theta ** 2)
            grad = -gt * theta + 2 * pen * theta ** 2
            hess = -(H / W) * np.outer(theta, theta) - np.diag(gt * theta) + np.diag(4 * pen * theta ** 2)
            if not (np.isfinite(val) and np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))):
                return np.inf, np.zeros(k), np.full((k, k), np.nan), np.nan
            return val, grad, (hess + hess.T) / 2, ll

        return fgh

    @staticmethod
    def _newton(fgh, phi, tol, maxiter):
        """Damped Newton on the mean objective from ``phi``.

        Each iteration is one pass (value, gradient, Hessian).  A step that raises the
        objective is halved; steps are capped at 1 in log-parameters.  Stops when
        max |gradient| <= ``tol`` or the Newton step falls below 1e-7 (quadratic convergence
        puts the next gradient near rounding error: the step is taken without another
        pass).  Returns ``(phi, value, gradient, Hessian, loglik, converged, passes)`` with
        the derivatives of the last pass.
        """
        val, g, H, ll = fgh(phi)
        passes = 1
        if not np.isfinite(val):
            return phi, val, g, H, ll, False, passes
        for _ in range(maxiter):
            if np.max(np.abs(g)) <= tol:
                return phi, val, g, H, ll, True, passes
            try:
                L = np.linalg.cholesky(H)
                step = -np.linalg.solve(L.T, np.linalg.solve(L, g))
            except np.linalg.LinAlgError:
                return phi, val, g, H, ll, False, passes   # not convex here: leave it to BFGS
            big = np.max(np.abs(step))
            if big < 1e-7:
                return phi + step, val + 0.5 * g @ step, g, H, ll, True, passes
            if big > 1.0:
                step = step / big
            for _ in range(40):
                new = fgh(phi + step)
                passes += 1
                if np.isfinite(new[0]) and new[0] <= val + 1e-13 * abs(val):
                    break
                step = step / 2
            else:
                return phi, val, g, H, ll, False, passes
            phi = phi + step
            val, g, H, ll = new
        return phi, val, g, H, ll, False, passes

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
        weights = row_weights(weights, len(data))
        self._merged = True
        d, w = self._compress(d_all, weights)
        d, w = self._prepare_weighted(d, w)
        if len(w) == 0 or w.sum() <= 0:
            raise InputError(f"{self.method_name}: no customers to fit")
        W = w.sum()
        k = len(self.param_names)
        try:
            x0 = self._default_initial(d, w) if initial is None else np.asarray(initial, float)
        except (TypeError, ValueError):
            x0 = np.zeros(0)
        if x0.shape != (k,) or not np.all(np.isfinite(x0)) or np.any(x0 <= 0):
            raise InputError(f"initial must hold {k} positive values for {self.param_names}")
        f, fg = self._objective(d, w, W, penalizer)
        fgh = self._objective_hess(d, w, W, penalizer)
        phi0, opts = np.log(x0), {"gtol": tol, "maxiter": maxiter}
        warm = len(w) > 4 * self._WARM_ROWS
        if warm:
            # warm start: fit a systematic subsample of the rows first, then start the full fit
            # there (Newton: a few full passes; BFGS: with the subsample's inverse Hessian)
            step = len(w) // self._WARM_ROWS
            sub, sub_w = self._prepare_weighted({key: val[::step] for key, val in d.items()
                                                 if not key.startswith("_")}, w[::step])
            fs, fgs = self._objective(sub, sub_w, sub_w.sum(), penalizer)
            rs = optimize.minimize(fgs, phi0, jac=True, method="BFGS", options={"gtol": 1e-6, "maxiter": maxiter})
            fghs = self._objective_hess(sub, sub_w, sub_w.sum(), penalizer)
            Hs = fghs(rs.x)[2] if fghs is not None else self._hessian(fs, fgs, rs.x)
            if rs.success and np.all(np.isfinite(Hs)) and np.all(np.linalg.eigvalsh(Hs) > 0):
                Hi = np.linalg.inv(Hs)
                phi0, opts = rs.x, dict(opts, hess_inv0=(Hi + Hi.T) / 2)
        newton_ok, H, ll_last, self._passes = False, None, np.nan, 0
        if fgh is not None and warm:
            # Newton on the full data from the warm start; its last pass gives the Hessian
            phi, val, g, Hm, ll_last, newton_ok, self._passes = self._newton(fgh, phi0, tol, maxiter)
            if newton_ok:
                res = optimize.OptimizeResult(x=phi, fun=val, success=True, message="Newton converged")
                grad_norm = float(np.max(np.abs(g)))
                H = Hm * W
        if not newton_ok:
            with np.errstate(all="ignore"):
                res = optimize.minimize(fg, phi0, jac=True, method="BFGS", options=opts)
                phi = res.x
                # polish: a second run from the solution tightens the gradient cheaply
                if not res.success:
                    res2 = optimize.minimize(fg, phi, jac=True, method="L-BFGS-B",
                                             options={"ftol": 1e-15, "gtol": tol, "maxiter": maxiter})
                    if res2.fun <= res.fun:
                        res, phi = res2, res2.x
            if fgh is not None:
                val, g, Hm, ll_last = fgh(phi)
                grad_norm, H = float(np.max(np.abs(g))), Hm * W
            else:
                grad_norm = float(np.max(np.abs(fg(phi)[1])))
        theta = np.exp(phi)
        converged = bool(res.success or grad_norm < 1e-5)
        if not converged:
            self._flag(f"{self.method_name}: the optimiser stopped without converging ({res.message}; "
                       f"max |gradient| {grad_norm:.2e}); estimates may be unreliable", ConvergenceWarning)
        why = self._degenerate(d, w)
        if why:
            self._flag(why, ImproperSolutionWarning)
        elif np.any(np.abs(phi) > _BOUNDARY):
            off = [n for n, p in zip(self.param_names, phi) if abs(p) > _BOUNDARY]
            self._flag(f"{self.method_name}: parameter(s) {off} ran off towards 0 or infinity "
                       f"({', '.join(f'{n} = {t:.3g}' for n, t in zip(self.param_names, theta))}); the data do "
                       "not identify the model (too few repeat purchases, or no variation in them)",
                       ImproperSolutionWarning)
        for msg in self._check_params(theta):
            self._flag(msg, ImproperSolutionWarning)

        # observed information in log-parameters, total (not mean) log-likelihood: the coded
        # Hessian of the last pass, else differences of the gradient or the likelihood
        if H is None or not np.all(np.isfinite(H)):
            H = self._hessian(f, fg, phi) * W
        cov_phi, ok = safe_inverse(H)
        if not ok:
            cov_phi = np.full((k, k), np.nan)
            self._flag(f"{self.method_name}: the Hessian of the log-likelihood is not positive definite at the "
                       "estimates; standard errors are unavailable (a parameter may be at a boundary)",
                       ImproperSolutionWarning)
        cov_phi = (cov_phi + cov_phi.T) / 2
        self._theta = theta
        self._cov_phi = cov_phi
        self._level = level
        if fgh is not None and np.isfinite(ll_last):
            # the last pass's log-likelihood; a final Newton step below 1e-7 changes it by < 1e-12
            self.loglik = float(ll_last)
        else:
            self.loglik = float((w * self._loglik(theta, d)).sum())
        self.n_customers = float(W)
        self.n_distinct = int(len(w))
        self._table = self._make_table(theta, cov_phi, level)
        cols = [c for c in data.columns if c in self._columns]
        self._provenance = make_provenance(
            self.method_name, data[cols],
            {"penalizer": penalizer, "initial": None if initial is None else list(map(float, x0)),
             "tol": tol, "maxiter": maxiter, "level": level,
             "optimizer": "Newton on log-parameters (BFGS warm start on a subsample)" if newton_ok
             else "BFGS on log-parameters",
             "n_distinct_rows": self.n_distinct, "rows_merged": self._merged, "loglik": self.loglik,
             "converged": converged,
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
        n = check_count(n, "n", minimum=1)
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
        rows = "distinct rows" if getattr(self, "_merged", True) else "rows, nearly all distinct, so not merged"
        conv = "" if self.converged else " The optimiser did not converge; treat the estimates with caution."
        adm = "" if self.admissible else " The fit is not admissible: " + " ".join(self.warnings)
        return (f"Purchase and spend histories were summarised per customer as frequency (repeat purchase "
                f"days), recency and age T. The {self.method_name} model of {cites} was fitted by maximum likelihood "
                f"with cxmodels {self._provenance.versions.get('cxmodels', '')} on {self.n_customers:,.0f} "
                f"customers ({self.n_distinct:,} {rows}, log-likelihood {self.loglik:.2f}); standard "
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
