"""Benchmark: one million short verbatims tokenized and a 20-topic NMF fitted.

Times, on ``make_verbatims(n, seed=2026, language="zh")`` (short Chinese NPS answers, about
15 characters each):

* jieba alone: ``Tokenizer.lcut`` over every text (the same user dictionary), the anchor;
* ``cxmodels.text.tokenize`` without and with redaction (stop words, filters, sparse counts);
* ``cxmodels.text.fit_topics(n_topics=20, method="nmf", n_seeds=1)`` on the counted matrix.

Peak resident memory of the process is recorded after each step (``ru_maxrss``).  One run each
(these are long).  Writes benchmarks/results/text.json.

    python benchmarks/bench_text.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "text.json"))
    args = ap.parse_args()

    import jieba
    import sklearn

    from cxmodels import text as tx
    from cxmodels.datasets.verbatims import make_verbatims
    from cxmodels.errors import CXModelsWarning
    from cxmodels.text.tokens import _jieba

    warnings.simplefilter("ignore", CXModelsWarning)
    out = {"n": args.n, "python": platform.python_version(), "machine": platform.machine(),
           "jieba": jieba.__version__, "scikit-learn": sklearn.__version__}
    t = time.perf_counter()
    data = make_verbatims(args.n, seed=2026, language="zh", identifiers=0.02)
    out["generate_s"] = time.perf_counter() - t
    out["mean_chars"] = float(data["text"].str.len().mean())
    words = sorted({w for ws in data.attrs["truth"]["keywords"].values() for w in ws})
    tok = _jieba(tuple(sorted(set(words))))
    texts = data["text"].tolist()

    t = time.perf_counter()
    for s in texts:
        tok.lcut(s)
    out["jieba_alone_s"] = time.perf_counter() - t
    out["rss_after_jieba_mb"] = _rss_mb()

    t = time.perf_counter()
    plain = tx.tokenize(data, "text", user_words=words, min_df=5, redact=False)
    out["tokenize_s"] = time.perf_counter() - t
    t = time.perf_counter()
    terms = tx.tokenize(data, "text", user_words=words, min_df=5)
    out["tokenize_redacted_s"] = time.perf_counter() - t
    out["vocabulary"] = int(len(terms.terms))
    out["nonzeros"] = int(terms.matrix.nnz)
    out["rss_after_tokenize_mb"] = _rss_mb()
    del plain

    t = time.perf_counter()
    topics = tx.fit_topics(data, "text", n_topics=20, seed=1, n_seeds=1, terms=terms)
    out["nmf20_s"] = time.perf_counter() - t
    out["nmf20_converged"] = topics.converged
    out["rss_after_nmf_mb"] = _rss_mb()
    out["texts_per_s_jieba"] = args.n / out["jieba_alone_s"]
    out["texts_per_s_tokenize_redacted"] = args.n / out["tokenize_redacted_s"]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
