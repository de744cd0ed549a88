"""``make bench``: run every benchmark and print its figures (docs/performance.md records them)."""

from bench import csv_ingest, metric_page, wandb_ingest

print(wandb_ingest.report(wandb_ingest.measure()))
print(csv_ingest.report(csv_ingest.measure()))
print(metric_page.report(metric_page.measure()))  # builds bench/out/metrics-*.duckdb on first use
