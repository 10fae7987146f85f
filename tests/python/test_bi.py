"""The warehouse as analysts and BI tools use it (issue 13): every table and view reads with
its declared types in DuckDB, pyarrow and polars; every view and column has a comment; the BI
views join on one column; the README's five analyst queries return rows."""
import re
from pathlib import Path

import polars
import pyarrow.parquet as pq

from conftest import REPO, connect

TABLES = ["submissions", "dim_entity", "dim_indicator", "fact_indicator", "fact_comparison",
          "entity_score", "entity_score_detail", "rejects", "corrections", "roster_status"]
BI_VIEWS = ["bi_entity", "bi_indicator", "bi_fact", "bi_comparison", "bi_score", "bi_rejects"]


def snapshot(warehouse: Path) -> Path:
    return (warehouse / "current").resolve()


def test_every_table_reads_with_plain_types_in_pyarrow_and_polars(sample):
    warehouse, _, _ = sample
    con = connect(warehouse)
    for table in TABLES:
        files = sorted((snapshot(warehouse) / table).glob("*.parquet"))
        assert files, table
        arrow = pq.read_table(files[0])
        for field in arrow.schema:
            kind = str(field.type)
            assert not kind.startswith(("uint", "dictionary", "string_view", "large")), (table, field)
        frame = polars.read_parquet(files[0])
        duck = [row[0] for row in con.execute(f"describe {table}").fetchall()]
        assert frame.columns == arrow.schema.names == duck, table
        assert frame.height == con.execute(f"select count(*) from {table}").fetchone()[0]


def test_year_is_a_column_of_fact_indicator_with_the_same_values(sample):
    warehouse, _, _ = sample
    con = connect(warehouse)
    files = sorted((snapshot(warehouse) / "fact_indicator").glob("*.parquet"))
    assert [p.name for p in files] == ["part-0.parquet"], "no hive folders"
    years = polars.read_parquet(files[0])["year"]
    assert str(years.dtype) == "Int32"
    assert sorted(set(years.to_list())) == [2019, 2020, 2021]
    by_year = dict(con.execute("select year, count(*) from fact_indicator group by 1").fetchall())
    assert by_year == dict(zip(*polars.DataFrame({"y": years}).group_by("y").len().sort("y").to_dict(as_series=False).values()))
    # One row group per year: readers prune years from statistics.
    meta = pq.ParquetFile(files[0]).metadata
    assert meta.num_row_groups == 3


def test_every_view_and_column_has_a_comment(sample):
    warehouse, _, _ = sample
    con = connect(warehouse)
    for view in TABLES + ["runs"] + BI_VIEWS:
        (comment,) = con.execute(
            "select comment from duckdb_views() where view_name = ?", [view]).fetchone()
        assert comment and " / " in comment, view
        missing = con.execute(
            "select column_name from duckdb_columns() where table_name = ? "
            "and (comment is null or comment = '')", [view]).fetchall()
        assert not missing, (view, missing)


def test_bi_views_join_on_one_column_and_carry_names(sample):
    warehouse, _, _ = sample
    con = connect(warehouse)
    facts, bi = con.execute(
        "select (select count(*) from fact_indicator), (select count(*) from bi_fact)").fetchone()
    assert facts == bi
    (unmatched,) = con.execute(
        "select count(*) from bi_fact f left join bi_entity e using (entity_key) "
        "where e.entity_key is null").fetchone()
    assert unmatched == 0
    (nameless,) = con.execute(
        "select count(*) from bi_fact where entity_name is null or indicator_name is null").fetchone()
    assert nameless == 0
    # An enterprise's fact and comparison rows carry its industry (SPEC v2 §8: entity, city,
    # industry and indicator), the same as its dim_entity row.
    for view in ["bi_fact", "bi_comparison", "bi_score"]:
        (industry, differ) = con.execute(
            f"select count(v.industry_code), count(*) filter "
            f"(where v.industry_code is distinct from d.industry_code) from {view} v "
            f"join dim_entity d on d.level = v.level and d.entity_id = v.entity_id "
            f"where v.level = 'enterprise'").fetchone()
        assert industry > 0 and differ == 0, (view, industry, differ)


def test_the_data_dictionary_lists_every_bi_view_and_what_it_adds(sample):
    warehouse, _, _ = sample
    dictionary = (REPO / "docs/tables.md").read_text(encoding="utf-8")
    con = connect(warehouse)
    for view in BI_VIEWS:
        assert f"## `{view}`" in dictionary, view
        section = dictionary.split(f"## `{view}`", 1)[1].split("\n## ", 1)[0]
        (base,) = re.search(r"every column of `(\w+)`", section).groups()
        base_columns = {row[0] for row in con.execute(f"describe {base}").fetchall()}
        added = {row[0] for row in con.execute(f"describe {view}").fetchall()} - base_columns
        listed = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
        assert added <= listed, (view, added - listed)


def test_the_readmes_five_analyst_queries_return_rows(sample):
    warehouse, _, _ = sample
    con = connect(warehouse)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    queries = re.findall(r"```sql analyst-(\d)\n(.*?)```", readme, re.S)
    assert [number for number, _ in queries] == ["1", "2", "3", "4", "5"]
    for number, sql in queries:
        rows = con.execute(sql).fetchall()
        assert rows, f"query {number} returned no rows"


def test_the_readmes_bi_database_opens_from_any_folder(sample, tmp_path, monkeypatch):
    """README "Connecting a BI tool": a database file made from `zlbd views` keeps working when
    a BI tool opens it from another folder (views.sql's own paths are relative to the
    warehouse, and the search path it sets is not kept in the file)."""
    import subprocess

    import duckdb

    from conftest import BIN

    warehouse, _, truth = sample
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "zlbd views --warehouse /data/warehouse | duckdb /data/analysis.duckdb" in readme
    views = subprocess.run([str(BIN), "views", "--warehouse", str(warehouse)],
                           capture_output=True, text=True, check=True).stdout
    database = tmp_path / "analysis.duckdb"
    con = duckdb.connect(str(database))
    con.execute(views)
    con.close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    con = duckdb.connect(str(database), read_only=True)
    facts = con.execute("select count(*) from fact_indicator where not is_derived").fetchone()[0]
    assert facts == sum(1 for cell in truth["cells"] if cell["outcome"] == "fact")
    assert con.execute("select count(*) from bi_score").fetchone()[0] > 0
