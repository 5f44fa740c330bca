"""The works the PLS-SEM results cite, one :class:`~cxmodels.references.Reference` each.

``methods_text()`` cites them by :attr:`~cxmodels.references.Reference.cite` and each result
lists the same objects in ``references``, so a report cannot cite a work it does not list.
Reliability and validity works live in :mod:`cxmodels.sem.measurement.references`.
"""

from __future__ import annotations

from ...references import ref

WOLD = ref("Wold, H. (1982). Soft modeling: The basic design and some extensions. In K. G. Joreskog & "
           "H. Wold (Eds.), Systems under indirect observation, Part II (pp. 1-54). North-Holland.")
LOHMOLLER = ref("Lohmoller, J.-B. (1989). Latent variable path modeling with partial least squares. "
                "Physica.")
TENENHAUS = ref("Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path "
                "modeling. Computational Statistics & Data Analysis, 48(1), 159-205.")
DIJKSTRA_HENSELER_CSDA = ref("Dijkstra, T. K., & Henseler, J. (2015a). Consistent and asymptotically normal PLS "
                             "estimators for linear structural equations. Computational Statistics & Data "
                             "Analysis, 81, 10-23.")
FORNELL_ACSI = ref("Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996). The "
                   "American Customer Satisfaction Index: Nature, purpose, and findings. Journal of "
                   "Marketing, 60(4), 7-18.")
RINGLE_SARSTEDT = ref("Ringle, C. M., & Sarstedt, M. (2016). Gain more insight from your PLS-SEM results: "
                      "The importance-performance map analysis. Industrial Management & Data Systems, "
                      "116(9), 1865-1886.")
HAIR = ref("Hair, J. F., Hult, G. T. M., Ringle, C. M., & Sarstedt, M. (2017). A primer on partial least "
           "squares structural equation modeling (PLS-SEM) (2nd ed.). Sage.")
EFRON_BCA = ref("Efron, B. (1987). Better bootstrap confidence intervals. Journal of the American "
                "Statistical Association, 82(397), 171-185.")
EFRON_TIBSHIRANI = ref("Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. "
                       "Chapman & Hall.")
HENSELER_MICOM = ref("Henseler, J., Ringle, C. M., & Sarstedt, M. (2016). Testing measurement invariance of "
                     "composites using partial least squares. International Marketing Review, 33(3), 405-431.")
CHIN_DIBBERN = ref("Chin, W. W., & Dibbern, J. (2010). An introduction to a permutation based procedure for "
                   "multi-group PLS analysis. In V. Esposito Vinzi, W. W. Chin, J. Henseler, & H. Wang (Eds.), "
                   "Handbook of partial least squares (pp. 171-193). Springer.")
ROUSSEEUW = ref("Rousseeuw, P. J. (1987). Silhouettes: A graphical aid to the interpretation and validation "
                "of cluster analysis. Journal of Computational and Applied Mathematics, 20, 53-65.")
SHMUELI_2016 = ref("Shmueli, G., Ray, S., Velasquez Estrada, J. M., & Chatla, S. B. (2016). The elephant in "
                   "the room: Predictive performance of PLS models. Journal of Business Research, 69(10), "
                   "4552-4564.")
SHMUELI_2019 = ref("Shmueli, G., Sarstedt, M., Hair, J. F., Cheah, J.-H., Ting, H., Vaithilingam, S., & "
                   "Ringle, C. M. (2019). Predictive model assessment in PLS-SEM: Guidelines for using "
                   "PLSpredict. European Journal of Marketing, 53(11), 2322-2347.")
LIENGAARD_2021 = ref("Liengaard, B. D., Sharma, P. N., Hult, G. T. M., Jensen, M. B., Sarstedt, M., Hair, J. F., "
                     "& Ringle, C. M. (2021). Prediction: Coveted, yet forsaken? Introducing a cross-validated "
                     "predictive ability test in partial least squares path modeling. Decision Sciences, 52(2), "
                     "362-392.")
SHARMA_2023 = ref("Sharma, P. N., Liengaard, B. D., Hair, J. F., Sarstedt, M., & Ringle, C. M. (2023). "
                  "Predictive model assessment and selection in composite-based modeling using PLS-SEM: "
                  "Extensions and guidelines for using CVPAT. European Journal of Marketing, 57(6), 1662-1677.")

BECKER_ISMAIL = ref("Becker, J.-M., & Ismail, I. R. (2016). Accounting for sampling weights in PLS path modeling: "
                    "Simulations and empirical examples. European Management Journal, 34(6), 606-617.")

HENSELER_2014 = ref("Henseler, J., Dijkstra, T. K., Sarstedt, M., Ringle, C. M., Diamantopoulos, A., Straub, D. W., "
                    "Ketchen, D. J., Hair, J. F., Hult, G. T. M., & Calantone, R. J. (2014). Common beliefs and reality "
                    "about PLS: Comments on Ronkko and Evermann (2013). Organizational Research Methods, 17(2), "
                    "182-209.")

BOLLEN_STINE = ref("Bollen, K. A., & Stine, R. A. (1992). Bootstrapping goodness-of-fit measures in structural "
                   "equation models. Sociological Methods & Research, 21(2), 205-229.")

BERAN_SRIVASTAVA = ref("Beran, R., & Srivastava, M. S. (1985). Bootstrap tests and confidence regions for functions "
                       "of a covariance matrix. The Annals of Statistics, 13(1), 95-115.")

BECKER = ref("Becker, J.-M., Klein, K., & Wetzels, M. (2012). Hierarchical latent variable models in PLS-SEM: "
             "Guidelines for using reflective-formative type models. Long Range Planning, 45(5-6), 359-394.")

SARSTEDT_HOC = ref("Sarstedt, M., Hair, J. F., Cheah, J.-H., Becker, J.-M., & Ringle, C. M. (2019). How to specify, "
                   "estimate, and validate higher-order constructs in PLS-SEM. Australasian Marketing Journal, "
                   "27(3), 197-211.")

HENSELER_CHIN = ref("Henseler, J., & Chin, W. W. (2010). A comparison of approaches for the analysis of interaction "
                    "effects between latent variables using partial least squares path modeling. Structural "
                    "Equation Modeling, 17(1), 82-109.")

BECKER_MOD = ref("Becker, J.-M., Ringle, C. M., & Sarstedt, M. (2018). Estimating moderating effects in PLS-SEM and "
                 "PLSc-SEM: Interaction term generation * data treatment. Journal of Applied Structural Equation "
                 "Modeling, 2(2), 1-21.")

LITTLE = ref("Little, T. D., Bovaird, J. A., & Widaman, K. F. (2006). On the merits of orthogonalizing powered and "
             "product terms: Implications for modeling interactions among latent variables. Structural Equation "
             "Modeling, 13(4), 497-519.")

AIKEN_WEST = ref("Aiken, L. S., & West, S. G. (1991). Multiple regression: Testing and interpreting interactions. "
                 "Sage.")

PARK_GUPTA = ref("Park, S., & Gupta, S. (2012). Handling endogenous regressors by joint estimation using copulas. "
                 "Marketing Science, 31(4), 567-586.")

HULT = ref("Hult, G. T. M., Hair, J. F., Proksch, D., Sarstedt, M., Pinkwart, A., & Ringle, C. M. (2018). Addressing "
           "endogeneity in international marketing applications of partial least squares structural equation "
           "modeling. Journal of International Marketing, 26(3), 1-21.")

SHAPIRO_WILK = ref("Shapiro, S. S., & Wilk, M. B. (1965). An analysis of variance test for normality (complete "
                   "samples). Biometrika, 52(3-4), 591-611.")
