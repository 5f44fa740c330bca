"""Benchmark: one value-chain fit, cxmodels against the pipeline a researcher would assemble.

On ``make_customer_base(n, seed=2026)``: cxmodels' ``fit_value_chain`` (CB-SEM, then the
Weibull-PH churn and Poisson purchase models integrated over each customer's latent
satisfaction by 24-point quadrature; ``n_boot=0``, no plug-in comparison) against the anchor
pipeline semopy (the same CFA/SEM, regression factor scores) + lifelines ``WeibullAFTFitter``
+ statsmodels Poisson GLM with offset on the plug-in scores. The anchors do less (no
measurement error is carried), so a ratio below 1 is conservative. Also the time per
bootstrap replicate of the chain (both steps refitted). Medians over ``--runs``.

The issue-13 target: a base of ``--large`` (100,000) customers of whom about 10% answered the survey
(``response_rate=0.08`` with satisfaction-dependent response) on 10-point items (ordinal model,
selection model for non-respondents), the chain with
``--large-boot`` (200) bootstrap replicates in at most 2 minutes: wall and CPU time of that one
fit (no anchor does this), for each churn family of ``--families`` (the contractual chain's
Weibull, log-normal and log-logistic lifetimes). Writes benchmarks/results/chain.json.

    python benchmarks/bench_chain.py [--n 3000 --runs 5 --large 100000 --large-boot 200]
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

from _timing import median_time

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--boot", type=int, default=50)
    ap.add_argument("--large", type=int, default=100_000)
    ap.add_argument("--large-boot", type=int, default=200)
    ap.add_argument("--families", default="weibull,lognormal,loglogistic")
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    import lifelines
    import semopy
    import statsmodels
    import statsmodels.api as sm
    from lifelines import WeibullAFTFitter

    from cxmodels.chain import fit_value_chain
    from cxmodels.datasets import make_customer_base

    base = make_customer_base(args.n, n_experiment=0, seed=2026, n_truth=1000)
    df = base.customers

    def ours():
        return fit_value_chain(df, base.model, driver="PQ", n_boot=0, plugin=False)

    def anchors():
        m = semopy.Model(base.model)
        m.fit(df[["PERQ1", "PERQ2", "PERQ3", "SAT1", "SAT2", "SAT3"]])
        s = m.predict_factors(df[["PERQ1", "PERQ2", "PERQ3", "SAT1", "SAT2", "SAT3"]])["SAT"].to_numpy()
        d = pd.DataFrame({"T": df["tenure"], "E": df["churned"], "s": s - s.mean()})
        w = WeibullAFTFitter().fit(d, "T", "E")
        X = sm.add_constant(d[["s"]])
        g = sm.GLM(df["n_purchases"], X, family=sm.families.Poisson(), offset=np.log(df["tenure"])).fit()
        return w, g

    ours(), anchors()   # warm-up (imports, caches)
    t_ours, res = median_time(ours, args.runs)
    t_anchor, _ = median_time(anchors, args.runs)
    t0 = time.perf_counter()
    fit_value_chain(df, base.model, driver="PQ", n_boot=args.boot, seed=1, plugin=False)
    t_boot = (time.perf_counter() - t0 - t_ours) / args.boot
    big = make_customer_base(args.large, n_experiment=0, seed=2026, scale=10, n_truth=1000, response_rate=0.08,
                             response_dependence=0.8)
    families = {}
    for family in args.families.split(","):
        # the base is Weibull; the other churn families time the same fit with their likelihood
        w0, c0 = time.perf_counter(), time.process_time()
        chain = fit_value_chain(big.behaviour, big.model, survey=big.survey, customer="customer_id", scale=10,
                                n_boot=args.large_boot, seed=1, plugin=False, progress=False, clv_model=family)
        families[family] = {"n_customers": args.large, "n_respondents": len(big.survey), "n_boot": args.large_boot,
                            "bootstrap_replicates_used": len(chain.replicates),
                            "wall_s": time.perf_counter() - w0, "cpu_s": time.process_time() - c0,
                            "clv_per_unit": chain.params["clv_per_unit"],
                            "truth_clv_per_unit": big.truth["chain"]["clv_per_unit"], "target_wall_s": 120}
        print(family, families[family], flush=True)
    out = {
        "large_base": families.get("weibull"), "large_base_by_family": families,
        "load_average_at_end": list(os.getloadavg()),
        "n_customers": args.n, "runs": args.runs,
        "cxmodels_fit_s": t_ours, "anchor_pipeline_fit_s": t_anchor, "ratio": t_ours / t_anchor,
        "cxmodels_per_bootstrap_replicate_s": t_boot, "bootstrap_replicates_timed": args.boot,
        "versions": {"semopy": semopy.__version__, "lifelines": lifelines.__version__,
                     "statsmodels": statsmodels.__version__},
        "machine": platform.platform(), "python": platform.python_version(),
    }
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "chain.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
