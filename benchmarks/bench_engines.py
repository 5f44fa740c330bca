"""Out of core: a generated Parquet transaction log summarised by the DuckDB engine under a
memory limit (issue 19), and bounded-memory chunked scoring of the summary.

    python benchmarks/bench_engines.py --rows 30_000_000 --memory-limit 1GB
    python benchmarks/bench_engines.py --rows 200_000_000 --memory-limit 4GB   # the issue's size

Steps (each summary step runs in a fresh child process, whose peak resident memory is read
from ``getrusage(RUSAGE_CHILDREN)``: DuckDB's native memory included):

1. generate ``rows`` purchases (``rows / per_customer`` customers, each active for a random
   lifetime within 2023-2024, values 0-100) straight to Parquet with DuckDB (never through pandas);
2. ``clv.rfm_summary`` of the file on an Ibis DuckDB connection with ``memory_limit`` (spilling
   to a temporary directory beyond it), with a calibration/holdout split and values;
3. ``rfm_counts``: the distinct (frequency, recency, T) rows a BG/NBD fit needs, then the fit;
4. ``write_scores``: P(alive) and expected purchases for every customer, in chunks, to Parquet;
   ``--rows 0 --steps score_many --customers 100_000_000`` scores a generated summary of 100
   million customers in chunks of a million (bounded memory).

Results go to ``benchmarks/results/engines.json`` and are recorded in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def generate(path: Path, rows: int, per_customer: int, threads: int) -> float:
    import duckdb
    t = time.perf_counter()
    con = duckdb.connect(config={"threads": threads})
    customers = max(rows // per_customer, 1)
    con.execute(f"""
        COPY (WITH p AS (SELECT i, CAST(hash(i) % {customers} AS BIGINT) AS c FROM range({rows}) t(i))
              SELECT c AS customer,
                     -- each customer is active from a start day for a lifetime (then drops out),
                     -- buying at uniform times within it, so the BG/NBD has dropout to find
                     least(TIMESTAMP '2023-01-01' + to_days(CAST(hash(c * 31 + 7) % 365 AS INTEGER))
                           + to_seconds(CAST(hash(i * 7 + 1) % ((1 + hash(c * 17 + 3) % 700) * 86400) AS BIGINT)),
                           TIMESTAMP '2024-12-31 23:59:59') AS ts,
                     round(CAST(hash(i * 13 + 5) % 10000 AS DOUBLE) / 100, 2) AS value
              FROM p)
        TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)""")
    con.close()
    return time.perf_counter() - t


def child(step: str, path: str, memory_limit: str, threads: int, tmp: str, customers: int = 0) -> dict:
    """One step in this (child) process; prints a JSON line."""
    from cxmodels import _engine, clv
    from cxmodels.clv.rfm import rfm_counts
    from cxmodels.clv.scoring import write_scores

    con = _engine.duckdb_connection(memory_limit=memory_limit, threads=threads, temp_directory=tmp)
    log = con.read_parquet(path) if step != "score_many" else None
    t = time.perf_counter()
    if step == "summary":
        s = clv.rfm_summary(log, "customer", "ts", "value", calibration_end="2024-06-30",
                            observation_end="2024-12-31")
        out = {"customers": len(s), "mean_frequency": float(s["frequency"].mean())}
    elif step == "counts":
        c = rfm_counts(log, "customer", "ts", calibration_end="2024-06-30", observation_end="2024-12-31")
        t_fit = time.perf_counter()
        fit = clv.fit_bgnbd(c, weights=c["n"])
        out = {"distinct_rows": len(c), "customers": float(c["n"].sum()), "fit_s": time.perf_counter() - t_fit,
               "params": {k: float(v) for k, v in fit.params.items()}}
    elif step == "score_many":  # a generated summary of --customers customers, scored in chunks
        summary = Path(tmp) / "many.parquet"
        con.con.execute(f"""
            COPY (SELECT i AS customer, CAST(f AS DOUBLE) AS frequency,
                         CASE WHEN f = 0 THEN 0.0 ELSE T * (hash(i * 5 + 2) % 1000) / 1000.0 END AS recency, T
                  FROM (SELECT i, hash(i) % 20 AS f, 1 + CAST(hash(i * 3 + 1) % 10400 AS DOUBLE) / 100 AS T
                        FROM range({customers}) t(i)))
            TO '{summary}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)""")
        t = time.perf_counter()
        model = clv.BGNBDResult.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        n = write_scores(str(summary), model, Path(tmp) / "scores.parquet", t=52, size=1_000_000)
        out = {"customers_scored": n}
    else:  # scoring: summary to Parquet on the engine, then chunks through the model
        summary = Path(tmp) / "summary.parquet"
        s = clv.rfm_summary(log, "customer", "ts", observation_end="2024-12-31", time_unit="W")
        s.reset_index().to_parquet(summary)
        del s
        t = time.perf_counter()
        model = clv.BGNBDResult.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        n = write_scores(str(summary), model, Path(tmp) / "scores.parquet", t=52, size=1_000_000)
        out = {"customers_scored": n}
    out["seconds"] = time.perf_counter() - t
    print(json.dumps(out))
    return out


def run_child(step, path, args, tmp) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([sys.executable, __file__, "--child", step, "--path", str(path), "--memory-limit",
                           args.memory_limit, "--threads", str(args.threads), "--tmp", tmp,
                           "--customers", str(args.customers)],
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"step {step} failed:\n{proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out["peak_rss_mb"] = max(peak, before) / 1024   # kilobytes on Linux
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=30_000_000)
    ap.add_argument("--per-customer", type=int, default=50)
    ap.add_argument("--memory-limit", default="1GB")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", default="summary,counts,scoring")
    ap.add_argument("--customers", type=lambda s: int(s.replace("_", "")), default=0,
                    help="with step score_many: customers of the generated summary to score")
    ap.add_argument("--out", default="engines.json", help="file name under benchmarks/results/")
    ap.add_argument("--child")
    ap.add_argument("--path")
    ap.add_argument("--tmp")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.path, args.memory_limit, args.threads, args.tmp, args.customers)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.parquet"
        gen = generate(path, args.rows, args.per_customer, args.threads) if args.rows else 0.0
        size_mb = path.stat().st_size / 2**20 if args.rows else 0.0
        print(f"generated {args.rows:,} rows ({size_mb:.0f} MB Parquet) in {gen:.1f} s", flush=True)
        results = {"rows": args.rows, "parquet_mb": size_mb, "generate_s": gen, "memory_limit": args.memory_limit,
                   "threads": args.threads, "python": platform.python_version()}
        # peak RSS of children is a running maximum: the steps run from the lightest expected
        for step in args.steps.split(","):
            results[step] = run_child(step, path, args, tmp)
            print(step, json.dumps(results[step]), flush=True)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
