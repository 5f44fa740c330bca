r"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005b).

A customer's transaction values are i.i.d. :math:`\mathrm{Gamma}(p, \nu)` (shape, rate)
with :math:`\nu \sim \mathrm{Gamma}(q, v)` across customers.  For a repeat buyer with
:math:`x` repeat transactions of mean :math:`m_x`, the likelihood of the mean is

.. math::

    L(p, q, v \mid m_x, x) = \frac{\Gamma(px+q)}{\Gamma(px)\Gamma(q)}
        \frac{v^q\, m_x^{px-1}\, x^{px}}{(v + x m_x)^{px+q}},

fitted on the customers with :math:`x > 0` (the model assumes spend independent of
purchase frequency; check their correlation before relying on it).  With covariates on spend
(:math:`v_i = v e^{\gamma' z_i}`, so expected spend scales with :math:`e^{\gamma' z_i}`) the model is
:func:`cxmodels.clv.covariate_models.fit_gamma_gamma_covariates`.  The expected mean
spend of a customer is the credibility-weighted average of the population mean
:math:`pv/(q-1)` and her own mean:

.. math:: E[M \mid m_x, x] = \frac{p(v + x m_x)}{px + q - 1}
          = \frac{q-1}{px+q-1}\frac{pv}{q-1} + \frac{px}{px+q-1} m_x .

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005b). RFM and CLV: Using iso-value curves
for customer base analysis. *Journal of Marketing Research*, 42(4), 415-430.

Fader, P. S., & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
http://brucehardie.com/notes/025/
"""

from __future__ import annotations

import numpy as np
from scipy import special

import pandas as pd

from ..errors import InputError
from ..plotting import axes
from ._model import CLVResult, compress
from .checks import summary_arrays
from .references import FHL_2005B


class GammaGammaResult(CLVResult):
    """A Gamma-Gamma fit (from :func:`fit_gamma_gamma`, or :meth:`from_params`); parameters ``p, q, v``.

    ``data`` needs ``frequency`` and ``monetary_value`` (``recency`` and ``T`` are checked
    when present); customers with ``frequency == 0`` are ignored in the fit.
    """

    param_names = ("p", "q", "v")
    method_name = "Gamma-Gamma spend"
    _columns = ("frequency", "monetary_value")
    _references = (FHL_2005B,)

    def _arrays(self, data):
        d = _spend_arrays(data)
        return {"frequency": d["frequency"], "monetary_value": d["monetary_value"]}

    def _compress(self, d_all, weights):
        keep = d_all["frequency"] > 0
        if not keep.any():
            raise InputError("Gamma-Gamma: no repeat buyers (frequency > 0) to fit the spend model on; "
                             "the model describes the mean spend of repeat purchases")
        sub = {k: v[keep] for k, v in d_all.items()}
        return compress(sub, None if weights is None else weights[keep])

    def _loglik(self, theta, d):
        p, q, v = theta
        x, m = d["frequency"], d["monetary_value"]
        px = p * x
        return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(v)
                + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(v + x * m))

    def _grad(self, theta, d):
        p, q, v = theta
        x, m = d["frequency"], d["monetary_value"]
        px = p * x
        ps = special.digamma
        g = np.empty((len(x), 3))
        g[:, 0] = x * (ps(px + q) - ps(px) + np.log(m) + np.log(x) - np.log(v + x * m))
        g[:, 1] = ps(px + q) - ps(q) + np.log(v) - np.log(v + x * m)
        g[:, 2] = q / v - (px + q) / (v + x * m)
        return g

    def _degenerate(self, d, w):
        n = float(w.sum())
        if n < 2:
            return (f"{self.method_name}: {n:.0f} repeat buyer(s); the spread of spend across customers "
                    "(q, v) is not identified from fewer than two")
        if np.unique(d["monetary_value"]).size < 2:
            return (f"{self.method_name}: every repeat buyer has the same mean spend, so its spread across "
                    "customers is not identified; the estimates run off towards 0 or infinity")
        return None

    def _check_params(self, theta):
        if theta[1] <= 1:
            return [f"{self.method_name}: q = {theta[1]:.4g} <= 1, so the population mean spend "
                    "p v / (q - 1) is infinite; expected spend is undefined"]
        return []

    @staticmethod
    def _spend(theta, x, m):
        p, q, v = theta
        return p * (v + x * m) / (p * x + q - 1)

    def expected_spend(self, data):
        r"""Expected mean transaction value of each customer, :math:`p(v + x m_x)/(px + q - 1)`;
        customers without repeat purchases get the population mean :math:`pv/(q-1)`."""
        d = _spend_arrays(data)
        return self._series(self._spend(self._theta, d["frequency"], d["monetary_value"]), data, "expected_spend")

    def population_mean_spend(self) -> float:
        """:math:`pv/(q-1)`: the mean transaction value across customers."""
        p, q, v = self._theta
        return float(p * v / (q - 1)) if q > 1 else float("inf")

    def plot(self, ax=None):
        r"""Density of customers' mean transaction value :math:`p/\nu`, :math:`\nu \sim \mathrm{Gamma}(q, v)`
        (an inverse gamma with shape :math:`q` and scale :math:`pv`); returns the Axes."""
        from scipy import stats

        p, q, v = self._theta
        dist = stats.invgamma(q, scale=p * v)
        grid = np.linspace(dist.ppf(0.001), dist.ppf(0.99), 300)
        ax = axes(ax)
        ax.plot(grid, dist.pdf(grid))
        ax.set(xlabel="mean transaction value of a customer", ylabel="density", title=self.method_name)
        return ax


def _spend_arrays(data):
    """Validated ``frequency`` and ``monetary_value`` (recency and T checked when present)."""
    if isinstance(data, pd.DataFrame) and {"frequency", "monetary_value"} <= set(data.columns) \
            and not {"recency", "T"} <= set(data.columns) and not data.columns.has_duplicates:
        # recency and T play no part in the spend model: stand-ins that pass the checks
        x = pd.to_numeric(data["frequency"], errors="coerce").to_numpy(float)
        data = pd.DataFrame({"frequency": data["frequency"], "recency": np.where(x > 0, 1.0, 0.0), "T": 1.0,
                             "monetary_value": data["monetary_value"]}, index=data.index)
    return summary_arrays(data, monetary=True)


def fit_gamma_gamma(data: pd.DataFrame, *, weights=None, penalizer: float = 0.0, initial=None, tol: float = 1e-9,
                    maxiter: int = 2000, level: float = 0.95) -> GammaGammaResult:
    """Fit the Gamma-Gamma spend model (Fader, Hardie & Lee 2005b) on the repeat buyers of ``data``
    (``frequency`` and ``monetary_value``); returns a :class:`GammaGammaResult`.

    Arguments as in :func:`cxmodels.clv.fit_bgnbd`.  No repeat buyer at all is an
    :class:`~cxmodels.errors.InputError`; one repeat buyer, or repeat buyers who all spend
    the same, leave the model unidentified: the fit warns and has ``admissible=False``.
    """
    return GammaGammaResult._fit(data, weights=weights, penalizer=penalizer, initial=initial, tol=tol,
                                 maxiter=maxiter, level=level)
