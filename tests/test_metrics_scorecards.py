"""Scorecards (issue 18): per-group metrics equal the single-sample metrics, adjusted p-values
equal statsmodels' multipletests, the simultaneous intervals of the differences hold their
familywise level in simulation, and a touchpoint without responses is refused by name."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from statsmodels.stats.multitest import multipletests  # noqa: E402

from cxmodels import metrics  # noqa: E402
from cxmodels.errors import InputError  # noqa: E402


@pytest.fixture(scope="module")
def survey():
    rng = np.random.default_rng(18)
    n = 900
    tp = np.repeat(["app", "call centre", "shop"], n // 3)
    shift = {"app": 2, "call centre": -1, "shop": 0}
    rec = np.clip(np.array([rng.integers(3, 11) + shift[t] for t in tp]), 0, 10)
    return pd.DataFrame({"touchpoint": tp, "recommend": rec, "sat": rng.integers(1, 6, n),
                         "effort": rng.integers(1, 8, n), "w": rng.uniform(0.5, 2, n)})


def test_each_group_is_its_single_sample_metric(survey):
    r = metrics.scorecard(survey, group="touchpoint", value={"nps": "recommend", "csat_top_box": "sat",
                                                             "ces_mean": "effort"},
                          scale={"csat_top_box": (1, 5), "ces_mean": (1, 7)}, weights="w")
    t = r.summary()
    for g, grp in survey.groupby("touchpoint"):
        one = metrics.nps(scores=grp["recommend"], weights=grp["w"]).summary().loc["nps"]
        assert t.loc[("nps", g), ["est", "se", "lower", "upper"]].to_numpy() == pytest.approx(
            one[["est", "se", "lower", "upper"]].to_numpy(), rel=1e-12)
        c = metrics.csat(scores=grp["sat"], weights=grp["w"]).summary().loc["top_box"]
        assert t.loc[("csat_top_box", g), "est"] == pytest.approx(c["est"], rel=1e-12)
        e = metrics.ces(scores=grp["effort"], weights=grp["w"], scale=(1, 7)).summary().loc["mean"]
        assert t.loc[("ces_mean", g), "upper"] == pytest.approx(e["upper"], rel=1e-12)
    d = r.differences()
    assert len(d) == 9  # 3 pairs x 3 metrics
    row = d[(d.metric == "nps") & (d.a == "app") & (d.b == "shop")].iloc[0]
    sa, sb = t.loc[("nps", "app")], t.loc[("nps", "shop")]
    assert row["diff"] == pytest.approx(sb["est"] - sa["est"])
    assert row["se"] == pytest.approx(np.hypot(sa["se"], sb["se"]))
    # Bonferroni-simultaneous interval over the 3 comparisons: z_{1 - 0.05/6}
    assert row["upper"] - row["diff"] == pytest.approx(2.393980 * row["se"], rel=1e-5)
    assert {"Holm (1979)", "Dunn (1961)"} <= {x.cite for x in r.references}
    fig = r.plot_metrics()
    assert len(fig.axes) == 3 and fig.axes[2].get_title() == "CES mean by touchpoint"
    assert "Holm (1979)" in r.methods_text()


def test_reference_and_benchmark(survey):
    r = metrics.scorecard(survey, group="touchpoint", value="recommend", reference="shop", benchmark=20)
    d = r.differences()
    assert set(d["a"]) == {"shop"} and set(d["b"]) == {"app", "call centre"}
    t = r.summary()
    assert t["vs_benchmark"].to_numpy() == pytest.approx(t["est"].to_numpy() - 20)
    assert (t["benchmark_pvalue"] <= 1).all()
    assert r.differences().loc[d["b"] == "app", "significant"].iloc[0]  # app is clearly above the shop
    ax = r.plot()
    assert ax.get_title().startswith("NPS") and len(ax.get_yticklabels()) == 3


@pytest.mark.parametrize("method, sm", [("holm", "holm"), ("bonferroni", "bonferroni"), ("bh", "fdr_bh")])
def test_adjusted_pvalues_equal_statsmodels(method, sm):
    p = np.random.default_rng(1).uniform(size=25) ** 2
    assert metrics.adjust_pvalues(p, method) == pytest.approx(multipletests(p, method=sm)[1], abs=1e-12)


def test_simultaneous_intervals_hold_the_familywise_level():
    # 4 touchpoints with the same true NPS: every interval of the 6 differences must cover 0
    # together in at least 95% of surveys (Bonferroni guarantees >= 95%)
    rng = np.random.default_rng(7)
    probs = np.r_[np.full(7, 0.3 / 7), [0.15, 0.15], [0.2, 0.2]]
    reps, miss, rejections = 300, 0, 0
    for _ in range(reps):
        d = pd.DataFrame({"tp": np.repeat(list("ABCD"), 150), "rec": rng.choice(11, 600, p=probs)})
        diffs = metrics.scorecard(d, group="tp", value="rec").differences()
        miss += bool(((diffs["lower"] > 0) | (diffs["upper"] < 0)).any())
        rejections += bool(diffs["significant"].any())
    assert miss / reps <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / reps)
    assert rejections / reps <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / reps)
    assert miss / reps > 0.005  # not trivially wide


def test_touchpoint_without_responses_is_named(survey):
    d = survey.copy()
    d["touchpoint"] = pd.Categorical(d["touchpoint"], categories=["app", "call centre", "shop", "chatbot"])
    with pytest.raises(InputError, match=r"chatbot.*no responses"):
        metrics.scorecard(d, group="touchpoint", value="recommend")
    d = survey.copy()
    d.loc[d.touchpoint == "shop", "recommend"] = np.nan
    with pytest.raises(InputError, match=r"shop.*no responses"):
        metrics.scorecard(d, group="touchpoint", value="recommend")
    with pytest.raises(InputError, match="reference"):
        metrics.scorecard(survey, group="touchpoint", value="recommend", reference="web")
    with pytest.raises(InputError, match="at least two"):
        metrics.scorecard(survey[survey.touchpoint == "app"], group="touchpoint", value="recommend")
    with pytest.raises(InputError, match="unknown metric"):
        metrics.scorecard(survey, group="touchpoint", value={"nsp": "recommend"})
    with pytest.raises(InputError, match="adjust"):
        metrics.scorecard(survey, group="touchpoint", value="recommend", adjust="tukey")
