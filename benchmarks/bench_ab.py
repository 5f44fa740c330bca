"""Benchmark: 1,000 two-variant conversion evaluations, cxmodels vs bayesian-testing.

Both libraries judge the same 1,000 simulated experiments (5,000 users per arm, control
rate 10 %, challenger 10-11 %), with the same Beta(1, 1) prior, and return P(best) and the
expected loss of each arm.  cxmodels uses Miller's exact sum (about 500 terms here; beyond
10,000 terms it integrates instead, so cost does not grow with the counts) and Stucchio's
closed-form loss (``compare_proportions``, full result object; its provenance is built on first
access, which this loop does not make); bayesian-testing
(``BinaryDataTest.evaluate``) simulates 20,000 posterior draws per evaluation, its default.
bayesian-testing is not a cxmodels dependency: it runs in its own virtual environment,
given by --anchor-python (``python3 -m venv /tmp/abbench && /tmp/abbench/bin/pip install
bayesian-testing``), timed in the same run on the same inputs (written to a temporary file).
Reports medians over ``--runs`` runs and the largest difference between the two libraries'
P(best), which should be of the order of bayesian-testing's Monte Carlo error. Writes
benchmarks/results/ab_conversion.json.

    python benchmarks/bench_ab.py --anchor-python /tmp/abbench/bin/python [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

ANCHOR = r"""
import json, sys, time, importlib.metadata as md
from bayesian_testing.experiments import BinaryDataTest
cases = json.load(open(sys.argv[1]))
runs = int(sys.argv[2])
times, out = [], None
for _ in range(runs):
    t = time.perf_counter()
    res = []
    for i, (yA, yB, n) in enumerate(cases):
        test = BinaryDataTest()
        test.add_variant_data_agg("A", n, yA, a_prior=1, b_prior=1)
        test.add_variant_data_agg("B", n, yB, a_prior=1, b_prior=1)
        ev = test.evaluate(seed=i)
        res.append([ev[1]["prob_being_best"], ev[0]["expected_loss"], ev[1]["expected_loss"]])
    times.append(time.perf_counter() - t)
    out = res
print(json.dumps({"times": times, "results": [[float(x) for x in r] for r in out],
                  "version": md.version("bayesian-testing")}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--anchor-python", default="/tmp/abbench/bin/python")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    from cxmodels import ab
    from cxmodels.ab.closed_forms import prob_beta_greater

    rng = np.random.default_rng(2026)
    n = 5000
    pB = rng.uniform(0.10, 0.11, args.n)
    cases = [(int(rng.binomial(n, 0.10)), int(rng.binomial(n, p)), n) for p in pB]

    def run_cx():
        out = []
        for yA, yB, m in cases:
            r = ab.compare_proportions([yA, yB], [m, m], prior=(1, 1))
            out.append((r.prob_best.iloc[1], r.expected_loss.iloc[0], r.expected_loss.iloc[1]))
        return out

    run_cx()  # warm-up (imports)
    cx_times, cx_res = [], None
    for _ in range(args.runs):
        t = time.perf_counter()
        cx_res = run_cx()
        cx_times.append(time.perf_counter() - t)
    # the bare closed form, for scale
    t = time.perf_counter()
    for yA, yB, m in cases:
        prob_beta_greater(1 + yA, 1 + m - yA, 1 + yB, 1 + m - yB)
    bare = time.perf_counter() - t

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cases, f)
    proc = subprocess.run([args.anchor_python, "-c", ANCHOR, f.name, str(args.runs)], capture_output=True,
                          text=True, check=True)
    anchor = json.loads(proc.stdout)
    cx = np.array(cx_res, float)
    bt = np.array(anchor["results"], float)
    diff_pb = np.abs(cx[:, 0] - bt[:, 0])
    mc_se = np.sqrt(cx[:, 0] * (1 - cx[:, 0]) / 20_000)
    out = {
        "workload": f"{args.n} two-variant conversion evaluations, {n} users per arm, Beta(1, 1) prior",
        "cxmodels_seconds_median": statistics.median(cx_times),
        "cxmodels_seconds_runs": cx_times,
        "cxmodels_closed_form_only_seconds": bare,
        "bayesian_testing_seconds_median": statistics.median(anchor["times"]),
        "bayesian_testing_seconds_runs": anchor["times"],
        "bayesian_testing_version": anchor["version"],
        "speedup": statistics.median(anchor["times"]) / statistics.median(cx_times),
        "max_abs_diff_prob_best": float(diff_pb.max()),
        "max_diff_in_bayesian_testing_mc_se": float((diff_pb / np.maximum(mc_se, 1e-12)).max()),
        "max_abs_diff_expected_loss": float(np.abs(cx[:, 1:] - bt[:, 1:]).max()),
        "note": ("cxmodels is exact (Miller 2015, Stucchio 2015); bayesian-testing is Monte Carlo with 20,000 "
                 "draws, so differences are its simulation error"),
        "runs": args.runs, "machine": platform.platform(), "python": platform.python_version(),
    }
    path = ROOT / "benchmarks" / "results" / "ab_conversion.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
