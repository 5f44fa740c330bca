"""Shifted-beta-geometric model: Fader & Hardie (2007) estimates and projections for the
"regular" and "high end" cohorts, and the DERL of Fader & Hardie (2010)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cxmodels.churn import SBGResult, fit_sbg
from cxmodels.errors import ImproperSolutionWarning, InputError

# Fader & Hardie (2007): customers of a 1,000-strong cohort alive at the start of years 0-8;
# years 0-7 are the calibration period (as in the paper), year 8 is held out.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468]
PAPER = {"regular": (REGULAR, 0.704, 1.182), "high_end": (HIGH_END, 0.668, 3.806)}


@pytest.mark.parametrize("name", list(PAPER))
def test_fader_hardie_2007_estimates(name):
    counts, alpha, beta = PAPER[name]
    m = fit_sbg(counts[:8])
    assert m.alpha == pytest.approx(alpha, abs=5e-4)
    assert m.beta == pytest.approx(beta, abs=5e-4)
    assert list(m.params.index) == ["alpha", "beta"]
    assert m.summary().loc["alpha", "ci_lower"] < alpha < m.summary().loc["alpha", "ci_upper"]


@pytest.mark.parametrize("name", list(PAPER))
def test_projection_to_year_12(name):
    counts, alpha, beta = PAPER[name]
    m = fit_sbg(counts[:8])
    p = m.project(12)
    assert len(p) == 13 and p["survival"].iloc[0] == 1.0
    # the closed form at the paper's parameters
    from scipy.special import betaln
    t = np.arange(13)
    closed = np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))
    np.testing.assert_allclose(p["survival"], closed, atol=5e-4)
    # the hold-out year 8 within 2% of the projection and inside its interval
    assert abs(p["expected_alive"].iloc[8] - counts[8]) / counts[8] < 0.02
    assert p["survival_lower"].iloc[8] * 1000 < counts[8] < p["survival_upper"].iloc[8] * 1000
    assert np.all(p["survival_lower"] <= p["survival"]) and np.all(p["survival"] <= p["survival_upper"])
    # retention rises with tenure (sorting) and equals S(t)/S(t-1)
    r = p["retention"].to_numpy()[1:]
    assert np.all(np.diff(r) > 0)
    np.testing.assert_allclose(r, p["survival"].to_numpy()[1:] / p["survival"].to_numpy()[:-1])


def test_regular_projection_numbers():
    """Projected survivors per 1,000 (years 8-12) at the fitted parameters (the paper's
    Figure 4 curves are this closed form); recorded here so regressions show."""
    m = fit_sbg(REGULAR[:8])
    proj = m.project(12)["expected_alive"].to_numpy()[8:]
    np.testing.assert_allclose(proj, [220.1, 204.4, 191.2, 179.9, 170.0], atol=0.1)


@pytest.mark.parametrize("d,n", [(0.1, 1), (0.1, 5), (0.15, 3)])
def test_derl_equals_its_series(d, n):
    m = fit_sbg(REGULAR[:8])
    t = np.arange(n, 3000)
    series = np.sum(m.survival(t) / m.survival(n - 1) / (1 + d) ** (t - n))
    assert m.derl(d, n) == pytest.approx(series, rel=1e-8)
    t0 = np.arange(0, 3000)
    assert m.del_(d) == pytest.approx(np.sum(m.survival(t0) / (1 + d) ** t0), rel=1e-8)
    # a customer who has renewed more is worth more (sorting)
    assert m.derl(d, n + 1) > m.derl(d, n)


@pytest.mark.parametrize("bad", [[1000, 1200, 500], [1000, 500], [1000, np.nan, 400], [1000, 600.5, 400],
                                 [0, 0, 0], [1000, -1, -2]])
def test_bad_counts(bad):
    with pytest.raises(InputError):
        fit_sbg(bad)


def test_a_function_returning_a_result():
    m = fit_sbg(REGULAR[:8])
    assert isinstance(m, SBGResult) and not hasattr(m, "fit")
    assert m.provenance.method == "churn.fit_sbg" and m.converged and m.admissible and m.warnings == []
    assert len(m.references) == 2 and all(ref.cite in m.methods_text() for ref in m.references)
    # the same cohort as a frame with one row per period
    f = fit_sbg(pd.DataFrame({"period": range(8), "alive": REGULAR[:8]}), alive="alive")
    np.testing.assert_allclose(f.params, m.params)
    with pytest.raises(InputError, match="alive="):
        fit_sbg(pd.DataFrame({"alive": REGULAR[:8]}))


def test_homogeneous_cohort_is_flagged():
    """A constant churn rate (0.3) has no heterogeneity: alpha and beta diverge together and
    only their ratio is identified.  Warned, recorded and flagged, every time."""
    counts = np.round([1000 * 0.7 ** t for t in range(8)])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        m = fit_sbg(counts)
    assert m.alpha / (m.alpha + m.beta) == pytest.approx(0.3, abs=0.01)
    assert any(issubclass(w.category, ImproperSolutionWarning) for w in rec)
    assert any("no sign of heterogeneity" in w for w in m.warnings) and not m.admissible
    # the paper's cohorts are heterogeneous: not flagged
    assert fit_sbg(REGULAR[:8]).admissible and fit_sbg(HIGH_END[:8]).admissible


@pytest.mark.parametrize("counts,pattern", [([500, 500, 500, 500], "no churners"),
                                            ([500, 0, 0], "first period")])
def test_degenerate_cohorts_are_flagged(counts, pattern):
    with pytest.warns(ImproperSolutionWarning, match=pattern):
        m = fit_sbg(counts)
    assert not m.admissible and any(pattern in w for w in m.warnings)
