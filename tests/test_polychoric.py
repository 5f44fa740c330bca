"""Ordinal sample statistics (cxmodels.sem.cb.polychoric): thresholds, polychoric correlations,
NACOV (Gamma) and DWLS weights against lavaan 0.6-14 (tests/fixtures/lavaan_ordinal/,
made by make_fixtures.R there), plus checks that do not rely on lavaan: the bivariate
normal CDF against quadrature, recovery of a known correlation, Gamma against Monte Carlo
variances, closed forms, invariances and bad input."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from cxmodels.sem.cb.polychoric import OrdinalStats, bvn_cdf, ordinal_stats

FIX = Path(__file__).parent / "fixtures" / "lavaan_ordinal"


# ----------------------------------------------------------------------------------------
# parity with lavaan
# ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(FIX / "data.csv")


@pytest.fixture(scope="module")
def stats_(data) -> OrdinalStats:
    return ordinal_stats(data, list(data.columns))


def _name_value(name: str) -> pd.Series:
    t = pd.read_csv(FIX / name)
    return pd.Series(t["value"].to_numpy(float), index=t["name"].to_list())


def test_fixture_has_empty_cells(data):
    # the reference covers bivariate tables with empty cells (lavaan adds nothing to them)
    empty = sum(int((pd.crosstab(data[a], data[b]) == 0).to_numpy().sum())
                for i, a in enumerate(data.columns) for b in data.columns[i + 1:])
    assert empty > 0


def test_layout_and_labels_match_lavaan(stats_):
    G = pd.read_csv(FIX / "nacov.csv", index_col=0)
    assert stats_.labels == list(G.index) == list(G.columns)
    assert stats_.columns == [f"x{i}" for i in range(1, 7)]
    assert stats_.n == 400
    assert stats_.nacov.shape == (6 * 4 + 15, 6 * 4 + 15)
    assert stats_.wls_weight_diag.shape == (39,)
    assert stats_.n_thresholds == 24


def test_thresholds_match_lavaan(stats_):
    ref = _name_value("thresholds.csv")
    ours = pd.Series(np.concatenate([stats_.thresholds[c] for c in stats_.columns]),
                     index=stats_.labels[:24])
    assert list(ref.index) == list(ours.index)
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-9)
    for c in stats_.columns:
        assert np.all(np.diff(stats_.thresholds[c]) > 0)


def test_polychoric_correlations_match_lavaan(stats_):
    ref = pd.read_csv(FIX / "polychoric.csv", index_col=0)
    ours = stats_.correlation
    assert list(ours.index) == list(ref.index) and list(ours.columns) == list(ref.columns)
    # lavaan's nlminb stops at ~3e-8; 1e-6 is 100 times tighter than the 1e-4 asked for
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(np.diag(ours.to_numpy()), 1.0)


def test_stacked_vector_matches_lavaan_wls_obs(stats_):
    ref = _name_value("wls_obs.csv")
    assert list(ref.index) == stats_.labels
    np.testing.assert_allclose(stats_.stacked, ref.to_numpy(), rtol=0, atol=1e-6)


def test_nacov_matches_lavaan(stats_):
    G = pd.read_csv(FIX / "nacov.csv", index_col=0).to_numpy()
    ours = stats_.nacov
    np.testing.assert_allclose(ours, ours.T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.diag(ours), np.diag(G), rtol=1e-4)          # brief: 1 %
    np.testing.assert_allclose(ours, G, rtol=0, atol=1e-5 * np.abs(G).max())
    assert np.linalg.eigvalsh(ours).min() > 0


def test_dwls_weights_match_lavaan(stats_):
    ref = _name_value("wls_vd.csv")
    assert list(ref.index) == stats_.labels
    np.testing.assert_allclose(stats_.wls_weight_diag, ref.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(stats_.wls_weight_diag, 1.0 / np.diag(stats_.nacov), rtol=1e-14)


# ----------------------------------------------------------------------------------------
# checks independent of lavaan
# ----------------------------------------------------------------------------------------
def _sheppard(h: float, k: float, r: float) -> float:
    """Phi2(h, k; r) = Phi(h) Phi(k) + (1/2pi) int_0^asin(r) exp(-(h^2-2hk sin t+k^2)/(2cos^2 t)) dt."""
    a = np.arcsin(r)
    f = lambda t: np.exp(-(h * h - 2 * h * k * np.sin(t) + k * k) / (2 * np.cos(t) ** 2))  # noqa: E731
    pts = [a * 0.9, a * 0.99, a * 0.999] if abs(r) > 0.9 else None
    v, _ = integrate.quad(f, 0.0, a, epsabs=1e-15, epsrel=1e-12, limit=500, points=pts)
    return float(special.ndtr(h) * special.ndtr(k) + v / (2 * np.pi))


def test_bvn_cdf_against_quadrature():
    rng = np.random.default_rng(20240601)
    h = rng.uniform(-5, 5, 200)
    k = rng.uniform(-5, 5, 200)
    r = np.concatenate([rng.uniform(-0.999, 0.999, 100),
                        rng.choice([-1.0, 1.0], 100) * rng.uniform(0.9, 0.99999, 100)])
    h[:20] = k[:20]
    ref = np.array([_sheppard(*x) for x in zip(h, k, r)])
    np.testing.assert_allclose(bvn_cdf(h, k, r), ref, rtol=0, atol=1e-13)


def test_bvn_cdf_special_values():
    Phi = special.ndtr
    assert bvn_cdf(0.0, 0.0, 0.5) == pytest.approx(0.25 + np.arcsin(0.5) / (2 * np.pi), abs=1e-15)
    assert bvn_cdf(0.3, -1.2, 0.0) == pytest.approx(Phi(0.3) * Phi(-1.2), abs=1e-15)
    assert bvn_cdf(0.3, 0.2, 1.0) == pytest.approx(Phi(0.2), abs=1e-15)
    assert bvn_cdf(0.3, -0.2, -1.0) == pytest.approx(Phi(0.3) - Phi(0.2), abs=1e-15)
    np.testing.assert_allclose(bvn_cdf([np.inf, 1.0, -np.inf, np.inf], [0.4, np.inf, 2.0, np.inf], 0.7),
                               [Phi(0.4), Phi(1.0), 0.0, 1.0], atol=1e-15)
    assert bvn_cdf(np.zeros((3, 4)), 1.0, np.full((1, 4), 0.2)).shape == (3, 4)


def _discretize(z: np.ndarray, cuts: list[float]) -> np.ndarray:
    return np.digitize(z, cuts) + 1


def test_recovers_a_known_correlation_from_discretized_normals():
    rng = np.random.default_rng(12345)
    rho, n = 0.6, 20_000
    cuts_a, cuts_b = [-1.2, -0.3, 0.5, 1.4], [-0.8, 0.6, 1.5]
    z = rng.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], size=n)
    d = pd.DataFrame({"a": _discretize(z[:, 0], cuts_a), "b": _discretize(z[:, 1], cuts_b)})
    st = ordinal_stats(d, ["a", "b"])
    r = st.correlation.loc["a", "b"]
    se = np.sqrt(st.nacov[-1, -1] / n)
    assert 0.005 < se < 0.02
    assert abs(r - rho) < 4 * se
    assert abs(r - rho) < 0.03
    se_t = np.sqrt(np.diag(st.nacov)[:7] / n)
    err = np.concatenate([st.thresholds["a"] - cuts_a, st.thresholds["b"] - cuts_b])
    assert np.all(np.abs(err) < 4 * se_t)
    # a negative correlation and a dichotomous item
    z = rng.multivariate_normal([0.0, 0.0], [[1.0, -0.45], [-0.45, 1.0]], size=n)
    d = pd.DataFrame({"a": _discretize(z[:, 0], [0.3]), "b": _discretize(z[:, 1], [-1.0, 0.0, 1.0])})
    st = ordinal_stats(d, ["a", "b"])
    assert abs(st.correlation.loc["a", "b"] + 0.45) < 4 * np.sqrt(st.nacov[-1, -1] / n)


def test_nacov_agrees_with_monte_carlo_variances():
    # Gamma / n is the sampling covariance of the estimates: compare with 300 replications
    rng = np.random.default_rng(7)
    S = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.0]])
    cuts = [[-1.0, 0.0, 1.0], [-0.5, 0.7], [-1.5, -0.5, 0.4, 1.2]]
    n, reps = 400, 300
    est, gam = [], []
    for _ in range(reps):
        z = rng.multivariate_normal(np.zeros(3), S, size=n)
        d = pd.DataFrame({f"y{j}": _discretize(z[:, j], cuts[j]) for j in range(3)})
        st = ordinal_stats(d, list(d.columns))
        est.append(st.stacked)
        gam.append(st.nacov)
    est, gam = np.array(est), np.mean(gam, axis=0) / n
    mc = np.cov(est, rowvar=False)
    ratio = np.diag(mc) / np.diag(gam)
    # the sampling sd of a variance ratio over 300 replications is about 0.08
    assert np.all(np.abs(ratio - 1) < 0.3), ratio
    assert abs(np.mean(ratio) - 1) < 0.08
    # the means of the estimates are close to the truth
    truth = np.concatenate([np.concatenate(cuts), [S[1, 0], S[2, 0], S[2, 1]]])
    assert np.all(np.abs(est.mean(axis=0) - truth) < 4 * np.sqrt(np.diag(gam) / reps) + 0.01)


def test_two_by_two_closed_form():
    # thresholds 0 and 0: Phi2(0, 0; rho) = 1/4 + asin(rho) / (2 pi), so rho = sin(2 pi (p11 - 1/4))
    a = np.repeat([0, 0, 1, 1], [70, 30, 30, 70])
    b = np.repeat([0, 1, 0, 1], [70, 30, 30, 70])
    st = ordinal_stats(pd.DataFrame({"a": a, "b": b}), ["a", "b"])
    np.testing.assert_allclose(st.thresholds["a"], [0.0], atol=1e-15)
    assert st.correlation.loc["a", "b"] == pytest.approx(np.sin(2 * np.pi * (0.35 - 0.25)), abs=1e-9)


def test_two_by_two_with_one_empty_cell_uses_lavaans_half_cell_correction():
    # lavaan: zero.add = c(0.5, 0) with the margins kept, so 0 / 50 / 50 / 100 becomes
    # 0.5 / 49.5 / 49.5 / 100.5 when fitting, while the thresholds keep the observed margins
    a = np.repeat([0, 0, 1, 1], [0, 50, 50, 100])
    b = np.repeat([0, 1, 0, 1], [0, 50, 50, 100])
    st = ordinal_stats(pd.DataFrame({"a": a, "b": b}), ["a", "b"])
    t = st.thresholds["a"][0]
    assert t == pytest.approx(special.ndtri(50 / 200))
    r = st.correlation.loc["a", "b"]
    # the adjusted table's p11 = 0.5 / 200 solves Phi2(t, t; r) = p11
    assert bvn_cdf(t, t, r) == pytest.approx(0.5 / 200, abs=1e-10)
    assert np.all(np.isfinite(st.nacov))


def test_two_by_two_with_two_empty_cells_is_plus_or_minus_one():
    # lavaan sets the correlation to +-1 (with a warning); its asymptotic variance is then 0
    rng = np.random.default_rng(5)
    a = np.tile([0, 1], 25)
    d = pd.DataFrame({"a": a, "b": a, "c": 1 - a, "e": rng.integers(1, 5, 50)})
    with pytest.warns(UserWarning) as rec:
        st = ordinal_stats(d, list(d.columns))
    assert sum("two empty cells" in str(r.message) for r in rec) == 3
    assert st.correlation.loc["a", "b"] == 1.0 and st.correlation.loc["a", "c"] == -1.0
    assert np.all(np.isfinite(st.nacov))
    i = st.labels.index("a~~b")
    assert st.nacov[i, i] == 0.0 and np.isinf(st.wls_weight_diag[i])


def test_sparse_tables_and_a_correlation_on_the_bound_are_safe():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(40, 4))
    d = pd.DataFrame(_discretize(z, [-1.5, -1, -0.5, 0, 0.5, 1]), columns=list("abcd"))
    d["e"] = np.minimum(d["a"] + 1, 7)               # a monotone function of a: all off-diagonal cells empty
    with pytest.warns(UserWarning, match="nearly"):
        st = ordinal_stats(d, list(d.columns))
    assert st.correlation.loc["a", "e"] == pytest.approx(0.999)   # lavaan's bound
    assert np.all(np.isfinite(st.nacov)) and np.all(np.isfinite(st.wls_weight_diag))
    assert np.all(np.abs(st.correlation.to_numpy()) <= 1)
    # one case against the pattern keeps the estimate inside (lavaan 0.6-14: 0.819873244327)
    d.loc[np.flatnonzero(d["a"] == 7)[0], "e"] = 1
    st = ordinal_stats(d, list(d.columns))
    assert st.correlation.loc["a", "e"] == pytest.approx(0.819873244327, abs=1e-6)
    assert np.all(np.isfinite(st.nacov)) and np.all(np.diag(st.nacov) > 0)


def test_order_follows_ordered_and_codes_only_matter_by_rank(data):
    cols = ["x3", "x1", "x6"]
    st = ordinal_stats(data, cols)
    full = ordinal_stats(data, list(data.columns))
    assert st.columns == cols
    assert st.labels[-3:] == ["x3~~x1", "x3~~x6", "x1~~x6"]
    np.testing.assert_allclose(st.correlation.to_numpy(), full.correlation.loc[cols, cols].to_numpy(),
                               atol=1e-12)
    idx = [full.labels.index(lab) for lab in
           [f"{c}|t{k}" for c in cols for k in range(1, 5)] + ["x1~~x3", "x3~~x6", "x1~~x6"]]
    np.testing.assert_allclose(st.nacov, full.nacov[np.ix_(idx, idx)], atol=1e-10)
    # recoding 1..5 to 10, 20, 35, 40, 90 (same order) changes nothing
    rec = data.replace({c: {1: 10, 2: 20, 3: 35, 4: 40, 5: 90} for c in data.columns})
    st2 = ordinal_stats(rec, list(data.columns))
    np.testing.assert_allclose(st2.nacov, full.nacov, atol=1e-12)
    np.testing.assert_array_equal(st2.categories["x1"], [10, 20, 35, 40, 90])


def test_does_not_modify_the_callers_frame(data):
    d = data.copy()
    d["note"] = "keep"
    before = d.copy()
    ordinal_stats(d, ["x2", "x4"])
    pd.testing.assert_frame_equal(d, before)


def test_ten_items_by_500_rows_is_fast():
    rng = np.random.default_rng(1)
    lam = rng.uniform(0.5, 0.8, 10)
    z = rng.normal(size=(500, 1)) * lam + rng.normal(size=(500, 10)) * np.sqrt(1 - lam ** 2)
    d = pd.DataFrame(_discretize(z, [-1.5, -0.5, 0.5, 1.5]), columns=[f"q{i}" for i in range(10)])
    ordinal_stats(d, list(d.columns))
    t0 = time.perf_counter()
    st = ordinal_stats(d, list(d.columns))
    assert time.perf_counter() - t0 < 0.5
    assert st.nacov.shape == (40 + 45, 40 + 45)


# ----------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------
def test_bad_input_names_the_column_and_the_row_count():
    d = pd.DataFrame({"a": [1, 2, 3, 2, 1, 3], "b": [1, 1, 2, 2, 1, 2]})
    one = d.assign(c=4)
    with pytest.raises(ValueError, match=r"'c'.*single category.*6 rows"):
        ordinal_stats(one, ["a", "c"])
    frac = d.assign(c=[1, 2.5, 3, 1, 2, 3.5])
    with pytest.raises(ValueError, match=r"'c'.*integer.*2 of 6 rows"):
        ordinal_stats(frac, ["a", "c"])
    miss = d.assign(c=[1, np.nan, 2, 1, np.nan, 2])
    with pytest.raises(ValueError, match=r"'c'.*2 missing.*6 rows"):
        ordinal_stats(miss, ["c", "a"])
    text = d.assign(c=["lo", "hi", "lo", "hi", "lo", "hi"])
    with pytest.raises(ValueError, match=r"'c'.*integer.*6 of 6 rows"):
        ordinal_stats(text, ["a", "c"])
    inf = d.assign(c=[1.0, 2.0, np.inf, 1.0, 2.0, 1.0])
    with pytest.raises(ValueError, match=r"'c'.*1 of 6 rows"):
        ordinal_stats(inf, ["a", "c"])
    with pytest.raises(ValueError, match=r"lacks column.*'zz'"):
        ordinal_stats(d, ["a", "zz"])
    with pytest.raises(ValueError, match="more than once"):
        ordinal_stats(d, ["a", "a"])
    with pytest.raises(ValueError):
        ordinal_stats(d.to_numpy(), ["a"])
    with pytest.raises(NotImplementedError, match="continuous"):
        ordinal_stats(d.assign(x=np.arange(6.0)), ["a", "b"], continuous=["x"])
