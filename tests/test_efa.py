"""Exploratory factor analysis: parallel analysis, parity with lavaan's efa() (ML extraction,
geomin/oblimin/promax/varimax rotations, bordered standard errors) and known structure."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxmodels import datasets
from cxmodels.errors import IdentificationError, InputError
from cxmodels.sem.measurement.efa import efa, parallel_analysis

FIX = Path(__file__).parent / "fixtures" / "lavaan_efa"
ITEMS = [f"x{i}" for i in range(1, 10)]


@pytest.fixture(scope="module")
def hs():
    return datasets.load_holzinger_swineford()[ITEMS]


def two_factor_items(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    f = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], size=n)
    lam = np.array([0.8, 0.7, 0.75, 0.6])
    a = f[:, [0]] * lam + rng.normal(size=(n, 4)) * np.sqrt(1 - lam ** 2)
    b = f[:, [1]] * lam + rng.normal(size=(n, 4)) * np.sqrt(1 - lam ** 2)
    return pd.DataFrame(np.hstack([a, b]), columns=[f"a{i}" for i in range(4)] + [f"b{i}" for i in range(4)]), lam


def _lavaan(rotation, what):
    return pd.read_csv(FIX / f"{rotation}_{what}.csv", index_col=0)


def _matrix(res, op, column):
    t = res.summary()
    if op == "=~":
        return t[t["op"] == "=~"][column].to_numpy().reshape(res.n_factors, -1).T
    phi = np.zeros((res.n_factors, res.n_factors))
    fac = list(res.factor_correlations.index)
    for r in t[(t["op"] == "~~") & t["lhs"].isin(fac)].itertuples():
        i, j = fac.index(r.lhs), fac.index(r.rhs)
        phi[i, j] = phi[j, i] = getattr(r, column)
    return phi


@pytest.mark.parametrize("rotation", ["geomin", "oblimin", "promax", "varimax"])
def test_efa_matches_lavaan(hs, rotation):
    res = efa(hs, 3, rotation=rotation, seed=1)
    assert res.converged and res.admissible
    lam = _lavaan(rotation, "loadings").to_numpy()
    # the same factor order and signs as lavaan (reflection to positive sums, order by index)
    np.testing.assert_allclose(_matrix(res, "=~", "est"), lam, atol=1e-3)
    psi = _lavaan(rotation, "psi").to_numpy()
    np.testing.assert_allclose(res.factor_correlations.to_numpy(), psi, atol=1e-3)
    t = res.summary()
    theta = t[(t["op"] == "~~") & (t["lhs"] == t["rhs"])]
    np.testing.assert_allclose(theta["est"], _lavaan(rotation, "theta")["theta"], atol=1e-3)
    fit = pd.read_csv(FIX / f"{rotation}_fit.csv").set_index("name")["value"]
    for k in ("chisq", "df", "npar", "rmsea", "srmr", "logl"):
        assert res.fit[k] == pytest.approx(fit[k], abs=1e-3), k
    if rotation == "promax":  # lavaan gives no standard errors for promax
        assert t["se"].isna().all()
        return
    np.testing.assert_allclose(_matrix(res, "=~", "se"), _lavaan(rotation, "loadings_se").to_numpy(), atol=1e-3)
    np.testing.assert_allclose(theta["se"], _lavaan(rotation, "theta_se")["theta"], atol=1e-3)
    if rotation != "varimax":
        np.testing.assert_allclose(_matrix(res, "~~", "se"), _lavaan(rotation, "psi_se").to_numpy(), atol=1e-3)
    else:
        assert np.allclose(res.factor_correlations, np.eye(3))


def test_efa_surface(hs):
    res = efa(hs, 3, seed=2)
    assert res.rotation == "geomin" and res.provenance.seed == 2
    assert all(r.cite in res.methods_text() for r in res.references)
    assert "F1 =~ x1" in res.params.index and "F1 ~~ F2" in res.params.index
    L = res.loadings
    np.testing.assert_allclose(res.communality, np.diag(L.to_numpy() @ res.factor_correlations.to_numpy()
                                                        @ L.to_numpy().T), atol=1e-10)
    assert res.plot().get_xticklabels()[0].get_text() == "F1"
    # the random starts reach the same optimum whatever the seed
    np.testing.assert_allclose(efa(hs, 3, seed=7).loadings, L, atol=1e-4)


def test_one_factor_has_standard_errors(hs):
    res = efa(hs[["x1", "x2", "x3", "x4"]], 1)
    assert res.summary()["se"].notna().all() and res.loadings.shape == (4, 1)


def test_parallel_analysis_finds_two_factors():
    items, _ = two_factor_items()
    pa = parallel_analysis(items, n_iter=100, seed=1)
    assert pa.n_factors == 2
    t = pa.summary()
    assert t["observed"].iloc[1] > t["random_q95"].iloc[1]
    assert t["observed"].iloc[2] < t["random_q95"].iloc[2]
    d = pa.decide()
    assert d.action == "keep" and d.variant == "2 factors" and d.criteria["n_factors"] == 2
    assert pa.provenance.seed == 1 and all(r.cite in pa.methods_text() for r in pa.references)
    assert pa.plot().get_ylabel() == "eigenvalue"


@pytest.mark.parametrize("extraction,rotation", [("pa", "varimax"), ("ml", "oblimin"), ("ml", "geomin")])
def test_recovers_the_pattern(extraction, rotation):
    items, lam = two_factor_items()
    res = efa(items, 2, extraction=extraction, rotation=rotation, seed=0)
    assert res.converged and res.admissible and not res.warnings
    assert all(r.cite in res.methods_text() for r in res.references)
    L = res.loadings
    a_factor = L.loc["a0"].abs().idxmax()
    b_factor = L.loc["b0"].abs().idxmax()
    assert a_factor != b_factor
    np.testing.assert_allclose(L.loc[[f"a{i}" for i in range(4)], a_factor], lam, atol=0.08)
    assert (L.loc[[f"a{i}" for i in range(4)], b_factor].abs() < 0.25).all()
    if rotation != "varimax":
        assert res.factor_correlations.loc["F1", "F2"] == pytest.approx(0.3, abs=0.08)


def test_bad_input(hs):
    items, _ = two_factor_items(100)
    with pytest.raises(IdentificationError, match="at most 4 factor"):
        efa(items, 5)
    with pytest.raises(IdentificationError, match="at most 5 factor"):
        efa(hs, 6)
    with pytest.raises(InputError, match="rotation must be one of"):
        efa(items, 2, rotation="quartimaxx")
    with pytest.raises(InputError, match="extraction"):
        efa(items, 2, extraction="uls")
    with pytest.raises(InputError, match="n_factors"):
        efa(items, 0)
    with pytest.raises(InputError, match="three items"):
        parallel_analysis(items[["a0", "a1"]])
    before = hs.copy()
    efa(hs, 2, seed=0)
    pd.testing.assert_frame_equal(hs, before)


@pytest.mark.parametrize("m", [1, 2])
def test_efa_one_and_two_factors_match_lavaan(hs, m):
    res = efa(hs, m, seed=1)
    np.testing.assert_allclose(_matrix(res, "=~", "est"), _lavaan(f"geomin{m}", "loadings").to_numpy(), atol=1e-3)
    np.testing.assert_allclose(_matrix(res, "=~", "se"), _lavaan(f"geomin{m}", "loadings_se").to_numpy(), atol=1e-3)


def test_heywood_case_is_flagged():
    rng = np.random.default_rng(1)
    f = rng.normal(size=150)
    lam = [0.99999, 0.7, 0.6, 0.5, 0.4, 0.3]
    d = pd.DataFrame({f"a{i}": f * l + rng.normal(size=150) * np.sqrt(max(1 - l * l, 1e-6)) for i, l in enumerate(lam)})
    with pytest.warns(Warning, match="Heywood"):
        res = efa(d, 2, seed=0)
    assert not res.admissible and any("['a0']" in w for w in res.warnings)
