//! `views.sql`: one DuckDB view per table over one fixed snapshot.
//!
//! Views name the files of one snapshot explicitly (`read_parquet([...])`), never a path through
//! `current` and never a glob, so a query reads exactly one snapshot even while a publish
//! switches `current`, and a folder name with `[`, `]`, `*` or `?` is not taken for a pattern.
//!
//! Two renderings of the same views ([`views_sql`] is the one place that writes them):
//! - [`PathStyle::InWarehouse`] (the `views.sql` file): paths relative to the warehouse folder,
//!   so a copied or moved folder reads its own files when DuckDB runs in it
//!   (`cd warehouse && duckdb -init views.sql`). DuckDB resolves a relative path against its
//!   working folder first and then against `file_search_path`, which the file sets to the folder
//!   zlbd wrote it in: `duckdb -init /srv/warehouse/views.sql` also works from any folder as long
//!   as the warehouse has not moved.
//! - [`PathStyle::Absolute`] (`zlbd views --warehouse DIR`): absolute paths of wherever the folder
//!   is now, escaped for SQL and for DuckDB's glob syntax.

use super::{bi, io, runs, schema, snapshot, WarehouseError, VIEWS};
use crate::domain::columns as c;
use std::fs;
use std::path::{Path, PathBuf};

/// How `views.sql` names files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStyle {
    /// Relative to the warehouse folder (with a `file_search_path` fallback to where it was
    /// written).
    InWarehouse,
    /// Absolute paths of the folder as it is now.
    Absolute,
}

/// The line that names the snapshot a views.sql reads (retention never deletes it).
pub const SNAPSHOT_LINE: &str = "-- snapshot: ";

/// A SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A path as DuckDB's `read_parquet` takes it literally: `[`, `*` and `?` are glob syntax in
/// DuckDB, each one is matched by a one-character class (`[[]`, `[*]`, `[?]`).
pub fn glob_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for ch in path.chars() {
        match ch {
            '[' | '*' | '?' => {
                out.push('[');
                out.push(ch);
                out.push(']');
            }
            _ => out.push(ch),
        }
    }
    out
}

/// The SQL text of the views over one snapshot folder (`<warehouse>/snapshots/<run_id>`).
pub fn views_sql(snapshot: &Path, style: PathStyle) -> Result<String, WarehouseError> {
    let snapshot = match style {
        PathStyle::Absolute => fs::canonicalize(snapshot).map_err(io("resolve", snapshot))?,
        PathStyle::InWarehouse => snapshot.to_path_buf(),
    };
    let run_id = snapshot
        .file_name()
        .map(|name| name.to_string_lossy().to_string())
        .ok_or_else(|| WarehouseError::NoSnapshot(snapshot.display().to_string()))?;
    let warehouse: PathBuf = snapshot
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    snapshot::verify(&snapshot, false).map_err(|problem| WarehouseError::Incomplete {
        run_id: run_id.clone(),
        problem: problem.0,
    })?;
    // How a file of the warehouse is named in SQL.
    let name = |relative: &str| -> String {
        match style {
            PathStyle::InWarehouse => literal(&glob_escape(relative)),
            PathStyle::Absolute => {
                literal(&glob_escape(&format!("{}/{relative}", warehouse.display())))
            }
        }
    };
    let mut sql = String::new();
    sql.push_str(&format!(
        "-- zlbd warehouse views: one view per table over one fixed snapshot.\n{SNAPSHOT_LINE}{run_id}\n"
    ));
    match style {
        PathStyle::InWarehouse => {
            sql.push_str(
                "-- Open it from the warehouse folder: cd <warehouse> && duckdb -init views.sql\n\
                 -- (or .read views.sql). Paths are relative to the warehouse folder, so a copied or\n\
                 -- moved folder reads its own files. From any other folder, `zlbd views --warehouse DIR`\n\
                 -- prints these views with absolute paths; file_search_path below lets DuckDB started\n\
                 -- elsewhere find the files of the folder zlbd wrote this file in.\n",
            );
            let root = fs::canonicalize(&warehouse).unwrap_or_else(|_| warehouse.clone());
            let root = root.display().to_string();
            if root.contains(',') {
                sql.push_str("-- (no file_search_path: the folder name contains a comma)\n");
            } else {
                sql.push_str(&format!("SET file_search_path = {};\n", literal(&root)));
            }
        }
        PathStyle::Absolute => {
            sql.push_str(&format!(
                "-- Written by `zlbd views` for the warehouse at {}\n",
                warehouse.display().to_string().replace('\n', " ")
            ));
        }
    }
    for table in c::TABLES {
        let files = snapshot::table_files(&snapshot, table);
        let list = files
            .iter()
            .map(|file| name(&format!("{}/{run_id}/{file}", super::SNAPSHOTS)))
            .collect::<Vec<_>>()
            .join(", ");
        // A snapshot written before SPEC v2 keeps fact_indicator in `year=YYYY` folders (and an
        // empty table as `year=0`): its year comes from the folder name.
        let hive = files
            .iter()
            .any(|file| file.split('/').any(|part| part.starts_with("year=")));
        if hive {
            let columns: Vec<String> = schema::schema(table)
                .map(|schema| {
                    schema
                        .fields()
                        .iter()
                        .map(|field| match field.name().as_str() {
                            c::YEAR => "CAST(year AS INTEGER) AS year".to_string(),
                            name => name.to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            sql.push_str(&format!(
                "CREATE OR REPLACE VIEW {table} AS SELECT {} FROM read_parquet([{list}], hive_partitioning = true) WHERE year <> 0;\n",
                columns.join(", ")
            ));
        } else {
            sql.push_str(&format!(
                "CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet([{list}]);\n"
            ));
        }
    }
    sql.push_str(&format!(
        "CREATE OR REPLACE VIEW runs AS SELECT * FROM read_parquet({});\n",
        name(runs::RUNS_FILE)
    ));
    // The data dictionary on every view and column, then the views for BI tools (issue 13).
    sql.push_str("-- What every view and column means (the same text as docs/tables.md).\n");
    for table in c::TABLES.iter().copied().chain([runs::RUNS_TABLE]) {
        sql.push_str(&bi::table_comments_sql(table));
    }
    sql.push_str(&bi::bi_views_sql());
    Ok(sql)
}

/// The snapshot a views.sql text reads.
pub fn named_snapshot(sql: &str) -> Option<String> {
    sql.lines()
        .find_map(|line| line.strip_prefix(SNAPSHOT_LINE))
        .map(|run_id| run_id.trim().to_string())
}

/// The snapshot the warehouse's views.sql reads now, if any.
pub fn views_snapshot(warehouse: &Path) -> Option<String> {
    named_snapshot(&fs::read_to_string(warehouse.join(VIEWS)).ok()?)
}

/// Writes `views.sql` for a snapshot: to a temporary file beside it, fsynced, then renamed over
/// the old one, so a reader never loads half a file. `tag` names the temporary file.
pub fn write_views(warehouse: &Path, run_id: &str, tag: &str) -> Result<(), WarehouseError> {
    let path = warehouse.join(VIEWS);
    let sql = views_sql(&snapshot::dir(warehouse, run_id), PathStyle::InWarehouse)?;
    if fs::read_to_string(&path).ok().as_deref() == Some(sql.as_str()) {
        return Ok(());
    }
    if crate::failpoint::active("views-fails") {
        return Err(WarehouseError::Injected("views-fails"));
    }
    let staging = warehouse.join(format!(".views-{tag}.sql"));
    let mut file = fs::File::create(&staging).map_err(io("create", &staging))?;
    std::io::Write::write_all(&mut file, sql.as_bytes()).map_err(io("write", &staging))?;
    file.sync_all().map_err(io("sync", &staging))?;
    fs::rename(&staging, &path).map_err(io("rename", &staging))?;
    super::sync_dir(warehouse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_characters_are_escaped_and_quotes_doubled() {
        assert_eq!(glob_escape("/a [b]/c*d?e"), "/a [[]b]/c[*]d[?]e");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(glob_escape("数据 仓库"), "数据 仓库");
    }

    #[test]
    fn the_named_snapshot_is_found() {
        let sql = format!("-- x\n{SNAPSHOT_LINE}20260101T000000000000Z\nSELECT 1;\n");
        assert_eq!(
            named_snapshot(&sql).as_deref(),
            Some("20260101T000000000000Z")
        );
        assert_eq!(named_snapshot("SELECT 1;"), None);
    }
}
