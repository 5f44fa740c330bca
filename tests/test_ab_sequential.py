"""Sequential monitoring (issue 15): always-valid p-values and confidence sequences.

Parity with GrowthBook's SequentialTwoSidedTTest at six looks; a seeded simulation of 2,000
experiments peeked at 50 times shows the mSPRT's type I error stays at alpha while the
fixed-horizon test's does not, and the confidence sequence covers the true effect at every look
at once; looks out of order are refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxmodels import ab
from cxmodels.ab.sequential import mixture_sequence
from cxmodels.errors import InputError

FIX = Path(__file__).parent / "fixtures" / "ab_gbstats"
GB = json.loads((FIX / "gbstats.json").read_text())
EXP = pd.read_csv(FIX / "experiment.csv").assign(look=np.repeat(np.arange(1, 7), 500))


@pytest.mark.parametrize("name, metric", [("spend", "mean"), ("converted", "proportion")])
@pytest.mark.parametrize("relative", [False, True])
def test_sequential_matches_gbstats(name, metric, relative):
    res = ab.sequential_test(EXP, group="variant", look="look", value=name, metric=metric, relative=relative,
                             n_star=5000)
    t = res.summary()
    ref = pd.DataFrame([r for r in GB["sequential"][name] if r["difference"] == ("relative" if relative else "absolute")])
    assert t["n"].tolist() == ref["look"].tolist()
    np.testing.assert_allclose(t["est"], ref["expected"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(t["pvalue_look"], ref["p_value"], rtol=1e-9, atol=1e-12)
    half = np.array(ref["ci"].tolist())[:, 1] - ref["expected"].to_numpy()
    _, ours = mixture_sequence(t["est"], t["se"] ** 2, t["n"], 0.05, 5000)
    np.testing.assert_allclose(ours, half, rtol=1e-10)
    # reported: the running intersection and the running minimum
    assert (np.diff(t["ci_upper"] - t["ci_lower"]) <= 1e-12).all()
    assert (np.diff(t["pvalue"]) <= 0).all() and (t["pvalue"] <= t["pvalue_look"] + 1e-15).all()


def _peek(rng, reps, looks, batch, effect, kind):
    """Cumulative effect estimates and variances of ``reps`` experiments at ``looks`` looks."""
    shape = (reps, looks, batch)
    if kind == "mean":
        a, b = rng.normal(0, 1, shape), rng.normal(effect, 1, shape)
    else:
        a, b = (rng.random(shape) < 0.1).astype(float), (rng.random(shape) < 0.1 + effect).astype(float)
    n = batch * np.arange(1, looks + 1)
    out = []
    for x in (a, b):
        s, ss = x.sum(axis=2).cumsum(axis=1), (x ** 2).sum(axis=2).cumsum(axis=1)
        out.append((s / n, (ss - s ** 2 / n) / (n - 1) / n))
    (ma, va), (mb, vb) = out
    return mb - ma, va + vb, 2 * n


@pytest.mark.parametrize("kind", ["mean", "proportion"])
def test_peeking_keeps_alpha_only_with_always_valid_pvalues(kind):
    rng = np.random.default_rng(2017)
    reps, looks, batch, alpha = 2000, 50, 20, 0.05
    est, var, n = _peek(rng, reps, looks, batch, 0.0, kind)
    p, _ = mixture_sequence(est, var, n, alpha, n_star=2 * batch * looks)
    seq = np.mean((p < alpha).any(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):  # an arm with no conversions yet has no variance
        naive = np.mean((np.abs(est / np.sqrt(var)) > 1.959964).any(axis=1))
    se = np.sqrt(alpha * (1 - alpha) / reps)
    assert seq <= alpha + 2 * se, seq          # stays at alpha (it is conservative)
    assert naive > alpha + 10 * se, naive      # the fixed-horizon test peeked 50 times does not (about 0.3)


def test_confidence_sequence_covers_at_every_look():
    rng = np.random.default_rng(7)
    reps, effect = 2000, 0.1
    est, var, n = _peek(rng, reps, 50, 20, effect, "mean")
    _, half = mixture_sequence(est, var, n, 0.05, n_star=2000)
    lo, hi = np.maximum.accumulate(est - half, axis=1), np.minimum.accumulate(est + half, axis=1)
    cover = np.mean(((lo <= effect) & (effect <= hi)).all(axis=1))
    assert cover >= 0.95 - 2 * np.sqrt(0.95 * 0.05 / reps), cover
    fixed = np.mean(((np.abs(est - effect) / np.sqrt(var)) <= 1.959964).all(axis=1))
    assert fixed < 0.80, fixed  # fixed-horizon intervals do not hold at all looks at once


def _cumulative_stats():
    rows = []
    for t, k in enumerate((500, 1000, 1500, 2000, 2500, 3000), start=1):
        sub = EXP.iloc[:k]
        for v, x in sub.groupby("variant")["spend"]:
            rows.append({"day": t, "variant": v, "n": x.size, "mean": x.mean(), "sd": x.std(ddof=1)})
    return pd.DataFrame(rows)


def test_cumulative_statistics_equal_customer_rows_and_decide():
    st = _cumulative_stats()
    a = ab.sequential_test(st, group="variant", look="day", n_star=5000).summary()
    b = ab.sequential_test(EXP, group="variant", look="look", value="spend", n_star=5000).summary()
    np.testing.assert_allclose(a[["est", "ci_lower", "ci_upper", "pvalue"]], b[["est", "ci_lower", "ci_upper", "pvalue"]])
    res = ab.sequential_test(EXP, group="variant", look="look", value="spend")
    assert res.decide().action in ("adopt", "continue")
    assert "Johari et al. (2017)" in res.methods_text()
    assert res.plot() is not None


def test_sequential_bad_inputs():
    st = _cumulative_stats()
    swapped = st.copy()
    swapped.loc[(swapped.day == 3) & (swapped.variant == "control"), "n"] = 10_000
    with pytest.raises(InputError, match="looks out of order: n of variant 'control' falls from 10000 at look 3"):
        ab.sequential_test(swapped, group="variant", look="day")
    with pytest.raises(InputError, match="repeat"):
        ab.sequential_test(pd.concat([st, st.iloc[:1]]), group="variant", look="day")
    with pytest.raises(InputError, match="n_star"):
        ab.sequential_test(st, group="variant", look="day", n_star=0)
    with pytest.raises(InputError, match="customer"):
        ab.sequential_test(st, group="variant", look="day", metric="nps")
