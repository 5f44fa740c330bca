"""The works the covariance-based SEM results cite, as structured references.

``methods_text()`` cites them by :attr:`~cxmodels.references.Reference.cite` and each result
lists the same objects in ``references``, so a report cannot cite a work it does not list.
(The PLS engine keeps its own list in :mod:`cxmodels.sem.pls.references`.)
"""

from ..references import ref

BOLLEN = ref("Bollen, K. A. (1989). Structural equations with latent variables. Wiley.")
ROSSEEL = ref("Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. "
              "Journal of Statistical Software, 48(2), 1-36. https://doi.org/10.18637/jss.v048.i02")
HU_BENTLER = ref("Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance "
                 "structure analysis: Conventional criteria versus new alternatives. Structural Equation "
                 "Modeling, 6(1), 1-55.")
YUAN_BENTLER = ref("Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean and "
                   "covariance structure analysis with nonnormal missing data. Sociological Methodology, "
                   "30, 165-200.")
ARBUCKLE = ref("Arbuckle, J. L. (1996). Full information estimation in the presence of incomplete data. "
               "In G. A. Marcoulides & R. E. Schumacker (Eds.), Advanced structural equation modeling "
               "(pp. 243-277). Erlbaum.")
OLSSON = ref("Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient. "
             "Psychometrika, 44(4), 443-460.")
MUTHEN_1997 = ref("Muthen, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted "
                  "least squares and quadratic estimating equations in latent variable modeling with "
                  "categorical and continuous outcomes. Unpublished manuscript.")
ASPAROUHOV_MUTHEN = ref("Asparouhov, T., & Muthen, B. (2010). Simple second order chi-square correction. "
                        "Mplus technical appendix.")
MEREDITH = ref("Meredith, W. (1993). Measurement invariance, factor analysis and factorial invariance. "
               "Psychometrika, 58(4), 525-543.")
VANDENBERG_LANCE = ref("Vandenberg, R. J., & Lance, C. E. (2000). A review and synthesis of the measurement "
                       "invariance literature: Suggestions, practices, and recommendations for organizational "
                       "research. Organizational Research Methods, 3(1), 4-70.")
CHEUNG_RENSVOLD = ref("Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for "
                      "testing measurement invariance. Structural Equation Modeling, 9(2), 233-255.")
SATORRA_BENTLER = ref("Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test statistic "
                      "for moment structure analysis. Psychometrika, 66(4), 507-514.")
EFRON_TIBSHIRANI = ref("Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. "
                       "Chapman & Hall.")
PREACHER_HAYES = ref("Preacher, K. J., & Hayes, A. F. (2008). Asymptotic and resampling strategies for "
                     "assessing and comparing indirect effects in multiple mediator models. Behavior "
                     "Research Methods, 40(3), 879-891.")
BOLLEN_1987 = ref("Bollen, K. A. (1987). Total, direct, and indirect effects in structural equation models. "
                  "Sociological Methodology, 17, 37-69.")
ASPAROUHOV_2005 = ref("Asparouhov, T. (2005). Sampling weights in latent variable modeling. Structural Equation "
                      "Modeling, 12(3), 411-434.")
MUTHEN_SATORRA_1995 = ref("Muthen, B. O., & Satorra, A. (1995). Complex sample data in structural equation "
                          "modeling. Sociological Methodology, 25, 267-316.")

MCDONALD_GOLDSTEIN = ref("McDonald, R. P., & Goldstein, H. (1989). Balanced versus unbalanced designs for "
                         "linear structural relations in two-level data. British Journal of Mathematical and "
                         "Statistical Psychology, 42(2), 215-232. https://doi.org/10.1111/j.2044-8317.1989.tb00911.x")

ASPAROUHOV_MUTHEN_2005 = ref("Asparouhov, T., & Muthen, B. (2005). Multivariate statistical modeling with survey "
                             "data. Proceedings of the Federal Committee on Statistical Methodology (FCSM) Research "
                             "Conference.")

MUTHEN_1994 = ref("Muthen, B. O. (1994). Multilevel covariance structure analysis. Sociological Methods & "
                  "Research, 22(3), 376-398. https://doi.org/10.1177/0049124194022003006")

ROSSEEL_LOH = ref("Rosseel, Y., & Loh, W. W. (2022). A structural after measurement approach to structural "
                  "equation modeling. Psychological Methods. Advance online publication. "
                  "https://doi.org/10.1037/met0000503")

SATORRA_2000 = ref("Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample analysis of moment "
                   "structures. In R. D. H. Heijmans, D. S. G. Pollock, & A. Satorra (Eds.), Innovations in "
                   "multivariate statistical analysis (pp. 233-247). Kluwer.")
WU_ESTABROOK = ref("Wu, H., & Estabrook, R. (2016). Identification of confirmatory factor analysis models of "
                   "different levels of invariance for ordered categorical outcomes. Psychometrika, 81(4), "
                   "1014-1045.")
