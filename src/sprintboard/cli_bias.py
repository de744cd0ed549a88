"""``sprintboard bias``: the bias check of one run's logged predictions, every number of it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sprintboard.analytics.bias import BiasSettings, check_bias
from sprintboard.analytics.bias_data import fairness_policy, guess_roles, prediction_frame, prediction_tables
from sprintboard.analytics.bias_metrics import BiasInputError
from sprintboard.cli import main, store_command
from sprintboard.cli_output import FORMATS, render_rows
from sprintboard.store import InputError, read_connection


def _band(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not two numbers like 0.8,1.25") from None
    return low, high


@main.command()
@click.option("--run", "run_id", required=True, help="The run whose logged predictions to check.")
@click.option("--table", "table_key", default=None,
              help="The logged table's key (default: the team's policy, else the run's only table).")
@click.option("--attribute", "attributes", default=None,
              help="Sensitive attribute columns, comma-separated (default: the policy's, else the text columns).")
@click.option("--label", default=None, help="Column of true labels (default: policy, else guessed by name).")
@click.option("--prediction", default=None, help="Column of predicted labels.")
@click.option("--score", default=None, help="Column of scores (AUC; predictions as score >= threshold).")
@click.option("--threshold", type=float, default=None, help="Score threshold (default 0.5).")
@click.option("--reference", default="largest", show_default=True,
              help="Reference group: largest, best, or a group name.")
@click.option("--band", "band_text", default=None, help="Acceptable ratios, low,high (default 0.8,1.25).")
@click.option("--min-group", "min_group", type=int, default=None, help="Fewest rows a judged value needs (30).")
@click.option("--resamples", type=int, default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the resampling.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", help="How to print it.")
@store_command
def bias(db_path: Path, run_id: str, table_key: str | None, attributes: str | None, label: str | None,
         prediction: str | None, score: str | None, threshold: float | None, reference: str, band_text: str | None,
         min_group: int | None, resamples: int, seed: int, fmt: str) -> None:
    """Check a run's logged predictions for disparities between groups: group metrics with bootstrap intervals,
    ratios and differences to a reference group, Fairlearn's summary measures, and a verdict per attribute and
    metric against the band (Pass, Fail, Inconclusive, Insufficient data)."""
    with read_connection(db_path) as con:
        policy = fairness_policy(con)
        tables = prediction_tables(con)
        logged = tables[tables["run_id"] == run_id]["table_key"].tolist()
        key = table_key or (policy.table_key if policy.table_key in logged else (logged[0] if len(logged) == 1
                                                                                  else None))
        if key is None or key not in logged:
            known = ", ".join(logged) or "none"
            raise InputError(db_path, f"run {run_id!r} has no logged table {key or '(choose one with --table)'} "
                                      f"(its tables: {known})")
        frame = prediction_frame(con, run_id, key)
    roles = guess_roles(frame, policy)
    if not (label or roles["label"]):
        raise InputError(db_path, f"run {run_id} table {key}: no column of true labels found; name it with --label")
    band = _band(band_text) or policy.band
    try:
        settings = BiasSettings(
            label=label or roles["label"], prediction=prediction or roles["prediction"],
            score=score or roles["score"], threshold=policy.threshold if threshold is None else threshold,
            attributes=tuple(attributes.split(",")) if attributes else tuple(roles["attributes"]),
            reference=reference, band=band, min_group_size=min_group or policy.min_group_size,
            resamples=resamples, seed=seed)
        report = check_bias(frame, settings)
    except (BiasInputError, ValueError, TypeError) as error:
        raise InputError(db_path, f"run {run_id} table {key}: {error}") from None
    if fmt == "json":
        click.echo(json.dumps({"run_id": run_id, "table": key, **report.to_json_dict()}, indent=2))
        return
    rows = report.verdicts.to_dict("records")
    click.echo(f"{run_id} {key}: {report.population} rows, {report.resamples} resamples, band "
               f"{band[0]:g}-{band[1]:g} (the four-fifths rule is a convention, not a legal test)")
    click.echo(render_rows(rows, ["attribute", "metric", "reference", "verdict", "reason"], fmt))
