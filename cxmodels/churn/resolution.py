r"""Time to resolution of complaints as a survival outcome, with service-level compliance.

A complaint still open when the data were extracted is censored, not "never resolved" and not
"resolved at extraction": the share resolved within a service-level target :math:`h` is
:math:`1 - \hat S(h)`, :math:`\hat S` the Kaplan-Meier curve of time to resolution (Kaplan &
Meier 1958), and its interval is the curve's (log-transformed Greenwood, as R's ``survfit``)
turned over.  Counting only closed complaints would overstate compliance (the slow ones are the
ones still open).  :func:`service_level` reports the share within each target, overall or by
group (channel, team), against a compliance goal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import plotting
from .._results import Decision, Result
from .._validation import check_level
from ..errors import InputError
from ..provenance import make_provenance
from . import _rscript as R
from .references import GREENWOOD, KAPLAN_MEIER, THERNEAU_SURVIVAL

__all__ = ["service_level", "ServiceLevelResult"]


class ServiceLevelResult(Result):
    """Share of complaints resolved within each target time, with intervals.

    ``summary()``: group, target, resolved (share), ci_lower, ci_upper, open_at_target
    (complaints still open and observed at the target), meets_goal; ``params``: the shares
    indexed ``within_<target>`` (``<group>:within_<target>`` by group); ``decide()`` whether the
    service level is met.
    """

    _references = (KAPLAN_MEIER, GREENWOOD, THERNEAU_SURVIVAL)

    def __init__(self, table, km, *, duration, event, group, targets, goal, level, nobs, n_open, provenance):
        self._table, self._km = table, km
        self.duration, self.event, self.group, self.targets, self.goal = duration, event, group, targets, goal
        self.level, self.nobs, self.n_open = level, nobs, n_open
        self._provenance = provenance
        self._warnings = []

    @property
    def params(self) -> pd.Series:
        t = self._table
        names = [f"within_{h:g}" if self.group is None else f"{g}:within_{h:g}"
                 for g, h in zip(t["group"], t["target"])]
        return pd.Series(t["resolved"].to_numpy(), index=names, name="resolved")

    def decide(self) -> Decision:
        """``meets`` when the lower interval bound of every group at the first target reaches
        the goal, ``misses`` when an upper bound is below it, else ``inconclusive``."""
        if self.goal is None:
            raise InputError("decide() needs the compliance goal: pass goal= (e.g. 0.8) to service_level()")
        t = self._table[self._table["target"] == self.targets[0]]
        if (t["ci_lower"] >= self.goal).all():
            return Decision("meets", None, f"at least {self.goal:.0%} of complaints are resolved within "
                            f"{self.targets[0]:g} in every group (lower {self.level:.0%} bound "
                            f"{t['ci_lower'].min():.1%})",
                            {"goal": self.goal, "lowest_lower": float(t["ci_lower"].min())})
        if (t["ci_upper"] < self.goal).any():
            worst = t.loc[t["ci_upper"].idxmin()]
            return Decision("misses", str(worst["group"]), f"group {worst['group']} resolves {worst['resolved']:.1%} "
                            f"within {self.targets[0]:g} (upper bound {worst['ci_upper']:.1%} < goal {self.goal:.0%})",
                            {"goal": self.goal, "upper": float(worst["ci_upper"])})
        return Decision("inconclusive", None, f"the intervals of the share resolved within {self.targets[0]:g} "
                        f"include the goal {self.goal:.0%}", {"goal": self.goal})

    def plot(self, ax=None):
        """Share resolved over time (1 - Kaplan-Meier) with the targets marked; returns the Axes."""
        ax = plotting.axes(ax)
        tab = self._km.summary()
        for j, (g, c) in enumerate(tab.groupby("group", sort=False)):
            ax.step(np.concatenate([[0], c["time"]]), np.concatenate([[0], 1 - c["survival"]]), where="post",
                    color=plotting.color(j), label=str(g))
        for h in self.targets:
            ax.axvline(h, color="grey", ls=":", lw=1)
        if self.goal is not None:
            ax.axhline(self.goal, color="grey", ls="--", lw=1)
        ax.set_xlabel(f"time to resolution ({self.duration})")
        ax.set_ylabel("share of complaints resolved")
        ax.set_ylim(0, 1)
        ax.legend()
        return ax

    def to_r(self, data_path: str = "data.csv") -> str:
        """A runnable R script that computes the same service levels with ``survival::survfit``
        (1 - the Kaplan-Meier curve at each target, ``extend = TRUE``; log-transformed Greenwood
        intervals, R's default) on the CSV at ``data_path``; terms as ``params``."""
        t = self._table
        exp = pd.DataFrame({"term": list(self.params.index), "est": t["resolved"].to_numpy(),
                            "ci_lower": t["ci_lower"].to_numpy(), "ci_upper": t["ci_upper"].to_numpy()})
        rhs = R.q(self.group) if self.group else "1"
        targets = "c(" + ", ".join(f"{h:g}" for h in self.targets) + ")"
        fmt = 'sub("\\\\.?0+$", "", formatC(s$time, format = "f", digits = 10))'
        lines = [R.header("churn.service_level", data_path, exp, self._provenance),
                 f"fit <- survfit({R.surv(self.duration, self.event)} ~ {rhs}, data = d, conf.int = {float(self.level)!r}, "
                 'conf.type = "log")',
                 f"s <- summary(fit, times = {targets}, extend = TRUE)",
                 "print(s)",
                 f"h <- {fmt}",
                 ('term <- paste0(sub("^[^=]*=", "", as.character(s$strata)), ":within_", h)' if self.group
                  else 'term <- paste0("within_", h)'),
                 R.footer("data.frame(term = term, est = 1 - s$surv, ci_lower = 1 - s$upper, ci_upper = 1 - s$lower)")]
        return "\n".join(lines)

    def methods_text(self) -> str:
        by = f" by {self.group}" if self.group else ""
        return (f"Time to resolution of {self.nobs} complaints ({self.n_open} still open at extraction, treated as "
                f"censored) was analysed with the Kaplan-Meier estimator ({KAPLAN_MEIER.cite}){by}; the share resolved "
                f"within each service-level target ({', '.join(f'{h:g}' for h in self.targets)}) is one minus the "
                f"curve, with {self.level:.0%} log-transformed Greenwood intervals ({GREENWOOD.cite}), as R's "
                f"survfit ({THERNEAU_SURVIVAL.cite}).")


def service_level(data: pd.DataFrame, duration: str, event: str, targets, *, group: str | None = None,
                  goal: float | None = None, level: float = 0.95) -> ServiceLevelResult:
    """Share of complaints resolved within each target time (Kaplan-Meier, open ones censored).

    Parameters
    ----------
    data : DataFrame
        One row per complaint; not modified.
    duration : str
        Time from opening to resolution (or to extraction for open complaints), > 0.
    event : str
        1 resolved, 0 still open.
    targets : sequence of float
        Service-level targets (e.g. ``[2, 4, 24]`` hours).  A target beyond the longest
        follow-up of a group is refused.
    group : str, optional
        One row of shares per level (channel, team).
    goal : float, optional
        Compliance goal (share within the first target) for ``decide()``.
    level : float
        Interval level.
    """
    from .kaplan_meier import kaplan_meier

    level = check_level(level)
    try:
        h = np.atleast_1d(np.asarray(targets, dtype=float))
    except (TypeError, ValueError):
        raise InputError(f"targets must be numbers, got {targets!r}") from None
    if h.size == 0 or not np.all(np.isfinite(h)) or np.any(h <= 0):
        raise InputError(f"targets must be finite times > 0, got {targets!r}")
    if goal is not None and (isinstance(goal, bool) or not isinstance(goal, (int, float)) or not 0 < goal < 1):
        raise InputError(f"goal must be a share strictly between 0 and 1, got {goal!r}")
    km = kaplan_meier(data, duration, event, group, level=level)
    at = km.survival_at(h)
    if at["survival"].isna().any():
        bad = at[at["survival"].isna()]
        raise InputError(f"target(s) {sorted(set(bad['time']))} are beyond the follow-up of group(s) "
                         f"{sorted(set(map(str, bad['group'])))}; no complaint was observed that long")
    table = pd.DataFrame({"group": at["group"], "target": at["time"], "resolved": 1 - at["survival"],
                          "ci_lower": 1 - at["ci_upper"], "ci_upper": 1 - at["ci_lower"],
                          "open_at_target": at["n_risk"]})
    if goal is not None:
        table["meets_goal"] = np.where(table["ci_lower"] >= goal, "yes", np.where(table["ci_upper"] < goal, "no",
                                                                                 "inconclusive"))
    n_open = int((data[event] == 0).sum())
    prov = make_provenance("churn.service_level", data[[duration, event] + ([group] if group else [])],
                           {"duration": duration, "event": event, "targets": h.tolist(), "group": group, "goal": goal,
                            "level": level})
    return ServiceLevelResult(table.reset_index(drop=True), km, duration=duration, event=event, group=group,
                              targets=h.tolist(), goal=goal, level=level, nobs=len(data), n_open=n_open,
                              provenance=prov)
