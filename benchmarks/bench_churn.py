"""Benchmark: cxmodels.churn vs lifelines on the same data, and the sBG fit.

Cox (Efron) and Kaplan-Meier by segment on ``make_subscriptions(n, seed=2026)``: cxmodels'
wrapper (input checks, tidy tables, provenance) against a bare lifelines fit of the same
model; KM is computed by cxmodels in numpy, lifelines fits one KaplanMeierFitter per
segment.  The sBG fit of Fader & Hardie's (2007) regular cohort is timed alone (lifelines
has no sBG).  Medians over ``--runs``.  Writes benchmarks/results/churn.json.

    python benchmarks/bench_churn.py [--n 20000 --runs 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _timing import median_time

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    import lifelines
    from lifelines import CoxPHFitter, KaplanMeierFitter

    from cxmodels.churn import cox, fit_sbg, kaplan_meier
    from cxmodels.datasets.subscriptions import make_subscriptions

    subs = make_subscriptions(args.n, seed=2026)
    X = pd.get_dummies(subs, columns=["segment"], drop_first=True, dtype=float)
    covs = ["satisfaction", "segment_plus", "segment_premium"]
    cox(X, "duration", "event", covs)  # warm-up (imports)

    t_cx_cox, r = median_time(lambda: cox(X, "duration", "event", covs), args.runs)
    t_ll_cox, f = median_time(lambda: CoxPHFitter().fit(X[["duration", "event"] + covs], "duration", "event"),
                               args.runs)
    diff_cox = float(np.max(np.abs(r.params.to_numpy() - f.params_[covs].to_numpy())))

    t_cx_km, km = median_time(lambda: kaplan_meier(subs, "duration", "event", group="segment"), args.runs)

    def ll_km():
        return {g: KaplanMeierFitter().fit(d["duration"], d["event"]) for g, d in subs.groupby("segment", observed=True)}

    t_ll_km, kmfs = median_time(ll_km, args.runs)
    grid = [30, 90, 365, 730]
    ours = km.survival_at(grid).set_index(["group", "time"])["survival"]
    diff_km = max(abs(ours[(g, t)] - float(kmfs[g].survival_function_at_times([t]).iloc[0]))
                  for g in kmfs for t in grid)

    counts = [1000, 631, 468, 382, 326, 289, 262, 241]
    t_sbg, m = median_time(lambda: fit_sbg(counts), max(args.runs, 20))

    res = {"date": time.strftime("%Y-%m-%d"), "python": platform.python_version(), "lifelines": lifelines.__version__,
           "n": args.n, "runs": args.runs,
           "cox": {"cxmodels_s": t_cx_cox, "lifelines_s": t_ll_cox, "ratio": t_cx_cox / t_ll_cox,
                   "max_abs_coef_diff": diff_cox},
           "km_by_segment": {"cxmodels_s": t_cx_km, "lifelines_s": t_ll_km, "ratio": t_cx_km / t_ll_km,
                             "max_abs_survival_diff": diff_km},
           "sbg_fit": {"cxmodels_s": t_sbg, "alpha": m.alpha, "beta": m.beta}}
    out = ROOT / "benchmarks" / "results" / "churn.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
