"""Coverage study of the noncontractual (BG/NBD) value chain: does the 95% interval of CLV per
satisfaction point cover the truth, and how large is the bias?

Each seeded customer base (``--n`` customers, BG/NBD with satisfaction ``s ~ N(0, 1)`` on the
purchase rate, ``alpha_i = alpha exp(-0.5 s)``, and on dropout, ``a_i = a exp(-0.4 s)``; three
survey items with loadings 1, 0.8, 1.2 and error SD 0.6, rounded to a 7-point scale or kept
continuous) has about half its customers answering the survey: at random in even-numbered
bases, with log-odds of answering ``+1`` per SD of satisfaction in odd-numbered ones (so
respondents are more satisfied than the base). Each base is fitted with
``fit_value_chain(..., clv_model="bgnbd")`` (default ``response="selection"``, ``--boot``
bootstrap replicates). The truth is the chain's estimand at the true parameters on that base:
the base average of CLV(s + 1) - CLV(s) given each history (horizon 52, discount 0.002 per time
unit), in the chain's latent metric (origin at the respondents' mean satisfaction, so the true
``alpha`` and ``a`` are moved accordingly; non-respondents' population at their true mean).

    nice python validation/btyd_chain_coverage.py [--bases 20 --n 1500 --boot 100 --minutes 25]

Writes ``validation/results/btyd_chain_coverage.csv`` (one row per base, appended as it goes:
an interrupted run keeps its bases and resumes) and ``btyd_chain_coverage.json`` (the table by
items and response). Seeded: base ``i`` uses seed ``50_000 + i``; 7-point items in bases
``i % 4 in (0, 1)``, continuous in the others. ``--minutes`` stops starting new bases after that long.
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
TRUTH = dict(r=0.8, alpha=6.0, a=0.8, b=2.5, gamma=0.5, gamma_d=-0.4)
MODEL = "SAT =~ y1 + y2 + y3"
ECON = dict(horizon=52, discount_rate=0.002)


def simulate(n, seed, scale, dependence):
    """A BG/NBD base with satisfaction on both processes; the survey of about half the customers."""
    rng = np.random.default_rng(seed)
    s = rng.normal(size=n)
    lam = rng.gamma(TRUTH["r"], 1 / (TRUTH["alpha"] * np.exp(-TRUTH["gamma"] * s)))
    p = rng.beta(TRUTH["a"] * np.exp(TRUTH["gamma_d"] * s), TRUTH["b"])
    T = rng.uniform(26, 52, size=n)
    x, tx, t = np.zeros(n), np.zeros(n), np.zeros(n)
    alive = np.ones(n, bool)
    while alive.any():
        t = t + rng.exponential(1 / np.maximum(lam, 1e-12))
        ok = alive & (t <= T)
        x[ok] += 1
        tx[ok] = t[ok]
        alive = ok & (rng.uniform(size=n) > p)
    beh = pd.DataFrame({"id": np.arange(n), "frequency": x, "recency": tx, "T": T})
    who = np.flatnonzero(rng.uniform(size=n) < 1 / (1 + np.exp(-dependence * s)))
    items = {}
    for j, l in enumerate([1.0, 0.8, 1.2]):
        y = (4.5 if scale else 5.0) + l * s[who] + rng.normal(0, 0.6, len(who))
        items[f"y{j + 1}"] = np.clip(np.rint(y), 1, scale) if scale else y
    return beh, pd.DataFrame({"id": who, **items}), s


def true_value(beh, survey, s, scale):
    """The estimand at the true parameters on this base (the chain's functional and nodes)."""
    from cxmodels.chain import btyd

    spec = btyd.BTYDSpec(beh, MODEL, "SAT", ("frequency", "recency", "T"), None, None, survey, "id", scale)
    c = s[spec.resp].mean()
    mu = s[~spec.resp].mean() - c
    st = btyd._stage(spec, "bgnbd", response="random", mu_fixed=mu)
    g, gd = TRUTH["gamma"], TRUTH["gamma_d"]
    theta = np.r_[np.log([TRUTH["r"], TRUTH["alpha"] * np.exp(-g * c), TRUTH["a"] * np.exp(gd * c), TRUTH["b"]]),
                  g, gd]
    x, tx, T, _ = btyd._arrays(spec)
    _, _, _, P = btyd._posterior("bgnbd", theta, x, tx, T, st.S, st.logw)
    v = btyd._clv("bgnbd", btyd._replace(st, theta=theta, P=P), spec, [0.0, 1.0], ECON)
    return float(v[1] - v[0]), float(mu)


def one_base(i, n, boot):
    from cxmodels.chain import fit_value_chain

    seed = 50_000 + i
    scale = 7 if i % 4 in (0, 1) else None
    dep = 1.0 if i % 2 else 0.0
    beh, survey, s = simulate(n, seed, scale, dep)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ch = fit_value_chain(beh, MODEL, survey=survey, customer="id", clv_model="bgnbd", spend=None, scale=scale,
                             horizon=ECON["horizon"], discount_rate=ECON["discount_rate"], n_boot=boot, seed=seed,
                             progress=False)
        secs = time.perf_counter() - t0
        tv, mu = true_value(beh, survey, s, scale)
    t = ch.summary()
    row = t.loc["clv_per_unit"]
    nr = t.loc["nonrespondent_shift"]
    return {"scale": "continuous" if scale is None else f"{scale}-point", "base": i, "seed": seed,
            "response_dependence": dep, "respondents": len(survey), "truth": tv, "est": row["est"],
            "ci_lower": row["ci_lower"], "ci_upper": row["ci_upper"], "true_nonrespondent_shift": mu,
            "nonrespondent_shift": nr["est"], "nr_lower": nr["ci_lower"], "nr_upper": nr["ci_upper"],
            "gamma": t.loc["gamma", "est"], "gamma_dropout": t.loc["gamma_dropout", "est"],
            "converged": ch.converged, "seconds": secs}


def table(df):
    df = df.assign(covered=(df.ci_lower <= df.truth) & (df.truth <= df.ci_upper),
                   nr_covered=(df.nr_lower <= df.true_nonrespondent_shift) & (df.true_nonrespondent_shift <= df.nr_upper),
                   err=df.est - df.truth, width=df.ci_upper - df.ci_lower)
    g = df.groupby(["scale", "response_dependence"])
    out = g.agg(bases=("est", "size"), coverage=("covered", "mean"), mean_truth=("truth", "mean"),
                mean_estimate=("est", "mean"), mean_width=("width", "mean"), nr_coverage=("nr_covered", "mean"),
                seconds=("seconds", "mean"))
    out["bias_pct_of_truth"] = 100 * g["err"].mean() / out["mean_truth"]
    out["se_of_bias_pct"] = 100 * g["err"].std(ddof=1) / np.sqrt(out["bases"]) / out["mean_truth"]
    overall = {"bases": len(df), "coverage": float(df.covered.mean()),
               "bias_pct_of_truth": float(100 * df.err.mean() / df.truth.mean()),
               "se_of_bias_pct": float(100 * df.err.std(ddof=1) / np.sqrt(len(df)) / df.truth.mean()),
               "nr_coverage": float(df.nr_covered.mean())}
    return out.reset_index(), overall


def markdown(tab, overall) -> str:
    lines = ["| items | response | bases | coverage of the 95% interval | mean truth | mean estimate | "
             "bias (% of truth) | mean width | coverage of non-respondents' shift |", "|---|---|---|---|---|---|---|---|---|"]
    for r in tab.itertuples():
        resp = "random" if r.response_dependence == 0 else f"+{r.response_dependence:g} log-odds per SD"
        lines.append(f"| {r.scale} | {resp} | {r.bases} | {r.coverage:.2f} | {r.mean_truth:.3f} | "
                     f"{r.mean_estimate:.3f} | {r.bias_pct_of_truth:+.1f} (SE {r.se_of_bias_pct:.1f}) | "
                     f"{r.mean_width:.3f} | {r.nr_coverage:.2f} |")
    lines.append(f"| all | | {overall['bases']} | {overall['coverage']:.2f} | | | "
                 f"{overall['bias_pct_of_truth']:+.1f} (SE {overall['se_of_bias_pct']:.1f}) | | "
                 f"{overall['nr_coverage']:.2f} |")
    return "\n".join(lines)


def run(bases, n, boot, out, minutes=None, name="btyd_chain_coverage"):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / f"{name}.csv"
    done = pd.read_csv(csv) if csv.exists() else pd.DataFrame(columns=["base"])
    seen = set(done["base"])
    start = time.perf_counter()
    for i in range(bases):
        if i in seen:
            continue
        if minutes is not None and time.perf_counter() - start > 60 * minutes:
            break
        row = one_base(i, n, boot)
        pd.DataFrame([row]).to_csv(csv, mode="a", header=not csv.exists() or csv.stat().st_size == 0, index=False)
        print(row, flush=True)
    df = pd.read_csv(csv)
    tab, overall = table(df)
    res = {"n_customers": n, "n_boot": boot, "bases": int(len(df)), "truth_parameters": TRUTH, **ECON,
           "by_scale_and_response": tab.to_dict(orient="records"), "overall": overall,
           "machine": platform.platform(), "python": platform.python_version()}
    (out / f"{name}.json").write_text(json.dumps(res, indent=2, default=float))
    return tab, overall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bases", type=int, default=20)
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--boot", type=int, default=100)
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--out", default=str(ROOT / "validation" / "results"))
    args = ap.parse_args()
    tab, overall = run(args.bases, args.n, args.boot, args.out, args.minutes)
    print(tab.to_string())
    print(overall)
    print(markdown(tab, overall))


if __name__ == "__main__":
    main()
