"""Survival models of churn: Kaplan-Meier retention curves, log-rank tests, restricted
mean survival time, competing risks (cumulative incidence), Cox proportional hazards
(Efron ties, strata, left truncation, time-varying covariates, Schoenfeld PH check),
parametric AFT models, discrete-time (cloglog) hazards for renewal data,
shifted-beta-geometric cohort retention with DERL, the BG/BB for discrete-time
noncontractual repeat transactions (Fader, Hardie & Shang 2010), churn risk scores with Brier score,
time-dependent AUC and calibration, and data preparation from subscription dates.

lifelines is the engine where it fits and is imported inside the functions that use it,
so ``import cxmodels.churn`` stays light.  Numbers are tested against R's survival package
(tests/test_churn_parity.py, fixtures from tests/fixtures/survival/make_fixtures.R) and
against Fader & Hardie (2007) for the sBG.  Survival results (Kaplan-Meier, Cox, AFT) write
a runnable R ``survival`` script with ``to_r()`` (tests/test_r_scripts_churn.py runs them).
Input checks shared with combiners live in :mod:`cxmodels.churn.checks`.
"""

from .aft import AFTResult, aft
from .bgbb import BGBBResult, fit_bgbb
from .competing import CumulativeIncidenceResult, cumulative_incidence, cumulative_incidence_at
from .cox import CoxResult, cox, cox_time_varying
from .finegray import CauseSpecificCoxResult, FineGrayResult, cause_specific_cox, churn_causes, fine_gray
from .frailty import ClusteredCoxResult, FrailtyResult, cox_cluster, cox_frailty
from .ml import MLSurvivalResult, ml_survival
from .warning import EarlyWarningResult, compare_warnings, early_warning, gap_rule, recency_rule
from .multistate import JourneyResult, journey
from .resolution import ServiceLevelResult, service_level
from .discrete import DiscreteHazardResult, discrete_time_hazard, to_person_period
from .kaplan_meier import KaplanMeierResult, kaplan_meier, rmst
from .logrank import LogRankResult, logrank
from .prep import durations_from_dates, to_long_format
from .sbg import SBGCohortsResult, SBGResult, fit_sbg, fit_sbg_cohorts
from .scoring import brier_score, calibration_table, churn_risk, plot_calibration, time_dependent_auc

__all__ = [
    # data preparation
    "durations_from_dates", "to_long_format", "to_person_period",
    # curves and tests
    "kaplan_meier", "rmst", "logrank", "cumulative_incidence", "cumulative_incidence_at",
    # regression
    "cox", "cox_time_varying", "aft", "discrete_time_hazard",
    # competing risks regression
    "fine_gray", "cause_specific_cox", "churn_causes",
    # clustered customers
    "cox_cluster", "cox_frailty",
    # machine learning
    "ml_survival",
    # early warning
    "early_warning", "compare_warnings", "gap_rule", "recency_rule",
    # journeys
    "journey", "service_level",
    # cohorts and discrete-time repeat transactions
    "fit_sbg", "fit_sbg_cohorts", "fit_bgbb",
    # risk scores and their evaluation
    "churn_risk", "brier_score", "time_dependent_auc", "calibration_table", "plot_calibration",
    # result classes
    "KaplanMeierResult", "LogRankResult", "CoxResult", "AFTResult", "DiscreteHazardResult",
    "CumulativeIncidenceResult", "SBGResult", "FineGrayResult", "CauseSpecificCoxResult",
    "ClusteredCoxResult", "FrailtyResult", "MLSurvivalResult",
    "EarlyWarningResult", "JourneyResult",
    "ServiceLevelResult", "BGBBResult", "SBGCohortsResult",
]
