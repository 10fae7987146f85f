"""SPEC v2 §8 "relocatable": a copied or moved warehouse, opened the README's way, reads its
own data, also under a path with spaces, quotes, brackets, `*` and CJK characters.

The README's two ways: `cd <warehouse> && duckdb -init views.sql` (views.sql names files
relative to the warehouse folder), and from anywhere `zlbd views --warehouse DIR`, which prints
the views with the folder's absolute paths, escaped for SQL and DuckDB globs.
"""
import os
import shutil
import subprocess
from pathlib import Path

import duckdb

from conftest import BIN, FIXED_MTIME, REPO

STRANGE = "数据 [副本] it's *"


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


def counts(con):
    return con.execute(
        "select (select count(*) from fact_indicator), (select count(*) from submissions), "
        "(select count(*) from runs)").fetchone()


def open_in_folder(warehouse: Path, monkeypatch):
    """cd <warehouse> && duckdb -init views.sql"""
    monkeypatch.chdir(warehouse)
    con = duckdb.connect()
    con.execute(Path("views.sql").read_text(encoding="utf-8"))
    return con


def open_with_zlbd_views(warehouse: Path, monkeypatch, tmp_path: Path):
    """From any folder: the SQL of `zlbd views --warehouse DIR`."""
    monkeypatch.chdir(tmp_path)
    sql = subprocess.run([str(BIN), "views", "--warehouse", str(warehouse)],
                         capture_output=True, text=True, check=True).stdout
    con = duckdb.connect()
    con.execute(sql)
    return con


def test_a_copied_and_then_moved_warehouse_reads_its_own_data(tmp_path, monkeypatch):
    inbox_a, inbox_b = tmp_path / "a", tmp_path / "b"
    make_inbox(inbox_a)
    make_inbox(inbox_b, leave_out=("park_p03.ods",))
    original = tmp_path / "warehouse"
    publish(inbox_a, original)
    con = duckdb.connect()
    con.execute((original / "views.sql").read_text(encoding="utf-8"))
    facts_a, submissions_a, _ = counts(con)
    snapshot_a = os.readlink(original / "current")

    copy = tmp_path / STRANGE / "仓库 [1]"
    copy.parent.mkdir()
    shutil.copytree(original, copy, symlinks=True)
    # The original moves on: a different inbox, and its old snapshot goes (as retention will),
    # so a copy that still read the original's files would fail or count B's rows.
    publish(inbox_b, original)
    shutil.rmtree(original / snapshot_a)
    con = duckdb.connect()
    con.execute((original / "views.sql").read_text(encoding="utf-8"))
    facts_b, submissions_b, _ = counts(con)
    assert (facts_b, submissions_b) != (facts_a, submissions_a)

    for opener in (open_in_folder, open_with_zlbd_views):
        args = (copy, monkeypatch) if opener is open_in_folder else (copy, monkeypatch, tmp_path)
        con = opener(*args)
        facts, submissions, runs = counts(con)
        assert (facts, submissions) == (facts_a, submissions_a), opener.__name__
        assert runs == 1, "the copy's own runs log"

    # Moved (the copy renamed somewhere else): still its own data, both ways.
    moved = tmp_path / STRANGE / "搬走的 'wh' *"
    copy.rename(moved)
    for opener in (open_in_folder, open_with_zlbd_views):
        args = (moved, monkeypatch) if opener is open_in_folder else (moved, monkeypatch, tmp_path)
        con = opener(*args)
        assert counts(con)[:2] == (facts_a, submissions_a), opener.__name__

    # The moved warehouse takes a new publish like any other: views.sql follows it.
    publish(inbox_b, moved)
    con = open_in_folder(moved, monkeypatch)
    assert counts(con)[:2] == (facts_b, submissions_b)
