"""`sprintboard ingest --summary-from COLUMN` and `--run ID`, as a user types them."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from sprintboard.cli import main
from sprintboard.store import read_connection

FIXTURES = Path(__file__).parents[1] / "fixtures"
ATOFFANO = FIXTURES / "wandb_exports" / "runs_table" / "atoffano__KGene2Pheno__wandb.csv"
TABLE = (FIXTURES / "wandb" / "offline-run-20261123_091246-ira2n5hh" / "files" / "media" / "table" / "eval"
         / "preds_5_b0f3e2adeccd5d50ad9f.table.json")


def _ingest(store: Path, *args: str):
    return CliRunner().invoke(main, ["ingest", "--db", str(store), *args])


def _config_keys(store: Path, run_id: str) -> list[str]:
    with read_connection(store) as con:
        rows = con.execute("SELECT key FROM run_config WHERE run_id = ? ORDER BY key", [run_id]).fetchall()
    return [key for (key,) in rows]


def test_summary_from_splits_a_hand_ordered_runs_table(store_path):
    guessed = _ingest(store_path, str(ATOFFANO))
    assert guessed.exit_code == 0, guessed.output
    assert "all 34 columns were loaded as summary; name the first summary column with --summary-from" in guessed.stderr
    assert _config_keys(store_path, "name:silvery-sun-3") == []

    split = _ingest(store_path, "--summary-from", "Hit@10", str(ATOFFANO))
    assert split.exit_code == 0, split.output
    assert "1 loaded, 0 unchanged, 0 rejected: 111 runs" in split.stdout and "--summary-from" not in split.stderr
    keys = _config_keys(store_path, "name:silvery-sun-3")
    assert len(keys) == 22 and keys[:3] == ["Hit@1", "batch_size", "dataset"] and "weight_decay" in keys


def test_an_unknown_summary_from_column_rejects_the_file(store_path):
    result = _ingest(store_path, "--summary-from", "Hit@11", str(ATOFFANO))
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        f"sprintboard: rejected: {ATOFFANO}: --summary-from 'Hit@11' is not one of the file's config or summary "
        "columns")


def test_run_names_the_run_of_a_loose_table_file(tmp_path, store_path):
    loose = Path(shutil.copy(TABLE, tmp_path / TABLE.name))
    refused = _ingest(store_path, str(loose))
    assert refused.exit_code == 2
    assert f"sprintboard: rejected: {loose}: the run that logged this table cannot be told" in refused.stderr
    assert "name it with --run ID" in refused.stderr

    loaded = _ingest(store_path, "--run", "ira2n5hh", str(loose))
    assert loaded.exit_code == 0, loaded.output
    assert "1 runs, 0 history points, 2 table rows" in loaded.stdout
    with read_connection(store_path) as con:
        assert con.execute("SELECT DISTINCT run_id, table_key, step FROM predictions").fetchall() == [
            ("ira2n5hh", "preds", 5)]
