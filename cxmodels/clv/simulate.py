r"""Seeded draws from the CLV models, for recovery tests, benchmarks and teaching.

Summary-level draws need no event times: under the BG/NBD a customer with
:math:`\lambda \sim \mathrm{Gamma}(r, \alpha)` and :math:`p \sim \mathrm{Beta}(a, b)` would
make :math:`K \sim \mathrm{Poisson}(\lambda T)` purchases in :math:`(0, T]` if she never
left, and leaves after her :math:`N \sim \mathrm{Geometric}(p)`-th repeat purchase; so
:math:`x = \min(K, N)` and, given :math:`K`, the purchase times are uniform order
statistics, whence :math:`t_x = T\,\mathrm{Beta}(x, K - x + 1)`.  Under the Pareto/NBD
the observed window is :math:`w = \min(\tau, T)` with :math:`\tau \sim \mathrm{Exp}(\mu)`,
:math:`x \sim \mathrm{Poisson}(\lambda w)` and :math:`t_x = w\,\mathrm{Beta}(x, 1)`.
Gamma-Gamma spend: :math:`\nu \sim \mathrm{Gamma}(q, v)`, transaction values
:math:`\mathrm{Gamma}(p, \nu)`, so the mean of :math:`x` values is
:math:`\mathrm{Gamma}(px, x\nu)`.  All randomness comes from ``seed``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import as_generator
from ..errors import InputError

#: Default parameters: the published CDNOW estimates (weeks).
CDNOW_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
CDNOW_SPEND = {"p": 6.25, "q": 3.74, "v": 15.44}


def _T(T, n):
    T = np.asarray(T, float)
    if T.ndim == 0:
        T = np.full(int(n), float(T))
    if np.any(~np.isfinite(T)) or np.any(T <= 0):
        raise InputError("T must hold positive observation lengths")
    return T


def _bgnbd_latent(T, params, rng):
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], size=len(T))
    p = rng.beta(params["a"], params["b"], size=len(T))
    K = rng.poisson(lam * T)
    N = rng.geometric(np.clip(p, 1e-300, 1.0))
    return K, np.minimum(K, N)


def _pareto_latent(T, params, rng):
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], size=len(T))
    mu = rng.gamma(params["s"], 1.0 / params["beta"], size=len(T))
    w = np.minimum(rng.exponential(1.0 / np.maximum(mu, 1e-300)), T)
    x = rng.poisson(lam * w)
    return w, x


def simulate_bgnbd(T, n: int | None = None, *, params: dict | None = None, seed=None) -> pd.DataFrame:
    """``frequency, recency, T`` of customers drawn from the BG/NBD (``T`` scalar with ``n``, or an array)."""
    params = dict(CDNOW_BGNBD if params is None else params)
    rng = as_generator(seed)
    T = _T(T, n)
    K, x = _bgnbd_latent(T, params, rng)
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(K - x + 1, 1)), 0.0)
    out = pd.DataFrame({"frequency": x.astype(float), "recency": tx, "T": T})
    out.attrs["truth"] = params
    return out


def simulate_pareto_nbd(T, n: int | None = None, *, params: dict | None = None, seed=None) -> pd.DataFrame:
    """``frequency, recency, T`` of customers drawn from the Pareto/NBD."""
    params = dict(CDNOW_PARETO if params is None else params)
    rng = as_generator(seed)
    T = _T(T, n)
    w, x = _pareto_latent(T, params, rng)
    tx = np.where(x > 0, w * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    out = pd.DataFrame({"frequency": x.astype(float), "recency": tx, "T": T})
    out.attrs["truth"] = params
    return out


def simulate_spend(frequency, *, params: dict | None = None, seed=None) -> np.ndarray:
    """Mean repeat-purchase value of each customer under the Gamma-Gamma model (0 where frequency is 0)."""
    params = dict(CDNOW_SPEND if params is None else params)
    rng = as_generator(seed)
    x = np.asarray(frequency, float)
    nu = rng.gamma(params["q"], 1.0 / params["v"], size=len(x))
    total = rng.gamma(np.maximum(params["p"] * x, 1e-12), 1.0 / nu)
    return np.where(x > 0, total / np.maximum(x, 1), 0.0)



def _sorted_uniform_times(counts: np.ndarray, span: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """``counts[i]`` event times uniform on ``(0, span[i])`` per customer, sorted by customer then time
    (given their number, the times of a Poisson process are uniform order statistics)."""
    cust = np.repeat(np.arange(len(counts)), counts)
    u = rng.uniform(size=cust.size) * span[cust]
    order = np.lexsort((u, cust))
    return cust[order], u[order]

def simulate_transactions(T, *, model: str = "bgnbd", params: dict | None = None, spend: dict | None = None,
                          seed=None) -> dict:
    """Event-level log: arrays ``customer`` (0-based), ``time`` (0 for the first purchase) and ``value``.

    ``T`` is each customer's observation length; ``model`` is ``"bgnbd"`` or ``"paretonbd"``.
    """
    rng = as_generator(seed)
    T = _T(T, None)
    n = len(T)
    if model == "bgnbd":
        params = dict(CDNOW_BGNBD if params is None else params)
        K, x = _bgnbd_latent(T, params, rng)
        cust, u = _sorted_uniform_times(K, T, rng)
        rank = np.arange(cust.size) - np.repeat(np.cumsum(K) - K, K)
        keep = rank < x[cust]
        cust, u = cust[keep], u[keep]
    elif model == "paretonbd":
        params = dict(CDNOW_PARETO if params is None else params)
        w, x = _pareto_latent(T, params, rng)
        cust, u = _sorted_uniform_times(x, w, rng)
    else:
        raise InputError(f"model must be 'bgnbd' or 'paretonbd', got {model!r}")
    spend = dict(CDNOW_SPEND if spend is None else spend)
    nu = rng.gamma(spend["q"], 1.0 / spend["v"], size=n)
    customer = np.concatenate([np.arange(n), cust])
    time = np.concatenate([np.zeros(n), u])
    value = rng.gamma(spend["p"], 1.0 / nu[customer])
    order = np.lexsort((time, customer))
    return {"customer": customer[order], "time": time[order], "value": value[order],
            "truth": {"model": model, "params": params, "spend": spend}}
