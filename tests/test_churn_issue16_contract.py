"""The result contract and the bad-input corpus for the churn additions of issue 16 (Fine-Gray,
cause-specific Cox, frailty, cluster-robust Cox, machine-learning survival, early warning,
journeys): every result honours the surface test_contract.py checks, and every public function
swept with tests/badinput.py lets only cxmodels errors and warnings out and changes no input."""

from __future__ import annotations

import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from badinput import assert_clean, variants  # noqa: E402
from conftest import FIXTURES  # noqa: E402
from cxmodels import churn  # noqa: E402
from cxmodels._results import Decision, Result  # noqa: E402
from cxmodels.provenance import Provenance  # noqa: E402
from cxmodels.references import Reference  # noqa: E402


def _causes():
    return pd.read_csv(FIXTURES / "churn_finegray" / "churn_causes.csv")


def _stores():
    return pd.read_csv(FIXTURES / "churn_frailty" / "stores.csv")


def _spells():
    return pd.read_csv(FIXTURES / "churn_multistate" / "journeys.csv")


def _complaints():
    return pd.read_csv(FIXTURES / "churn_resolution" / "complaints.csv")


def _holdout():
    d = _stores()
    return d.assign(risk=1 / (1 + np.exp(-(d["fee"] + 0.2 * d["calls"]))), why_fee=d["fee"], why_calls=0.2 * d["calls"])


CAUSE_COVS = ["fee", "calls", "annual"]
FITS = {
    "fine_gray": lambda: churn.fine_gray(_causes(), "tenure", "reason", CAUSE_COVS, cause="voluntary",
                                         censored="active"),
    "cause_specific_cox": lambda: churn.cause_specific_cox(_causes(), "tenure", "reason", CAUSE_COVS,
                                                           censored="active"),
    "cox_cluster": lambda: churn.cox_cluster(_stores(), "tenure", "churned", ["fee", "calls"], group="store"),
    "cox_frailty": lambda: churn.cox_frailty(_stores(), "tenure", "churned", ["fee", "calls"], group="store"),
    "ml_survival": lambda: churn.ml_survival(_stores(), "tenure", "churned", ["fee", "calls"], kind="gradient_boosting",
                                             cv=2, n_repeats=1, params={"n_estimators": 20}, seed=1),
    "early_warning": lambda: churn.early_warning(_holdout(), "risk", duration="tenure", event="churned", horizon=200,
                                                 budget=60, customer="customer", reasons=["why_fee", "why_calls"]),
    "journey": lambda: churn.journey(_spells(), "customer", "start", "stop", "from", "to"),
    "service_level": lambda: churn.service_level(_complaints(), "hours", "resolved", [2, 4, 24], group="channel",
                                                 goal=0.25),
}
_CITATION = re.compile(r"([A-Z][A-Za-z'\-]+(?: et al\.| (?:&|and) [A-Z][A-Za-z'\-]+)?),? \(?(\d{4}[a-z]?)\)?")


@pytest.mark.parametrize("name", sorted(FITS))
def test_result_surface(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = FITS[name]()
    assert isinstance(res, Result) and name in churn.__all__
    assert isinstance(res.summary(), pd.DataFrame) and len(res.summary()) > 0
    assert isinstance(res.params, pd.Series) and len(res.params) > 0
    assert isinstance(res.provenance, Provenance) and res.provenance.method == f"churn.{name}"
    assert isinstance(res.warnings, list) and isinstance(res.converged, bool) and isinstance(res.admissible, bool)
    refs = res.references
    assert refs and all(isinstance(r, Reference) for r in refs)
    text = res.methods_text()
    assert len(text) > 40 and "nan" not in text.split() and "None" not in text.split()
    assert all(r.cite.split(" (")[0].split(" ")[0] in text for r in refs)
    listed = {(r.surnames[0], r.year) for r in refs}
    for author, year in _CITATION.findall(text):
        assert (author.split(" ")[0], year) in listed, f"{name} cites {author} ({year}) without listing it"
    ax = res.plot()
    assert isinstance(ax, matplotlib.axes.Axes)
    fig, given = plt.subplots()
    assert res.plot(ax=given) is given
    plt.close("all")
    if hasattr(res, "decide"):
        assert isinstance(res.decide(), Decision)


def _sweep(fn, frame, cols, **kw):
    for label, bad in variants(frame, cols):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            assert_clean(fn, bad, **kw)


def test_bad_input_corpus_fine_gray_and_cause_specific():
    d = _causes()
    _sweep(lambda x: churn.fine_gray(x, "tenure", "reason", CAUSE_COVS, cause="voluntary", censored="active"), d,
           ["tenure", "reason", "fee"])
    _sweep(lambda x: churn.cause_specific_cox(x, "tenure", "reason", CAUSE_COVS, censored="active"), d,
           ["tenure", "reason", "calls"])


def test_bad_input_corpus_clustered():
    d = _stores()
    _sweep(lambda x: churn.cox_frailty(x, "tenure", "churned", ["fee", "calls"], group="store"), d,
           ["tenure", "churned", "fee", "store"])
    _sweep(lambda x: churn.cox_cluster(x, "tenure", "churned", ["fee", "calls"], group="store"), d,
           ["tenure", "churned", "store"])


def test_bad_input_corpus_ml_warning_journey():
    d = _stores().head(240)
    _sweep(lambda x: churn.ml_survival(x, "tenure", "churned", ["fee"], kind="discrete_hazard", cv=2, n_repeats=0,
                                       period_length=30, params={"max_iter": 10}, seed=1), d,
           ["tenure", "churned", "fee"])
    h = _holdout()
    _sweep(lambda x: churn.early_warning(x, "risk", duration="tenure", event="churned", horizon=200, budget=30,
                                         customer="customer"), h, ["risk", "tenure", "churned", "customer"])
    s = _spells()
    _sweep(lambda x: churn.journey(x, "customer", "start", "stop", "from", "to"), s,
           ["start", "stop", "from", "to", "customer"])
    _sweep(lambda x: churn.service_level(x, "hours", "resolved", [2, 4], group="channel"), _complaints(),
           ["hours", "resolved", "channel"])
    tx = pd.DataFrame({"id": ["a", "a", "a", "b"], "when": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-21",
                                                                          "2024-01-05"])})
    _sweep(lambda x: churn.gap_rule(x, "id", "when", as_of="2024-03-01"), tx, ["id", "when"])
    _sweep(lambda x: churn.recency_rule(x, "id", "when", as_of="2024-03-01"), tx, ["id", "when"])
