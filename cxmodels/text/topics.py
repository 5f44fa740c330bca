r"""Topics: NMF and LDA (scikit-learn) with the number of topics chosen by coherence or held-out
likelihood, their stability across seeds, labelled top terms, redacted snippets and
prevalence by segment.

NMF (Lee & Seung 1999) factorises the tf-idf weighted document-term matrix
:math:`X \approx WH` (Frobenius loss); LDA (Blei, Ng & Jordan 2003) is fitted to the counts by
variational Bayes.  A document's topic weights are the rows of :math:`W` (NMF) or the
posterior topic proportions (LDA), normalised to sum to one.

Coherence of a topic is the mean normalised pointwise mutual information (NPMI) of its top
``n_terms`` terms over document co-occurrence in the corpus itself,
:math:`\mathrm{NPMI}(w_i, w_j) = \log\frac{P(w_i, w_j)}{P(w_i) P(w_j)} / -\log P(w_i, w_j)`
(pairs never seen together score -1), the measure that agrees best with human judgement
(Lau, Newman & Baldwin 2014).  With several candidate ``n_topics`` the one of highest mean
coherence is kept (``criterion="coherence"``), or for LDA the one of highest log-likelihood
of a held-out 20% of documents (``criterion="heldout"``).

Stability (Greene, O'Callaghan & Cunningham 2014): the model is refitted with ``n_seeds - 1``
other seeds; topics are matched one-to-one to the reference fit by the Hungarian algorithm on
the cosine similarity of their term weights, and each topic's stability is its mean matched
similarity (1: found identically from every start).
"""

from __future__ import annotations

import warnings as _warnings

import numpy as np
import pandas as pd
from scipy import stats

from .. import plotting
from .._results import Result
from .._validation import as_generator, check_count, check_level, require_columns, rows_text
from ..errors import ConvergenceWarning, CXModelsWarning, InputError
from ..provenance import make_provenance
from . import references as refs
from ._plot import quiet, term_labels
from .checks import require_texts
from .redact import redact_text
from .tokens import DocumentTerms, tokenize

__all__ = ["TopicResult", "PrevalenceResult", "fit_topics", "coherence"]


def coherence(binary, top: np.ndarray) -> float:
    """Mean NPMI over the pairs of term columns ``top`` of a binary document-term matrix."""
    sub = binary[:, top]
    n = binary.shape[0]
    co = (sub.T @ sub).toarray().astype(float) / n
    p = np.diag(co).copy()
    vals = []
    for i in range(len(top)):
        for j in range(i + 1, len(top)):
            pij = co[i, j]
            if pij <= 0 or p[i] <= 0 or p[j] <= 0:
                vals.append(-1.0)
            elif pij >= 1:
                vals.append(1.0)
            else:
                vals.append(np.log(pij / (p[i] * p[j])) / -np.log(pij))
    return float(np.mean(vals)) if vals else float("nan")


def _fit_once(method, X, k, seed, max_iter):
    from sklearn.decomposition import NMF, LatentDirichletAllocation

    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        if method == "nmf":
            model = NMF(n_components=k, init="random", random_state=seed, max_iter=max_iter, tol=1e-4)
            W = model.fit_transform(X)
            converged = model.n_iter_ < max_iter
        else:
            model = LatentDirichletAllocation(n_components=k, random_state=seed, max_iter=max_iter,
                                              learning_method="batch", evaluate_every=-1)
            W = model.fit_transform(X)
            converged = True  # batch LDA runs max_iter passes (no tolerance without costly perplexity checks)
    converged = converged and not any("converge" in str(w.message).lower() for w in caught)
    return model, W, converged


def _stability(ref_H, others):
    from scipy.optimize import linear_sum_assignment

    def norm(H):
        return H / np.maximum(np.linalg.norm(H, axis=1, keepdims=True), 1e-12)

    R = norm(ref_H)
    sims = []
    for H in others:
        S = R @ norm(H).T
        r, c = linear_sum_assignment(-S)
        out = np.empty(len(R))
        out[r] = S[r, c]
        sims.append(out)
    return np.mean(sims, axis=0) if sims else np.full(len(R), np.nan)


class PrevalenceResult(Result):
    """Mean topic weight by group with intervals; see :meth:`TopicResult.prevalence`.

    ``summary()``: one row per (group level, topic) with ``est`` (mean share of the texts'
    words given to the topic), ``ci_lower``, ``ci_upper`` and ``n``.
    """

    def __init__(self, *, table, provenance, group, level, n_boot, seed, labels):
        self._table, self._provenance, self._warnings = table, provenance, []
        self.group, self.level, self.n_boot, self.seed, self.labels = group, level, n_boot, seed, labels
        self._references = (refs.EFRON_1993,) if n_boot else (refs.STUDENT_1908,)

    def methods_text(self) -> str:
        pct = round(100 * self.level)
        how = (f"{pct}% percentile intervals from {self.n_boot} bootstrap resamples of texts within each group "
               f"({refs.EFRON_1993.cite}; seed {self.seed})" if self.n_boot else
               f"{pct}% t intervals ({refs.STUDENT_1908.cite})")
        return (f"Topic prevalence (mean topic weight of the texts) was compared across levels of {self.group} "
                f"with {how}.")

    def plot(self, ax=None):
        """Prevalence by topic (rows) and group (colours) with interval bars.  Returns the Axes."""
        tab = self._table.reset_index()
        levels = list(dict.fromkeys(tab["level"]))
        topics = list(dict.fromkeys(tab["topic"]))
        ax = plotting.axes(ax, figsize=(6.5, 0.45 * len(topics) * max(1, len(levels) / 2) + 1.5))
        h = 0.8 / len(levels)
        labels, props = term_labels([self.labels.get(t, t) for t in topics])
        for i, lev in enumerate(levels):
            s = tab[tab["level"] == lev].set_index("topic").loc[topics]
            pos = np.arange(len(topics))[::-1] + (i - (len(levels) - 1) / 2) * h
            err = np.vstack([s["est"] - s["ci_lower"], s["ci_upper"] - s["est"]])
            ax.barh(pos, s["est"], height=h, xerr=err, color=plotting.color(i), label=str(lev), capsize=2)
        with quiet():
            ax.set_yticks(np.arange(len(topics))[::-1])
            ax.set_yticklabels(labels, **props)
        ax.set_xlabel(f"topic prevalence ({round(100 * self.level)}% interval)")
        ax.legend(title=self.group, fontsize=8)
        return ax


class TopicResult(Result):
    """A topic model; see :func:`fit_topics`.

    ``summary()``: one row per topic with ``label`` (its top three terms), ``est``
    (prevalence: mean topic weight over documents), ``coherence`` (NPMI), ``stability`` (mean
    matched cosine similarity across seeds) and ``top_terms``.

    Attributes
    ----------
    weights : DataFrame
        Documents x topics, rows summing to one, indexed like ``data``.
    term_weights : DataFrame
        Topics x terms (NMF's :math:`H`, LDA's topic-word pseudo-counts).
    selection : DataFrame
        Per candidate number of topics: mean coherence (and held-out log-likelihood for LDA
        with ``criterion="heldout"``).
    method : str
    n_topics : int
    """

    def __init__(self, *, table, provenance, weights, term_weights, selection, method, n_topics, n_seeds,
                 criterion, snippets, language, tokens_methods, seed, binary):
        self._binary = binary
        self._table, self._provenance, self._warnings = table, provenance, []
        self.weights, self.term_weights, self.selection = weights, term_weights, selection
        self.method, self.n_topics, self.n_seeds, self.criterion = method, n_topics, n_seeds, criterion
        self._snippets, self.language, self._tokens_methods, self.seed = snippets, language, tokens_methods, seed
        self._references = ((refs.JIEBA,) if language == "zh" else ()) + (
            refs.SKLEARN, refs.LEE_SEUNG_1999 if method == "nmf" else refs.BLEI_2003, refs.LAU_2014) + (
            (refs.GREENE_2014,) if n_seeds > 1 else ())

    @property
    def labels(self) -> dict:
        """Topic -> label (top three terms)."""
        return self._table["label"].to_dict()

    def top_terms(self, n: int = 10) -> pd.DataFrame:
        """Topics x rank: the ``n`` highest-weighted terms of each topic."""
        H = self.term_weights
        return pd.DataFrame({t: H.columns[np.argsort(-H.loc[t].to_numpy())[:n]] for t in H.index}).T.rename(
            columns=lambda r: r + 1)

    def snippets(self, n: int = 3) -> pd.DataFrame:
        """The ``n`` most typical texts of each topic, REDACTED (identifiers replaced, see
        :func:`~cxmodels.text.redact_text`).  Raw texts are never stored in the result."""
        return self._snippets.groupby("topic", sort=False).head(n).reset_index(drop=True)

    def features(self, top: int = 5) -> pd.DataFrame:
        """Per-document text features for outcome models, indexed like ``data``: ``weight_k`` (the
        topic weights), ``mentions_k`` (0/1: the text uses one of the topic's ``top`` highest-weighted
        terms) and ``dominant_topic``.

        A mention is read from the words, not from the weights: a short text with no theme word still
        gets weights summing to one, which would count it as mentioning some topic.
        """
        top = check_count(top, "top", 1)
        W = self.weights
        out = W.add_prefix("weight_")
        H = self.term_weights.to_numpy()
        pres = {f"mentions_{t}": np.asarray(self._binary[:, np.argsort(-H[k])[:top]].sum(axis=1)).ravel() > 0
                for k, t in enumerate(W.columns)}
        out = pd.concat([out, pd.DataFrame(pres, index=W.index).astype(int)], axis=1)
        out["dominant_topic"] = W.idxmax(axis=1)
        return out

    def prevalence(self, data: pd.DataFrame, group: str, *, level: float = 0.95, n_boot: int = 1000,
                   seed=None, progress=None) -> PrevalenceResult:
        """Topic prevalence by the levels of ``group`` (rows matched on the index of the fitted data).

        Parameters
        ----------
        data : DataFrame
            Holds ``group``; its index must contain the fitted texts' index.
        group : str
            Segment or wave column.
        level : float
        n_boot : int
            Bootstrap resamples within each group (0: t intervals).
        seed : int, Generator or None
        progress : bool or None
            Unused (the bootstrap is vectorised); kept for the common signature.

        Returns
        -------
        PrevalenceResult
        """
        level = check_level(level)
        n_boot = check_count(n_boot, "n_boot")
        if not isinstance(data, pd.DataFrame):
            raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        require_columns(data, [group])
        missing = self.weights.index.difference(data.index)
        if len(missing):
            raise InputError(f"data lacks {len(missing)} rows of the fitted texts ({rows_text(missing)}); pass the "
                             "frame the topics were fitted on")
        g = data.loc[self.weights.index, group]
        if g.isna().any():
            raise InputError(f"column {group!r} has missing values ({rows_text(g.index[g.isna().to_numpy()])})")
        rng = as_generator(seed)
        a = (1 - level) / 2
        rows = []
        for lev, idx in g.groupby(g, sort=True).groups.items():
            W = self.weights.loc[idx].to_numpy()
            m = W.mean(axis=0)
            if n_boot:
                draws = np.empty((n_boot, W.shape[1]))
                for b0 in range(0, n_boot, 200):
                    b = min(200, n_boot - b0)
                    ii = rng.integers(0, len(W), size=(b, len(W)))
                    draws[b0:b0 + b] = W[ii].mean(axis=1)
                lo, hi = np.quantile(draws, a, axis=0), np.quantile(draws, 1 - a, axis=0)
            else:
                se = W.std(axis=0, ddof=1) / np.sqrt(len(W)) if len(W) > 1 else np.full(W.shape[1], np.nan)
                t = stats.t.ppf(1 - a, max(len(W) - 1, 1))
                lo, hi = m - t * se, m + t * se
            for k, topic in enumerate(self.weights.columns):
                rows.append((lev, topic, m[k], lo[k], hi[k], len(W)))
        tab = pd.DataFrame(rows, columns=["level", "topic", "est", "ci_lower", "ci_upper", "n"])
        tab = tab.set_index(["level", "topic"])
        prov = self._provenance.with_step("prevalence", seed=seed if not isinstance(seed, np.random.Generator)
                                          else "Generator", group=group, level=level, n_boot=n_boot)
        return PrevalenceResult(table=tab, provenance=prov, group=group, level=level, n_boot=n_boot, seed=seed,
                                labels=self.labels)

    def methods_text(self) -> str:
        model = (f"non-negative matrix factorisation of the tf-idf weighted matrix ({refs.LEE_SEUNG_1999.cite})"
                 if self.method == "nmf" else f"latent Dirichlet allocation ({refs.BLEI_2003.cite}) by batch "
                 "variational Bayes")
        cands = self.selection.index.tolist()
        crit = ("mean NPMI coherence of the top terms" if self.criterion == "coherence" else
                "log-likelihood of 20% held-out documents")
        sel = (f"The number of topics, {self.n_topics}, was chosen among {cands} by the {crit} "
               f"({refs.LAU_2014.cite}). " if len(cands) > 1 else
               f"{self.n_topics} topics were fitted; their coherence is the mean NPMI of their top terms "
               f"({refs.LAU_2014.cite}). ")
        stab = self._table["stability"]
        st = (f"Stability across {self.n_seeds} random starts ({refs.GREENE_2014.cite}): mean matched cosine "
              f"similarity {stab.mean():.2f} (lowest {stab.min():.2f}). " if self.n_seeds > 1 else "")
        return (f"{self._tokens_methods} Topics were estimated by {model} in scikit-learn ({refs.SKLEARN.cite}; "
                f"seed {self.seed}). " + sel + st + "Representative texts are shown redacted.")

    def plot(self, ax=None):
        """Prevalence of each topic with its coherence and stability in the label.  Returns the Axes."""
        tab = self._table
        ax = plotting.axes(ax, figsize=(6.5, 0.4 * len(tab) + 1.4))
        pos = np.arange(len(tab))[::-1]
        ax.barh(pos, tab["est"], color=[plotting.color(i) for i in range(len(tab))])
        labels, props = term_labels([f"{t}: {lab}" for t, lab in tab["label"].items()])
        with quiet():
            ax.set_yticks(pos)
            ax.set_yticklabels(labels, **props)
        for p, (_, r) in zip(pos, tab.iterrows()):
            ax.text(r["est"], p, f"  coh {r['coherence']:.2f}, stab {r['stability']:.2f}", va="center", fontsize=7)
        ax.set_xlabel("prevalence (mean topic weight)")
        ax.set_title(f"{self.method.upper()} topics")
        return ax


def fit_topics(data: pd.DataFrame, text: str, *, n_topics=5, method: str = "nmf", language: str = "zh",
               user_words=(), stop_words="default", ngram_range=(1, 1), min_df: int | float = 2,
               max_df: float = 0.95, criterion: str = "coherence", n_seeds: int = 3, n_terms: int = 10,
               max_iter: int | None = None, seed=None, terms: DocumentTerms | None = None,
               progress=None) -> TopicResult:
    """Fit an NMF or LDA topic model to the texts in column ``text`` (see the module docstring).

    Parameters
    ----------
    data : DataFrame
        Not modified.
    text : str
    n_topics : int or list of int
        Number of topics, or candidates to choose from by ``criterion``.
    method : {"nmf", "lda"}
    language, user_words, stop_words, ngram_range, min_df, max_df
        As :func:`~cxmodels.text.tokenize` (ignored when ``terms`` is given).
    criterion : {"coherence", "heldout"}
        How to choose among candidate numbers of topics; ``"heldout"`` is for LDA only.
    n_seeds : int
        Fits from different random starts for the stability report (1: none).
    n_terms : int
        Top terms per topic (for labels and coherence).
    max_iter : int, optional
        Iterations: NMF stops earlier at its tolerance (default 400); batch LDA runs all of them
        (default 30, enough for short texts; a larger corpus converges in fewer passes).
    seed : int, Generator or None
    terms : DocumentTerms, optional
        A tokenization of the same ``data`` to re-use.
    progress : bool or None

    Returns
    -------
    TopicResult

    References
    ----------
    Lee & Seung (1999); Blei, Ng & Jordan (2003); Lau, Newman & Baldwin (2014); Greene,
    O'Callaghan & Cunningham (2014).
    """
    from sklearn.feature_extraction.text import TfidfTransformer

    from .._progress import Progress

    if method not in ("nmf", "lda"):
        raise InputError(f"method must be 'nmf' or 'lda', got {method!r}")
    if criterion not in ("coherence", "heldout"):
        raise InputError(f"criterion must be 'coherence' or 'heldout', got {criterion!r}")
    if criterion == "heldout" and method != "lda":
        raise InputError("criterion='heldout' needs a likelihood: use method='lda' or criterion='coherence'")
    cands = [n_topics] if isinstance(n_topics, (int, np.integer)) and not isinstance(n_topics, bool) else n_topics
    try:
        cands = sorted({check_count(k, "n_topics", 2) for k in cands})
    except TypeError:
        raise InputError(f"n_topics must be a whole number >= 2 or a list of them, got {n_topics!r}") from None
    if not cands:
        raise InputError("n_topics is an empty list")
    n_seeds = check_count(n_seeds, "n_seeds", 1)
    n_terms = check_count(n_terms, "n_terms", 2)
    if max_iter is None:
        max_iter = 400 if method == "nmf" else 30
    max_iter = check_count(max_iter, "max_iter", 1)
    texts = require_texts(data, text)
    if terms is None:
        terms = tokenize(data, text, language=language, user_words=user_words, stop_words=stop_words,
                         ngram_range=ngram_range, min_df=min_df, max_df=max_df)
    elif not isinstance(terms, DocumentTerms) or not terms.index.equals(data.index):
        raise InputError("terms must be the DocumentTerms of tokenize(data, text) for the same rows")
    n_docs, n_vocab = terms.matrix.shape
    if n_docs < 2 * max(cands) or n_docs <= max(cands):
        raise InputError(f"{n_docs} texts cannot support {max(cands)} topics; a topic model needs at least two "
                         "texts per topic (and in practice hundreds of texts): fit fewer topics or add texts")
    if n_vocab < max(cands) + 1:
        raise InputError(f"the vocabulary has {n_vocab} terms, too few for {max(cands)} topics; lower min_df or "
                         "fit fewer topics")
    rng = as_generator(seed)
    seeds = [int(s) for s in rng.integers(0, 2**31 - 1, size=n_seeds)]
    counts = terms.matrix.astype(float)
    X = TfidfTransformer().fit_transform(counts) if method == "nmf" else counts
    binary = (terms.matrix > 0).astype(np.int32).tocsc()
    vocab = terms.terms

    rows = []
    fits = {}
    bar = Progress(len(cands) + n_seeds - 1, "topics", progress)
    for k in cands:
        model, W, conv = _fit_once(method, X, k, seeds[0], max_iter)
        H = model.components_
        coh = [coherence(binary, np.argsort(-H[t])[:n_terms]) for t in range(k)]
        row = {"n_topics": k, "coherence": float(np.mean(coh))}
        if criterion == "heldout":
            perm = np.random.default_rng(seeds[0]).permutation(n_docs)
            cut = int(0.8 * n_docs)
            m2, _, _ = _fit_once(method, X[perm[:cut]], k, seeds[0], max_iter)
            row["heldout_loglik"] = float(m2.score(X[perm[cut:]]))
        rows.append(row)
        fits[k] = (model, W, conv, coh)
        bar.update()
    selection = pd.DataFrame(rows).set_index("n_topics")
    best = int(selection["coherence" if criterion == "coherence" else "heldout_loglik"].idxmax())
    model, W, conv, coh = fits[best]
    H = model.components_
    others = []
    for s in seeds[1:]:
        m, _, _ = _fit_once(method, X, best, s, max_iter)
        others.append(m.components_)
        bar.update()
    stab = _stability(H, others)

    rs = W.sum(axis=1, keepdims=True)
    Wn = np.divide(W, rs, out=np.full_like(W, 1.0 / best), where=rs > 0)
    names = [f"topic_{t + 1}" for t in range(best)]
    weights = pd.DataFrame(Wn, index=data.index, columns=names)
    top_idx = [np.argsort(-H[t])[:n_terms] for t in range(best)]
    sep = " / "
    table = pd.DataFrame({"topic": names, "label": [sep.join(vocab[i[:3]]) for i in top_idx],
                          "est": Wn.mean(axis=0), "coherence": coh, "stability": stab,
                          "top_terms": [", ".join(vocab[i]) for i in top_idx]}).set_index("topic")
    snip = []
    for t, name in enumerate(names):
        for r in np.argsort(-Wn[:, t] * (W[:, t] > 0))[:5]:
            snip.append((name, data.index[r], float(Wn[r, t]), redact_text(texts.iloc[r])))
    snippets = pd.DataFrame(snip, columns=["topic", "row", "weight", "text_redacted"])
    options = {"text": text, "n_topics": cands, "method": method, "criterion": criterion, "n_seeds": n_seeds,
               "seeds": seeds, "n_terms": n_terms, "max_iter": max_iter,
               **{k: v for k, v in terms.options.items() if k != "text"}}
    prov = make_provenance(f"cxmodels.text.fit_topics ({method})", data[[text]], options,
                           seed if not isinstance(seed, np.random.Generator) else "Generator")
    res = TopicResult(table=table, provenance=prov, weights=weights, term_weights=pd.DataFrame(H, index=names,
                                                                                                columns=vocab),
                      selection=selection, method=method, n_topics=best, n_seeds=n_seeds, criterion=criterion,
                      snippets=snippets, language=terms.language, tokens_methods=terms.methods_text(), seed=seed,
                      binary=binary.tocsr())
    res._warnings.extend(terms.warnings)  # the tokenization's cautions travel with the result
    if not conv:
        res._flag(f"{method.upper()} did not converge in max_iter={max_iter} iterations; raise max_iter",
                  ConvergenceWarning)
    if n_seeds > 1 and np.nanmin(stab) < 0.6:
        bad = [n for n, s in zip(names, stab) if s < 0.6]
        res._flag(f"topics {bad} are unstable across random starts (matched similarity < 0.6); read them with "
                  "care or fit fewer topics", CXModelsWarning, admissible=True)
    return res
