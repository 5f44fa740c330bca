"""PLS-SEM: PLS and consistent PLS path models (weighted with ``sampling_weights=``), higher-order
constructs, moderation, the Gaussian copula endogeneity test, satisfaction index scores,
importance-performance maps, bootstrap, model fit (SRMR, d_ULS, d_G), PLSpredict and CVPAT,
MICOM and permutation multigroup analysis. Parity with plspm and the seminr port is tested."""

from .bootstrap import PLSBootstrapResult
from .copula import CopulaResult, copula_test
from .cvpat import CVPATResult, cvpat
from .fit import PLSResult, fit_pls
from .fitstats import PLSFitResult
from .hoc import PLSHOCResult, fit_pls_hoc
from .mga import MGAResult, SegmentResult, compare_groups, find_segments
from .moderation import PLSModerationResult, fit_pls_moderation
from .predict import PLSPredictResult, predict_pls

__all__ = ["fit_pls", "fit_pls_hoc", "fit_pls_moderation", "copula_test", "compare_groups", "find_segments",
           "predict_pls", "cvpat", "PLSResult", "PLSHOCResult", "PLSModerationResult", "CopulaResult",
           "PLSBootstrapResult", "MGAResult", "SegmentResult", "PLSPredictResult", "CVPATResult", "PLSFitResult"]
