"""Benchmark: the value chain fit of ``cxmodels study chain``, before and after the faster
ordinal measurement step of its bootstrap (issue 13, "Speed": under 15 s for 1000 replicates).

The study fits ``fit_value_chain(base.behaviour, base.model, survey=base.survey,
customer="customer_id", driver="PQ", scale=10, n_boot=1000, seed=2026)`` on
``make_customer_base(3000, n_experiment=2000, seed=2026, response_rate=0.5,
response_dependence=0.8)``: Likert items (ordinal-probit factor models for satisfaction and
its driver), half the base answering, satisfaction-dependent response. Each bootstrap
replicate refits both ordinal models and the outcome model.

In one run, each in a fresh process (so worker start-up is counted):

* ``before``: the study's chain fit at git revision ``--before`` (the code before the change),
  extracted with ``git archive``; ``after``: at ``--after`` (default HEAD), with ``n_jobs=1``
  and ``2`` (the study's setting; the workers set a 64 MB glibc heap top pad, without which
  fresh workers page-fault on every large temporary), ``--repeats`` times each, alternated
  (medians). Wall time of the fit, and the
  CPU time of the caller and of the worker processes.
* the measurement step alone (``chain.survey._measure`` on 50 resamples, best of 5 blocks,
  CPU ms per replicate) with the before revision's ``measurement.py``/``survey.py`` placed in
  today's tree (the same outcome model, so only the measurement step differs) and after;
* the numbers: the largest change in the main fit's estimates and in the bootstrap
  replicates (``--check-boot`` of them, same seed) between those two trees, the latter in
  bootstrap SDs.

The machine is shared (2 cores, other agents): the load average at start and end is recorded.
Writes benchmarks/results/chain_study.json.

    python benchmarks/bench_chain_study.py [--n-boot 1000 --before 786a799 --check-boot 200 --repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# run in a fresh interpreter: the study's chain fit, timed (wall, and the caller's CPU)
FIT = r"""
import json, pickle, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from cxmodels.chain import fit_value_chain
from cxmodels.datasets import make_customer_base
n_boot, n_jobs, dump = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
base = make_customer_base(3000, n_experiment=2000, seed=2026, response_rate=0.5, response_dependence=0.8)
kw = dict(n_jobs=n_jobs) if n_jobs != 1 else {}
w0, c0 = time.perf_counter(), time.process_time()
chain = fit_value_chain(base.behaviour, base.model, survey=base.survey, customer="customer_id", driver="PQ",
                        scale=10, n_boot=n_boot, seed=2026, progress=False, **kw)
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
if n_jobs != 1:      # the workers' CPU: counted once they are shut down and reaped
    import resource
    from joblib.externals.loky import get_reusable_executor
    get_reusable_executor().shutdown(wait=True)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_workers = ru.ru_utime + ru.ru_stime
else:
    cpu_workers = 0.0
m = chain._main
reps = np.array([np.r_[r.theta, r.beta, r.phi, r.mean_spend] for r in chain._reps])
if dump != "-":
    pickle.dump(dict(main=np.r_[m.theta, m.beta, m.phi, m.mean_spend, m.ordinal.theta],
                     reps=reps, table=chain.summary()[["est", "se", "ci_lower", "ci_upper"]]), open(dump, "wb"))
print(json.dumps({"wall_s": wall, "cpu_s_caller": cpu, "cpu_s_workers": cpu_workers, "n_used": len(reps),
                  "clv_per_unit": float(chain.params["clv_per_unit"])}))
"""

# the measurement step alone on 50 bootstrap resamples: CPU ms per replicate, best of 5 blocks
MEASURE = r"""
import json, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from cxmodels.chain import fit_value_chain
from cxmodels.chain import survey
from cxmodels.datasets import make_customer_base
base = make_customer_base(3000, n_experiment=2000, seed=2026, response_rate=0.5, response_dependence=0.8)
chain = fit_value_chain(base.behaviour, base.model, survey=base.survey, customer="customer_id", driver="PQ",
                        scale=10, n_boot=0, seed=2026, progress=False, plugin=False)
spec, warm = chain._spec, chain._main.warm
rng = np.random.default_rng(0)
n = len(base.behaviour)
W = [np.bincount(rng.integers(0, n, n), minlength=n).astype(float) for _ in range(50)]
blocks = []
for _ in range(5):
    c0 = time.process_time()
    for w in W:
        survey._measure(spec, "joint", w, dict(warm), {})
    blocks.append((time.process_time() - c0) / len(W) * 1000)
print(json.dumps({"measure_ms_per_replicate": min(blocks), "blocks_ms": blocks}))
"""


def _tree(rev: str, dest: Path, overlay_rev: str | None = None) -> Path:
    """``cxmodels`` at git revision ``rev`` under ``dest`` (committed code: the working tree is
    shared with other edits in progress); with ``overlay_rev`` its measurement.py and survey.py
    replaced by that revision's."""
    dest.mkdir(parents=True)
    with tempfile.TemporaryFile() as fh:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev, "cxmodels"], stdout=fh, check=True)
        fh.seek(0)
        with tarfile.open(fileobj=fh) as tar:
            tar.extractall(dest)
    for name in ("measurement.py", "survey.py") if overlay_rev else ():
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{overlay_rev}:cxmodels/chain/{name}"],
                              capture_output=True, text=True, check=True).stdout
        if name == "survey.py" and "\nSHIFTS = " not in text:
            # today's links.py and btyd.py import the sensitivity shifts from survey.py (moved there after
            # the before revision): the old survey.py gets the same tuple, nothing else changes
            text += "\nSHIFTS = (-0.5, -0.25, 0.0, 0.25, 0.5)\n"
        (dest / "cxmodels" / "chain" / name).write_text(text)
    return dest


def _run(code: str, tree: Path, *args) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TOP_PAD_"}
    env["PYTHONPATH"] = str(tree)
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=env,
                         cwd=tree)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--before", default="786a799", help="git revision before the change")
    ap.add_argument("--after", default="HEAD", help="git revision after the change (committed code)")
    ap.add_argument("--check-boot", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3, help="runs of each 'after' setting (medians)")
    args = ap.parse_args()
    import pickle

    import numpy as np

    load0 = list(os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        before = _tree(args.before, tmp / "before")
        after = _tree(args.after, tmp / "after")
        hybrid = _tree(args.after, tmp / "hybrid", overlay_rev=args.before)
        study = {"before_n_jobs_1": [_run(FIT, before, args.n_boot, 1, "-")],
                 "after_n_jobs_1": [], "after_n_jobs_2_as_the_study": []}
        for _ in range(args.repeats):        # alternated: the load of the other agents drifts
            study["after_n_jobs_1"].append(_run(FIT, after, args.n_boot, 1, "-"))
            study["after_n_jobs_2_as_the_study"].append(_run(FIT, after, args.n_boot, 2, "-"))
        measure = {"before": _run(MEASURE, hybrid), "after": _run(MEASURE, after)}
        # the numbers: same outcome model, old and new measurement step, same seed
        one, two = _run(FIT, hybrid, args.check_boot, 1, tmp / "old.pkl"), _run(FIT, after, args.check_boot, 1,
                                                                              tmp / "new.pkl")
        check = {"n_boot": args.check_boot}
        if "error" in one or "error" in two:
            check["error"] = one.get("error") or two.get("error")
        else:
            a, b = pickle.load(open(tmp / "old.pkl", "rb")), pickle.load(open(tmp / "new.pkl", "rb"))
            sd = a["reps"].std(axis=0, ddof=1)
            sd = np.where(sd > 0, sd, 1.0)
            check.update(main_max_abs_diff=float(np.max(np.abs(a["main"] - b["main"]))),
                         replicates_max_abs_diff=float(np.max(np.abs(a["reps"] - b["reps"]))),
                         replicates_max_diff_in_boot_sd=float(np.max(np.abs(a["reps"] - b["reps"]) / sd)),
                         table_max_abs_diff=float(np.max(np.abs(a["table"].to_numpy() - b["table"].to_numpy()))))
    out = {
        "benchmark": "cxmodels study chain: the chain fit with its bootstrap",
        "n_boot": args.n_boot, "before_revision": args.before,
        "study_fit": study,
        "median_wall_s": {k: float(np.median([r["wall_s"] for r in v])) for k, v in study.items()
                          if all("wall_s" in r for r in v)},
        "median_cpu_s_all_processes": {k: float(np.median([r["cpu_s_caller"] + r["cpu_s_workers"] for r in v]))
                                       for k, v in study.items() if all("wall_s" in r for r in v)},
        "measurement_step": measure,
        "numbers_before_vs_after": check,
        "target_s": 15.0,
        "load_average_at_start": load0, "load_average_at_end": list(os.getloadavg()),
        "cpu_count": os.cpu_count(), "machine": platform.platform(), "python": platform.python_version(),
        "note": "shared machine: other agents' processes ran at the same time (see the load averages)",
    }
    (ROOT / "benchmarks" / "results" / "chain_study.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
