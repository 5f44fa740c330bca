r"""The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005b).

A customer's transaction values are i.i.d. :math:`\mathrm{Gamma}(p, \nu)` (shape, rate)
with :math:`\nu \sim \mathrm{Gamma}(q, v)` across customers.  For a repeat buyer with
:math:`x` repeat transactions of mean :math:`m_x`, the likelihood of the mean is

.. math::

    L(p, q, v \mid m_x, x) = \frac{\Gamma(px+q)}{\Gamma(px)\Gamma(q)}
        \frac{v^q\, m_x^{px-1}\, x^{px}}{(v + x m_x)^{px+q}},

fitted on the customers with :math:`x > 0` (the model assumes spend independent of
purchase frequency; check their correlation before relying on it).  The expected mean
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

from ..errors import InputError
from ._checks import summary_arrays
from ._model import CLVModel, compress


class GammaGamma(CLVModel):
    """Gamma-Gamma spend model: ``GammaGamma().fit(rfm)``; parameters ``p, q, v``.

    ``rfm`` needs ``frequency`` and ``monetary_value`` (``recency`` and ``T`` are checked
    when present); customers with ``frequency == 0`` are ignored in the fit.
    """

    param_names = ("p", "q", "v")
    method_name = "Gamma-Gamma spend model (Fader, Hardie & Lee 2005b)"
    _columns = ("frequency", "monetary_value")
    _references = ("Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). RFM and CLV: Using iso-value curves for "
                   "customer base analysis. Journal of Marketing Research, 42(4), 415-430.")

    def _arrays(self, rfm):
        d = _spend_arrays(rfm)
        return {"frequency": d["frequency"], "monetary_value": d["monetary_value"]}

    def _compress(self, d_all, weights):
        keep = d_all["frequency"] > 0
        if not keep.any():
            raise InputError("GammaGamma: no repeat buyers (frequency > 0) to fit the spend model on")
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

    def _check_params(self, theta):
        if theta[1] <= 1:
            return [f"{self.method_name}: q = {theta[1]:.4g} <= 1, so the population mean spend "
                    "p v / (q - 1) is infinite; expected spend is undefined"]
        return []

    @staticmethod
    def _spend(theta, x, m):
        p, q, v = theta
        return p * (v + x * m) / (p * x + q - 1)

    def expected_spend(self, rfm):
        r"""Expected mean transaction value of each customer, :math:`p(v + x m_x)/(px + q - 1)`;
        customers without repeat purchases get the population mean :math:`pv/(q-1)`."""
        self._require_fit()
        d = _spend_arrays(rfm)
        return self._series(self._spend(self._theta, d["frequency"], d["monetary_value"]), rfm, "expected_spend")

    def population_mean_spend(self) -> float:
        """:math:`pv/(q-1)`: the mean transaction value across customers."""
        self._require_fit()
        p, q, v = self._theta
        return float(p * v / (q - 1))


def _spend_arrays(rfm):
    """Validated ``frequency`` and ``monetary_value`` (recency and T checked when present)."""
    import pandas as pd

    if isinstance(rfm, pd.DataFrame) and {"frequency", "monetary_value"} <= set(rfm.columns) \
            and not {"recency", "T"} <= set(rfm.columns):
        # recency and T play no part in the spend model: stand-ins that pass the checks
        x = pd.to_numeric(rfm["frequency"], errors="coerce").to_numpy(float)
        rfm = pd.DataFrame({"frequency": rfm["frequency"], "recency": np.where(x > 0, 1.0, 0.0), "T": 1.0,
                            "monetary_value": rfm["monetary_value"]}, index=rfm.index)
    return summary_arrays(rfm, monetary=True)
