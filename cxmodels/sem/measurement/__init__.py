"""Measurement quality shared by both SEM engines: reliability (alpha, rho_A, rho_C, AVE), HTMT,
and exploratory factor analysis."""

from .efa import EFAResult, ParallelAnalysisResult, efa, parallel_analysis

__all__ = ["efa", "parallel_analysis", "EFAResult", "ParallelAnalysisResult"]
