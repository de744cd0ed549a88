"""Model metrics: curves of the chosen runs, the sprint frontier against baseline and target, runs side by side."""

import pandas as pd
import streamlit as st

from sprintboard.analytics import metric_curves as curves
from sprintboard.analytics import metric_frontier as frontier
from sprintboard.analytics.run_comparison import compare_runs, config_and_metric
from sprintboard.analytics.run_selection import RunFilter, distinct_tags
from sprintboard.analytics.smoothing import METHODS
from sprintboard.analytics.sprint_review import headline_key
from sprintboard.formatting import signed
from sprintboard.store.queries import config_keys, config_values, metric_goals, runs_table, sprint_list
from sprintboard.ui.data import query
from sprintboard.ui.frame import store_header
from sprintboard.ui.metric_charts import curves_figure, frontier_figure, group_figure, parallel_figure
from sprintboard.ui.selection import multiselect_in_url, select_in_url
from sprintboard.ui.text import escape_markdown

MAX_DEFAULT_RUNS = 20
VIEWS = {"curves": "Curves", "sprints": "Sprint view", "compare": "Compare runs"}
SMOOTHING = {"twema": "Exponential moving average (time-weighted)", "running": "Running average", "none": "None"}
LINES = {"runs": "One line per run", "sprint": "Group by sprint", "group": "Group by W&B group",
         "config": "Group by a config value"}

st.title("Model metrics")
if not store_header():
    st.stop()

catalog = query(curves.metric_catalog)
if catalog.empty:
    st.info("No run in the store logged a numeric metric yet. Load W&B runs with `sprintboard ingest PATH`.")
    st.stop()
metric_names = list(catalog["key"])
goals = query(metric_goals).set_index("key")
headline = query(headline_key)
headline = headline if headline in metric_names else metric_names[0]
runs = query(runs_table, None)
sprints = query(sprint_list)
sprint_names = dict(zip(sprints["sprint_id"], sprints["name"], strict=True))
labels = dict(zip(runs["run_id"], runs["name"].fillna(runs["run_id"]), strict=True))

view = select_in_url("View", list(VIEWS), "view", format_func=VIEWS.get, radio=True)


def number_param(param: str, default: float, low: float, high: float) -> float:
    """A number from the URL within ``low``..``high``; the default for anything else (a typo in a shared link)."""
    try:
        value = float(st.query_params.get(param, default))
    except ValueError:
        return default
    return value if low <= value <= high else default


def number_in_url(label: str, param: str, default: float | None, container=st) -> float | None:
    """A number input kept in the URL; empty means none."""
    text = st.query_params.get(param, "" if default is None else f"{default:g}")
    entered = container.text_input(label, text, key=f"url_number_{param}", help="Leave empty for none.")
    try:
        value = float(entered) if entered.strip() else None
    except ValueError:
        container.warning(f"{label}: {entered!r} is not a number.")
        value = None
    if st.query_params.get(param, "") != entered:
        st.query_params[param] = entered
    return value


def chosen_runs() -> list[str]:
    """The filter row and the run picker (both in the URL); the newest runs that pass by default."""
    with st.expander("Runs", expanded=True):
        columns = st.columns(5)
        chosen_sprints = multiselect_in_url("Sprint", list(sprint_names), "sprints", container=columns[0])
        groups = multiselect_in_url("W&B group", sorted(runs["group_name"].dropna().unique()), "groups",
                                    container=columns[1])
        tags = multiselect_in_url("Tag", distinct_tags(runs), "tags", container=columns[2])
        states = multiselect_in_url("State", sorted(runs["state"].dropna().unique()), "states",
                                    container=columns[3])
        key = select_in_url("Config key", ["", *query(config_keys)], "ckey", container=columns[4],
                            format_func=lambda name: name or "(any)")
        values: dict[str, str] = query(config_values, key) if key else {}
        wanted = multiselect_in_url(f"{key} is", sorted(set(values.values())), "cval",
                                    container=columns[4]) if key else []
        passing = RunFilter(tuple(chosen_sprints), tuple(groups), tuple(tags), tuple(states), values,
                            tuple(wanted)).apply(runs)
        return multiselect_in_url(f"Runs ({len(passing)} pass the filters; newest first)", list(passing["run_id"]),
                                  "runs", default=list(passing["run_id"][:MAX_DEFAULT_RUNS]))


def zoom_range(extent: tuple[float, float] | None) -> tuple[float, float] | None:
    """The x range in the URL (``?x=lo:hi``), when it overlaps the data (``extent``)."""
    text = st.query_params.get("x", "")
    try:
        low, high = (float(part) for part in text.split(":"))
    except ValueError:
        return None
    if extent is None or high < extent[0] or low > extent[1] or low >= high:
        return None
    return low, high


def show_curves(run_ids: list[str]) -> None:
    keys = multiselect_in_url("Metrics", metric_names, "metrics", default=[headline],
                              help="Type to search the store's metrics.")
    if not keys or not run_ids:
        st.info("Choose at least one metric and one run.")
        return
    columns = st.columns(4)
    x_axis = select_in_url("X-axis", [*curves.X_AXES, *(curves.METRIC_AXIS + key for key in metric_names)], "xaxis",
                           container=columns[0],
                           format_func=lambda axis: curves.X_LABELS.get(axis, f"Metric {axis[7:]}"))
    lines = select_in_url("Lines", list(LINES), "lines", format_func=LINES.get, container=columns[1])
    group_key = None
    if lines == "config":
        group_key = select_in_url("Config key to group by", query(config_keys), "gkey", container=columns[1])
    if lines == "runs":
        smoothing = select_in_url("Smoothing", list(METHODS), "smooth", format_func=SMOOTHING.get,
                                  container=columns[2])
        amount = 0.0
        if smoothing == "twema":
            amount = columns[3].slider("Smoothing weight", 0.0, 0.99, number_param("w", 0.6, 0.0, 0.99), 0.01,
                                       key="smooth_weight")
        elif smoothing == "running":
            amount = columns[3].slider("Window (points)", 1, 101, int(number_param("w", 11, 1, 101)), 2,
                                       key="smooth_window")
        st.query_params["w"] = f"{amount:g}"
    else:
        band = select_in_url("Band", ["minmax", "std"], "band", container=columns[2],
                             format_func={"minmax": "Lowest to highest run", "std": "±1 standard deviation"}.get)
    # The extent is read only to check a zoom in the URL: without one, the lines themselves hold both ends.
    zoom = zoom_range(query(curves.x_extent, curves.CurveQuery(tuple(run_ids), tuple(keys), x_axis))
                      if "x" in st.query_params else None)
    if zoom:
        left, right = st.columns([4, 1])
        left.caption(f"Zoomed to {curves.X_LABELS.get(x_axis, x_axis)} {zoom[0]:.6g} – {zoom[1]:.6g}, "
                     "re-read from the store at full resolution up to the same point budget.")
        if right.button("Show the whole run"):
            del st.query_params["x"]
            st.rerun()
    wanted = curves.CurveQuery(tuple(run_ids), tuple(keys), x_axis, zoom)
    if lines == "runs":
        data = query(curves.metric_lines, wanted)
        st.caption("What am I looking at: each run's metric as logged. Long runs are thinned on the server to at "
                   f"most {wanted.budget:,} points per line, keeping every bucket's first, last, lowest and highest "
                   "point, so no spike is hidden. Drag across a chart to zoom in.")
    else:
        data = query(curves.group_lines, wanted, lines, group_key)
        group_labels = sprint_names if lines == "sprint" else {}
        st.caption("What am I looking at: per group, the mean of its runs (each run counts once per x bucket), "
                   "with a band showing how far the runs spread.")
    for key in keys:
        if lines == "runs":
            figure = curves_figure(data, key, labels, x_axis, smoothing, amount)
            counts = data[data["key"] == key].groupby("run_id")["points"].first()
            drawn = int((data["key"] == key).sum())
            note = f"{drawn:,} points drawn of {int(counts.sum()):,} logged in this range."
        else:
            figure = group_figure(data, key, x_axis, band, group_labels)
            note = f"{int((data['key'] == key).sum()):,} buckets drawn."
        event = st.plotly_chart(figure, on_select="rerun", selection_mode=("box",), key=f"curve_{key}")
        st.caption(note)
        boxes = (event or {}).get("selection", {}).get("box", []) if event else []
        if boxes and x_axis != "wall":
            low, high = sorted(float(value) for value in boxes[0]["x"][:2])
            st.query_params["x"] = f"{low:.10g}:{high:.10g}"
            st.rerun()


def goal(key: str, field: str) -> object:
    """The team's goal ``field`` for metric ``key`` (see the backlog file's ``metrics``), or ``None``."""
    if key not in goals.index or pd.isna(goals.at[key, field]):
        return None
    return goals.at[key, field]


def show_sprint_view() -> None:
    columns = st.columns(4)
    key = select_in_url("Metric", metric_names, "metric", default=headline, container=columns[0])
    direction = select_in_url("Better is", [frontier.HIGHER, frontier.LOWER], f"better.{key}", container=columns[1],
                              default=goal(key, "better") or frontier.better_direction(key),
                              format_func=lambda d: f"{d} values")
    # A metric's own goals are the defaults; a value typed here (kept in the URL) wins for this view.
    baseline = number_in_url("Baseline", f"baseline.{key}", goal(key, "baseline"), columns[2])
    target = number_in_url("Target", f"target.{key}", goal(key, "target"), columns[3])
    table = query(frontier.sprint_frontier, key, direction, baseline)
    if table["best"].isna().all():
        st.info(f"No finished run linked to a sprint has a summary value of {key}.")
        return
    with_runs = table.dropna(subset=["best"])
    sprint_id = select_in_url("Sprint", list(with_runs["sprint_id"]), "sprint", default=with_runs["sprint_id"].iloc[-1],
                              format_func=sprint_names.get)
    row = table.set_index("sprint_id").loc[sprint_id]
    colour = "normal" if direction == frontier.HIGHER else "inverse"
    tiles = st.columns(4)
    tiles[0].metric("Best this sprint", f"{row['best']:.4g}",
                    None if pd.isna(row["delta_previous"]) else f"{signed(row['delta_previous'])} vs previous sprint",
                    delta_color=colour)
    tiles[1].metric("Best so far", f"{row['frontier']:.4g}",
                    None if pd.isna(row["frontier_gain"]) else f"{signed(row['frontier_gain'])} this sprint",
                    delta_color=colour)
    tiles[2].metric("Against the baseline", "no baseline" if baseline is None else signed(row["delta_baseline"]),
                    None if baseline is None else f"baseline {baseline:.4g}", delta_color="off")
    tiles[3].metric("Target", "no target" if target is None else f"{target:.4g}",
                    None if target is None else f"{signed(row['frontier'] - target)} from it", delta_color=colour)
    st.caption(f"Sprint's best run: {escape_markdown(str(row['best_run']))}. What am I looking at: each sprint's "
               f"finished runs (grey), the best of each (star, named) and the best {key} reached so far (the step "
               "line, which never gets worse).")
    values = query(frontier.sprint_values, key)
    st.plotly_chart(frontier_figure(values, table, key, baseline, target))
    st.dataframe(table[["sprint", "runs", "best", "best_run", "frontier", "delta_previous", "frontier_gain"]],
                 hide_index=True, column_config={
                     "sprint": "Sprint", "runs": "Finished runs", "best": st.column_config.NumberColumn("Best"),
                     "best_run": "Best run", "frontier": "Best so far",
                     "delta_previous": "Δ vs previous sprint", "frontier_gain": "Gain of best so far"})


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    return format(value, ".10g") if isinstance(value, float) else str(value)


def show_comparison(run_ids: list[str]) -> None:
    if len(run_ids) < 2:
        st.info("Choose two or more runs to compare.")
        return
    table = query(compare_runs, run_ids)
    only_differences = st.toggle("Only what differs", value=True)
    shown = table[table["differs"]] if only_differences else table
    # A run's column holds numbers on some rows and text on others (lr, model): shown as text, one type per column,
    # numbers to ten significant digits.
    as_text = shown.assign(**{run_id: shown[run_id].map(_cell_text) for run_id in run_ids})
    renamed = as_text.rename(columns={run_id: labels.get(run_id, run_id) for run_id in run_ids})
    st.caption("Config and summary side by side; rows where the runs differ are highlighted.")
    styled = renamed.style.apply(
        lambda row: ["background-color: #fff3cd" if row["differs"] else ""] * len(row), axis=1)
    st.dataframe(styled, hide_index=True)
    metric = select_in_url("Metric for the parallel coordinates", metric_names, "pmetric", default=headline)
    frame = query(config_and_metric, run_ids, metric)
    if len(frame.columns) <= 2 or len(frame) < 2:
        st.info("The chosen runs share every numeric config value, or lack the metric: nothing to draw.")
        return
    st.plotly_chart(parallel_figure(frame, metric))


if view == "sprints":
    show_sprint_view()
else:
    selected = chosen_runs()
    if view == "curves":
        show_curves(selected)
    else:
        show_comparison(selected)
