"""W&B CSV exports, history dumps and table files through the ingest driver into a real store."""

from __future__ import annotations

import shutil
from pathlib import Path

from sprintboard.demo.backlog import write_backlog
from sprintboard.ingest.detect import IngestOptions
from sprintboard.ingest.driver import ingest_paths
from sprintboard.store import read_connection
from sprintboard.store.queries import table_counts

FIXTURES = Path(__file__).parents[1] / "fixtures"
EXPORTS = FIXTURES / "wandb_exports"
LUCAS_RUNS = EXPORTS / "runs_table" / "Lucas-longxutang__Comp3242_Group_Project_nanoGPT__wandb_export.csv"
KINGB12_RUNS = EXPORTS / "runs_table" / "kingb12__text_aug_experiments__wandb_export.csv"
NANOGPT_CHART = EXPORTS / "chart_export" / "druidowm__nanoGPT__wandb_export.csv"
NANOGPT_DUMP = (EXPORTS / "api_dump"
                / "Lucas-longxutang__Comp3242_Group_Project_nanoGPT__A1_no_pos_encoding_2y053857_history.csv")
RUN_FOLDER = FIXTURES / "wandb" / "offline-run-20261123_091246-ira2n5hh"
TABLE = RUN_FOLDER / "files" / "media" / "table" / "eval" / "preds_5_b0f3e2adeccd5d50ad9f.table.json"


def _data_counts(store: Path) -> dict[str, int]:
    with read_connection(store) as con:
        return {table: count for table, count in table_counts(con).items() if table != "ingest_log"}


def _query(store: Path, sql: str, params: list | None = None) -> list[tuple]:
    with read_connection(store) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_export_loads_into_its_tables_and_loading_again_changes_nothing(store_path):
    inputs = [LUCAS_RUNS, KINGB12_RUNS, NANOGPT_CHART, NANOGPT_DUMP, TABLE]
    report = ingest_paths(store_path, inputs)
    assert [(o.format, o.status) for o in report.outcomes] == [
        ("wandb-runs-csv", "loaded"), ("wandb-runs-csv", "loaded"), ("wandb-chart-csv", "loaded"),
        ("wandb-history-csv", "loaded"), ("wandb-table-json", "loaded")]
    assert [o.counts.runs for o in report.outcomes] == [64, 5, 8, 1, 1]
    counts = _data_counts(store_path)
    assert counts["runs"] == 64 + 5 + 8 + 1 + 1
    assert counts["run_config"] == 64 * 30  # kingb12's columns are all summary: its fixed columns were rearranged
    assert counts["run_summary"] == 64 * 5 + 5 * 53
    assert counts["history"] == 1184 + 1087  # the chart's 8 runs, then the dump's points
    assert counts["predictions"] == 4  # 2 rows x 2 columns

    row = _query(store_path, """SELECT state, created_at::VARCHAR, runtime_s, tags, source_path FROM runs
                                WHERE run_id = 'name:G1_ternary_weights@2026-05-25T14:08:33Z'""")
    assert row == [("finished", "2026-05-25 14:08:33", 732.0, ["full"], str(LUCAS_RUNS))]
    assert _query(store_path, "SELECT value_json, value_num FROM run_summary WHERE run_id = '3p0donj4' "
                              "AND key = 'train/aug_on_aug_test_accuracy'") == [("0.6556", 0.6556)]
    dump = _query(store_path, "SELECT timestamp::VARCHAR, runtime_s, value_num FROM history WHERE run_id = ? "
                              "AND key = 'val/loss' AND step = 0", [NANOGPT_DUMP.stem])
    assert dump == [("2026-05-24 06:01:38.305367", 19.1196642, 4.208611965179443)]
    assert _query(store_path, "SELECT state FROM runs WHERE run_id IN ('name:gpt2', 'ira2n5hh')") == [
        ("unknown",), ("unknown",)]

    again = ingest_paths(store_path, inputs)
    assert [o.status for o in again.outcomes] == ["unchanged"] * 5
    assert _data_counts(store_path) == counts


def test_a_chart_loaded_after_a_runs_table_keeps_the_table_s_config_and_summary(tmp_path, store_path):
    runs_table = tmp_path / "runs.csv"
    runs_table.write_text('"Name","State","Notes","User","Tags","Created","Runtime","Sweep","lr","seed","iter",'
                          '"train/loss"\n"gpt2","finished","baseline","me","a, b","2024-10-22T10:00:00.000Z","925",'
                          '"","0.0006","1337","2400","3.28"\n')
    ingest_paths(store_path, [runs_table])
    before = _query(store_path, "SELECT * EXCLUDE (loaded_at) FROM runs WHERE run_id = 'name:gpt2'")
    assert before[0][3:5] == ("gpt2", "finished")

    report = ingest_paths(store_path, [NANOGPT_CHART])
    assert report.outcomes[0].status == "loaded"
    assert _query(store_path, "SELECT * EXCLUDE (loaded_at) FROM runs WHERE run_id = 'name:gpt2'") == before
    assert _query(store_path, "SELECT key, value_num FROM run_config WHERE run_id = 'name:gpt2' ORDER BY key") == [
        ("lr", 0.0006), ("seed", 1337)]
    assert _query(store_path, "SELECT key, value_num FROM run_summary WHERE run_id = 'name:gpt2' ORDER BY key") == [
        ("iter", 2400), ("train/loss", 3.28)]
    assert _query(store_path, "SELECT count(*), min(step), max(step) FROM history WHERE run_id = 'name:gpt2'") == [
        (386, 0, 385)]

    # and the other way round: the table's fields replace the bare row, the chart's history stays
    runs_table.write_text(runs_table.read_text().replace("925", "926"))
    ingest_paths(store_path, [runs_table])
    assert _query(store_path, "SELECT runtime_s, notes, tags FROM runs WHERE run_id = 'name:gpt2'") == [
        (926.0, "baseline", ["a", "b"])]
    assert _query(store_path, "SELECT count(*) FROM history WHERE run_id = 'name:gpt2'") == [(386,)]


def test_malformed_csv_files_are_rejected_in_one_line_and_change_nothing(tmp_path, store_path):
    ingest_paths(store_path, [LUCAS_RUNS])
    before = _data_counts(store_path)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(LUCAS_RUNS.read_text().replace('"full","2026-05-25T13:43:10.000Z"', '"full","x","2026"', 1))
    twice = tmp_path / "twice.csv"
    twice.write_text('"Step","a - loss","a - loss"\n"0","1","2"\n')
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("city,population\nLyon,522000\n")
    report = ingest_paths(store_path, [ragged, twice, unknown])
    errors = {Path(o.path).name: (o.status, o.error) for o in report.outcomes}
    assert errors["ragged.csv"] == ("rejected", "line 3 has 44 values where the header has 43 columns")
    assert errors["twice.csv"] == ("rejected", "column 'a - loss' appears more than once in the header")
    status, message = errors["unknown.csv"]
    assert status == "rejected" and message.startswith("is not a format Sprintboard reads")
    assert "runs table, a chart panel or a run's history" in message and "\n" not in message
    assert _data_counts(store_path) == before


def test_exports_are_recognised_by_content_with_a_bom_and_crlf_whatever_their_name(tmp_path, store_path):
    renamed = tmp_path / "notes.txt"
    renamed.write_bytes(b"\xef\xbb\xbf" + KINGB12_RUNS.read_bytes().replace(b"\n", b"\r\n"))
    report = ingest_paths(store_path, [renamed])
    assert (report.outcomes[0].format, report.outcomes[0].counts.runs) == ("wandb-runs-csv", 5)
    assert _query(store_path, "SELECT name FROM runs WHERE run_id = 'mw9vrozk'") == [("bert_substitute_10",)]


def test_options_reach_their_formats_and_a_new_option_value_loads_the_file_again(store_path):
    ingest_paths(store_path, [NANOGPT_DUMP])
    report = ingest_paths(store_path, [NANOGPT_DUMP], options=IngestOptions(run_id="2y053857"))
    assert report.outcomes[0].status == "loaded"
    assert _query(store_path, "SELECT count(*) FROM history WHERE run_id = '2y053857'") == [(1087,)]

    guessed = ingest_paths(store_path, [KINGB12_RUNS])
    assert "--summary-from" in guessed.outcomes[0].warnings[0]
    first_summary = IngestOptions(summary_from="train/aug_on_aug_test_accuracy")
    split = ingest_paths(store_path, [KINGB12_RUNS], options=first_summary)
    assert (split.outcomes[0].status, split.outcomes[0].warnings) == ("loaded", [])
    assert _query(store_path, "SELECT key FROM run_config WHERE run_id = '3p0donj4' ORDER BY key") == [
        ("augment_probability",), ("logging_dir",), ("output_dir",), ("path_to_aug_model",), ("run_name",)]


def test_a_run_folder_and_one_of_its_table_files_store_the_table_once(tmp_path, store_path):
    wandb_dir = tmp_path / "wandb"
    shutil.copytree(RUN_FOLDER, wandb_dir / RUN_FOLDER.name)
    copied_table = wandb_dir / TABLE.relative_to(RUN_FOLDER.parent)
    report = ingest_paths(store_path, [wandb_dir, copied_table])
    assert [o.format for o in report.outcomes] == ["wandb-run-folder", "wandb-table-json"]
    assert _query(store_path, "SELECT count(*), count(DISTINCT row_index) FROM predictions") == [(4, 2)]
    assert _query(store_path, "SELECT state FROM runs WHERE run_id = 'ira2n5hh'") == [("finished",)]


def test_a_backlog_whose_first_line_reads_like_a_chart_header_is_still_a_backlog(tmp_path, store_path):
    backlog = write_backlog(tmp_path / "backlog.yaml")
    backlog.write_text("# Plan, Sprint 1 - Baseline\n" + backlog.read_text())
    report = ingest_paths(store_path, [backlog])
    assert [(o.format, o.status) for o in report.outcomes] == [("backlog-yaml", "loaded")]
