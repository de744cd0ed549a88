"""Fixtures shared by the whole suite: an empty store, a backlog file, and one real demo store per session."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
ADULT_CSV = REPO / "data" / "demo" / "adult.csv"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Where a test's own store goes (not created yet)."""
    return tmp_path / "store.duckdb"


@pytest.fixture
def con():
    """An in-memory store with the real schema, for tests on hand-made rows."""
    from sprintboard.store.connection import apply_migrations

    connection = duckdb.connect(":memory:")
    apply_migrations(connection, Path(":memory:"))
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The real demo: models trained on UCI Adult, logged with wandb offline, loaded into a store -- built once per
    test run. With ``pytest -n`` the workers share one build: the first to take the lock builds it in the run's
    common temporary folder, the others wait for it. Tests never change it (``demo_store`` gives a copy)."""
    from sprintboard.demo.build import build_demo_store

    if "PYTEST_XDIST_WORKER" not in os.environ:
        root = tmp_path_factory.mktemp("demo")
    else:
        root = tmp_path_factory.getbasetemp().parent / "demo"
        root.mkdir(exist_ok=True)
    db = root / "demo.duckdb"
    with open(root / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not db.exists():
            build_demo_store(db, ADULT_CSV, root / "inputs")
    return {"db": db, "inputs": root / "inputs"}


@pytest.fixture
def demo_store(demo_build: dict, tmp_path: Path) -> Path:
    """A private copy of the demo store, so a test may change it."""
    copy = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_build["db"], copy)
    return copy


@pytest.fixture
def use_store(monkeypatch: pytest.MonkeyPatch):
    """Point the app (which reads $SPRINTBOARD_DB) at a given store."""

    def point_at(path: Path) -> Path:
        monkeypatch.setenv("SPRINTBOARD_DB", str(path))
        return path

    return point_at


@pytest.fixture(autouse=True)
def _no_network_for_wandb(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("SPRINTBOARD_DB", raising=False)
