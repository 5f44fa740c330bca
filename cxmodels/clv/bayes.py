r"""Bayesian BG/NBD and Gamma-Gamma fits with PyMC, and per-customer credible intervals.

The likelihoods are those of :mod:`cxmodels.clv.bgnbd` and :mod:`cxmodels.clv.gammagamma`,
written in PyTensor and evaluated on the distinct summary rows with their counts as
weights.  Priors (all parameters positive):

.. math:: r, \alpha, a, b \;(\text{or } p, q, v) \sim \mathrm{LogNormal}(0, 3)

independently: weakly informative, scale-free priors that cover six orders of magnitude
within their central 95% (:math:`e^{\pm 5.9}`); pass ``priors={"alpha": (mu, sigma)}`` to
change any of them (LogNormal ``mu``, ``sigma``).  The posterior is sampled by NUTS
(``pymc.sample``; chains in parallel processes, one per core, from 20,000 distinct rows on,
where the likelihood is large enough to pay for starting them) and kept as ArviZ
``InferenceData``.

NUTS runs in whitened coordinates :math:`z`, :math:`\log\theta = \hat\phi + L z`, with
:math:`\hat\phi` the maximum-likelihood log-estimates and :math:`L` the Cholesky factor of
their asymptotic covariance (identity and zero when the ML fit has none).  The target is
the same posterior: a LogNormal(:math:`\mu, \sigma`) prior on :math:`\theta` is a
Normal(:math:`\mu, \sigma`) density on :math:`\log\theta`, and the linear map has a constant
Jacobian; but the posterior of :math:`z` is close to standard normal, so NUTS takes about
half the leapfrog steps per draw and its draws are less correlated.  The parameters are
recorded as deterministic transforms under their own names.  Terms of the likelihood that
depend on the frequency only are evaluated once per distinct frequency.  Convergence is judged by the
rank-normalised R-hat (at most 1.01) and the bulk and tail effective sample sizes (at
least 400) of Vehtari et al. (2021); a posterior that misses either is flagged
(``converged=False``, a :class:`~cxmodels.errors.ConvergenceWarning`, a line in ``.warnings``).

Per-customer predictions (expected purchases, P(alive), CLV) are computed for a thinned
set of posterior draws with the maximum-likelihood models' vectorised formulas, in
chunks of customers, and returned as compact summaries (mean and equal-tailed interval),
never one row per draw, so a million customers fit in memory.

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy
way. *Marketing Science*, 24(2), 275-284.

Salvatier, J., Wiecki, T. V., & Fonnesbeck, C. (2016). Probabilistic programming in Python
using PyMC3. *PeerJ Computer Science*, 2, e55.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd

from .._progress import progress_enabled
from .._results import Result
from .._validation import as_generator, check_count, check_level
from ..errors import ConvergenceWarning, CXModelsError, InputError
from ..plotting import axes
from ..provenance import make_provenance
from ._model import compress
from .bgnbd import BGNBDResult, fit_bgnbd
from .checks import summary_arrays
from .gammagamma import _spend_arrays, fit_gamma_gamma
from .references import FHL_2005, FHL_2005B, HOFFMAN_2014, SALVATIER_2016, VEHTARI_2021

_DEFAULT_PRIOR = (0.0, 3.0)
_MODELS = {"bgnbd": ("r", "alpha", "a", "b"), "gamma_gamma": ("p", "q", "v")}
#: convergence criteria (Vehtari et al. 2021)
MAX_RHAT, MIN_ESS = 1.01, 400


class BayesResult(Result):
    """A posterior from :func:`fit_bayes`: ``.idata`` (ArviZ), ``.params`` (posterior means),
    ``.summary()`` (mean, sd, HDI at ``level``, R-hat, bulk and tail ESS), ``.posterior``
    (array draws x parameters)."""

    def __init__(self, model, idata, names, provenance, level):
        import arviz as az

        self.model = model
        self.idata = idata
        self.param_names = names
        self._level = level
        self._warnings = []
        post = idata.posterior
        self.posterior = np.column_stack([post[n].to_numpy().ravel() for n in names])
        s = az.summary(idata, var_names=list(names), hdi_prob=level)
        lo, hi = [c for c in s.columns if c.startswith("hdi_")]
        self._table = pd.DataFrame({"est": s["mean"].to_numpy(), "sd": s["sd"].to_numpy(),
                                    "hdi_lower": s[lo].to_numpy(), "hdi_upper": s[hi].to_numpy(),
                                    "r_hat": s["r_hat"].to_numpy(), "ess_bulk": s["ess_bulk"].to_numpy(),
                                    "ess_tail": s["ess_tail"].to_numpy()},
                                   index=pd.Index(names, name="param"))
        self._provenance = provenance
        self._references = ((FHL_2005,) if model == "bgnbd" else (FHL_2005B,)) + (SALVATIER_2016, HOFFMAN_2014,
                                                                                   VEHTARI_2021)

    def methods_text(self) -> str:
        what = {"bgnbd": f"BG/NBD purchase model ({FHL_2005.cite})",
                "gamma_gamma": f"Gamma-Gamma spend model ({FHL_2005B.cite})"}[self.model]
        o = self._provenance.options
        t = self._table
        return (f"The {what} was estimated in a Bayesian framework with PyMC ({SALVATIER_2016.cite}), "
                f"independent priors {'; '.join(f'{k} ~ {v}' for k, v in o['priors'].items())}, {o['chains']} "
                f"NUTS ({HOFFMAN_2014.cite}) chains of {o['draws']} draws after {o['tune']} tuning steps (seed "
                f"{self._provenance.seed}); maximum R-hat {t['r_hat'].max():.3f}, minimum bulk ESS "
                f"{t['ess_bulk'].min():.0f} and tail ESS {t['ess_tail'].min():.0f} (criteria R-hat <= "
                f"{MAX_RHAT}, ESS >= {MIN_ESS}; {VEHTARI_2021.cite}). Intervals are {100 * self._level:g}% "
                "highest-density intervals.")

    def plot(self, ax=None):
        """Posterior means with their HDIs, one row per parameter (log scale); returns the Axes."""
        ax = axes(ax)
        t = self._table
        y = np.arange(len(t))
        ax.errorbar(t["est"], y, xerr=[t["est"] - t["hdi_lower"], t["hdi_upper"] - t["est"]], fmt="o")
        ax.set_yticks(y, list(t.index))
        ax.set_xscale("log")
        ax.set(xlabel=f"posterior mean and {100 * self._level:g}% HDI", title=f"Bayesian {self.model}")
        return ax

    def _thinned(self, draws, seed):
        rng = as_generator(seed)
        k = min(check_count(draws, "draws", 1), len(self.posterior))
        return self.posterior[np.sort(rng.choice(len(self.posterior), size=k, replace=False))]

    def expected_purchases(self, t, data, *, level: float = 0.95, draws: int = 200, seed=None,
                           chunk: int = 50_000) -> pd.DataFrame:
        """Posterior mean and equal-tailed interval at ``level`` of each customer's expected
        purchases in ``t``, from ``draws`` thinned posterior draws."""
        self._need("bgnbd")
        from .checks import positive_horizon

        t = positive_horizon(t)
        m = BGNBDResult()
        d = summary_arrays(data)
        theta = self._thinned(draws, seed)
        return _summarise(lambda th, sl: m._cond_purchases(th, d["frequency"][sl], d["recency"][sl], d["T"][sl], t),
                          theta, len(data), data.index, level, chunk, "expected_purchases")

    def p_alive(self, data, *, level: float = 0.95, draws: int = 200, seed=None, chunk: int = 50_000):
        """Posterior mean and equal-tailed interval of P(alive) per customer."""
        self._need("bgnbd")
        from scipy import special

        m = BGNBDResult()
        d = summary_arrays(data)
        theta = self._thinned(draws, seed)
        return _summarise(lambda th, sl: special.expit(-m._log_odds_dead(th, d["frequency"][sl], d["recency"][sl],
                                                                          d["T"][sl])),
                          theta, len(data), data.index, level, chunk, "p_alive")

    def _need(self, model):
        if self.model != model:
            raise InputError(f"this posterior is a {self.model} fit; the method needs a {model} fit")


def _summarise(fn, theta, n, index, level, chunk, name):
    level = check_level(level)
    chunk = check_count(chunk, "chunk", 1)
    mean, lo, hi = np.empty(n), np.empty(n), np.empty(n)
    for start in range(0, n, chunk):
        sl = slice(start, min(start + chunk, n))
        vals = np.stack([fn(th, sl) for th in theta])
        mean[sl] = vals.mean(axis=0)
        lo[sl], hi[sl] = np.quantile(vals, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return pd.DataFrame({name: mean, f"{name}_lower": lo, f"{name}_upper": hi}, index=index)


#: distinct rows from which chains run in parallel processes: below, a step's log-density is a
#: few microseconds and starting the processes costs more than the parallel chains save (CDNOW,
#: 1,016 rows: 2.9 s sequential vs 3.2 s on two idle cores)
_PARALLEL_ROWS = 20_000


def _cores(chains: int, n_rows: int) -> int:
    """One process per chain and core when the likelihood is large enough to pay for them."""
    if n_rows < _PARALLEL_ROWS:
        return 1
    return max(1, min(int(chains), os.cpu_count() or 1))


def _whitening(data, model, k):
    """Centre (ML log-estimates) and scale (Cholesky factor of their covariance) of the
    whitened coordinates; zeros and the identity when the ML fit gives no covariance."""
    fit = fit_bgnbd if model == "bgnbd" else fit_gamma_gamma
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ml = fit(data)
        cov = np.asarray(ml._cov_phi, float)
        L = np.linalg.cholesky((cov + cov.T) / 2)
        center = np.log(np.asarray(ml._theta, float))
        if np.all(np.isfinite(L)) and np.all(np.isfinite(center)) and np.all(np.abs(center) < 18):
            return center, L
    except (CXModelsError, np.linalg.LinAlgError, ValueError):
        pass
    return np.zeros(k), np.eye(k)


def _bgnbd_loglik(p, d, w):
    r"""Weighted BG/NBD log-likelihood (module docstring of :mod:`cxmodels.clv.bgnbd`) in PyTensor.

    The terms that depend on the frequency only (:math:`A_1 + A_2` and :math:`\log a - \log(b+x-1)`)
    are evaluated once per distinct frequency and weighted by the summed counts; customers
    without repeat purchases contribute :math:`-r\log(\alpha+T)` only.
    """
    import pytensor.tensor as pt

    r, alpha, a, b = (p[n] for n in ("r", "alpha", "a", "b"))
    gl = pt.gammaln
    x, tx, T = d["frequency"], d["recency"], d["T"]
    ux, ix = np.unique(x, return_inverse=True)
    Wx = np.bincount(ix, weights=w, minlength=len(ux))
    A12 = gl(r + ux) - gl(r) + r * pt.log(alpha) + gl(a + b) + gl(b + ux) - gl(b) - gl(a + b + ux)
    ll = pt.sum(A12 * Wx)
    zero = x == 0
    if zero.any():
        ll = ll - r * pt.sum(pt.log(alpha + T[zero]) * w[zero])
    pos = ~zero
    if pos.any():
        upos, ipos = np.unique(x[pos], return_inverse=True)
        c4 = (pt.log(a) - pt.log(b + upos - 1.0))[ipos]
        rx = r + x[pos]
        A3 = -rx * pt.log(alpha + T[pos])
        A4 = c4 - rx * pt.log(alpha + tx[pos])
        ll = ll + pt.sum((A3 + pt.log1pexp(A4 - A3)) * w[pos])
    return ll


def _gg_loglik(p, d, w):
    """Weighted Gamma-Gamma log-likelihood (:mod:`cxmodels.clv.gammagamma`) in PyTensor, with the
    terms that depend on the frequency only evaluated once per distinct frequency."""
    import pytensor.tensor as pt

    pp, q, v = (p[n] for n in ("p", "q", "v"))
    gl = pt.gammaln
    x, mv = d["frequency"], d["monetary_value"]
    ux, ix = np.unique(x, return_inverse=True)
    Wx = np.bincount(ix, weights=w, minlength=len(ux))
    px = pp * ux
    per_x = gl(px + q) - gl(px) - gl(q) + q * pt.log(v) + px * np.log(ux)
    pxr = pp * x
    rows = (pxr - 1) * np.log(mv) - (pxr + q) * pt.log(v + x * mv)
    return pt.sum(per_x * Wx) + pt.sum(rows * w)


def fit_bayes(data: pd.DataFrame, model: str = "bgnbd", *, priors: dict | None = None, draws: int = 1000,
              tune: int = 1000, chains: int = 2, seed=None, target_accept: float = 0.8, level: float = 0.95,
              progress: bool | None = None) -> BayesResult:
    """Sample the posterior of the BG/NBD (``model="bgnbd"``) or Gamma-Gamma (``"gamma_gamma"``).

    Parameters
    ----------
    data : DataFrame
        The summary (``frequency, recency, T`` for the BG/NBD; ``frequency,
        monetary_value`` for the Gamma-Gamma, fitted on the repeat buyers).  Not modified.
    model : {"bgnbd", "gamma_gamma"}
    priors : dict, optional
        ``{"alpha": (mu, sigma)}``: LogNormal priors replacing the default LogNormal(0, 3).
    draws, tune, chains : int
        NUTS draws per chain after ``tune`` tuning steps, and the number of chains.
    seed : int, Generator or None
        Makes the chains reproducible; recorded in the provenance.
    target_accept : float, default 0.8
        NUTS target acceptance rate (PyMC's default; the whitened posterior is close to normal,
        so a higher rate only shortens the steps).
    level : float, default 0.95
        Level of the highest-density intervals in ``summary()``.
    progress : bool or None
        PyMC's progress bar (None: on for a terminal, off in logs and CI).

    A posterior with maximum R-hat above 1.01 or a bulk or tail ESS below 400 is flagged as
    not converged (see the module docstring).
    """
    import pymc as pm
    import pytensor.tensor as pt

    if model not in _MODELS:
        raise InputError(f"model must be one of {sorted(_MODELS)}, got {model!r}")
    names = _MODELS[model]
    draws, tune = check_count(draws, "draws", 1), check_count(tune, "tune", 0)
    chains = check_count(chains, "chains", 1)
    level = check_level(level)
    if isinstance(target_accept, bool) or not isinstance(target_accept, (int, float)) or not 0 < target_accept < 1:
        raise InputError(f"target_accept must lie strictly between 0 and 1, got {target_accept!r}")
    if model == "bgnbd":
        d, w = compress(summary_arrays(data))
        if not np.any(d["frequency"] > 0):
            raise InputError("fit_bayes: no customer made a repeat purchase, so the BG/NBD is not identified "
                             "(its posterior would be the prior)")
    else:
        arr = _spend_arrays(data)
        keep = arr["frequency"] > 0
        if keep.sum() < 2:
            raise InputError(f"fit_bayes: {int(keep.sum())} repeat buyer(s) (frequency > 0); the Gamma-Gamma "
                             "needs at least two")
        d, w = compress({"frequency": arr["frequency"][keep], "monetary_value": arr["monetary_value"][keep]})
    priors = dict(priors or {})
    unknown = set(priors) - set(names)
    if unknown:
        raise InputError(f"priors given for unknown parameters {sorted(unknown)}; the parameters are {list(names)}")
    spec = {}
    for n in names:
        try:
            mu, sigma = map(float, priors.get(n, _DEFAULT_PRIOR))
        except (TypeError, ValueError):
            raise InputError(f"the prior of {n} must be a pair (mu, sigma), got {priors[n]!r}") from None
        if not (np.isfinite(mu) and np.isfinite(sigma) and sigma > 0):
            raise InputError(f"the prior of {n} needs a finite mu and a positive sigma, got {priors[n]!r}")
        spec[n] = (mu, sigma)
    random_seed = int(seed.integers(2 ** 31)) if isinstance(seed, np.random.Generator) else seed
    as_generator(seed)  # refuses anything but an int, a Generator or None
    center, scale = _whitening(data, model, len(names))
    mu = np.array([spec[n][0] for n in names])
    sd = np.array([spec[n][1] for n in names])
    with pm.Model():
        # whitened coordinates: log(theta) = center + scale @ z with center and scale the maximum-
        # likelihood log-estimates and the Cholesky factor of their covariance, so the posterior
        # of z is close to standard normal and NUTS needs few leapfrog steps per draw.  The target
        # is unchanged: a LogNormal(mu, sigma) prior on theta is a Normal(mu, sigma) density on
        # log(theta), and the linear map has a constant Jacobian.
        z = pm.Flat("z", shape=len(names), initval=np.zeros(len(names)))
        # elementwise rather than pt.dot: a 4 x 4 product is not worth a BLAS call (nor its warning)
        phi = pt.as_tensor_variable(center) + pt.sum(pt.as_tensor_variable(scale) * z[None, :], axis=1)
        theta = pt.exp(phi)
        p = {n: pm.Deterministic(n, theta[i]) for i, n in enumerate(names)}
        pm.Potential("prior", pt.sum(-0.5 * ((phi - mu) / sd) ** 2))
        ll = _bgnbd_loglik(p, d, w) if model == "bgnbd" else _gg_loglik(p, d, w)
        pm.Potential("loglik", ll)
        idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=_cores(chains, len(w)), random_seed=random_seed,
                          target_accept=target_accept, progressbar=progress_enabled(progress),
                          compute_convergence_checks=False)
    opts = {"model": model, "priors": {n: f"LogNormal({spec[n][0]:g}, {spec[n][1]:g})" for n in names},
            "draws": draws, "tune": tune, "chains": chains, "target_accept": target_accept, "level": level,
            "n_distinct_rows": int(len(w)), "parametrisation": "whitened log-parameters (ML centre and Cholesky "
            "factor)", "cores": _cores(chains, len(w))}
    cols = ["frequency", "recency", "T"] if model == "bgnbd" else ["frequency", "monetary_value"]
    prov = make_provenance(f"Bayesian {model} (PyMC NUTS)", data[[c for c in cols if c in data.columns]], opts,
                           seed=random_seed)
    res = BayesResult(model, idata, names, prov, level)
    t = res._table
    rhat, bulk, tail = t["r_hat"].max(), t["ess_bulk"].min(), t["ess_tail"].min()
    if not (np.isfinite(rhat) and rhat <= MAX_RHAT and bulk >= MIN_ESS and tail >= MIN_ESS):
        res._flag(f"Bayesian {model}: maximum R-hat {rhat:.3f} (criterion <= {MAX_RHAT}), minimum bulk ESS "
                  f"{bulk:.0f} and tail ESS {tail:.0f} (criterion >= {MIN_ESS}); run longer chains before using "
                  "the posterior", ConvergenceWarning)
    return res
