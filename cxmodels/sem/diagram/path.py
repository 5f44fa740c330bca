"""Path diagrams of structural equation models, drawn from a lavaan-style parameter table.

:func:`path_diagram` reads the table returned by ``SEMResult.estimates()`` (columns
``lhs op rhs est se pvalue std_all``, lavaan's ``parameterEstimates`` layout) and draws
the conventional diagram (RAM / McArdle-McDonald notation): latent variables as
ellipses, observed variables as rectangles, single-headed arrows for loadings and
regressions, curved double-headed arrows for covariances.

Layout
------
* The structural variables (latent variables and observed variables of the ``~`` rows)
  are placed in columns, left to right, by the causal order of the regressions: a
  variable's column is the length of the longest directed path reaching it (layered
  drawing of a directed graph; Sugiyama, Tagawa & Toda, 1981), exogenous variables in
  the first column (an exogenous variable is moved next to its earliest outcome). Back
  edges of non-recursive models are ignored for the layering.
* Within the columns the variables are given vertical levels by a small exhaustive (or,
  for large models, coordinate-descent) search that avoids arrows running through other
  variables, edge crossings, and crossings of the indicator fans; chains such as the
  ACSI/ECSI models come out as a zig-zag so that every skip-path stays visible.
* Each latent variable's indicators sit in a row above or below the diagram, on the side
  where nothing else of its column is in the way, packed so that no two overlap and as
  close as possible under (over) their latent variable. Residual covariances between
  indicators on the same side are drawn as thin grey arcs outside the rows.
* Arrows that would still cross a variable are bent (``arc3`` connections); labels are
  placed along their arrow where they overlap nothing.

Labels show the standardized estimate (``std_all``, lavaan's ``std.all``) or the raw
estimate to two decimals with significance stars (``*`` p < .05, ``**`` p < .01,
``***`` p < .001); fixed parameters (``se`` missing or 0) get no stars. Free parameters
not significant at ``alpha`` are drawn dashed and grey.

References
----------
McArdle, J. J., & McDonald, R. P. (1984). Some algebraic properties of the reticular
action model for moment structures. *British Journal of Mathematical and Statistical
Psychology*, 37(2), 234-251.

Sugiyama, K., Tagawa, S., & Toda, M. (1981). Methods for visual understanding of
hierarchical system structures. *IEEE Transactions on Systems, Man, and Cybernetics*,
11(2), 109-125.

Epskamp, S. (2015). semPlot: unified visualizations of structural equation models.
*Structural Equation Modeling*, 22(3), 474-483 (the conventions followed here).

Rosseel, Y. (2012). lavaan: an R package for structural equation modeling. *Journal of
Statistical Software*, 48(2), 1-36 (the parameter table).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from ...errors import InputError

__all__ = ["path_diagram"]

_REACH = 0.5     # weight of a latent variable's distance from its indicator row
_IGNORED_OPS = (":=", "~1", "==", "<", ">", "|", "~*~")


# ============================================================================ input
def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _fmt(v: float) -> str:
    v = round(float(v), 2)
    return f"{0.0 if v == 0 else v:.2f}"


def _prepare(estimates, standardized: bool) -> pd.DataFrame:
    if not isinstance(estimates, pd.DataFrame):
        raise InputError(f"estimates must be a pandas DataFrame (a lavaan-style parameter table), "
                         f"got {type(estimates).__name__}")
    needed = ["lhs", "op", "rhs", "est"] + (["std_all"] if standardized else [])
    missing = [c for c in needed if c not in estimates.columns]
    if missing:
        hint = "; pass standardized=False to draw raw estimates" if missing == ["std_all"] else ""
        raise InputError(f"estimates lacks column(s) {missing}; it has {list(map(str, estimates.columns))}{hint}")
    t = estimates.copy()
    for col in ("group", "block"):
        if col in t.columns and t[col].nunique(dropna=True) > 1:
            first = t[col].dropna().unique()[0]  # the first group as fitted (labels need not sort)
            t = t[t[col].isna() | (t[col] == first)]
    for col in ("se", "pvalue", "std_all"):
        if col not in t.columns:
            t[col] = np.nan
    for col in ("est", "se", "pvalue", "std_all"):
        t[col] = pd.to_numeric(t[col], errors="coerce")
    t["lhs"] = t["lhs"].astype(str).str.strip()
    t["rhs"] = t["rhs"].astype(str).str.strip()
    t["op"] = t["op"].astype(str).str.strip()
    t = t[~t["op"].isin(_IGNORED_OPS)]
    t = t[t["op"].isin(("=~", "~", "~~"))]
    if not ((t["op"] == "=~").any() or (t["op"] == "~").any()):
        raise InputError("estimates has no '=~' (loading) or '~' (regression) rows to draw; "
                         "column 'op' holds " + str(sorted(estimates["op"].astype(str).unique())))
    return t.reset_index(drop=True)


@dataclass
class _Edge:
    kind: str           # "loading", "regression", "cov", "rescov"
    a: str              # tail (loading: latent; regression: predictor)
    b: str              # head
    text: str
    dashed: bool


@dataclass
class _Graph:
    latents: list = field(default_factory=list)
    items: dict = field(default_factory=dict)       # latent -> its indicators
    struct: list = field(default_factory=list)      # structural variables
    edges: list = field(default_factory=list)
    owner: dict = field(default_factory=dict)      # indicator -> the latent it is drawn with


def _label(row, standardized: bool, alpha: float):
    v = row.std_all if standardized and np.isfinite(row.std_all) else row.est
    free = np.isfinite(row.se) and row.se > 0
    text = "" if not np.isfinite(v) else _fmt(v) + (_stars(row.pvalue) if free else "")
    dashed = bool(free and np.isfinite(row.pvalue) and row.pvalue >= alpha)
    return text, dashed


def _graph(t: pd.DataFrame, standardized: bool, alpha: float) -> _Graph:
    g = _Graph()
    meas = t[t.op == "=~"]
    for lhs in meas.lhs:
        if lhs not in g.latents:
            g.latents.append(lhs)
    latent_set = set(g.latents)
    owner: dict[str, str] = {}
    for r in meas.itertuples():
        if r.rhs not in latent_set and r.rhs not in owner:
            owner[r.rhs] = r.lhs
            g.items.setdefault(r.lhs, []).append(r.rhs)
    struct = list(g.latents)
    for r in t[t.op == "~"].itertuples():
        for v in (r.rhs, r.lhs):
            if v not in owner and v not in struct:
                struct.append(v)
    g.struct = struct
    for r in t.itertuples():
        text, dashed = _label(r, standardized, alpha)
        if r.op == "=~":
            g.edges.append(_Edge("loading", r.lhs, r.rhs, text, dashed))
        elif r.op == "~":
            g.edges.append(_Edge("regression", r.rhs, r.lhs, text, dashed))
        elif r.op == "~~" and r.lhs != r.rhs:
            a_item, b_item = r.lhs in owner, r.rhs in owner
            known = lambda v: v in owner or v in struct  # noqa: E731
            if not (known(r.lhs) and known(r.rhs)):
                continue
            kind = "rescov" if (a_item and b_item) else "cov" if not (a_item or b_item) else "mixed"
            if kind != "mixed":
                g.edges.append(_Edge(kind, r.lhs, r.rhs, text, dashed))
    g.owner = owner
    return g


# ============================================================================ layering
def _columns(g: _Graph) -> tuple[dict, bool]:
    """Column of each structural variable (longest path); True when no arrows link them."""
    nodes = g.struct
    sset = set(nodes)
    succ = defaultdict(list)
    for e in g.edges:
        if e.kind in ("regression", "loading") and e.a in sset and e.b in sset and e.a != e.b:
            if e.b not in succ[e.a]:
                succ[e.a].append(e.b)
    if not any(succ.values()):
        return {v: i for i, v in enumerate(nodes)}, True
    state: dict = {}
    dag: list = []

    def visit(u):
        stack = [(u, iter(succ[u]))]
        state[u] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:          # back edge of a cycle: ignored for layering
                continue
            dag.append((node, nxt))
            if nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))

    for v in nodes:
        if v not in state:
            visit(v)
    preds = defaultdict(list)
    children = defaultdict(list)
    for u, v in dag:
        preds[v].append(u)
        children[u].append(v)
    layer: dict = {}
    indeg = {v: len(preds[v]) for v in nodes}
    queue = [v for v in nodes if indeg[v] == 0]
    while queue:
        u = queue.pop(0)
        layer[u] = max((layer[p] + 1 for p in preds[u]), default=0)
        for v in children[u]:
            indeg[v] -= 1
            if indeg[v] == 0:
                queue.append(v)
    for v in nodes:                       # sources sit next to their earliest outcome
        if not preds[v] and children[v]:
            layer[v] = max(0, min(layer[c] for c in children[v]) - 1)
    remap = {c: i for i, c in enumerate(sorted(set(layer.values())))}
    return {v: remap[layer[v]] for v in nodes}, False


def _levels(g: _Graph, col: dict, row_mode: bool):
    """Vertical slot of each structural variable and the side (+1 up, -1 down) of each
    latent's indicators, by minimizing a drawing cost over the slot assignments."""
    nodes = g.struct
    idx = {v: i for i, v in enumerate(nodes)}
    N = len(nodes)
    has_items = [v for v in nodes if g.items.get(v)]
    if row_mode:
        return {v: 0.0 for v in nodes}, {v: -1 for v in has_items}
    X = np.array([col[v] for v in nodes], dtype=float)
    sset = set(nodes)
    E = []
    for e in g.edges:
        if e.kind in ("regression", "loading") and e.a in sset and e.b in sset and e.a != e.b:
            i, j = idx[e.a], idx[e.b]
            if X[i] == X[j]:
                continue
            if X[i] > X[j]:
                i, j = j, i
            if (i, j) not in E:
                E.append((i, j))
    by_col = defaultdict(list)
    for v in nodes:
        by_col[col[v]].append(idx[v])
    K = max(len(m) for m in by_col.values())
    S = K + 2
    slots = [s - (S - 1) / 2 for s in range(S)]
    cols = sorted(by_col)
    options = [list(itertools.permutations(slots, len(by_col[c]))) for c in cols]
    n_items = np.array([len(g.items.get(v, [])) for v in nodes], dtype=float)
    lat = [idx[v] for v in has_items]
    pairs = set()
    for e in g.edges:
        if e.kind == "rescov":
            la, lb = g.owner[e.a], g.owner[e.b]
            if la != lb:
                pairs.add((idx[la], idx[lb]))

    COLLIDE = 12.0      # an arrow through a variable (bent away when drawn)

    def cost(Y):
        """Y: (C, N) slot values; returns (cost (C,), sides (C, len(lat)))."""
        C = Y.shape[0]
        total = np.zeros(C)
        for i, j in E:
            xi, xj = X[i], X[j]
            yi, yj = Y[:, i], Y[:, j]
            slope = (yj - yi) / (xj - xi)
            total += 1.0 * np.abs(yj - yi)
            for w in range(N):
                if w in (i, j) or not (xi < X[w] < xj):
                    continue
                yl = yi + slope * (X[w] - xi)
                total += COLLIDE * (np.abs(yl - Y[:, w]) < 0.3 + np.abs(slope) * 0.3)
        for (a, b), (c, d) in itertools.combinations(E, 2):
            if len({a, b, c, d}) < 4:
                continue
            x0, x1 = max(X[a], X[c]), min(X[b], X[d])
            if x1 <= x0:
                continue

            def at(p, q, x):
                return Y[:, p] + (Y[:, q] - Y[:, p]) * (x - X[p]) / (X[q] - X[p])
            d0 = at(a, b, x0) - at(c, d, x0)
            d1 = at(a, b, x1) - at(c, d, x1)
            total += 4.0 * (d0 * d1 < 0)
        sides = np.zeros((C, len(lat)))
        top_slot, bot_slot = Y.max(axis=1), Y.min(axis=1)
        for k, L in enumerate(lat):
            same = [w for w in by_col[X[L]] if w != L]
            blocked_up = np.zeros(C, bool)
            blocked_dn = np.zeros(C, bool)
            for w in same:
                blocked_up |= Y[:, w] > Y[:, L]
                blocked_dn |= Y[:, w] < Y[:, L]
            cross_up = np.zeros(C)
            cross_dn = np.zeros(C)
            for i, j in E:
                if L in (i, j) or not (X[i] < X[L] < X[j]):
                    continue
                yl = Y[:, i] + (Y[:, j] - Y[:, i]) * (X[L] - X[i]) / (X[j] - X[i])
                cross_up += yl > Y[:, L]
                cross_dn += yl < Y[:, L]
            reach = _REACH * n_items[L] ** 0.5      # a long fan crossing the band costs
            cu = (np.where(blocked_up, 1e3, 3.0 * cross_up) - 0.01 * (Y[:, L] > 0)
                  + reach * (top_slot - Y[:, L]))
            cd = (np.where(blocked_dn, 1e3, 3.0 * cross_dn) - 0.01 * (Y[:, L] < 0) - 0.001
                  + reach * (Y[:, L] - bot_slot))
            up = cu < cd
            sides[:, k] = np.where(up, 1.0, -1.0)
            total += np.minimum(np.minimum(cu, cd), 40.0)
        pos = {L: k for k, L in enumerate(lat)}
        for a, b in pairs:
            total += 6.0 * (sides[:, pos[a]] != sides[:, pos[b]])
        if lat:
            total += 0.15 * np.abs((sides * n_items[lat]).sum(axis=1))
        srt = np.sort(Y, axis=1)
        total += 0.5 * (1 + (np.diff(srt, axis=1) > 0).sum(axis=1))
        total += 0.05 * np.abs(Y).sum(axis=1)
        return total, sides

    def assemble(choice):
        Y = np.zeros(N)
        for c, opt in zip(cols, choice):
            for node, s in zip(by_col[c], opt):
                Y[node] = s
        return Y

    n_conf = math.prod(len(o) for o in options)
    if n_conf <= 60000:
        choices = list(itertools.product(*options))
        Ys = np.array([assemble(ch) for ch in choices])
        costs, sides = cost(Ys)
        best = int(np.argmin(costs))
        Y, side = Ys[best], sides[best]
    else:                                  # coordinate descent from the centred layout
        choice = [min(o, key=lambda s: sum(abs(v) for v in s)) for o in options]
        Y = assemble(choice)
        current = cost(Y[None, :])[0][0]
        for _ in range(6):
            improved = False
            for k, c in enumerate(cols):
                trial = []
                for opt in options[k]:
                    ch = list(choice)
                    ch[k] = opt
                    trial.append(assemble(ch))
                costs, _ = cost(np.array(trial))
                b = int(np.argmin(costs))
                if costs[b] < current - 1e-9:
                    current, choice[k], improved = costs[b], options[k][b], True
            if not improved:
                break
        Y = assemble(choice)
        side = cost(Y[None, :])[1][0]
    return ({v: float(Y[idx[v]]) for v in nodes},
            {nodes[L]: int(side[k]) for k, L in enumerate(lat)})


# ============================================================================ geometry
@lru_cache(maxsize=4096)
def _tw(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in points at font size ``size``."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath
    if not text:
        return 0.0
    prop = FontProperties(weight="bold" if bold else "normal")
    return float(TextPath((0, 0), text, size=size, prop=prop).get_extents().width) + 0.15 * size


@dataclass
class _Box:
    x: float
    y: float
    w: float
    h: float
    shape: str          # "ellipse" | "rect"

    def inside(self, pts: np.ndarray, margin: float = 0.0) -> np.ndarray:
        dx = (pts[:, 0] - self.x) / (self.w / 2 + margin)
        dy = (pts[:, 1] - self.y) / (self.h / 2 + margin)
        if self.shape == "ellipse":
            return dx * dx + dy * dy <= 1.0
        return (np.abs(dx) <= 1.0) & (np.abs(dy) <= 1.0)

    def rect(self, margin=0.0):
        return (self.x - self.w / 2 - margin, self.y - self.h / 2 - margin,
                self.x + self.w / 2 + margin, self.y + self.h / 2 + margin)


def _bezier(p1, p2, rad: float, n: int) -> np.ndarray:
    (x1, y1), (x2, y2) = p1, p2
    cx, cy = (x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1)
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 2 * np.array([x1, y1]) + 2 * (1 - t) * t * np.array([cx, cy]) + t ** 2 * np.array([x2, y2])


def _visible(pts: np.ndarray, a: _Box | None, b: _Box | None) -> np.ndarray:
    keep = np.ones(len(pts), bool)
    if a is not None:
        keep &= ~a.inside(pts, 1.0)
    if b is not None:
        keep &= ~b.inside(pts, 1.0)
    idx = np.flatnonzero(keep)
    if len(idx) < 2:
        return pts[[len(pts) // 2 - 1, len(pts) // 2]]
    return pts[idx[0]: idx[-1] + 1]


def _segments_cross(P: np.ndarray, Q: np.ndarray) -> int:
    """Number of proper intersections between polylines P and Q."""
    if len(P) < 2 or len(Q) < 2:
        return 0
    a, b = P[:-1][:, None, :], P[1:][:, None, :]
    c, d = Q[:-1][None, :, :], Q[1:][None, :, :]

    def orient(p, q, r):
        return (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1]) - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0])
    o1, o2 = orient(a, b, c), orient(a, b, d)
    o3, o4 = orient(c, d, a), orient(c, d, b)
    hit = (o1 * o2 < 0) & (o3 * o4 < 0)
    return int(hit.sum())


def _overlap(r1, r2) -> float:
    w = min(r1[2], r2[2]) - max(r1[0], r2[0])
    h = min(r1[3], r2[3]) - max(r1[1], r2[1])
    return w * h if w > 0 and h > 0 else 0.0


def _pack(groups, lo: float, hi: float, gap: float):
    """Place groups (desired centre, width) in [lo, hi] without overlap, as close as
    possible to their desired centres (least squares, by merging clusters)."""
    order = sorted(range(len(groups)), key=lambda k: groups[k][0])
    clusters: list[dict] = []
    for k in order:
        centre, width = groups[k]
        cl = {"members": [k], "offsets": [0.0], "width": width}
        clusters.append(cl)
        while True:
            cur = clusters[-1]
            desired = [groups[m][0] - groups[m][1] / 2 - off for m, off in zip(cur["members"], cur["offsets"])]
            cur["left"] = min(max(float(np.mean(desired)), lo), max(lo, hi - cur["width"]))
            if len(clusters) < 2:
                break
            prev = clusters[-2]
            if prev["left"] + prev["width"] + gap <= cur["left"] + 1e-9:
                break
            shift = prev["width"] + gap
            prev["members"] += cur["members"]
            prev["offsets"] += [o + shift for o in cur["offsets"]]
            prev["width"] += gap + cur["width"]
            clusters.pop()
    lefts = [0.0] * len(groups)
    for cl in clusters:
        for m, off in zip(cl["members"], cl["offsets"]):
            lefts[m] = cl["left"] + off
    right = max((lefts[k] + groups[k][1] for k in range(len(groups))), default=lo)
    return lefts, right <= hi + 1e-6 and min(lefts, default=lo) >= lo - 1e-6


class _Layout:
    """Geometry in points (the axes' data coordinates are its size in points)."""

    def __init__(self, g, col, lev, side, W, H, f, caption):
        self.ok = True
        self.f = f
        fl = f - 0.5
        self.fl = fl
        ncol = max(col.values()) + 1
        levels = sorted(set(lev.values()))
        nl = len(levels)
        node_size = {}
        for v in g.struct:
            if v in g.latents:
                node_size[v] = (max(_tw(v, f + 0.5, True) * 1.22 + 1.1 * f, 3.6 * f), 2.5 * f, "ellipse")
            else:
                node_size[v] = (max(_tw(v, f + 0.5, True) + 1.4 * f, 3.0 * f), 2.1 * f, "rect")
        node_h = max(s[1] for s in node_size.values())
        item_h = 1.9 * f
        load_lbl = defaultdict(float)
        for e in g.edges:
            if e.kind == "loading":
                load_lbl[e.b] = max(load_lbl[e.b], _tw(e.text, fl) + 0.5 * f)
        top = [v for v in g.struct if side.get(v) == 1]
        bot = [v for v in g.struct if side.get(v) == -1]
        has_cov = any(e.kind == "cov" for e in g.edges)
        margin = 0.6 * f
        caption_h = 1.8 * f if caption else 0.0
        load_zone = 7.0 * f

        # horizontal: columns, then the indicator rows
        col_w = (W - 2 * margin) / ncol
        if col_w < max(s[0] for s in node_size.values()) + 2.0 * f:
            self.ok = False
        xs = {v: margin + (col[v] + 0.5) * col_w for v in g.struct}
        self.items = {}
        for rowside, owners in ((1, top), (-1, bot)):
            owners = sorted(owners, key=lambda v: (xs[v], -lev[v] * rowside))
            groups, widths = [], []
            for L in owners:
                ws = [max(_tw(i, f) + 1.0 * f, 0.95 * load_lbl[i]) + 0.7 * f for i in g.items[L]]
                widths.append(ws)
                groups.append((xs[L], sum(ws)))
            lefts, fits = _pack(groups, margin, W - margin, 0.9 * f)
            self.ok &= fits
            for L, left, ws in zip(owners, lefts, widths):
                x = left
                for i, w in zip(g.items[L], ws):
                    self.items[i] = (x + w / 2, rowside, max(_tw(i, f) + 1.0 * f, 2.6 * f))
                    x += w

        # residual covariances in a row: nested arcs on tracks (interval-graph colouring)
        self.track = {}
        depth = {1: 0, -1: 0}
        arcs = []
        for e in g.edges:
            if e.kind == "rescov" and e.a in self.items and e.b in self.items:
                (xa, sa, _), (xb, sb, _) = self.items[e.a], self.items[e.b]
                if sa == sb:
                    arcs.append((abs(xb - xa), min(xa, xb), max(xa, xb), sa, id(e)))
        done = []
        for span, lo, hi, sd, key in sorted(arcs):
            tr = 1 + max((t for (l2, h2, s2, t) in done if s2 == sd and l2 < hi - 1e-6 and h2 > lo + 1e-6),
                         default=0)
            done.append((lo, hi, sd, tr))
            self.track[key] = tr
            depth[sd] = max(depth[sd], tr)
        self.track_h = 1.15 * fl
        arc_space = {sd: (0.9 * f + self.track_h * depth[sd] + 0.6 * fl) if depth[sd] else 0.0 for sd in (1, -1)}

        # vertical
        y_top_row = H - margin - arc_space[1] - item_h / 2
        y_bot_row = caption_h + margin + arc_space[-1] + item_h / 2
        band_top = (y_top_row - item_h / 2 - load_zone - node_h / 2 if top
                    else H - margin - node_h / 2 - (3.0 * f if has_cov else 0.0))
        band_bot = (y_bot_row + item_h / 2 + load_zone + node_h / 2 if bot
                    else caption_h + margin + node_h / 2 + (3.0 * f if has_cov else 0.0))
        if nl == 1:
            ys = {levels[0]: (band_top + band_bot) / 2}
            if band_top < band_bot - 1e-6:
                self.ok = False
        else:
            step = (band_top - band_bot) / (nl - 1)
            if step < 2.2 * node_h:
                self.ok = False
            ys = {lv: band_bot + k * step for k, lv in enumerate(levels)}
        self.nodes = {v: _Box(xs[v], ys[lev[v]], *node_size[v]) for v in g.struct}
        for i, (x, rowside, w) in self.items.items():
            self.nodes[i] = _Box(x, y_top_row if rowside == 1 else y_bot_row, w, item_h, "rect")
        self.item_side = {i: s for i, (_, s, _) in self.items.items()}
        self.margin = margin


def _fit_layout(g, col, lev, side, W, H, caption):
    f = 9.0
    while True:
        lay = _Layout(g, col, lev, side, W, H, f, caption)
        if lay.ok or f <= 5.0:
            return lay
        f = max(5.0, f * 0.92)


# ============================================================================ drawing
def path_diagram(estimates: pd.DataFrame, *, standardized: bool = True, ax=None, alpha: float = 0.05,
                 title=None):
    """Draw the path diagram of a fitted SEM from its lavaan-style parameter table.

    Parameters
    ----------
    estimates : pandas.DataFrame
        Parameter table with columns ``lhs``, ``op``, ``rhs``, ``est`` and, ideally,
        ``se``, ``pvalue`` and ``std_all`` (as returned by ``SEMResult.estimates()``).
        Rows with ``op`` ``"=~"`` (loading, latent ``lhs`` -> indicator ``rhs``), ``"~"``
        (regression of ``lhs`` on ``rhs``) and ``"~~"`` between two different variables
        are drawn; variances, intercepts (``"~1"``) and defined parameters (``":="``) are
        not. With a ``group`` column holding several groups, the first group is drawn
        (filter the table to draw another). The frame is not modified.
    standardized : bool, default True
        Label arrows with ``std_all`` (the completely standardized solution) rather than
        ``est``. Rows whose ``std_all`` is missing show ``est``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure sized to the model. The diagram is laid
        out for the axes' size at call time (its data coordinates are points).
    alpha : float, default 0.05
        Free parameters with ``pvalue >= alpha`` are drawn dashed and grey.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; its texts include one label per drawn arrow (estimate to two decimals
        followed by ``*``/``**``/``***`` for p < .05/.01/.001, none for fixed parameters).

    Raises
    ------
    cxmodels.errors.InputError
        If ``estimates`` is not a DataFrame, lacks ``lhs``/``op``/``rhs``/``est`` (or
        ``std_all`` when ``standardized``), has no ``=~`` or ``~`` rows, or ``alpha`` is
        not in (0, 1).

    Notes
    -----
    Layered ("Sugiyama") layout, left to right in the causal order of the regressions;
    see the module docstring for the details and references (McArdle & McDonald 1984;
    Sugiyama et al. 1981; Epskamp 2015).

    Examples
    --------
    >>> ax = path_diagram(result.estimates())          # doctest: +SKIP
    >>> ax.figure.savefig("model.png", dpi=200)         # doctest: +SKIP
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not (0 < float(alpha) < 1):
        raise InputError(f"alpha must be a significance level in (0, 1), got {alpha!r}")
    if ax is not None and not hasattr(ax, "add_patch"):
        raise InputError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    table = _prepare(estimates, bool(standardized))
    g = _graph(table, bool(standardized), float(alpha))
    col, row_mode = _columns(g)
    lev, side = _levels(g, col, row_mode)
    any_dashed = any(e.dashed for e in g.edges if e.kind in ("loading", "regression", "cov"))
    caption = (("Standardized estimates (std.all)" if standardized else "Unstandardized estimates")
               + ";  * p<.05   ** p<.01   *** p<.001"
               + (f";  dashed: p \u2265 {float(alpha):g}" if any_dashed else ""))

    from matplotlib.patches import Ellipse, FancyArrowPatch, Rectangle

    if ax is None:
        from ... import plotting

        ncol = max(col.values()) + 1
        n_top = sum(len(g.items.get(v, [])) for v in g.struct if side.get(v) == 1)
        n_bot = sum(len(g.items.get(v, [])) for v in g.struct if side.get(v) == -1)
        width = min(18.0, max(7.0, 1.6 * ncol + 1.0, 0.62 * max(n_top, n_bot) + 0.8))
        nl = len(set(lev.values()))
        height = min(11.0, 1.0 + 1.2 * nl + 1.3 * ((n_top > 0) + (n_bot > 0)) + (0.35 if title else 0))
        fig, ax = plotting.figure(1, 1, figsize=(width, height))
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.93 if title is not None else 0.99)
    fig = ax.figure
    pos = ax.get_position()
    fw, fh = fig.get_size_inches()
    W, H = pos.width * fw * 72.0, pos.height * fh * 72.0

    lay = _fit_layout(g, col, lev, side, W, H, caption)
    f, fl = lay.f, lay.fl
    nodes = lay.nodes
    ax.set_xlim(0, W)
    ax.set_ylim(0, H)
    ax.set_aspect("auto")
    ax.axis("off")

    patches = {}
    for v, b in nodes.items():
        is_item = v in lay.items
        if b.shape == "ellipse":
            p = Ellipse((b.x, b.y), b.w, b.h, facecolor="#eef3fa", edgecolor="#1f3b5c", lw=1.3, zorder=3)
        else:
            p = Rectangle((b.x - b.w / 2, b.y - b.h / 2), b.w, b.h, lw=0.9 if is_item else 1.2,
                          facecolor="#f7f7f7" if is_item else "#eef3fa",
                          edgecolor="#444444" if is_item else "#1f3b5c", zorder=3)
        ax.add_patch(p)
        patches[v] = p
        ax.text(b.x, b.y, v, ha="center", va="center", zorder=4,
                fontsize=f if is_item else f + 0.5, fontweight="normal" if is_item else "bold",
                color="#222222" if is_item else "#10263d")

    obstacles = [b.rect(1.5) for b in nodes.values()]
    curves: list[tuple[np.ndarray, tuple]] = []       # (polyline, endpoints) for crossing tests
    to_label: list[tuple[_Edge, np.ndarray, float, float]] = []

    def style(e):
        if e.dashed:
            return dict(color="0.55", linestyle=(0, (4, 2.5)))
        return dict(color="#1f1f1f" if e.kind != "loading" else "#333333", linestyle="solid")

    def head(pt, size):
        obstacles.append((pt[0] - size, pt[1] - size, pt[0] + size, pt[1] + size))

    def draw_arrow(e, rad, A, B, arrowstyle, lw, ms):
        st = style(e)
        arr = FancyArrowPatch((A.x, A.y), (B.x, B.y), arrowstyle=arrowstyle, mutation_scale=ms,
                              connectionstyle=f"arc3,rad={rad}", patchA=patches[e.a], patchB=patches[e.b],
                              shrinkA=0.5, shrinkB=1.0, lw=lw, color=st["color"], linestyle=st["linestyle"],
                              zorder=2)
        ax.add_patch(arr)

    # loadings: straight arrows from latent to indicator
    for e in g.edges:
        if e.kind != "loading" or e.a not in nodes or e.b not in nodes:
            continue
        A, B = nodes[e.a], nodes[e.b]
        if e.b in lay.items and g.owner.get(e.b) == e.a:
            pts = _visible(_bezier((A.x, A.y), (B.x, B.y), 0.0, 60), A, B)
            draw_arrow(e, 0.0, A, B, "-|>", 0.9, 8)
            curves.append((pts, (e.a, e.b)))
            head(pts[-1], 0.45 * f)
            to_label.append((e, pts, 0.55, 0.35))
    # structural arrows, routed around the variables
    struct_edges = [e for e in g.edges if e.kind == "regression" and e.a in nodes and e.b in nodes]
    struct_edges += [e for e in g.edges if e.kind == "loading" and g.owner.get(e.b) != e.a
                     and e.a in nodes and e.b in nodes]          # second-order and cross loadings
    pairs = {(e.a, e.b) for e in struct_edges}
    struct_edges.sort(key=lambda e: math.dist((nodes[e.a].x, nodes[e.a].y), (nodes[e.b].x, nodes[e.b].y)))
    cov_edges = [e for e in g.edges if e.kind == "cov" and e.a in nodes and e.b in nodes]

    def route(e, rads, penalty_rad):
        A, B = nodes[e.a], nodes[e.b]
        best = None
        for rad in rads:
            pts = _bezier((A.x, A.y), (B.x, B.y), rad, 80)
            vis = _visible(pts, A, B)
            c = penalty_rad * abs(rad)
            for v, box in nodes.items():
                if v in (e.a, e.b):
                    continue
                if box.inside(vis, 2.5).any():
                    c += 1000.0
            coarse = vis[:: max(1, len(vis) // 24)]
            for poly, ends in curves:
                if set(ends) & {e.a, e.b}:
                    continue
                c += 6.0 * _segments_cross(coarse, poly[:: max(1, len(poly) // 24)])
            if not (0 <= vis[:, 0].min() and vis[:, 0].max() <= W and 0 <= vis[:, 1].min() and vis[:, 1].max() <= H):
                c += 500.0
            if best is None or c < best[0] - 1e-9:
                best = (c, rad, vis)
        return best[1], best[2]

    for e in struct_edges:
        # reciprocal paths bend to opposite sides (same rad, opposite direction)
        rads = ([0.2, 0.3, 0.45] if (e.b, e.a) in pairs
                else [0.0, 0.12, -0.12, 0.22, -0.22, 0.32, -0.32, 0.45, -0.45])
        rad, vis = route(e, rads, 12.0)
        draw_arrow(e, rad, nodes[e.a], nodes[e.b], "-|>", 1.3, 11)
        curves.append((vis, (e.a, e.b)))
        head(vis[-1], 0.55 * f)
        to_label.append((e, vis, 0.5, 0.5))
    for e in cov_edges:
        rad, vis = route(e, [0.35, -0.35, 0.5, -0.5, 0.25, -0.25, 0.7, -0.7], 4.0)
        draw_arrow(e, rad, nodes[e.a], nodes[e.b], "<|-|>", 1.0, 9)
        curves.append((vis, (e.a, e.b)))
        head(vis[0], 0.5 * f)
        head(vis[-1], 0.5 * f)
        to_label.append((e, vis, 0.5, 0.5))

    # residual covariances between indicators in the same row: thin arcs outside the row
    small = []
    rescov = [e for e in g.edges if e.kind == "rescov" and e.a in lay.items and e.b in lay.items
              and lay.item_side[e.a] == lay.item_side[e.b]]     # opposite rows would cross the diagram
    ends = defaultdict(list)                 # spread the arcs ending on one indicator over its edge
    for e in rescov:
        for me, other in ((e.a, e.b), (e.b, e.a)):
            ends[me].append((np.sign(nodes[other].x - nodes[me].x), lay.track[id(e)], id(e)))
    offset = {}
    for me, lst in ends.items():
        for sgn in (-1, 1):
            mine = sorted(t for t in lst if t[0] == sgn)
            for j, (_, _, key) in enumerate(mine):
                offset[(me, key)] = sgn * min(0.4, 0.1 + 0.12 * j) * nodes[me].w
    for e in rescov:
        s = lay.item_side[e.a]
        na, nb = (e.a, e.b) if nodes[e.a].x <= nodes[e.b].x else (e.b, e.a)
        A, B = nodes[na], nodes[nb]
        ya = A.y + s * A.h / 2
        xa, xb = A.x + offset[(na, id(e))], B.x + offset[(nb, id(e))]
        dx = xb - xa
        height = 0.5 * f + lay.track_h * lay.track[id(e)]
        rad = -s * 2.0 * height / dx if dx > 0 else 0.3
        st = style(e)
        arr = FancyArrowPatch((xa, ya), (xb, ya), arrowstyle="<|-|>", mutation_scale=5,
                              connectionstyle=f"arc3,rad={rad}", shrinkA=0.5, shrinkB=0.5, lw=0.6,
                              color="0.5" if not e.dashed else "0.65", linestyle=st["linestyle"], zorder=1.5)
        ax.add_patch(arr)
        pts = _bezier((xa, ya), (xb, ya), rad, 60)
        curves.append((pts, (e.a, e.b)))
        small.append((e, pts, 0.5, 0.2))

    # labels, placed where they overlap nothing
    placed: list[tuple] = []
    dense = [(np.vstack([np.linspace(p[k], p[k + 1], 6) for k in range(len(p) - 1)]) if len(p) > 1 else p, ends)
             for p, ends in curves]

    def put(e, pts, pref, spread, size, color):
        if not e.text:
            return
        w = _tw(e.text, size) + 0.35 * size
        h = 1.3 * size
        n = len(pts)
        cands = sorted(set(np.clip(np.round(np.linspace(pref - spread, pref + spread, 15), 3), 0.05, 0.95)),
                       key=lambda s: abs(s - pref))
        best = None
        for s in cands:
            cx, cy = pts[min(n - 1, int(round(s * (n - 1))))]
            r = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            c = 40.0 * abs(s - pref)
            c += 50.0 * sum(_overlap(r, o) for o in obstacles)
            c += 50.0 * sum(_overlap(r, o) for o in placed)
            if r[0] < 0 or r[2] > W or r[1] < 0 or r[3] > H:
                c += 1e4
            for poly, ends in dense:
                if ends == (e.a, e.b) or ends == (e.b, e.a):
                    continue
                inside = ((poly[:, 0] > r[0] - 3) & (poly[:, 0] < r[2] + 3)
                          & (poly[:, 1] > r[1] - 3) & (poly[:, 1] < r[3] + 3))
                if inside.any():
                    c += 15.0
            if best is None or c < best[0]:
                best = (c, cx, cy, r)
        _, cx, cy, r = best
        placed.append(r)
        ax.text(cx, cy, e.text, ha="center", va="center", fontsize=size, color=color, zorder=5,
                bbox=dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none", alpha=0.92))

    order = ([t for t in to_label if t[0].kind == "regression"] + [t for t in to_label if t[0].kind == "cov"]
             + [t for t in to_label if t[0].kind == "loading"])
    for e, pts, pref, spread in order:
        put(e, pts, pref, spread, fl if e.kind == "loading" else f, "0.45" if e.dashed else "#111111")
    for e, pts, pref, spread in small:
        put(e, pts, pref, spread, max(5.0, f - 2.0), "0.35")

    ax.text(lay.margin, 0.35 * f, caption, ha="left", va="bottom", fontsize=max(5.5, f - 1.5), color="0.35")
    if title is not None:
        ax.set_title(str(title))
    return ax
