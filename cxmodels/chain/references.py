"""The works the value chain cites.

Each is a :class:`~cxmodels.references.Reference`: ``methods_text()`` cites it by ``.cite``
and the result lists it in ``references``, so a report lists every work it cites.
"""

from __future__ import annotations

from ..churn.references import KALBFLEISCH_PRENTICE  # noqa: F401  (the contractual chain's churn families)
from ..references import ref

ROSSEEL_2012 = ref("Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of "
                   "Statistical Software, 48(2), 1-36.")
ROSSEEL_LOH_2022 = ref("Rosseel, Y., & Loh, W. W. (2022). A structural after measurement approach to structural "
                       "equation modeling. Psychological Methods.")
SKRONDAL_KUHA_2012 = ref("Skrondal, A., & Kuha, J. (2012). Improved regression calibration. Psychometrika, 77(4), "
                         "649-669.")
CARROLL_2006 = ref("Carroll, R. J., Ruppert, D., Stefanski, L. A., & Crainiceanu, C. M. (2006). Measurement error "
                   "in nonlinear models: A modern perspective (2nd ed.). Chapman & Hall/CRC.")
GUPTA_2004 = ref("Gupta, S., Lehmann, D. R., & Stuart, J. A. (2004). Valuing customers. Journal of Marketing "
                 "Research, 41(1), 7-18.")
RUST_2004 = ref("Rust, R. T., Lemon, K. N., & Zeithaml, V. A. (2004). Return on marketing: Using customer equity "
                "to focus marketing strategy. Journal of Marketing, 68(1), 109-127.")
EFRON_1993 = ref("Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman & Hall.")
SKRONDAL_LAAKE_2001 = ref("Skrondal, A., & Laake, P. (2001). Regression among factor scores. Psychometrika, 66(4), "
                          "563-575.")
SAMEJIMA_1969 = ref("Samejima, F. (1969). Estimation of latent ability using a response pattern of graded scores. "
                    "Psychometrika Monograph Supplement, 34(4, Pt. 2), No. 17.")
BOCK_AITKIN_1981 = ref("Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of item "
                       "parameters: Application of an EM algorithm. Psychometrika, 46(4), 443-459.")
MUTHEN_1984 = ref("Muthen, B. (1984). A general structural equation model with dichotomous, ordered categorical, "
                  "and continuous latent variable indicators. Psychometrika, 49(1), 115-132.")
LITTLE_1993 = ref("Little, R. J. A. (1993). Pattern-mixture models for multivariate incomplete data. Journal of "
                  "the American Statistical Association, 88(421), 125-134.")
FADER_HARDIE_2007 = ref("Fader, P. S., & Hardie, B. G. S. (2007). Incorporating time-invariant covariates into the "
                        "Pareto/NBD and BG/NBD models. http://brucehardie.com/notes/019/")
FHL_2005 = ref("Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). \"Counting your customers\" the easy way: An "
               "alternative to the Pareto/NBD model. Marketing Science, 24(2), 275-284.")
SMC_1987 = ref("Schmittlein, D. C., Morrison, D. G., & Colombo, R. (1987). Counting your customers: Who are they "
               "and what will they do next? Management Science, 33(1), 1-24.")
