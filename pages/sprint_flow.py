"""Sprint progress and flow: burndown, burnup and velocity; cumulative flow, cycle time, throughput, aging work
and forecasts; time-boxes of research work."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import streamlit as st

from sprintboard.analytics import backlog_data
from sprintboard.analytics.backlog_data import BoardSettings
from sprintboard.ui import flow_charts, sprint_charts
from sprintboard.ui.data import query
from sprintboard.ui.frame import store_header
from sprintboard.ui.selection import multiselect_in_url, select_in_url
from sprintboard.ui.text import escape_markdown

STATISTIC_LABELS = {"points": "Story points", "hours": "Hours (original estimate)", "count": "Issue count"}

st.title("Sprint progress and flow")
if not store_header():
    st.stop()

# The hour, not the second: results stay cached within the hour, and a running sprint moves on by the hour.
now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
sprints = query(backlog_data.sprints_frame)
statuses = query(backlog_data.statuses)
if not statuses:
    st.warning("The store holds no backlog yet. Load a Jira export or a backlog file with `sprintboard ingest`.")
    st.stop()

with st.sidebar.expander("Board settings"):
    done = multiselect_in_url("Done statuses", statuses, "done", help="Statuses that count as finished.",
                              default=[s for s in statuses if s.lower() in BoardSettings().done])
    holiday_text = st.text_input("Holidays (YYYY-MM-DD, comma-separated)", st.query_params.get("holidays", ""))
holidays, bad = [], []
for part in filter(None, (p.strip() for p in holiday_text.split(","))):
    try:
        holidays.append(date.fromisoformat(part))
    except ValueError:
        bad.append(part)
if bad:
    st.sidebar.warning(f"Not a date, ignored: {', '.join(bad)}")
st.query_params["holidays"] = ",".join(d.isoformat() for d in holidays)
settings = BoardSettings(tuple(done), tuple(holidays))

dated = sprints.dropna(subset=["start_date", "end_date"]).sort_values("start_date", ascending=False)
names = dict(zip(dated["sprint_id"], dated["name"], strict=True))
sprint_tab, flow_tab, timebox_tab = st.tabs(["Sprint", "Flow", "Time-boxes"])
sprint_id = None  # a team without dated sprints sees every time-box

with sprint_tab:
    if dated.empty:
        st.info("No sprints with dates: this team works in flow. The Flow tab shows its work.")
    else:
        pick, measure = st.columns([2, 1])
        sprint_id = select_in_url("Sprint", list(dated["sprint_id"]), "sprint", format_func=names.get,
                                  container=pick)
        statistic = select_in_url("Estimation statistic", list(STATISTIC_LABELS), "stat",
                                  format_func=STATISTIC_LABELS.get, container=measure)
        sprint = dated.set_index("sprint_id").loc[sprint_id]
        st.markdown(f"**Goal:** {escape_markdown(sprint['goal'] or 'no goal recorded')}")
        chart = query(backlog_data.sprint_burndown, sprint_id, statistic, settings, now)
        unit = sprint_charts.UNITS[statistic]
        scope_change = chart.changes.loc[chart.changes["kind"].isin(sprint_charts.SCOPE_KINDS), "delta"].sum()
        drawn = chart.days.dropna(subset=["remaining"])
        last = drawn.iloc[-1] if len(drawn) else None
        tiles = st.columns(4)
        tiles[0].metric("Committed at start", f"{chart.committed:g} {unit}")
        tiles[1].metric("Completed", f"{(last['completed'] if last is not None else 0):g} {unit}")
        tiles[2].metric("Remaining", f"{(last['remaining'] if last is not None else chart.committed):g} {unit}")
        tiles[3].metric("Scope change", f"{scope_change:+g} {unit}")
        if chart.exact:
            st.caption("Exact: every line below is replayed from the backlog's change history.")
        else:
            st.warning("These charts are approximations. " + " ".join(chart.approximations))

        st.caption("What am I looking at: the red line is the work left in the sprint after every change; the grey "
                   "dashed guideline is an even pace from the committed scope to zero, flat on days off (shaded). "
                   "Orange diamonds mark scope changes; hover any point to see the item behind it.")
        st.plotly_chart(sprint_charts.burndown_figure(chart), key="burndown")
        with st.expander("What moved the chart"):
            st.dataframe(chart.changes, hide_index=True, column_config={
                "at": st.column_config.DatetimeColumn("When (UTC)", format="ddd D MMM HH:mm"),
                "item_id": "Item", "title": "Title", "kind": "Change",
                "delta": st.column_config.NumberColumn("Change", format="%+g"),
                "remaining": "Remaining", "scope": "Scope", "completed": "Completed"})

        st.caption("What am I looking at: the green line is the work finished so far, the orange line the sprint's "
                   "total scope; the gap between them is what is left, and a rising orange line is scope creep.")
        st.plotly_chart(sprint_charts.burnup_figure(chart), key="burnup")

        history = query(backlog_data.sprint_velocity, statistic, settings, now)
        st.caption("What am I looking at: for each sprint, the work committed at its start (grey) and the work "
                   "completed in it (green); the dotted line is the average completed over the last three sprints, "
                   "a fair guide to what the next sprint can hold.")
        st.plotly_chart(sprint_charts.velocity_figure(history, statistic), key="velocity")

with flow_tab:
    metrics = query(backlog_data.flow_metrics, settings, now)
    if not metrics.exact:
        st.warning("The backlog has no status history: cycle times use the resolution dates only, and the "
                   "cumulative flow shows today's statuses throughout.")
    st.caption(f"From {metrics.first:%d %b %Y} to {metrics.last:%d %b %Y}: {len(metrics.cycle_times)} items "
               "finished.")
    st.caption("What am I looking at: how many items were in each status at the end of every day. Bands that "
               "widen are work piling up in that status; a steadily rising bottom band is steady delivery.")
    st.plotly_chart(flow_charts.cumulative_flow_figure(metrics.cumulative_flow, metrics.lanes), key="cfd")

    st.caption("What am I looking at: every finished item, by the day it finished and how many days it took. "
               "The dotted lines say how long most items take: e.g. 85% finished within that many days.")
    st.plotly_chart(flow_charts.cycle_time_figure(metrics.cycle_times, metrics.percentiles), key="cycle")

    period = st.radio("Throughput per", ["week", "day"], horizontal=True, key="throughput_period")
    counts = metrics.throughput_weekly if period == "week" else metrics.throughput_daily
    st.caption(f"What am I looking at: how many items the team finished each {period}.")
    st.plotly_chart(flow_charts.throughput_figure(counts, period), key="throughput")

    st.markdown("#### Work in progress")
    if metrics.aging.empty:
        st.caption("Nothing is in progress.")
    else:
        st.caption("What am I looking at: the items started and not finished, by status and age. An item above "
                   "the 85% line is older than 85% of finished items ever got: worth asking about.")
        st.plotly_chart(flow_charts.aging_figure(metrics.aging, metrics.lanes, metrics.percentiles), key="aging")

    st.markdown("#### Forecast")
    open_items = query(backlog_data.open_item_count, settings)
    left, right = st.columns(2)
    items_left = left.number_input("Items to finish", min_value=0, value=int(open_items), step=1)
    until = right.date_input("Finished by", value=now.date() + timedelta(days=14), min_value=now.date())
    when, how_many = backlog_data.throughput_forecast(metrics, settings, int(items_left), until)
    st.caption("What am I looking at: 10,000 simulated futures drawn from the last 60 days of throughput. Each "
               "row says how sure the forecast is: at 85%, only 15 of 100 simulated futures did worse.")
    st.dataframe(pd.DataFrame({
        "Confidence": [f"{p}%" for p in when],
        f"All {int(items_left)} items done by": [d.strftime("%a %d %b %Y") if d else "no throughput yet"
                                                 for d in when.values()],
        f"Items done by {until:%d %b}": list(how_many.values()),
    }), hide_index=True)

with timebox_tab:
    scope_label = names.get(sprint_id, "all sprints")
    boxes = query(backlog_data.sprint_timeboxes, settings, now, sprint_id)
    st.caption(f"What am I looking at: research items ({escape_markdown(scope_label)}) with an agreed time-box, "
               "against the working time they spent in progress (8 hours a working day).")
    findings = boxes[boxes["status"] == "ran out, no outcome"]
    for row in findings.itertuples(index=False):
        st.error(f"{escape_markdown(row.item_id)}: the time-box of {row.timebox_hours:g} h ran out with no outcome "
                 f"({row.spent_hours:g} h spent).", icon=":material/timer_off:")
    st.dataframe(boxes, hide_index=True, column_config={
        "item_id": "Item", "title": "Title", "item_type": "Type", "sprint_id": "Sprint",
        "timebox_hours": st.column_config.NumberColumn("Time-box (h)", format="%g"),
        "spent_hours": st.column_config.NumberColumn("Spent (h)", format="%.1f"),
        "overrun_hours": st.column_config.NumberColumn("Over by (h)", format="%.1f"),
        "done": "Done", "status": "Status"})
