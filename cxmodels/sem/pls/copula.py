"""Gaussian copula test for endogeneity in PLS-SEM: :func:`copula_test` and :class:`CopulaResult`.

A predictor ``x`` of a structural regression ``y = a + b x + e`` is endogenous when it is
correlated with ``e``; its path ``b`` is then biased.  Park & Gupta (2012) model the
dependence of ``x`` and ``e`` by a Gaussian copula and show that adding the copula term

    c_x = Phi^{-1}(H(x)),   H the empirical distribution function of x (ranks / (n + 1)),

as a regressor, ``y = a + b x + g c_x + e'``, corrects ``b`` and that ``g != 0`` signals
endogeneity.  Hult et al. (2018) apply it to PLS-SEM on the construct scores: each
endogenous construct is regressed on its predecessors plus the copula terms of each
predictor alone and of all together, and ``g`` is judged by bootstrap.  The copula is
identified only through the predictor's non-normality: a normally distributed predictor
(Shapiro-Wilk, or Cramer-von Mises above 5,000 rows, not rejecting normality at 5%) gets no
copula term, with a warning.

A result fitted with sampling weights (weighted PLS; Becker & Ismail 2016) is tested with
its case weights ``d_i`` (rescaled to sum to ``n``): the weighted empirical distribution
function ``H(x_i) = (sum_{x_j < x_i} d_j + (sum_{x_j = x_i} d_j + 1) / 2) / (n + 1)``
(``rank / (n + 1)`` when every ``d_i = 1``), weighted least squares, and a bootstrap that
resamples respondents with their weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ... import _validation as V
from ... import plotting
from ..._progress import Progress
from ..._results import Decision, Result
from ..._stats import bootstrap_interval, wald
from ...errors import EstimationError, InputError, ImproperSolutionWarning
from . import references as R
from . import sampling as SW

__all__ = ["copula_test", "CopulaResult", "copula_term"]

#: Normality is not rejected (so the copula is not identified) above this p-value.
NORMALITY_P = 0.05

def copula_term(x, weights=None) -> np.ndarray:
    """``Phi^{-1}(H(x))`` with ``H`` the empirical CDF taken as ``rank / (n + 1)`` (ties averaged),
    which keeps the term finite at the sample's extremes (Park & Gupta 2012).

    With row ``weights`` (rescaled to sum to ``n``), the weighted rank
    ``sum_{x_j < x_i} d_j + (sum_{x_j = x_i} d_j + 1) / 2`` replaces the rank; it is the
    rank when all weights are equal."""
    x = np.asarray(x, float)
    if weights is None:
        return stats.norm.ppf(stats.rankdata(x) / (len(x) + 1))
    d = SW.normalize(weights)
    order = np.argsort(x, kind="stable")
    xs, cum = x[order], np.concatenate([[0.0], np.cumsum(d[order])])
    lo, hi = np.searchsorted(xs, x, "left"), np.searchsorted(xs, x, "right")
    rank = cum[lo] + ((cum[hi] - cum[lo]) + 1) / 2
    return stats.norm.ppf(rank / (len(x) + 1))


def normality(x) -> tuple[str, float]:
    """The normality test used and its p-value: Shapiro-Wilk up to 5,000 rows, else
    Cramer-von Mises against the normal with the sample's mean and SD."""
    x = np.asarray(x, float)
    if len(x) <= 5000:
        return "shapiro-wilk", float(stats.shapiro(x).pvalue)
    z = (x - x.mean()) / x.std(ddof=1)
    return "cramer-von mises", float(stats.cramervonmises(z, "norm").pvalue)


def _ols(y, X, d=None):
    """OLS slopes (with intercept); weighted least squares with row weights ``d``."""
    D = np.column_stack([np.ones(len(y)), X])
    return (np.linalg.lstsq(D, y, rcond=None)[0] if d is None else SW.lstsq(D, y, d))[1:]


def _fit_all(S: np.ndarray, models, d=None) -> np.ndarray:
    """Coefficients of every (outcome, predictors, copula set) regression, stacked (weighted
    copula terms and least squares with row weights ``d``)."""
    out = []
    for y, preds, cops in models:
        C = [copula_term(S[:, k], d) for k in cops]
        out.append(_ols(S[:, y], np.column_stack([S[:, preds]] + C) if C else S[:, preds], d))
    return np.concatenate(out)


def copula_test(result, *, outcome: str | None = None, n_boot: int = 1000, seed=None, level: float = 0.95,
                progress=None) -> "CopulaResult":
    """Gaussian copula test of the predictors of each endogenous construct (Hult et al. 2018).

    Parameters
    ----------
    result : PLSResult
        A fitted :func:`~cxmodels.sem.pls.fit_pls` model; its standardized construct scores
        are used.
    outcome : str, optional
        Test only the regression of this endogenous construct (default: all).
    n_boot : int
        Bootstrap replicates (rows of the scores resampled, copula terms recomputed).  A
        result fitted with ``sampling_weights`` is tested with its case weights: weighted
        copula terms (weighted empirical CDF), weighted least squares, and respondents
        resampled with their weights (Becker & Ismail 2016); the normality screen is on the
        sample's scores (the copula is identified by the non-normality of the data at hand).
    seed, level, progress
        As everywhere (the seed is recorded in the provenance).

    Returns
    -------
    CopulaResult
        ``summary()``: one row per regression term (``path`` or ``copula``) of each model
        (the copula of one predictor, or of all non-normal predictors together) with the
        estimate, bootstrap SE, t, p-value and percentile interval; ``normality()``;
        ``decide()``.

    Raises
    ------
    InputError
        Not a PLS result, an unknown or exogenous outcome, or no predictor that is not
        normally distributed (the copula needs non-normality).

    References
    ----------
    Park, S., & Gupta, S. (2012). Handling endogenous regressors by joint estimation using
    copulas. *Marketing Science*, 31, 567-586.  Hult, G. T. M. et al. (2018). Addressing
    endogeneity in international marketing applications of PLS-SEM. *Journal of
    International Marketing*, 26(3), 1-21.
    """
    from .fit import PLSResult
    if not isinstance(result, PLSResult):
        raise InputError(f"copula_test needs a fitted PLS model (fit_pls), got {type(result).__name__}")
    n_boot = V.check_count(n_boot, "n_boot", minimum=2)
    level = V.check_level(level)
    sp = result.spec
    endo = [c for c in sp.constructs if sp.predecessors[c]]
    if outcome is not None:
        result._construct(outcome, "outcome", endogenous=True)
        endo = [outcome]
    scores = result.scores(None)
    S = scores.to_numpy(float)
    idx = {c: k for k, c in enumerate(sp.constructs)}
    norm = {}
    for c in dict.fromkeys(p for y in endo for p in sp.predecessors[y]):
        test, p = normality(S[:, idx[c]])
        norm[c] = (test, p)
    notes, models, labels = [], [], []
    for y in endo:
        preds = sp.predecessors[y]
        usable = [p for p in preds if norm[p][1] < NORMALITY_P]
        normal = [p for p in preds if p not in usable]
        if normal:
            notes.append(f"the scores of {normal} (predictors of {y!r}) do not depart from normality "
                         f"({norm[normal[0]][0]} p >= {NORMALITY_P}), so their copula terms are not identified and were "
                         "left out (Park & Gupta 2012)")
        sets = [[p] for p in usable] + ([usable] if len(usable) > 1 else [])
        for cs in sets:
            models.append((idx[y], [idx[p] for p in preds], [idx[p] for p in cs]))
            labels.append((y, preds, cs))
    if not models:
        raise InputError(f"no predictor of {endo} has non-normal scores (normality p-values "
                         + ", ".join(f"{c} {p:.3f}" for c, (_, p) in norm.items())
                         + "); the Gaussian copula needs a non-normally distributed regressor, so endogeneity cannot "
                         "be tested this way")
    rng, recorded = V.resolve_seed(seed)
    d = result.case_weights
    with np.errstate(divide="ignore", invalid="ignore"):
        est = _fit_all(S, models, d)
        draws = []
        bar = Progress(n_boot, "copula bootstrap", progress)
        n = len(S)
        for _ in range(n_boot):
            idx = rng.integers(0, n, n)
            # a resample whose rows all have zero weight has no regression: skipped as NaN
            draws.append(_fit_all(S[idx], models) if d is None else
                         _fit_all(S[idx], models, d[idx]) if d[idx].sum() > 0 else np.full(len(est), np.nan))
            bar.update()
    D = np.asarray(draws)
    D = D[np.all(np.isfinite(D), axis=1)]
    if len(D) < 2:
        raise EstimationError("fewer than two bootstrap replicates of the copula regressions could be computed")
    rows = []
    base = dict(zip([(sp.constructs[j], sp.constructs[i]) for j in range(len(sp.constructs))
                     for i in range(len(sp.constructs)) if result._engine.P[j, i] > 0],
                    result._B[result._engine.P > 0]))
    for y, preds, cs in labels:
        model = f"{y} ~ " + " + ".join(preds) + " + " + " + ".join(f"copula({c})" for c in cs)
        rows += [{"outcome": y, "model": model, "term": "path", "rhs": p, "path_pls": base[(y, p)]} for p in preds]
        rows += [{"outcome": y, "model": model, "term": "copula", "rhs": c, "path_pls": np.nan} for c in cs]
    table = pd.DataFrame(rows)
    table["est"] = est
    table["boot_se"] = D.std(axis=0, ddof=1)
    w = wald(est, table["boot_se"].to_numpy(), level)
    table["t"], table["pvalue"] = w["z"], w["pvalue"]
    table["ci_lower"], table["ci_upper"] = bootstrap_interval(D, est, level, "percentile")
    ntab = pd.DataFrame([{"construct": c, "test": t, "pvalue": p, "normal": p >= NORMALITY_P}
                         for c, (t, p) in norm.items()]).set_index("construct")
    prov = result.provenance.with_step("copula_test", seed=recorded, n_boot=n_boot, level=level, outcome=outcome)
    return CopulaResult(table, ntab, D, notes, prov, recorded, n_boot, level, result.nobs,
                        result.options.get("sampling_weights"))


class CopulaResult(Result):
    """Gaussian copula test of endogeneity (Park & Gupta 2012; Hult et al. 2018).

    ``summary()`` columns: ``outcome``, ``model``, ``term`` (``path`` or ``copula``),
    ``rhs``, ``path_pls`` (the PLS path without copula terms), ``est``, ``boot_se``,
    ``t``, ``pvalue``, ``ci_lower``, ``ci_upper``.  ``params`` are indexed
    ``"model | term rhs"``.
    """

    def __init__(self, table, ntab, draws, notes, provenance, seed, n_boot, level, nobs, sampling_weights=None):
        self._table, self._normality, self.draws = table, ntab, draws
        self.seed, self.n_boot, self.level, self.nobs = seed, n_boot, level, nobs
        #: The weight column of the tested fit (weighted copula regressions), or None.
        self.sampling_weights = sampling_weights
        self._warnings = []
        self._references = (R.PARK_GUPTA, R.HULT, R.SHAPIRO_WILK, R.EFRON_TIBSHIRANI) + (
            (R.BECKER_ISMAIL,) if sampling_weights is not None else ())
        self._provenance = provenance
        for msg in notes:
            self._flag(msg, ImproperSolutionWarning, admissible=True)
        if nobs < 100:
            self._note(f"{nobs} rows: the copula test needs large samples to have power (Hult et al. 2018 simulate "
                       "n >= 200); a non-significant copula term is weak evidence")

    @property
    def params(self) -> pd.Series:
        t = self._table
        return pd.Series(t["est"].to_numpy(), index=[f"{m} | {k} {r}" for m, k, r in zip(t.model, t.term, t.rhs)])

    def normality(self) -> pd.DataFrame:
        """The normality test of each predictor's scores (``normal=True``: no copula term)."""
        return self._normality.copy()

    def decide(self) -> Decision:
        """``"endogeneity"`` when a copula term is significant at ``1 - level`` (then report the
        copula-corrected paths), else ``"no_endogeneity"`` (keep the PLS paths)."""
        alpha = 1 - self.level
        cop = self._table[self._table["term"] == "copula"]
        sig = cop[cop["pvalue"] < alpha]
        crit = {"alpha": alpha, "min_pvalue": float(cop["pvalue"].min())}
        if len(sig):
            which = sorted(set(f"{o} <- {r}" for o, r in zip(sig["outcome"], sig["rhs"])))
            return Decision("endogeneity", ", ".join(which),
                            f"copula terms significant at {alpha:g} for {which}: these paths are likely biased by "
                            "endogeneity; report the copula-corrected estimates and look for omitted drivers", crit)
        return Decision("no_endogeneity", None, f"no copula term is significant at {alpha:g} (smallest p "
                        f"{crit['min_pvalue']:.3f}): the PLS paths can be kept", crit)

    def plot(self, ax=None):
        """Copula coefficients with their bootstrap intervals, one row per model and term."""
        tab = self._table[self._table["term"] == "copula"]
        ax = plotting.axes(ax, figsize=(6.5, max(2.5, 0.35 * len(tab) + 1)))
        y = np.arange(len(tab))[::-1]
        ax.hlines(y, tab["ci_lower"], tab["ci_upper"], color=plotting.color(0))
        ax.plot(tab["est"], y, "o", color=plotting.color(0), ms=4)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{o}: copula({r})" + (" [joint]" if m.count("copula(") > 1 else "")
                            for o, r, m in zip(tab["outcome"], tab["rhs"], tab["model"])], fontsize="small")
        ax.set_xlabel(f"copula coefficient with {self.level:.0%} bootstrap interval")
        return ax

    def methods_text(self) -> str:
        return (f"Endogeneity was tested with the Gaussian copula approach ({R.PARK_GUPTA.cite}) as applied to PLS-SEM "
                f"by {R.HULT.cite}: each endogenous construct's scores were regressed on its predecessors plus the copula "
                f"terms of each non-normally distributed predictor (normality by {R.SHAPIRO_WILK.cite}), singly and "
                f"jointly, and the terms were judged by {self.n_boot} bootstrap replicates ({R.EFRON_TIBSHIRANI.cite}; "
                f"seed {self.seed}) on {self.nobs} respondents."
                + (f" The model's sampling weights (column {self.sampling_weights!r}) entered the copula terms "
                   "(weighted empirical distribution function), the regressions (weighted least squares) and the "
                   f"bootstrap, which resampled respondents with their weights ({R.BECKER_ISMAIL.cite})."
                   if self.sampling_weights is not None else ""))
