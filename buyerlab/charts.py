"""Plotly figures for the analysis tables: one function per chart, each returns a go.Figure.

Colours are consistent across charts: one colour per code family (``FAMILY_COLORS``) and one
per outcome (``OUTCOME_COLORS``). Every hover shows counts next to shares, and every mark
can be traced back to quotes with ``buyerlab.analysis.evidence.quotes``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from buyerlab.analysis.stats import SMALL_GROUP
from buyerlab.errors import StudyError

# Okabe-Ito palette: distinguishable for the common forms of colour blindness.
FAMILY_COLORS = {
    "trigger": "#E69F00",
    "stakeholder": "#56B4E9",
    "motive": "#009E73",
    "barrier": "#D55E00",
    "alternative": "#CC79A7",
    "stage": "#0072B2",
}
OUTCOME_COLORS = {"won": "#1B7F3B", "lost": "#B2182B", "no_decision": "#8C8C8C"}
NEUTRAL = "#BBBBBB"
OUTCOME_ORDER = ["won", "lost", "no_decision"]
BUYING_ROLES = ["initiator", "user", "influencer", "decider", "approver", "buyer", "gatekeeper",
                "unspecified"]
STAGE_ORDER = [
    "problem_identification", "solution_exploration", "requirements_building",
    "supplier_selection", "validation", "consensus_creation", "purchase", "onboarding",
]
SIG_MARK = " *"


def label(code: str, labels: Mapping[str, str] | None = None) -> str:
    """A readable label for a code id: ``labels[code]`` if given, else 'cost_roi' -> 'Cost roi'."""
    if labels and code in labels:
        return labels[code]
    return str(code).replace("_", " ").capitalize()


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _select_group(frame: pd.DataFrame, group: str | None, what: str) -> pd.DataFrame:
    if group is None or "group" not in frame.columns:
        return frame
    out = frame[frame["group"] == group]
    if out.empty:
        known = sorted(frame["group"].astype(str).unique())
        raise StudyError(f"{what}: no group {group!r}; groups: {known}")
    return out


def _stage_rank(stages, order=None) -> dict[str, int]:
    base = list(order or STAGE_ORDER)
    extra = [s for s in dict.fromkeys(stages) if s not in base]
    return {s: i for i, s in enumerate(base + extra)}


def _outcome_label(node: str) -> str:
    return node.split(": ", 1)[1] if node.startswith("end: ") else node


def process_sankey(flows: pd.DataFrame, group: str | None = None,
                   labels: Mapping[str, str] | None = None, stage_order=None) -> go.Figure:
    """Sankey of the decision process: start -> stages -> an end node per outcome (one group or all)."""
    f = _select_group(flows, group, "flows")
    sizes = f.drop_duplicates("group")["n_interviews_in_group"].sum() if len(f) else 0
    f = f.groupby(["source", "target"], sort=False)[["count", "n_interviews"]].sum().reset_index()
    stage_nodes = [n for n in pd.unique(pd.concat([f["source"], f["target"]]))
                   if n != "start" and not n.startswith("end: ")]
    rank = _stage_rank(stage_nodes, stage_order)
    ends = [n for n in pd.unique(f["target"]) if n.startswith("end: ")]
    ends.sort(key=lambda n: (OUTCOME_ORDER.index(_outcome_label(n))
                             if _outcome_label(n) in OUTCOME_ORDER else 99, n))
    nodes = ["start", *sorted(stage_nodes, key=rank.get), *ends]
    index = {n: i for i, n in enumerate(nodes)}

    def node_label(n: str) -> str:
        if n == "start":
            return "Start"
        if n.startswith("end: "):
            return "End: " + _outcome_label(n).replace("_", " ")
        return label(n, labels)

    def node_color(n: str) -> str:
        if n == "start":
            return NEUTRAL
        if n.startswith("end: "):
            return OUTCOME_COLORS.get(_outcome_label(n), NEUTRAL)
        return FAMILY_COLORS["stage"]

    share = f["n_interviews"] / sizes if sizes else np.nan
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(label=[node_label(n) for n in nodes], color=[node_color(n) for n in nodes],
                  pad=18, thickness=16,
                  hovertemplate="%{label}: %{value} transitions<extra></extra>"),
        link=dict(
            source=[index[s] for s in f["source"]],
            target=[index[t] for t in f["target"]],
            value=f["count"].astype(int).tolist(),
            color=[_rgba(node_color(t), 0.45 if t.startswith("end: ") else 0.25) for t in f["target"]],
            customdata=np.column_stack([f["n_interviews"], share]) if len(f) else None,
            hovertemplate=("%{source.label} → %{target.label}<br>%{value} transitions in "
                           "%{customdata[0]} interviews (%{customdata[1]:.0%} of "
                           f"{int(sizes)})<extra></extra>"),
        ),
    ))
    title = "Decision process" + (f": {group}" if group else "") + f" (n = {int(sizes)} interviews)"
    fig.update_layout(title=title, font_size=12)
    return fig


def stage_timeline(processes: pd.DataFrame, interview_id: str,
                   labels: Mapping[str, str] | None = None) -> go.Figure:
    """One interview's steps as bars over the turns where each stage is talked about."""
    p = processes[processes["interview_id"].astype(str) == str(interview_id)].sort_values("step")
    if p.empty:
        raise StudyError(f"processes: no interview {interview_id!r}")
    outcome = p["outcome"].iloc[0] if "outcome" in p.columns else ""
    fig = go.Figure()
    steps = p.dropna(subset=["stage"])
    if steps.empty:
        fig.add_annotation(text="no decision stage coded in this interview", showarrow=False)
    else:
        ys = [f"{s + 1}. {label(st, labels)}" for s, st in zip(steps["step"], steps["stage"])]
        hover = []
        for _, r in steps.iterrows():
            parts = [f"turns {int(r['first_turn'])}–{int(r['last_turn'])}, {int(r['n_mentions'])} mention(s)"]
            if isinstance(r.get("moved"), str) and r["moved"]:
                parts.append(f"moved {r['moved']} by cue: {r['cues']}")
            for col in ("triggers", "stakeholders", "motives", "barriers", "alternatives"):
                if isinstance(r.get(col), str) and r[col]:
                    parts.append(f"{col}: {', '.join(label(c, labels) for c in r[col].split('; '))}")
            hover.append("<br>".join(parts))
        fig.add_trace(go.Bar(
            y=ys, base=steps["first_turn"].astype(float).tolist(),
            x=(steps["last_turn"] - steps["first_turn"] + 1).astype(float).tolist(),
            orientation="h", marker_color=FAMILY_COLORS["stage"],
            marker_pattern_shape=["/" if isinstance(m, str) and m else "" for m in steps["moved"]],
            hovertext=hover, hoverinfo="y+text", name="stage",
        ))
        fig.update_yaxes(autorange="reversed", title="step (ordered)")
        fig.update_xaxes(title="turn")
    fig.update_layout(title=f"{interview_id}: decision process (outcome: {outcome})", showlegend=False)
    return fig


def _pivot(matrix: pd.DataFrame, values: str, index: str, columns: str, row_order, col_order):
    return matrix.pivot_table(index=index, columns=columns, values=values, aggfunc="first").reindex(
        index=row_order, columns=col_order)


def motive_heatmap(matrix: pd.DataFrame, labels: Mapping[str, str] | None = None,
                   alpha: float = 0.05, title: str | None = None) -> go.Figure:
    """Codes x groups heatmap of interview shares; ' *' marks codes whose q < alpha."""
    if matrix.empty:
        return go.Figure(layout=dict(title=title or "no codes to show"))
    codes = list(dict.fromkeys(matrix["code"]))
    groups = list(dict.fromkeys(matrix["group"]))
    z = _pivot(matrix, "share", "code", "group", codes, groups)
    n = _pivot(matrix, "n_mentioning", "code", "group", codes, groups)
    size = matrix.drop_duplicates("group").set_index("group")["n_interviews_in_group"].reindex(groups)
    lo = _pivot(matrix, "ci_low", "code", "group", codes, groups)
    hi = _pivot(matrix, "ci_high", "code", "group", codes, groups)
    q = matrix.drop_duplicates("code").set_index("code")["q"].reindex(codes)
    sig = (q < alpha).fillna(False)
    ylabels = [label(c, labels) + (SIG_MARK if sig[c] else "") for c in codes]
    xlabels = [f"{g} (n={int(size[g])}{', small' if size[g] < SMALL_GROUP else ''})" for g in groups]
    fams = matrix["family"].dropna().unique()
    color = FAMILY_COLORS.get(fams[0], "#0072B2") if len(fams) == 1 else "#0072B2"
    custom = np.dstack([n.to_numpy(), np.tile(size.to_numpy(), (len(codes), 1)), lo.to_numpy(),
                        hi.to_numpy(), np.tile(q.to_numpy()[:, None], (1, len(groups)))])
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=xlabels, y=ylabels, zmin=0, zmax=1,
        colorscale=[[0, "#FFFFFF"], [1, color]], colorbar=dict(title="share", tickformat=".0%"),
        text=[[f"{v:.0%}" if pd.notna(v) else "" for v in row] for row in z.to_numpy()],
        texttemplate="%{text}", customdata=custom,
        hovertemplate=("%{y} in %{x}<br>%{customdata[0]} of %{customdata[1]} interviews "
                       "(%{z:.0%}, 95% CI %{customdata[2]:.0%}–%{customdata[3]:.0%})"
                       "<br>q = %{customdata[4]:.3f}<extra></extra>"),
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title or f"Share of interviews mentioning each code (* q < {alpha})")
    return fig


def outcome_comparison_chart(comparison: pd.DataFrame, labels: Mapping[str, str] | None = None,
                             alpha: float = 0.05, top: int | None = None) -> go.Figure:
    """Grouped bars: share of won / lost / no-decision interviews per code, with 95% CIs and marks."""
    codes = list(dict.fromkeys(comparison["code"]))[:top] if top else list(dict.fromkeys(comparison["code"]))
    c = comparison[comparison["code"].isin(codes)]
    q = c.drop_duplicates("code").set_index("code")["q"].reindex(codes)
    ylab = {k: label(k, labels) + (SIG_MARK if q[k] < alpha else "") for k in codes}
    outcomes = [o for o in OUTCOME_ORDER if o in set(c["group"])] + sorted(
        set(c["group"]) - set(OUTCOME_ORDER))
    fig = go.Figure()
    for o in outcomes:
        d = c[c["group"] == o].set_index("code").reindex(codes)
        fig.add_trace(go.Bar(
            name=f"{o.replace('_', ' ')} (n={int(d['n_interviews_in_group'].dropna().iloc[0])})",
            y=[ylab[k] for k in codes], x=d["share"].tolist(), orientation="h",
            marker_color=OUTCOME_COLORS.get(o, NEUTRAL),
            error_x=dict(type="data", array=(d["ci_high"] - d["share"]).tolist(),
                         arrayminus=(d["share"] - d["ci_low"]).tolist(), thickness=1),
            customdata=np.column_stack([d["n_mentioning"], d["n_interviews_in_group"], d["q"]]),
            hovertemplate=("%{y}: %{customdata[0]} of %{customdata[1]} " + o
                           + " interviews (%{x:.0%})<br>q = %{customdata[2]:.3f}<extra></extra>"),
        ))
    fig.update_layout(barmode="group", title=f"What distinguishes won, lost and no-decision buyers "
                      f"(* q < {alpha})", xaxis=dict(tickformat=".0%", title="share of interviews"),
                      yaxis=dict(autorange="reversed"), height=max(400, 28 * len(codes) * max(1, len(outcomes)) // 2))
    return fig


def buying_centre_map(centre: pd.DataFrame, group: str | None = None,
                      labels: Mapping[str, str] | None = None) -> go.Figure:
    """Heatmap of stakeholders x buying role (``buying_centre``) or x entry stage (``stakeholder_entry``)."""
    c = _select_group(centre, group, "buying centre")
    over_time = "entry_stage" in c.columns
    if c.empty:
        return go.Figure(layout=dict(title="Buying centre: no stakeholder coded"))
    col = "entry_stage" if over_time else "buying_role"
    agg = c.groupby(["stakeholder", col])["n_interviews"].sum().unstack(col, fill_value=0)
    if over_time:
        rank = _stage_rank(agg.columns)
        cols = sorted(agg.columns, key=rank.get)
    else:
        cols = [r for r in BUYING_ROLES if r in agg.columns] + sorted(set(agg.columns) - set(BUYING_ROLES))
    agg = agg.reindex(columns=cols)
    agg = agg.loc[agg.sum(axis=1).sort_values(ascending=False).index]
    if over_time:
        denom = agg.sum(axis=1).to_numpy()[:, None]  # interviews with this stakeholder
        what = "of interviews naming this stakeholder"
    else:
        n_total = c.drop_duplicates("group")["n_interviews_in_group"].sum()
        denom = np.full(agg.shape, n_total)
        what = f"of {int(n_total)} interviews"
    share = agg.to_numpy() / denom
    fig = go.Figure(go.Heatmap(
        z=agg.to_numpy(), x=[label(x, labels) for x in cols], y=[label(s, labels) for s in agg.index],
        colorscale=[[0, "#FFFFFF"], [1, FAMILY_COLORS["stakeholder"]]],
        text=agg.to_numpy(), texttemplate="%{text}", customdata=share,
        colorbar=dict(title="interviews"),
        hovertemplate="%{y} × %{x}: %{z} interviews (%{customdata:.0%} " + what + ")<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    title = "Buying centre over time: stage where each stakeholder enters" if over_time \
        else "Buying centre: stakeholders and their roles"
    fig.update_layout(title=title + (f" ({group})" if group else ""))
    return fig


def claims_chart(result, labels: Mapping[str, str] | None = None) -> go.Figure:
    """Bars: interviews voicing what each claim answers, then voiced motives no claim answers."""
    summary, coverage = result.summary, result.coverage
    s = summary.groupby(["claim_id", "claim"], sort=False)[["n_interviews_matched", "n_interviews_in_group"]] \
        .sum().reset_index()
    s["share"] = s["n_interviews_matched"] / s["n_interviews_in_group"].replace(0, np.nan)
    s = s.sort_values("share", ascending=True, kind="stable")
    fig = go.Figure()
    fig.add_trace(go.Bar(
        name="claims: interviews with a quote the claim answers", orientation="h",
        y=s["claim"].tolist(), x=s["share"].tolist(), marker_color=FAMILY_COLORS["motive"],
        customdata=np.column_stack([s["n_interviews_matched"], s["n_interviews_in_group"]]),
        hovertemplate="%{y}: %{customdata[0]} of %{customdata[1]} interviews (%{x:.0%})<extra></extra>",
    ))
    un = coverage[~coverage["answered"]].sort_values("share", ascending=True, kind="stable")
    fig.add_trace(go.Bar(
        name="voiced motives no claim answers", orientation="h",
        y=["no claim: " + label(c, labels) for c in un["code"]], x=un["share"].tolist(),
        marker_color=NEUTRAL,
        customdata=np.column_stack([un["n_interviews"], un["n_interviews_total"]]) if len(un) else None,
        hovertemplate="%{y}: voiced in %{customdata[0]} of %{customdata[1]} interviews (%{x:.0%})<extra></extra>",
    ))
    fig.update_layout(title=f"Claims vs what buyers say they want (matching: {result.method})",
                      xaxis=dict(tickformat=".0%", title="share of interviews"), barmode="overlay")
    return fig
