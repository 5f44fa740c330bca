"""Bad input for the issue-14 CB-SEM additions: sam(), EFA with rotations, multigroup ordinal
models, ':=' and bootstrap under WLSMV.  Only cxmodels errors and warnings may come out, inputs
are never modified, and the issue's named cases give their specific messages."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from badinput import assert_clean, variants

from cxmodels import datasets
from cxmodels.errors import CXModelsError, IdentificationError, InputError, ModelSyntaxError
from cxmodels.sem import fit_sem
from cxmodels.sem.cb.ordinal import fit_sem_ordinal
from cxmodels.sem.cb.sam import sam
from cxmodels.sem.measurement.efa import efa

FIX = Path(__file__).parent / "fixtures" / "lavaan_ordinal_groups"
SAM_MODEL = "ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ ind60"
ORD_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"
PD = datasets.load_political_democracy()[["x1", "x2", "x3", "y1", "y2", "y3", "y4"]]
HS = datasets.load_holzinger_swineford()[[f"x{i}" for i in range(1, 7)]]
CUT = pd.read_csv(FIX / "data.csv")[["school"] + [f"x{i}" for i in range(1, 7)]]


@pytest.mark.parametrize("name, frame", variants(PD, ["x2", "y3"]), ids=lambda x: x if isinstance(x, str) else "")
def test_sam_sweep(name, frame):
    out = assert_clean(sam, SAM_MODEL, frame)
    if name in ("empty", "one_row") or name.startswith(("all_nan", "text_in", "categorical", "non_unique")):
        assert isinstance(out, CXModelsError), (name, out)


@pytest.mark.parametrize("name, frame", variants(HS, ["x2"]), ids=lambda x: x if isinstance(x, str) else "")
def test_efa_sweep(name, frame):
    out = assert_clean(efa, frame, 2, seed=0)
    if name in ("empty", "one_row") or name.startswith(("all_nan", "text_in", "categorical", "non_unique")):
        assert isinstance(out, CXModelsError), (name, out)


@pytest.mark.parametrize("name, frame", variants(CUT, ["x2", "school"]), ids=lambda x: x if isinstance(x, str) else "")
def test_ordinal_groups_sweep(name, frame):
    out = assert_clean(fit_sem, ORD_MODEL, frame, ordered=True, group="school",
                       group_equal=("thresholds", "loadings"))
    if name in ("empty", "one_row") or name.startswith(("all_nan", "non_unique")):
        assert isinstance(out, CXModelsError), (name, out)


def test_named_cases():
    # a rotation name not known; more factors than the items identify
    out = assert_clean(efa, HS, 2, rotation="quartimaxx")
    assert isinstance(out, InputError)
    assert "rotation must be one of ['geomin', 'oblimin', 'promax', 'varimax']" in str(out)
    out = assert_clean(efa, HS, 4)
    assert isinstance(out, IdentificationError) and "at most 3 factor(s)" in str(out)
    # ':=' naming a parameter that does not exist, under WLSMV
    out = assert_clean(fit_sem_ordinal, ORD_MODEL.replace("+ x2", "+ a*x2") + "\nd := a*b", CUT, ordered=True)
    assert isinstance(out, ModelSyntaxError) and "unknown name(s) ['b']" in str(out)
    # a category unobserved in one group
    sparse = CUT.copy()
    sparse.loc[(sparse["school"] == "Grant-White") & (sparse["x1"] == 1), "x1"] = 2
    out = assert_clean(fit_sem, ORD_MODEL, sparse, ordered=True, group="school",
                       group_equal=("thresholds", "loadings"))
    assert isinstance(out, InputError) and "item 'x1': categories [1]" in str(out) and "'Grant-White'" in str(out)
    # parameterizations
    out = assert_clean(fit_sem, ORD_MODEL, CUT, ordered=True, group="school", parameterization="gamma")
    assert isinstance(out, InputError) and "'delta' or 'theta'" in str(out)
    out = assert_clean(fit_sem_ordinal, ORD_MODEL, CUT, ordered=True, parameterization="theta")
    assert isinstance(out, InputError) and "with group=" in str(out)
    # sam: unknown method, a two-indicator block
    assert isinstance(assert_clean(sam, SAM_MODEL, PD, method="fsr"), InputError)
    out = assert_clean(sam, "f =~ x1 + x2\ndem60 =~ y1 + y2 + y3\ndem60 ~ f", PD)
    assert isinstance(out, IdentificationError) and "measurement block of f" in str(out)


def test_bootstrap_arguments():
    res = fit_sem_ordinal(ORD_MODEL, CUT, ordered=True)
    for kwargs in (dict(n_boot=0), dict(n_boot=2, level=1.5), dict(n_boot=2, interval="bca")):
        assert isinstance(assert_clean(res.bootstrap, seed=1, progress=False, **kwargs), InputError), kwargs
    groups = fit_sem(ORD_MODEL, CUT, ordered=True, group="school")
    assert isinstance(assert_clean(groups.bootstrap, 0, seed=1), InputError)


def test_sam_heywood_block_is_flagged():
    rng = np.random.default_rng(0)
    n = 200
    f = rng.normal(size=n)
    g = 0.5 * f + rng.normal(size=n) * 0.8
    d = pd.DataFrame({"a1": f + rng.normal(size=n) * 0.01, "a2": 0.3 * f + rng.normal(size=n),
                      "a3": 0.3 * f + rng.normal(size=n), "b1": g + rng.normal(size=n) * 0.5,
                      "b2": g + rng.normal(size=n) * 0.5, "b3": g + rng.normal(size=n) * 0.5})
    res = assert_clean(sam, "A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nB ~ A", d)
    assert not isinstance(res, CXModelsError) and not res.admissible
    assert any("measurement block A: negative variance estimate for a1" in w for w in res.warnings)
