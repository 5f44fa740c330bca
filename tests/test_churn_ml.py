"""Machine-learning churn models (scikit-survival forests and boosting, a scikit-learn
gradient-boosted discrete-time hazard): the cross-validated metrics are scikit-survival's own
functions on the stored out-of-fold predictions, cxmodels' IPCW Brier score and time-dependent
AUC agree with scikit-survival's, seeded fits recover the signal and repeat exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

# scikit-survival (the `ml` extra, also in `test`) is required: a missing one fails, never skips
from sksurv.metrics import (brier_score as sk_brier, concordance_index_ipcw, cumulative_dynamic_auc,  # noqa: E402
                            integrated_brier_score)
from sksurv.util import Surv  # noqa: E402

from cxmodels.churn import MLSurvivalResult, brier_score, ml_survival, time_dependent_auc  # noqa: E402
from cxmodels.errors import InputError  # noqa: E402
from cxmodels.provenance import Provenance  # noqa: E402

SMALL = {"random_forest": {"n_estimators": 40}, "gradient_boosting": {"n_estimators": 60},
         "discrete_hazard": {"max_iter": 60}}


def simulate(n=500, seed=11):
    """Churn driven by x1 (strongly) and x2 (weakly, non-linearly); x3 is noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    lp = 0.9 * X[:, 0] + 0.5 * (X[:, 1] > 0.5)
    t = rng.exponential(10 / np.exp(lp))
    c = rng.uniform(3, 25, n)
    return pd.DataFrame({"tenure": np.minimum(t, c), "churned": (t <= c).astype(int),
                         "x1": X[:, 0], "x2": X[:, 1], "x3": X[:, 2]})


@pytest.fixture(scope="module")
def data():
    return simulate()


@pytest.fixture(scope="module")
def fits(data):
    before = data.copy()
    out = {k: ml_survival(data, "tenure", "churned", ["x1", "x2", "x3"], kind=k, horizons=[2, 5, 10], cv=3,
                          n_repeats=2, params=SMALL[k], seed=5) for k in SMALL}
    pd.testing.assert_frame_equal(data, before)
    return out


@pytest.mark.parametrize("kind", sorted(SMALL))
def test_metrics_are_scikit_survivals(data, fits, kind):
    fit = fits[kind]
    assert isinstance(fit, MLSurvivalResult) and isinstance(fit.provenance, Provenance)
    h = fit.horizons
    t, e = data["tenure"].to_numpy(), data["churned"].to_numpy()
    for k, te in enumerate(fit.folds):
        tr = np.setdiff1d(np.arange(len(data)), te)
        y_tr, y_te = Surv.from_arrays(e[tr] == 1, t[tr]), Surv.from_arrays(e[te] == 1, t[te])
        S = fit.oof_survival.to_numpy()[te]
        got = fit.cv_metrics[fit.cv_metrics["fold"] == k + 1].set_index("name")["value"]
        assert got["uno_c"] == pytest.approx(concordance_index_ipcw(y_tr, y_te, 1 - S[:, -1], tau=h[-1])[0], abs=1e-12)
        assert got["ibs"] == pytest.approx(integrated_brier_score(y_tr, y_te, S, h), abs=1e-12)
        auc = cumulative_dynamic_auc(y_tr, y_te, 1 - S, h)[0]
        np.testing.assert_allclose(got[[f"auc@{v:g}" for v in h]], auc, atol=1e-12)
        np.testing.assert_allclose(got[[f"brier@{v:g}" for v in h]], sk_brier(y_tr, y_te, S, h)[1], atol=1e-12)
    # summary is the fold mean
    cvm = fit.cv_metrics
    assert fit.params["uno_c"] == pytest.approx(cvm.loc[cvm["name"] == "uno_c", "value"].mean())


def test_cxmodels_scores_agree_with_scikit_survival(data):
    """On untied tenures cxmodels' brier_score and time_dependent_auc equal scikit-survival's
    brier_score and cumulative_dynamic_auc (censoring distribution from the same data)."""
    rng = np.random.default_rng(3)
    S = rng.uniform(0.2, 0.95, len(data))
    y = Surv.from_arrays(data["churned"] == 1, data["tenure"])
    for h in (2.0, 5.0, 10.0):
        assert brier_score(data, "tenure", "churned", S, h) == pytest.approx(sk_brier(y, y, S, [h])[1][0], abs=1e-12)
        assert time_dependent_auc(data, "tenure", "churned", 1 - S, h) == pytest.approx(
            cumulative_dynamic_auc(y, y, 1 - S, [h])[0][0], abs=1e-12)


@pytest.mark.parametrize("kind", sorted(SMALL))
def test_recovery_and_importance(fits, kind):
    fit = fits[kind]
    assert fit.params["uno_c"] > 0.65                      # a real signal is found on held-out customers
    assert fit.params["ibs"] < 0.2
    imp = fit.importance["importance"]
    assert imp.index[0] == "x1" and imp["x1"] > 0.08      # the strong driver first
    assert abs(imp["x3"]) < 0.03                           # noise is worth nothing
    cal = fit.calibration(5.0)
    assert np.corrcoef(cal["predicted"], cal["observed"])[0, 1] > 0.8
    assert all(r.cite in fit.methods_text() for r in fit.references)
    risk = fit.predict_risk(pd.DataFrame({"x1": [-1.5, 0.0, 1.5], "x2": 0.0, "x3": 0.0}), 5.0)
    assert risk.is_monotonic_increasing and ((risk > 0) & (risk < 1)).all()


def test_seeded_and_reproducible(data):
    a = ml_survival(data, "tenure", "churned", ["x1", "x2"], kind="random_forest", horizons=[2, 5], cv=2,
                    n_repeats=1, params={"n_estimators": 20}, seed=9)
    b = ml_survival(data, "tenure", "churned", ["x1", "x2"], kind="random_forest", horizons=[2, 5], cv=2,
                    n_repeats=1, params={"n_estimators": 20}, seed=9)
    pd.testing.assert_frame_equal(a.summary(), b.summary())
    pd.testing.assert_frame_equal(a.importance, b.importance)
    assert a.provenance.seed == 9


def test_bad_inputs(data):
    with pytest.raises(InputError, match="beyond follow-up"):
        ml_survival(data, "tenure", "churned", ["x1"], kind="discrete_hazard", horizons=[2, 60], cv=2)
    with pytest.raises(InputError, match="kind"):
        ml_survival(data, "tenure", "churned", ["x1"], kind="deep")
    with pytest.raises(InputError, match="two or more"):
        ml_survival(data, "tenure", "churned", ["x1"], horizons=[5], cv=2)
    with pytest.raises(InputError, match="cv"):
        ml_survival(data, "tenure", "churned", ["x1"], cv=1)
    with pytest.raises(InputError, match="censored"):
        ml_survival(data.assign(churned=1), "tenure", "churned", ["x1"], cv=2)


def test_metrics_leave_out_test_customers_beyond_a_zero_censoring_survival():
    from cxmodels.churn.ml import survival_metrics
    rng = np.random.default_rng(11)
    t_tr = np.r_[rng.uniform(1, 20, 200), 25.0]          # the longest-followed training customer...
    e_tr = np.r_[rng.integers(0, 2, 200), 0]             # ...was censored: G(t) = 0 from t = 25 on
    t_te = np.r_[rng.uniform(1, 20, 60), 25.0, 30.0]
    e_te = np.r_[rng.integers(0, 2, 60), 1, 0]
    S = np.column_stack([np.exp(-t_te / 40 * k) for k in (0.5, 1.0, 1.5)])
    got = survival_metrics(t_tr, e_tr, t_te, e_te, S, [5.0, 10.0, 15.0])
    ref = survival_metrics(t_tr, e_tr, t_te[:60], e_te[:60], S[:60], [5.0, 10.0, 15.0])
    assert got["uno_c"] == pytest.approx(ref["uno_c"], abs=1e-12)
    np.testing.assert_allclose(got["brier"], ref["brier"], atol=1e-12)
