"""Builds warehouses with the real zlbd binary for the DuckDB checks."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("ZLBD_BIN", REPO / "target/debug/zlbd")).resolve()
FIXED_MTIME = 1_643_000_000


def build(tmp: Path, source: Path) -> tuple[Path, int]:
    inbox = tmp / "inbox"
    inbox.mkdir()
    for path in source.iterdir():
        if path.is_file():
            target = inbox / path.name
            shutil.copyfile(path, target)
            os.utime(target, (FIXED_MTIME, FIXED_MTIME))
    warehouse = tmp / "warehouse"
    run = subprocess.run(
        [str(BIN), "run", "--pipeline", str(REPO / "pipelines/shandong"), "--inbox", str(inbox),
         "--warehouse", str(warehouse)],
        capture_output=True, text=True, check=False,
    )
    return warehouse, run.returncode


def connect(warehouse: Path):
    con = duckdb.connect()
    con.execute((warehouse / "views.sql").read_text(encoding="utf-8"))
    return con


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    warehouse, code = build(tmp_path_factory.mktemp("sample"), REPO / "sample_data")
    truth = json.loads((REPO / "sample_data/truth.json").read_text(encoding="utf-8"))
    return warehouse, code, truth


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory):
    shared = REPO / "tests/fixtures/shared"
    warehouse, code = build(tmp_path_factory.mktemp("fixtures"), shared / "inbox")
    return warehouse, code, shared / "truth.json"
