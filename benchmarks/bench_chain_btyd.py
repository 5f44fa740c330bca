"""Benchmark: the noncontractual value chain (clv_model="bgnbd") on a large base.

The issue-13 target for the chain: a base of ``--n`` (100,000) customers of whom ``--respondents``
(10,000) answered the survey (three 7-point items, ordinal model; response depending on
satisfaction, selection model), the chain with ``--boot`` (200) bootstrap replicates on
``--n-jobs`` (2) worker processes, in at most 2 minutes. Wall and CPU time (this process) of the
main fit (``n_boot=0``) and of the fit with its bootstrap; the time per replicate. No reference
library fits a BTYD model with a latent covariate, so there is no anchor; for scale, the clv
domain's covariate-free BG/NBD fit of the same RFM summary (``cxmodels.clv.fit_bgnbd``) is timed
beside it. Writes benchmarks/results/chain_btyd.json (``--out`` for another name).

    python benchmarks/bench_chain_btyd.py [--n 100000 --respondents 10000 --boot 200 --n-jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, special

ROOT = Path(__file__).resolve().parents[1]
# bootstraps of at most 25 replicates (one joblib task) run serially: the extrapolation to 200
# replicates then divides the serial time per replicate by n_jobs
MODEL = "SAT =~ y1 + y2 + y3"


def simulate(n, n_resp, seed=2026):
    """BG/NBD, satisfaction on the purchase rate (0.5) and dropout (-0.4); about ``n_resp``
    respondents, the more satisfied more often (log-odds +1 per SD)."""
    rng = np.random.default_rng(seed)
    s = rng.normal(size=n)
    lam = rng.gamma(0.8, 1 / (6.0 * np.exp(-0.5 * s)))
    p = rng.beta(0.8 * np.exp(-0.4 * s), 2.5)
    T = rng.uniform(26, 52, size=n)
    x, tx, t = np.zeros(n), np.zeros(n), np.zeros(n)
    alive = np.ones(n, bool)
    while alive.any():
        t = t + rng.exponential(1 / np.maximum(lam, 1e-12))
        ok = alive & (t <= T)
        x[ok] += 1
        tx[ok] = t[ok]
        alive = ok & (rng.uniform(size=n) > p)
    beh = pd.DataFrame({"id": np.arange(n), "frequency": x, "recency": tx, "T": T})
    # intercept such that about n_resp answer when the log-odds rise by 1 per SD of satisfaction
    c = optimize.brentq(lambda c: special.expit(c + s).mean() - n_resp / n, -20, 20)
    logit = c + s
    who = np.flatnonzero(rng.uniform(size=n) < 1 / (1 + np.exp(-logit)))
    items = {f"y{j + 1}": np.clip(np.rint(4.5 + l * s[who] + rng.normal(0, 0.6, len(who))), 1, 7)
             for j, l in enumerate([1.0, 0.8, 1.2])}
    return beh, pd.DataFrame({"id": who, **items})


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--respondents", type=int, default=10_000)
    ap.add_argument("--boot", type=int, default=200)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "chain_btyd.json"))
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from cxmodels.chain import fit_value_chain
    from cxmodels.clv import fit_bgnbd

    beh, survey = simulate(args.n, args.respondents)
    kw = dict(survey=survey, customer="id", clv_model="bgnbd", spend=None, scale=7, horizon=52,
              discount_rate=0.002, seed=1, progress=False)
    _, w_plain, c_plain = timed(lambda: fit_bgnbd(beh.set_index("id")[["frequency", "recency", "T"]]))
    main_fit, w_main, c_main = timed(lambda: fit_value_chain(beh, MODEL, n_boot=0, **kw))
    res, w_boot, c_boot = timed(lambda: fit_value_chain(beh, MODEL, n_boot=args.boot, n_jobs=args.n_jobs, **kw))
    clv = res.summary().loc["clv_per_unit"]
    serial = args.boot <= 25 or args.n_jobs == 1
    # the wall time per replicate on n_jobs cores (a serial run's divided by n_jobs)
    per_rep = (w_boot - w_main) / max(args.boot, 1) / (max(args.n_jobs, 1) if serial else 1)
    out = {"n_customers": args.n, "n_respondents": len(survey), "n_boot": args.boot, "n_jobs": args.n_jobs,
           "n_used": len(res.replicates), "clv_model": "bgnbd", "items": "3 x 7-point (ordinal model)",
           "response": "selection (satisfaction-dependent response)",
           "clv_bgnbd_no_covariates_wall_s": w_plain, "clv_bgnbd_no_covariates_cpu_s": c_plain,
           "chain_main_fit_wall_s": w_main, "chain_main_fit_cpu_s": c_main,
           "chain_with_bootstrap_wall_s": w_boot, "chain_with_bootstrap_cpu_s_this_process": c_boot,
           "wall_s_per_replicate": (w_boot - w_main) / max(args.boot, 1), "bootstrap_ran_serially": serial,
           "extrapolated_wall_s_200_replicates": w_main + 200 * per_rep,
           "target_wall_s": 120.0,
           "clv_per_unit": {k: float(clv[k]) for k in ("est", "ci_lower", "ci_upper")},
           "load_average_at_end": os.getloadavg(), "cpu_count": os.cpu_count(),
           "machine": platform.platform(), "python": platform.python_version()}
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
