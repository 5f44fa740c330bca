"""Benchmark: bootstrap refits of the PoliticalDemocracy SEM, cxmodels vs semopy.

Both refit the same model to the same resampled data sets (one set of seeded row
indices), in one run.  cxmodels refits all ``--reps`` replicates; semopy, about 20x
slower, a subset of ``--semopy-reps`` of them.  Reported: the median over ``--runs``
runs of the time per refit, and the ratio.  Writes benchmarks/results/sem_bootstrap.json.

    python benchmarks/bench_sem_bootstrap.py [--reps 1000] [--semopy-reps 50] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np

MODEL = """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4
y2 ~~ y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--semopy-reps", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    import semopy

    from cxmodels import datasets
    from cxmodels.sem import fit_sem
    from cxmodels.sem.cb.bootstrap import refit_replicates

    data = datasets.load_political_democracy()
    res = fit_sem(MODEL, data)
    rng = np.random.default_rng(2026)
    indices = [[rng.integers(0, len(data), len(data))] for _ in range(args.reps)]

    ours, theirs, agree = [], [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        thetas = refit_replicates(res, indices)
        ours.append((time.perf_counter() - t) / args.reps)
        t = time.perf_counter()
        est = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for idx in indices[: args.semopy_reps]:
                m = semopy.Model(MODEL)
                m.fit(data.iloc[idx[0]].reset_index(drop=True))
                est.append(m.inspect().query("op == '~' and lval == 'dem60'")["Estimate"].iloc[0])
        theirs.append((time.perf_counter() - t) / args.semopy_reps)
        # Same data, same answers: the dem60 ~ ind60 path per replicate.
        pid = list(res.vcov().index).index("dem60~ind60")  # columns of thetas: the free parameters in order
        agree.append(float(np.nanmax(np.abs(thetas[: args.semopy_reps, pid] - np.asarray(est)))))

    out = {
        "workload": "bootstrap refits, PoliticalDemocracy SEM (Bollen 1989), N=75, ML",
        "replicates_cxmodels": args.reps, "replicates_semopy": args.semopy_reps, "runs": args.runs,
        "cxmodels_ms_per_refit": 1000 * float(np.median(ours)),
        "semopy_ms_per_refit": 1000 * float(np.median(theirs)),
        "ratio_cxmodels_over_semopy": float(np.median(ours) / np.median(theirs)),
        "max_abs_diff_dem60_on_ind60": max(agree),
        "semopy_version": semopy.__version__ if hasattr(semopy, "__version__") else "unknown",
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    path = Path(__file__).parent / "results" / "sem_bootstrap.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
