"""The works the drivers domain cites (threshold model, penalty-reward contrast analysis).

Each is a :class:`~cxmodels.references.Reference`: ``methods_text()`` cites it by ``.cite``
and the result lists it in ``references``, so a report lists every work it cites.
"""

from __future__ import annotations

from ..references import ref

CARLIN_1992 = ref("Carlin, B. P., Gelfand, A. E., & Smith, A. F. M. (1992). Hierarchical Bayesian analysis of "
                  "changepoint problems. Journal of the Royal Statistical Society, Series C (Applied Statistics), "
                  "41(2), 389-405.")
ZELLNER_1986 = ref("Zellner, A. (1986). On assessing prior distributions and Bayesian regression analysis with "
                   "g-prior distributions. In P. Goel & A. Zellner (Eds.), Bayesian inference and decision "
                   "techniques (pp. 233-243). North-Holland.")
KASS_1995 = ref("Kass, R. E., & Wasserman, L. (1995). A reference Bayesian test for nested hypotheses and its "
                "relationship to the Schwarz criterion. Journal of the American Statistical Association, 90(431), "
                "928-934.")
ANDERSON_2000 = ref("Anderson, E. W., & Mittal, V. (2000). Strengthening the satisfaction-profit chain. Journal "
                    "of Service Research, 3(2), 107-120.")
MITTAL_2001 = ref("Mittal, V., & Kamakura, W. A. (2001). Satisfaction, repurchase intent, and repurchase "
                  "behavior: Investigating the moderating effect of customer characteristics. Journal of "
                  "Marketing Research, 38(1), 131-142.")
GELMAN_2008 = ref("Gelman, A., Jakulin, A., Pittau, M. G., & Su, Y.-S. (2008). A weakly informative default prior "
                  "distribution for logistic and other regression models. The Annals of Applied Statistics, 2(4), "
                  "1360-1383.")
BRANDT_1987 = ref("Brandt, D. R. (1987). A procedure for identifying value-enhancing service components using "
                  "customer satisfaction survey data. In C. Surprenant (Ed.), Add value to your service "
                  "(pp. 61-65). American Marketing Association.")
CONKLIN_2004 = ref("Conklin, M., Powaga, K., & Lipovetsky, S. (2004). Customer satisfaction analysis: "
                   "Identification of key drivers. European Journal of Operational Research, 154(3), 819-827.")
MIKULIC_2011 = ref("Mikulić, J., & Prebežac, D. (2011). A critical review of techniques for classifying quality "
                   "attributes in the Kano model. Managing Service Quality, 21(1), 46-66.")
KANO_1984 = ref("Kano, N., Seraku, N., Takahashi, F., & Tsuji, S. (1984). Attractive quality and must-be "
                "quality. Hinshitsu, 14(2), 39-48.")
EFRON_1993 = ref("Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman & Hall.")

THRESHOLD = (CARLIN_1992, ANDERSON_2000, MITTAL_2001)
THRESHOLD_CONTINUOUS = (ZELLNER_1986, KASS_1995)
THRESHOLD_BINARY = (GELMAN_2008,)
PRCA = (BRANDT_1987, CONKLIN_2004, EFRON_1993, KANO_1984, MIKULIC_2011)
LINDEMAN_1980 = ref("Lindeman, R. H., Merenda, P. F., & Gold, R. Z. (1980). Introduction to bivariate and "
                    "multivariate analysis. Scott, Foresman.")
GROMPING_2007 = ref("Grömping, U. (2007). Estimators of relative importance in linear regression based on variance "
                    "decomposition. The American Statistician, 61(2), 139-147.")
JOHNSON_2000 = ref("Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor "
                   "variables in multiple regression. Multivariate Behavioral Research, 35(1), 1-19.")
BERGER_1993 = ref("Berger, C., Blauth, R., Boger, D., Bolster, C., Burchill, G., DuMouchel, W., Pouliot, F., "
                  "Richter, R., Rubinoff, A., Shen, D., Timko, M., & Walden, D. (1993). Kano's methods for "
                  "understanding customer-defined quality. Center for Quality of Management Journal, 2(4), 3-36.")
WILSON_1927 = ref("Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. "
                  "Journal of the American Statistical Association, 22(158), 209-212.")
LEE_1997 = ref("Lee, M. C., & Newcomb, J. F. (1997). Applying the Kano methodology to meet customer requirements: "
               "NASA's microgravity science program. Quality Management Journal, 4(3), 95-110.")
