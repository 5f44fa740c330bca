"""PLS-SEM: PLS and consistent PLS path models, satisfaction index scores, importance-performance
maps, bootstrap, MICOM and permutation multigroup analysis. Parity with plspm is tested."""

from .bootstrap import PLSBootstrapResult
from .fit import PLSResult, fit_pls
from .mga import MGAResult, SegmentResult, compare_groups, find_segments

__all__ = ["fit_pls", "compare_groups", "find_segments", "PLSResult", "PLSBootstrapResult", "MGAResult",
           "SegmentResult"]
