"""PLS-SEM: PLS and consistent PLS path models, satisfaction index scores, importance-performance
maps, bootstrap, MICOM and permutation multigroup analysis. Parity with plspm is tested."""

from .fit import fit_pls

__all__ = ["fit_pls"]
