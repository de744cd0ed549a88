"""The data-sources page shows what the store holds and where it came from."""

from __future__ import annotations

from sprintboard.store import read_connection
from sprintboard.store.queries import table_counts


def test_counts_and_the_ingest_log(app, demo_build):
    at = app("pages/data_sources.py")
    counts = at.dataframe[0].value
    with read_connection(demo_build["db"]) as con:
        expected = table_counts(con)
    assert dict(zip(counts["table"], counts["rows"], strict=True)) == expected
    formats = at.dataframe[1].value.set_index("format")
    assert formats.loc["wandb-run-folder", "sources"] == 17
    assert formats.loc["backlog-yaml", "sources"] == 1
    log = at.dataframe[2].value
    assert len(log) == 18 and set(log["status"]) == {"loaded"}
    assert not at.warning  # nothing was rejected
