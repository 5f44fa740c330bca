r"""Customer lifetime value from a purchase model and a spend model.

For customer :math:`i` with history :math:`(x_i, t_{x,i}, T_i, m_i)`, a horizon of
:math:`K` periods of length :math:`\Delta` (in the summary's time unit) and a discount
rate :math:`d` per period,

.. math::

    \mathrm{CLV}_i = \mathrm{margin} \cdot E[M_i \mid m_i, x_i] \sum_{k=1}^{K}
        \frac{E[Y_i(k\Delta) \mid x_i, t_{x,i}, T_i] - E[Y_i((k-1)\Delta) \mid x_i, t_{x,i}, T_i]}{(1+d)^k},

the expected purchases in each period (from the BG/NBD or Pareto/NBD), valued at the
expected mean spend (Gamma-Gamma) and discounted to the end of the calibration period at
the end of each period.  This is the discrete form lifetimes uses (with :math:`\Delta` a
month there); it is the expected residual value of Fader, Hardie & Lee (2005b) truncated
at the horizon and discounted in steps rather than continuously.

Discounting convention (one for ``clv`` and ``chain``): ``discount_rate`` :math:`d` is a rate
per period of the model's time unit, and a value at time :math:`t` (in periods) is worth

.. math:: \delta(t) = (1 + d)^{-t} = e^{-\ln(1+d)\, t}

now (:func:`discount_factor`).  Discrete sums discount the value of period :math:`k` by
:math:`\delta(k)`; continuous-time integrals use the same :math:`e^{-\ln(1+d)t}`, i.e. the
continuously compounded rate :math:`\ln(1+d)`.  An annual rate :math:`d_a` becomes
:math:`(1+d_a)^{1/m} - 1` per period when a year has :math:`m` periods.

Covariates: with purchase and spend models fitted with covariates
(:func:`cxmodels.clv.fit_bgnbd_covariates`, :func:`~cxmodels.clv.fit_pareto_nbd_covariates`,
:func:`~cxmodels.clv.fit_gamma_gamma_covariates`) ``data`` also carries the covariate columns
and every expectation above is the customer's given her covariates.

Uncertainty: with ``draws > 0``, parameters of both models are drawn from the
asymptotic normal distribution of their log-parameters (the inverse observed information
of each fit) and the CLV of every customer recomputed per draw; ``clv_lower`` and
``clv_upper`` are the equal-tailed quantiles at ``level``.  They express estimation uncertainty in the
expected value, not the spread of the customer's actual future spend.

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005b). RFM and CLV: Using iso-value curves
for customer base analysis. *Journal of Marketing Research*, 42(4), 415-430.

Gupta, S., Lehmann, D. R., & Stuart, J. A. (2004). Valuing customers. *Journal of
Marketing Research*, 41(1), 7-18.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import as_generator, check_count, check_level
from ..errors import InputError
from ._model import CLVResult
from .checks import summary_arrays
from .covariate_models import GammaGammaCovariateResult, _PurchaseCovariateResult
from .gammagamma import GammaGammaResult


def discount_factor(t, discount_rate: float):
    r"""The library's discount factor :math:`(1+d)^{-t} = e^{-\ln(1+d)\,t}` for times ``t`` in periods.

    ``discount_rate`` is :math:`d`, the rate per period of the model's time unit (above -1);
    ``t`` a number or array (non-integer ``t`` and continuous-time integrands use the same
    formula).  Shared by :func:`customer_lifetime_value` and the value chain.

    >>> discount_factor([0, 1, 2], 0.1)
    array([1.        , 0.90909091, 0.82644628])
    """
    d = _number(discount_rate, "discount_rate")
    if d <= -1:
        raise InputError(f"discount_rate must be a number above -1, got {discount_rate!r}")
    try:
        t = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"t must be a number or an array of numbers, got {t!r}") from None
    return np.exp(-np.log1p(d) * t)


def discounted_purchases(expected, *, horizon: float, discount_rate: float, period: float = 1.0):
    r"""Discounted expected purchases over ``horizon`` in the library's convention.

    :math:`\sum_{k=1}^{K} [E(k\Delta) - E((k-1)\Delta)]\,(1+d)^{-k}` with :math:`K` =
    ``round(horizon / period)`` periods of length :math:`\Delta` = ``period`` and
    :math:`E(t)` = ``expected(t)``, the cumulative expected purchases by ``t`` (a callable returning
    a number or an array that broadcasts, e.g. ``lambda t: covariates.bgnbd_conditional_purchases(
    params, t, x, t_x, T, lp, ...)`` of shape (n, q)).  Multiplied by expected spend and margin this
    is :func:`customer_lifetime_value`'s CLV; the value chain uses it for the same number.

    Returns ``(discounted, total)``: the discounted sum and the undiscounted :math:`E(K\Delta)`.
    """
    horizon, period = _number(horizon, "horizon"), _number(period, "period")
    if horizon <= 0 or period <= 0:
        raise InputError(f"horizon and period must be positive numbers, got {horizon!r} and {period!r}")
    discount_factor(0.0, discount_rate)  # checks the rate
    K = max(int(round(horizon / period)), 1)
    return _discounted_purchases(lambda _, t: expected(t), None, K, period, float(discount_rate))


def _discounted_purchases(purchases, theta, K, period, d):
    """Discounted sum over K periods of the expected purchases in each, and their undiscounted total."""
    total, prev = 0.0, 0.0
    for k in range(1, K + 1):
        cur = purchases(theta, k * period)
        total = total + (cur - prev) * discount_factor(k, d)
        prev = cur
    return total, prev


def _purchase_function(model, data):
    """(theta, t) -> conditional expected purchases of each row of ``data`` under ``model``."""
    if isinstance(model, _PurchaseCovariateResult):
        d, Z = model._arrays(data)
        return lambda theta, t: model._cond_purchases(theta, d, Z, t)
    d = summary_arrays(data)
    x, tx, T = d["frequency"], d["recency"], d["T"]
    return lambda theta, t: model._cond_purchases(theta, x, tx, T, t)


def _spend_function(model, data):
    """theta -> expected mean spend of each row of ``data`` under ``model``."""
    d = summary_arrays(data, monetary=True)
    if isinstance(model, GammaGammaCovariateResult):
        Z = model._design(data)
        return lambda theta: model._spend(theta, d, Z)
    return lambda theta: model._spend(theta, d["frequency"], d["monetary_value"])


def _number(val, name):
    if isinstance(val, bool) or not isinstance(val, (int, float, np.number)) or not np.isfinite(val):
        raise InputError(f"{name} must be a finite number, got {val!r}")
    return float(val)


def customer_lifetime_value(data: pd.DataFrame, purchase_model, spend_model, *, horizon: float,
                            discount_rate: float, period: float = 1.0, margin: float = 1.0,
                            level: float = 0.95, draws: int = 0, seed=None) -> pd.DataFrame:
    r"""Expected discounted value of each customer over ``horizon`` (formula in the module docstring).

    Parameters
    ----------
    data : DataFrame
        ``frequency, recency, T, monetary_value`` in the purchase model's time unit (a
        calibration/holdout summary from :func:`rfm_summary` is read as it is).
    purchase_model : result of fit_bgnbd, fit_mbgnbd, fit_pareto_nbd or their covariate forms
        (fit_bgnbd_covariates, fit_pareto_nbd_covariates; ``data`` then holds the covariates)
    spend_model : result of fit_gamma_gamma or fit_gamma_gamma_covariates
    horizon : float
        Length of the forecast in the summary's time unit (e.g. 52 weeks).
    discount_rate : float
        Discount rate per ``period``: the value of period :math:`k` is multiplied by
        :func:`discount_factor` ``(k, discount_rate)`` :math:`= (1+d)^{-k}` (for weekly data
        and an annual rate :math:`d_a`, ``period=52/12`` and ``discount_rate=(1+d_a)**(1/12) - 1``
        discount monthly).
    period : float, default 1
        Length of a discounting period in the summary's time unit; the horizon is
        ``round(horizon / period)`` periods.
    margin : float, default 1
        Share of spend that is profit (CLV on revenue when 1).
    level : float, default 0.95
        Level of the parameter-uncertainty interval (used when ``draws > 0``).
    draws : int, default 0
        Parameter draws for the interval; 0 computes no interval.  Needs fitted models with
        standard errors.
    seed
        Seed of the parameter draws.

    Returns
    -------
    DataFrame indexed like ``data``: ``expected_purchases`` (over the horizon,
    undiscounted), ``expected_spend``, ``clv`` (and ``clv_lower``, ``clv_upper``).
    """
    rfm = data
    purchase_ok = (isinstance(purchase_model, CLVResult) and hasattr(purchase_model, "_cond_purchases")) \
        or isinstance(purchase_model, _PurchaseCovariateResult)
    if not purchase_ok or not isinstance(spend_model, (GammaGammaResult, GammaGammaCovariateResult)):
        raise InputError("purchase_model must be the result of fit_bgnbd/fit_mbgnbd/fit_pareto_nbd (or "
                         "fit_bgnbd_covariates/fit_pareto_nbd_covariates) and spend_model that of "
                         "fit_gamma_gamma (or fit_gamma_gamma_covariates)")
    level = check_level(level)
    draws = check_count(draws, "draws")
    horizon, period = _number(horizon, "horizon"), _number(period, "period")
    discount_rate, margin = _number(discount_rate, "discount_rate"), _number(margin, "margin")
    summary_arrays(rfm, monetary=True)
    for name, val in (("horizon", horizon), ("period", period)):
        if not np.isfinite(val) or val <= 0:
            raise InputError(f"{name} must be a positive number, got {val!r}")
    if not np.isfinite(discount_rate) or discount_rate <= -1:
        raise InputError(f"discount_rate must be a number above -1, got {discount_rate!r}")
    K = max(int(round(horizon / period)), 1)
    purchases = _purchase_function(purchase_model, rfm)
    spend_of = _spend_function(spend_model, rfm)
    disc, expected = _discounted_purchases(purchases, purchase_model._theta, K, period, discount_rate)
    spend = spend_of(spend_model._theta)
    out = pd.DataFrame({"expected_purchases": expected, "expected_spend": spend,
                        "clv": margin * spend * disc}, index=rfm.index)
    if draws > 0:
        rng = as_generator(seed)
        tp = purchase_model.sample_params(draws, rng)
        ts = spend_model.sample_params(draws, rng)
        sims = np.empty((draws, len(rfm)))
        for j in range(draws):
            dj, _ = _discounted_purchases(purchases, tp[j], K, period, discount_rate)
            sims[j] = margin * spend_of(ts[j]) * dj
        lo, hi = np.quantile(sims, [(1 - level) / 2, (1 + level) / 2], axis=0)
        out["clv_lower"], out["clv_upper"] = lo, hi
    return out


def simple_clv(data: pd.DataFrame, *, retention_rate: float, margin: float = 1.0, discount_rate: float = 0.0,
               horizon_years: float | None = None, acquisition_cost: float = 0.0,
               periods_per_year: float = 52.0) -> pd.DataFrame:
    r"""The back-of-envelope CLV practitioners use, as a baseline for the model-based CLV.

    Each customer's annual purchase rate is her observed rate,
    :math:`f_i = (x_i + 1) / (T_i / \text{periods\_per\_year})` (all purchase days, including the
    first), her order value :math:`\bar m_i` is ``monetary_value`` (the mean over repeat
    buyers for customers without one), and she is retained from year to year with
    probability :math:`\rho` = ``retention_rate``:

    .. math:: \mathrm{CLV}_i = f_i\, \bar m_i\, \mathrm{margin} \sum_{y=1}^{Y} \frac{\rho^{\,y-1}}{(1+d)^{y}}
              - \text{acquisition\_cost},

    which for an infinite horizon is the familiar :math:`f_i \bar m_i\, \mathrm{margin}\,/(1 + d - \rho)`
    (Gupta & Lehmann 2003) and, with :math:`d = 0`, "annual frequency x order value x margin x
    expected retention years :math:`1/(1-\rho)`".  ``horizon_years`` truncates the sum (a
    fractional final year counts pro rata).  It ignores that a customer's observed rate
    overstates her future rate when she has been observed briefly (regression to the mean)
    and that silent customers may have left: the biases the BG/NBD and Gamma-Gamma correct.

    Returns a DataFrame indexed like ``data`` with ``annual_purchases``, ``order_value`` and ``clv``.

    References
    ----------
    Gupta, S., & Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive
    Marketing*, 17(1), 9-24.
    """
    rfm = data
    d = summary_arrays(rfm, monetary=True)
    for name, val in (("retention_rate", retention_rate), ("margin", margin), ("discount_rate", discount_rate),
                      ("acquisition_cost", acquisition_cost), ("periods_per_year", periods_per_year)):
        _number(val, name)
    if horizon_years is not None and (_number(horizon_years, "horizon_years") < 0):
        raise InputError(f"horizon_years must be non-negative, got {horizon_years!r}")
    if not periods_per_year > 0:
        raise InputError(f"periods_per_year must be positive, got {periods_per_year!r}")
    if not 0 <= retention_rate < 1:
        raise InputError(f"retention_rate must lie in [0, 1), got {retention_rate!r}")
    if not np.isfinite(discount_rate) or discount_rate <= -1:
        raise InputError(f"discount_rate must be a number above -1, got {discount_rate!r}")
    x, T, m = d["frequency"], d["T"], d["monetary_value"]
    if np.any(T <= 0):
        bad = rfm.index[T <= 0]
        raise InputError(f"column 'T' must be positive for an observed purchase rate: customers "
                         f"{', '.join(map(str, bad[:5]))}")
    rate = (x + 1) / (T / periods_per_year)
    repeat = x > 0
    aov = np.where(repeat, m, m[repeat].mean() if repeat.any() else 0.0)
    q = retention_rate / (1 + discount_rate)
    if horizon_years is None:
        factor = 1.0 / (1 + discount_rate - retention_rate)
    else:
        full = int(np.floor(horizon_years))
        years = np.arange(1, full + 1)
        factor = float(np.sum(q ** (years - 1) / (1 + discount_rate)))
        factor += (horizon_years - full) * q ** full / (1 + discount_rate)
    return pd.DataFrame({"annual_purchases": rate, "order_value": aov,
                         "clv": rate * aov * margin * factor - acquisition_cost}, index=rfm.index)


def customer_equity(data, *, acquisition_cost: float = 0.0, n_acquired: int | None = None) -> float:
    """Customer equity: the sum of customers' CLV minus acquisition spend.

    ``data`` is the frame returned by :func:`customer_lifetime_value` (its ``clv`` column is
    used) or a Series of CLVs; acquisition spend is ``acquisition_cost`` per customer times
    ``n_acquired`` (default: the number of customers).  Gupta, Lehmann & Stuart (2004).
    """
    if isinstance(data, pd.DataFrame):
        if "clv" not in data.columns:
            raise InputError(f"data lacks column 'clv'; it has {list(map(str, data.columns))}")
        values = data["clv"]
    else:
        values = pd.Series(data)
    values = pd.to_numeric(values, errors="coerce") if not pd.api.types.is_bool_dtype(values) else values * np.nan
    if values.isna().any() or not np.all(np.isfinite(values.to_numpy(float))):
        raise InputError("clv values must be finite numbers")
    _number(acquisition_cost, "acquisition_cost")
    n = len(values) if n_acquired is None else check_count(n_acquired, "n_acquired")
    return float(values.sum() - acquisition_cost * n)
