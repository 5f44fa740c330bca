"""Benchmark: CUPED on a 10-million-user experiment from sufficient statistics (issue 15).

A two-variant experiment of ``--users`` users (default 10 million; spend with a pre-period
spend covariate, a 2 % lift in the treatment) is simulated once.  The per-variant sufficient
statistics (n, sums, sums of squares, the metric-covariate cross-product: what a warehouse
query returns) are computed with numpy once (``np.bincount`` with weights) and timed; then
``cxmodels.ab.cuped_from_stats`` is timed on them, median over ``--runs`` calls (the full
``EffectResult``: Welch intervals, relative effects, variance reduction; provenance is built
on first access, which this loop does not make).

If ``--anchor-python`` names an interpreter with gbstats (``python3 -m venv /tmp/gbstats_venv
&& /tmp/gbstats_venv/bin/pip install gbstats``), GrowthBook's ``TwoSidedTTest`` on
``RegressionAdjustedStatistic`` is timed on the same sums in the same run, and the largest
difference of the two libraries' effect estimates is reported.  Writes
benchmarks/results/ab_cuped_10m.json.

    python benchmarks/bench_ab_cuped.py [--users 10000000] [--runs 20] [--anchor-python /tmp/gbstats_venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import median_time  # noqa: E402

from cxmodels import ab  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COLS = ["n", "main_sum", "main_sum_squares", "covariate_sum", "covariate_sum_squares", "main_covariate_sum_product"]

ANCHOR = r"""
import json, sys, time, statistics, importlib.metadata as md
from gbstats.frequentist.tests import FrequentistConfig, TwoSidedTTest
from gbstats.models.statistics import RegressionAdjustedStatistic, SampleMeanStatistic
rows = json.load(open(sys.argv[1])); runs = int(sys.argv[2])
def stat(r):
    return RegressionAdjustedStatistic(n=int(r["n"]),
        post_statistic=SampleMeanStatistic(n=int(r["n"]), sum=r["main_sum"], sum_squares=r["main_sum_squares"]),
        pre_statistic=SampleMeanStatistic(n=int(r["n"]), sum=r["covariate_sum"], sum_squares=r["covariate_sum_squares"]),
        post_pre_sum_of_products=r["main_covariate_sum_product"], theta=0)
times = []
for _ in range(runs):
    t = time.perf_counter()
    res = TwoSidedTTest(stat(rows["control"]), stat(rows["treatment"]),
                        FrequentistConfig(difference_type="absolute", alpha=0.05)).compute_result()
    times.append(time.perf_counter() - t)
print(json.dumps({"seconds": statistics.median(times), "expected": res.expected, "ci": list(res.ci),
                  "version": md.version("gbstats")}))
"""


def simulate(users: int, seed: int = 15):
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, users)
    pre = rng.gamma(2.0, 20.0, users)
    y = 5.0 + 0.8 * pre + rng.normal(0.0, 15.0, users)
    y *= np.where(arm == 1, 1.02, 1.0)
    return arm, y, pre


def sufficient_statistics(arm, y, pre) -> pd.DataFrame:
    w = {"n": None, "main_sum": y, "main_sum_squares": y * y, "covariate_sum": pre,
         "covariate_sum_squares": pre * pre, "main_covariate_sum_product": y * pre}
    return pd.DataFrame({k: np.bincount(arm, weights=v, minlength=2) for k, v in w.items()},
                        index=["control", "treatment"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--anchor-python", default=None)
    args = ap.parse_args()

    arm, y, pre = simulate(args.users)
    t = time.perf_counter()
    st = sufficient_statistics(arm, y, pre)
    t_stats = time.perf_counter() - t
    del arm, y, pre
    t_fit, res = median_time(lambda: ab.cuped_from_stats(st, covariate="pre_spend"), args.runs)
    row = res.summary().loc["treatment"]
    out = {"users": args.users, "runs": args.runs, "stats_seconds": t_stats, "fit_seconds": t_fit,
           "est": float(row.est), "ci": [float(row.ci_lower), float(row.ci_upper)],
           "variance_reduction": float(row.variance_reduction),
           "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine()}}
    if args.anchor_python:
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "stats.json"
            p.write_text(json.dumps({v: st.loc[v, COLS].astype(float).to_dict() for v in st.index}))
            script = Path(d) / "anchor.py"
            script.write_text(ANCHOR)
            gb = json.loads(subprocess.run([args.anchor_python, str(script), str(p), str(args.runs)], check=True,
                                           capture_output=True, text=True).stdout)
        out["gbstats"] = {**gb, "ratio_cxmodels_over_gbstats": t_fit / gb["seconds"],
                          "max_abs_diff_est": abs(gb["expected"] - out["est"]),
                          "max_abs_diff_ci": float(np.max(np.abs(np.array(gb["ci"]) - np.array(out["ci"]))))}
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "ab_cuped_10m.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
