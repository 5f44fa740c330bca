"""The CX measurement programme: everyday metrics and the programme built on them.

- :mod:`~cxmodels.metrics.core`: CSAT, NPS and CES with intervals, weights, survey sample
  sizes, a composite CX score and wave-to-wave tracking (:class:`MetricResult`).
- :mod:`~cxmodels.metrics.scorecards`: the metric for k touchpoints, channels or brands at
  once, with multiplicity-adjusted differences and a benchmark view.
- :mod:`~cxmodels.metrics.streams`: daily or weekly streams of a metric monitored by EWMA and
  CUSUM charts with limits from its sampling distribution, STL seasonality and a local-level
  tracking line.
- :mod:`~cxmodels.metrics.gaps`: expectations (zone of tolerance, disconfirmation gaps).
- :mod:`~cxmodels.metrics.survey`: response rates and raking to known margins (finite-population
  corrections and small-cell suppression are options of the scorecard).

Every public fit returns a :class:`~cxmodels._results.Result` subclass (``docs/architecture.md``).
"""

from __future__ import annotations

from .core import (MetricResult, ces, composite_cx, csat, effective_n, nps, nps_difference, survey_sample_size,
                   track, wilson_interval)

from .gaps import GapResult, expectation_gaps
from .scorecards import ScorecardResult, adjust_pvalues, scorecard
from .survey import RakingResult, ResponseRateResult, rake, response_rates
from .streams import (ControlChartResult, LocalLevelResult, SeasonalityResult, arl_cusum, arl_ewma, control_chart,
                      cusum_limit, ewma_limit, seasonality, tracking_line)

__all__ = ["csat", "nps", "nps_difference", "ces", "survey_sample_size", "composite_cx", "track",
           "effective_n", "wilson_interval", "MetricResult",
           "scorecard", "ScorecardResult", "adjust_pvalues",
           "control_chart", "ControlChartResult", "seasonality", "SeasonalityResult", "tracking_line",
           "LocalLevelResult", "arl_ewma", "arl_cusum", "ewma_limit", "cusum_limit",
           "expectation_gaps", "GapResult", "rake", "RakingResult", "response_rates", "ResponseRateResult"]
