"""CVPAT: the cross-validated predictive ability test (Liengaard et al. 2021; Sharma et al. 2023).

The out-of-sample predictions of :mod:`cxmodels.sem.pls.predict` give each row ``i`` a loss,
the mean squared prediction error over the target constructs' indicators (overall) or over
one construct's indicators:

    L_i = (1 / K) sum_k (x_ik - x*_ik)^2.

For a model ``M`` and a benchmark or competitor ``C`` the loss differences
``D_i = L_i(C) - L_i(M)`` (positive: ``M`` predicts better) are tested for a zero mean:

* the paired t-test of Liengaard et al. (2021): ``T = Dbar / (s_D / sqrt(n))`` with
  ``n - 1`` degrees of freedom;
* the bootstrap variant used by Sharma et al. (2023) (and seminr's ``assess_cvpat``):
  ``T_boot = Dbar / sd(Dbar*_b)``, the SD of the means of ``n_boot`` resamples of the
  centred differences ``D_i - Dbar``, again against ``t(n - 1)``.

:func:`cvpat` tests a model against the indicator-average (IA, training-fold means) and the
linear-model (LM) benchmarks or, given ``competitor=``, two models with the same target
constructs and indicators on the same folds.

With sampling weights ``d_i`` (rescaled to sum to ``n``; weighted PLS, Becker & Ismail 2016)
the training fits are weighted, the mean loss difference is the weighted mean
``Dbar = sum d D / sum d`` with the linearization (sandwich) variance of a weighted mean,
``se^2 = n / (n - 1) sum d^2 (D - Dbar)^2 / (sum d)^2`` (``s_D^2 / n`` when all ``d_i = 1``),
and the bootstrap resamples respondents with their weights.  The test counts the ``n``
respondents, not the sum of the weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ... import _validation as V
from ... import plotting
from ..._results import Decision, Result
from ...errors import ConvergenceWarning, InputError
from ...provenance import make_provenance
from . import references as R
from .predict import (check_options, items_matrix, parse_model,
                      run_cv, targets_of)

__all__ = ["cvpat", "CVPATResult", "loss_test"]

ALTERNATIVES = ("two-sided", "greater")


def loss_test(loss_model, loss_other, *, n_boot: int = 2000, alternative: str = "two-sided", level: float = 0.95,
              rng=None, weights=None) -> dict:
    """The CVPAT test of ``D_i = loss_other_i - loss_model_i`` (see the module docstring).

    Returns ``dbar``, ``t``, ``p`` (paired t-test), ``ci_lower``/``ci_upper`` (t interval of
    ``Dbar`` at ``level``), ``t_boot`` and ``p_boot`` (bootstrap variance; NaN for ``n_boot=0``).
    ``alternative="greater"`` tests ``H1: mean D > 0`` (the model predicts better).  With row
    ``weights`` the weighted mean and its linearization variance (module docstring).
    """
    d = np.asarray(loss_other, float) - np.asarray(loss_model, float)
    n = len(d)
    if weights is None:
        dbar, sd = d.mean(), d.std(ddof=1)
        se = sd / np.sqrt(n)
    else:
        w = np.asarray(weights, float)
        dbar = w @ d / w.sum()
        se = np.sqrt(n / (n - 1) * (w ** 2 @ (d - dbar) ** 2)) / w.sum()

    def p_of(t):
        if not np.isfinite(t):
            return np.nan
        return float(2 * stats.t.sf(abs(t), n - 1) if alternative == "two-sided" else stats.t.sf(t, n - 1))

    t = dbar / se if se > 0 else np.nan
    half = stats.t.ppf(0.5 + level / 2, n - 1) * se
    out = {"dbar": dbar, "t": t, "p": p_of(t), "ci_lower": dbar - half, "ci_upper": dbar + half,
           "t_boot": np.nan, "p_boot": np.nan}
    if n_boot:
        centred = d - dbar
        means = np.empty(n_boot)
        for b in range(0, n_boot, 256):  # chunks keep memory at 256 x n
            idx = rng.integers(0, n, size=(min(256, n_boot - b), n))
            if weights is None:
                means[b:b + len(idx)] = centred[idx].mean(axis=1)
            else:  # each resampled respondent keeps its weight
                with np.errstate(invalid="ignore", divide="ignore"):
                    means[b:b + len(idx)] = (w[idx] * centred[idx]).sum(axis=1) / w[idx].sum(axis=1)
        means = means[np.isfinite(means)]  # a resample of zero-weight rows only has no mean
        sb = means.std(ddof=1) if len(means) > 1 else np.nan
        out["t_boot"] = dbar / sb if sb > 0 else np.nan
        out["p_boot"] = p_of(out["t_boot"])
    return out


def _losses(err: np.ndarray, items: list[str], blocks: dict[str, list[str]], targets: list[str]) -> dict:
    """Per-row losses: each target construct's indicators, and all of them (``"overall"``)."""
    out = {c: (err[:, [items.index(x) for x in blocks[c]]] ** 2).mean(axis=1) for c in targets}
    out["overall"] = (err ** 2).mean(axis=1)
    return out


def _check_test_options(n_boot, alternative, level):
    V.check_count(n_boot, "n_boot", minimum=0)
    if alternative not in ALTERNATIVES:
        raise InputError(f"alternative must be 'two-sided' or 'greater' (the model predicts better), "
                         f"got {alternative!r}")
    V.check_level(level)


def cvpat(model: str, data: pd.DataFrame, *, competitor: str | None = None, folds=10, repeats: int = 10,
          approach: str = "DA", targets=None, n_boot: int = 2000, alternative: str = "two-sided",
          level: float = 0.95, seed=None, scheme: str = "path", modes: dict | None = None, tol: float = 1e-10,
          max_iter: int = 300, progress=None, sampling_weights: str | None = None) -> "CVPATResult":
    """CVPAT: a PLS model against the indicator-average and linear-model benchmarks, or against
    a competing model.

    Parameters
    ----------
    model, data, folds, repeats, approach, targets, scheme, modes, tol, max_iter, progress :
        As :func:`cxmodels.sem.pls.predict_pls` (complete rows; same cross-validation).
    competitor : str, optional
        A second model (same syntax): the two models are compared on the same folds,
        ``D_i = L_i(competitor) - L_i(model)``.  The target constructs (default: the
        endogenous constructs both share) must have the same indicators in both; the models
        may differ in their exogenous constructs and paths (Liengaard et al. 2021).
        ``modes`` applies to both.  Without it, the model is tested against the IA and LM
        benchmarks (Sharma et al. 2023).
    n_boot : int
        Bootstrap resamples of the loss differences (Sharma et al. 2023); 0 gives the
        t-test only.
    alternative : {"two-sided", "greater"}
        ``"greater"``: H1 that the model's loss is lower than the benchmark's.
    level : float
        Level of the t interval of the mean loss difference; ``1 - level`` is the
        significance level of :meth:`CVPATResult.decide`.
    seed : int, Generator or None
        Folds and bootstrap; recorded in provenance.
    sampling_weights : str, optional
        The column of ``data`` holding each row's sampling weight, as for
        :func:`~cxmodels.sem.pls.fit_pls`: weighted training fits (Becker & Ismail 2016),
        weighted average losses and mean loss difference with its linearization variance,
        and a bootstrap that resamples respondents with their weights.  Bad weights are
        refused naming the rows.

    Returns
    -------
    CVPATResult
        ``summary()``: per comparison (``"PLS vs IA"``, ``"PLS vs LM"``, or
        ``"model vs competitor"``) and construct (and ``overall``) the
        average losses, ``diff = loss_model - loss_other`` (negative: the model predicts
        better), the t-test and the bootstrap test.

    References
    ----------
    Liengaard, B. D., et al. (2021). Prediction: coveted, yet forsaken? *Decision Sciences*,
    52(2), 362-392.  Sharma, P. N., et al. (2023). Predictive model assessment and selection
    in composite-based modeling using PLS-SEM. *European Journal of Marketing*, 57(6), 1662-1677.
    """
    check_options(approach, scheme, tol, max_iter)
    _check_test_options(n_boot, alternative, level)
    if competitor is not None:
        return _compare(model, competitor, data, folds=folds, repeats=repeats, approach=approach, targets=targets,
                        n_boot=n_boot, alternative=alternative, level=level, seed=seed, scheme=scheme, modes=modes,
                        tol=tol, max_iter=max_iter, progress=progress, sampling_weights=sampling_weights)
    spec, pred, X, F, preds, bad, rng, recorded, dw = run_cv(
        model, data, modes=modes, targets=targets, folds=folds, repeats=repeats, approach=approach, scheme=scheme,
        tol=tol, max_iter=max_iter, seed=seed, progress=progress, sampling_weights=sampling_weights)
    avg = np.mean if dw is None else (lambda a: float(dw @ a / dw.sum()))
    tg = pred.targets
    Y = X[:, pred.item_idx]
    loss = {m: _losses(Y - preds[m], pred.items, spec.blocks, tg) for m in ("pls", "ia", "lm")}
    rows = []
    for bench in ("IA", "LM"):
        for c in tg + ["overall"]:
            lm_, lo = loss["pls"][c], loss[bench.lower()][c]
            res = loss_test(lm_, lo, n_boot=n_boot, alternative=alternative, level=level, rng=rng, weights=dw)
            rows.append({"comparison": f"PLS vs {bench}", "construct": c, "loss_model": avg(lm_),
                         "loss_other": avg(lo), "diff": avg(lm_) - avg(lo), **res})
    options = _options(folds, F, approach, tg, n_boot, alternative, level, scheme, tol, max_iter, sampling_weights)
    return CVPATResult(rows, options, len(X), bad, F, data, {"model": model, "competitor": None}, recorded,
                       "benchmarks")


def _compare(model, competitor, data, *, folds, repeats, approach, targets, n_boot, alternative, level, seed, scheme,
             modes, tol, max_iter, progress, sampling_weights=None) -> "CVPATResult":
    """CVPAT of two models on the same folds (see :func:`cvpat`)."""
    s1, s2 = parse_model(model, modes), parse_model(competitor, modes, "competitor")
    shared = [c for c in s1.constructs if s1.predecessors[c] and c in s2.constructs and s2.predecessors[c]]
    if targets is None:
        if not shared:
            raise InputError("model and competitor share no endogenous construct, so their predictions cannot be "
                             "compared; CVPAT compares models that predict the same constructs")
        targets = shared
    t1 = targets_of(s1, targets, "the model")
    targets_of(s2, targets, "the competitor")
    for c in t1:
        if s1.blocks[c] != s2.blocks[c]:
            raise InputError(f"construct {c!r} has indicators {s1.blocks[c]} in model but {s2.blocks[c]} in "
                             "competitor; CVPAT compares predictions of the same indicators")
    common = dict(modes=modes, targets=t1, folds=folds, repeats=repeats, approach=approach, scheme=scheme, tol=tol,
                  max_iter=max_iter, progress=progress, sampling_weights=sampling_weights)
    # the competitor is checked before anything is fitted; both run on the model's folds
    items_matrix(data, s2)
    _, p1, X1, F, pr1, bad1, rng, recorded, dw = run_cv(model, data, seed=seed, **common)
    _, p2, X2, _, pr2, bad2, _, _, _ = run_cv(competitor, data, seed=0, F=F, what="competitor", **common)
    avg = np.mean if dw is None else (lambda a: float(dw @ a / dw.sum()))
    l1 = _losses(X1[:, p1.item_idx] - pr1["pls"], p1.items, s1.blocks, t1)
    l2 = _losses(X2[:, p2.item_idx] - pr2["pls"], p2.items, s2.blocks, t1)
    rows = []
    for c in t1 + ["overall"]:
        res = loss_test(l1[c], l2[c], n_boot=n_boot, alternative=alternative, level=level, rng=rng, weights=dw)
        rows.append({"comparison": "model vs competitor", "construct": c, "loss_model": avg(l1[c]),
                     "loss_other": avg(l2[c]), "diff": avg(l1[c]) - avg(l2[c]), **res})
    options = _options(folds, F, approach, t1, n_boot, alternative, level, scheme, tol, max_iter, sampling_weights)
    out = CVPATResult(rows, options, len(X1), bad1 + bad2, F, data, {"model": model, "competitor": competitor},
                      recorded, "compare")
    if np.allclose(l1["overall"], l2["overall"], rtol=0, atol=1e-12):
        out._flag("model and competitor give the same predictions for every row (the same model, or models that "
                  "differ only outside the target constructs' antecedents), so the test is undefined (t and p are NaN)")
    return out


def _options(folds, F, approach, targets, n_boot, alternative, level, scheme, tol, max_iter,
             sampling_weights=None) -> dict:
    explicit = not isinstance(folds, (int, np.integer))
    out = dict(folds=int(F[:, 0].max() + 1) if explicit else int(folds), fold_vector=explicit,
               repeats=int(F.shape[1]), approach=approach, targets=list(targets), n_boot=int(n_boot),
               alternative=alternative, level=level, scheme=scheme, tol=tol, max_iter=max_iter)
    if sampling_weights is not None:
        out["sampling_weights"] = sampling_weights
    return out


class CVPATResult(Result):
    """CVPAT tests of mean loss differences, per target construct and overall.

    ``summary()`` columns: ``comparison`` (``"PLS vs IA"``, ``"PLS vs LM"`` or
    ``"model vs competitor"``), ``construct``, ``loss_model``, ``loss_other``, ``diff``
    (``loss_model - loss_other``), ``dbar`` (``-diff``), ``t``, ``p``, ``ci_lower``,
    ``ci_upper`` (of ``dbar``), ``t_boot``, ``p_boot``.
    """

    def __init__(self, rows, options, nobs, bad, F, data, models, seed, kind):
        self.options, self.nobs, self.folds, self.kind = options, nobs, F, kind
        self._table = pd.DataFrame(rows)
        self._warnings = []
        self._references = (R.LIENGAARD_2021, R.SHARMA_2023, R.SHMUELI_2016, R.WOLD) + (
            (R.BECKER_ISMAIL,) if "sampling_weights" in options else ())
        self._provenance = make_provenance("cxmodels.sem.pls.cvpat", data, {**models, **options}, seed)
        if bad:
            self._flag(f"the PLS algorithm did not converge on {bad} training folds (max_iter {options['max_iter']}); "
                       "their predictions use the last iterate: raise max_iter", ConvergenceWarning)

    def summary(self) -> pd.DataFrame:
        return self._table.copy()

    @property
    def params(self) -> pd.Series:
        t = self._table
        return pd.Series(t["dbar"].to_numpy(), index=[f"{a}: {c}" for a, c in zip(t.comparison, t.construct)])

    def _p(self, row) -> float:
        return row["p_boot"] if self.options["n_boot"] else row["p"]

    def decide(self) -> Decision:
        """On the overall loss, at significance ``1 - level`` (bootstrap p when ``n_boot > 0``).

        Against the benchmarks: ``"lacks_predictive_power"`` unless the model beats the IA
        benchmark significantly; then ``"weaker_than_lm"`` if the LM benchmark is significantly
        better, else ``"predictive"`` (Sharma et al. 2023).  With a competitor: ``"adopt"`` with
        ``variant`` ``"model"`` or ``"competitor"`` when the difference is significant, else
        ``"inconclusive"``.
        """
        alpha = 1 - self.options["level"]
        t = self._table[self._table["construct"] == "overall"].set_index("comparison")
        if self.kind == "compare":
            r = t.loc["model vs competitor"]
            p = self._p(r)
            crit = {"dbar": r["dbar"], "p": p, "alpha": alpha}
            if p < alpha and r["dbar"] != 0:
                better = "model" if r["dbar"] > 0 else "competitor"
                return Decision("adopt", better, f"the {better} has the lower out-of-sample loss (average loss "
                                f"difference {r['dbar']:.4g}, p = {p:.3g})", crit)
            return Decision("inconclusive", None, f"the models' out-of-sample losses do not differ significantly "
                            f"(p = {p:.3g}); prefer the more parsimonious or theoretically better founded one", crit)
        ia, lm = t.loc["PLS vs IA"], t.loc["PLS vs LM"]
        p_ia, p_lm = self._p(ia), self._p(lm)
        crit = {"dbar_ia": ia["dbar"], "p_ia": p_ia, "dbar_lm": lm["dbar"], "p_lm": p_lm, "alpha": alpha}
        if not (ia["dbar"] > 0 and p_ia < alpha):
            return Decision("lacks_predictive_power", None, f"the model does not predict significantly better than "
                            f"the indicator averages (p = {p_ia:.3g})", crit)
        if lm["dbar"] < 0 and p_lm < alpha and self.options["alternative"] == "two-sided":
            return Decision("weaker_than_lm", None, f"the model beats the indicator averages but the linear-model "
                            f"benchmark predicts significantly better (p = {p_lm:.3g})", crit)
        return Decision("predictive", None, f"the model predicts significantly better than the indicator averages "
                        f"(p = {p_ia:.3g}) and {'better than' if lm['dbar'] > 0 and p_lm < alpha else 'as well as'} "
                        f"the linear-model benchmark (p = {p_lm:.3g})", crit)

    def plot(self, ax=None):
        """Mean loss difference (other minus model) per construct with its t interval, per comparison."""
        t = self._table.reset_index(drop=True)
        ax = plotting.axes(ax, figsize=(6.5, 0.35 * len(t) + 1.5))
        y = np.arange(len(t))
        ax.errorbar(t["dbar"], y, xerr=[t["dbar"] - t["ci_lower"], t["ci_upper"] - t["dbar"]], fmt="none",
                    ecolor="grey")
        for k, (comp, sub) in enumerate(t.groupby("comparison", sort=False)):
            ax.scatter(sub["dbar"], y[sub.index], color=plotting.color(k), zorder=3, label=comp)
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(y)
        ax.set_yticklabels(t["construct"])
        ax.legend(loc="best")
        ax.invert_yaxis()
        ax.set_xlabel("average loss difference (> 0: the model predicts better)")
        ax.set_title("CVPAT")
        return ax

    def methods_text(self) -> str:
        o = self.options
        what = ("against the indicator-average and linear-model benchmarks" if self.kind == "benchmarks"
                else "between the two models on the same folds")
        boot = (f"; p-values use the bootstrap variance of the mean loss difference ({o['n_boot']} resamples; "
                f"{R.SHARMA_2023.cite})" if o["n_boot"] else "")
        d = self.decide()
        split = (f"{o['folds']}-fold cross-validation" + (f" repeated {o['repeats']} times" if o["repeats"] > 1 else "")
                 if not o["fold_vector"]
                 else f"cross-validation over {o['folds']} given folds")
        return (f"Predictive ability was tested with CVPAT ({R.LIENGAARD_2021.cite}) {what}: out-of-sample "
                f"predictions from {split} "
                f"of the PLS path model ({R.WOLD.cite}; PLSpredict, {R.SHMUELI_2016.cite}; {o['approach']} "
                f"approach; {self.nobs} responses, seed "
                f"{self._provenance.seed}) gave each response's average squared prediction error, and the mean loss "
                f"differences were tested with a paired t-test ({o['alternative']}){boot}. "
                + (f"Sampling weights (column {o['sampling_weights']!r}) weighted every training fit (weighted PLS, "
                   f"{R.BECKER_ISMAIL.cite}), the average losses and the mean loss difference (with the linearization "
                   "variance of a weighted mean), and the bootstrap resampled respondents with their weights. "
                   if "sampling_weights" in o else "")
                + f"Decision: {d.action}{' ' + d.variant if d.variant else ''} ({d.reason}).")
