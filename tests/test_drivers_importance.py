"""Key-driver analysis (issue 18): the Shapley decomposition equals a brute-force average over
all orders of entry of OLS R2 gains, the relative weights equal Johnson's (2000) procedure
computed from the SVD of the data, the bootstrap intervals cover the population shares in
simulation, and rank uncertainty behaves."""

from __future__ import annotations

import itertools
import math

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cxmodels.drivers.importance import key_drivers, relative_weights, shapley_r2  # noqa: E402
from cxmodels.errors import EstimationError, InputError  # noqa: E402


def _data(n=400, p=5, seed=3):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, p))
    Z[:, 1] += 0.7 * Z[:, 0]
    Z[:, 3] += 0.5 * Z[:, 2]
    y = Z @ np.array([0.6, 0.3, 0.4, 0.1, 0.0])[:p] + rng.normal(size=n)
    d = pd.DataFrame(Z, columns=[f"tp{i}" for i in range(p)])
    d["overall"] = y
    return d


def _ols_r2(X, y):
    if X.shape[1] == 0:
        return 0.0
    A = np.column_stack([np.ones(len(y)), X])
    e = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
    return 1 - e @ e / ((y - y.mean()) @ (y - y.mean()))


def test_shapley_equals_brute_force_over_orderings():
    d = _data()
    X, y = d.iloc[:, :5].to_numpy(), d["overall"].to_numpy()
    phi = np.zeros(5)
    for perm in itertools.permutations(range(5)):
        for i, j in enumerate(perm):
            phi[j] += _ols_r2(X[:, list(perm[: i + 1])], y) - _ols_r2(X[:, list(perm[:i])], y)
    phi /= math.factorial(5)
    r = key_drivers(d, list(d.columns[:5]), "overall", n_boot=0)
    assert r.summary().loc["shapley", "est"].to_numpy() == pytest.approx(phi, abs=1e-12)
    assert r.r2 == pytest.approx(_ols_r2(X, y), abs=1e-12)
    assert r.summary().loc["relative_weights", "est"].sum() == pytest.approx(r.r2, abs=1e-12)


def test_two_drivers_closed_form():
    # p = 2: phi_1 = (R2 + r1^2 - r2^2) / 2
    rng = np.random.default_rng(0)
    x1 = rng.normal(size=300)
    x2 = 0.5 * x1 + rng.normal(size=300)
    y = x1 + 0.5 * x2 + rng.normal(size=300)
    C = np.corrcoef([x1, x2, y])
    r2 = _ols_r2(np.column_stack([x1, x2]), y)
    phi = shapley_r2(C[:2, :2], C[:2, 2])
    assert phi[0] == pytest.approx((r2 + C[0, 2] ** 2 - C[1, 2] ** 2) / 2, abs=1e-12)


def test_relative_weights_equal_johnsons_svd_procedure():
    d = _data()
    X = d.iloc[:, :5].to_numpy()
    y = d["overall"].to_numpy()
    Xs = (X - X.mean(0)) / X.std(0, ddof=1)
    ys = (y - y.mean()) / y.std(ddof=1)
    # Johnson (2000): Z = P Q' is the orthogonal approximation of X; regress y on Z (beta) and X on Z (Lambda)
    P, _, Qt = np.linalg.svd(Xs, full_matrices=False)
    Z = P @ Qt * np.sqrt(len(y) - 1)
    beta = np.linalg.lstsq(Z, ys, rcond=None)[0]
    Lam = np.linalg.lstsq(Z, Xs, rcond=None)[0]
    eps = (Lam ** 2) @ (beta ** 2)
    C = np.corrcoef(np.column_stack([X, y]), rowvar=False)
    assert relative_weights(C[:5, :5], C[:5, 5]) == pytest.approx(eps, abs=1e-10)


def test_fifteen_drivers_exact_and_fast():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(600, 15))
    y = A @ rng.uniform(0, 1, 15) + rng.normal(size=600) * 3
    d = pd.DataFrame(A, columns=[f"t{i}" for i in range(15)]).assign(y=y)
    r = key_drivers(d, [f"t{i}" for i in range(15)], "y", method="shapley", n_boot=0)
    assert r.params.sum() == pytest.approx(_ols_r2(A, y), abs=1e-10)
    with pytest.raises(InputError, match="at most 15"):
        key_drivers(d.assign(t15=rng.normal(size=600)), [f"t{i}" for i in range(16)], "y", method="shapley")


def test_bootstrap_intervals_cover_population_shares():
    # population: X ~ N(0, S), y = X b + e; the true shares from the population correlations
    S = np.array([[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]])
    b = np.array([0.5, 0.3, 0.4])
    vy = b @ S @ b + 1.0
    cxy = S @ b
    R = S
    r = cxy / np.sqrt(vy)
    truth = {"shapley": shapley_r2(R, r), "relative_weights": relative_weights(R, r)}
    rng = np.random.default_rng(11)
    L = np.linalg.cholesky(S)
    reps, hits = 120, {m: 0 for m in truth}
    for _ in range(reps):
        X = rng.normal(size=(250, 3)) @ L.T
        d = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=X @ b + rng.normal(size=250))
        t = key_drivers(d, ["a", "b", "c"], "y", n_boot=200, seed=rng, progress=False).summary()
        for m in truth:
            hits[m] += ((t.loc[m, "lower"].to_numpy() <= truth[m]) & (truth[m] <= t.loc[m, "upper"].to_numpy())).sum()
    for m in truth:
        cover = hits[m] / (3 * reps)
        assert 0.90 <= cover <= 0.99, (m, cover)


def test_ranks_and_top_probabilities():
    d = _data(n=600)
    r = key_drivers(d, list(d.columns[:5]), "overall", n_boot=300, seed=5, top=2)
    t = r.summary()
    assert set(t.columns) >= {"est", "share", "se", "lower", "upper", "rank", "rank_lower", "rank_upper", "p_top"}
    for m in ("shapley", "relative_weights"):
        tm = t.loc[m]
        assert tm["p_top"].sum() == pytest.approx(2.0)  # every replicate has exactly 2 in its top 2
        assert (tm["rank_lower"] <= tm["rank"]).all() and (tm["rank"] <= tm["rank_upper"]).all()
        assert tm.loc["tp4", "p_top"] < 0.05  # the driver with no effect is never near the top
    top = r.top_drivers("shapley")
    assert list(top["rank"]) == [1, 2]
    again = key_drivers(d, list(d.columns[:5]), "overall", n_boot=300, seed=5, top=2)
    pd.testing.assert_frame_equal(again.summary(), t)
    assert r.provenance.steps[-1]["n_boot"] == 300 and r.provenance.steps[-1]["seed"] == 5
    assert {"Johnson (2000)", "Grömping (2007)"} <= {x.cite for x in r.references}
    assert r.plot().get_title() == "Shapley value decomposition"


def test_bad_driver_sets():
    d = _data()
    with pytest.raises(EstimationError, match="collinear"):
        key_drivers(d.assign(dup=2 * d["tp0"] - d["tp1"]), ["tp0", "tp1", "dup"], "overall", n_boot=0)
    with pytest.raises(InputError, match="at least two"):
        key_drivers(d, ["tp0"], "overall")
    with pytest.raises(InputError, match="not a driver"):
        key_drivers(d, ["tp0", "tp1"], "tp1")
    with pytest.raises(InputError, match="top"):
        key_drivers(d, ["tp0", "tp1"], "overall", top=3)
    with pytest.raises(InputError, match="constant"):
        key_drivers(d.assign(tp2=1.0), ["tp0", "tp2"], "overall", n_boot=0)
