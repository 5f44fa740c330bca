"""Exploratory factor analysis: parallel analysis and principal-axis loadings on known structure."""

import numpy as np
import pandas as pd
import pytest

from cxmodels.errors import InputError
from cxmodels.sem.measurement.efa import efa, parallel_analysis


def two_factor_items(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    f = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], size=n)
    lam = np.array([0.8, 0.7, 0.75, 0.6])
    a = f[:, [0]] * lam + rng.normal(size=(n, 4)) * np.sqrt(1 - lam ** 2)
    b = f[:, [1]] * lam + rng.normal(size=(n, 4)) * np.sqrt(1 - lam ** 2)
    return pd.DataFrame(np.hstack([a, b]), columns=[f"a{i}" for i in range(4)] + [f"b{i}" for i in range(4)]), lam


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


def test_principal_axis_recovers_the_pattern():
    items, lam = two_factor_items()
    res = efa(items, 2)
    assert res.converged and res.admissible and not res.warnings
    assert all(r.cite in res.methods_text() for r in res.references)
    L = res.loadings
    np.testing.assert_allclose(res.communality, (L ** 2).sum(axis=1), atol=1e-5)
    assert res.params[f"{L.loc['a0'].abs().idxmax()} =~ a0"] == pytest.approx(L.loc["a0"].abs().max())
    a_factor = L.loc["a0"].abs().idxmax()
    b_factor = L.loc["b0"].abs().idxmax()
    assert a_factor != b_factor
    np.testing.assert_allclose(L.loc[[f"a{i}" for i in range(4)], a_factor], lam, atol=0.08)
    assert (L.loc[[f"a{i}" for i in range(4)], b_factor].abs() < 0.25).all()


def test_bad_input():
    items, _ = two_factor_items(100)
    with pytest.raises(InputError, match="n_factors"):
        efa(items, 8)
    with pytest.raises(InputError, match="three items"):
        parallel_analysis(items[["a0", "a1"]])
