"""Synthetic ACSI/ECSI surveys (cxmodels.datasets.generators), the model templates and the
path diagram.

The templates and the diagram module are loaded from their files, so these tests do not
depend on the rest of cxmodels.sem.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxmodels.datasets.generators import make_survey, make_survey_continuous, make_survey_truth
from cxmodels.errors import InputError

SEM = Path(__file__).resolve().parents[1] / "cxmodels" / "sem"


def _load(name: str):
    """cxmodels.sem.<name> loaded from its file, without importing the cxmodels.sem package."""
    full = f"cxmodels.sem._standalone_{name}"
    if full not in sys.modules:
        spec = importlib.util.spec_from_file_location(full, SEM / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[full] = module              # dataclasses look their module up here
        spec.loader.exec_module(module)
    return sys.modules[full]


templates = _load("templates")


def _triples(model: str) -> set:
    """(lhs, op, rhs) of a plain lavaan model string (no modifiers)."""
    out = set()
    for line in model.splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        op = "=~" if "=~" in line else "~"
        lhs, rhs = (s.strip() for s in line.split(op))
        out |= {(lhs, op, r.strip()) for r in rhs.split("+")}
    return out


# --------------------------------------------------------------------------- generator
def test_same_seed_same_frame_different_seed_different():
    a = make_survey(300, seed=11)
    b = make_survey(300, seed=11)
    c = make_survey(300, seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["truth"] == b.attrs["truth"]
    assert not a.equals(c)
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    pd.testing.assert_frame_equal(make_survey(50, model="ECSI", seed=g1), make_survey(50, model="ECSI", seed=g2))


@pytest.mark.parametrize("model, n_items", [("ACSI", 14), ("ECSI", 24)])
def test_columns_are_the_template_indicators(model, n_items):
    df = make_survey(120, model=model, seed=1)
    assert df.shape == (120, n_items)
    assert list(df.columns) == templates.indicator_names(model)
    measured = {r for (_, op, r) in _triples(getattr(templates, model)) if op == "=~"}
    assert set(df.columns) == measured | {"CUSCO"}
    assert _triples(df.attrs["truth"]["model"]) == _triples(getattr(templates, model))
    assert make_survey(5, model=model.lower(), seed=1).shape == (5, n_items)


@pytest.mark.parametrize("scale", [5, 7, 10])
def test_values_on_the_response_scale(scale):
    df = make_survey(3000, model="ECSI", scale=scale, seed=3)
    assert all(pd.api.types.is_integer_dtype(t) for t in df.dtypes)
    assert df.min().min() >= 1 and df.max().max() <= scale
    assert df.nunique().min() >= scale - 2            # the scale is used, not a few points
    # items sit about 70 % of the way up the scale (about 7.2 on 10 points)
    means = (df.mean() - 1) / (scale - 1)
    assert means.between(0.62, 0.74).all()


def test_item_means_like_real_surveys_and_acsi_complaints_low():
    df = make_survey(5000, model="ACSI", seed=4)
    items = df.drop(columns="CUSCO").mean()
    assert items.between(6.9, 7.5).all()
    assert 3.3 < df["CUSCO"].mean() < 4.3            # complaint behaviour is rare
    # ... and still negatively related to satisfaction, as the truth says
    assert df["CUSCO"].corr(df["CUSA1"]) < -0.2


def test_discrete_is_the_discretized_continuous():
    cont = make_survey(400, scale=None, seed=8)
    disc = make_survey(400, scale=10, seed=8)
    pd.testing.assert_frame_equal(cont, make_survey_continuous(400, seed=8))
    assert cont.dtypes.eq("float64").all()
    for col in cont:
        order = np.argsort(cont[col].to_numpy())
        assert (np.diff(disc[col].to_numpy()[order]) >= 0).all()


def test_truth_latent_correlations_are_the_implied_ones():
    for model in ("ACSI", "ECSI"):
        t = make_survey_truth(model)
        names = list(dict.fromkeys([y for y, _ in t["paths"]] + [x for _, x in t["paths"]]))
        k = len(names)
        B = np.zeros((k, k))
        for (y, x), b in t["paths"].items():
            B[names.index(y), names.index(x)] = b
        psi = np.diag([t["residual_variances"][v] for v in names])
        inv = np.linalg.inv(np.eye(k) - B)
        R = inv @ psi @ inv.T
        np.testing.assert_allclose(np.diag(R), 1.0, atol=1e-12)
        for i, j in itertools.product(range(k), repeat=2):
            assert t["latent_cor"][(names[i], names[j])] == pytest.approx(R[i, j], abs=1e-12)


@pytest.mark.parametrize("model", ["ACSI", "ECSI"])
def test_indicator_correlations_match_truth(model):
    df = make_survey(200_000, model=model, scale=None, seed=2026)
    t = df.attrs["truth"]
    lam = {item: (lat, v) for (lat, item), v in t["loadings"].items()}
    lam["CUSCO"] = ("CUSCO", 1.0)                    # observed, no measurement error
    r = np.corrcoef(df.to_numpy(), rowvar=False)
    cols = list(df.columns)
    np.testing.assert_allclose(df.var().to_numpy(), 1.0, atol=0.02)
    worst = 0.0
    for i, j in itertools.combinations(range(len(cols)), 2):
        (li, vi), (lj, vj) = lam[cols[i]], lam[cols[j]]
        expected = vi * vj * t["latent_cor"][(li, lj)]
        worst = max(worst, abs(r[i, j] - expected))
    assert worst < 0.01


def test_default_truth():
    acsi = make_survey_truth()
    assert acsi["paths"] == {
        ("PERQ", "CUEX"): 0.5, ("PERV", "CUEX"): 0.1, ("PERV", "PERQ"): 0.6,
        ("CUSA", "CUEX"): 0.1, ("CUSA", "PERQ"): 0.5, ("CUSA", "PERV"): 0.3,
        ("CUSCO", "CUSA"): -0.4, ("CUSL", "CUSA"): 0.6, ("CUSL", "CUSCO"): -0.1,
    }
    for model in ("ACSI", "ECSI"):
        t = make_survey_truth(model)
        assert all(0.7 <= v <= 0.9 for v in t["loadings"].values())
        assert all(0 < r2 < 1 for r2 in t["r_squared"].values())
        assert _triples(t["model"]) == _triples(getattr(templates, model))
    ecsi = make_survey_truth("ECSI")
    assert set(ecsi["paths"]) == {(y, x) for (y, op, x) in _triples(templates.ECSI) if op == "~"}
    assert make_survey(10, seed=0).attrs["truth"]["paths"] == acsi["paths"]


def test_overrides_change_truth_and_data():
    df = make_survey(50_000, scale=None, seed=9, paths={("CUSA", "PERQ"): 0.7, ("CUSA", "PERV"): 0.0},
                     loadings={"CUSA1": 0.95, ("PERQ", "PERQ1"): 0.9})
    t = df.attrs["truth"]
    assert t["paths"][("CUSA", "PERQ")] == 0.7 and t["loadings"][("CUSA", "CUSA1")] == 0.95
    expected = 0.95 * 0.9 * t["latent_cor"][("CUSA", "PERQ")]
    assert df["CUSA1"].corr(df["PERQ1"]) == pytest.approx(expected, abs=0.015)


def test_missing_completely_at_random():
    full = make_survey(4000, seed=21)
    holey = make_survey(4000, seed=21, missing=0.15)
    frac = holey.isna().to_numpy().mean()
    assert frac == pytest.approx(0.15, abs=0.01)
    assert holey.isna().mean().between(0.12, 0.18).all()      # every item, not a few
    kept = holey.notna()
    assert (holey[kept] == full.astype(float)[kept]).sum().sum() == kept.sum().sum()
    assert make_survey(100, seed=1, missing=0.0).notna().all().all()


@pytest.mark.parametrize("kwargs, word", [
    (dict(model="NCSB"), "model"),
    (dict(model=3), "model"),
    (dict(scale=4), "scale"),
    (dict(scale=11), "scale"),
    (dict(scale="10"), "scale"),
    (dict(scale=7.0), "scale"),
    (dict(n=0), "n"),
    (dict(n=-5), "n"),
    (dict(n=2.5), "n"),
    (dict(n=True), "n"),
    (dict(missing=1.0), "missing"),
    (dict(missing=-0.1), "missing"),
    (dict(paths={("CUSA", "CUSL"): 0.2}), "paths"),
    (dict(paths={("CUSA", "PERQ"): float("nan")}), "paths"),
    (dict(paths={("CUSA", "PERQ"): 0.9, ("CUSA", "PERV"): 0.5}), "CUSA"),
    (dict(loadings={"CUSA9": 0.8}), "loadings"),
    (dict(loadings={"CUSCO": 0.8}), "loadings"),
    (dict(loadings={"CUSA1": 1.2}), "loadings"),
    (dict(seed="abc"), "seed"),
])
def test_bad_input_raises(kwargs, word):
    with pytest.raises(ValueError, match=word) as info:
        make_survey(**kwargs)
    assert isinstance(info.value, InputError)


def test_truth_bad_model():
    with pytest.raises(InputError, match="model"):
        make_survey_truth("XCSI")
    with pytest.raises(InputError, match="model"):
        templates.indicator_names("XCSI")


# --------------------------------------------------------------------------- templates
def test_templates_structure():
    acsi, ecsi = _triples(templates.ACSI), _triples(templates.ECSI)
    assert {(y, x) for y, op, x in acsi if op == "~"} == {
        ("PERQ", "CUEX"), ("PERV", "CUEX"), ("PERV", "PERQ"), ("CUSA", "CUEX"), ("CUSA", "PERQ"),
        ("CUSA", "PERV"), ("CUSCO", "CUSA"), ("CUSL", "CUSA"), ("CUSL", "CUSCO")}
    assert {(y, x) for y, op, x in ecsi if op == "~"} == {
        ("CUEX", "IMAG"), ("PERQ", "CUEX"), ("PERV", "CUEX"), ("PERV", "PERQ"), ("CUSA", "IMAG"),
        ("CUSA", "CUEX"), ("CUSA", "PERQ"), ("CUSA", "PERV"), ("CUSCO", "CUSA"), ("CUSL", "IMAG"),
        ("CUSL", "CUSA"), ("CUSL", "CUSCO")}
    assert not any(lhs == "CUSCO" for lhs, op, _ in acsi | ecsi if op == "=~")   # single observed item
    for model in ("ACSI", "ECSI"):
        for construct, block in templates.INDICATORS[model].items():
            assert block["label"] and all(block["items"].values())
            assert block["observed"] == (construct == "CUSCO")
    # the ECSI names are those of the mobile-phone survey (Tenenhaus et al. 2005)
    from conftest import load_mobi
    assert set(load_mobi().columns) == set(templates.indicator_names("ECSI"))


# --------------------------------------------------------------------------- path diagram
def _estimates(rows):
    return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", "se", "pvalue", "std_all"])


PD_EST = _estimates([
    ("ind60", "=~", "x1", 1.0, 0.0, np.nan, 0.920), ("ind60", "=~", "x2", 2.180, 0.139, 0.0, 0.973),
    ("ind60", "=~", "x3", 1.819, 0.152, 0.0, 0.872),
    ("dem60", "=~", "y1", 1.0, 0.0, np.nan, 0.850), ("dem60", "=~", "y2", 1.257, 0.182, 0.0, 0.717),
    ("dem60", "=~", "y3", 1.058, 0.151, 0.0, 0.722), ("dem60", "=~", "y4", 1.265, 0.145, 0.0, 0.846),
    ("dem65", "=~", "y5", 1.0, 0.0, np.nan, 0.808), ("dem65", "=~", "y6", 1.186, 0.169, 0.0, 0.746),
    ("dem65", "=~", "y7", 1.280, 0.160, 0.0, 0.824), ("dem65", "=~", "y8", 1.266, 0.158, 0.0, 0.828),
    ("dem60", "~", "ind60", 1.483, 0.399, 0.0002, 0.447), ("dem65", "~", "ind60", 0.572, 0.221, 0.010, 0.182),
    ("dem65", "~", "dem60", 0.837, 0.098, 0.0, 0.885),
    ("y1", "~~", "y5", 0.624, 0.358, 0.081, 0.296), ("y2", "~~", "y4", 1.313, 0.702, 0.061, 0.273),
    ("y2", "~~", "y6", 2.153, 0.734, 0.003, 0.356), ("y3", "~~", "y7", 0.795, 0.608, 0.191, 0.191),
    ("y4", "~~", "y8", 0.348, 0.442, 0.431, 0.109), ("y6", "~~", "y8", 1.356, 0.568, 0.017, 0.338),
    ("x1", "~~", "x1", 0.082, 0.019, 0.0, 0.154), ("dem60", "~~", "dem60", 3.956, 0.921, 0.0, 0.200),
    ("x1", "~1", "", 5.054, 0.084, 0.0, np.nan), ("ind", ":=", "a*b", 1.24, 0.3, 0.0, 0.396),
])


def _truth_estimates(model):
    t = make_survey_truth(model)
    rows, seen = [], set()
    for (lat, item), v in t["loadings"].items():
        first = lat not in seen
        seen.add(lat)
        rows.append((lat, "=~", item, 1.0 if first else 1.2 * v, 0.0 if first else 0.08,
                     np.nan if first else 1e-6, v))
    for (y, x), v in t["paths"].items():
        rows.append((y, "~", x, v, 0.05, 0.3 if abs(v) < 0.08 else 0.02 if abs(v) < 0.12 else 1e-5, v))
    return _estimates(rows)


def _no_overlapping_text(ax):
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text()]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b) or min(a.x1, b.x1) - max(a.x0, b.x0) < 0.5 or min(a.y1, b.y1) - max(a.y0, b.y0) < 0.5


def test_path_diagram_smoke():
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    from cxmodels.sem import diagram as plot
    before = PD_EST.copy()
    ax = plot.path_diagram(PD_EST, title="Political democracy")
    pd.testing.assert_frame_equal(PD_EST, before)                 # caller's frame untouched
    assert isinstance(ax, Axes)
    labels = [t.get_text() for t in ax.texts]
    assert "0.45***" in labels and "0.18*" in labels and "0.89***" in labels
    assert "0.92" in labels                                       # fixed loading: no star
    assert "0.36**" in labels and "0.30" in labels               # residual covariances
    assert {"ind60", "dem60", "dem65", "y1", "x3"} <= set(labels)
    assert not any("5.05" in s or "1.24" in s for s in labels)    # intercepts, := not drawn
    _no_overlapping_text(ax)

    raw = plot.path_diagram(PD_EST, standardized=False)
    assert "1.48***" in [t.get_text() for t in raw.texts]
    plt.close("all")

    for model in ("ACSI", "ECSI"):
        fig, ax = plt.subplots(figsize=(11, 7))
        assert plot.path_diagram(_truth_estimates(model), ax=ax) is ax
        labels = [t.get_text() for t in ax.texts]
        assert ("-0.40***" in labels) == (model == "ACSI")
        _no_overlapping_text(ax)
        plt.close(fig)

    with pytest.raises(ValueError, match="std_all"):
        plot.path_diagram(PD_EST.drop(columns="std_all"))
    with pytest.raises(ValueError, match="alpha"):
        plot.path_diagram(PD_EST, alpha=1.5)
    with pytest.raises(ValueError, match="op"):
        plot.path_diagram(PD_EST[PD_EST.op == "~~"])
