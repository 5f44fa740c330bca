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
  when group labels are permuted; two-sided p-values
  ``p = #{|d*_b| >= |d|} / n_perm``.
* Segments, when none are given: k-means on the standardized construct scores with ``k``
  chosen by the mean silhouette width (Rousseeuw 1987, J. Comput. Appl. Math. 20, 53-65).

The two groups are ordered by their labels (sorted), never by the order of the rows, and
every table names them: ``est_<label>`` columns and a ``contrast`` column ``"a - b"``.

With sampling weights (weighted PLS; Becker & Ismail 2016) the pooled and group fits are
weighted, MICOM's composite correlations, means and variances use weighted moments (each
group's weights rescaled to sum to its row count), and a permutation moves only the group
labels: every row keeps its data and its weight.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from ... import _validation as V
from ... import plotting
from ..._progress import Progress
from ..._results import Result
from ...errors import CXModelsError, CXModelsWarning, ConvergenceWarning, EstimationError, InputError, warn
from ...provenance import make_provenance
from . import references as R
from . import sampling as SW
from .engine import SCHEMES, Engine, parse_pls, prepare, standardize_columns

__all__ = ["compare_groups", "MGAResult", "find_segments", "SegmentResult"]


class MGAResult(Result):
    """MICOM steps 2-3 and the permutation tests of path differences between two groups.

    ``summary()`` (and ``paths``): one row per inner path with ``est_<a>``, ``est_<b>``,
    ``diff`` (``a - b``, named in ``contrast``) and the permutation ``pvalue``; ``params``
    the differences indexed ``"lhs ~ rhs"``.  ``compositional`` (MICOM step 2: ``c``, its
    5% permutation quantile, p-value, ``invariant``) and ``means_variances`` (step 3: mean
    difference and log variance ratio with permutation intervals at ``level``).
    ``plot(ax=None)`` draws each path's estimate in both groups.

    Attributes
    ----------
    groups : (label, label)
        The two groups, sorted; differences are ``groups[0] - groups[1]``.
    n_perm, n_failed : int
        Permutations requested, and those on which a group fit failed (dropped).
    level : float
    seed : int or str
    """

    def __init__(self, compositional, means_variances, paths, groups, n_perm, n_failed, level, seed,
                 provenance, notes, sampling_weights=None):
        self.compositional, self.means_variances, self.paths = compositional, means_variances, paths
        #: The weight column (weighted group fits and MICOM moments), or None.
        self.sampling_weights = sampling_weights
        self.groups, self.n_perm, self.n_failed, self.level, self.seed = groups, n_perm, n_failed, level, seed
        self._table = paths
        self._provenance = provenance
        self._warnings = []
        self._references = (R.HENSELER_MICOM, R.CHIN_DIBBERN) + (
            (R.BECKER_ISMAIL,) if sampling_weights is not None else ())
        for msg, category in notes:
            if category is None:  # information (rows excluded): recorded and warned, no flag cleared
                self._warnings.append(msg)
                warn(msg, CXModelsWarning)
            else:
                self._flag(msg, category)

    def summary(self) -> pd.DataFrame:
        return self.paths.copy()

    @property
    def params(self) -> pd.Series:
        p = self.paths
        return pd.Series(p["diff"].to_numpy(), index=[f"{a} ~ {b}" for a, b in zip(p["lhs"], p["rhs"])], name="diff")

    def methods_text(self) -> str:
        g1, g2 = self.groups
        return (f"Segments {g1} and {g2} were compared after testing the measurement invariance of composites "
                f"(MICOM; {R.HENSELER_MICOM.cite}) with {self.n_perm} permutations (seed {self.seed}; "
                f"{self.level:.0%} permutation intervals for equal means and variances); path differences "
                f"({g1} - {g2}) were tested by permutation ({R.CHIN_DIBBERN.cite})."
                + (f" Sampling weights (column {self.sampling_weights!r}) weighted the pooled and group fits "
                   f"(weighted PLS, {R.BECKER_ISMAIL.cite}) and MICOM's correlations, means and variances; each "
                   "permutation reassigned the group labels while every respondent kept its weight."
                   if self.sampling_weights is not None else ""))

    def plot(self, ax=None):
        """Each inner path's estimate in both groups (dots), with the permutation p-value."""
        p = self.paths
        ax = plotting.axes(ax, figsize=(6.5, max(3.0, 0.35 * len(p) + 1)))
        y = np.arange(len(p))[::-1]
        for k, g in enumerate(self.groups):
            ax.plot(p[f"est_{g}"], y, "o", color=plotting.color(k), label=str(g))
        ax.hlines(y, p[f"est_{self.groups[0]}"], p[f"est_{self.groups[1]}"], color="grey", lw=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{b} -> {a} (p = {pv:.3f})" for a, b, pv in zip(p["lhs"], p["rhs"], p["pvalue"])],
                           fontsize="small")
        ax.set_xlabel("path coefficient")
        ax.legend(title="group")
        return ax


def _group_fit(engine, X, w0=None, d=None):
    """Weights, paths and convergence of one group's fit (weighted PLS with row weights ``d``)."""
    if np.any((X if d is None else X[d > 0]).std(axis=0) == 0) or (d is not None and not np.any(d > 0)):
        raise EstimationError("an item is constant within a group")
    engine = engine.with_case_weights(d)
    Z = standardize_columns(X, engine.case_weights)
    w, Y, _, ok = engine.run(Z, w0)
    B, _ = engine.paths(Y, Z, w)
    return w, B, ok


def _composite_corr(engine, Zpool, w1, w2, d=None):
    out = []
    for c in engine.spec.constructs:
        sl = engine.slices[c]
        a, b = Zpool[:, sl] @ w1[sl], Zpool[:, sl] @ w2[sl]
        if sl.stop - sl.start == 1:
            out.append(1.0)
        else:
            out.append(np.corrcoef(a, b)[0, 1] if d is None else SW.corr(np.column_stack([a, b]), d)[0, 1])
    return np.array(out)


def _mean_var(engine, Zpool, wpool, g, d=None):
    """MICOM step 3: mean difference and log variance ratio of the pooled-weight scores;
    weighted moments (each group's weights rescaled to its row count) with row weights ``d``."""
    Y = standardize_columns(Zpool @ (engine.mask * wpool[:, None]), d)
    if d is None:
        m = Y[g].mean(axis=0) - Y[~g].mean(axis=0)
        v = np.log(Y[g].var(axis=0, ddof=1) / Y[~g].var(axis=0, ddof=1))
        return m, v
    da, db = SW.normalize(d[g]), SW.normalize(d[~g])
    m = SW.mean(Y[g], da) - SW.mean(Y[~g], db)
    v = 2 * np.log(SW.sd(Y[g], da) / SW.sd(Y[~g], db))
    return m, v


def _sorted_labels(values) -> list:
    labels = list(pd.unique(values))
    try:
        return sorted(labels)
    except TypeError:  # mixed types that print differently (require_consistent_ids ran): sort by text
        return sorted(labels, key=str)


def compare_groups(model: str, data: pd.DataFrame, group: str, *, n_perm: int = 1000, seed=None,
                   scheme: str = "path", level: float = 0.95, progress=None,
                   sampling_weights: str | None = None) -> MGAResult:
    """MICOM (steps 2-3) and permutation PLS-MGA between the two groups in column ``group``.

    Parameters
    ----------
    model : str
        PLS syntax, as :func:`~cxmodels.sem.pls.fit_pls`.
    data : DataFrame
        Indicators and the ``group`` column; never modified.  Rows with a missing item or
        group are excluded (counted in ``warnings``).
    group : str
        Column with exactly two distinct labels; they are sorted, and differences are
        ``first - second`` whatever the order of the rows.
    n_perm : int
        Permutations of the group labels (at least 1).
    seed : int, numpy Generator or None
        Recorded in the provenance (None draws a seed and records it).
    scheme : {"path", "centroid", "factorial"}
    level : float
        Level of MICOM's step-3 permutation intervals.
    progress : bool or None
    sampling_weights : str, optional
        The column of ``data`` holding each row's sampling weight, as for
        :func:`~cxmodels.sem.pls.fit_pls`: the pooled and group fits are weighted PLS
        (Becker & Ismail 2016), MICOM's correlations, means and variances are weighted, and
        each permutation reassigns group labels while every row keeps its weight.  Bad
        weights are refused naming the rows; each group needs enough positively weighted rows.

    Returns
    -------
    MGAResult
    """
    V.require_frame(data)
    if not isinstance(group, str):
        raise InputError(f"group must be a column name, got {group!r}")
    n_perm = V.check_count(n_perm, "n_perm", minimum=1)
    level = V.check_level(level)
    if scheme not in SCHEMES:
        raise InputError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    spec = parse_pls(model)
    cols = spec.indicators + [group]
    dup = [c for c in data.columns[data.columns.duplicated()].unique() if c in set(cols)]
    if dup:
        raise InputError(f"data has repeated column names {list(map(str, dup))}; which column is meant is ambiguous")
    V.require_columns(data, cols)
    if group in spec.indicators:
        raise InputError(f"group column {group!r} is also an indicator of the model")
    V.require_numeric(data, spec.indicators)
    V.require_finite(data, spec.indicators)
    V.require_consistent_ids(data, group)
    if sampling_weights is not None:
        if sampling_weights == group:
            raise InputError(f"sampling_weights column {group!r} is also the group column")
        SW.check_sampling_weights(data, sampling_weights, spec.indicators)
        cols = cols + [sampling_weights]
    work = data[cols].dropna()
    notes = []
    if len(work) < len(data):
        notes.append((f"{len(data) - len(work)} of {len(data)} rows with a missing item or group were excluded",
                      None))
    labels = _sorted_labels(work[group]) if len(work) else []
    if len(labels) != 2:
        raise InputError(f"group column {group!r} must have exactly two groups among the complete rows, "
                         f"has {len(labels)}: {labels[:5]}")
    X = work[spec.indicators].to_numpy(float)
    g = (work[group] == labels[0]).to_numpy()
    d = None if sampling_weights is None else SW.normalize(work[sampling_weights].to_numpy(float))
    minimum = max(len(spec.constructs) + 2, max(len(p) for p in spec.predecessors.values()) + 3)
    for lab, mask in ((labels[0], g), (labels[1], ~g)):
        if d is not None:
            mask = mask & (d > 0)  # rows of zero weight do not count
        if mask.sum() < minimum:
            raise InputError(f"group {lab!r} of column {group!r} has only {int(mask.sum())} complete rows"
                             + (" with a positive weight" if d is not None else "")
                             + f"; at least {minimum} are needed to fit the model in each group")
        const = [c for c, s in zip(spec.indicators, X[mask].std(axis=0)) if s == 0]
        if const:
            raise InputError(f"items {const} are constant within group {lab!r} of column {group!r}; "
                             "the model cannot be fitted in that group")
    engine = Engine(spec, scheme, 1e-7, 300)
    rng, recorded = V.resolve_seed(seed)
    Zpool = prepare(X, "items", d)
    pooled = engine.with_case_weights(d)

    def stats_for(mask):
        # a permutation moves the labels only: each row keeps its data and its weight
        w1, B1, ok1 = _group_fit(engine, X[mask], wpool, None if d is None else d[mask])
        w2, B2, ok2 = _group_fit(engine, X[~mask], wpool, None if d is None else d[~mask])
        c = _composite_corr(engine, Zpool, w1, w2, d)
        m, v = _mean_var(engine, Zpool, wpool, mask, d)
        out = (c, m, v, B1[engine.P > 0], B2[engine.P > 0])
        return out, ok1 and ok2 and all(np.all(np.isfinite(a)) for a in out)

    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            wpool, _, _, pool_ok = pooled.run(Zpool)
            (c0, m0, v0, b1, b2), ok0 = stats_for(g)
    except (CXModelsError, np.linalg.LinAlgError) as exc:
        raise EstimationError(f"the model cannot be fitted in each group of {group!r}: {exc}") from exc
    if not (pool_ok and ok0):
        notes.append(("the PLS algorithm did not converge on the pooled data or in a group (300 iterations)",
                      ConvergenceWarning))
    C, M, Vv, D = [], [], [], []
    failed = 0
    bar = Progress(n_perm, "permutations", progress)
    for _ in range(n_perm):
        perm = rng.permutation(g)
        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                (c, m, v, p1, p2), ok = stats_for(perm)
        except (CXModelsError, np.linalg.LinAlgError):
            ok = False
        if ok:
            C.append(c)
            M.append(m)
            Vv.append(v)
            D.append(p1 - p2)
        else:
            failed += 1
        bar.update()
    if not D:
        raise EstimationError(f"the model could not be fitted in any of the {n_perm} permuted groupings")
    if failed:
        notes.append((f"{failed} of {n_perm} permutations failed (a constant item or collinear scores in a "
                      "permuted group, or no convergence) and were dropped", ConvergenceWarning))
    C, M, Vv, D = map(np.asarray, (C, M, Vv, D))
    a = (1 - level) / 2
    cons = spec.constructs
    contrast = f"{labels[0]} - {labels[1]}"
    comp = pd.DataFrame({"c": c0, "c_5pct": np.quantile(C, 0.05, axis=0),
                         "pvalue": (C <= c0).mean(axis=0)}, index=pd.Index(cons, name="construct"))
    comp["invariant"] = comp["c"] >= comp["c_5pct"]
    mv = pd.DataFrame({"contrast": contrast, "mean_diff": m0, "mean_lower": np.quantile(M, a, axis=0),
                       "mean_upper": np.quantile(M, 1 - a, axis=0), "var_logratio": v0,
                       "var_lower": np.quantile(Vv, a, axis=0), "var_upper": np.quantile(Vv, 1 - a, axis=0)},
                      index=pd.Index(cons, name="construct"))
    mv["equal_means"] = (mv["mean_diff"] >= mv["mean_lower"]) & (mv["mean_diff"] <= mv["mean_upper"])
    mv["equal_variances"] = (mv["var_logratio"] >= mv["var_lower"]) & (mv["var_logratio"] <= mv["var_upper"])
    pairs = [(cons[j], cons[i]) for j, i in zip(*np.nonzero(engine.P))]
    diff = b1 - b2
    paths = pd.DataFrame({"lhs": [p[0] for p in pairs], "op": "~", "rhs": [p[1] for p in pairs],
                          f"est_{labels[0]}": b1, f"est_{labels[1]}": b2, "contrast": contrast, "diff": diff,
                          "pvalue": (np.abs(D) >= np.abs(diff)).mean(axis=0)})
    prov = make_provenance("cxmodels.sem.pls.compare_groups", data,
                           {"model": model, "group": group, "groups": [str(x) for x in labels], "n_perm": n_perm,
                            "scheme": scheme, "level": level, "sampling_weights": sampling_weights}, seed=recorded)
    return MGAResult(comp, mv, paths, tuple(labels), n_perm, failed, level, recorded, prov, notes, sampling_weights)


# ------------------------------------------------------------------ segments
class SegmentResult(Result):
    """Segments found by k-means on standardized construct scores, ``k`` by silhouette.

    ``labels``: a Series aligned with the scores, segments numbered ``1..k`` by size
    (1 the largest; ties by the segment's mean of the first score column), so the numbers do
    not depend on the order of the rows or the random starts.  ``summary()``: the mean
    silhouette width per ``k`` (``est``) and the chosen ``k``; ``plot(ax=None)`` the
    criterion against ``k``.
    """

    def __init__(self, labels, criterion, k, provenance):
        self.labels, self.k = labels, k
        self._table = criterion
        self._provenance = provenance
        self._warnings = []
        self._references = (R.ROUSSEEUW,)

    @property
    def params(self) -> pd.Series:
        return self._table["est"].rename("silhouette")

    def methods_text(self) -> str:
        ks = list(self._table.index)
        return (f"Respondents were segmented by k-means (k-means++ starts) on their standardized construct "
                f"scores; the number of segments ({self.k}, of {ks[0]} to {ks[-1]}) maximized the mean "
                f"silhouette width ({R.ROUSSEEUW.cite}; seed {self._provenance.seed}).")

    def plot(self, ax=None):
        ax = plotting.axes(ax)
        t = self._table
        ax.plot(t.index, t["est"], "o-", color=plotting.color(0))
        ax.axvline(self.k, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("number of segments k")
        ax.set_ylabel("mean silhouette width")
        return ax


def _kmeans(X, k, rng, n_init=10, iters=100):
    best = None
    for _ in range(n_init):
        centres = [X[rng.integers(len(X))]]
        for _ in range(1, k):  # k-means++ seeding
            d2 = np.min(((X[:, None, :] - np.asarray(centres)[None]) ** 2).sum(-1), axis=1)
            if d2.sum() <= 0:  # fewer distinct points than k: take any row
                centres.append(X[rng.integers(len(X))])
                continue
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
    if len(np.unique(lab)) < 2:
        return float("nan")
    s = np.zeros(len(X))
    for i in range(len(X)):
        same = lab == lab[i]
        a = D[i, same].sum() / max(same.sum() - 1, 1)
        b = min(D[i, lab == j].mean() for j in np.unique(lab) if j != lab[i])
        s[i] = (b - a) / max(a, b) if same.sum() > 1 and max(a, b) > 0 else 0.0
    return float(s.mean())


def _relabel(lab: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Segments numbered 1..k by size, ties broken by the mean of the first column."""
    keys = sorted(np.unique(lab), key=lambda j: (-(lab == j).sum(), X[lab == j, 0].mean()))
    new = {old: k + 1 for k, old in enumerate(keys)}
    return np.array([new[v] for v in lab])


def find_segments(data: pd.DataFrame, *, k_range=(2, 6), seed=None, max_rows: int = 3000) -> SegmentResult:
    """Segment respondents by k-means on standardized construct scores; ``k`` by silhouette.

    Parameters
    ----------
    data : DataFrame
        Construct scores (e.g. ``fit_pls(...).scores(None)``), numeric, complete.
    k_range : (int, int)
        Smallest and largest number of segments tried (``2 <= low <= high < rows``).
    seed : int, numpy Generator or None
        Recorded in the provenance (None draws a seed and records it).
    max_rows : int
        The silhouette is computed on at most this many rows (a seeded subsample).

    Returns
    -------
    SegmentResult
        ``.labels`` (1 = largest segment) and the criterion per ``k`` in ``summary()``.
    """
    V.require_frame(data)
    V.require_unique_columns(data)
    cols = list(data.columns)
    V.require_numeric(data, cols)
    V.require_finite(data, cols)
    V.require_no_missing(data, cols)
    V.require_not_constant(data, cols)
    ok = (isinstance(k_range, (tuple, list)) and len(k_range) == 2
          and all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in k_range)
          and 2 <= k_range[0] <= k_range[1] < len(data))
    if not ok:
        raise InputError(f"k_range must be (low, high) whole numbers with 2 <= low <= high < {len(data)} "
                         f"(the number of rows), got {k_range!r}")
    max_rows = V.check_count(max_rows, "max_rows", minimum=10)
    rng, recorded = V.resolve_seed(seed)
    X = ((data - data.mean()) / data.std()).to_numpy(float)
    sub = rng.choice(len(X), size=min(len(X), max_rows), replace=False)
    rows, best = [], None
    for k in range(k_range[0], k_range[1] + 1):
        lab = _kmeans(X, k, rng)
        sil = _silhouette(X[sub], lab[sub])
        rows.append({"k": k, "est": sil})
        if best is None or (np.isfinite(sil) and (not np.isfinite(best[0]) or sil > best[0])):
            best = (sil, lab, k)
    crit = pd.DataFrame(rows).set_index("k")
    labels = pd.Series(_relabel(best[1], X), index=data.index, name="segment")
    prov = make_provenance("cxmodels.sem.pls.find_segments", data, {"k_range": list(k_range), "max_rows": max_rows},
                           seed=recorded)
    return SegmentResult(labels, crit, best[2], prov)
