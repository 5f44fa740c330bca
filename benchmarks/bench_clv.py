"""Benchmark: BG/NBD fit on about a million customers, cxmodels vs lifetimes, same data, one run.

Data: ``cxmodels.clv.simulate_bgnbd`` at the published CDNOW parameters, one
million customers whose first purchase falls uniformly over 78 weeks, with recency and T
at day resolution (what a transaction log gives), i.e. many but not a million distinct
(frequency, recency, T) rows.  lifetimes 0.11.3 is not a cxmodels dependency: it runs in its
own virtual environment (``--lifetimes-python``; see tests/fixtures/clv/make_lifetimes_fixture.py
for the install line) on the same file, in two modes: on the customer rows as users call it,
and on the distinct rows with its ``weights`` argument (the same work cxmodels does).
Also times predictions (conditional expected purchases and P(alive)) for every customer.
Writes benchmarks/results/clv_bgnbd.json.

    python benchmarks/bench_clv.py [--n 1000000 --runs 3 --lifetimes-python /tmp/clvbench/bin/python]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

LIFETIMES_TIMER = r"""
import sys, time, json
import numpy as np, pandas as pd
from lifetimes import BetaGeoFitter
d = pd.read_csv(sys.argv[1])
mode = sys.argv[2]
out = {}
if mode == "weighted":
    g = d.groupby(["frequency", "recency", "T"]).size().reset_index(name="w")
    t = time.perf_counter()
    f = BetaGeoFitter().fit(g["frequency"], g["recency"], g["T"], weights=g["w"])
    out["fit_s"] = time.perf_counter() - t
else:
    t = time.perf_counter()
    f = BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])
    out["fit_s"] = time.perf_counter() - t
    t = time.perf_counter()
    f.conditional_expected_number_of_purchases_up_to_time(52.0, d["frequency"], d["recency"], d["T"])
    f.conditional_probability_alive(d["frequency"], d["recency"], d["T"])
    out["predict_s"] = time.perf_counter() - t
out["params"] = {k: float(v) for k, v in f.params_.items()}
print(json.dumps(out))
"""


def make_data(n: int, seed: int) -> pd.DataFrame:
    from cxmodels.clv import simulate_bgnbd

    rng = np.random.default_rng(seed)
    first_day = rng.integers(0, 546, size=n)                 # first purchase over 78 weeks
    T = (546 - first_day) / 7.0
    d = simulate_bgnbd(T, seed=rng)
    d["recency"] = np.minimum(np.floor(d["recency"].to_numpy() * 7.0) / 7.0, T)  # day resolution
    return d.round(6)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--lifetimes-python", default="/tmp/clvbench/bin/python")
    ap.add_argument("--skip-lifetimes-raw", action="store_true", help="time lifetimes on the weighted rows only")
    args = ap.parse_args()

    from cxmodels import clv

    d = make_data(args.n, args.seed)
    n_distinct = int(len(d.drop_duplicates()))
    print(f"{len(d):,} customers, {n_distinct:,} distinct (frequency, recency, T) rows")

    fit_times, model = [], None
    for _ in range(args.runs):
        t = time.perf_counter()
        model = clv.fit_bgnbd(d)
        fit_times.append(time.perf_counter() - t)
    pred_times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        model.expected_purchases(52.0, d)
        model.p_alive(d)
        pred_times.append(time.perf_counter() - t)
    ours = {"fit_s": float(np.median(fit_times)), "fit_runs_s": fit_times,
            "predict_s": float(np.median(pred_times)), "predict_runs_s": pred_times,
            "params": {k: float(v) for k, v in model.params.items()}}
    print("cxmodels", json.dumps(ours))

    anchor = {}
    py = Path(args.lifetimes_python)
    if py.exists():
        with tempfile.TemporaryDirectory() as tmp:
            f = Path(tmp) / "rfm.csv"
            d.to_csv(f, index=False)
            modes = ["weighted"] + ([] if args.skip_lifetimes_raw else ["raw"])
            for mode in modes:
                res = subprocess.run([str(py), "-c", LIFETIMES_TIMER, str(f), mode], capture_output=True, text=True,
                                     check=True)
                anchor[mode] = json.loads(res.stdout.strip().splitlines()[-1])
                print("lifetimes", mode, json.dumps(anchor[mode]))
        ver = subprocess.run([str(py), "-c", "import lifetimes; print(lifetimes.__version__)"], capture_output=True,
                             text=True).stdout.strip()
    else:
        ver = "not available"
        print(f"lifetimes interpreter {py} not found: cxmodels timed alone")

    result = {
        "benchmark": "BG/NBD maximum-likelihood fit and predictions, simulated CDNOW-like customers",
        "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {platform.python_version()}",
        "n_customers": int(len(d)), "n_distinct_rows": n_distinct, "seed": args.seed,
        "cxmodels": ours, "lifetimes_version": ver, "lifetimes": anchor,
    }
    for mode, a in anchor.items():
        result[f"ratio_fit_vs_lifetimes_{mode}"] = ours["fit_s"] / a["fit_s"]
        result[f"max_abs_param_diff_{mode}"] = max(abs(ours["params"][k] - a["params"][k]) for k in ours["params"])
    if "raw" in anchor:
        result["ratio_predict_vs_lifetimes"] = ours["predict_s"] / anchor["raw"]["predict_s"]
    out = ROOT / "benchmarks" / "results" / "clv_bgnbd.json"
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k.startswith(("ratio", "max_abs"))}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
