"""Benchmark: BG/NBD and Pareto/NBD maximum likelihood on a million customers, cxmodels vs
lifetimes, same rows, one run (issue 19).

Data: ``cxmodels.clv.simulate_bgnbd`` / ``simulate_pareto_nbd`` at the published CDNOW
parameters, one million customers whose first purchase falls uniformly (continuously) over
78 weeks, so recency and T are continuous and every (frequency, recency, T) row is distinct:
merging identical rows saves nothing and every likelihood pass touches a million rows
(``--data days`` gives the older day-resolution data, with many repeated rows, instead).

lifetimes 0.11.3 is not a cxmodels dependency: it runs in its own virtual environment
(``--lifetimes-python``; see tests/fixtures/clv/make_lifetimes_fixture.py for the install line)
on the same rows, as users call it (``BetaGeoFitter().fit(frequency, recency, T)``).  Its
Pareto/NBD is slow on a million rows: it is timed on them when it finishes within
``--lifetimes-timeout`` seconds, otherwise on a systematic subsample of ``--subsample`` rows,
on which cxmodels is timed as well (the JSON says which).  BG/NBD predictions (conditional
expected purchases and P(alive) for every customer) are timed too.  Wall-clock seconds and,
for cxmodels, CPU seconds; the load average at the start records the machine's contention.
Writes benchmarks/results/clv_fit_speed.json.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_clv.py [--n 1000000 --runs 3 \\
        --lifetimes-python /tmp/lifetimes_venv/bin/python]
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
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

LIFETIMES_TIMER = r"""
import sys, time, json
import numpy as np, pandas as pd
import lifetimes
from lifetimes import BetaGeoFitter, ParetoNBDFitter
d = pd.read_pickle(sys.argv[1])
model = sys.argv[2]
out = {"version": lifetimes.__version__}
F = BetaGeoFitter if model == "bgnbd" else ParetoNBDFitter
t = time.perf_counter()
f = F().fit(d["frequency"], d["recency"], d["T"])
out["fit_s"] = time.perf_counter() - t
if model == "bgnbd":
    t = time.perf_counter()
    f.conditional_expected_number_of_purchases_up_to_time(52.0, d["frequency"], d["recency"], d["T"])
    f.conditional_probability_alive(d["frequency"], d["recency"], d["T"])
    out["predict_s"] = time.perf_counter() - t
out["params"] = {k: float(v) for k, v in f.params_.items()}
print(json.dumps(out))
"""


def make_data(n: int, seed: int, model: str = "bgnbd", kind: str = "distinct") -> pd.DataFrame:
    """``n`` customers from the model at the CDNOW parameters; ``kind="distinct"``: continuous
    first-purchase times (every row distinct); ``"days"``: day resolution (many repeats)."""
    from cxmodels.clv import simulate_bgnbd, simulate_pareto_nbd

    rng = np.random.default_rng(seed)
    if kind == "distinct":
        T = (546.0 - rng.uniform(0, 545, size=n)) / 7.0
    else:
        T = (546 - rng.integers(0, 546, size=n)) / 7.0
    sim = simulate_bgnbd if model == "bgnbd" else simulate_pareto_nbd
    d = sim(T, seed=rng)
    if kind == "days":
        d["recency"] = np.minimum(np.floor(d["recency"].to_numpy() * 7.0) / 7.0, T)
        d = d.round(6)
    return d


def time_ours(fit, d, runs):
    walls, cpus, model = [], [], None
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        model = fit(d)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return model, {"fit_s": float(np.median(walls)), "fit_runs_s": walls, "fit_cpu_s": float(np.median(cpus)),
                   "params": {k: float(v) for k, v in model.params.items()},
                   "se": {k: float(v) for k, v in model.summary()["se"].items()},
                   "loglik": model.loglik, "n_distinct_rows_fitted": model.n_distinct,
                   "rows_merged": model.provenance.options.get("rows_merged"),
                   "optimizer": model.provenance.options.get("optimizer"),
                   "passes": getattr(model, "_passes", None)}


def run_lifetimes(py: Path, d: pd.DataFrame, model: str, timeout: float | None):
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "rfm.pkl"
        d[["frequency", "recency", "T"]].to_pickle(f)
        try:
            res = subprocess.run([str(py), "-c", LIFETIMES_TIMER, str(f), model], capture_output=True, text=True,
                                 check=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--data", choices=["distinct", "days"], default="distinct")
    ap.add_argument("--lifetimes-python", default="/tmp/lifetimes_venv/bin/python")
    ap.add_argument("--lifetimes-timeout", type=float, default=900.0,
                    help="seconds lifetimes' Pareto/NBD may take on the full data before the subsample is used")
    ap.add_argument("--subsample", type=int, default=100_000)
    ap.add_argument("--models", default="bgnbd,pareto")
    args = ap.parse_args()

    from cxmodels import clv

    py = Path(args.lifetimes_python)
    have_lt = py.exists()
    result = {
        "benchmark": "BG/NBD and Pareto/NBD maximum-likelihood fits on simulated CDNOW-like customers, "
                     "cxmodels vs lifetimes on the same rows",
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_at_start": os.getloadavg(), "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "n_customers": args.n, "data": args.data, "seed": args.seed, "models": {},
    }
    fits = {"bgnbd": clv.fit_bgnbd, "pareto": clv.fit_pareto_nbd}
    for name in args.models.split(","):
        d = make_data(args.n, args.seed, name, args.data)
        n_distinct = int(len(d.drop_duplicates()))
        print(f"{name}: {len(d):,} customers, {n_distinct:,} distinct (frequency, recency, T) rows")
        model, ours = time_ours(fits[name], d, args.runs)
        entry = {"n_rows": len(d), "n_distinct_rows": n_distinct, "cxmodels": ours}
        if name == "bgnbd":
            walls = []
            for _ in range(args.runs):
                t = time.perf_counter()
                model.expected_purchases(52.0, d)
                model.p_alive(d)
                walls.append(time.perf_counter() - t)
            ours["predict_s"] = float(np.median(walls))
        print("cxmodels", json.dumps(ours))
        if have_lt:
            lt = run_lifetimes(py, d, name, args.lifetimes_timeout if name == "pareto" else None)
            if lt is None:
                # lifetimes did not finish on the full data: both tools on the same systematic subsample
                step = max(1, len(d) // args.subsample)
                sub = d.iloc[::step]
                entry["lifetimes_full_data"] = f"did not finish within {args.lifetimes_timeout:g} s"
                entry["subsample_rows"] = len(sub)
                _, entry["cxmodels_subsample"] = time_ours(fits[name], sub, args.runs)
                lt = run_lifetimes(py, sub, name, None)
                ref = entry["cxmodels_subsample"]
            else:
                ref = ours
            entry["lifetimes"] = lt
            print("lifetimes", json.dumps(lt))
            entry["ratio_fit_vs_lifetimes"] = ref["fit_s"] / lt["fit_s"]
            entry["max_rel_param_diff"] = max(abs(ref["params"][k] / lt["params"][k] - 1) for k in ref["params"])
            if name == "bgnbd":
                entry["ratio_predict_vs_lifetimes"] = ours["predict_s"] / lt["predict_s"]
            result["lifetimes_version"] = lt["version"]
            print(name, "ratio", entry["ratio_fit_vs_lifetimes"])
        else:
            print(f"lifetimes interpreter {py} not found: cxmodels timed alone")
        result["models"][name] = entry
    out = ROOT / "benchmarks" / "results" / "clv_fit_speed.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
