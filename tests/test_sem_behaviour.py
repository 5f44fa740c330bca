"""Behaviour of fit_sem beyond parity: bad input, improper solutions, the bootstrap,
reproducibility, the caller's data untouched, reports."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import matplotlib

matplotlib.use("Agg")
import matplotlib.axes  # noqa: E402

from cxmodels._results import Result  # noqa: E402

from conftest import HS_MODEL, PD_MODEL
from cxmodels.errors import IdentificationError, ImproperSolutionWarning, InputError
from cxmodels.sem import fit_sem


@pytest.fixture(scope="module")
def pd_fit(political_democracy):
    return fit_sem(PD_MODEL, political_democracy)


def test_missing_column_is_named(holzinger):
    with pytest.raises(InputError, match="x10"):
        fit_sem(HS_MODEL + "\n speed =~ x10", holzinger)


def test_non_numeric_column_is_named_with_rows(holzinger):
    bad = holzinger.copy()
    bad["x4"] = bad["x4"].astype(object)
    bad.loc[[3, 7], "x4"] = "n/a"
    with pytest.raises(InputError, match=r"'x4'.*2 non-numeric values.*rows 3, 7"):
        fit_sem(HS_MODEL, bad)


def test_constant_indicator_is_named(holzinger):
    bad = holzinger.assign(x5=3.0)
    with pytest.raises(InputError, match="'x5'.*constant"):
        fit_sem(HS_MODEL, bad)


def test_unidentified_model_raises(holzinger):
    # two indicators, free loadings and a free factor variance, no other factor: df < 0
    with pytest.raises(IdentificationError, match="not identified"):
        fit_sem("f =~ x1 + NA*x2\n x1 ~~ x2", holzinger)


def test_fewer_rows_than_parameters(holzinger):
    with pytest.raises(InputError, match="rows cannot identify"):
        fit_sem(HS_MODEL, holzinger.head(15))


def test_bad_options(holzinger):
    with pytest.raises(InputError, match="estimator"):
        fit_sem(HS_MODEL, holzinger, estimator="GLS")
    with pytest.raises(InputError, match="missing"):
        fit_sem(HS_MODEL, holzinger, missing="pairwise")
    with pytest.raises(InputError, match="group_equal"):
        fit_sem(HS_MODEL, holzinger, group="school", group_equal=["loading"])


def test_callers_frame_is_untouched_and_listwise_deletion_is_reported(holzinger):
    data = holzinger.copy()
    data.loc[[0, 5, 9], "x1"] = np.nan
    before = data.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ImproperSolutionWarning)
        res = fit_sem(HS_MODEL, data)
    pd.testing.assert_frame_equal(data, before)
    assert res.nobs == len(data) - 3
    assert any("3 of 301 rows" in w for w in res.warnings)


def test_heywood_case_is_flagged():
    # One factor, three indicators with correlations implying a loading of sqrt(1.2) > 1.
    cov = np.array([[1.0, 0.8, 0.6], [0.8, 1.0, 0.4], [0.6, 0.4, 1.0]])
    rng = np.random.default_rng(7)
    data = pd.DataFrame(rng.multivariate_normal(np.zeros(3), cov, size=2000), columns=["a", "b", "c"])
    with pytest.warns(ImproperSolutionWarning) as record:
        res = fit_sem("f =~ a + b + c", data)
    assert any("negative variance" in str(w.message) for w in record)
    assert res.admissible is False
    assert any("Heywood" in w for w in res.warnings)
    assert any("exceeds 1" in w for w in res.warnings)


def test_admissible_solution(pd_fit):
    assert pd_fit.admissible and pd_fit.converged and pd_fit.warnings == []


def test_ml_and_mlr_share_estimates_but_not_standard_errors(holzinger):
    ml, mlr = fit_sem(HS_MODEL, holzinger), fit_sem(HS_MODEL, holzinger, estimator="MLR")
    a = ml.estimates().query("op == '=~'")
    b = mlr.estimates().query("op == '=~'")
    np.testing.assert_allclose(a["est"], b["est"], atol=1e-6)
    assert np.max(np.abs(a["se"].to_numpy() - b["se"].to_numpy())) > 0.005


def test_params_vcov_and_estimates_shapes(pd_fit):
    assert pd_fit.params["dem60 ~ ind60"] == pytest.approx(1.483, abs=1e-3)
    assert pd_fit.params["indirect"] == pytest.approx(1.242, abs=2e-3)
    assert pd_fit.vcov().shape == (31, 31)
    assert list(pd_fit.estimates(standardized=False).columns[-2:]) == ["ci_lower", "ci_upper"]


def test_bootstrap_is_seeded_and_agrees_with_the_delta_method(pd_fit):
    a = pd_fit.indirect_effects(n_boot=300, seed=11, progress=False)
    b = pd_fit.indirect_effects(n_boot=300, seed=11, progress=False)
    c = pd_fit.indirect_effects(n_boot=300, seed=12, progress=False)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["ci_lower"], c["ci_lower"])
    ind = a[(a.effect == "defined") & (a.outcome == "indirect")].iloc[0]
    delta_se = pd_fit.estimates().set_index("lhs").loc["indirect", "se"]
    assert ind["est"] == pytest.approx(1.242, abs=2e-3)
    assert ind["boot_se"] == pytest.approx(delta_se, rel=0.3)
    assert ind["ci_lower"] < ind["est"] < ind["ci_upper"] and ind["ci_lower"] > 0
    # structural effects: the indirect effect of ind60 on dem65 is the same a*b
    row = a[(a.effect == "indirect") & (a.outcome == "dem65") & (a.predictor == "ind60")].iloc[0]
    assert row["est"] == pytest.approx(ind["est"], abs=1e-9)
    assert not ((a.effect == "indirect") & (a.outcome == "dem60")).any()


def test_bias_corrected_interval_differs_from_percentile(pd_fit):
    p = pd_fit.indirect_effects(n_boot=200, seed=3, interval="percentile", progress=False)
    bc = pd_fit.indirect_effects(n_boot=200, seed=3, interval="bc", progress=False)
    assert np.allclose(p["boot_se"], bc["boot_se"])
    assert not np.allclose(p["ci_lower"], bc["ci_lower"])


def test_bootstrap_of_every_parameter(pd_fit):
    boot = pd_fit.bootstrap(100, seed=1, progress=False)
    s = boot.summary(interval="percentile")
    free = s[s["free"]]
    assert free["boot_se"].notna().all() and (free["ci_lower"] < free["ci_upper"]).all()
    assert boot.draws().shape == (100, len(pd_fit.estimates()))
    # a Result: its provenance is the fit's plus the bootstrap step, with the seed
    assert isinstance(boot, Result) and boot.provenance.seed == 1
    assert boot.provenance.steps[-1]["step"] == "bootstrap" and boot.provenance.steps[-1]["n_boot"] == 100
    assert boot.provenance.data == pd_fit.provenance.data
    assert boot.summary()["interval"].eq("percentile").all()
    assert all(r.cite in boot.methods_text() for r in boot.references)
    import matplotlib.pyplot as plt
    assert isinstance(boot.plot(), matplotlib.axes.Axes)
    plt.close("all")


def test_bootstrap_seed_is_recorded_on_the_fit(political_democracy):
    fit = fit_sem(PD_MODEL, political_democracy)
    eff = fit.indirect_effects(n_boot=50, seed=7, progress=False)
    step = fit.provenance.steps[-1]
    assert step["step"] == "indirect_effects bootstrap" and step["seed"] == 7 and step["n_boot"] == 50
    assert eff["n_boot"].iloc[0] == 50
    # seed=None draws a seed and records it, so the run can be repeated exactly
    again = fit.indirect_effects(n_boot=50, seed=None, progress=False)
    drawn = fit.provenance.steps[-1]["seed"]
    assert isinstance(drawn, int)
    pd.testing.assert_frame_equal(again, fit.indirect_effects(n_boot=50, seed=drawn, progress=False))


def test_n_boot_zero_gives_point_estimates_only(pd_fit):
    eff = pd_fit.indirect_effects(n_boot=0)
    assert eff["est"].notna().all() and eff["ci_lower"].isna().all() and eff["boot_se"].isna().all()
    assert (eff["n_boot"] == 0).all()
    ind = eff[(eff.effect == "defined") & (eff.outcome == "indirect")].iloc[0]
    assert ind["est"] == pytest.approx(1.242, abs=2e-3)
    with pytest.raises(InputError, match="n_boot"):
        pd_fit.indirect_effects(n_boot=1)
    with pytest.raises(InputError, match="n_boot"):
        pd_fit.indirect_effects(n_boot=-5)
    with pytest.raises(InputError, match="interval"):
        pd_fit.indirect_effects(n_boot=0, interval="bca")


def test_fit_indices_print_without_scientific_notation(pd_fit):
    fi = pd_fit.fit_indices()
    text = repr(fi)
    assert "e+" not in text and "e-" not in text
    lines = dict(line.split(None, 1) for line in text.splitlines())
    assert lines["df"] == "35" and lines["npar"] == "31" and lines["nobs"] == "75"
    assert lines["cfi"] == f"{fi['cfi']:.4f}"
    # values stay unrounded floats
    assert fi.dtype == float and fi["chisq"] == pytest.approx(38.125, abs=1e-3)
    assert isinstance(fi[["cfi", "tli"]], pd.Series)


def test_provenance_and_methods_text(pd_fit, political_democracy):
    prov = pd_fit.provenance.to_dict()
    assert prov["data"]["n_rows"] == 75 and len(prov["data"]["sha256"]) == 64
    assert prov["versions"]["numpy"] and prov["options"]["estimator"] == "ML"
    text = pd_fit.methods_text()
    assert "maximum likelihood" in text and "Rosseel" in text and "chi-square(35) = 38.13" in text


def test_path_diagram_returns_axes(pd_fit):
    import matplotlib.pyplot as plt
    ax = pd_fit.plot()
    labels = [t.get_text() for t in ax.texts]
    assert any("0.45" in s for s in labels)  # dem60 ~ ind60, standardized
    plt.close("all")


def test_import_is_fast_and_lazy():
    code = ("import time, sys; t = time.perf_counter(); import cxmodels; "
            "dt = time.perf_counter() - t; print(dt, 'pymc' in sys.modules, 'semopy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert float(out[0]) < 1.0
    assert out[1:] == ["False", "False"]


def test_reliability_and_htmt_on_a_cb_sem_result(holzinger):
    from cxmodels.sem.measurement import reliability as rel
    res = fit_sem(HS_MODEL, holzinger)
    t = res.reliability()
    assert list(t.columns) == ["alpha", "rho_c", "ave", "rho_a"]
    l = res.estimates().query("op == '=~' and lhs == 'textual'")["std_all"].to_numpy()
    assert t.loc["textual", "rho_c"] == pytest.approx(l.sum() ** 2 / (l.sum() ** 2 + (1 - l ** 2).sum()))
    assert t.loc["textual", "ave"] == pytest.approx(np.mean(l ** 2))
    # alpha of standardized items equals the classical formula on z-scores
    z = holzinger[["x4", "x5", "x6"]].apply(lambda c: (c - c.mean()) / c.std())
    classical = 3 / 2 * (1 - z.var().sum() / z.sum(axis=1).var())
    assert t.loc["textual", "alpha"] == pytest.approx(classical)
    assert 0.8 < t.loc["textual", "rho_a"] < 1
    h = res.htmt()
    assert h.loc["visual", "textual"] == pytest.approx(
        rel.htmt(holzinger, {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"]}).loc["visual", "textual"])


def _check_surface(res):
    from cxmodels.provenance import Provenance
    import matplotlib.pyplot as plt
    assert isinstance(res, Result)
    assert isinstance(res.summary(), pd.DataFrame) and isinstance(res.params, pd.Series)
    assert isinstance(res.provenance, Provenance)
    assert isinstance(res.warnings, list) and isinstance(res.converged, bool) and isinstance(res.admissible, bool)
    text = res.methods_text()
    assert res.references and all(r.cite in text for r in res.references)
    assert isinstance(res.plot(), matplotlib.axes.Axes)
    plt.close("all")


def test_ordinal_result_has_the_sem_surface():
    from conftest import FIXTURES
    from cxmodels.sem.cb.base import SEMBase
    data = pd.read_csv(FIXTURES / "lavaan" / "ordinal" / "data.csv")
    res = fit_sem("G =~ PERQ1 + PERQ2 + PERQ3 + CUSA1 + CUSA2", data, ordered=True)
    assert isinstance(res, SEMBase)
    _check_surface(res)
    assert res.converged and "e+" not in repr(res.fit_indices())
    assert res.provenance.options["estimator"] == "WLSMV"
    assert res.to_lavaan().count('estimator = "WLSMV"') == 1


def test_invariance_result_is_a_result_with_a_decision(holzinger):
    from cxmodels._results import Decision
    from cxmodels.sem import measurement_invariance
    res = measurement_invariance(HS_MODEL, holzinger, group="school")
    _check_surface(res)
    assert list(res.summary().index) == ["configural", "metric", "scalar"]
    d = res.decide()
    assert isinstance(d, Decision) and d.variant in ("configural", "metric", "scalar")
    assert res.provenance.options["group"] == "school"
    with pytest.raises(InputError, match="at least two"):
        measurement_invariance(HS_MODEL, holzinger, group="school", levels=("metric",))
    with pytest.raises(InputError, match="increasing order"):
        measurement_invariance(HS_MODEL, holzinger, group="school", levels=("scalar", "metric"))


def test_multigroup_tables_carry_the_group_label(holzinger):
    res = fit_sem(HS_MODEL, holzinger, group="school")
    labels = list(pd.unique(holzinger["school"]))
    est = res.estimates()
    assert set(est.loc[est.op != ":=", "group"]) == set(labels)
    # the same label whatever the row order of the data
    flipped = fit_sem(HS_MODEL, holzinger.iloc[::-1], group="school")
    a = est.set_index(["lhs", "op", "rhs", "group"])["est"]
    b = flipped.estimates().set_index(["lhs", "op", "rhs", "group"])["est"]
    np.testing.assert_allclose(b.loc[a.index], a, atol=1e-5)
    assert all(name.endswith(tuple(f"@{g}" for g in labels)) for name in res.params.index)
    assert set(res.modification_indices()["group"]) <= set(labels)
    assert res.residual_correlations(labels[1]).shape == (9, 9)
    with pytest.raises(InputError, match="not one of the fitted groups"):
        res.residual_correlations("nowhere")
