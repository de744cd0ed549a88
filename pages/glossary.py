"""Glossary: the words the pages use, in plain language."""

import streamlit as st

from sprintboard.ui.glossary_terms import TERMS

st.title("Glossary")
st.caption("What the words on these pages mean. Type to filter.")
wanted = st.text_input("Find a term", st.query_params.get("q", ""), key="glossary_filter").strip().lower()
if st.query_params.get("q", "") != wanted:
    st.query_params["q"] = wanted
shown = {term: entry for term, entry in TERMS.items()
         if not wanted or wanted in term.lower() or wanted in entry[1].lower()}
if not shown:
    st.info(f"No term mentions {wanted!r}.")
for area in dict.fromkeys(area for area, _ in shown.values()):
    st.markdown(f"#### {area}")
    for term, (term_area, explanation) in shown.items():
        if term_area == area:
            st.markdown(f"**{term}** — {explanation}")
