"""Seeded synthetic customer-satisfaction surveys with known ground truth.

:func:`make_survey` simulates respondents from the ACSI or ECSI model (the structure of
:mod:`cxmodels.sem.templates`) with known *standardized* path coefficients and loadings,
so that estimators can be checked by parameter recovery:

1. **Structural model.** The constructs are standardized (variance 1). Exogenous
   constructs (``CUEX`` in ACSI, ``IMAG`` in ECSI) are standard normal; each endogenous
   construct is ``eta_j = sum_k b_jk eta_k + zeta_j`` with a normal disturbance whose
   variance ``psi_j = 1 - b_j' R b_j`` (``R`` the implied correlations of its predictors)
   makes the total variance exactly 1. The paths are therefore the standardized
   coefficients (lavaan's ``std.all``) of the population model.
2. **Measurement model.** Each indicator is ``x = lambda * eta + e`` with
   ``Var(e) = 1 - lambda^2``, so indicators are standardized and ``lambda`` is the
   standardized loading. The complaint item ``CUSCO`` is an observed variable of the
   structural model: it is its own construct, without measurement error.
3. **Response scale.** Each standardized indicator ``x`` is mapped to ``1..scale`` by the
   fixed thresholds of ``round(mu + sigma * x)`` clipped to the scale, with
   ``mu = 1 + 0.7 (scale - 1)`` and ``sigma = 0.21 (scale - 1)``: on a 10-point scale
   items then average about 7.2 with a standard deviation near 1.8 and about 12 % of
   answers at 10, the left-skewed shape of real satisfaction surveys (the ECSI
   mobile-phone items average 7.5; Tenenhaus et al. 2005). ACSI complaints are complaint
   *behaviour* and are rare, so that item is mirrored (``scale + 1 - k`` applied to
   ``-x``): it averages about 3.8 and still rises with ``x``.
4. **Missingness.** Each cell is set missing independently with probability ``missing``
   (missing completely at random, Rubin 1976).

The random draws are made in a fixed order (disturbances, measurement errors, then the
missingness mask), so the same ``seed`` gives the same respondents whatever ``scale`` or
``missing`` is: ``make_survey(scale=10, seed=s)`` is the discretization of
``make_survey(scale=None, seed=s)``.

Default standardized paths follow published estimates (ACSI: Fornell et al. 1996; ECSI:
the mobile-phone study of Tenenhaus et al. 2005), rounded:

=====  =========================================================================
ACSI   PERQ~CUEX .50; PERV~CUEX .10, PERV~PERQ .60; CUSA~CUEX .10, CUSA~PERQ .50,
       CUSA~PERV .30; CUSCO~CUSA -.40; CUSL~CUSA .60, CUSL~CUSCO -.10
ECSI   CUEX~IMAG .50; PERQ~CUEX .55; PERV~CUEX .05, PERV~PERQ .55; CUSA~IMAG .20,
       CUSA~CUEX .05, CUSA~PERQ .45, CUSA~PERV .20; CUSCO~CUSA .50; CUSL~IMAG .20,
       CUSL~CUSA .50, CUSL~CUSCO .05
=====  =========================================================================

Default loadings lie between 0.70 and 0.90 (see :func:`make_survey_truth`).

References
----------
Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996). The
American Customer Satisfaction Index: nature, purpose, and findings. *Journal of
Marketing*, 60(4), 7-18.

Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path
modeling. *Computational Statistics & Data Analysis*, 48(1), 159-205.

Bollen, K. A. (1989). *Structural Equations with Latent Variables*. Wiley (implied
covariances of recursive models, ch. 4).

Rubin, D. B. (1976). Inference and missing data. *Biometrika*, 63(3), 581-592.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd

from .._validation import as_generator
from ..errors import InputError

__all__ = ["make_survey", "make_survey_continuous", "make_survey_truth", "SCALES"]

#: The response scales :func:`make_survey` can produce (``None``: continuous indicators).
SCALES = (5, 7, 10, None)

# Constructs in causal order: (name, indicators); ``None`` marks a single observed item.
_SPECS: dict[str, dict] = {
    "ACSI": {
        "constructs": [
            ("CUEX", ["CUEX1", "CUEX2", "CUEX3"]),
            ("PERQ", ["PERQ1", "PERQ2", "PERQ3"]),
            ("PERV", ["PERV1", "PERV2"]),
            ("CUSA", ["CUSA1", "CUSA2", "CUSA3"]),
            ("CUSCO", None),
            ("CUSL", ["CUSL1", "CUSL2"]),
        ],
        "paths": {
            ("PERQ", "CUEX"): 0.50,
            ("PERV", "CUEX"): 0.10, ("PERV", "PERQ"): 0.60,
            ("CUSA", "CUEX"): 0.10, ("CUSA", "PERQ"): 0.50, ("CUSA", "PERV"): 0.30,
            ("CUSCO", "CUSA"): -0.40,
            ("CUSL", "CUSA"): 0.60, ("CUSL", "CUSCO"): -0.10,
        },
        "loadings": {
            "CUEX1": 0.80, "CUEX2": 0.75, "CUEX3": 0.70,
            "PERQ1": 0.90, "PERQ2": 0.80, "PERQ3": 0.75,
            "PERV1": 0.90, "PERV2": 0.85,
            "CUSA1": 0.90, "CUSA2": 0.85, "CUSA3": 0.80,
            "CUSL1": 0.85, "CUSL2": 0.70,
        },
        "mirrored": ("CUSCO",),
        "title": "American Customer Satisfaction Index (Fornell et al. 1996, Journal of Marketing 60:7-18)",
    },
    "ECSI": {
        "constructs": [
            ("IMAG", ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"]),
            ("CUEX", ["CUEX1", "CUEX2", "CUEX3"]),
            ("PERQ", ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"]),
            ("PERV", ["PERV1", "PERV2"]),
            ("CUSA", ["CUSA1", "CUSA2", "CUSA3"]),
            ("CUSCO", None),
            ("CUSL", ["CUSL1", "CUSL2", "CUSL3"]),
        ],
        "paths": {
            ("CUEX", "IMAG"): 0.50,
            ("PERQ", "CUEX"): 0.55,
            ("PERV", "CUEX"): 0.05, ("PERV", "PERQ"): 0.55,
            ("CUSA", "IMAG"): 0.20, ("CUSA", "CUEX"): 0.05, ("CUSA", "PERQ"): 0.45, ("CUSA", "PERV"): 0.20,
            ("CUSCO", "CUSA"): 0.50,
            ("CUSL", "IMAG"): 0.20, ("CUSL", "CUSA"): 0.50, ("CUSL", "CUSCO"): 0.05,
        },
        "loadings": {
            "IMAG1": 0.80, "IMAG2": 0.75, "IMAG3": 0.70, "IMAG4": 0.80, "IMAG5": 0.75,
            "CUEX1": 0.80, "CUEX2": 0.75, "CUEX3": 0.70,
            "PERQ1": 0.85, "PERQ2": 0.75, "PERQ3": 0.75, "PERQ4": 0.80, "PERQ5": 0.75,
            "PERQ6": 0.80, "PERQ7": 0.75,
            "PERV1": 0.90, "PERV2": 0.85,
            "CUSA1": 0.90, "CUSA2": 0.85, "CUSA3": 0.80,
            "CUSL1": 0.85, "CUSL2": 0.70, "CUSL3": 0.85,
        },
        "mirrored": (),
        "title": ("European Customer Satisfaction Index, mobile-phone survey indicators "
                  "(Tenenhaus et al. 2005, CSDA 48:159-205)"),
    },
}


# ----------------------------------------------------------------------------- helpers
def _check_model(model) -> str:
    key = model.upper() if isinstance(model, str) else None
    if key not in _SPECS:
        raise InputError(f"model must be one of {sorted(_SPECS)} (case-insensitive), got {model!r}")
    return key


def _check_scale(scale):
    if scale is None:
        return None
    if isinstance(scale, bool) or not isinstance(scale, Integral) or int(scale) not in (5, 7, 10):
        raise InputError(f"scale must be 5, 7, 10 or None (continuous indicators), got {scale!r}")
    return int(scale)


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise InputError(f"n (the number of respondents) must be an integer >= 1, got {n!r}")
    return int(n)


def _check_missing(missing) -> float:
    if isinstance(missing, bool) or not isinstance(missing, Real) or not (0.0 <= float(missing) < 1.0):
        raise InputError(f"missing must be a probability in [0, 1), got {missing!r}")
    return float(missing)


def _syntax(spec: dict, paths: dict) -> str:
    """lavaan syntax of a spec: measurement lines, then one regression line per outcome."""
    lines = [f"# {spec['title']}", "# measurement model"]
    for name, items in spec["constructs"]:
        if items is not None:
            lines.append(f"{name} =~ " + " + ".join(items))
    lines.append("# structural model (CUSCO is a single observed item)")
    for name, _ in spec["constructs"]:
        preds = [x for (y, x) in paths if y == name]
        if preds:
            lines.append(f"{name} ~ " + " + ".join(preds))
    return "\n".join(lines) + "\n"


def _resolve(model: str, paths, loadings):
    """Defaults updated by the caller's overrides, validated; returns (spec, paths, loadings)."""
    spec = _SPECS[model]
    construct_of = {item: name for name, items in spec["constructs"] if items for item in items}

    out_paths = dict(spec["paths"])
    if paths is not None:
        if not isinstance(paths, dict):
            raise InputError(f"paths must be a dict {{(outcome, predictor): value}}, got {type(paths).__name__}")
        for key, value in paths.items():
            k = tuple(key) if isinstance(key, (tuple, list)) else None
            if k not in out_paths:
                raise InputError(
                    f"paths key {key!r} is not a structural path of the {model} model; its paths are "
                    f"{list(out_paths)} (as (outcome, predictor))")
            if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
                raise InputError(f"paths[{key!r}] must be a finite number, got {value!r}")
            out_paths[k] = float(value)

    out_load = {(construct_of[i], i): v for i, v in spec["loadings"].items()}
    if loadings is not None:
        if not isinstance(loadings, dict):
            raise InputError(f"loadings must be a dict {{indicator: value}}, got {type(loadings).__name__}")
        for key, value in loadings.items():
            item = key[1] if isinstance(key, tuple) and len(key) == 2 else key
            if item not in construct_of or (isinstance(key, tuple) and key[0] != construct_of[item]):
                raise InputError(
                    f"loadings key {key!r} is not an indicator of the {model} model; its indicators are "
                    f"{list(construct_of)} (CUSCO is observed and has no loading)")
            if (isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value)
                    or value == 0 or abs(value) > 1):
                raise InputError(f"loadings[{key!r}] must be a standardized loading in [-1, 1], "
                                 f"not zero, got {value!r}")
            out_load[(construct_of[item], item)] = float(value)
    return spec, out_paths, out_load


def _implied(spec: dict, paths: dict):
    """Implied correlation matrix of the constructs and the disturbance variances."""
    names = [c for c, _ in spec["constructs"]]
    pos = {c: i for i, c in enumerate(names)}
    k = len(names)
    B = np.zeros((k, k))
    for (y, x), b in paths.items():
        B[pos[y], pos[x]] = b
    R = np.zeros((k, k))
    psi = np.zeros(k)
    for j in range(k):                       # constructs are listed in causal order
        b = B[j, :j]
        if not b.any():
            psi[j] = 1.0
        else:
            psi[j] = 1.0 - b @ R[:j, :j] @ b
            if psi[j] <= 1e-8:
                preds = [f"{names[i]} ({B[j, i]:+.2f})" for i in range(j) if B[j, i]]
                raise InputError(
                    f"paths into {names[j]} from {', '.join(preds)} explain {1 - psi[j]:.3f} >= 1 of its "
                    "variance; lower them so that R-squared stays below 1")
            R[j, :j] = R[:j, :j] @ b
            R[:j, j] = R[j, :j]
        R[j, j] = 1.0
    return names, B, R, psi


def _thresholds(scale: int) -> list[float]:
    """Standard-normal thresholds between the categories 1..scale."""
    mu, sigma = 1 + 0.7 * (scale - 1), 0.21 * (scale - 1)
    return [(k + 0.5 - mu) / sigma for k in range(1, scale)]


def _truth(model: str, spec: dict, paths: dict, loadings: dict, scale) -> dict:
    names, _, R, psi = _implied(spec, paths)
    return {
        "model_name": model,
        "model": _syntax(spec, paths),
        "paths": dict(paths),
        "loadings": dict(loadings),
        "residual_variances": {c: float(p) for c, p in zip(names, psi)},
        "r_squared": {c: float(1 - p) for c, p in zip(names, psi) if p < 1},
        "latent_cor": {(a, b): float(R[i, j]) for i, a in enumerate(names) for j, b in enumerate(names)},
        "scale": scale,
        "thresholds": _thresholds(scale) if scale else None,
        "mirrored": list(spec["mirrored"]),
    }


# --------------------------------------------------------------------------- public API
def make_survey_truth(model: str = "ACSI", *, paths=None, loadings=None, scale=10) -> dict:
    """The true values behind :func:`make_survey` (by default, the default truth).

    Parameters
    ----------
    model : {"ACSI", "ECSI"}
        Template (case-insensitive).
    paths, loadings : dict, optional
        Overrides, as in :func:`make_survey`.
    scale : {5, 7, 10, None}
        Response scale recorded in the result (and its thresholds).

    Returns
    -------
    dict
        ``"paths"``: ``{(outcome, predictor): standardized coefficient}`` (lavaan's
        ``lhs``/``rhs`` of the ``~`` rows); ``"loadings"``: ``{(construct, indicator):
        standardized loading}`` (the ``=~`` rows); ``"model"``: the lavaan syntax;
        ``"residual_variances"`` and ``"r_squared"`` of the constructs;
        ``"latent_cor"``: ``{(a, b): implied correlation}`` over all pairs of constructs
        (``CUSCO`` included); ``"scale"``, ``"thresholds"`` (standard-normal cut points of
        the response categories) and ``"mirrored"`` (items whose categories are reversed),
        and ``"model_name"``.

    Examples
    --------
    >>> make_survey_truth("ACSI")["paths"][("CUSA", "PERQ")]
    0.5
    """
    key = _check_model(model)
    scale = _check_scale(scale)
    spec, p, lam = _resolve(key, paths, loadings)
    return _truth(key, spec, p, lam, scale)


def make_survey(n: int = 500, *, model: str = "ACSI", scale: int | None = 10, seed=None,
                paths=None, loadings=None, missing: float = 0.0) -> pd.DataFrame:
    """A synthetic customer-satisfaction survey with known standardized paths and loadings.

    Parameters
    ----------
    n : int, default 500
        Number of respondents (rows), at least 1.
    model : {"ACSI", "ECSI"}, default "ACSI"
        Template whose indicators and inner model are simulated (case-insensitive); the
        columns are the template's indicators (ACSI: 14 items, ECSI: 24 items), construct
        by construct in causal order.
    scale : {10, 7, 5, None}, default 10
        Points of the response scale; categories are ``1..scale``. ``None`` returns the
        continuous standardized indicators (what parameter-recovery tests of ML
        estimators need; see also :func:`make_survey_continuous`).
    seed : int, numpy.random.Generator or None
        Source of randomness (:func:`cxmodels._validation.as_generator`); the same int
        gives the same frame on any machine.
    paths : dict, optional
        Overrides of the default standardized paths, ``{(outcome, predictor): value}``,
        e.g. ``{("CUSA", "PERQ"): 0.6}``. Only paths of the template; a path can be set
        to 0. The disturbance variances adjust so every construct keeps variance 1
        (an InputError if the paths into a construct would explain all its variance).
    loadings : dict, optional
        Overrides of the default standardized loadings, keyed by indicator (``"CUSA1"``)
        or ``(construct, indicator)``; values in [-1, 1], not 0.
    missing : float, default 0.0
        Probability that a cell is missing, independently of everything (MCAR).

    Returns
    -------
    pandas.DataFrame
        ``n`` rows, one column per indicator: ``int64`` on a response scale, ``float64``
        when continuous or when ``missing > 0`` (missing cells are NaN). The ground
        truth is ``df.attrs["truth"]``, the dict of :func:`make_survey_truth`, with keys
        ``"paths"``, ``"loadings"``, ``"model"`` (lavaan syntax) and more.

    Raises
    ------
    cxmodels.errors.InputError
        (a ValueError) naming the argument: unknown ``model``, ``scale`` not in
        {5, 7, 10, None}, ``n`` < 1, ``missing`` outside [0, 1), bad overrides or seed.

    Notes
    -----
    Constructs are standardized and simulated from the recursive structural model with
    disturbance variances ``1 - R^2``; each indicator is ``lambda * eta + e`` with
    ``Var(e) = 1 - lambda^2``, so in the continuous data the correlation of indicators
    ``i`` and ``j`` is ``lambda_i lambda_j rho(eta_i, eta_j)`` (Bollen 1989, ch. 4; the
    ``rho`` are in ``truth["latent_cor"]``). On a response scale the indicators are cut at
    fixed thresholds (module docstring) so that items average about 70 % of the way up
    the scale (about 7.2 on 10 points); discretization attenuates correlations, so
    recover parameters from ``scale=None`` data, or fit the ordinal model.

    References
    ----------
    Fornell, C., et al. (1996). The American Customer Satisfaction Index: nature,
    purpose, and findings. *Journal of Marketing*, 60(4), 7-18.

    Tenenhaus, M., et al. (2005). PLS path modeling. *Computational Statistics & Data
    Analysis*, 48(1), 159-205.

    Examples
    --------
    >>> df = make_survey(300, model="ECSI", seed=1)
    >>> df.shape
    (300, 24)
    >>> df.attrs["truth"]["paths"][("CUSL", "CUSA")]
    0.5
    """
    n = _check_n(n)
    key = _check_model(model)
    scale = _check_scale(scale)
    missing = _check_missing(missing)
    rng = as_generator(seed)
    spec, p, lam = _resolve(key, paths, loadings)
    names, B, _, psi = _implied(spec, p)

    # 1. constructs, in causal order
    zeta = rng.standard_normal((n, len(names))) * np.sqrt(psi)
    eta = np.zeros_like(zeta)
    for j in range(len(names)):
        eta[:, j] = eta[:, :j] @ B[j, :j] + zeta[:, j]

    # 2. indicators
    columns, load, src = [], [], []
    for j, (name, items) in enumerate(spec["constructs"]):
        for item in (items if items is not None else [name]):
            columns.append(item)
            load.append(lam[(name, item)] if items is not None else 1.0)
            src.append(j)
    load = np.asarray(load)
    err = rng.standard_normal((n, len(columns)))
    x = eta[:, src] * load + err * np.sqrt(np.clip(1.0 - load ** 2, 0.0, None))

    # 3. response scale
    if scale is not None:
        cuts = np.asarray(_thresholds(scale))
        values = np.empty(x.shape, dtype=np.int64)
        for c, item in enumerate(columns):
            if item in spec["mirrored"]:
                values[:, c] = scale - np.searchsorted(cuts, -x[:, c], side="left")
            else:
                values[:, c] = 1 + np.searchsorted(cuts, x[:, c], side="left")
    else:
        values = x

    df = pd.DataFrame(values, columns=columns)

    # 4. MCAR missingness (drawn last, so it leaves the responses unchanged)
    if missing > 0:
        mask = rng.random((n, len(columns))) < missing
        df = df.astype("float64").mask(mask)

    df.attrs["truth"] = _truth(key, spec, p, lam, scale)
    return df


def make_survey_continuous(n: int = 500, *, model: str = "ACSI", seed=None, paths=None,
                           loadings=None, missing: float = 0.0) -> pd.DataFrame:
    """:func:`make_survey` with ``scale=None``: continuous standardized indicators.

    The multivariate normal data of the population model, for parameter-recovery tests of
    maximum-likelihood SEM estimators; same arguments, same truth, and for the same
    ``seed`` the undiscretized version of ``make_survey(..., seed=seed)``.
    """
    return make_survey(n, model=model, scale=None, seed=seed, paths=paths, loadings=loadings,
                       missing=missing)
