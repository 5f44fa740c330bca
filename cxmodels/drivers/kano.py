r"""Kano questionnaires: functional/dysfunctional question pairs classified per attribute.

Each respondent answers, for each attribute, a functional question ("if the product has X, how
do you feel?") and a dysfunctional one ("if it does not have X ...") on the five-point scheme
1 = like, 2 = must-be (expect it), 3 = neutral, 4 = live with, 5 = dislike.  The pair is
classified by the Kano evaluation table (Kano et al. 1984; Berger et al. 1993):

=============  ====  =======  =======  =========  =======
functional \\   like  must-be  neutral  live with  dislike
=============  ====  =======  =======  =========  =======
like           Q     A        A        A          O
must-be        R     I        I        I          M
neutral        R     I        I        I          M
live with      R     I        I        I          M
dislike        R     R        R        R          Q
=============  ====  =======  =======  =========  =======

A attractive, O one-dimensional, M must-be, I indifferent, R reverse, Q questionable.
An attribute's category is the most frequent (ties broken M > O > A > I, Berger et al. 1993);
its **category strength** is the difference in percentage points between the most and the
second most frequent category (below 6 points the attribute is "mixed", Lee & Newcomb 1997),
its **total strength** the percentage A + O + M.  The customer satisfaction coefficients
(Berger et al. 1993) are

.. math:: \text{Better} = \frac{A + O}{A + O + M + I}, \qquad
          \text{Worse} = -\frac{O + M}{A + O + M + I},

with Wilson score intervals (given the m respondents classified A, O, M or I, A + O is
binomial; Wilson 1927) or percentile intervals from resampling respondents (all attributes
together; Efron & Tibshirani 1993), which also measure how stable each category is.
:meth:`KanoResult.compare_prca` sets the categories beside the rating-based
classes of :func:`~cxmodels.drivers.penalty_reward` on the same attributes (must-be ~ basic,
one-dimensional ~ performance, attractive ~ excitement).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import plotting
from .._results import Result
from .._stats import bootstrap_interval
from .._validation import (check_count, check_level, require_columns, require_frame, require_no_missing,
                           require_numeric, require_unique_columns, resolve_seed, rows_text)
from ..errors import CXModelsWarning, InputError
from ..provenance import make_provenance
from .references import BERGER_1993, EFRON_1993, KANO_1984, LEE_1997, WILSON_1927

# the works of this module; they belong in drivers/references.py, from where the lead may move them

CATEGORIES = ("A", "O", "M", "I", "R", "Q")
NAMES = {"A": "attractive", "O": "one-dimensional", "M": "must-be", "I": "indifferent", "R": "reverse",
         "Q": "questionable"}
#: evaluation table: rows functional answer 1..5, columns dysfunctional answer 1..5
TABLE = (("Q", "A", "A", "A", "O"),
         ("R", "I", "I", "I", "M"),
         ("R", "I", "I", "I", "M"),
         ("R", "I", "I", "I", "M"),
         ("R", "R", "R", "R", "Q"))
_CODE = np.array([[CATEGORIES.index(c) for c in row] for row in TABLE])
_TIE_ORDER = ("M", "O", "A", "I", "R", "Q")
PRCA_CLASS = {"M": "basic", "O": "performance", "A": "excitement", "I": "unclassified"}


def evaluation_table() -> pd.DataFrame:
    """The Kano evaluation table (functional answer by dysfunctional answer)."""
    labels = ["like", "must-be", "neutral", "live with", "dislike"]
    return pd.DataFrame(TABLE, index=pd.Index(labels, name="functional"),
                        columns=pd.Index(labels, name="dysfunctional"))


def _coefficients(counts: np.ndarray):
    """Better and Worse from counts (..., 6) in CATEGORIES order."""
    a, o, m, i = counts[..., 0], counts[..., 1], counts[..., 2], counts[..., 3]
    den = a + o + m + i
    with np.errstate(divide="ignore", invalid="ignore"):
        return (a + o) / den, -(o + m) / den


def _category(counts: np.ndarray) -> tuple[str, float]:
    share = counts / counts.sum()
    best = max(_TIE_ORDER, key=lambda c: (share[CATEGORIES.index(c)], -_TIE_ORDER.index(c)))
    s = np.sort(share)[::-1]
    return best, float(100 * (s[0] - s[1]))


class KanoResult(Result):
    """Kano categories and Better/Worse coefficients per attribute.

    ``summary()`` has one row per attribute: ``n``, the shares of ``A O M I R Q``, ``category``
    (letter) and ``category_name``, ``strength`` and ``total_strength`` (percentage points),
    ``mixed``, ``p_category`` (bootstrap probability of the same category), ``better`` and
    ``worse`` with ``*_lower``/``*_upper``.  ``params`` holds ``better[attr]`` and ``worse[attr]``.
    """

    def __init__(self, table, counts, *, level, n_boot, method, provenance, references):
        self._table = table
        self._counts = counts
        self.level, self.n_boot, self.method = level, n_boot, method
        self._provenance = provenance
        self._references = tuple(references)
        self._warnings = []

    @property
    def params(self) -> pd.Series:
        t = self._table
        return pd.concat([t["better"].rename(lambda a: f"better[{a}]"), t["worse"].rename(lambda a: f"worse[{a}]")]
                         ).rename("est")

    def counts(self) -> pd.DataFrame:
        """Respondents per attribute and category (A, O, M, I, R, Q)."""
        return self._counts.copy()

    @property
    def categories(self) -> pd.Series:
        """The category letter per attribute."""
        return self._table["category"].copy()

    def compare_prca(self, prca) -> pd.DataFrame:
        """Kano categories beside the penalty-reward classes of the same attributes.

        ``prca`` is a :class:`~cxmodels.drivers.PRCAResult` (or a Series of its classes by
        attribute).  Returns one row per shared attribute: ``kano``, ``kano_as_prca`` (M basic,
        O performance, A excitement, I unclassified; R and Q have no counterpart), ``prca``
        and ``agree``; the share agreeing is in ``.attrs``-free form as the column mean.
        """
        classes = prca.kano if hasattr(prca, "kano") and not isinstance(prca, pd.Series) else prca
        if callable(classes):
            classes = classes()
        if not isinstance(classes, pd.Series):
            raise InputError("compare_prca takes a PRCAResult or a Series of PRCA classes by attribute")
        shared = [a for a in self._table.index if a in classes.index]
        if not shared:
            raise InputError(f"no attribute is in both the Kano study ({list(self._table.index)}) and the PRCA "
                             f"({list(classes.index)})")
        k = self._table.loc[shared, "category"]
        out = pd.DataFrame({"kano": k, "kano_as_prca": k.map(PRCA_CLASS), "prca": classes.loc[shared]})
        out["agree"] = out["kano_as_prca"] == out["prca"]
        out.index.name = "attribute"
        return out

    def methods_text(self) -> str:
        t = self._table
        text = (f"A Kano questionnaire of {len(t)} attributes (functional and dysfunctional questions, n = "
                f"{int(t['n'].max())} respondents) classified by the evaluation table of {KANO_1984.cite} and "
                f"{BERGER_1993.cite}, each attribute by its most frequent category (ties M > O > A > I), with the "
                f"category strength and total strength of {LEE_1997.cite} and the Better and Worse coefficients of "
                f"{BERGER_1993.cite}.")
        if self.method == "wilson":
            text += (f" Better and Worse have {self.level:.0%} score intervals of {WILSON_1927.cite}, A + O and O + M "
                     "being binomial among the respondents classified A, O, M or I.")
        if self.n_boot:
            what = (f"{self.level:.0%} percentile intervals and the stability of each category"
                    if self.method == "bootstrap" else "the stability of each category")
            text += (f" {what[0].upper() + what[1:]} come from {self.n_boot} bootstrap resamples of respondents as in "
                     f"{EFRON_1993.cite}.")
        return text

    def plot(self, ax=None):
        """The Better-Worse diagram: the absolute Worse against Better with intervals, quadrants at 0.5;
        returns the Axes."""
        t = self._table
        ax = plotting.axes(ax, figsize=(6, 5.5))
        x, y = -t["worse"], t["better"]
        if "better_lower" in t:
            ax.errorbar(x, y, xerr=np.vstack([x - (-t["worse_upper"]), -t["worse_lower"] - x]),
                        yerr=np.vstack([y - t["better_lower"], t["better_upper"] - y]), fmt="none", color="0.6",
                        lw=0.8)
        for j, c in enumerate(("A", "O", "M", "I", "R", "Q")):
            sel = t["category"] == c
            if sel.any():
                ax.scatter(x[sel], y[sel], color=plotting.color(j), label=NAMES[c], zorder=3)
        for a, xi, yi in zip(t.index, x, y):
            ax.annotate(str(a), (xi, yi), xytext=(3, 3), textcoords="offset points", fontsize=8)
        ax.axhline(0.5, color="0.4", lw=0.8)
        ax.axvline(0.5, color="0.4", lw=0.8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("|Worse| (dissatisfaction when absent)")
        ax.set_ylabel("Better (satisfaction when present)")
        ax.set_title("Kano Better-Worse diagram")
        ax.legend(fontsize=8, loc="lower right")
        return ax


def kano(data: pd.DataFrame, attributes: dict, *, method: str = "wilson", n_boot: int = 1000, seed=None,
         level: float = 0.95) -> KanoResult:
    """Classify attributes from Kano question pairs, with Better/Worse coefficients and intervals.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; not modified.  Answers are 1 like, 2 must-be, 3 neutral,
        4 live with, 5 dislike; anything else (including missing) raises :class:`InputError`.
    attributes : dict
        ``{attribute: (functional column, dysfunctional column)}``.
    method : {"wilson", "bootstrap"}
        Intervals of Better and Worse.  ``"wilson"``: given the m respondents classified A, O, M or
        I, A + O (and O + M) is binomial, so Better (and -Worse) get the Wilson score interval
        (Wilson 1927); in simulation it holds its level where the percentile bootstrap falls
        short at a few hundred respondents.  ``"bootstrap"``: percentile intervals from ``n_boot``
        resamples of respondents.
    n_boot : int
        Bootstrap resamples of respondents (``0``: none).  They also give ``p_category``, the
        share of resamples with the same category (the stability of the classification).
    seed, level
        As everywhere.

    Returns
    -------
    KanoResult
    """
    level = check_level(level)
    n_boot = check_count(n_boot, "n_boot")
    if method not in ("wilson", "bootstrap"):
        raise InputError(f"method must be 'wilson' or 'bootstrap', got {method!r}")
    if method == "bootstrap" and n_boot == 0:
        raise InputError("method='bootstrap' needs n_boot >= 50")
    if 0 < n_boot < 50:
        raise InputError(f"n_boot must be 0 or at least 50 for percentile intervals, got {n_boot}")
    data = require_frame(data)
    require_unique_columns(data)
    if not isinstance(attributes, dict) or not attributes:
        raise InputError("attributes must be a non-empty dict {attribute: (functional column, dysfunctional column)}")
    pairs = {}
    for a, pair in attributes.items():
        if isinstance(pair, str) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise InputError(f"attribute {a!r} must map to a (functional, dysfunctional) pair of columns, got {pair!r}")
        pairs[a] = (pair[0], pair[1])
    cols = list(dict.fromkeys(c for p in pairs.values() for c in p))
    require_columns(data, cols)
    require_numeric(data, cols)
    require_no_missing(data, cols)
    if len(data) < 2:
        raise InputError(f"data has {len(data)} respondent(s); a Kano study needs several")
    for c in cols:
        x = data[c].to_numpy(float)
        bad = ~np.isin(x, [1, 2, 3, 4, 5])
        if bad.any():
            raise InputError(f"column {c!r} has {int(bad.sum())} answers outside the five-point Kano scheme 1 like, "
                             f"2 must-be, 3 neutral, 4 live with, 5 dislike ({rows_text(data.index[bad])}): "
                             "recode them")
    names = list(pairs)
    codes = np.column_stack([_CODE[data[f].to_numpy(int) - 1, data[d].to_numpy(int) - 1] for f, d in pairs.values()])
    n = len(data)
    counts = np.stack([(codes[:, j][:, None] == np.arange(6)).sum(axis=0) for j in range(len(names))])
    better, worse = _coefficients(counts.astype(float))
    rows = []
    flagged = []
    for j, a in enumerate(names):
        cat, strength = _category(counts[j])
        share = counts[j] / n
        rows.append({"attribute": a, "n": n, **{c: float(share[k]) for k, c in enumerate(CATEGORIES)},
                     "category": cat, "category_name": NAMES[cat], "strength": strength,
                     "total_strength": float(100 * share[:3].sum()), "mixed": strength < 6,
                     "better": float(better[j]), "worse": float(worse[j])})
        if counts[j, :4].sum() == 0:
            flagged.append(a)
    table = pd.DataFrame(rows).set_index("attribute")
    rng, seed_rec = resolve_seed(seed)
    if n_boot:
        B = np.full((n_boot, len(names)), np.nan)
        W = np.full((n_boot, len(names)), np.nan)
        same = np.zeros(len(names))
        for b in range(n_boot):
            idx = rng.integers(0, n, n)
            cb = np.stack([np.bincount(codes[idx, j], minlength=6) for j in range(len(names))])
            B[b], W[b] = _coefficients(cb.astype(float))
            same += np.array([_category(cb[j])[0] == table["category"].iloc[j] for j in range(len(names))])
        for name, D in (("better", B), ("worse", W)):
            table[f"{name}_se"] = np.nanstd(D, axis=0, ddof=1)
            if method == "bootstrap":
                lo, hi = bootstrap_interval(D, table[name].to_numpy(), level, "percentile")
                table[f"{name}_lower"], table[f"{name}_upper"] = lo, hi
        table["p_category"] = same / n_boot
    if method == "wilson":
        m = counts[:, :4].sum(axis=1)
        for name, k, sign in (("better", counts[:, 0] + counts[:, 1], 1), ("worse", counts[:, 1] + counts[:, 2], -1)):
            iv = [stats.binomtest(int(kk), int(mm)).proportion_ci(level, method="wilson") if mm else None
                  for kk, mm in zip(k, m)]
            lo = np.array([np.nan if v is None else v.low for v in iv])
            hi = np.array([np.nan if v is None else v.high for v in iv])
            table[f"{name}_lower"], table[f"{name}_upper"] = (lo, hi) if sign > 0 else (-hi, -lo)
    cnt = pd.DataFrame(counts, index=pd.Index(names, name="attribute"), columns=list(CATEGORIES))
    prov = make_provenance("Kano questionnaire", data[cols], {"attributes": {a: list(p) for a, p in pairs.items()},
                                                              "level": level}, seed=seed_rec)
    if n_boot:
        prov = prov.with_step("bootstrap", seed=seed_rec, n_boot=n_boot, level=level)
    res = KanoResult(table, cnt, level=level, n_boot=n_boot, method=method, provenance=prov,
                     references=(KANO_1984, BERGER_1993, LEE_1997) + ((WILSON_1927,) if method == "wilson" else ())
                     + ((EFRON_1993,) if n_boot else ()))
    if flagged:
        res._flag(f"attribute(s) {flagged} have only reverse or questionable answers: Better and Worse are undefined",
                  CXModelsWarning)
    q = table.index[table["Q"] > 0.1]
    if len(q):
        res._flag(f"attribute(s) {list(q)} have more than 10% questionable answers (like both having and lacking "
                  "it): check the wording of the questions", CXModelsWarning, admissible=True)
    return res


__all__ = ["kano", "KanoResult", "evaluation_table", "CATEGORIES"]
