"""Benchmark: Fine-Gray against R's cmprsk::crr (timed in one run), and gradient-boosted
survival on many customers.

* Fine-Gray: ``fine_gray`` on a simulated two-cause churn data set of ``--n-fg`` customers
  against ``crr`` on the same CSV, timed inside one ``Rscript`` run (R start-up excluded);
  the largest coefficient difference is recorded.  Skipped (recorded as such) without Rscript
  and cmprsk.
* Gradient-boosted survival: ``ml_survival(kind="gradient_boosting")`` and
  ``kind="discrete_hazard"`` on ``--n-ml`` customers (the issue asks for 100,000), one
  cross-validation split pair (``cv=2``), 100 trees, no permutation importance.

    python benchmarks/bench_churn_ml.py [--n-fg 5000 --n-ml 100000]

Writes benchmarks/results/churn_ml.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def simulate(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    t1 = rng.exponential(1 / (0.05 * np.exp(X @ [0.5, 0.3, 0.0])))
    t2 = rng.exponential(1 / (0.03 * np.exp(X @ [-0.3, 0.0, 0.4])))
    c = rng.uniform(6, 36, n)
    t = np.minimum.reduce([t1, t2, c])
    cause = np.where(t == c, 0, np.where(t == t1, 1, 2))
    return pd.DataFrame({"tenure": np.ceil(t), "cause": cause, "x1": X[:, 0], "x2": X[:, 1], "x3": X[:, 2]})


def bench_fine_gray(n: int) -> dict:
    from cxmodels.churn import fine_gray

    d = simulate(n, 2026)
    covs = ["x1", "x2", "x3"]
    fine_gray(d.head(200), "tenure", "cause", covs, cause=1)   # warm-up
    t0 = time.perf_counter()
    fit = fine_gray(d, "tenure", "cause", covs, cause=1)
    t_py = time.perf_counter() - t0
    out = {"n": n, "cxmodels_s": t_py}
    if not shutil.which("Rscript"):
        return {**out, "r": "skipped: no Rscript"}
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "d.csv"
        d.to_csv(csv, index=False)
        script = (f'suppressPackageStartupMessages(library(cmprsk)); d <- read.csv("{csv}"); '
                  't0 <- proc.time()[["elapsed"]]; '
                  'z <- crr(d$tenure, d$cause, as.matrix(d[, c("x1", "x2", "x3")]), failcode = 1, cencode = 0); '
                  'el <- proc.time()[["elapsed"]] - t0; cat(el, z$coef, "\\n")')
        p = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=3600)
    if p.returncode != 0:
        return {**out, "r": f"skipped: {p.stderr.strip()[:200]}"}
    vals = [float(v) for v in p.stdout.split()]
    return {**out, "r_crr_s": vals[0], "ratio": t_py / vals[0],
            "max_abs_coef_diff": float(np.max(np.abs(np.array(vals[1:]) - fit.params.to_numpy())))}


def bench_ml(n: int) -> dict:
    from cxmodels.churn import ml_survival

    d = simulate(n, 7).assign(churned=lambda x: (x["cause"] > 0).astype(int))
    out = {"n": n}
    for kind, params in (("gradient_boosting", {"n_estimators": 100}), ("discrete_hazard", {"max_iter": 100})):
        t0 = time.perf_counter()
        r = ml_survival(d, "tenure", "churned", ["x1", "x2", "x3"], kind=kind, cv=2, n_repeats=0, params=params,
                        horizons=[6, 12, 24], seed=1, progress=False)
        out[kind] = {"seconds": time.perf_counter() - t0, "uno_c": float(r.params["uno_c"]),
                     "ibs": float(r.params["ibs"])}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-fg", type=int, default=5000)
    ap.add_argument("--n-ml", type=int, default=100000)
    args = ap.parse_args()
    res = {"date": time.strftime("%Y-%m-%d"), "python": platform.python_version(),
           "fine_gray": bench_fine_gray(args.n_fg), "ml": bench_ml(args.n_ml)}
    out = ROOT / "benchmarks" / "results" / "churn_ml.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
