"""Bayesian A/B evaluation of CX interventions.

Conjugate models for any number of variants, each returning an :class:`ABResult`
(``prob_best``, ``expected_loss``, ``lift``, ``decide``, plots, provenance, methods text):

* :func:`compare_proportions`: conversion, retention at a horizon (Beta-Binomial; exact
  P(B > A) with two variants);
* :func:`compare_counts`: events per user (Gamma-Poisson; exact with two variants);
* :func:`compare_means`: Normal with unknown variance (raw data or sufficient statistics);
* :func:`compare_revenue`: revenue per user, log-normal with a zero hurdle;
* :func:`compare_nps`, :func:`compare_ratings`: Dirichlet-multinomial on NPS categories and
  1-5 rating distributions (raw answers as ``data=``/``scores=``, tallies as ``counts=``:
  never guessed from the values);
* :func:`compare_retention`: retention curves, piecewise-exponential with Gamma hazards.

:func:`diff_in_diff_proportions` gives a posterior difference-in-differences for
strategies rolled out without randomization.

PyMC models (imported on use): :func:`ordinal_ratings` (ordered logistic) and
:func:`hierarchical_proportions` (partial pooling across segments).  Frequentist
cross-checks and the sample-ratio-mismatch check are in :mod:`cxmodels.ab.frequentist`;
design by simulation in :func:`sample_size` (users per variant of an experiment; the survey
margin-of-error size is :func:`cxmodels.metrics.survey_sample_size`).

Experimentation-platform methods (frequentist :class:`EffectResult` unless noted):
:func:`cuped` and :func:`cuped_bayes` (an ``ABResult``) regression adjustment on pre-period
covariates (:func:`cuped_from_stats` from per-variant sufficient statistics),
:func:`post_stratify`; :func:`ratio_metric` (delta method), :func:`capped_means` (cap from the
pre-period), :func:`cluster_means` (cluster-randomised); :func:`sequential_test`
(always-valid p-values and confidence sequences, a :class:`SequentialResult`);
:func:`adjust_pvalues` (Holm, Benjamini-Hochberg) and :func:`bundle_readout` (joint P and
expected loss of a variant across Bayesian readouts); :func:`segment_effects` (partially
pooled effects by segment); :func:`surrogate_index` (long-run effect from short-run surrogates
calibrated on a historical frame).

Logs too large for pandas (DuckDB, Parquet, Spark): :func:`arm_statistics` computes
``n, sum, sum_sq, mean, var`` per variant (and segment) on the engine, and the comparisons take
that table: ``compare_means(stats=t, group="arm")``, or ``compare_proportions(t["sum"], t["n"])``
with ``t`` indexed by variant, so only per-arm statistics leave the engine.

Every comparison needs at least two variants.  ``decide()`` returns the core
:class:`cxmodels._results.Decision` (re-exported here as ``Decision``).
"""

from .._engine import arm_statistics
from .categorical import compare_nps, compare_ratings
from .cuped import cuped, cuped_bayes, cuped_from_stats, post_stratify
from .effects import EffectResult
from .counts import compare_counts
from .design import SampleSizeResult, sample_size
from .did import DiDResult, diff_in_diff_proportions
from .frequentist import srm_check
from .heterogeneous import SegmentResult, segment_effects
from .means import compare_means
from .multiple import BundleResult, MultipleResult, adjust_pvalues, bundle_readout
from .power import PowerResult, power_analysis
from .proportions import compare_proportions
from .ratio import capped_means, cluster_means, ratio_metric
from .result import ABResult, Decision
from .retention import compare_retention
from .revenue import compare_revenue
from .sequential import SequentialResult, sequential_test
from .surrogate import surrogate_index


def __getattr__(name):
    if name in ("ordinal_ratings", "hierarchical_proportions"):
        from . import bayes_models
        return getattr(bayes_models, name)
    raise AttributeError(f"module 'cxmodels.ab' has no attribute {name!r}")


__all__ = ["compare_proportions", "compare_counts", "compare_means", "compare_revenue", "compare_nps",
           "compare_ratings", "compare_retention", "diff_in_diff_proportions", "ordinal_ratings", "hierarchical_proportions", "sample_size", "srm_check",
           "ABResult", "DiDResult", "SampleSizeResult", "Decision",
           # experimentation-platform methods (issue 15)
           "cuped", "cuped_bayes", "cuped_from_stats", "post_stratify", "ratio_metric", "capped_means", "cluster_means",
           "sequential_test", "adjust_pvalues", "bundle_readout", "segment_effects", "surrogate_index",
           "power_analysis", "PowerResult", "arm_statistics",
           "EffectResult", "SequentialResult", "MultipleResult", "BundleResult", "SegmentResult"]
