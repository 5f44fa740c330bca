"""Measurement quality shared by both SEM engines: reliability (alpha, rho_A, rho_C, AVE), HTMT,
and exploratory factor analysis."""
