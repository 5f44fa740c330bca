"""Bad inputs to PLS-SEM and measurement quality (fit_pls and its result's methods, the
bootstrap, MICOM/MGA, segments, EFA): only cxmodels errors or warnings come out, no input is
changed, and the cases of issue 11 get their specific messages and flags."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from badinput import assert_clean, variants
from cxmodels import datasets
from cxmodels.errors import (CXModelsError, IdentificationError, ImproperSolutionWarning, InputError,
                             ModelSyntaxError)
from cxmodels.sem import templates
from cxmodels.sem.measurement import efa, parallel_analysis
from cxmodels.sem.pls import compare_groups, find_segments, fit_pls

ACSI = datasets.load_acsi_survey()          # items on a 1-10 scale
SMALL = ACSI.iloc[:150].copy()
SWEPT = ["CUEX1", "CUSA2", "CUSCO"]
TWO = "A =~ CUEX1 + CUEX2\nB =~ CUSA1 + CUSA2\nB ~ A"


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


FIT = _quiet(fit_pls, templates.ACSI, SMALL, scale=(1, 10))
HARD = ("empty", "one_row", "non_unique_columns")


def _must_refuse(name):
    return name in HARD or name.startswith(("all_nan", "inf", "text_in", "bool", "categorical"))


# ------------------------------------------------------------------------------ sweeps
@pytest.mark.parametrize("name, frame", variants(SMALL, SWEPT), ids=[n for n, _ in variants(SMALL, SWEPT)])
def test_fit_pls_sweep(name, frame):
    out = assert_clean(fit_pls, templates.ACSI, frame)
    if _must_refuse(name):
        assert isinstance(out, InputError), name
    else:
        assert not isinstance(out, CXModelsError), (name, out)


@pytest.mark.parametrize("name, frame", variants(SMALL, SWEPT), ids=[n for n, _ in variants(SMALL, SWEPT)])
def test_fit_pls_sweep_with_scale(name, frame):
    out = assert_clean(fit_pls, templates.ACSI, frame, scale=(1, 10))
    if _must_refuse(name):
        assert isinstance(out, InputError), name


# (method, args, kwargs, refused): every result method, with good and bad arguments
METHOD_CALLS = [
    ("scores", (), {}, False), ("scores", (None,), {}, False), ("scores", ((100, 0),), {}, True),
    ("scores", ("0-100",), {}, True), ("scores", ((0, np.inf),), {}, True), ("r_squared", (), {}, False),
    ("effects", (), {}, False), ("f_squared", (), {}, False), ("reliability", (), {}, False),
    ("htmt", (), {}, False), ("fornell_larcker", (), {}, False), ("cross_loadings", (), {}, False),
    ("vif", (), {}, False), ("ipma", ("CUSL",), {}, False), ("ipma", ("NOPE",), {}, True),
    ("ipma", ("CUEX",), {}, True), ("ipma", (None,), {}, True), ("ipma", (["CUSL"],), {}, True),
    ("plot", (), {}, False), ("plot", (), {"target": "NOPE"}, True), ("bootstrap", (), {"n_boot": 0}, True),
    ("bootstrap", (), {"n_boot": 1}, True), ("bootstrap", (), {"n_boot": 2.5}, True),
    ("bootstrap", (), {"n_boot": True}, True), ("bootstrap", (), {"n_boot": 3, "level": 1.5}, True),
    ("bootstrap", (), {"n_boot": 3, "level": "95%"}, True), ("bootstrap", (), {"n_boot": 3, "seed": "x"}, True),
    ("bootstrap", (), {"n_boot": 3, "seed": 1.5}, True), ("methods_text", (), {}, False),
    ("summary", (), {}, False), ("fit_indices", (), {}, False), ("fit_indices", (), {"composite": True}, False),
    ("fit_indices", (), {"n_boot": 3, "seed": 1, "progress": False}, False), ("fit_indices", (), {"n_boot": 1}, True),
    ("fit_indices", (), {"n_boot": -1}, True), ("fit_indices", (), {"n_boot": 2.5}, True),
    ("fit_indices", (), {"n_boot": 3, "level": 1.5}, True), ("fit_indices", (), {"n_boot": 3, "seed": "x"}, True),
    ("fit_indices", (), {"composite": "yes"}, True),
]


@pytest.mark.parametrize("method, args, kwargs, refused", METHOD_CALLS,
                         ids=[f"{m}{a}{k}" for m, a, k, _ in METHOD_CALLS])
def test_result_methods_sweep(method, args, kwargs, refused):
    out = assert_clean(getattr(FIT, method), *args, **kwargs)
    if refused:
        assert isinstance(out, InputError), (method, args, kwargs, out)
    else:
        assert not isinstance(out, CXModelsError), (method, args, kwargs, out)


@pytest.mark.parametrize("kwargs, match", [
    (dict(scheme="nope"), "scheme"), (dict(standardize="z"), "standardize"), (dict(tol=0), "tol"),
    (dict(tol="1e-6"), "tol"), (dict(max_iter=0), "max_iter"), (dict(max_iter=2.5), "max_iter"),
    (dict(consistent="yes"), "consistent"), (dict(modes=["A"]), "modes"), (dict(modes={"CUSA": "C"}), "mode"),
    (dict(modes={"NOPE": "A"}), "NOPE"), (dict(scale="1-10"), "scale"), (dict(scale=(1,)), "scale"),
    (dict(scale=(1, np.inf)), "finite"), (dict(scale=(True, 10)), "scale"), (dict(scale=(5, 5)), "inverted"),
])
def test_fit_pls_arguments(kwargs, match):
    out = assert_clean(fit_pls, templates.ACSI, SMALL, **kwargs)
    assert isinstance(out, InputError) and re.search(match, str(out)), out


@pytest.mark.parametrize("model", ["", "A =~ CUEX1 + CUEX2", "A =~ CUEX1\nB =~ CUEX1 + CUSA1\nB ~ A",
                                   "A =~ CUEX1 + CUEX1\nB =~ CUSA1\nB ~ A", "A ~~ B", "A =~ CUEX1\nA ~ A",
                                   "A =~ XYZ\nB =~ CUSA1\nB ~ A", 42, None])
def test_fit_pls_bad_models(model):
    out = assert_clean(fit_pls, model, SMALL)
    assert isinstance(out, InputError), (model, out)


@pytest.mark.parametrize("data", [None, "data.csv", SMALL.to_numpy(), SMALL["CUEX1"], SMALL.iloc[:, :0]])
def test_fit_pls_not_a_frame(data):
    assert isinstance(assert_clean(fit_pls, templates.ACSI, data), InputError)


# ------------------------------------------------------------------------------ issue 11's named cases
def test_scale_must_be_ordered():
    with pytest.raises(InputError, match=r"scale=\(10, 1\) is inverted"):
        fit_pls(templates.ACSI, SMALL, scale=(10, 1))


def test_scale_must_contain_the_data_naming_column_and_rows():
    # the old behaviour: scale=(1, 5) on 1-10 items gave index scores of 225
    with pytest.raises(InputError, match=r"column 'CUEX1' has 126 values outside \[1, 5\] \(observed 3 to 10; rows 0, 1, 2, 3, 4, .*"
                       r"; and 11 more columns"):
        fit_pls(templates.ACSI, SMALL, scale=(1, 5))
    shifted = SMALL.assign(CUSCO=SMALL["CUSCO"].astype(float))
    shifted.loc[[7, 42], "CUSCO"] = 11.0
    with pytest.raises(InputError, match=r"column 'CUSCO' has 2 values outside \[1, 10\] .*rows 7, 42"):
        fit_pls(templates.ACSI, shifted, scale=(1, 10))
    s = fit_pls(templates.ACSI, SMALL, scale=(1, 10)).scores()
    assert ((s >= 0) & (s <= 100)).all().all()


def _collinear_mode_b():
    d = SMALL.copy()
    d["PERV3"] = d["PERV1"] + d["PERV2"]
    return d, templates.ACSI.replace("PERV =~ PERV1 + PERV2", "PERV <~ PERV1 + PERV2 + PERV3")


def test_mode_b_with_collinear_items_is_flagged():
    d, model = _collinear_mode_b()
    with pytest.warns(ImproperSolutionWarning, match="PERV"):
        res = fit_pls(model, d)
    assert not res.admissible and res.converged
    msg = [w for w in res.warnings if "formative" in w]
    assert len(msg) == 1 and "['PERV1', 'PERV2', 'PERV3']" in msg[0] and "not identified" in msg[0]
    # the fit's other methods still work; vif names the collinear items and reports inf
    with pytest.warns(ImproperSolutionWarning, match=r"items \['PERV1', 'PERV2', 'PERV3'\] of construct 'PERV'"):
        v = res.vif()
    assert np.isinf(v[["PERV1", "PERV2", "PERV3"]]).all() and np.isfinite(v.drop(["PERV1", "PERV2", "PERV3"])).all()
    assert_clean(res.bootstrap, n_boot=3, seed=1, progress=False)


def test_a_well_identified_mode_b_fit_is_not_flagged():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ImproperSolutionWarning)
        res = fit_pls(templates.ACSI.replace("PERV =~", "PERV <~"), SMALL)
    assert res.admissible and not res.warnings


def test_vif_of_collinear_items_is_inf_not_linalgerror():
    d = SMALL.assign(CUSA4=SMALL["CUSA1"] * 2 + 1)
    res = _quiet(fit_pls, templates.ACSI.replace("CUSA3", "CUSA3 + CUSA4"), d)
    out = assert_clean(res.vif)
    assert np.isinf(out["CUSA1"]) and np.isinf(out["CUSA4"]) and np.isfinite(out["CUSA2"])
    # well-conditioned blocks keep the inverse-correlation VIF
    R = SMALL[["CUEX1", "CUEX2", "CUEX3"]].corr().to_numpy()
    np.testing.assert_allclose(out[["CUEX1", "CUEX2", "CUEX3"]], np.diag(np.linalg.inv(R)))


def test_four_rows_are_flagged_not_silent():
    with pytest.warns(ImproperSolutionWarning, match="ten-times rule"):
        res = fit_pls(TWO, SMALL.iloc[:4])
    assert not res.admissible
    assert any("4 complete rows are fewer than the 10" in w for w in res.warnings)
    for method in ("r_squared", "effects", "f_squared", "reliability", "htmt", "vif", "scores", "cross_loadings"):
        assert_clean(getattr(res, method))
    # the full ACSI model on 30 rows: 3 arrows point at CUSA, so 30 are enough; 29 are not
    assert _quiet(fit_pls, templates.ACSI, SMALL.iloc[:30]).admissible
    assert not _quiet(fit_pls, templates.ACSI, SMALL.iloc[:29]).admissible


def test_fewer_rows_than_any_estimate_needs_is_refused():
    with pytest.raises(InputError, match=r"2 complete rows are too few .* at least 3"):
        fit_pls(TWO, SMALL.iloc[:2])
    with pytest.raises(InputError, match=r"at least 5"):
        fit_pls(templates.ACSI, SMALL.iloc[:4])  # CUSA has three predictors


def test_collinear_constructs_name_the_constructs():
    d = SMALL.assign(Q1=SMALL["CUEX1"], Q2=SMALL["CUEX2"], Q3=SMALL["CUEX3"])
    model = "A =~ CUEX1 + CUEX2 + CUEX3\nB =~ Q1 + Q2 + Q3\nC =~ CUSA1 + CUSA2 + CUSA3\nC ~ A + B"
    with pytest.raises(IdentificationError, match=r"constructs \['A', 'B'\] are collinear .* of 'C'"):
        fit_pls(model, d)
    assert isinstance(assert_clean(fit_pls, model, d), IdentificationError)


def test_duplicated_column_names_are_refused():
    d = pd.concat([SMALL, SMALL[["CUEX1"]]], axis=1)
    with pytest.raises(InputError, match=r"repeated column names \['CUEX1'\]"):
        fit_pls(templates.ACSI, d)


def test_item_in_two_blocks_is_a_syntax_error():
    with pytest.raises(ModelSyntaxError, match="'CUEX1' is in the blocks of both"):
        fit_pls("A =~ CUEX1 + CUEX2\nB =~ CUEX1 + CUSA1\nB ~ A", SMALL)


def test_missing_rows_are_counted_in_warnings():
    d = SMALL.astype(float)
    d.loc[[3, 8], "CUSA1"] = np.nan
    res = assert_clean(fit_pls, templates.ACSI, d)
    assert res.nobs == 148 and any("2 of 150 rows" in w and "rows 3, 8" in w for w in res.warnings)
    assert res.admissible  # information, not a defect


def test_bootstrap_records_a_drawn_seed_and_no_input_changes():
    res = _quiet(fit_pls, templates.ACSI, SMALL)
    before = res.params.copy()
    boot = res.bootstrap(n_boot=3, progress=False)
    assert isinstance(boot.provenance.seed, int)
    assert res.provenance.steps[-1]["seed"] == boot.provenance.seed
    again = res.bootstrap(n_boot=3, seed=boot.provenance.seed, progress=False)
    pd.testing.assert_frame_equal(boot.summary(), again.summary())
    pd.testing.assert_series_equal(before, res.params)


# ------------------------------------------------------------------------------ sampling weights (issue 14)
WEIGHTED = SMALL.assign(w=np.tile([1.0, 2.0, 0.5], 50))


@pytest.mark.parametrize("name, frame", variants(WEIGHTED, ["CUEX1", "w"]), ids=[n for n, _ in variants(WEIGHTED, ["CUEX1", "w"])])
def test_fit_pls_weighted_sweep(name, frame):
    out = assert_clean(fit_pls, templates.ACSI, frame, sampling_weights="w")
    if _must_refuse(name):
        assert isinstance(out, InputError), name
    else:
        assert not isinstance(out, CXModelsError), (name, out)


def _with_weights(values, rows):
    d = WEIGHTED.copy()
    d.loc[rows, "w"] = values
    return d


@pytest.mark.parametrize("data, kwargs, match", [
    (_with_weights(-1.0, [4, 17]), {}, r"column 'w' has 2 negative weights \(rows 4, 17\)"),
    (_with_weights(np.nan, [3]), {}, r"column 'w' has 1 missing \(NaN\) weights \(rows 3\)"),
    (_with_weights(np.inf, [5, 6]), {}, r"2 infinite weights \(rows 5, 6\)"),
    (WEIGHTED.assign(w=0.0), {}, "zero in every row"),
    (WEIGHTED.assign(w=np.r_[np.ones(3), np.zeros(147)]), {}, r"only 3 complete rows have a positive weight"),
    (WEIGHTED.assign(w="1"), {}, "must be numeric"), (WEIGHTED.assign(w=True), {}, "must be numeric"),
    (WEIGHTED, dict(sampling_weights="nope"), "nope"), (WEIGHTED, dict(sampling_weights=["w"]), "name of a column"),
    (WEIGHTED, dict(sampling_weights=WEIGHTED["w"]), "name of a column"),
    (WEIGHTED, dict(sampling_weights="CUEX1"), "also an indicator"),
    (WEIGHTED, dict(standardize="pooled"), "standardize='items'"),
])
def test_bad_sampling_weights_are_refused_naming_rows(data, kwargs, match):
    out = assert_clean(fit_pls, templates.ACSI, data, **{"sampling_weights": "w", **kwargs})
    assert isinstance(out, InputError) and re.search(match, str(out)), out


def test_weighted_fit_methods_and_zero_weights():
    d = _with_weights(0.0, [0, 1, 2])  # zero weights are allowed: those rows count for nothing
    res = _quiet(fit_pls, templates.ACSI, d, sampling_weights="w", scale=(1, 10))
    ref = _quiet(fit_pls, templates.ACSI, d.iloc[3:], sampling_weights="w", scale=(1, 10))
    np.testing.assert_allclose(res.params.drop([i for i in res.params.index if "<~" in i]),
                               ref.params.drop([i for i in ref.params.index if "<~" in i]), atol=1e-10)
    for method, args, kwargs, refused in METHOD_CALLS:
        out = assert_clean(getattr(res, method), *args, **kwargs)
        assert isinstance(out, InputError) if refused else not isinstance(out, CXModelsError), (method, out)
    # a block whose items are constant among the positively weighted rows
    const = WEIGHTED.assign(w=np.where(np.arange(150) < 100, 0.0, 1.0))
    const.loc[100:, "CUEX1"] = 5
    with pytest.raises(InputError, match="CUEX1"):
        fit_pls(templates.ACSI, const, sampling_weights="w")


def test_fit_indices_plot_arguments():
    f = FIT.fit_indices()
    for kwargs in (dict(index="rmsea"), dict(model="null")):
        assert isinstance(assert_clean(f.plot, **kwargs), InputError), kwargs


# ------------------------------------------------------------------------------ MGA and segments
MGA_DATA = pd.concat([SMALL.assign(seg="x"), ACSI.iloc[150:300].assign(seg="y")], ignore_index=True)
MGA_COLS = ["CUEX1", "CUSCO", "seg"]


@pytest.mark.parametrize("name, frame", variants(MGA_DATA, MGA_COLS), ids=[n for n, _ in variants(MGA_DATA, MGA_COLS)])
def test_compare_groups_sweep(name, frame):
    out = assert_clean(compare_groups, TWO if "CUSCO" not in name else templates.ACSI, frame, "seg",
                       n_perm=3, seed=1, progress=False)
    if name in HARD or name.startswith(("all_nan", "inf", "text_in", "categorical_text[C", "bool[C")):
        assert isinstance(out, InputError), name


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_perm=0), "n_perm"), (dict(n_perm=2.5), "n_perm"), (dict(level=0), "level"), (dict(seed="x"), "seed"),
    (dict(scheme="x"), "scheme"), (dict(group="nope"), "nope"), (dict(group=["seg"]), "group"),
    (dict(group="CUEX1"), "also an indicator"),
])
def test_compare_groups_arguments(kwargs, match):
    args = {"group": "seg", "n_perm": 3, "progress": False, **kwargs}
    out = assert_clean(compare_groups, TWO, MGA_DATA, args.pop("group"), **args)
    assert isinstance(out, InputError) and re.search(match, str(out)), out


def test_compare_groups_named_cases():
    three = MGA_DATA.assign(seg=np.arange(len(MGA_DATA)) % 3)
    with pytest.raises(InputError, match="exactly two groups"):
        compare_groups(TWO, three, "seg", n_perm=3)
    mixed = MGA_DATA.assign(seg=[1 if i % 2 else "1" for i in range(len(MGA_DATA))])
    with pytest.raises(InputError, match="print alike"):
        compare_groups(TWO, mixed, "seg", n_perm=3)
    const = MGA_DATA.copy()
    const.loc[const["seg"] == "y", "CUEX1"] = 5
    with pytest.raises(InputError, match=r"\['CUEX1'\] are constant within group 'y'"):
        compare_groups(TWO, const, "seg", n_perm=3)
    tiny = MGA_DATA.iloc[:155]
    with pytest.raises(InputError, match=r"group 'y' of column 'seg' has only 5 complete rows"):
        compare_groups(templates.ACSI, tiny, "seg", n_perm=3)
    # numeric labels are ordered by value (10 after 2), whatever the row order
    num = MGA_DATA.assign(seg=np.where(MGA_DATA["seg"] == "x", 10, 2)).iloc[::-1]
    res = compare_groups(TWO, num, "seg", n_perm=3, seed=1, progress=False)
    assert res.groups == (2, 10) and "est_2" in res.paths and (res.paths["contrast"] == "2 - 10").all()


@pytest.mark.parametrize("name, frame", variants(FIT.scores(None), ["CUSA", "CUSL"]),
                         ids=[n for n, _ in variants(FIT.scores(None), ["CUSA", "CUSL"])])
def test_find_segments_sweep(name, frame):
    out = assert_clean(find_segments, frame, k_range=(2, 3), seed=1)
    if name in HARD or name.startswith(("all_nan", "inf", "text_in", "bool", "categorical")):
        assert isinstance(out, InputError), name


@pytest.mark.parametrize("k_range", [(1, 3), (3, 2), (2, 10_000), "2-6", (2.0, 3), (2,)])
def test_find_segments_k_range(k_range):
    out = assert_clean(find_segments, FIT.scores(None), k_range=k_range, seed=1)
    assert isinstance(out, InputError) and "k_range" in str(out)


# ------------------------------------------------------------------------------ EFA
ITEMS = ACSI[["CUEX1", "CUEX2", "CUEX3", "PERQ1", "PERQ2", "PERQ3", "CUSA1", "CUSA2"]].iloc[:200]


@pytest.mark.parametrize("name, frame", variants(ITEMS, ["CUEX1", "PERQ2"]),
                         ids=[n for n, _ in variants(ITEMS, ["CUEX1", "PERQ2"])])
@pytest.mark.parametrize("fn", ["efa", "parallel_analysis"])
def test_efa_sweep(fn, name, frame):
    out = assert_clean(efa, frame, 2) if fn == "efa" else assert_clean(parallel_analysis, frame, n_iter=5, seed=1)
    if _must_refuse(name):
        assert isinstance(out, InputError), name
    else:
        assert not isinstance(out, CXModelsError), (name, out)


@pytest.mark.parametrize("args, kwargs, match", [
    ((0,), {}, "n_factors"), ((8,), {}, "n_factors"), ((2.0,), {}, "n_factors"), ((True,), {}, "n_factors"),
    ((2,), dict(rotation="no-such-rotation"), "rotation"), ((2,), dict(max_iter=0), "max_iter"), ((2,), dict(tol=-1), "tol"),
])
def test_efa_arguments(args, kwargs, match):
    out = assert_clean(efa, ITEMS, *args, **kwargs)
    assert isinstance(out, InputError) and re.search(match, str(out)), out


def test_efa_named_cases():
    with pytest.raises(InputError, match=r"items \['CUEX1', 'DUP'\] are collinear"):
        efa(ITEMS.assign(DUP=ITEMS["CUEX1"]), 2)
    with pytest.raises(InputError, match="more complete rows than items"):
        efa(ITEMS.iloc[:8], 2)
    with pytest.raises(InputError, match="three items"):
        parallel_analysis(ITEMS[["CUEX1", "CUEX2"]])
    for kwargs in (dict(n_iter=0), dict(quantile=1.0), dict(seed="x")):
        assert isinstance(assert_clean(parallel_analysis, ITEMS, **kwargs), InputError), kwargs
    d = ITEMS.astype(float)
    d.loc[[5, 9], "CUEX2"] = np.nan
    res = assert_clean(efa, d, 2)
    assert any("2 of 200 rows" in w and "rows 5, 9" in w for w in res.warnings)


def test_construct_on_no_path_is_refused_by_name():
    from cxmodels.datasets import make_survey
    from cxmodels.errors import ModelSyntaxError
    from cxmodels.sem import fit_pls
    model = ("CUEX =~ CUEX1 + CUEX2 + CUEX3\nPERQ =~ PERQ1 + PERQ2 + PERQ3\n"
             "CUSA =~ CUSA1 + CUSA2 + CUSA3\nCUSA ~ CUEX")
    with pytest.raises(ModelSyntaxError, match=r"\['PERQ'\] appear on no structural path"):
        fit_pls(model, make_survey(n=300, seed=1))
