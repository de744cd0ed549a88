"""``make bench``: run every benchmark and print its figures (docs/performance.md records them)."""

from bench import csv_ingest, metric_page, project_suite, wandb_ingest

print(wandb_ingest.report(wandb_ingest.measure()))
print(csv_ingest.report(csv_ingest.measure()))
print(metric_page.report(metric_page.measure()))  # builds bench/out/metrics-*.duckdb on first use
for size in ("small", "medium"):  # builds bench/out/project-<size>/ on first use; large: python -m bench.project_suite
    print(project_suite.report(project_suite.measure(size)), flush=True)
