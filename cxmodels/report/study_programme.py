"""``cxmodels study programme``: a year of a customer-experience measurement programme.

A generated, seeded programme (:func:`cxmodels.datasets.programme.make_programme`) analysed as
a CX team would: touchpoint scorecards, key drivers of overall satisfaction, a daily stream
watched by an EWMA chart (its in-control ARL stated and checked by simulation), its weekly
season and tracking line, and a Kano study.  The report shows aggregates only, never rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _say(message: str) -> None:
    """Default step log: silent."""


def study_programme(out_dir, *, bootstrap: int = 1000, seed: int = 2026, log=_say, n_days: int = 365) -> Path:
    """A CX measurement programme: scorecards, drivers, a stream with its alarm, a Kano study.

    Parameters
    ----------
    out_dir : path
        Folder of the HTML report (``programme_study.html``).
    bootstrap : int
        Bootstrap resamples of the key-driver and Kano intervals (0: point estimates for the
        drivers, Wilson intervals for the Kano coefficients).
    seed : int
        Seed of the generated programme and of every bootstrap.
    log : callable
        Step logger (``cxmodels study`` passes its own).
    n_days : int
        Days of the generated stream.

    Returns
    -------
    Path of the report.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import drivers, metrics
    from ..datasets.programme import make_programme
    from .html import Report

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prog = make_programme(n_days, seed=seed)
    truth = prog.truth
    rep = Report("A year of a customer-experience measurement programme")
    rep.heading("Question")
    rep.text("How do the touchpoints score and differ, which touchpoints drive overall satisfaction, did the live "
             "satisfaction stream move during the year and when, and which features are must-be, one-dimensional "
             "or attractive? The report shows estimates only, no customer rows.")
    rep.heading("Data")
    rep.text(f"cxmodels.datasets.make_programme({n_days}, seed={seed}): a touchpoint survey of {len(prog.survey)} "
             f"respondents, driver ratings of {len(prog.ratings)} customers on {prog.ratings.shape[1] - 1} "
             f"touchpoints, {len(prog.stream)} live ratings over {n_days} days ({truth['daily_n'][0]} to "
             f"{truth['daily_n'][1] - 1} a day) and a Kano questionnaire of {len(prog.kano)} respondents on "
             f"{len(truth['kano_mix'])} features. The generator's truths are known and shown beside the estimates.")

    log("scorecards per touchpoint")
    rep.heading("Touchpoint scorecards")
    card = metrics.scorecard(prog.survey, group="touchpoint",
                             value={"nps": "recommend", "csat_top_box": "sat", "ces_mean": "effort"},
                             scale={"csat_top_box": (1, 5), "ces_mean": (1, 7)}, benchmark={"nps": 30.0}, min_n=100)
    tab = card.summary().reset_index()
    keep = [c for c in ["metric", "group", "touchpoint", "est", "lower", "upper", "moe", "n", "suppressed",
                        "benchmark_pvalue"] if c in tab.columns]
    rep.table(tab[keep], caption="CSAT (top box), NPS and CES (mean) per touchpoint with 95% intervals; cells "
                                 "from fewer than 100 answers are suppressed; NPS tested against a benchmark of 30")
    diff = card.differences()
    sig = diff[diff["significant"]] if "significant" in diff else diff
    cols = [c for c in ["metric", "a", "b", "diff", "lower", "upper", "pvalue_adj"] if c in sig.columns]
    rep.table(sig[cols].reset_index(drop=True),
              caption=f"Touchpoint differences significant after Holm adjustment ({len(sig)} of {len(diff)} pairs)")
    ax = card.plot(metric="nps")
    rep.figure(ax.figure, "NPS per touchpoint with 95% intervals and the benchmark")
    plt.close("all")
    rep.text("True touchpoint effects on the latent experience: " +
             ", ".join(f"{k} {v:+.1f}" for k, v in truth["touchpoint_effect"].items()) + ".")
    rep.methods(card, "scorecard")

    log(f"key drivers ({bootstrap} bootstrap resamples)" if bootstrap else "key drivers (no bootstrap)")
    rep.heading("Key drivers of overall satisfaction")
    rated = [c for c in prog.ratings.columns if c != "overall"]
    kd = drivers.key_drivers(prog.ratings, rated, "overall", n_boot=max(bootstrap, 50) if bootstrap else 0, top=3,
                             seed=seed, progress=False)
    ktab = kd.top_drivers("shapley") if bootstrap else kd.summary()
    ktab = ktab.copy()
    if "driver" not in ktab.columns and all(str(i) in truth["driver_beta"] for i in ktab.index):
        ktab["true_beta"] = [truth["driver_beta"][str(i)] for i in ktab.index]
    rep.table(ktab, caption="Top touchpoints by Shapley decomposition of R2, with bootstrap intervals and rank "
                            "uncertainty" if bootstrap else "Relative importance (Shapley and Johnson's relative "
                            "weights); no bootstrap (--bootstrap 0), so no intervals")
    r2 = f"R2 = {kd.r2:.3f}"
    if bootstrap:
        r2 += f" (95% interval {kd.r2_interval[0]:.3f} to {kd.r2_interval[1]:.3f})"
    rep.text(r2 + ". True coefficients: " + ", ".join(f"{k} {v:.2f}" for k, v in truth["driver_beta"].items()) + ".")
    ax = kd.plot(method="shapley")
    rep.figure(ax.figure, "Shapley share of R2 per touchpoint")
    plt.close("all")
    rep.methods(kd, "key drivers")

    log("stream: EWMA chart and its alarm")
    rep.heading("The live stream and its alarm")
    baseline = min(181, truth["shift_day"])
    chart = metrics.control_chart(prog.stream, date="date", value="sat", metric="csat_top_box", chart="ewma",
                                  lam=0.1, arl0=370, baseline=baseline)
    dec = chart.decide()
    shift_date = truth["shift_date"]
    alarms = chart.alarms
    late = alarms[alarms >= shift_date]
    rep.text(str(dec))
    if (alarms < shift_date).any():
        m = truth["shift_day"] - baseline
        rep.text("Alarm days before the planted shift are a false alarm (a run of alarm days): with an in-control "
                 f"ARL of {chart.arl0:.0f} days, the chance of at least one in the {m} monitored days before the "
                 f"shift is about {1 - np.exp(-m / chart.arl0):.2f} (geometric run length).", css_class="note")
    rep.text(f"EWMA (lambda 0.1) of the daily top-box share, limits from the first {baseline} days: L = "
             f"{chart.L:.3f}, stated in-control ARL {chart.arl0:.1f} days, ARL at a 1-SE shift {chart.arl1:.2f} days.")
    delay = (late[0] - shift_date).days if len(late) else None
    rep.text(f"Planted shift: {truth['shift']:+.2f} in the top-box probability from {shift_date.date()}. "
             f"Alarm days before it: {int((alarms < shift_date).sum())}; from it: {len(late)}; "
             + (f"first alarm after the shift on {late[0].date()}, {delay} days after it." if len(late) else
                "the chart did not signal after the shift."))
    n_sim = 200 if bootstrap else 100
    sim = chart.simulate_arl(n_sim=n_sim, seed=seed)
    rep.text(f"Stated ARL checked by simulation ({n_sim} in-control streams from the metric's sampling "
             f"distribution): simulated ARL {sim['arl']:.1f} (SE {sim['se']:.1f}) against the stated "
             f"{sim['stated']:.1f} days.")
    ax = chart.plot()
    rep.figure(ax.figure, "EWMA chart of the daily CSAT top-box share; alarms marked")
    plt.close("all")
    rep.methods(chart, "control chart", provenance=chart.provenance.with_step("ARL simulation", seed=seed,
                                                                              n_sim=n_sim))

    log("seasonality (STL) and tracking line")
    rep.heading("Weekly season and tracking line")
    season = metrics.seasonality(prog.stream, date="date", value="sat", metric="csat_top_box", period=7)
    st = season.summary()
    weekly = st.groupby(st.index.dayofweek)["seasonal"].mean()
    weekly.index = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][:len(weekly)]
    rep.table(weekly.rename("seasonal effect").to_frame(),
              caption=f"Mean STL seasonal component per weekday (seasonal strength {season.strength:.3f}; "
                      f"true weekend uplift {truth['weekend']:+.2f})")
    rep.methods(season, "seasonality")
    line = metrics.tracking_line(prog.stream, date="date", value="sat", metric="csat_top_box", time_unit="W")
    lt = line.summary()
    lcols = [c for c in ["n", "est", "level", "lower", "upper"] if c in lt.columns]
    rep.table(lt[lcols].tail(6), caption="Tracking line (Bayesian local level, weekly): the last six weeks")
    ax = line.plot()
    rep.figure(ax.figure, "Weekly CSAT top-box share with the local-level tracking line and its 95% band")
    plt.close("all")
    rep.methods(line, "tracking line")

    log("Kano study")
    rep.heading("Kano study")
    study = drivers.kano(prog.kano, prog.kano_attributes, n_boot=max(bootstrap, 50) if bootstrap else 0, seed=seed)
    ks = study.summary()
    kcols = [c for c in ["category_name", "category", "strength", "better", "better_lower", "better_upper", "worse",
                         "worse_lower", "worse_upper", "p_category"] if c in ks.columns]
    ktab = ks[kcols].copy()
    ktab["true_category"] = [truth["kano_category"].get(str(a), "") for a in ktab.index]
    rep.table(ktab, caption="Kano categories, category strength and Better/Worse coefficients with 95% intervals, "
                            "beside the generator's majority category")
    ax = study.plot()
    rep.figure(ax.figure, "Better against Worse per feature")
    plt.close("all")
    rep.methods(study, "Kano")
    return rep.write(out_dir / "programme_study.html")
