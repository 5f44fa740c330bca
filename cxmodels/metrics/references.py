"""The works the metrics domain cites (survey metrics, scorecards, control charts, expectations).

Each is a :class:`~cxmodels.references.Reference`: ``methods_text()`` cites it by ``.cite``
and the result lists it in ``references``, so a report lists every work it cites.
"""

from __future__ import annotations

from ..references import ref

# --- survey metrics (core) ------------------------------------------------------------------------
REICHHELD = ref("Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review, 81(12), "
                "46-54.")
WILSON = ref("Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. "
             "Journal of the American Statistical Association, 22(158), 209-212.")
KISH = ref("Kish, L. (1965). Survey sampling. Wiley.")
ROCKS = ref("Rocks (2016). The margin of error of an NPS.")  # as cited since the first release; entry incomplete
EFRON = ref("Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman & Hall.")

# --- scorecards ---------------------------------------------------------------------------------
HOLM = ref("Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal of "
           "Statistics, 6(2), 65-70.")
BENJAMINI = ref("Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: A practical and "
                "powerful approach to multiple testing. Journal of the Royal Statistical Society, Series B, 57(1), "
                "289-300.")
DUNN = ref("Dunn, O. J. (1961). Multiple comparisons among means. Journal of the American Statistical "
           "Association, 56(293), 52-64.")

# --- streams --------------------------------------------------------------------------------------
MONTGOMERY = ref("Montgomery, D. C. (2013). Introduction to statistical quality control (7th ed.). Wiley.")
ROBERTS = ref("Roberts, S. W. (1959). Control chart tests based on geometric moving averages. Technometrics, "
              "1(3), 239-250.")
PAGE = ref("Page, E. S. (1954). Continuous inspection schemes. Biometrika, 41(1/2), 100-115.")
BROOK = ref("Brook, D., & Evans, D. A. (1972). An approach to the probability distribution of CUSUM run "
            "length. Biometrika, 59(3), 539-549.")
LUCAS = ref("Lucas, J. M., & Saccucci, M. S. (1990). Exponentially weighted moving average control schemes: "
            "Properties and enhancements. Technometrics, 32(1), 1-12.")
CLEVELAND = ref("Cleveland, R. B., Cleveland, W. S., McRae, J. E., & Terpenning, I. (1990). STL: A seasonal-"
                "trend decomposition procedure based on loess. Journal of Official Statistics, 6(1), 3-73.")
DURBIN = ref("Durbin, J., & Koopman, S. J. (2012). Time series analysis by state space methods (2nd ed.). "
             "Oxford University Press.")
SEABOLD = ref("Seabold, S., & Perktold, J. (2010). Statsmodels: Econometric and statistical modeling with "
              "Python. In Proceedings of the 9th Python in Science Conference (pp. 92-96).")

# --- expectations ---------------------------------------------------------------------------------
OLIVER = ref("Oliver, R. L. (1980). A cognitive model of the antecedents and consequences of satisfaction "
             "decisions. Journal of Marketing Research, 17(4), 460-469.")
PARASURAMAN = ref("Parasuraman, A., Zeithaml, V. A., & Berry, L. L. (1988). SERVQUAL: A multiple-item scale for "
                  "measuring consumer perceptions of service quality. Journal of Retailing, 64(1), 12-40.")
ZEITHAML = ref("Zeithaml, V. A., Berry, L. L., & Parasuraman, A. (1993). The nature and determinants of customer "
               "expectations of service. Journal of the Academy of Marketing Science, 21(1), 1-12.")

# --- the survey ---------------------------------------------------------------------------------
DEMING = ref("Deming, W. E., & Stephan, F. F. (1940). On a least squares adjustment of a sampled frequency table "
             "when the expected marginal totals are known. The Annals of Mathematical Statistics, 11(4), 427-444.")
COCHRAN = ref("Cochran, W. G. (1977). Sampling techniques (3rd ed.). Wiley.")
GELMAN_2006 = ref("Gelman, A. (2006). Prior distributions for variance parameters in hierarchical models. Bayesian "
                  "Analysis, 1(3), 515-534.")
