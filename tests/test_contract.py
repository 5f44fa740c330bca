"""One contract (docs/architecture.md): the result surface and the argument vocabulary.

Every public function of every domain and combiner is found through ``__all__``, so a new
one cannot escape these tests: a fit must have an example call in ``FITS`` (whose result is
then checked member by member), anything else must be named in ``NOT_FITS`` with what it
returns.  The vocabulary test reads every public signature.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cxmodels._results import Decision, Result  # noqa: E402
from cxmodels.provenance import Provenance  # noqa: E402
from cxmodels.references import Reference  # noqa: E402

PACKAGES = ["cxmodels.sem", "cxmodels.sem.pls", "cxmodels.sem.measurement", "cxmodels.churn", "cxmodels.clv",
            "cxmodels.ab", "cxmodels.metrics", "cxmodels.drivers", "cxmodels.text", "cxmodels.chain",
            "cxmodels.report", "cxmodels.datasets"]


def public_functions():
    out = {}
    for pkg in PACKAGES:
        mod = importlib.import_module(pkg)
        assert hasattr(mod, "__all__"), f"{pkg} has no __all__"
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isfunction(obj):
                out.setdefault(f"{obj.__module__.split('.')[1]}.{name}", obj)
    return out


PUBLIC = public_functions()

# ---------------------------------------------------------------------------------- vocabulary
#: argument names that the vocabulary replaced, and what replaced them
FORBIDDEN = {
    "df": "data", "pp": "data", "transactions": "data", "rfm": "data", "frame": "data",
    "ci": "level", "hdi_prob": "level", "interval_level": "level", "conf_level": "level",
    "alpha_level": "level", "credible": "level",
    "n_bootstrap": "n_boot", "bootstrap": "n_boot", "n_boots": "n_boot", "B": "n_boot",
    "n_draws": "draws", "n_samples": "draws", "samples": "draws", "n_chains": "chains",
    "random_state": "seed", "rng": "seed", "random_seed": "seed",
    "duration_col": "duration", "event_col": "event", "id_col": "customer", "customer_col": "customer",
    "date_col": "date", "value_col": "value", "group_col": "group", "by": "group",
    "verbose": "progress", "show_progress": "progress",
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_vocabulary(name):
    sig = inspect.signature(PUBLIC[name])
    bad = {p: FORBIDDEN[p] for p in sig.parameters if p in FORBIDDEN}
    assert not bad, f"{name} uses {bad} (old name: new name)"
    params = list(sig.parameters)
    # a data frame, where a function takes one, is `data`, first or after a model string
    if "data" in params:
        assert params.index("data") <= 1, f"{name}: `data` should come first (after a model string)"
    if "level" in params:
        default = sig.parameters["level"].default
        assert default in (0.95, inspect.Parameter.empty, None), f"{name}: level default {default}"


# ---------------------------------------------------------------------------------- the surface
import functools  # noqa: E402

from cxmodels import datasets as D  # noqa: E402


@functools.cache
def _subs():
    return D.make_subscriptions(300, seed=1)


@functools.cache
def _experiment():
    return D.make_experiment(400, seed=1)


@functools.cache
def _rfm():
    from cxmodels import clv
    return clv.rfm_summary(D.load_cdnow(), "sample_id", "date", "dollar_value",
                           calibration_end="1997-09-30", observation_end="1998-06-30")


@functools.cache
def _rfmz():
    r = _rfm()
    return r.assign(z=np.random.default_rng(0).standard_normal(len(r)))


@functools.cache
def _base():
    return D.make_customer_base(600, n_experiment=400, seed=3, scale=None)


@functools.cache
def _chain():
    from cxmodels.chain import fit_value_chain
    b = _base()
    return fit_value_chain(b.customers, b.model, driver="PQ", n_boot=0, seed=1, progress=False)


def _competing():
    d = _subs().copy()
    d["cause"] = np.where(d["event"] == 1, 1 + (d["customer_id"] % 2), 0)
    return d


@functools.cache
def _attributes():
    return D.make_attribute_survey(400, seed=1)


def _survey(n=300):
    return D.make_survey(n, model="ACSI", seed=2)


def _mga_data():
    d = _survey(240)
    d["seg"] = np.where(np.arange(len(d)) % 2 == 0, "a", "b")
    return d


def _ab(name):
    from cxmodels import ab
    return getattr(ab, name)


def _cx(mod, name):
    return getattr(importlib.import_module(f"cxmodels.{mod}"), name)


#: An example call of every public fit (name -> thunk returning its result).
FITS = {
    "sem.fit_sem": lambda: _cx("sem", "fit_sem")("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ ind60",
                                               D.load_political_democracy()),
    "sem.fit_sem_twolevel": lambda: _cx("sem", "fit_sem_twolevel")(
        "level: 1\n fw =~ y1 + y2 + y3\nlevel: 2\n fb =~ y1 + y2 + y3",
        pd.read_csv(Path(__file__).parent / "fixtures/lavaan_twolevel/demo_twolevel.csv"), cluster="cluster"),
    "sem.sam": lambda: _cx("sem", "sam")("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ ind60",
                                       D.load_political_democracy()),
    "sem.fit_pls": lambda: _cx("sem", "fit_pls")(_cx("sem", "templates").ACSI, _survey(), scale=(1, 10)),
    "sem.measurement_invariance": lambda: _cx("sem", "measurement_invariance")(
        "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", D.load_holzinger_swineford(), "school"),
    "sem.compare_groups": lambda: _cx("sem.pls", "compare_groups")(
        _cx("sem", "templates").ACSI, _mga_data(), "seg", n_perm=20, seed=1, progress=False),
    "sem.find_segments": lambda: _cx("sem.pls", "find_segments")(_survey()[["CUSA1", "CUSA2", "CUSA3"]], k_range=(2, 3), seed=1),
    "sem.fit_pls_hoc": lambda: _cx("sem.pls", "fit_pls_hoc")(
        "CUEX =~ CUEX1 + CUEX2 + CUEX3\nPERQ =~ PERQ1 + PERQ2 + PERQ3\nPERV =~ PERV1 + PERV2\n"
        "CUSA =~ CUSA1 + CUSA2 + CUSA3\nQUAL =~ PERQ + PERV\nQUAL ~ CUEX\nCUSA ~ CUEX + QUAL", _survey()),
    "sem.fit_pls_moderation": lambda: _cx("sem.pls", "fit_pls_moderation")(
        "CUEX =~ CUEX1 + CUEX2 + CUEX3\nPERQ =~ PERQ1 + PERQ2 + PERQ3\nCUSA =~ CUSA1 + CUSA2 + CUSA3\n"
        "CUSA ~ CUEX + PERQ + CUEX:PERQ", _survey()),
    "sem.copula_test": lambda: _cx("sem.pls", "copula_test")(
        _cx("sem", "fit_pls")(_cx("sem", "templates").ACSI, _survey()), n_boot=100, seed=1, progress=False),
    "sem.predict_pls": lambda: _cx("sem.pls", "predict_pls")(_cx("sem", "templates").ACSI, _survey(), folds=5, repeats=2, seed=1),
    "sem.cvpat": lambda: _cx("sem.pls", "cvpat")(_cx("sem", "templates").ACSI, _survey(), folds=5, repeats=1, n_boot=200, seed=1),
    "sem.efa": lambda: _cx("sem.measurement", "efa")(D.load_holzinger_swineford()[[f"x{i}" for i in range(1, 10)]], 3),
    "sem.parallel_analysis": lambda: _cx("sem.measurement", "parallel_analysis")(
        D.load_holzinger_swineford()[[f"x{i}" for i in range(1, 10)]], n_iter=20, seed=1),
    "churn.fit_bgbb": lambda: _cx("churn", "fit_bgbb")(D.load_donations(), weights="weights"),
    "churn.fit_sbg_cohorts": lambda: _cx("churn", "fit_sbg_cohorts")(pd.DataFrame({
        "cohort": ["a"] * 8 + ["b"] * 8,
        "alive": [1000, 869, 743, 653, 593, 551, 517, 491, 1000, 631, 468, 382, 326, 289, 262, 241],
        "annual": [1] * 8 + [0] * 8}), group="cohort", alive="alive", covariates=["annual"]),
    "churn.kaplan_meier": lambda: _cx("churn", "kaplan_meier")(_subs(), "duration", "event", group="segment"),
    "churn.logrank": lambda: _cx("churn", "logrank")(_subs(), "duration", "event", "segment"),
    "churn.cox": lambda: _cx("churn", "cox")(_subs(), "duration", "event", ["satisfaction"]),
    "churn.aft": lambda: _cx("churn", "aft")(_subs(), "duration", "event", ["satisfaction"]),
    "churn.cumulative_incidence": lambda: _cx("churn", "cumulative_incidence")(_competing(), "duration", "cause"),
    "churn.fit_sbg": lambda: _cx("churn", "fit_sbg")([1000, 631, 468, 382, 326, 289, 262, 241]),
    "churn.discrete_time_hazard": lambda: _cx("churn", "discrete_time_hazard")(
        _cx("churn", "to_person_period")(_subs().assign(months=np.ceil(_subs()["duration"] / 30).astype(int)),
                                        "months", "event", customer="customer_id", keep=["satisfaction"]),
        "period", "churn", ["satisfaction"]),
    "clv.fit_bgnbd": lambda: _cx("clv", "fit_bgnbd")(_rfm()),
    "clv.fit_mbgnbd": lambda: _cx("clv", "fit_mbgnbd")(_rfm()),
    "clv.fit_pareto_nbd": lambda: _cx("clv", "fit_pareto_nbd")(_rfm()),
    "clv.fit_gamma_gamma": lambda: _cx("clv", "fit_gamma_gamma")(_rfm()),
    "clv.fit_bgnbd_covariates": lambda: _cx("clv", "fit_bgnbd_covariates")(_rfmz(), purchase_covariates=["z"],
                                                                           dropout_covariates=["z"]),
    "clv.fit_pareto_nbd_covariates": lambda: _cx("clv", "fit_pareto_nbd_covariates")(
        _rfmz(), purchase_covariates=["z"], dropout_covariates=["z"]),
    "clv.fit_gamma_gamma_covariates": lambda: _cx("clv", "fit_gamma_gamma_covariates")(_rfmz(), covariates=["z"]),
    "ab.compare_proportions": lambda: _ab("compare_proportions")({"control": 120, "new": 141},
                                                                 {"control": 1000, "new": 1000}, seed=1),
    "ab.compare_counts": lambda: _ab("compare_counts")(totals=[230, 260], exposure=[100, 105], seed=1),
    "ab.compare_means": lambda: _ab("compare_means")({"a": [1., 2, 3, 4], "b": [2., 3, 4, 6]}, seed=1),
    "ab.compare_revenue": lambda: _ab("compare_revenue")(_experiment(), group="variant", value="revenue", seed=1),
    "ab.compare_nps": lambda: _ab("compare_nps")(counts={"a": [10, 20, 30], "b": [8, 20, 35]}, seed=1),
    "ab.compare_ratings": lambda: _ab("compare_ratings")(counts={"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 4, 5]}, seed=1),
    "ab.compare_retention": lambda: _ab("compare_retention")(_experiment(), duration="days_observed", event="churned",
                                                             group="variant", horizon=90, seed=1),
    "ab.diff_in_diff_proportions": lambda: _ab("diff_in_diff_proportions")(
        {k: 10 for k in importlib.import_module("cxmodels.ab.did").KEYS},
        {k: 100 for k in importlib.import_module("cxmodels.ab.did").KEYS}, seed=1),
    "ab.sample_size": lambda: _ab("sample_size")(0.1, 0.2, sizes=[1000, 2000], n_sims=200, seed=1),
    "metrics.nps": lambda: _cx("metrics", "nps")(counts=[20, 30, 50]),
    "metrics.csat": lambda: _cx("metrics", "csat")(scores=[1, 5, 4, 4]),
    "metrics.ces": lambda: _cx("metrics", "ces")(counts=[1] * 7),
    "metrics.nps_difference": lambda: _cx("metrics", "nps_difference")(scores_a=[9, 10, 3, 7], scores_b=[9, 9, 10, 2]),
    "metrics.track": lambda: _cx("metrics", "track")(
        pd.DataFrame({"wave": np.repeat(["w1", "w2", "w3"], 40),
                      "nps": np.random.default_rng(1).integers(0, 11, 120)}), group="wave", value="nps"),
    "metrics.composite_cx": lambda: _cx("metrics", "composite_cx")(
        pd.DataFrame(np.random.default_rng(2).normal(size=(80, 3)), columns=["a", "b", "y"]), ["a", "b"],
        outcome="y", n_boot=50, seed=1),
    "drivers.fit_threshold": lambda: _cx("drivers", "fit_threshold")(_attributes(), "sat_index", "loyalty"),
    "drivers.penalty_reward": lambda: _cx("drivers", "penalty_reward")(
        _attributes(), ["coverage", "billing", "support", "app", "perks"], "sat_index",
        low=_attributes().attrs["truth"]["low"], high=_attributes().attrs["truth"]["high"], n_boot=100, seed=1),
    "chain.fit_value_chain": _chain,
    "chain.evaluate_intervention": lambda: _cx("chain", "evaluate_intervention")(_chain(), _base().experiment, seed=1),
}


# --- examples of the fits added by the issue 15-19 work (same data helpers as their own tests)
_TH = ["price", "delivery", "service", "app", "quality"]


@functools.cache
def _platform(n=240, seed=1):
    rng = np.random.default_rng(seed)
    pre = rng.normal(10, 2, n)
    return pd.DataFrame({"variant": np.tile(["control", "new"], n // 2), "y": pre + rng.normal(0, 1, n),
                         "pre": pre, "sessions": rng.poisson(3, n) + 1.0, "look": np.repeat(np.arange(1, 5), n // 4),
                         "segment": np.tile(list("ABCDE"), n // 5), "store": np.repeat(np.arange(24), n // 24)})


def _history():
    return pd.DataFrame({"pre": np.random.default_rng(2).normal(10, 2, 300)}).assign(
        ltv=lambda h: 2 * h.pre + np.random.default_rng(3).normal(0, 1, 300))


@functools.cache
def _vb():
    from cxmodels import text as tx
    d = D.make_verbatims(600, seed=1, language="en")
    return d.join(tx.mentions(d, "text", d.attrs["truth"]["phrases"]))


@functools.cache
def _programme():
    rng = np.random.default_rng(3)
    n = 300
    return pd.DataFrame({"tp": np.tile(["app", "shop", "web"], n // 3), "rec": rng.integers(0, 11, n),
                         "sat": rng.integers(1, 6, n), "a": rng.normal(size=n), "b": rng.normal(size=n),
                         "kf": rng.integers(1, 6, n), "kd": rng.integers(1, 6, n), "resp": np.arange(n) % 3 == 0,
                         "date": np.repeat(pd.date_range("2025-01-01", periods=30), 10)})


FITS.update({
    "ab.cuped": lambda: _ab("cuped")(_platform(), group="variant", value="y", covariates="pre"),
    "ab.cuped_from_stats": lambda: _ab("cuped_from_stats")(
        _platform().assign(yy=lambda d: d.y ** 2, xx=lambda d: d.pre ** 2, xy=lambda d: d.y * d.pre)
        .groupby("variant").agg(n=("y", "size"), main_sum=("y", "sum"), main_sum_squares=("yy", "sum"),
                                covariate_sum=("pre", "sum"), covariate_sum_squares=("xx", "sum"),
                                main_covariate_sum_product=("xy", "sum")), covariate="pre"),
    "ab.power_analysis": lambda: _ab("power_analysis")("nps", shares=(0.4, 0.3, 0.3), effect=0.05, r2=0.2,
                                                       sequential=True, looks=3, n_sims=500, seed=1),
    "ab.cuped_bayes": lambda: _ab("cuped_bayes")(_platform(), group="variant", value="y", covariates="pre",
                                                 draws=500, seed=1),
    "ab.post_stratify": lambda: _ab("post_stratify")(_platform(), group="variant", value="y", strata="segment"),
    "ab.ratio_metric": lambda: _ab("ratio_metric")(_platform(), group="variant", numerator="y", denominator="sessions"),
    "ab.capped_means": lambda: _ab("capped_means")(_platform(), group="variant", value="y", pre="pre"),
    "ab.cluster_means": lambda: _ab("cluster_means")(
        _platform().assign(variant=lambda d: np.where(d.store % 2 == 0, "control", "new")),
        group="variant", value="y", cluster="store"),
    "ab.sequential_test": lambda: _ab("sequential_test")(_platform(), group="variant", look="look", value="y"),
    "ab.segment_effects": lambda: _ab("segment_effects")(_platform(), group="variant", value="y", segment="segment"),
    "ab.surrogate_index": lambda: _ab("surrogate_index")(_platform(), group="variant", surrogates="pre",
                                                         history=_history(), outcome="ltv"),
    "ab.adjust_pvalues": lambda: _ab("adjust_pvalues")(pd.DataFrame({"pvalue": [0.01, 0.2, 0.04]})),
    "ab.bundle_readout": lambda: _ab("bundle_readout")(
        {"a": _ab("compare_proportions")([10, 14], [100, 100], seed=1),
         "b": _ab("compare_proportions")([20, 25], [100, 100], seed=2)}, variant="B"),
    "churn.fine_gray": lambda: _cx("churn", "fine_gray")(_competing(), "duration", "cause", ["satisfaction"], cause=1),
    "churn.cause_specific_cox": lambda: _cx("churn", "cause_specific_cox")(_competing(), "duration", "cause",
                                                                           ["satisfaction"]),
    "churn.cox_cluster": lambda: _cx("churn", "cox_cluster")(_subs(), "duration", "event", ["satisfaction"],
                                                             group="segment"),
    "churn.cox_frailty": lambda: _cx("churn", "cox_frailty")(_subs(), "duration", "event", ["satisfaction"],
                                                             group="segment"),
    "churn.ml_survival": lambda: _cx("churn", "ml_survival")(
        _subs(), "duration", "event", ["satisfaction"], kind="discrete_hazard", cv=2, n_repeats=1,
        period_length=30, params={"max_iter": 20}, seed=1, progress=False),
    "churn.early_warning": lambda: _cx("churn", "early_warning")(
        _subs().assign(risk=lambda d: -d["satisfaction"]), "risk", duration="duration", event="event",
        horizon=float(_subs()["duration"].median()), budget=0.1, customer="customer_id"),
    "churn.journey": lambda: _cx("churn", "journey")(
        pd.DataFrame({"customer": [1, 1, 2, 3, 3], "start": [0, 2, 0, 0, 1], "stop": [2, 5, 3, 1, 4],
                      "stage": ["browse", "order", "browse", "browse", "order"],
                      "next": ["order", "churned", "censored", "order", "censored"]}),
        "customer", "start", "stop", "stage", "next"),
    "churn.service_level": lambda: _cx("churn", "service_level")(_subs(), "duration", "event", [30, 90],
                                                                 group="segment", goal=0.1),
    "text.tokenize": lambda: _cx("text", "tokenize")(_vb(), "text", language="en"),
    "text.keyness": lambda: _cx("text", "keyness")(_vb(), "text", "nps_group", focus="detractor", language="en"),
    "text.fit_topics": lambda: _cx("text", "fit_topics")(_vb(), "text", n_topics=[4, 5], language="en", seed=1,
                                                         n_seeds=2),
    "text.fit_sentiment": lambda: _cx("text", "fit_sentiment")(_vb(), "text", "rating", language="en", seed=1),
    "text.lexicon_sentiment": lambda: _cx("text", "lexicon_sentiment")(D.make_verbatims(200, seed=1), "text",
                                                                       rating="rating"),
    "text.nps_impact": lambda: _cx("text", "nps_impact")(_vb(), "rating", _TH, n_boot=100, seed=1),
    "text.theme_alarms": lambda: _cx("text", "theme_alarms")(_vb(), "date", _TH, n_sim=100, seed=1),
    "metrics.scorecard": lambda: _cx("metrics", "scorecard")(_programme(), group="tp", value="rec", benchmark=10),
    "metrics.control_chart": lambda: _cx("metrics", "control_chart")(_programme(), date="date", value="rec",
                                                                     metric="nps", chart="cusum"),
    "metrics.seasonality": lambda: _cx("metrics", "seasonality")(_programme(), date="date", value="sat"),
    "metrics.tracking_line": lambda: _cx("metrics", "tracking_line")(_programme(), date="date", value="sat"),
    "metrics.expectation_gaps": lambda: _cx("metrics", "expectation_gaps")(
        _programme(), {"x": {"perceived": "a", "expected": "b"}}),
    "metrics.rake": lambda: _cx("metrics", "rake")(_programme(), {"tp": {"app": 1, "shop": 1, "web": 2}}),
    "metrics.response_rates": lambda: _cx("metrics", "response_rates")(_programme(), group="tp", value="resp"),
    "drivers.key_drivers": lambda: _cx("drivers", "key_drivers")(_programme(), ["a", "b", "rec"], "sat", n_boot=50,
                                                                 seed=1, progress=False),
    "drivers.kano": lambda: _cx("drivers", "kano")(_programme(), {"x": ("kf", "kd")}, n_boot=50, seed=1),
})


#: Public functions that are not fits, with what they return instead of a Result.
NOT_FITS = {
    "churn.durations_from_dates": "a frame of durations", "churn.to_long_format": "a long frame",
    "churn.to_person_period": "a person-period frame", "churn.rmst": "a table of restricted means",
    "churn.cumulative_incidence_at": "a table at given times", "churn.churn_risk": "a frame of risks",
    "churn.brier_score": "a number", "churn.time_dependent_auc": "a number",
    "churn.calibration_table": "a table", "churn.plot_calibration": "an Axes",
    "churn.cox_time_varying": "a CoxResult (checked through churn.cox)",
    "clv.rfm_summary": "the RFM frame", "clv.rfm_segments": "a frame", "clv.customer_lifetime_value": "a frame",
    "clv.simple_clv": "a frame", "clv.customer_equity": "a number", "clv.contractual_clv": "a frame",
    "clv.discounted_expected_lifetime": "a number", "clv.discounted_expected_residual_lifetime": "numbers",
    "clv.simulate_bgnbd": "a frame", "clv.simulate_pareto_nbd": "a frame", "clv.simulate_spend": "an array",
    "clv.simulate_transactions": "a dict of frames",
    "clv.fit_bayes": "a BayesResult (MCMC; checked in tests/test_clv_bayes.py with convergence asserted)",
    "ab.ordinal_ratings": "an ABResult (MCMC; checked in tests/test_ab_pymc.py)",
    "ab.hierarchical_proportions": "an ABResult (MCMC; checked in tests/test_ab_pymc.py)",
    "ab.srm_check": "a table", "metrics.survey_sample_size": "a whole number", "metrics.effective_n": "a number",
    "metrics.wilson_interval": "a pair of numbers", "chain.index_point": "a number",
    "drivers.default_cuts": "a pair of numbers",
    "report.pseudonymize": "a frame", "report.write_report": "a path",
    "churn.churn_causes": "a list of causes", "churn.gap_rule": "a frame", "churn.recency_rule": "a frame",
    "churn.compare_warnings": "a table",
    "text.analyzer": "a callable str -> terms", "text.coherence": "a number", "text.mentions": "a 0/1 frame",
    "text.nps_groups": "a Series", "text.redact": "a redacted frame", "text.redact_text": "a string",
    "text.luhn_valid": "a bool", "text.china_id_valid": "a bool",
    "metrics.adjust_pvalues": "an array", "drivers.shapley_r2": "an array", "drivers.relative_weights": "an array",
    "drivers.evaluation_table": "a table",
    "clv.rfm_counts": "a frame of distinct rows with counts", "clv.discount_factor": "a number or array",
    "clv.discounted_purchases": "a pair of arrays", "_engine.arm_statistics": "a frame of per-arm statistics (ab.arm_statistics)", "clv.iter_scores": "a generator of scored frames",
    "clv.write_scores": "a number of rows",
}


def test_every_public_function_is_classified():
    unclassified = sorted(set(PUBLIC) - set(FITS) - set(NOT_FITS)
                          - {n for n in PUBLIC if n.startswith("datasets.")})
    assert not unclassified, ("public functions with no example in FITS and no entry in NOT_FITS "
                              f"(add one): {unclassified}")
    stale = sorted((set(FITS) | set(NOT_FITS)) - set(PUBLIC))
    assert not stale, f"entries naming no public function: {stale}"


_CITATION = re.compile(r"([A-Z][A-Za-z'\-]+(?: et al\.| (?:&|and) [A-Z][A-Za-z'\-]+)?),? \(?(\d{4}[a-z]?)\)?")


def _btyd_chain():
    from test_chain_btyd import MODEL, simulate
    beh, survey = simulate(0.4, n=300, n_resp=120, seed=11)
    return _cx("chain", "fit_value_chain")(beh, MODEL, survey=survey, customer="id", clv_model="bgnbd",
                                           spend="monetary_value", n_boot=0, seed=1, progress=False)


#: Further forms of a public fit whose result is another class (same surface required).
@functools.cache
def _aft_chain():
    from cxmodels.chain import fit_value_chain
    b = _base()
    return fit_value_chain(b.customers, b.model, n_boot=0, seed=1, progress=False, clv_model="loglogistic")


VARIANTS = {"chain.fit_value_chain[bgnbd]": _btyd_chain, "chain.fit_value_chain[loglogistic]": _aft_chain}


@pytest.mark.parametrize("name", sorted(FITS) + sorted(VARIANTS))
def test_result_surface(name):
    with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        res = (FITS.get(name) or VARIANTS[name])()
    assert isinstance(res, Result), f"{name} returned {type(res).__name__}, not a Result"
    table = res.summary()
    assert isinstance(table, pd.DataFrame) and len(table) > 0
    params = res.params
    assert isinstance(params, pd.Series) and len(params) > 0
    assert isinstance(res.provenance, Provenance)
    assert res.provenance.data is not None and res.provenance.method
    assert hasattr(res.provenance, "seed")
    assert isinstance(res.warnings, list) and all(isinstance(w, str) for w in res.warnings)
    assert isinstance(res.converged, bool) and isinstance(res.admissible, bool)
    refs = res.references
    assert len(refs) > 0 and all(isinstance(r, Reference) for r in refs), f"{name}: structured references"
    text = res.methods_text()
    assert isinstance(text, str) and len(text) > 40
    assert "nan" not in text.split() and "None" not in text.split()
    # every listed work is cited, and every citation in the text is listed
    cited = {r.cite for r in refs}
    assert all(c.split(" (")[0].split(" ")[0] in text for c in cited), f"{name}: a listed work is not cited"
    listed = {(r.surnames[0], r.year) for r in refs}
    for author, year in _CITATION.findall(text):
        first = author.split(" ")[0]
        assert (first, year) in listed, f"{name} cites {author} ({year}) without listing it"
    # plot(ax=None) -> Axes, on a given Axes too
    try:
        ax = res.plot()
    except NotImplementedError:
        ax = None
    if ax is not None:
        assert isinstance(ax, matplotlib.axes.Axes), f"{name}.plot() returned {type(ax).__name__}"
        fig, given = plt.subplots()
        assert res.plot(ax=given) is given
    plt.close("all")
    if hasattr(res, "decide"):
        assert isinstance(res.decide(), Decision)
