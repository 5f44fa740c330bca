"""Parameter recovery on seeded synthetic data with known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels.sem import fit_sem

MODEL = """
quality =~ q1 + q2 + q3
satisfaction =~ s1 + s2 + s3
loyalty =~ l1 + l2 + l3
satisfaction ~ a*quality
loyalty ~ c*quality + b*satisfaction
indirect := a*b
"""
TRUTH = {"a": 0.6, "b": 0.5, "c": 0.2, "loadings": [1.0, 0.8, 1.2], "resid": 0.5}


def simulate(n, seed, error="normal"):
    rng = np.random.default_rng(seed)
    quality = rng.normal(size=n)
    satisfaction = TRUTH["a"] * quality + rng.normal(scale=np.sqrt(0.64), size=n)
    loyalty = TRUTH["c"] * quality + TRUTH["b"] * satisfaction + rng.normal(scale=0.6, size=n)
    cols = {}
    for name, eta in (("q", quality), ("s", satisfaction), ("l", loyalty)):
        for k, lam in enumerate(TRUTH["loadings"], start=1):
            if error == "normal":
                e = rng.normal(scale=np.sqrt(TRUTH["resid"]), size=n)
            else:  # skewed, heavy-tailed errors with the same variance
                e = (rng.chisquare(2, size=n) - 2) / 2 * np.sqrt(TRUTH["resid"])
            cols[f"{name}{k}"] = lam * eta + e
    return pd.DataFrame(cols)


def test_ml_recovers_known_paths_and_loadings():
    res = fit_sem(MODEL, simulate(20000, 1))
    est = res.estimates().set_index("label")
    for lab in ("a", "b", "c"):
        row = est.loc[lab]
        assert abs(row["est"] - TRUTH[lab]) < 3.5 * row["se"], lab
    assert est.loc["indirect", "est"] == pytest.approx(TRUTH["a"] * TRUTH["b"], abs=0.02)
    loads = res.estimates().query("op == '=~' and lhs == 'loyalty'")["est"].to_numpy()
    np.testing.assert_allclose(loads, TRUTH["loadings"], atol=0.03)
    assert res.fit_indices()["rmsea"] < 0.01


def test_ml_standard_errors_match_sampling_variability():
    """Across replicates, the SD of estimates matches the average ML standard error."""
    ests, ses = [], []
    for seed in range(60):
        r = fit_sem(MODEL, simulate(300, 100 + seed)).estimates().set_index("label").loc["b"]
        ests.append(r["est"])
        ses.append(r["se"])
    assert np.std(ests, ddof=1) == pytest.approx(np.mean(ses), rel=0.25)


def test_mlr_corrects_standard_errors_under_nonnormal_errors():
    """With skewed errors ML SEs of variances are too small; MLR's sandwich SEs track the truth."""
    est, se_ml, se_mlr = [], [], []
    for seed in range(60):
        d = simulate(400, 500 + seed, error="skewed")
        ml = fit_sem(MODEL, d).estimates().query("lhs == 'q1' and op == '~~'").iloc[0]
        mlr = fit_sem(MODEL, d, estimator="MLR").estimates().query("lhs == 'q1' and op == '~~'").iloc[0]
        est.append(ml["est"])
        se_ml.append(ml["se"])
        se_mlr.append(mlr["se"])
    sd = np.std(est, ddof=1)
    assert np.mean(se_ml) < 0.75 * sd            # ML understates the uncertainty
    assert np.mean(se_mlr) == pytest.approx(sd, rel=0.25)


def test_fiml_removes_the_bias_of_listwise_deletion_under_mar():
    d = simulate(8000, 3)
    rng = np.random.default_rng(4)
    # Loyalty items go missing more often for dissatisfied customers (MAR on s1).
    p = 1 / (1 + np.exp(-(-0.5 - 1.5 * d["s1"])))
    d.loc[rng.random(len(d)) < p, ["l1", "l2", "l3"]] = np.nan
    fiml = fit_sem(MODEL, d, missing="fiml").estimates().set_index("label")
    listwise = fit_sem(MODEL, d).estimates().set_index("label")
    assert abs(fiml.loc["b", "est"] - TRUTH["b"]) < 3 * fiml.loc["b", "se"]
    # listwise deletion truncates on satisfaction and attenuates its effect
    assert abs(listwise.loc["b", "est"] - TRUTH["b"]) > abs(fiml.loc["b", "est"] - TRUTH["b"])
    lv = fit_sem(MODEL, d, missing="fiml").estimates().query("lhs == 'satisfaction' and op == '~~'")["est"].iloc[0]
    assert lv == pytest.approx(0.64, abs=0.05)


def test_multigroup_metric_invariance_holds_when_true_and_fails_when_false():
    from cxmodels.sem import measurement_invariance
    a, b = simulate(1500, 10), simulate(1500, 11)
    same = pd.concat([a.assign(seg="A"), b.assign(seg="B")], ignore_index=True)
    cfa = "quality =~ q1 + q2 + q3\nsatisfaction =~ s1 + s2 + s3"
    t = measurement_invariance(cfa, same, group="seg", levels=("configural", "metric")).summary()
    assert t.loc["metric", "pvalue_diff"] > 0.01
    b2 = b.copy()
    b2["s3"] = b2["s3"] * 0.5  # item s3 means less in segment B: a different loading
    diff = pd.concat([a.assign(seg="A"), b2.assign(seg="B")], ignore_index=True)
    t = measurement_invariance(cfa, diff, group="seg", levels=("configural", "metric")).summary()
    assert t.loc["metric", "pvalue_diff"] < 1e-6


@pytest.mark.parametrize("model_name", ["ACSI", "ECSI"])
def test_survey_generator_paths_are_recovered(model_name):
    """make_survey's known structural paths come back from a CB-SEM fit (continuous items)."""
    from cxmodels import datasets
    from cxmodels.sem import templates
    data = datasets.make_survey_continuous(20000, model=model_name, seed=3)
    truth = data.attrs["truth"]["paths"]
    est = fit_sem(getattr(templates, model_name), data).estimates().query("op == '~'")
    got = {(r.lhs, r.rhs): r.std_all for r in est.itertuples()}
    assert set(got) == set(truth)
    for key, value in truth.items():
        assert got[key] == pytest.approx(value, abs=0.03), key


def test_likert_discretization_attenuates_little_with_mlr():
    """On the 10-point ACSI survey (n=800) every standardized path is within 0.1 of the truth."""
    from cxmodels import datasets
    from cxmodels.sem import templates
    data = datasets.load_acsi_survey()
    truth = data.attrs["truth"]["paths"]
    est = fit_sem(templates.ACSI, data, estimator="MLR").estimates().query("op == '~'")
    for r in est.itertuples():
        assert r.std_all == pytest.approx(truth[(r.lhs, r.rhs)], abs=0.1), (r.lhs, r.rhs)
