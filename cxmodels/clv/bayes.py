r"""Bayesian BG/NBD and Gamma-Gamma fits with PyMC, and per-customer credible intervals.

The likelihoods are those of :mod:`cxmodels.clv.bgnbd` and :mod:`cxmodels.clv.gammagamma`,
written in PyTensor and evaluated on the distinct summary rows with their counts as
weights.  Priors (all parameters positive):

.. math:: r, \alpha, a, b \;(\text{or } p, q, v) \sim \mathrm{LogNormal}(0, 3)

independently: weakly informative, scale-free priors that cover six orders of magnitude
within their central 95% (:math:`e^{\pm 5.9}`); pass ``priors={"alpha": (mu, sigma)}`` to
change any of them (LogNormal ``mu``, ``sigma``).  The posterior is sampled by NUTS
(``pymc.sample``) and kept as ArviZ ``InferenceData``.

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

import numpy as np
import pandas as pd

from .._results import Result
from .._validation import as_generator
from ..errors import InputError
from ..provenance import make_provenance
from ._checks import summary_arrays
from ._model import compress

_DEFAULT_PRIOR = (0.0, 3.0)


class BayesFit(Result):
    """A posterior from :func:`fit_bayes`: ``.idata`` (ArviZ), ``.params`` (posterior means),
    ``.summary()`` (mean, sd, 94% HDI, R-hat, ESS), ``.draws`` (array draws x parameters)."""

    def __init__(self, kind, idata, names, provenance, warnings_):
        import arviz as az

        self.kind = kind
        self.idata = idata
        self.param_names = names
        post = idata.posterior
        self.draws = np.column_stack([post[n].to_numpy().ravel() for n in names])
        s = az.summary(idata, var_names=list(names))
        self._table = pd.DataFrame({"est": s["mean"].to_numpy(), "sd": s["sd"].to_numpy(),
                                    "hdi_3%": s["hdi_3%"].to_numpy(), "hdi_97%": s["hdi_97%"].to_numpy(),
                                    "r_hat": s["r_hat"].to_numpy(), "ess_bulk": s["ess_bulk"].to_numpy()},
                                   index=pd.Index(names, name="param"))
        self._provenance = provenance
        self._warnings = warnings_

    def methods_text(self) -> str:
        what = {"bgnbd": "BG/NBD purchase model (Fader, Hardie & Lee 2005)",
                "gammagamma": "Gamma-Gamma spend model (Fader, Hardie & Lee 2005b)"}[self.kind]
        o = self._provenance.options
        return (f"The {what} was estimated in a Bayesian framework with PyMC (Salvatier et al. 2016), "
                f"independent priors {'; '.join(f'{k} ~ {v}' for k, v in o['priors'].items())}, {o['chains']} NUTS chains of "
                f"{o['draws']} draws after {o['tune']} tuning steps (seed {self._provenance.seed}); maximum "
                f"R-hat {self._table['r_hat'].max():.3f}, minimum bulk ESS {self._table['ess_bulk'].min():.0f}.")

    def _thinned(self, n_draws, seed):
        rng = as_generator(seed)
        k = min(int(n_draws), len(self.draws))
        return self.draws[np.sort(rng.choice(len(self.draws), size=k, replace=False))]

    def expected_purchases(self, t, rfm, *, interval: float = 0.9, n_draws: int = 200, seed=None,
                           chunk: int = 50_000) -> pd.DataFrame:
        """Posterior mean and equal-tailed interval of each customer's expected purchases in ``t``."""
        self._need("bgnbd")
        from .bgnbd import BetaGeoNBD

        m = BetaGeoNBD()
        d = summary_arrays(rfm)
        theta = self._thinned(n_draws, seed)
        return _summarise(lambda th, sl: m._cond_purchases(th, d["frequency"][sl], d["recency"][sl], d["T"][sl], t),
                          theta, len(rfm), rfm.index, interval, chunk, "expected_purchases")

    def p_alive(self, rfm, *, interval: float = 0.9, n_draws: int = 200, seed=None, chunk: int = 50_000):
        """Posterior mean and interval of P(alive) per customer."""
        self._need("bgnbd")
        from scipy import special

        from .bgnbd import BetaGeoNBD

        m = BetaGeoNBD()
        d = summary_arrays(rfm)
        theta = self._thinned(n_draws, seed)
        return _summarise(lambda th, sl: special.expit(-m._log_odds_dead(th, d["frequency"][sl], d["recency"][sl],
                                                                          d["T"][sl])),
                          theta, len(rfm), rfm.index, interval, chunk, "p_alive")

    def _need(self, kind):
        if self.kind != kind:
            raise InputError(f"this posterior is a {self.kind} fit; the method needs a {kind} fit")


def _summarise(fn, theta, n, index, interval, chunk, name):
    if not 0 < interval < 1:
        raise InputError(f"interval must lie in (0, 1), got {interval!r}")
    mean, lo, hi = np.empty(n), np.empty(n), np.empty(n)
    for start in range(0, n, chunk):
        sl = slice(start, min(start + chunk, n))
        vals = np.stack([fn(th, sl) for th in theta])
        mean[sl] = vals.mean(axis=0)
        lo[sl], hi[sl] = np.quantile(vals, [(1 - interval) / 2, (1 + interval) / 2], axis=0)
    return pd.DataFrame({name: mean, f"{name}_lower": lo, f"{name}_upper": hi}, index=index)


def fit_bayes(rfm: pd.DataFrame, model: str = "bgnbd", *, priors: dict | None = None, draws: int = 1000,
              tune: int = 1000, chains: int = 2, seed: int | None = None, target_accept: float = 0.9,
              progressbar: bool = False) -> BayesFit:
    """Sample the posterior of the BG/NBD (``model="bgnbd"``) or Gamma-Gamma (``"gammagamma"``).

    See the module docstring for the likelihood and priors.  ``seed`` makes the chains
    reproducible.  A maximum R-hat above 1.01 is reported as a ConvergenceWarning and on
    ``.warnings``.
    """
    import warnings

    import pymc as pm
    import pytensor.tensor as pt

    from ..errors import ConvergenceWarning

    if model == "bgnbd":
        names = ("r", "alpha", "a", "b")
        arr = summary_arrays(rfm)
        d, w = compress(arr)
    elif model == "gammagamma":
        names = ("p", "q", "v")
        from .gammagamma import _spend_arrays

        arr = _spend_arrays(rfm)
        keep = arr["frequency"] > 0
        if not keep.any():
            raise InputError("no repeat buyers (frequency > 0) to fit the spend model on")
        d, w = compress({"frequency": arr["frequency"][keep], "monetary_value": arr["monetary_value"][keep]})
    else:
        raise InputError(f"model must be 'bgnbd' or 'gammagamma', got {model!r}")
    priors = dict(priors or {})
    unknown = set(priors) - set(names)
    if unknown:
        raise InputError(f"priors given for unknown parameters {sorted(unknown)}; the parameters are {list(names)}")
    spec = {n: tuple(map(float, priors.get(n, _DEFAULT_PRIOR))) for n in names}
    gl = pt.gammaln
    with pm.Model():
        p = {n: pm.LogNormal(n, mu=spec[n][0], sigma=spec[n][1]) for n in names}
        x = pt.as_tensor_variable(d["frequency"])
        if model == "bgnbd":
            r, alpha, a, b = (p[n] for n in names)
            tx, T = pt.as_tensor_variable(d["recency"]), pt.as_tensor_variable(d["T"])
            xpos = pt.as_tensor_variable((d["frequency"] > 0).astype(float))
            x1 = pt.as_tensor_variable(np.maximum(d["frequency"], 1.0))
            A12 = gl(r + x) - gl(r) + r * pt.log(alpha) + gl(a + b) + gl(b + x) - gl(b) - gl(a + b + x)
            A3 = -(r + x) * pt.log(alpha + T)
            A4 = pt.log(a) - pt.log(b + x1 - 1) - (r + x) * pt.log(alpha + tx)
            ll = A12 + A3 + xpos * pt.log1pexp(A4 - A3)
        else:
            pp, q, v = (p[n] for n in names)
            mv = pt.as_tensor_variable(d["monetary_value"])
            px = pp * x
            ll = (gl(px + q) - gl(px) - gl(q) + q * pt.log(v) + (px - 1) * pt.log(mv) + px * pt.log(x)
                  - (px + q) * pt.log(v + x * mv))
        pm.Potential("loglik", pt.sum(pt.as_tensor_variable(w) * ll))
        idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=1, random_seed=seed,
                          target_accept=target_accept, progressbar=progressbar, compute_convergence_checks=False)
    opts = {"model": model, "priors": {n: f"LogNormal({spec[n][0]:g}, {spec[n][1]:g})" for n in names},
            "draws": draws, "tune": tune, "chains": chains, "target_accept": target_accept,
            "n_distinct_rows": int(len(w))}
    cols = ["frequency", "recency", "T"] if model == "bgnbd" else ["frequency", "monetary_value"]
    prov = make_provenance(f"Bayesian {model} (PyMC NUTS)", rfm[[c for c in cols if c in rfm.columns]], opts, seed=seed)
    res = BayesFit(model, idata, names, prov, [])
    rhat = res._table["r_hat"].max()
    if not np.isfinite(rhat) or rhat > 1.01:
        msg = f"Bayesian {model}: maximum R-hat {rhat:.3f} > 1.01; run longer chains before using the posterior"
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
        res._warnings.append(msg)
    return res
