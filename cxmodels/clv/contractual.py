r"""Contractual CLV on the shifted-beta-geometric (sBG) model (Fader & Hardie 2007, 2010).

In a contractual setting each customer renews at the end of every period with her own
probability :math:`1-\theta`, :math:`\theta \sim \mathrm{Beta}(\alpha, \beta)` across
customers, so the cohort's survival is :math:`S(t) = B(\alpha, \beta+t)/B(\alpha, \beta)`.
With a margin :math:`m` paid at the start of each period and discount rate :math:`d` per
period (Fader & Hardie 2010, eqs. 5-6):

.. math::

    \mathrm{DEL} = \sum_{t\ge 0} \frac{S(t)}{(1+d)^t} = {}_2F_1\!\left(1, \beta; \alpha+\beta; \tfrac{1}{1+d}\right),
    \qquad
    \mathrm{DERL}(n) = \sum_{t\ge n} \frac{S(t)/S(n-1)}{(1+d)^{t-n}}
        = \frac{\beta+n-1}{\alpha+\beta+n-1}\, {}_2F_1\!\left(1, \beta+n; \alpha+\beta+n; \tfrac{1}{1+d}\right),

for a just-acquired customer (DEL, first payment included) and for one who has made
:math:`n-1` renewals, just before her :math:`n`-th renewal decision (DERL).  CLV is
:math:`m \cdot \mathrm{DEL}` minus the acquisition cost; the residual value of an existing
customer is :math:`m \cdot \mathrm{DERL}(n)`.

The sBG itself is fitted in the churn domain (``cxmodels.churn.fit_sbg``); this module
takes its ``alpha`` and ``beta`` (a result whose ``params`` hold them, or a mapping), so
neither domain imports the other.

References
----------
Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. *Journal of
Interactive Marketing*, 21(1), 76-90.

Fader, P. S., & Hardie, B. G. S. (2010). Customer-base valuation in a contractual setting:
The perils of ignoring heterogeneity. *Marketing Science*, 29(1), 85-93.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from ..errors import InputError


def _alpha_beta(sbg) -> tuple[float, float]:
    source = getattr(sbg, "params", sbg)
    if not (isinstance(source, (dict, pd.Series)) and "alpha" in source and "beta" in source):
        raise InputError("sbg must be an sBG result (cxmodels.churn.fit_sbg) or a mapping with alpha and beta")
    try:
        a, b = float(source["alpha"]), float(source["beta"])
    except (TypeError, ValueError):
        raise InputError(f"sBG parameters must be numbers, got alpha={source['alpha']!r}, "
                         f"beta={source['beta']!r}") from None
    if not (a > 0 and b > 0 and np.isfinite(a) and np.isfinite(b)):
        raise InputError(f"sBG parameters must be positive, got alpha={a}, beta={b}")
    return a, b


def discounted_expected_lifetime(sbg, discount_rate: float) -> float:
    """DEL: expected discounted number of payments of a just-acquired customer (first one included)."""
    a, b = _alpha_beta(sbg)
    if isinstance(discount_rate, bool) or not isinstance(discount_rate, (int, float, np.number)) \
            or not (np.isfinite(discount_rate) and discount_rate > 0):
        raise InputError(f"discount_rate must be positive (the undiscounted sum may diverge), got {discount_rate!r}")
    return float(special.hyp2f1(1.0, b, a + b, 1.0 / (1.0 + discount_rate)))


def discounted_expected_residual_lifetime(sbg, discount_rate: float, renewals=1):
    """DERL(n) for customers who have made ``renewals - 1`` renewals (``renewals`` >= 1; array-like ok)."""
    a, b = _alpha_beta(sbg)
    if isinstance(discount_rate, bool) or not isinstance(discount_rate, (int, float, np.number)) \
            or not (np.isfinite(discount_rate) and discount_rate > 0):
        raise InputError(f"discount_rate must be positive, got {discount_rate!r}")
    try:
        n = np.asarray(renewals, float)
    except (TypeError, ValueError):
        raise InputError(f"renewals must hold integers >= 1, got {renewals!r}") from None
    if not np.all(np.isfinite(n)) or np.any(n < 1) or np.any(n != np.round(n)):
        raise InputError(f"renewals must hold integers >= 1, got {renewals!r}")
    out = (b + n - 1) / (a + b + n - 1) * special.hyp2f1(1.0, b + n, a + b + n, 1.0 / (1.0 + discount_rate))
    return float(out) if out.ndim == 0 else out


def contractual_clv(sbg, *, margin: float, discount_rate: float, renewals=None,
                    acquisition_cost: float = 0.0):
    """Contractual CLV: ``margin * DEL - acquisition_cost`` for a new customer (``renewals=None``),
    or the residual value ``margin * DERL(renewals)`` of existing customers (a number, an
    array or a Series of renewal counts, returned in the same shape)."""
    if renewals is None:
        return margin * discounted_expected_lifetime(sbg, discount_rate) - acquisition_cost
    vals = discounted_expected_residual_lifetime(sbg, discount_rate, renewals) * margin
    if isinstance(renewals, pd.Series):
        return pd.Series(vals, index=renewals.index, name="residual_clv")
    return vals
