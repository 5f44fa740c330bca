"""PLS-SEM: PLS and consistent PLS path models, satisfaction index scores, importance-performance
maps, bootstrap, MICOM and permutation multigroup analysis, PLSpredict and CVPAT, weighted PLS and model fit (SRMR, d_ULS, d_G). Parity with plspm is tested."""

from .bootstrap import PLSBootstrapResult
from .cvpat import CVPATResult, cvpat
from .fit import PLSResult, fit_pls
from .fitstats import PLSFitResult
from .mga import MGAResult, SegmentResult, compare_groups, find_segments
from .predict import PLSPredictResult, predict_pls

__all__ = ["fit_pls", "compare_groups", "find_segments", "predict_pls", "cvpat", "PLSResult", "PLSBootstrapResult",
           "MGAResult", "SegmentResult", "PLSPredictResult", "CVPATResult",
           "PLSFitResult"]
