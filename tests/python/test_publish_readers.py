"""SPEC v2 §8 "no torn reads": DuckDB sessions query while runs publish back to back.

Two inboxes (the fixtures, and the fixtures without one file) are published alternately, at
least 50 times, into one warehouse while two readers query in a loop:
- a session that ran views.sql once, before the publishes: it keeps answering from the snapshot
  it loaded (retention must not pull the files from under it);
- a session that re-reads views.sql before every query, as a dashboard that reconnects does.
Every answer must be one whole snapshot's (a pair of counts that belongs to one of the two
inboxes) and no query may fail.
"""
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import duckdb

from conftest import BIN, FIXED_MTIME, REPO

PUBLISHES = 50
QUERY = """
select (select count(*) from fact_indicator),
       (select count(*) from submissions),
       (select count(*) from rejects),
       (select round(sum(value), 6) from fact_indicator)
"""


def make_inbox(path: Path, leave_out=()):
    path.mkdir()
    for source in (REPO / "tests/fixtures/shared/inbox").iterdir():
        if source.is_file() and source.name not in leave_out:
            shutil.copyfile(source, path / source.name)
            os.utime(path / source.name, (FIXED_MTIME, FIXED_MTIME))


def publish(inbox: Path, warehouse: Path):
    run = subprocess.run(
        [str(BIN), "run", "--pipeline", str(REPO / "pipelines/shandong"), "--inbox", str(inbox),
         "--warehouse", str(warehouse), "--quiet"],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 3, run.stderr
    return run


def answer(con):
    return tuple(con.execute(QUERY).fetchone())


def views(warehouse: Path) -> str:
    return (warehouse / "views.sql").read_text(encoding="utf-8")


def test_readers_never_see_a_torn_snapshot_during_50_publishes(tmp_path):
    inbox_a, inbox_b = tmp_path / "a", tmp_path / "b"
    make_inbox(inbox_a)
    make_inbox(inbox_b, leave_out=("park_p03.ods",))
    warehouse = tmp_path / "warehouse"

    publish(inbox_a, warehouse)
    con = duckdb.connect()
    con.execute(views(warehouse))
    expected_a = answer(con)
    publish(inbox_b, warehouse)
    con = duckdb.connect()
    con.execute(views(warehouse))
    expected_b = answer(con)
    assert expected_a != expected_b
    possible = {expected_a, expected_b}

    # One thread each: the two shared cores are for the publishes.
    pinned = duckdb.connect(config={"threads": 1})
    pinned.execute(views(warehouse))  # once: it reads inbox B's snapshot from now on
    stop = threading.Event()
    results = {"pinned": [], "reloading": []}
    errors = []

    def pinned_reader():
        while not stop.is_set():
            try:
                results["pinned"].append(answer(pinned))
            except Exception as error:  # noqa: BLE001 - every failure is a finding
                errors.append(f"pinned: {error}")
            time.sleep(0.002)

    def reloading_reader():
        con = duckdb.connect(config={"threads": 1})
        while not stop.is_set():
            try:
                con.execute(views(warehouse))
                results["reloading"].append(answer(con))
            except Exception as error:  # noqa: BLE001
                errors.append(f"reloading: {error}")
            time.sleep(0.002)

    threads = [threading.Thread(target=pinned_reader), threading.Thread(target=reloading_reader)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    try:
        for index in range(PUBLISHES):
            publish(inbox_a if index % 2 == 0 else inbox_b, warehouse)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    elapsed = time.monotonic() - started

    assert not errors, errors[:5]
    assert len(results["pinned"]) >= PUBLISHES, len(results["pinned"])
    assert len(results["reloading"]) >= PUBLISHES, len(results["reloading"])
    assert set(results["pinned"]) == {expected_b}, set(results["pinned"])
    assert set(results["reloading"]) <= possible, set(results["reloading"]) - possible
    # The reloading reader saw both inboxes: the publishes really happened under it.
    assert set(results["reloading"]) == possible
    # Every publish was distinct from current: 52 snapshots, each complete.
    listed = subprocess.run([str(BIN), "snapshots", "--warehouse", str(warehouse)],
                            capture_output=True, text=True, check=True).stdout
    assert listed.count("complete") == PUBLISHES + 2, listed
    assert elapsed < 120, elapsed
