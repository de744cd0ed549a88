"""``make bench``: run every benchmark and print its figures (docs/performance.md records them)."""

from bench import wandb_ingest

print(wandb_ingest.report(wandb_ingest.measure()))
