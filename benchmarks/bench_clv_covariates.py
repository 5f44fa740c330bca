"""Benchmark: BG/NBD, Pareto/NBD and Gamma-Gamma with time-invariant covariates, cxmodels' maximum
likelihood vs pymc-marketing's MAP with flat priors, same rows, one run (issues 13 and 19).

Data: a seeded simulated base of ``--n`` customers (default 100,000) with two correlated continuous
covariates ``z1, z2`` (standard normal, correlation 0.3) acting on the purchase and the dropout
process, drawn from the generative model itself (Fader & Hardie 2007 parametrisation, the one
cxmodels and pymc-marketing share):

* BG/NBD: ``lambda_i ~ Gamma(r, alpha e^{-g_p'z})``, ``p_i ~ Beta(a e^{g_a'z}, b e^{g_b'z})``;
* Pareto/NBD: ``lambda_i ~ Gamma(r, alpha e^{-g_p'z})``, ``mu_i ~ Gamma(s, beta e^{-g_d'z})``;
* Gamma-Gamma (the repeat buyers of the BG/NBD base): ``nu_i ~ Gamma(q, v e^{g_m'z})``, mean spend
  of ``x`` transactions ``~ Gamma(p x, x nu_i)``;

baseline parameters at the published CDNOW estimates, first purchases spread uniformly
(continuously) over 78 weeks, so every (frequency, recency, T, z1, z2) row is distinct and
merging identical rows saves nothing.

cxmodels: ``fit_bgnbd_covariates`` / ``fit_pareto_nbd_covariates`` / ``fit_gamma_gamma_covariates``
(BFGS with analytic gradients; the standard errors from the observed information are part of the
fit and of the time), median of ``--runs`` runs, wall and CPU seconds.

pymc-marketing 0.19.2 runs in its own virtual environment (``--pymc-python``; install line in
tests/fixtures/clv_covariates/make_pymc_marketing.py) on the same rows, passed through a temporary
CSV written at full precision, one run per model: ``BetaGeoModel`` / ``ParetoNBDModel`` with
``HalfFlat`` priors on the baseline and ``Flat`` priors on the coefficients (as the parity fixtures),
``pymc.find_MAP`` with L-BFGS-B at the parity script's tight tolerances, so the MAP is the
maximum-likelihood estimate.  pymc-marketing's ``GammaGammaModel`` has no covariates: its own
likelihood (the same ``pm.Potential``) is extended with ``v_i = v exp(g_m'z)`` in a subclass
and fitted the same way (the JSON says so).  Each model starts from an empty pytensor
compilation cache; the log density and its gradient are compiled first and timed apart
(``compile_s``), then ``find_MAP`` runs with the compiled code cached (``map_s``, its own graph
compilation and the optimisation); the ratio uses build + ``map_s`` (the fit a user repeats),
``fit_s_with_first_compile`` adds the first compilation.  A model pymc-marketing
does not finish within ``--pymc-timeout`` seconds on the full base is recorded as such (in the 2026-12-01
run every model finished on the full base) and both libraries are then timed on a systematic subsample of ``--subsample`` rows.

Agreement: the largest absolute difference of the estimates (natural scale), the largest relative
difference of the baseline parameters, and the log-likelihood of each side's estimates evaluated by
cxmodels' row log-likelihood (the higher one is the better maximum).  Recovery: each cxmodels
estimate against the simulation's truth, in standard errors.  Writes
benchmarks/results/clv_covariates.json.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_clv_covariates.py [--n 100000 --runs 3 \\
        --pymc-python /tmp/pymcm_venv/bin/python --pymc-timeout 1800 --subsample 10000]
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
COVS = ["z1", "z2"]

#: simulation truth: CDNOW baselines (weeks), coefficients per process on (z1, z2)
TRUTH = {
    "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426,
              "purchase": [0.3, -0.2], "dropout_a": [0.25, -0.1], "dropout_b": [-0.2, 0.15]},
    "pareto": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669,
               "purchase": [0.3, -0.2], "dropout": [-0.25, 0.15]},
    "gg": {"p": 6.25, "q": 3.74, "v": 15.44, "spend": [0.2, -0.1]},
}
#: pymc-marketing variable -> cxmodels name
PYMC_NAMES = {
    "bgnbd": {"alpha_scale": "alpha", "a_scale": "a", "b_scale": "b", "r": "r",
              "purchase_coefficient_alpha": "purchase", "dropout_coefficient_a": "dropout_a",
              "dropout_coefficient_b": "dropout_b"},
    "pareto": {"r": "r", "alpha_scale": "alpha", "s": "s", "beta_scale": "beta",
               "purchase_coefficient": "purchase", "dropout_coefficient": "dropout"},
    "gg": {"p": "p", "q": "q", "v_scale": "v", "spend_coefficient": "spend"},
}

PYMC_TIMER = r"""
import sys, time, json
import numpy as np, pandas as pd
t_import = time.perf_counter()
import pymc as pm, pytensor.tensor as pt
import pymc_marketing
from pymc_extras.prior import Prior
from pymc_marketing.clv import BetaGeoModel, ParetoNBDModel, GammaGammaModel
t_import = time.perf_counter() - t_import
path, model_name, covs = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
d = pd.read_csv(path)


class GammaGammaCovariates(GammaGammaModel):
    # pymc-marketing's GammaGammaModel likelihood (its pm.Potential, Fader & Hardie 2013 eq. 1a)
    # with v_i = v exp(g'z): pymc-marketing 0.19.2 has no covariate Gamma-Gamma of its own
    def build_model(self, data):
        self.data = data
        z_mean = pt.as_tensor_variable(data["monetary_value"].to_numpy())
        x = pt.as_tensor_variable(data["frequency"].to_numpy())
        with pm.Model(coords={"customer_id": data["customer_id"], "spend_covariate": covs}) as self.model:
            Z = pm.Data("spend_data", data[covs].to_numpy(), dims=("customer_id", "spend_covariate"))
            p = pm.HalfFlat("p")
            q = pm.HalfFlat("q")
            v_scale = pm.HalfFlat("v_scale")
            g = pm.Flat("spend_coefficient", dims="spend_covariate")
            v = v_scale * pm.math.exp(pm.math.dot(Z, g))
            pm.Potential("likelihood", pt.gammaln(p * x + q) - pt.gammaln(p * x) - pt.gammaln(q) + q * pt.log(v)
                         + (p * x - 1) * pt.log(z_mean) + (p * x) * pt.log(x) - (p * x + q) * pt.log(x * z_mean + v))


if model_name == "gg":
    m = GammaGammaCovariates(model_config={})
else:
    base = ["r", "alpha", "a", "b"] if model_name == "bgnbd" else ["r", "alpha", "s", "beta"]
    cfg = {k: Prior("HalfFlat") for k in base}
    cfg.update({"purchase_coefficient": Prior("Flat"), "dropout_coefficient": Prior("Flat"),
                "purchase_covariate_cols": covs, "dropout_covariate_cols": covs})
    m = (BetaGeoModel if model_name == "bgnbd" else ParetoNBDModel)(model_config=cfg)
t = time.perf_counter()
m.build_model(d)
build_s = time.perf_counter() - t
# compile the log density and its gradient once (pytensor's C code lands in its on-disk cache, so
# find_MAP's own compilation below is a cache hit): compile time is recorded apart from the fit
t = time.perf_counter()
m.model.compile_logp(jacobian=False)
m.model.compile_dlogp(jacobian=False)
compile_s = time.perf_counter() - t
t = time.perf_counter()
# what model._fit_MAP(...) does (pm.find_MAP), asking for the optimiser's report as well; the
# tolerances of tests/fixtures/clv_covariates/make_pymc_marketing.py
point, raw = pm.find_MAP(model=m.model, method="L-BFGS-B", maxeval=100_000, progressbar=False, return_raw=True,
                         options={"ftol": 1e-15, "gtol": 1e-7, "maxiter": 100_000, "maxfun": 100_000})
map_s = time.perf_counter() - t
logp = float(m.model.compile_logp(jacobian=False)({v.name: point[v.name] for v in m.model.value_vars}))
out = {"pymc_marketing": pymc_marketing.__version__, "pymc": pm.__version__, "import_s": t_import,
       "build_s": build_s, "compile_s": compile_s, "map_s": map_s, "fit_s": build_s + map_s,
       "fit_s_with_first_compile": build_s + compile_s + map_s, "logp": logp,
       "optimizer": {"success": bool(raw.success), "message": str(raw.message), "nit": int(raw.nit),
                     "nfev": int(raw.nfev)},
       "point": {k: np.asarray(v).reshape(-1).tolist() for k, v in point.items()
                 if not k.endswith("__") and np.asarray(v).size <= 8}}
print(json.dumps(out))
"""


# --- data ---------------------------------------------------------------------------------
def make_base(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The BG/NBD base, the Pareto/NBD base and the BG/NBD base's repeat buyers with spend."""
    rng = np.random.default_rng(seed)
    z1 = rng.standard_normal(n)
    z2 = 0.3 * z1 + np.sqrt(1 - 0.09) * rng.standard_normal(n)
    Z = np.column_stack([z1, z2])
    T = (546.0 - rng.uniform(0, 545, size=n)) / 7.0

    tb = TRUTH["bgnbd"]
    lam = rng.gamma(tb["r"], 1.0 / (tb["alpha"] * np.exp(-Z @ tb["purchase"])))
    p = rng.beta(tb["a"] * np.exp(Z @ tb["dropout_a"]), tb["b"] * np.exp(Z @ tb["dropout_b"]))
    K = rng.poisson(lam * T)
    N = rng.geometric(np.clip(p, 1e-300, 1.0))  # leaves after her N-th repeat purchase
    x = np.minimum(K, N)
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(K - x + 1, 1)), 0.0)
    bg = pd.DataFrame({"frequency": x.astype(float), "recency": tx, "T": T, "z1": z1, "z2": z2})

    tp = TRUTH["pareto"]
    lam = rng.gamma(tp["r"], 1.0 / (tp["alpha"] * np.exp(-Z @ tp["purchase"])))
    mu = rng.gamma(tp["s"], 1.0 / (tp["beta"] * np.exp(-Z @ tp["dropout"])))
    w = np.minimum(rng.exponential(1.0 / np.maximum(mu, 1e-300)), T)
    x = rng.poisson(lam * w)
    tx = np.where(x > 0, w * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    pa = pd.DataFrame({"frequency": x.astype(float), "recency": tx, "T": T, "z1": z1, "z2": z2})

    tg = TRUTH["gg"]
    rep = bg[bg["frequency"] > 0]
    xr, Zr = rep["frequency"].to_numpy(), rep[COVS].to_numpy()
    nu = rng.gamma(tg["q"], 1.0 / (tg["v"] * np.exp(Zr @ tg["spend"])))
    m = rng.gamma(tg["p"] * xr, 1.0 / (xr * nu))
    gg = pd.DataFrame({"frequency": xr, "monetary_value": m, "z1": Zr[:, 0], "z2": Zr[:, 1]})
    return bg, pa, gg.reset_index(drop=True)


def truth_vector(name: str, names) -> dict:
    t = TRUTH[name]
    out = {}
    for k in names:
        if "[" in k:
            proc, col = k[:-1].split("[")
            out[k] = t[proc][COVS.index(col)]
        else:
            out[k] = t[k]
    return out


# --- cxmodels -------------------------------------------------------------------------------
def fit_ours(name, d):
    from cxmodels import clv
    if name == "bgnbd":
        return clv.fit_bgnbd_covariates(d, purchase_covariates=COVS, dropout_covariates=COVS)
    if name == "pareto":
        return clv.fit_pareto_nbd_covariates(d, purchase_covariates=COVS, dropout_covariates=COVS)
    return clv.fit_gamma_gamma_covariates(d, covariates=COVS)


def time_ours(name, d, runs):
    walls, cpus, res = [], [], None
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        res = fit_ours(name, d)
        tab = res.summary()  # estimates and standard errors
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return res, {"fit_s": float(np.median(walls)), "fit_runs_s": walls, "fit_cpu_s": float(np.median(cpus)),
                 "params": {k: float(v) for k, v in tab["est"].items()},
                 "se": {k: float(v) for k, v in tab["se"].items()},
                 "loglik": res.loglik, "n_distinct_rows_fitted": res.n_distinct,
                 "converged": bool(res.converged), "admissible": bool(res.admissible)}


def loglik_at(name, d, theta: dict) -> float:
    """cxmodels' row log-likelihood summed at the estimates ``theta`` (cxmodels names)."""
    from cxmodels.clv import covariates as cv
    Z = d[COVS].to_numpy()

    def lp(proc):
        return Z @ np.array([theta[f"{proc}[{c}]"] for c in COVS])

    if name == "bgnbd":
        ll = cv.bgnbd_row_loglik(theta, d["frequency"].to_numpy(), d["recency"].to_numpy(), d["T"].to_numpy(),
                                 lp("purchase"), lp("dropout_a"), lp("dropout_b"))
    elif name == "pareto":
        ll = cv.pareto_nbd_row_loglik(theta, d["frequency"].to_numpy(), d["recency"].to_numpy(),
                                      d["T"].to_numpy(), lp("purchase"), lp("dropout"))
    else:
        ll = cv.gamma_gamma_row_loglik(theta, d["frequency"].to_numpy(), d["monetary_value"].to_numpy(),
                                       lp("spend"))
    return float(np.sum(ll))


# --- pymc-marketing -------------------------------------------------------------------------
def run_pymc(py: Path, name: str, d: pd.DataFrame, timeout: float | None):
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "data.csv"
        d.rename_axis("customer_id").reset_index().to_csv(f, index=False, float_format="%.17g")
        env = dict(os.environ, PYTENSOR_FLAGS=f"compiledir={tmp}/pytensor")
        t = time.perf_counter()
        try:
            res = subprocess.run([str(py), "-c", PYMC_TIMER, str(f), name, ",".join(COVS)], capture_output=True,
                                 text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return None, time.perf_counter() - t
        if res.returncode:
            raise RuntimeError(f"pymc-marketing failed on {name}:\n{res.stderr[-3000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    params = {}
    for var, ours in PYMC_NAMES[name].items():
        vals = out["point"][var]
        if isinstance(TRUTH[name][ours], list):  # a coefficient vector over COVS
            params.update({f"{ours}[{c}]": float(v) for c, v in zip(COVS, vals)})
        else:
            params[ours] = float(vals[0])
    out["params"] = params
    del out["point"]
    return out, time.perf_counter() - t


def compare(name, d, ours, theirs) -> dict:
    keys = list(ours["params"])
    diff = {k: abs(ours["params"][k] - theirs["params"][k]) for k in keys}
    base = [k for k in keys if "[" not in k]
    ll_ours, ll_theirs = loglik_at(name, d, ours["params"]), loglik_at(name, d, theirs["params"])
    return {"max_abs_param_diff": max(diff.values()), "param_abs_diff": diff,
            "max_rel_baseline_diff": max(diff[k] / abs(theirs["params"][k]) for k in base),
            "max_abs_coef_diff_in_se": max(diff[k] / ours["se"][k] for k in keys),
            "loglik_at_cxmodels": ll_ours, "loglik_at_pymc_marketing": ll_theirs,
            "loglik_gain_cxmodels": ll_ours - ll_theirs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--pymc-python", default="/tmp/pymcm_venv/bin/python")
    ap.add_argument("--pymc-timeout", type=float, default=1800.0,
                    help="seconds pymc-marketing may take on one model on the full base")
    ap.add_argument("--subsample", type=int, default=10_000)
    ap.add_argument("--models", default="bgnbd,pareto,gg")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "clv_covariates.json"))
    args = ap.parse_args()

    py = Path(args.pymc_python)
    bg, pa, gg = make_base(args.n, args.seed)
    data = {"bgnbd": bg, "pareto": pa, "gg": gg}
    result = {
        "benchmark": "BG/NBD, Pareto/NBD and Gamma-Gamma with two covariates: cxmodels ML (+ SEs) vs "
                     "pymc-marketing MAP with flat priors, same simulated rows, one run",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared with other agents' jobs), "
                   f"Python {platform.python_version()}",
        "load_average_at_start": os.getloadavg(), "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "n_customers": args.n, "seed": args.seed, "covariates": COVS, "truth": TRUTH,
        "pymc_timeout_s": args.pymc_timeout, "runs_cxmodels": args.runs, "runs_pymc_marketing": 1, "models": {},
        "notes": {"gg": "pymc-marketing 0.19.2 has no covariate Gamma-Gamma: its GammaGammaModel likelihood "
                        "(same pm.Potential) with v_i = v exp(g'z), fitted by pm.find_MAP like the others",
                  "pymc_priors": "HalfFlat baseline, Flat coefficients: MAP = ML; L-BFGS-B ftol 1e-15, gtol 1e-7"},
    }
    for name in args.models.split(","):
        d = data[name]
        n_distinct = int(len(d.drop_duplicates()))
        print(f"{name}: {len(d):,} rows, {n_distinct:,} distinct", flush=True)
        _, ours = time_ours(name, d, args.runs)
        truth = truth_vector(name, ours["params"])
        ours["recovery_z"] = {k: (ours["params"][k] - truth[k]) / ours["se"][k] for k in truth}
        entry = {"n_rows": len(d), "n_distinct_rows": n_distinct, "cxmodels": ours}
        print("cxmodels", json.dumps({k: ours[k] for k in ("fit_s", "params", "recovery_z")}), flush=True)
        if py.exists():
            theirs, wall = run_pymc(py, name, d, args.pymc_timeout)
            if theirs is None:
                entry["pymc_marketing_full_data"] = f"did not finish within {args.pymc_timeout:g} s"
                step = max(1, len(d) // args.subsample)
                sub = d.iloc[::step]
                entry["subsample_rows"] = len(sub)
                _, ref = time_ours(name, sub, args.runs)
                entry["cxmodels_subsample"] = ref
                theirs, wall = run_pymc(py, name, sub, None)
                d_cmp = sub
            else:
                ref, d_cmp = ours, d
            theirs["subprocess_wall_s"] = wall
            entry["pymc_marketing"] = theirs
            entry["ratio_fit_vs_pymc_marketing"] = ref["fit_s"] / theirs["fit_s"]
            entry["agreement"] = compare(name, d_cmp, ref, theirs)
            result["pymc_marketing_version"] = theirs["pymc_marketing"]
            print("pymc-marketing", json.dumps({k: theirs[k] for k in ("fit_s", "build_s", "compile_s", "map_s",
                                                                        "optimizer")}))
            print("agreement", json.dumps(entry["agreement"]), "ratio", entry["ratio_fit_vs_pymc_marketing"],
                  flush=True)
        else:
            print(f"pymc-marketing interpreter {py} not found: cxmodels timed alone")
        result["models"][name] = entry
    result["load_average_at_end"] = os.getloadavg()
    out = Path(args.out)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
