"""Benchmark: Bayesian BG/NBD on CDNOW, cxmodels' ``clv.fit_bayes`` vs pymc-marketing, one run.

Both sample the same posterior: the BG/NBD likelihood of the CDNOW 1/10 calibration summary
(2,357 customers, calibration to 1997-09-30) with independent LogNormal(0, 3) priors on
``r, alpha, a, b`` (pymc-marketing's ``BetaGeoModel`` with that ``model_config``; its default
priors differ), 2 chains x 1000 draws after 1000 tuning steps, PyMC's NUTS in both.
pymc-marketing is not a cxmodels dependency: it runs in its own virtual environment
(``--pymcm-python``), made with

    python3 -m venv /tmp/pymcm_venv && /tmp/pymcm_venv/bin/pip install pymc-marketing

Each tool is run once to warm PyTensor's compilation cache, then timed (wall clock, the
sampling call only, data preparation excluded for both).  The posteriors are compared by
their means and standard deviations: a difference counts as Monte Carlo error when it is
below 3 combined Monte Carlo standard errors (ArviZ ``mcse_mean``, ``mcse_sd``).
Writes benchmarks/results/clv_bayes.json.

    python benchmarks/bench_clv_bayes.py [--pymcm-python /tmp/pymcm_venv/bin/python --seed 11]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["r", "alpha", "a", "b"]

PYMCM_TIMER = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import arviz as az
import pandas as pd
import pymc_marketing
from pymc_marketing.clv import BetaGeoModel
from pymc_extras.prior import Prior

data = pd.read_csv(sys.argv[1])
seed, draws, tune, chains, runs = (int(v) for v in sys.argv[2:7])
config = {n: Prior("LogNormal", mu=0, sigma=3) for n in ["r", "alpha", "a", "b"]}
times = []
for i in range(runs):
    model = BetaGeoModel(data=data, model_config=config)
    model.build_model()
    t = time.perf_counter()
    idata = model.fit(method="mcmc", draws=draws, tune=tune, chains=chains, random_seed=seed + i,
                      progressbar=False)
    times.append(time.perf_counter() - t)
s = az.summary(idata, var_names=["r", "alpha", "a", "b"], round_to="none")
steps = float(idata.sample_stats["n_steps"].mean())
print(json.dumps({"times_s": times, "version": pymc_marketing.__version__, "summary": s.to_dict(),
                  "mean_leapfrog_steps": steps}))
"""


def cdnow_summary():
    from cxmodels import clv
    from cxmodels.datasets.transactions import load_cdnow

    return clv.rfm_summary(load_cdnow(), "sample_id", "date", calibration_end="1997-09-30",
                           observation_end="1998-06-30")


def compare(ours: dict, theirs: dict) -> dict:
    """|difference| / combined MCSE of posterior means and sds, per parameter."""
    out = {}
    for n in NAMES:
        row = {}
        for stat, mc in (("mean", "mcse_mean"), ("sd", "mcse_sd")):
            diff = ours[stat][n] - theirs[stat][n]
            se = float(np.hypot(ours[mc][n], theirs[mc][n]))
            row[stat] = {"cxmodels": ours[stat][n], "pymc_marketing": theirs[stat][n], "diff": diff,
                         "mcse": se, "z": diff / se, "within_3_mcse": bool(abs(diff) <= 3 * se)}
        out[n] = row
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pymcm-python", default="/tmp/pymcm_venv/bin/python")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--runs", type=int, default=1, help="timed runs after one warm-up run (median reported)")
    args = ap.parse_args()

    import arviz as az
    import cxmodels
    from cxmodels import clv

    s = cdnow_summary()
    n_distinct = int(len(s[["frequency", "recency", "T"]].drop_duplicates()))
    print(f"CDNOW: {len(s):,} customers, {n_distinct:,} distinct rows, {s['frequency'].nunique()} frequencies")
    load = os.getloadavg()

    clv.fit_bayes(s, draws=50, tune=50, chains=1, seed=0, progress=False)     # warm the compile cache
    times = []
    for i in range(args.runs):
        t = time.perf_counter()
        post = clv.fit_bayes(s, draws=args.draws, tune=args.tune, chains=args.chains, seed=args.seed + i,
                             progress=False)
        times.append(time.perf_counter() - t)
    summ = az.summary(post.idata, var_names=NAMES, round_to="none")
    ours = {"times_s": times, "time_s": float(np.median(times)), "summary": summ.to_dict(),
            "converged": bool(post.converged), "max_rhat": float(post.summary()["r_hat"].max()),
            "min_ess_bulk": float(post.summary()["ess_bulk"].min()),
            "min_ess_tail": float(post.summary()["ess_tail"].min()),
            "mean_leapfrog_steps": float(post.idata.sample_stats["n_steps"].mean()),
            "cores": post.provenance.options.get("cores")}
    print("cxmodels", json.dumps({k: v for k, v in ours.items() if k != "summary"}))

    py = Path(args.pymcm_python)
    theirs, ver = {}, "not available"
    if py.exists():
        with tempfile.TemporaryDirectory() as tmp:
            f = Path(tmp) / "cdnow.csv"
            s[["frequency", "recency", "T"]].rename_axis("customer_id").reset_index().to_csv(f, index=False)
            res = subprocess.run([str(py), "-c", PYMCM_TIMER, str(f), str(args.seed), str(args.draws),
                                  str(args.tune), str(args.chains), str(args.runs + 1)],
                                 capture_output=True, text=True, check=True)
            theirs = json.loads(res.stdout.strip().splitlines()[-1])
        ver = theirs["version"]
        theirs["times_s"] = theirs["times_s"][1:]                                 # first run warms the cache
        theirs["time_s"] = float(np.median(theirs["times_s"]))
        print("pymc-marketing", json.dumps({k: v for k, v in theirs.items() if k != "summary"}))
    else:
        print(f"pymc-marketing interpreter {py} not found: cxmodels timed alone")

    result = {
        "benchmark": "Bayesian BG/NBD on CDNOW (LogNormal(0, 3) priors), PyMC NUTS, cxmodels vs pymc-marketing",
        "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}", "load_average_at_start": load,
        "n_customers": int(len(s)), "n_distinct_rows": n_distinct, "draws": args.draws, "tune": args.tune,
        "chains": args.chains, "cxmodels_version": cxmodels.__version__, "cxmodels": ours,
        "pymc_marketing_version": ver, "pymc_marketing": theirs,
    }
    if theirs:
        result["ratio_time_vs_pymc_marketing"] = ours["time_s"] / theirs["time_s"]
        result["posterior_comparison"] = compare(ours["summary"], theirs["summary"])
        result["same_posterior_within_3_mcse"] = all(
            v[stat]["within_3_mcse"] for v in result["posterior_comparison"].values() for stat in ("mean", "sd"))
    out = ROOT / "benchmarks" / "results" / "clv_bayes.json"
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k.startswith(("ratio", "same"))}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
