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

# ---- competing risks, frailty, machine learning, early warning (issue 16) -----------------------
FINE_GRAY = ref("Fine, J. P., & Gray, R. J. (1999). A proportional hazards model for the subdistribution of "
                "a competing risk. Journal of the American Statistical Association, 94(446), 496-509.")
GRAY_CMPRSK = ref("Gray, R. J. (2024). cmprsk: Subdistribution analysis of competing risks (R package). "
                  "https://CRAN.R-project.org/package=cmprsk")
PUTTER = ref("Putter, H., Fiocco, M., & Geskus, R. B. (2007). Tutorial in biostatistics: Competing risks and "
             "multi-state models. Statistics in Medicine, 26(11), 2389-2430.")
LIN_WEI = ref("Lin, D. Y., & Wei, L. J. (1989). The robust inference for the Cox proportional hazards model. "
              "Journal of the American Statistical Association, 84(408), 1074-1078.")
NIELSEN = ref("Nielsen, G. G., Gill, R. D., Andersen, P. K., & Sorensen, T. I. A. (1992). A counting process "
              "approach to maximum likelihood estimation in frailty models. Scandinavian Journal of "
              "Statistics, 19(1), 25-43.")
KLEIN = ref("Klein, J. P. (1992). Semiparametric estimation of random effects using the Cox model based on "
            "the EM algorithm. Biometrics, 48(3), 795-806.")
ISHWARAN = ref("Ishwaran, H., Kogalur, U. B., Blackstone, E. H., & Lauer, M. S. (2008). Random survival "
               "forests. The Annals of Applied Statistics, 2(3), 841-860.")
HOTHORN = ref("Hothorn, T., Buhlmann, P., Dudoit, S., Molinaro, A., & van der Laan, M. J. (2006). Survival "
              "ensembles. Biostatistics, 7(3), 355-373.")
POLSTERL = ref("Polsterl, S. (2020). scikit-survival: A library for time-to-event analysis built on top of "
               "scikit-learn. Journal of Machine Learning Research, 21(212), 1-6.")
PEDREGOSA = ref("Pedregosa, F., Varoquaux, G., Gramfort, A., Michel, V., Thirion, B., Grisel, O., Blondel, M., "
                "Prettenhofer, P., Weiss, R., Dubourg, V., Vanderplas, J., Passos, A., Cournapeau, D., Brucher, "
                "M., Perrot, M., & Duchesnay, E. (2011). Scikit-learn: Machine learning in Python. Journal of "
                "Machine Learning Research, 12, 2825-2830.")
GRAF = ref("Graf, E., Schmoor, C., Sauerbrei, W., & Schumacher, M. (1999). Assessment and comparison of "
           "prognostic classification schemes for survival data. Statistics in Medicine, 18(17-18), 2529-2545.")
UNO_C = ref("Uno, H., Cai, T., Pencina, M. J., D'Agostino, R. B., & Wei, L. J. (2011). On the C-statistics for "
            "evaluating overall adequacy of risk prediction procedures with censored survival data. Statistics "
            "in Medicine, 30(10), 1105-1117.")
UNO_AUC = ref("Uno, H., Cai, T., Tian, L., & Wei, L. J. (2007). Evaluating prediction rules for t-year "
              "survivors with censored regression models. Journal of the American Statistical Association, "
              "102(478), 527-537.")
BREIMAN = ref("Breiman, L. (2001). Random forests. Machine Learning, 45(1), 5-32.")
NESLIN = ref("Neslin, S. A., Gupta, S., Kamakura, W., Lu, J., & Mason, C. H. (2006). Defection detection: "
             "Measuring and understanding the predictive accuracy of customer churn models. Journal of "
             "Marketing Research, 43(2), 204-211.")

FADER_HARDIE_SHANG = ref("Fader, P. S., Hardie, B. G. S., & Shang, J. (2010). Customer-base analysis in a "
                         "discrete-time noncontractual setting. Marketing Science, 29(6), 1086-1108.")
