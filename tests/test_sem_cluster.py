"""Cluster-robust covariance-based SEM (customers nested in stores) against lavaan 0.6-14's
``cluster =`` (fixtures and their R script, with the seeded survey, in
tests/fixtures/lavaan_weights/), and the cluster column's bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from badinput import assert_clean, variants
from conftest import HS_MODEL
from cxmodels.errors import InputError
from cxmodels.sem import fit_sem
from sem_design_fixtures import STORE_MODEL, assert_parity, data, fit_measures, merged


@pytest.fixture(scope="module")
def stores():
    return data("stores_cluster")


@pytest.fixture(scope="module")
def fits(stores):
    return {
        "stores_naive": fit_sem(STORE_MODEL, stores, estimator="MLR"),
        "stores_cluster": fit_sem(STORE_MODEL, stores, estimator="MLR", cluster="store"),
        "stores_cluster_ml": fit_sem(STORE_MODEL, stores, estimator="ML", cluster="store"),
        "stores_cluster_weights": fit_sem(STORE_MODEL, stores, estimator="MLR", cluster="store",
                                          sampling_weights="w"),
    }


@pytest.mark.parametrize("name", ["stores_naive", "stores_cluster", "stores_cluster_weights"])
def test_lavaan_parity(fits, name):
    # Estimates, (cluster-)robust SEs, chi-square and its Yuan-Bentler scaling with the
    # clustered meat, CFI/TLI/RMSEA (plain, scaled, robust), SRMR (with the mean structure
    # lavaan turns on for clusters), logL, AIC/BIC.
    assert_parity(fits[name], name, est=1e-5, se=1e-5, fit_rel=1e-5)


def test_fiml_with_clusters():
    # Full-information ML on HolzingerSwineford1939 with 10% MCAR holes and 40 seeded classes.
    r = fit_sem(HS_MODEL, data("hs_fiml_cluster_mlr"), estimator="MLR", missing="fiml", cluster="class")
    assert_parity(r, "hs_fiml_cluster_mlr", est=1e-5, se=1e-5, fit_rel=1e-5,
                  skip=("cfi_robust", "tli_robust", "rmsea_robust"))


def test_ml_with_clusters(fits):
    # lavaan's ML with cluster= keeps the estimates, takes the cluster-robust SEs with the
    # observed information (as MLR) and, for the scaled test, the h1-structured observed
    # information of the fitted model: every number as lavaan's.
    assert_parity(fits["stores_cluster_ml"], "stores_cluster_ml", est=1e-5, se=1e-5, fit_rel=1e-5)
    ours, ref = fits["stores_cluster_ml"].fit_indices(), fit_measures("stores_cluster_ml")
    assert ours["chisq_scaling_factor"] != pytest.approx(fits["stores_cluster"].fit_indices()["chisq_scaling_factor"],
                                                         rel=1e-4)
    assert ours["chisq_scaling_factor"] == pytest.approx(ref["chisq_scaling_factor"], rel=1e-6)


def test_clustering_widens_the_store_level_standard_error(fits):
    naive = merged(fits["stores_naive"], "stores_naive").set_index(["lhs", "op", "rhs"])
    clus = merged(fits["stores_cluster"], "stores_cluster").set_index(["lhs", "op", "rhs"])
    # wait is a store-level covariate: its effect is far less certain once stores are clusters.
    assert clus.loc[("LOY", "~", "wait"), "se"] > 2 * naive.loc[("LOY", "~", "wait"), "se"]
    np.testing.assert_allclose(clus.loc[naive.index, "est"], naive["est"], atol=1e-6)


def test_cluster_surface(fits):
    r = fits["stores_cluster"]
    assert "60 clusters (store)" in r.methods_text()
    assert "cluster = 'store'" in r.to_lavaan()
    assert r.options["cluster"] == "store" and r.admissible and r.converged
    with pytest.raises(InputError, match="sampling_weights or cluster"):
        r.bootstrap(n_boot=10, seed=1)


def test_one_cluster_refused(stores):
    with pytest.raises(InputError, match="single cluster"):
        fit_sem(STORE_MODEL, stores.assign(store="S01"), cluster="store")


def test_one_cluster_in_a_group_refused(stores):
    d = stores.assign(region=np.where(stores["store"] == "S01", "north", "south"))
    with pytest.raises(InputError, match="group 'north'.*single cluster"):
        fit_sem(STORE_MODEL, d, cluster="store", group="region")


def test_cluster_with_missing_values_names_rows(stores):
    d = stores.copy()
    d.loc[[3, 250], "store"] = None
    with pytest.raises(InputError, match="2 missing value.*3.*250"):
        fit_sem(STORE_MODEL, d, cluster="store")


@pytest.mark.parametrize("kw, match", [
    ({"cluster": "nope"}, "nope"),
    ({"cluster": ["store"]}, "name of a column"),
    ({"cluster": "sat1"}, "also a variable of the model"),
    ({"cluster": "w", "sampling_weights": "w"}, "same column"),
])
def test_cluster_argument_errors(stores, kw, match):
    with pytest.raises(InputError, match=match):
        fit_sem(STORE_MODEL, stores, **kw)


def test_cluster_column_corpus_is_clean(stores):
    for name, bad in variants(stores, ["store"]):
        assert_clean(fit_sem, STORE_MODEL, bad, cluster="store")


def _why_no_lavaan() -> str | None:
    import shutil
    import subprocess
    if shutil.which("Rscript") is None:
        return "Rscript is not installed (apt-get install r-base-core r-cran-lavaan)"
    try:
        ok = subprocess.run(["Rscript", "-e", "suppressMessages(library(lavaan))"], capture_output=True,
                            timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return None if ok else "Rscript cannot load the R package lavaan (apt-get install r-cran-lavaan)"


@pytest.mark.skipif(_why_no_lavaan() is not None, reason=str(_why_no_lavaan()))
def test_to_lavaan_script_reruns_in_r(fits, stores, tmp_path):
    # The script to_lavaan writes carries cluster= and sampling.weights=; R gives our numbers.
    import subprocess

    import pandas as pd
    r = fits["stores_cluster_weights"]
    stores.to_csv(tmp_path / "stores.csv", index=False)
    script = r.to_lavaan("stores.csv") + (
        'write.csv(parameterEstimates(fit)[, c("lhs", "op", "rhs", "est", "se")], "r_est.csv", row.names = FALSE)\n')
    (tmp_path / "analysis.R").write_text(script)
    subprocess.run(["Rscript", "analysis.R"], cwd=tmp_path, check=True, capture_output=True, timeout=300)
    ref = pd.read_csv(tmp_path / "r_est.csv", keep_default_na=False, na_values=["NA"])
    m = r.estimates().merge(ref, on=["lhs", "op", "rhs"], suffixes=("", "_r"))
    assert len(m) == len(r.estimates())
    np.testing.assert_allclose(m["est"], m["est_r"], atol=1e-5)
    np.testing.assert_allclose(m["se"], m["se_r"], atol=1e-5)
