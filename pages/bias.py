"""Bias checks: a model's logged predictions compared across groups, with intervals and verdicts a review can defend."""

import pandas as pd
import streamlit as st

from sprintboard.analytics import bias_data
from sprintboard.analytics.bias import BiasSettings
from sprintboard.analytics.bias_context import fairness_tree, logged_group_metrics
from sprintboard.analytics.bias_metrics import AUC, METRICS
from sprintboard.analytics.history import run_key_values
from sprintboard.analytics.metric_frontier import sprint_frontier
from sprintboard.analytics.sprint_review import headline_key
from sprintboard.ui.access import edit_access
from sprintboard.ui.bias_charts import disparity_figure, interval_text, verdict_styles
from sprintboard.ui.data import query
from sprintboard.ui.edits import save_fairness_action
from sprintboard.ui.frame import store_header
from sprintboard.ui.selection import multiselect_in_url, select_in_url
from sprintboard.ui.text import escape_markdown

TITLES = {metric.name: metric.title for metric in (*METRICS, AUC)}
ACTIONS = {"assistive": "Assistive: it offers help or a benefit (missing someone is the harm)",
           "punitive": "Punitive: it flags, audits or denies (wrongly selecting someone is the harm)"}
REACH = {"few": "Only a few of the people in need can be reached", "most": "Most of the people in need can be reached"}

st.title("Bias checks")
if not store_header():
    st.stop()
st.caption("What am I looking at: how a model's predictions differ between groups of people (by sex, race, ...). "
           "Each group's rate is compared with a reference group as a ratio; a ratio inside the band counts as "
           "similar. Every number has a bootstrap interval, and a verdict is given only when the interval is clear.")

tables = query(bias_data.prediction_tables)
if tables.empty:
    st.info("No run in the store logged a predictions table. Log the validation predictions as a `wandb.Table` "
            "with a label, a prediction or score, and the sensitive attribute columns; then ingest the run.")
    st.stop()
policy = query(bias_data.fairness_policy)
headline = query(headline_key)


def best_model_run() -> str:
    """The newest sprint's best run (by the headline metric) that logged a predictions table, else the newest run
    with a table."""
    with_tables = set(tables["run_id"])
    if headline:
        best = query(sprint_frontier, headline)
        for run_id in reversed(best["best_run_id"].dropna().tolist()):
            if run_id in with_tables:
                return run_id
    return tables["run_id"].iloc[0]


labels = dict(zip(tables["run_id"], tables["run"], strict=False))
run_ids = list(dict.fromkeys(tables["run_id"]))
top = st.columns([2, 1])
run_id = select_in_url("Model (run)", run_ids, "run", default=best_model_run(), container=top[0],
                       format_func=lambda run: f"{labels.get(run, run)}")
keys = tables[tables["run_id"] == run_id]["table_key"].tolist()
table_key = select_in_url("Predictions table", keys, "table", container=top[1],
                          default=policy.table_key if policy.table_key in keys else keys[0])
frame = query(bias_data.prediction_frame, run_id, table_key)
roles = bias_data.guess_roles(frame, policy)
columns = list(frame.columns)

with st.expander("Columns and settings", expanded=roles["label"] is None):
    row = st.columns(4)
    label = select_in_url("Label column", columns, "label", default=roles["label"], container=row[0])
    prediction = select_in_url("Prediction column", ["", *columns], "pred", default=roles["prediction"] or "",
                               container=row[1], format_func=lambda c: c or "(from the score)")
    score = select_in_url("Score column", ["", *columns], "score", default=roles["score"] or "", container=row[2],
                          format_func=lambda c: c or "(none)")
    threshold = row[3].number_input("Score threshold", 0.0, 1.0, float(policy.threshold), 0.01,
                                    disabled=bool(prediction) or not score)
    row = st.columns(4)
    reference = select_in_url("Reference group", ["largest", "best"], "ref", container=row[0],
                              format_func={"largest": "The largest group", "best": "The best-performing group"}.get)
    band_low = row[1].number_input("Band from", 0.01, 1.0, float(policy.band[0]), 0.01)
    band_high = row[2].number_input("Band to", 1.0, 100.0, float(policy.band[1]), 0.01)
    min_group = row[3].number_input("Fewest rows for a verdict", 1, 10_000, int(policy.min_group_size), 1)
    st.caption("The default band 0.8–1.25 is the \"four-fifths rule\", a convention from US hiring guidelines used "
               "here as a screening threshold: it is not a legal test, and passing it does not prove fairness.")

attributes = multiselect_in_url("Sensitive attributes", [c for c in columns if c not in (label, prediction, score)],
                                "attrs", default=roles["attributes"],
                                help="Pairs of attributes are also checked as intersections (e.g. sex × race).")
if not attributes or not label or not (prediction or score):
    st.info("Choose the label column, a prediction or score column, and at least one sensitive attribute.")
    st.stop()

settings = BiasSettings(label=label, prediction=prediction or None, score=score or None, threshold=threshold,
                        attributes=tuple(attributes), reference=reference, band=(band_low, band_high),
                        min_group_size=int(min_group), resamples=1000, auc_resamples=200)
try:
    report = query(bias_data.run_bias_report, run_id, table_key, settings)
except ValueError as error:
    st.error(f"{labels.get(run_id, run_id)} {table_key}: {error}")
    st.stop()

# Which metrics matter depends on what the model's decision does to people: asked once for the project.
access = edit_access()
action, reach = policy.action, policy.reach
if action is None:
    st.markdown("#### What does a positive prediction do to a person?")
    answer = st.columns(2)
    action = answer[0].radio("The model's action", list(ACTIONS), format_func=ACTIONS.get, index=None,
                             key="fairness_action")
    reach = answer[1].radio("Reach", list(REACH), format_func=REACH.get, index=None, key="fairness_reach",
                            disabled=action != "assistive") if action == "assistive" else None
    if action and access.allowed and st.button("Save for the project"):
        save_fairness_action(action, reach)
        st.rerun()
priority = fairness_tree(action, reach) if action else None
if priority:
    st.info(f"**Metrics that matter here:** {', '.join(TITLES[m] for m in priority.metrics)}. "
            f"{priority.rationale}", icon=":material/balance:")

verdicts = report.verdicts
matrix = verdicts.pivot(index="attribute", columns="metric", values="verdict")
ordered = [m for m in (priority.metrics if priority else ()) if m in matrix.columns]
ordered += [m for m in TITLES if m in matrix.columns and m not in ordered]
matrix = matrix.reindex(index=list(dict.fromkeys(verdicts["attribute"])), columns=ordered)
st.markdown("#### Verdicts")
st.caption(f"{report.population:,} predictions · {report.resamples:,} bootstrap resamples per interval "
           f"({report.auc_resamples or 0:,} for AUC) · Pass: the whole interval of every group's ratio is inside the "
           "band; Fail: wholly outside for some group; Inconclusive: it straddles an edge; Insufficient data: "
           f"fewer than {int(min_group)} rows (or cases the rate divides by) in the group.")
# The metrics that matter for the model's action are marked and come first.
shown = matrix.rename(columns={m: TITLES[m] + (" ★" if priority and m in priority.metrics else "") for m in ordered})
st.dataframe(shown.style.apply(verdict_styles, axis=None), key="verdict_matrix")

st.markdown("#### One attribute, one metric")
pick = st.columns(2)
attribute = select_in_url("Attribute", list(matrix.index), "attr", container=pick[0])
metric = select_in_url("Metric", ordered, "metric", format_func=TITLES.get, container=pick[1])
verdict_row = verdicts[(verdicts["attribute"] == attribute) & (verdicts["metric"] == metric)].iloc[0]
st.markdown(f"**{escape_markdown(attribute)} · {TITLES[metric]}: {verdict_row['verdict']}** — "
            f"{escape_markdown(str(verdict_row['reason']))} Reference: {escape_markdown(str(verdict_row['reference']))}"
            f" ({verdict_row['reference_rule']}).")
st.plotly_chart(disparity_figure(report.groups, attribute, metric, TITLES[metric], settings.band))
groups = report.groups[(report.groups["attribute"] == attribute) & (report.groups["metric"] == metric)]
st.dataframe(pd.DataFrame({
    "Group": groups["group"], "Rows": groups["size"], "Share": groups["share"],
    TITLES[metric]: [interval_text(v, lo, hi) for v, lo, hi in zip(groups["value"], groups["ci_low"],
                                                                   groups["ci_high"], strict=True)],
    "Ratio to reference": [interval_text(v, lo, hi) for v, lo, hi in zip(groups["ratio"], groups["ratio_low"],
                                                                          groups["ratio_high"], strict=True)],
    "Difference": [interval_text(v, lo, hi) for v, lo, hi in zip(groups["difference"], groups["diff_low"],
                                                                  groups["diff_high"], strict=True)],
    "Verdict": groups["verdict"], "Why": groups["verdict_reason"].fillna(groups["reason"]),
}), hide_index=True, column_config={"Share": st.column_config.NumberColumn(format="percent")}, key="groups")

st.markdown("#### Summary measures")
st.caption("Fairlearn's between-group measures per attribute: demographic parity (selection rate), equal "
           "opportunity (recall) and equalized odds (recall and false positive rate); difference = largest minus "
           "smallest group, ratio = smallest over largest.")
summary = report.summary
st.dataframe(pd.DataFrame({
    "Attribute": summary["attribute"], "Measure": summary["measure"],
    "Value": [interval_text(v, lo, hi) for v, lo, hi in zip(summary["value"], summary["ci_low"], summary["ci_high"],
                                                            strict=True)],
    "Note": summary["reason"]}), hide_index=True, key="summary")

logged = logged_group_metrics(dict(query(run_key_values, run_id, "run_summary").itertuples(index=False)))
if not logged.empty:
    st.markdown("#### Group metrics the run logged itself")
    st.caption("Summary values `fairness/<attribute>/<group>/<metric>`, shown as logged: without counts, no interval "
               "or verdict can be computed from them.")
    st.dataframe(logged, hide_index=True, key="logged")

# The candidates: finished runs with the same table, from this model's sprint and the sprints before it, oldest first.
chosen_start = tables[tables["run_id"] == run_id]["created_at"].iloc[0]
earlier = tables[(tables["table_key"] == table_key) & (tables["state"] == "finished")
                 & (tables["created_at"] <= chosen_start)]
candidates = tuple(earlier.sort_values("created_at")["run_id"])
if len(candidates) > 1:
    st.markdown("#### Candidate models so far")
    st.caption(f"Did a model that improved {headline or 'the model metric'} get worse for a group? Every finished "
               f"run up to this one that logged the same table, checked the same way: the verdict for "
               f"{TITLES[metric]} per attribute, and the ratio of the group furthest from the reference.")
    trend = query(bias_data.candidate_trend, candidates, table_key, settings, headline)
    rows = trend.rows[(trend.rows["metric"] == metric) & (trend.rows["attribute"].isin(attributes))]
    wide = rows.pivot(index="run_id", columns="attribute", values="verdict").reindex(columns=attributes)
    furthest = rows.pivot(index="run_id", columns="attribute", values="worst_ratio").add_suffix(" ratio")
    model = rows.groupby("run_id")["model_metric"].first().rename(headline or "model metric")
    table = pd.concat([model, wide, furthest], axis=1).reindex(list(candidates)).reset_index()
    sprints = dict(zip(tables["run_id"], tables["sprint_id"], strict=False))
    table.insert(0, "Sprint", table["run_id"].map(sprints))
    table.insert(0, "Run", table.pop("run_id").map(lambda run: labels.get(run, run)))
    st.dataframe(table.style.apply(verdict_styles, axis=None, subset=attributes), hide_index=True, key="trend")
    for run, problem in trend.errors.items():
        st.caption(f"{escape_markdown(labels.get(run, run))}: not checked ({escape_markdown(problem)})")
