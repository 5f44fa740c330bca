r"""Frequentist cross-checks reported beside the posterior, with effect sizes.

* :func:`chi_square_table`: Pearson chi-square test of homogeneity on a variants x
  categories table, effect size Cramer's :math:`V = \sqrt{\chi^2 / (N (\min(r, c) - 1))}`.
* :func:`chi_square_proportions`: the same on successes/failures, plus, with two variants,
  Cohen's :math:`h = 2\arcsin\sqrt{p_B} - 2\arcsin\sqrt{p_A}` (Cohen 1988).
* :func:`welch_t`: Welch's (1947) t test, Welch-Satterthwaite df, Hedges' g (pooled SD,
  small-sample corrected).
* :func:`anova`: one-way ANOVA from group sizes, means and SDs; :math:`\eta^2` and
  :math:`\omega^2`.
* :func:`poisson_rates_test`: chi-square test of equal Poisson rates given exposures; rate ratio.
* :func:`srm_check`: sample-ratio-mismatch chi-square goodness of fit on assignment counts
  (Fabijan et al. 2019), flagged at p < 0.0005 by default.

All return a one-row-per-test DataFrame with columns ``test, statistic, df, pvalue,
effect_size, effect_measure``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError
from ._checks import as_named, count

_COLS = ["test", "statistic", "df", "pvalue", "effect_size", "effect_measure"]


def chi_square_table(table, rows=None, columns=None) -> pd.DataFrame:
    """Pearson chi-square test of homogeneity (no continuity correction) with Cramer's V."""
    t = np.asarray(table, float)
    if t.ndim != 2 or t.shape[0] < 2 or t.shape[1] < 2:
        raise InputError(f"the chi-square test needs a table of at least 2 x 2, got shape {t.shape}")
    keep = t.sum(axis=0) > 0  # categories nobody chose carry no information
    t = t[:, keep]
    chi2, p, dof, _ = stats.chi2_contingency(t, correction=False)
    n = t.sum()
    v = np.sqrt(chi2 / (n * (min(t.shape) - 1))) if min(t.shape) > 1 else np.nan
    return pd.DataFrame([["chi-square", chi2, dof, p, v, "Cramer's V"]], columns=_COLS)


def chi_square_proportions(successes, trials, names=None) -> pd.DataFrame:
    """Chi-square test of equal proportions; with two variants also Cohen's h."""
    y, n = np.asarray(successes, float), np.asarray(trials, float)
    out = chi_square_table(np.c_[y, n - y])
    if len(y) == 2:
        p = y / n
        h = 2 * np.arcsin(np.sqrt(p[1])) - 2 * np.arcsin(np.sqrt(p[0]))
        out = pd.concat([out, pd.DataFrame([["chi-square", out.statistic[0], out.df[0], out.pvalue[0], h,
                                             "Cohen's h"]], columns=_COLS)], ignore_index=True)
    return out


def welch_t(a=None, b=None, *, stats_a=None, stats_b=None) -> pd.DataFrame:
    """Welch's t test of B vs A from raw samples or ``(n, mean, sd)``; Hedges' g effect size."""
    (n1, m1, s1) = stats_a if stats_a is not None else (len(a), np.mean(a), np.std(a, ddof=1))
    (n2, m2, s2) = stats_b if stats_b is not None else (len(b), np.mean(b), np.std(b, ddof=1))
    res = stats.ttest_ind_from_stats(m2, s2, n2, m1, s1, n1, equal_var=False)
    v1, v2 = s1 ** 2 / n1, s2 ** 2 / n2
    dof = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    sp = np.sqrt(((n1 - 1) * s1 ** 2 + (n2 - 1) * s2 ** 2) / (n1 + n2 - 2))
    g = (m2 - m1) / sp * (1 - 3 / (4 * (n1 + n2) - 9))
    return pd.DataFrame([["Welch t", res.statistic, dof, res.pvalue, g, "Hedges' g"]], columns=_COLS)


def anova(stats_by_group) -> pd.DataFrame:
    """One-way ANOVA from ``{group: (n, mean, sd)}``; eta-squared and omega-squared."""
    n, m, s = (np.array([g[i] for g in stats_by_group.values()], float) for i in range(3))
    k, N = len(n), n.sum()
    grand = (n * m).sum() / N
    ssb = (n * (m - grand) ** 2).sum()
    ssw = ((n - 1) * s ** 2).sum()
    dfb, dfw = k - 1, N - k
    F = (ssb / dfb) / (ssw / dfw)
    p = stats.f.sf(F, dfb, dfw)
    eta2 = ssb / (ssb + ssw)
    omega2 = (ssb - dfb * ssw / dfw) / (ssb + ssw + ssw / dfw)
    return pd.DataFrame([["one-way ANOVA", F, dfb, p, eta2, "eta-squared"],
                         ["one-way ANOVA", F, dfb, p, omega2, "omega-squared"]], columns=_COLS)


def means_test(groups) -> pd.DataFrame:
    """Welch t for two groups, one-way ANOVA for more; groups are arrays or ``(n, mean, sd)``."""
    st = {}
    for v, g in groups.items():
        if isinstance(g, tuple):
            st[v] = g
        else:
            g = np.asarray(g, float)
            st[v] = (g.size, g.mean(), g.std(ddof=1))
    keys = list(st)
    if len(keys) == 2:
        return welch_t(stats_a=st[keys[0]], stats_b=st[keys[1]])
    return anova(st)


def poisson_rates_test(events, exposure, names=None) -> pd.DataFrame:
    """Chi-square test of equal Poisson rates (expected events proportional to exposure); rate ratio
    of the last variant to the first as effect size."""
    e, x = np.asarray(events, float), np.asarray(exposure, float)
    expected = e.sum() * x / x.sum()
    chi2 = float(((e - expected) ** 2 / expected).sum())
    dof = len(e) - 1
    rr = (e[-1] / x[-1]) / (e[0] / x[0]) if e[0] > 0 else np.nan
    return pd.DataFrame([["Poisson rate chi-square", chi2, dof, stats.chi2.sf(chi2, dof), rr, "rate ratio"]],
                        columns=_COLS)


def srm_check(counts, expected=None, *, names=None, alpha: float = 0.0005) -> pd.DataFrame:
    """Sample-ratio-mismatch check: do the assignment counts match the planned split?

    Parameters
    ----------
    counts : mapping or sequence
        Users assigned to each variant.
    expected : mapping or sequence, optional
        Planned allocation weights (default: equal split).
    alpha : float
        Flag threshold; 0.0005 follows common practice (Fabijan et al. 2019) since an SRM
        check is run on every experiment.

    Returns
    -------
    DataFrame
        ``test, statistic, df, pvalue, mismatch`` plus observed/expected shares per variant.
    """
    c = as_named(counts, names, "counts")
    obs = np.array([count(v_, k, "assignment count") for k, v_ in c.items()])
    if obs.sum() == 0:
        raise InputError("no users were assigned to any variant")
    if expected is None:
        w = np.ones(len(obs))
    else:
        e = as_named(expected, names if not isinstance(expected, dict) else None, "expected")
        if list(e) != list(c) and not isinstance(expected, dict):
            e = dict(zip(c, e.values()))
        missing = [k for k in c if k not in e]
        if missing or len(e) != len(c):
            raise InputError(f"expected allocation lacks variant(s) {missing} or has extra ones")
        w = np.array([count(e[k], k, "expected weight", allow_zero=False) for k in c])
    exp = obs.sum() * w / w.sum()
    chi2 = float(((obs - exp) ** 2 / exp).sum())
    dof = len(obs) - 1
    p = float(stats.chi2.sf(chi2, dof))
    row = {"test": "SRM chi-square", "statistic": chi2, "df": dof, "pvalue": p, "mismatch": p < alpha}
    for k, o, ex in zip(c, obs, exp):
        row[f"observed_share_{k}"] = o / obs.sum()
        row[f"expected_share_{k}"] = ex / obs.sum()
    return pd.DataFrame([row])


__all__ = ["chi_square_table", "chi_square_proportions", "welch_t", "anova", "means_test",
           "poisson_rates_test", "srm_check"]
