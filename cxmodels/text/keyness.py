r"""Keyness: the words that separate two groups of texts, by weighted log-odds with an
informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, section 3.5).

With :math:`y_{w}^{(i)}` the count of term :math:`w` in group :math:`i` (:math:`n^{(i)}`
tokens) and a prior :math:`\alpha_w = \alpha_0 \pi_w` (:math:`\pi_w` the term's share of the
background, by default the pooled corpus), the log-odds of :math:`w` in group :math:`i` are
estimated as

.. math::

    \hat\omega_w^{(i)} = \log\frac{y_w^{(i)} + \alpha_w}{n^{(i)} + \alpha_0 - y_w^{(i)} - \alpha_w},

the difference between the focus group and the rest is
:math:`\hat\delta_w = \hat\omega_w^{(f)} - \hat\omega_w^{(r)}` with variance
:math:`\sigma^2_w \approx 1/(y_w^{(f)} + \alpha_w) + 1/(y_w^{(r)} + \alpha_w)`, and terms are
ranked by :math:`z_w = \hat\delta_w / \sigma_w`.  The prior shrinks rare terms towards zero
so the ranking is not led by words seen once in one group.  The default :math:`\alpha_0` is
the number of tokens of the smaller group (the prior is worth as much as the weaker side's
evidence); pass ``prior_weight`` to change it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import plotting
from .._results import Result
from .._validation import rows_text
from ..errors import CXModelsWarning, InputError
from ..provenance import make_provenance
from . import references as refs
from ._plot import quiet, term_labels
from .tokens import DocumentTerms, tokenize

__all__ = ["KeynessResult", "keyness"]


class KeynessResult(Result):
    """Weighted log-odds keyness of a focus group against the rest; see :func:`keyness`.

    ``summary()`` has one row per term, sorted by ``z`` (most typical of the focus group first):
    ``est`` (the log-odds ratio :math:`\\hat\\delta`), ``se``, ``z``, ``pvalue`` (two-sided,
    normal), ``count_focus``, ``count_rest``, ``rate_focus``, ``rate_rest`` (per 1,000 tokens).

    Attributes
    ----------
    focus, rest : str
        Labels of the two groups compared.
    n_focus, n_rest : int
        Documents in each group.
    """

    def __init__(self, *, table, provenance, focus, rest, n_focus, n_rest, tokens_focus, tokens_rest,
                 prior_weight, language, tokens_methods):
        self._table, self._provenance, self._warnings = table, provenance, []
        self.focus, self.rest, self.n_focus, self.n_rest = focus, rest, n_focus, n_rest
        self.tokens_focus, self.tokens_rest, self.prior_weight = tokens_focus, tokens_rest, prior_weight
        self.language, self._tokens_methods = language, tokens_methods
        self._references = ((refs.JIEBA,) if language == "zh" else ()) + (refs.SKLEARN, refs.MONROE_2008)

    def top(self, n: int = 10, side: str = "focus") -> pd.DataFrame:
        """The ``n`` terms most typical of the focus group (``side="focus"``) or of the rest."""
        tab = self._table
        return (tab.head(n) if side == "focus" else tab.iloc[::-1].head(n)).copy()

    def methods_text(self) -> str:
        return (f"{self._tokens_methods} Terms typical of {self.focus} ({self.n_focus} texts, {self.tokens_focus} "
                f"tokens) as against {self.rest} ({self.n_rest} texts, {self.tokens_rest} tokens) were ranked by "
                f"the weighted log-odds ratio with an informative Dirichlet prior ({refs.MONROE_2008.cite}), the "
                f"prior proportional to the pooled term frequencies with total weight {self.prior_weight:g}, and "
                "its z-score.")

    def plot(self, ax=None, n: int = 10):
        """Monroe et al.'s figure: z-score against total frequency (log scale), the ``n`` most
        typical terms of each side labelled.  Returns the Axes."""
        tab = self._table
        ax = plotting.axes(ax, figsize=(7, 4.5))
        total = tab["count_focus"] + tab["count_rest"]
        ax.scatter(total, tab["z"], s=8, color="0.6", alpha=0.6)
        ax.set_xscale("log")
        lab = pd.concat([tab.head(n), tab.iloc[::-1].head(n)])
        labels, props = term_labels(lab.index)
        with quiet():
            for (term, row), label in zip(lab.iterrows(), labels):
                c = plotting.color(1) if row["z"] > 0 else plotting.color(0)
                x = row["count_focus"] + row["count_rest"]
                ax.scatter([x], [row["z"]], s=14, color=c)
                ax.annotate(label, (x, row["z"]), fontsize=7, xytext=(3, 0), textcoords="offset points", **props)
        crit = stats.norm.ppf(0.975)
        for h in (-crit, crit):
            ax.axhline(h, color="k", lw=0.6, ls=":")
        ax.set_xlabel("term frequency (both groups)")
        ax.set_ylabel(f"z  (<- {self.rest}   {self.focus} ->)")
        ax.set_title("Keyness: weighted log-odds, informative Dirichlet prior")
        return ax


def keyness(data: pd.DataFrame, text: str, group: str, *, focus=None, language: str = "zh", user_words=(),
            stop_words="default", ngram_range=(1, 1), min_count: int = 3, prior_weight: float | None = None,
            terms: DocumentTerms | None = None) -> KeynessResult:
    r"""Terms that separate the ``focus`` level of ``group`` from the other rows (module docstring).

    Parameters
    ----------
    data : DataFrame
        One row per text; not modified.
    text : str
        Column of texts.
    group : str
        Column whose levels split the texts (e.g. ``nps_group``, churned, wave).
    focus : optional
        The level of ``group`` compared with all other rows; required when ``group`` has more
        than two levels (for two levels it defaults to the second in sorted order).
    language, user_words, stop_words, ngram_range
        As :func:`~cxmodels.text.tokenize`.
    min_count : int
        Terms counted fewer times in both groups together are left out.
    prior_weight : float, optional
        :math:`\alpha_0`, the prior's total pseudo-count (default: tokens of the smaller group).
    terms : DocumentTerms, optional
        A tokenization of the same ``data`` to re-use (its ``text`` and rows must match).

    Returns
    -------
    KeynessResult

    References
    ----------
    Monroe, B. L., Colaresi, M. P., & Quinn, K. M. (2008). Fightin' words. Political Analysis
    16(4), 372-403.
    """
    if terms is None:
        terms = tokenize(data, text, language=language, user_words=user_words, stop_words=stop_words,
                         ngram_range=ngram_range)
    elif not isinstance(terms, DocumentTerms) or not terms.index.equals(data.index) or \
            terms.options["text"] != text:
        raise InputError("terms must be the DocumentTerms of tokenize(data, text) for the same rows and column")
    if not isinstance(group, str) or group not in data.columns:
        raise InputError(f"group must name a column of data, got {group!r}; data has {list(map(str, data.columns))}")
    g = data[group]
    miss = data.index[g.isna().to_numpy()]
    if len(miss):
        raise InputError(f"column {group!r} has {len(miss)} missing values ({rows_text(miss)}); drop those rows")
    levels = sorted(pd.unique(g).tolist(), key=str)
    if len(levels) < 2:
        raise InputError(f"column {group!r} has a single level ({levels}); keyness compares two groups")
    if focus is None:
        if len(levels) > 2:
            raise InputError(f"column {group!r} has {len(levels)} levels {levels[:6]}; name the one to compare "
                             "with the rest in focus=")
        focus = levels[1]
    if focus not in levels:
        raise InputError(f"focus={focus!r} is not a level of column {group!r} ({levels[:6]})")
    rest = "rest" if len(levels) > 2 else next(v for v in levels if v != focus)
    if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise InputError(f"min_count must be a whole number >= 1, got {min_count!r}")
    is_f = (g == focus).to_numpy()
    X = terms.matrix
    yf = np.asarray(X[is_f].sum(axis=0)).ravel().astype(float)
    yr = np.asarray(X[~is_f].sum(axis=0)).ravel().astype(float)
    keep = (yf + yr) >= min_count
    if keep.sum() < 2:
        raise InputError(f"fewer than two terms occur {min_count} times or more; lower min_count or add texts")
    nf, nr = yf.sum(), yr.sum()
    if nf == 0 or nr == 0:
        raise InputError(f"the {'focus' if nf == 0 else 'other'} group of {group!r} has no counted term")
    pooled = yf + yr
    a0 = float(min(nf, nr)) if prior_weight is None else float(prior_weight)
    if not np.isfinite(a0) or a0 <= 0:
        raise InputError(f"prior_weight must be a positive number, got {prior_weight!r}")
    alpha = a0 * pooled / pooled.sum()
    wf = np.log((yf + alpha) / (nf + a0 - yf - alpha))
    wr = np.log((yr + alpha) / (nr + a0 - yr - alpha))
    delta = wf - wr
    se = np.sqrt(1 / (yf + alpha) + 1 / (yr + alpha))
    z = delta / se
    tab = pd.DataFrame({"term": terms.terms, "est": delta, "se": se, "z": z, "pvalue": 2 * stats.norm.sf(np.abs(z)),
                        "count_focus": yf.astype(int), "count_rest": yr.astype(int),
                        "rate_focus": 1000 * yf / nf, "rate_rest": 1000 * yr / nr})[keep]
    tab = tab.set_index("term").sort_values("z", ascending=False, kind="stable")
    options = {"text": text, "group": group, "focus": focus if not isinstance(focus, np.generic) else focus.item(),
               "min_count": min_count, "prior_weight": a0, **{k: v for k, v in terms.options.items() if k != "text"}}
    res = KeynessResult(table=tab, provenance=make_provenance("cxmodels.text.keyness", data[[text, group]], options),
                        focus=str(focus), rest=str(rest), n_focus=int(is_f.sum()), n_rest=int((~is_f).sum()),
                        tokens_focus=int(nf), tokens_rest=int(nr), prior_weight=a0, language=terms.language,
                        tokens_methods=terms.methods_text())
    res._warnings.extend(terms.warnings)  # the tokenization's cautions travel with the result
    small = min(is_f.sum(), (~is_f).sum())
    if small < 30:
        res._flag(f"the smaller group has only {small} texts; keyness z-scores are unreliable below about 30",
                  CXModelsWarning, admissible=True)
    return res
