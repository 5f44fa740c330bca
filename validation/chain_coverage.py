"""Coverage study of the value chain: does the 95% interval of CLV per satisfaction point cover
the truth in 90-98% of customer bases, with a bias under 5% of the truth?

For each item scale (5, 7 and 10 points, and continuous items) ``--bases`` seeded customer
bases (``cxmodels.datasets.make_customer_base``, ``--n`` customers) in which half the
customers answer the survey: at random in even-numbered bases, with log-odds of answering
``+0.8`` per standard deviation of satisfaction in odd-numbered ones (so respondents are more
satisfied than the base). Each base is fitted with ``fit_value_chain`` on the behaviour of
every customer and the respondents' survey (Likert items by the ordinal model with
``scale=K``, continuous items by the CB-SEM), ``--boot`` bootstrap replicates. The truth is
the generator's CLV change per unit of satisfaction for the whole base, by Monte Carlo on
2,000,000 simulated customers.

    python validation/chain_coverage.py [--bases 50 --n 1500 --boot 100 --out validation/results]
    # on two cores: run --part 0/2 and --part 1/2 side by side, then --merge

Writes ``chain_coverage.csv`` (one row per base, appended as it goes: an interrupted run keeps
its bases and resumes; a part writes ``chain_coverage.part<k>.csv``) and ``chain_coverage.json``
(the table per scale and response). Seeded: base ``i`` of scale ``K`` uses seed
``10_000 * K + i`` (continuous: ``10_000 + i``).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SCALES = [5, 7, 10, None]


def one_base(scale, i, n, boot):
    from cxmodels.chain import fit_value_chain
    from cxmodels.datasets import make_customer_base

    dep = 0.8 if i % 2 else 0.0
    seed = 10_000 * (scale or 1) + i
    b = make_customer_base(n, n_experiment=0, seed=seed, scale=scale, n_truth=10, response_rate=0.5,
                           response_dependence=dep)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ch = fit_value_chain(b.behaviour, b.model, survey=b.survey, customer="customer_id", scale=scale,
                             n_boot=boot, seed=seed, plugin=False, progress=False)
    row = ch.summary().loc["clv_per_unit"]
    return {"scale": "continuous" if scale is None else f"{scale}-point", "base": i, "seed": seed,
            "response_dependence": dep, "respondents": len(b.survey), "est": row["est"],
            "ci_lower": row["ci_lower"], "ci_upper": row["ci_upper"],
            "nonrespondent_shift": ch.params.get("nonrespondent_shift", np.nan),
            "converged": ch.converged, "seconds": time.perf_counter() - t0}


def truth():
    from cxmodels.datasets import make_customer_base
    return make_customer_base(10, n_experiment=0, seed=1, n_truth=2_000_000).truth["chain"]["clv_per_unit"]


def table(df, true_value):
    df = df.assign(covered=(df.ci_lower <= true_value) & (true_value <= df.ci_upper))
    g = df.groupby(["scale", "response_dependence"])
    out = g.agg(bases=("est", "size"), coverage=("covered", "mean"), mean_estimate=("est", "mean"),
                mean_width=("ci_upper", "mean"))
    out["mean_width"] = (df.ci_upper - df.ci_lower).groupby([df.scale, df.response_dependence]).mean()
    out["bias_pct_of_truth"] = 100 * (out["mean_estimate"] - true_value) / true_value
    out["se_of_bias_pct"] = 100 * g["est"].std(ddof=1) / np.sqrt(out["bases"]) / true_value
    allrows = df.groupby("scale").agg(bases=("est", "size"), coverage=("covered", "mean"),
                                      mean_estimate=("est", "mean"))
    allrows["bias_pct_of_truth"] = 100 * (allrows["mean_estimate"] - true_value) / true_value
    return out.reset_index(), allrows.reset_index()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bases", type=int, default=50)
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--boot", type=int, default=100)
    ap.add_argument("--out", default=str(ROOT / "validation" / "results"))
    ap.add_argument("--part", default="0/1", help="k/m: only bases i with i % m == k")
    ap.add_argument("--merge", action="store_true", help="merge the part files and write the table")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    k, m = (int(v) for v in args.part.split("/"))
    csv = out / ("chain_coverage.csv" if m == 1 else f"chain_coverage.part{k}.csv")
    if args.merge:
        parts = sorted(out.glob("chain_coverage.part*.csv"))
        pd.concat([pd.read_csv(p) for p in parts]).sort_values(["scale", "base"]).to_csv(
            out / "chain_coverage.csv", index=False)
        csv = out / "chain_coverage.csv"
    done = pd.read_csv(csv) if csv.exists() else pd.DataFrame(columns=["scale", "base"])
    seen = set(zip(done["scale"], done["base"]))
    t_true = truth()
    for i in ([] if args.merge else range(k, args.bases, m)):   # scales interleaved: a partial run covers all
        for scale in SCALES:
            key = ("continuous" if scale is None else f"{scale}-point", i)
            if key in seen:
                continue
            row = one_base(scale, i, args.n, args.boot)
            pd.DataFrame([row]).to_csv(csv, mode="a", header=not csv.exists() or csv.stat().st_size == 0,
                                       index=False)
            print(row, flush=True)
    if m > 1 and not args.merge:
        return
    df = pd.read_csv(csv)
    by_response, by_scale = table(df, t_true)
    res = {"truth_clv_per_unit": t_true, "n_customers": args.n, "n_boot": args.boot, "bases_per_scale": args.bases,
           "by_scale_and_response": by_response.to_dict(orient="records"),
           "by_scale": by_scale.to_dict(orient="records"),
           "machine": platform.platform(), "python": platform.python_version()}
    (out / "chain_coverage.json").write_text(json.dumps(res, indent=2, default=float))
    print(by_response.to_string())
    print(by_scale.to_string())
    print(markdown(by_response, t_true))


def markdown(by_response, true_value) -> str:
    """The table of docs/validation.md."""
    lines = ["| items | response | bases | coverage of the 95% interval | mean estimate | bias (% of truth) "
             "| mean interval width |", "|---|---|---|---|---|---|---|"]
    for r in by_response.itertuples():
        resp = "random" if r.response_dependence == 0 else f"+{r.response_dependence:g} log-odds per SD"
        lines.append(f"| {r.scale} | {resp} | {r.bases} | {r.coverage:.2f} | {r.mean_estimate:.1f} | "
                     f"{r.bias_pct_of_truth:+.1f} (SE {r.se_of_bias_pct:.1f}) | {r.mean_width:.1f} |")
    lines.append(f"\nTruth: {true_value:.1f} per unit of satisfaction.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
