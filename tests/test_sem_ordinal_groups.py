"""Multigroup ordinal models (WLSMV, delta parameterization): parity with lavaan 0.6-14 on
HolzingerSwineford1939 cut into four categories, grouped by school (configural and thresholds +
loadings invariance), and the named bad inputs."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxmodels.errors import InputError
from cxmodels.sem import fit_sem
from cxmodels.sem.cb.ordinal import fit_sem_ordinal
from cxmodels.sem.cb.ordinal_groups import OrdinalGroupsResult

FIX = Path(__file__).parent / "fixtures" / "lavaan_ordinal_groups"
ITEMS = [f"x{i}" for i in range(1, 10)]
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
EQUAL = {"configural": (), "thresholds_loadings": ("thresholds", "loadings"),
         "theta_thresholds_loadings": ("thresholds", "loadings")}


@pytest.fixture(scope="module")
def cut():
    return pd.read_csv(FIX / "data.csv")


@pytest.fixture(scope="module")
def fits(cut):
    return {nm: fit_sem(MODEL, cut, ordered=ITEMS, group="school", group_equal=eq,
                                parameterization="theta" if nm.startswith("theta") else "delta")
            for nm, eq in EQUAL.items()}


@pytest.mark.parametrize("name", list(EQUAL))
def test_matches_lavaan(fits, name):
    res = fits[name]
    assert isinstance(res, OrdinalGroupsResult) and res.converged and res.admissible
    assert res.group_labels == ["Pasteur", "Grant-White"]
    lav = pd.read_csv(FIX / f"{name}_estimates.csv")
    lav = lav[~((lav["op"] == "~1") & (lav["lhs"].isin(ITEMS) | (name == "configural")))]
    lav = lav.assign(k=lav["lhs"] + lav["op"] + lav["rhs"].fillna("").astype(str) + "@" + lav["group_label"])
    t = res.summary()
    t = t.assign(k=t["lhs"] + t["op"] + t["rhs"].astype(str) + "@" + t["group"])
    m = pd.merge(lav, t, on="k", suffixes=("_lav", ""))
    assert len(m) == len(lav)
    np.testing.assert_allclose(m["est"], m["est_lav"], atol=1e-3)
    np.testing.assert_allclose(m["se"], m["se_lav"], atol=1e-3)
    fit = pd.read_csv(FIX / f"{name}_fit.csv").set_index("name")["value"]
    ours = res.fit_indices()
    for k in ("npar", "chisq", "df", "chisq_scaled", "cfi_scaled", "rmsea_scaled", "srmr"):
        assert ours[k] == pytest.approx(fit[k.replace("_", ".")], abs=2e-3, rel=1e-4), k


def test_invariant_parameters_are_shared(fits):
    t = fits["thresholds_loadings"].summary()
    for op in ("=~", "|"):
        a = t[(t["op"] == op) & (t["group"] == "Pasteur")]["est"].to_numpy()
        b = t[(t["op"] == op) & (t["group"] == "Grant-White")]["est"].to_numpy()
        np.testing.assert_allclose(a, b)
    first = t[(t["group"] == "Pasteur") & t["op"].isin(["~*~", "~1"])]
    assert (~first["free"]).all()
    res = fits["thresholds_loadings"]
    assert "thresholds and loadings held equal" in res.methods_text()
    assert "visual =~ x2@Grant-White" in res.params.index
    # the invariance test: configural against thresholds + loadings
    assert fits["configural"].fit_indices()["df"] < res.fit_indices()["df"]


def test_bad_input(cut):
    before = cut.copy()
    with pytest.raises(InputError, match="group_equal must be"):
        fit_sem(MODEL, cut, ordered=ITEMS, group="school", group_equal=("intercepts",))
    sparse = cut.copy()
    sparse.loc[(sparse["school"] == "Pasteur") & (sparse["x3"] == 4), "x3"] = 3
    with pytest.raises(InputError, match=r"item 'x3': categories \[4\] are observed in other groups but not in "
                                         r"group 'Pasteur'"):
        fit_sem(MODEL, sparse, ordered=ITEMS, group="school", group_equal=("thresholds", "loadings"))
    with pytest.raises(InputError, match="at least two"):
        fit_sem(MODEL, cut.assign(school="one"), ordered=ITEMS, group="school")
    pd.testing.assert_frame_equal(cut, before)


DEF_MODEL = """
visual  =~ x1 + a*x2 + x3
textual =~ x4 + b*x5 + x6
speed   =~ x7 + x8 + x9
ratio := a/b
total := a + b
"""


def test_defined_parameters_under_wlsmv_match_lavaan(cut):
    res = fit_sem_ordinal(DEF_MODEL, cut, ordered=ITEMS)
    lav = pd.read_csv(FIX / "defined_estimates.csv").set_index("lhs")
    t = res.summary().set_index("lhs")
    for name in ("ratio", "total"):
        assert t.loc[name, "op"] == ":="
        assert t.loc[name, "est"] == pytest.approx(lav.loc[name, "est"], abs=1e-4)
        assert t.loc[name, "se"] == pytest.approx(lav.loc[name, "se"], abs=1e-3)


def test_bootstrap_under_wlsmv(cut):
    res = fit_sem_ordinal(DEF_MODEL, cut, ordered=ITEMS)
    boot = res.bootstrap(40, seed=3, progress=False)
    t = boot.summary().set_index("lhs")
    assert boot.n_failed == 0 and len(boot.theta) == 40 and boot.provenance.seed == 3
    # the bootstrap standard error of a defined parameter is near its delta-method one
    assert t.loc["total", "boot_se"] == pytest.approx(res.summary().set_index("lhs").loc["total", "se"], rel=0.5)
    assert t.loc["ratio", "ci_lower"] < t.loc["ratio", "est"] < t.loc["ratio", "ci_upper"]
    again = res.bootstrap(5, seed=3, progress=False)
    np.testing.assert_allclose(again.theta, boot.theta[:5])


def test_defined_parameter_naming_an_unknown_label(cut):
    from cxmodels.errors import ModelSyntaxError
    with pytest.raises(ModelSyntaxError, match=r"unknown name\(s\) \['zz'\]"):
        fit_sem_ordinal(DEF_MODEL + "\nbad := a*zz", cut, ordered=ITEMS)
    with pytest.raises(InputError, match="not declared ordered"):
        fit_sem(MODEL, cut, ordered=ITEMS[:-1], group="school")


def test_invariance_test_matches_lavtestlrt(cut, fits):
    from cxmodels.sem import measurement_invariance
    from cxmodels.sem.cb.ordinal_groups import satorra_2000

    lrt = pd.read_csv(FIX / "lrt.csv")
    Td, m, p = satorra_2000(fits["configural"], fits["thresholds_loadings"])
    assert m == lrt["df_diff"].iloc[1]
    assert Td == pytest.approx(lrt["chisq_diff"].iloc[1], abs=1e-3)
    assert p == pytest.approx(lrt["pvalue"].iloc[1], rel=1e-3)
    res = measurement_invariance(MODEL, cut, group="school", ordered=True)
    t = res.summary()
    assert list(t.index) == ["configural", "thresholds_loadings"]
    assert t.loc["thresholds_loadings", "chisq_diff"] == pytest.approx(Td, abs=1e-8)
    assert res.decide().variant == "configural"  # the CFI drops by 0.035
    assert all(r.cite in res.methods_text() for r in res.references)
    with pytest.raises(InputError, match="with ordinal items the levels are"):
        measurement_invariance(MODEL, cut, group="school", ordered=True, levels=("configural", "metric"))


def test_defined_parameters_and_bootstrap_with_groups(cut):
    res = fit_sem(DEF_MODEL, cut, ordered=ITEMS, group="school", group_equal=("thresholds", "loadings"))
    lav = pd.read_csv(FIX / "defined_groups_estimates.csv").set_index("lhs")
    t = res.summary().set_index("lhs")
    for name in ("ratio", "total"):
        assert t.loc[name, "est"] == pytest.approx(lav.loc[name, "est"], abs=1e-4)
        assert t.loc[name, "se"] == pytest.approx(lav.loc[name, "se"], abs=1e-3)
    assert res.params["total"] == pytest.approx(t.loc["total", "est"])
    boot = res.bootstrap(6, seed=4, progress=False)
    b = boot.summary()
    assert boot.n_failed == 0 and b.loc[b["lhs"] == "total", "boot_se"].iloc[0] > 0
    # resampled within groups: every replicate keeps the group sizes
    n = cut["school"].value_counts()
    again = res._resample(np.random.default_rng(0))["school"].value_counts()
    pd.testing.assert_series_equal(again.sort_index(), n.sort_index())
