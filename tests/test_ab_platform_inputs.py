"""Bad inputs and the result contract for the experimentation-platform functions of cxmodels.ab
(issue 15): every function swept with the shared corpus (only cxmodels errors and warnings come
out, no input changes), the issue's named cases with their messages (pre-period covariates with
NaN, a ratio with zero denominators, looks out of order, segments with one user are in the
feature tests), and each result checked member by member as tests/test_contract.py does."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from badinput import assert_clean, variants  # noqa: E402
from cxmodels import ab  # noqa: E402
from cxmodels._results import Decision, Result  # noqa: E402
from cxmodels.errors import InputError  # noqa: E402
from cxmodels.provenance import Provenance  # noqa: E402


def _frame(n=240, seed=1):
    rng = np.random.default_rng(seed)
    pre = rng.normal(10, 2, n)
    return pd.DataFrame({"variant": np.tile(["control", "new"], n // 2), "y": pre + rng.normal(0, 1, n),
                         "pre": pre, "sessions": rng.poisson(3, n) + 1.0, "look": np.repeat(np.arange(1, 5), n // 4),
                         "segment": np.tile(list("ABCDE"), n // 5), "store": np.repeat(np.arange(24), n // 24)})


D = _frame()
H = pd.DataFrame({"pre": np.random.default_rng(2).normal(10, 2, 300)}).assign(
    ltv=lambda h: 2 * h.pre + np.random.default_rng(3).normal(0, 1, 300))
STORES = D.assign(variant=np.where(D.store % 2 == 0, "control", "new"))

CALLS = {
    "cuped": (lambda d: ab.cuped(d, group="variant", value="y", covariates="pre"), D, ["variant", "y", "pre"]),
    "cuped_bayes": (lambda d: ab.cuped_bayes(d, group="variant", value="y", covariates="pre", draws=500, seed=1), D,
                    ["variant", "y", "pre"]),
    "post_stratify": (lambda d: ab.post_stratify(d, group="variant", value="y", strata="segment"), D,
                      ["variant", "y", "segment"]),
    "ratio_metric": (lambda d: ab.ratio_metric(d, group="variant", numerator="y", denominator="sessions"), D,
                     ["variant", "y", "sessions"]),
    "capped_means": (lambda d: ab.capped_means(d, group="variant", value="y", pre="pre"), D, ["variant", "y", "pre"]),
    "cluster_means": (lambda d: ab.cluster_means(d, group="variant", value="y", cluster="store"), STORES,
                      ["variant", "y", "store"]),
    "sequential_test": (lambda d: ab.sequential_test(d, group="variant", look="look", value="y"), D,
                        ["variant", "y", "look"]),
    "segment_effects": (lambda d: ab.segment_effects(d, group="variant", value="y", segment="segment"), D,
                        ["variant", "y", "segment"]),
    "surrogate_index": (lambda d: ab.surrogate_index(d, group="variant", surrogates="pre", history=H, outcome="ltv"),
                        D, ["variant", "pre"]),
}


def _read_all(res):
    res.summary(), res.params, res.provenance, res.methods_text(), res.warnings
    if hasattr(res, "decide"):
        res.decide()
    return res


@pytest.mark.parametrize("name", list(CALLS))
def test_sweep(name):
    fn, frame, cols = CALLS[name]

    def run(d):
        return _read_all(fn(d))
    run.__name__ = name
    must_fail = {"empty", "one_row", "non_unique_columns"} | {f"all_nan[{c}]" for c in cols} | \
        {f"inf[{c}]" for c in cols if c != "variant"} | {f"text_in_numbers[{c}]" for c in cols if c not in ("variant",)}
    for case, bad in variants(frame[cols], cols):
        out = assert_clean(run, bad)
        if case in must_fail and not (case.endswith("[look]") or case.endswith("[segment]") or case.endswith("[store]")):
            assert isinstance(out, InputError), (case, out)


def test_multiple_sweep():
    P = pd.DataFrame({"pvalue": [0.01, 0.2, 0.04]})
    for case, bad in variants(P, ["pvalue"]):
        out = assert_clean(ab.adjust_pvalues, bad)
        if case in ("empty", "all_nan[pvalue]", "inf[pvalue]", "text_in_numbers[pvalue]", "non_unique_columns",
                    "duplicated_index"):
            assert isinstance(out, InputError), (case, out)
    for bad in (None, {}, {"a": 1}, "results"):
        assert isinstance(assert_clean(ab.bundle_readout, bad, variant="B"), InputError)
    with pytest.raises(InputError, match="not in results"):  # a dict of results is not compared by assert_clean
        ab.bundle_readout({"a": ab.compare_proportions([1, 2], [10, 10])}, variant="Z")
    for kw in ({"level": 1.5}, {"method": None}, {"pvalue": "p"}):
        assert isinstance(assert_clean(ab.adjust_pvalues, P, **kw), InputError), kw


@pytest.mark.parametrize("kw", [{"level": 0}, {"level": "95%"}, {"control": "nobody"}, {"metric": "median"},
                                {"covariates": None}, {"covariates": ["pre", "pre"]}])
def test_cuped_arguments(kw):
    args = {"group": "variant", "value": "y", "covariates": "pre", **kw}
    assert isinstance(assert_clean(ab.cuped, D, **args), InputError), kw


_CITATION = re.compile(r"([A-Z][A-Za-z'\-]+(?: et al\.| (?:&|and) [A-Z][A-Za-z'\-]+)?),? \(?(\d{4}[a-z]?)\)?")


def _surface(res):
    assert isinstance(res, Result)
    assert len(res.summary()) > 0 and isinstance(res.params, pd.Series) and len(res.params) > 0
    assert isinstance(res.provenance, Provenance) and res.provenance.method
    assert isinstance(res.converged, bool) and isinstance(res.admissible, bool)
    text = res.methods_text()
    assert len(text) > 40 and "nan" not in text.split() and "None" not in text.split()
    listed = {(r.surnames[0], r.year) for r in res.references}
    assert all(r.cite.split(" (")[0].split(" ")[0] in text for r in res.references)
    for author, year in _CITATION.findall(text):
        assert (author.split(" ")[0], year) in listed, (author, year)
    ax = res.plot()
    _, given = plt.subplots()
    assert isinstance(ax, matplotlib.axes.Axes) and res.plot(ax=given) is given
    plt.close("all")
    if hasattr(res, "decide"):
        assert isinstance(res.decide(), Decision)


@pytest.mark.parametrize("name", list(CALLS))
def test_result_contract(name):
    fn, frame, _ = CALLS[name]
    _surface(fn(frame))


def test_result_contract_multiple():
    _surface(ab.adjust_pvalues(pd.DataFrame({"pvalue": [0.01, 0.2, 0.04]}), method="bh"))
    r = {"a": ab.compare_proportions([10, 14], [100, 100], seed=1), "b": ab.compare_proportions([20, 25], [100, 100], seed=2)}
    _surface(ab.bundle_readout(r, variant="B"))
