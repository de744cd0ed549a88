"""Sprintboard: navigation only. Each page lives in pages/ and reads the store through sprintboard.ui."""

import streamlit as st

from sprintboard.ui import theme

st.set_page_config(page_title="Sprintboard", page_icon=str(theme.FAVICON), layout="wide")
theme.register()

navigation = st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/sprint_flow.py", title="Sprint and flow", icon=":material/trending_down:"),
        st.Page("pages/hypotheses.py", title="Hypotheses", icon=":material/science:"),
        st.Page("pages/metrics.py", title="Model metrics", icon=":material/show_chart:"),
        st.Page("pages/bias.py", title="Bias checks", icon=":material/balance:"),
        st.Page("pages/retro.py", title="Retro", icon=":material/forum:"),
        st.Page("pages/runs.py", title="Runs", icon=":material/monitoring:"),
        st.Page("pages/data_sources.py", title="Data sources", icon=":material/database:"),
        st.Page("pages/glossary.py", title="Glossary", icon=":material/menu_book:"),
    ]
)
navigation.run()
