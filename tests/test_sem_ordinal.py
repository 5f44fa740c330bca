"""Ordinal indicators: thresholds, polychoric correlations and Gamma, and the WLSMV fit,
against lavaan (tests/fixtures/lavaan/ordinal/make_fixtures.R)."""

import numpy as np
import pandas as pd
import pytest

from conftest import FIXTURES
from cxmodels.errors import InputError
from cxmodels.sem import fit_sem
from cxmodels.sem.cb.polychoric import bvn_cdf, ordinal_stats

ORD = FIXTURES / "lavaan" / "ordinal"
MODELS = {
    "three_factor": "PERQ =~ PERQ1 + PERQ2 + PERQ3\nCUSA =~ CUSA1 + CUSA2 + CUSA3\nCUSL =~ CUSL1 + CUSL2\n"
                    "CUSA ~ PERQ\nCUSL ~ CUSA",
    "one_factor": "G =~ PERQ1 + PERQ2 + PERQ3 + CUSA1 + CUSA2 + CUSA3 + CUSL1 + CUSL2",
}


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(ORD / "data.csv")


def test_bivariate_normal_cdf_against_scipy():
    from scipy.stats import multivariate_normal
    for h, k, r in [(0.3, -0.5, 0.4), (-1.2, 1.7, -0.8), (2.0, 2.0, 0.95), (0.0, 0.0, 0.0)]:
        ref = multivariate_normal(cov=[[1, r], [r, 1]]).cdf([h, k])
        assert bvn_cdf(h, k, r) == pytest.approx(ref, abs=1e-7)


def test_thresholds_polychorics_and_gamma_match_lavaan(data):
    st = ordinal_stats(data, list(data.columns))
    th = pd.read_csv(ORD / "thresholds.csv").set_index("name")["value"]
    mine = pd.Series(np.concatenate([st.thresholds[c] for c in st.columns]), index=[l for l in st.labels if "|" in l])
    np.testing.assert_allclose(mine[th.index], th, atol=1e-8)
    R = pd.read_csv(ORD / "polychoric.csv", index_col=0)
    np.testing.assert_allclose(st.correlation.loc[R.index, R.columns], R, atol=1e-6)
    G = pd.read_csv(ORD / "gamma.csv", index_col=0)
    Gm = pd.DataFrame(st.nacov, index=st.labels, columns=st.labels).loc[G.index, G.columns]
    np.testing.assert_allclose(Gm, G, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(st.wls_weight_diag, 1 / np.diag(st.nacov))


def test_polychoric_recovers_a_known_correlation():
    rng = np.random.default_rng(3)
    z = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=20000)
    cuts = [-1.0, -0.2, 0.5, 1.3]
    d = pd.DataFrame({"a": np.digitize(z[:, 0], cuts) + 1, "b": np.digitize(z[:, 1], cuts) + 1})
    st = ordinal_stats(d, ["a", "b"])
    assert st.correlation.loc["a", "b"] == pytest.approx(0.6, abs=0.015)
    np.testing.assert_allclose(st.thresholds["a"], cuts, atol=0.03)


@pytest.mark.parametrize("name", list(MODELS))
def test_wlsmv_fit_matches_lavaan(data, name):
    res = fit_sem(MODELS[name], data, ordered=list(data.columns))
    est = res.estimates()
    ref = pd.read_csv(ORD / name / "estimates.csv", keep_default_na=False, na_values=["NA"])
    ref = ref[ref["op"].isin(["=~", "~", "~~", "|"])]
    key = lambda df: df["lhs"] + df["op"] + df["rhs"].astype(str)
    ours, ref = est.set_index(key(est)), ref.set_index(key(ref))
    assert set(ours.index) == set(ref.index)
    ours = ours.loc[ref.index]
    np.testing.assert_allclose(ours["est"], ref["est"], atol=1e-4)
    np.testing.assert_allclose(ours["se"], ref["se"], atol=1e-4)
    np.testing.assert_allclose(ours["std_all"], ref["std.all"], atol=1e-4)
    fm = pd.read_csv(ORD / name / "fit_measures.csv").set_index("name")["value"]
    fi = res.fit_indices()
    for k in ["chisq", "df", "chisq_scaled", "chisq_scaling_factor", "baseline_chisq", "baseline_chisq_scaled",
              "cfi", "tli", "cfi_scaled", "tli_scaled", "rmsea", "rmsea_scaled", "srmr", "npar"]:
        assert fi[k] == pytest.approx(fm[k.replace("_", ".")], abs=1e-3 * max(1, abs(fm[k.replace("_", ".")]) / 1000)), k


def test_ordinal_bad_input(data):
    bad = data.astype(float)
    bad.loc[[1, 2], "PERQ1"] = 2.5
    with pytest.raises(InputError, match="PERQ1.*integer"):
        fit_sem(MODELS["one_factor"], bad, ordered=True)
    with pytest.raises(InputError, match="not declared ordered"):
        fit_sem(MODELS["one_factor"], data, ordered=["PERQ1"])


def test_ordinal_result_reliability_and_htmt(data):
    res = fit_sem(MODELS["three_factor"], data, ordered=True)
    t = res.reliability()
    l = res.estimates().query("op == '=~' and lhs == 'CUSA'")["std_all"].to_numpy()
    assert t.loc["CUSA", "ave"] == pytest.approx(np.mean(l ** 2))
    assert (t[["alpha", "rho_c", "rho_a"]] > 0.7).all().all()
    h = res.htmt()
    assert 0 < h.loc["PERQ", "CUSA"] < 1 and h.loc["PERQ", "CUSA"] == h.loc["CUSA", "PERQ"]
