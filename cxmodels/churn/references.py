"""The works the churn domain cites, one :class:`~cxmodels.references.Reference` each.

Methods texts cite them by ``.cite`` and results list them in ``references``, so a report
prints every work it cites (``docs/architecture.md``, "The result contract").
"""

from __future__ import annotations

from ..references import ref

KAPLAN_MEIER = ref("Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from incomplete "
                   "observations. Journal of the American Statistical Association, 53(282), 457-481.")
GREENWOOD = ref("Greenwood, M. (1926). The natural duration of cancer. Reports on Public Health and "
                "Medical Subjects, 33, 1-26. His Majesty's Stationery Office.")
BROOKMEYER_CROWLEY = ref("Brookmeyer, R., & Crowley, J. (1982). A confidence interval for the median "
                         "survival time. Biometrics, 38(1), 29-41.")
THERNEAU_SURVIVAL = ref("Therneau, T. M. (2024). A package for survival analysis in R (R package "
                        "survival). https://CRAN.R-project.org/package=survival")
THERNEAU_GRAMBSCH = ref("Therneau, T. M., & Grambsch, P. M. (2000). Modeling survival data: Extending "
                        "the Cox model. Springer.")
ROYSTON_PARMAR = ref("Royston, P., & Parmar, M. K. B. (2013). Restricted mean survival time: An "
                     "alternative to the hazard ratio for the design and analysis of randomized trials "
                     "with a time-to-event outcome. BMC Medical Research Methodology, 13, 152.")
MANTEL = ref("Mantel, N. (1966). Evaluation of survival data and two new rank order statistics arising "
             "in its consideration. Cancer Chemotherapy Reports, 50(3), 163-170.")
PETO_PETO = ref("Peto, R., & Peto, J. (1972). Asymptotically efficient rank invariant test procedures. "
                "Journal of the Royal Statistical Society A, 135(2), 185-207.")
COX = ref("Cox, D. R. (1972). Regression models and life-tables. Journal of the Royal Statistical "
          "Society B, 34(2), 187-220.")
EFRON = ref("Efron, B. (1977). The efficiency of Cox's likelihood function for censored data. Journal "
            "of the American Statistical Association, 72(359), 557-565.")
GRAMBSCH_THERNEAU = ref("Grambsch, P. M., & Therneau, T. M. (1994). Proportional hazards tests and "
                        "diagnostics based on weighted residuals. Biometrika, 81(3), 515-526.")
DAVIDSON_PILON = ref("Davidson-Pilon, C. (2019). lifelines: Survival analysis in Python. Journal of "
                     "Open Source Software, 4(40), 1317.")
KALBFLEISCH_PRENTICE = ref("Kalbfleisch, J. D., & Prentice, R. L. (2002). The statistical analysis of "
                           "failure time data (2nd ed.). Wiley.")
AALEN_JOHANSEN = ref("Aalen, O. O., & Johansen, S. (1978). An empirical transition matrix for "
                     "non-homogeneous Markov chains based on censored observations. Scandinavian "
                     "Journal of Statistics, 5(3), 141-150.")
FADER_HARDIE_2007 = ref("Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. "
                        "Journal of Interactive Marketing, 21(1), 76-90.")
FADER_HARDIE_2010 = ref("Fader, P. S., & Hardie, B. G. S. (2010). Customer-base valuation in a "
                        "contractual setting: The perils of ignoring heterogeneity. Marketing Science, "
                        "29(1), 85-93.")
PRENTICE_GLOECKLER = ref("Prentice, R. L., & Gloeckler, L. A. (1978). Regression analysis of grouped "
                         "survival data with application to breast cancer data. Biometrics, 34(1), 57-67.")
ALLISON = ref("Allison, P. D. (1982). Discrete-time methods for the analysis of event histories. "
              "Sociological Methodology, 13, 61-98.")
