"""Benchmark: the two-level SEM of lavaan's Demo.twolevel (2500 rows, 200 clusters), cxmodels
vs lavaan (R), in one run.

cxmodels is timed in this process; lavaan by ``system.time()`` inside one Rscript call (R's
start-up and the CSV read excluded).  Reported: the median of ``--runs`` fits of each, and
the ratio cxmodels / lavaan.  Needs Rscript with lavaan (``apt-get install r-cran-lavaan``).
Writes benchmarks/results/sem_twolevel.json.

    python benchmarks/bench_sem_twolevel.py [--runs 5]
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
DATA = ROOT / "tests" / "fixtures" / "lavaan_twolevel" / "demo_twolevel.csv"
MODEL = """
level: 1
    fw =~ y1 + y2 + y3
    fw ~ x1 + x2 + x3
level: 2
    fb =~ y1 + y2 + y3
    fb ~ w1 + w2
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from cxmodels.sem import fit_sem
    data = pd.read_csv(DATA)
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        res = fit_sem(MODEL, data, cluster="cluster")
        times.append(time.perf_counter() - t)
    script = (f"suppressMessages(library(lavaan)); d <- read.csv('{DATA}')\n"
              f"model <- '{MODEL}'\n"
              f"t <- sapply(1:{args.runs}, function(i) system.time(sem(model, data = d, cluster = 'cluster'))[['elapsed']])\n"
              "cat(median(t), as.character(packageVersion('lavaan')), '\\n')\n")
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(["Rscript", fh.name], capture_output=True, text=True, check=True).stdout.split()
    lavaan_s, lavaan_version = float(out[0]), out[1]
    cx = float(np.median(times))
    result = {"benchmark": "two-level SEM, Demo.twolevel (2500 rows, 200 clusters, 20 parameters)",
              "cxmodels_s": cx, "lavaan_s": lavaan_s, "ratio_cxmodels_over_lavaan": cx / lavaan_s,
              "runs": args.runs, "lavaan": lavaan_version, "chisq": float(res.fit_indices()["chisq"]),
              "machine": platform.platform(), "note": "shared 2-core machine; timings under contention"}
    path = ROOT / "benchmarks" / "results" / "sem_twolevel.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
