"""What analysts do: open DuckDB on views.sql and query the tables by name."""
import sys
from collections import Counter
from pathlib import Path

from conftest import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import check_truth  # noqa: E402

TABLES = ["submissions", "dim_entity", "dim_indicator", "fact_indicator", "fact_comparison",
          "entity_score", "entity_score_detail", "rejects", "corrections", "roster_status", "runs"]


def test_sample_run_publishes_with_rejects(sample):
    _, code, _ = sample
    assert code == 3


def test_every_table_is_readable_by_name(sample):
    warehouse, _, _ = sample
    con = connect(warehouse)
    for table in TABLES:
        (count,) = con.execute(f"select count(*) from {table}").fetchone()
        assert count > 0, table


def test_enterprises_with_valid_forms_are_counted(sample):
    warehouse, _, truth = sample
    con = connect(warehouse)
    (got,) = con.execute(
        "select count(distinct entity_id) from fact_indicator where level='enterprise'").fetchone()
    expected = {c["entity_id"] for c in truth["cells"]
                if c["level"] == "enterprise" and c["outcome"] == "fact"}
    assert got == len(expected)


def test_column_types_are_plain_sql_types(sample):
    warehouse, _, _ = sample
    con = connect(warehouse)
    types = dict(con.execute("select column_name, column_type from (describe fact_indicator)").fetchall())
    assert types["year"] == "INTEGER" and types["value"] == "DOUBLE" and types["is_derived"] == "BOOLEAN"
    types = dict(con.execute("select column_name, column_type from (describe submissions)").fetchall())
    assert types["filled_date"] == "DATE" and types["size_bytes"] == "BIGINT"
    types = dict(con.execute("select column_name, column_type from (describe runs)").fetchall())
    assert types["started_at"] == "TIMESTAMP WITH TIME ZONE"


def test_submission_counts_add_up_to_the_cells_written(sample):
    warehouse, _, truth = sample
    con = connect(warehouse)
    cells = Counter(c["file"] for c in truth["cells"])
    rows = con.execute(
        "select source_file, cells_loaded + cells_superseded + cells_rejected + cells_missing "
        "from submissions where status in ('active', 'superseded')").fetchall()
    assert len(rows) > 190
    for source_file, total in rows:
        assert total == cells[source_file], source_file
    (loaded,) = con.execute("select sum(cells_loaded) from submissions").fetchone()
    (facts,) = con.execute("select count(*) from fact_indicator where not is_derived").fetchone()
    assert loaded == facts


def test_sample_truth_through_duckdb(sample, capsys):
    warehouse, _, _ = sample
    root = Path(__file__).resolve().parents[2]
    assert check_truth.main(str(warehouse), str(root / "sample_data/truth.json")) == 0


def test_fixture_truth_through_duckdb(fixtures):
    warehouse, code, truth = fixtures
    assert code == 3
    assert check_truth.main(str(warehouse), str(truth)) == 0
