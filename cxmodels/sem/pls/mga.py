"""Comparing PLS models between customer segments: MICOM, then permutation PLS-MGA.

* MICOM, the measurement invariance of composites procedure (Henseler, Ringle &
  Sarstedt 2016, International Marketing Review 33(3), 405-431): step 1 configural
  invariance (same model, items and algorithm: true by construction here); step 2
  compositional invariance, the correlation ``c`` between the composite built with
  group 1's weights and with group 2's weights on the pooled data, judged against its
  permutation distribution (invariant when ``c`` is not below the 5% quantile); step 3
  equal composite means and variances (pooled-weight scores standardized on the pooled
  data), each difference judged against its permutation interval.
* PLS-MGA by permutation (Chin & Dibbern 2010, in *Handbook of Partial Least Squares*):
  the difference of each path between groups against the distribution of differences
  when group labels are permuted; two-sided p-values.
* Segments, when none are given: k-means on the standardized construct scores with ``k``
  chosen by the mean silhouette width (Rousseeuw 1987, J. Comput. Appl. Math. 20, 53-65).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ... import _validation as V
from ..._progress import Progress
from ...errors import InputError
from .fit import _Engine, _prepare, _standardize, fit_pls, parse_pls


@dataclass
class MGAResult:
    """MICOM steps 2-3 and the permutation tests of path differences."""

    compositional: pd.DataFrame   # construct: c, c_5pct, pvalue, invariant
    means_variances: pd.DataFrame  # construct: mean_diff, its interval, var_logratio, interval, equal
    paths: pd.DataFrame           # path: est per group, diff, pvalue
    groups: tuple
    n_perm: int

    def summary(self) -> pd.DataFrame:
        return self.paths.copy()

    def methods_text(self) -> str:
        g1, g2 = self.groups
        return (f"Segments {g1} and {g2} were compared after testing the measurement invariance of composites "
                f"(MICOM; Henseler, Ringle & Sarstedt, 2016) with {self.n_perm} permutations; path differences "
                "were tested by permutation (Chin & Dibbern, 2010).")


def _group_fit(engine, X, w0=None):
    Z = _standardize(X)
    w, Y, _, ok = engine.run(Z, w0)
    B, _ = engine.paths(Y, Z, w)
    return w, B, ok


def _composite_corr(engine, Zpool, w1, w2):
    out = []
    for c in engine.spec.constructs:
        sl = engine.slices[c]
        a, b = Zpool[:, sl] @ w1[sl], Zpool[:, sl] @ w2[sl]
        out.append(np.corrcoef(a, b)[0, 1] if sl.stop - sl.start > 1 else 1.0)
    return np.array(out)


def _mean_var(engine, Zpool, wpool, g):
    Y = _standardize(Zpool @ (engine.mask * wpool[:, None]))
    m = Y[g].mean(axis=0) - Y[~g].mean(axis=0)
    v = np.log(Y[g].var(axis=0, ddof=1) / Y[~g].var(axis=0, ddof=1))
    return m, v


def compare_groups(model: str, data: pd.DataFrame, group: str, *, n_perm: int = 1000, seed=None,
                   scheme: str = "path", progress: bool = True, level: float = 0.95) -> MGAResult:
    """MICOM (steps 2-3) and permutation PLS-MGA between the two groups in ``group``.

    Returns
    -------
    MGAResult
        ``.compositional``, ``.means_variances`` (MICOM) and ``.paths`` (group estimates,
        difference and permutation p-value of each inner path).
    """
    V.require_frame(data)
    V.require_columns(data, [group])
    labels = list(pd.unique(data[group].dropna()))
    if len(labels) != 2:
        raise InputError(f"group column {group!r} must have exactly two groups, has {len(labels)}: {labels[:5]}")
    spec = parse_pls(model)
    V.require_columns(data, spec.indicators)
    work = data[spec.indicators + [group]].dropna()
    X = work[spec.indicators].to_numpy(float)
    g = (work[group] == labels[0]).to_numpy()
    for lab, mask in ((labels[0], g), (labels[1], ~g)):
        if mask.sum() < len(spec.constructs) + 2:
            raise InputError(f"group {lab!r} has only {int(mask.sum())} complete rows")
    engine = _Engine(spec, scheme, 1e-7, 300)
    rng = V.as_generator(seed)
    Zpool = _prepare(X, "items")
    wpool, Ypool, _, _ = engine.run(Zpool)

    def stats_for(mask):
        w1, B1, _ = _group_fit(engine, X[mask], wpool)
        w2, B2, _ = _group_fit(engine, X[~mask], wpool)
        c = _composite_corr(engine, Zpool, w1, w2)
        m, v = _mean_var(engine, Zpool, wpool, mask)
        return c, m, v, B1[engine.P > 0], B2[engine.P > 0]

    c0, m0, v0, b1, b2 = stats_for(g)
    C, M, Vv, D = [], [], [], []
    bar = Progress(n_perm, "permutations", progress)
    for _ in range(n_perm):
        perm = rng.permutation(g)
        c, m, v, p1, p2 = stats_for(perm)
        C.append(c)
        M.append(m)
        Vv.append(v)
        D.append(p1 - p2)
        bar.update()
    C, M, Vv, D = map(np.asarray, (C, M, Vv, D))
    a = (1 - level) / 2
    cons = spec.constructs
    comp = pd.DataFrame({"c": c0, "c_5pct": np.quantile(C, 0.05, axis=0),
                         "pvalue": (C <= c0).mean(axis=0)}, index=cons)
    comp["invariant"] = comp["c"] >= comp["c_5pct"]
    mv = pd.DataFrame({"mean_diff": m0, "mean_lower": np.quantile(M, a, axis=0), "mean_upper": np.quantile(M, 1 - a, axis=0),
                       "var_logratio": v0, "var_lower": np.quantile(Vv, a, axis=0),
                       "var_upper": np.quantile(Vv, 1 - a, axis=0)}, index=cons)
    mv["equal_means"] = (mv["mean_diff"] >= mv["mean_lower"]) & (mv["mean_diff"] <= mv["mean_upper"])
    mv["equal_variances"] = (mv["var_logratio"] >= mv["var_lower"]) & (mv["var_logratio"] <= mv["var_upper"])
    pairs = [(cons[j], cons[i]) for j, i in zip(*np.nonzero(engine.P))]
    diff = b1 - b2
    paths = pd.DataFrame({"lhs": [p[0] for p in pairs], "op": "~", "rhs": [p[1] for p in pairs],
                          f"est_{labels[0]}": b1, f"est_{labels[1]}": b2, "diff": diff,
                          "pvalue": (np.abs(D) >= np.abs(diff)).mean(axis=0)})
    return MGAResult(comp, mv, paths, tuple(labels), n_perm)


def _kmeans(X, k, rng, n_init=10, iters=100):
    best = None
    for _ in range(n_init):
        centres = [X[rng.integers(len(X))]]
        for _ in range(1, k):  # k-means++ seeding
            d2 = np.min(((X[:, None, :] - np.asarray(centres)[None]) ** 2).sum(-1), axis=1)
            centres.append(X[rng.choice(len(X), p=d2 / d2.sum())])
        C = np.asarray(centres)
        for _ in range(iters):
            lab = np.argmin(((X[:, None, :] - C[None]) ** 2).sum(-1), axis=1)
            newC = np.array([X[lab == j].mean(axis=0) if (lab == j).any() else C[j] for j in range(k)])
            if np.allclose(newC, C):
                break
            C = newC
        inertia = ((X - C[lab]) ** 2).sum()
        if best is None or inertia < best[0]:
            best = (inertia, lab)
    return best[1]


def _silhouette(X, lab):
    D = np.sqrt(((X[:, None, :] - X[None]) ** 2).sum(-1))
    s = np.zeros(len(X))
    for i in range(len(X)):
        same = lab == lab[i]
        a = D[i, same].sum() / max(same.sum() - 1, 1)
        b = min(D[i, lab == j].mean() for j in np.unique(lab) if j != lab[i])
        s[i] = (b - a) / max(a, b) if same.sum() > 1 else 0.0
    return float(s.mean())


def find_segments(scores: pd.DataFrame, *, k_range=(2, 6), seed=None, max_rows: int = 3000) -> tuple[pd.Series, pd.DataFrame]:
    """Segment respondents by k-means on standardized construct scores; ``k`` by silhouette.

    Returns the labels (Series aligned with ``scores``) and the criterion per ``k``.
    The silhouette is computed on at most ``max_rows`` rows (a seeded subsample).
    """
    rng = V.as_generator(seed)
    X = ((scores - scores.mean()) / scores.std()).to_numpy()
    sub = rng.choice(len(X), size=min(len(X), max_rows), replace=False)
    rows, best = [], None
    for k in range(k_range[0], k_range[1] + 1):
        lab = _kmeans(X, k, rng)
        sil = _silhouette(X[sub], lab[sub])
        rows.append({"k": k, "silhouette": sil})
        if best is None or sil > best[0]:
            best = (sil, lab)
    return pd.Series(best[1], index=scores.index, name="segment"), pd.DataFrame(rows).set_index("k")
