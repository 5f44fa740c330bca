"""Heterogeneous effects by segment (issue 15): partial pooling covers the segment effects at the
nominal rate and beats the raw per-segment estimates in mean squared error (shrinkage shown);
means, NPS and ratings; segments with one customer refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels import ab
from cxmodels.errors import InputError


def _segments(rng, K=8, mu=0.2, tau=0.1):
    delta = rng.normal(mu, tau, K)
    sizes = rng.integers(40, 400, K)
    seg = np.repeat(np.arange(K), sizes * 2)
    g = np.concatenate([np.repeat(["control", "new"], n) for n in sizes])
    y = rng.normal(0, 1, seg.size) + delta[seg] * (g == "new")
    return pd.DataFrame({"variant": g, "y": y, "segment": [f"s{k}" for k in seg]}), delta


def test_partial_pooling_covers_and_shrinks():
    rng = np.random.default_rng(1)
    reps = 250
    cover, mse, raw_mse = [], [], []
    for _ in range(reps):
        d, delta = _segments(rng)
        t = ab.segment_effects(d, group="variant", value="y", segment="segment").summary()
        truth = delta[[int(s[1:]) for s in t.index]]
        cover.append(((t.ci_lower <= truth) & (truth <= t.ci_upper)).mean())
        mse.append(((t.est - truth) ** 2).mean())
        raw_mse.append(((t.raw - truth) ** 2).mean())
    # 8 segments x 250 experiments (correlated within an experiment: a conservative 3-SE band on reps)
    assert abs(np.mean(cover) - 0.95) <= 3 * np.std(cover) / np.sqrt(reps), np.mean(cover)
    assert np.mean(mse) < 0.75 * np.mean(raw_mse)
    # the smallest segment is pulled furthest
    d, _ = _segments(np.random.default_rng(9))
    res = ab.segment_effects(d, group="variant", value="y", segment="segment")
    t = res.summary()
    assert t["shrinkage"].idxmax() == (t["n_control"] + t["n_variant"]).idxmin()
    assert res.tau >= 0 and "Morris (1983)" in res.methods_text() and res.plot() is not None


@pytest.mark.parametrize("metric, lo, hi", [("nps", 0, 10), ("rating", 1, 5)])
def test_segments_for_nps_and_ratings(metric, lo, hi):
    rng = np.random.default_rng(4)
    n = 3000
    d = pd.DataFrame({"variant": rng.choice(["control", "new"], n), "score": rng.integers(lo, hi + 1, n),
                      "segment": rng.choice(list("ABCDE"), n)})
    t = ab.segment_effects(d, group="variant", value="score", segment="segment", metric=metric).summary()
    sub = d[(d.segment == "A")]
    code = (lambda s: (s >= 9).mean() - (s <= 6).mean()) if metric == "nps" else (lambda s: s.mean())
    raw = code(sub[sub.variant == "new"].score) - code(sub[sub.variant == "control"].score)
    assert t.loc["A", "raw"] == pytest.approx(raw)


def test_segment_bad_inputs():
    d, _ = _segments(np.random.default_rng(2))
    one = pd.concat([d, pd.DataFrame({"variant": ["new"], "y": [0.1], "segment": ["tiny"]})], ignore_index=True)
    with pytest.raises(InputError, match="'tiny' has 0 customers in 'control'; 'tiny' has 1 customer in 'new'"):
        ab.segment_effects(one, group="variant", value="y", segment="segment")
    few = d[d.segment.isin(["s0", "s1", "s2"])]
    with pytest.raises(InputError, match="at least four segments"):
        ab.segment_effects(few, group="variant", value="y", segment="segment")
    three = d.assign(variant=np.where(np.arange(len(d)) % 3 == 0, "other", d.variant))
    with pytest.raises(InputError, match="variant="):
        ab.segment_effects(three, group="variant", value="y", segment="segment")
