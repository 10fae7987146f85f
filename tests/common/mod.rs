//! Shared helpers for integration tests: a temp work dir that drives the real binary, and
//! Parquet tables read back with arrow-rs (independently of polars, which wrote nothing).
#![allow(dead_code)]

use arrow::array::{
    Array, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fixtures written by other programs (LibreOffice, openpyxl, an old system), copied from
/// the province's shared folder: the project's own test data now, so a clone tests itself.
pub fn shared_fixtures() -> PathBuf {
    repo().join("tests/fixtures/shared")
}

pub fn pipeline() -> PathBuf {
    repo().join("pipelines/shandong")
}

/// A temp folder with an inbox and a warehouse, and the binary to run in it.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

#[derive(Debug)]
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Ran {
    fn from(output: Output) -> Ran {
        Ran {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).to_string(),
        }
    }
}

/// A fixed modification time, so that tie-breaks on mtime fall to the path as on any machine.
pub const FIXED_MTIME: i64 = 1_643_000_000;

pub fn set_mtime(path: &Path, seconds: i64) {
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    let times = [
        libc::timespec {
            tv_sec: seconds,
            tv_nsec: 0,
        },
        libc::timespec {
            tv_sec: seconds,
            tv_nsec: 0,
        },
    ];
    let status = unsafe { libc::utimensat(libc::AT_FDCWD, c_path.as_ptr(), times.as_ptr(), 0) };
    assert_eq!(status, 0, "utimensat {}", path.display());
}

impl Workdir {
    pub fn new() -> Workdir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("inbox")).unwrap();
        Workdir { dir }
    }

    pub fn inbox(&self) -> PathBuf {
        self.dir.path().join("inbox")
    }

    pub fn warehouse(&self) -> PathBuf {
        self.dir.path().join("warehouse")
    }

    /// Changes the status-change time (ctime) of every inbox file without touching its bytes
    /// or modification time, so the next run reads the inbox instead of finding nothing
    /// changed, and finds the inputs of the run before it.
    pub fn touch_inbox(&self) {
        for entry in fs::read_dir(self.inbox()).unwrap() {
            let path = entry.unwrap().path();
            let permissions = fs::metadata(&path).unwrap().permissions();
            fs::set_permissions(&path, permissions).unwrap();
        }
    }

    /// Moves every inbox file's modification time one second later (their order kept, so the
    /// tables stay the same): the next run reads the inbox and computes everything again.
    pub fn restamp_inbox(&self) {
        for entry in fs::read_dir(self.inbox()).unwrap() {
            let path = entry.unwrap().path();
            let modified = fs::metadata(&path).unwrap().modified().unwrap();
            let file = fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(modified + std::time::Duration::from_secs(1))
                .unwrap();
        }
    }

    /// Copies every file of `from` into the inbox, with a fixed mtime.
    pub fn add_all(&self, from: &Path) {
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                self.add(&entry.path(), &entry.file_name().to_string_lossy());
            }
        }
    }

    pub fn add(&self, from: &Path, name: &str) {
        let to = self.inbox().join(name);
        fs::copy(from, &to).unwrap();
        set_mtime(&to, FIXED_MTIME);
    }

    pub fn write(&self, name: &str, bytes: &[u8]) {
        let to = self.inbox().join(name);
        fs::write(&to, bytes).unwrap();
        set_mtime(&to, FIXED_MTIME);
    }

    pub fn zlbd(&self, args: &[&str]) -> Ran {
        zlbd_in(self.dir.path(), args)
    }

    /// The arguments of `zlbd run` on this inbox and warehouse, then `extra`.
    pub fn run_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "run".into(),
            "--pipeline".into(),
            pipeline().display().to_string(),
            "--inbox".into(),
            self.inbox().display().to_string(),
            "--warehouse".into(),
            self.warehouse().display().to_string(),
        ];
        args.extend(extra.iter().map(|arg| arg.to_string()));
        args
    }

    /// `zlbd run` on this inbox and warehouse.
    pub fn run(&self) -> Ran {
        self.run_with(&[])
    }

    /// `zlbd run` with extra arguments.
    pub fn run_with(&self, extra: &[&str]) -> Ran {
        self.run_command(extra).output().unwrap().into()
    }

    /// A `zlbd run` ready to spawn, for tests that kill or race it.
    pub fn run_command(&self, extra: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zlbd"));
        command
            .args(self.run_args(extra))
            .current_dir(self.dir.path());
        command
    }

    pub fn table(&self, name: &str) -> Table {
        read_table(&self.warehouse().join("current"), name)
    }
}

pub fn zlbd_in(dir: &Path, args: &[&str]) -> Ran {
    Command::new(env!("CARGO_BIN_EXE_zlbd"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
        .into()
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Value {
    pub fn str(&self) -> Option<&str> {
        match self {
            Value::Str(text) => Some(text),
            _ => None,
        }
    }
    pub fn int(&self) -> Option<i64> {
        match self {
            Value::Int(value) => Some(*value),
            _ => None,
        }
    }
    pub fn float(&self) -> Option<f64> {
        match self {
            Value::Float(value) => Some(*value),
            Value::Int(value) => Some(*value as f64),
            _ => None,
        }
    }
    pub fn bool(&self) -> Option<bool> {
        match self {
            Value::Bool(value) => Some(*value),
            _ => None,
        }
    }
}

/// A table read back from Parquet, as rows of named values.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub types: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn index(&self, column: &str) -> usize {
        self.columns
            .iter()
            .position(|name| name == column)
            .unwrap_or_else(|| panic!("no column {column} in {:?}", self.columns))
    }

    pub fn get<'a>(&self, row: &'a [Value], column: &str) -> &'a Value {
        &row[self.index(column)]
    }

    /// Rows as maps, for readable assertions.
    pub fn records(&self) -> Vec<BTreeMap<String, Value>> {
        self.rows
            .iter()
            .map(|row| {
                self.columns
                    .iter()
                    .cloned()
                    .zip(row.iter().cloned())
                    .collect()
            })
            .collect()
    }
}

fn read_file(path: &Path, table: &mut Table, extra: Option<(&str, Value)>) {
    for batch in zlbd::warehouse::parquet_io::read(path).unwrap() {
        if table.columns.is_empty() {
            table.columns = batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            table.types = batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.data_type().to_string())
                .collect();
            if let Some((name, _)) = &extra {
                table.columns.push(name.to_string());
                table.types.push("Int32".to_string());
            }
        }
        for row in 0..batch.num_rows() {
            let mut values = Vec::new();
            for column in batch.columns() {
                let any = column.as_any();
                let value = if column.is_null(row) {
                    Value::Null
                } else if let Some(a) = any.downcast_ref::<StringArray>() {
                    Value::Str(a.value(row).to_string())
                } else if let Some(a) = any.downcast_ref::<Int64Array>() {
                    Value::Int(a.value(row))
                } else if let Some(a) = any.downcast_ref::<Int32Array>() {
                    Value::Int(a.value(row) as i64)
                } else if let Some(a) = any.downcast_ref::<Date32Array>() {
                    Value::Int(a.value(row) as i64)
                } else if let Some(a) = any.downcast_ref::<Float64Array>() {
                    Value::Float(a.value(row))
                } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
                    Value::Bool(a.value(row))
                } else if let Some(a) = any.downcast_ref::<TimestampMicrosecondArray>() {
                    Value::Int(a.value(row))
                } else {
                    panic!("unexpected type {}", column.data_type())
                };
                values.push(value);
            }
            if let Some((_, value)) = &extra {
                values.push(value.clone());
            }
            table.rows.push(values);
        }
    }
}

/// Reads a snapshot table; fact_indicator's year comes from its hive partition folder.
pub fn read_table(snapshot: &Path, name: &str) -> Table {
    let mut table = Table::default();
    let dir = snapshot.join(name);
    let mut entries: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            let year: i64 = path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .trim_start_matches("year=")
                .parse()
                .unwrap();
            for file in fs::read_dir(&path).unwrap() {
                let file = file.unwrap().path();
                if year != 0 {
                    read_file(&file, &mut table, Some(("year", Value::Int(year))));
                }
            }
        } else {
            read_file(&path, &mut table, None);
        }
    }
    table
}

/// Every file below a folder with its bytes, relative path → bytes.
pub fn tree_bytes(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                out.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// truth.json as written by the fixtures and by `zlbd sample`.
#[derive(Debug, serde::Deserialize)]
pub struct Truth {
    pub cells: Vec<TruthCell>,
    pub files: BTreeMap<String, TruthFile>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct TruthCell {
    pub file: String,
    pub sheet: String,
    pub cell: String,
    pub level: String,
    pub entity_id: String,
    pub indicator: String,
    pub year: i64,
    pub outcome: String,
    pub value: Option<f64>,
    pub rule: Option<String>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct TruthFile {
    pub status: String,
}

pub fn load_truth(path: &Path) -> Truth {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// Each submissions row's file → (status, reason).
pub fn file_outcomes(work: &Workdir) -> BTreeMap<String, (String, String)> {
    let submissions = work.table("submissions");
    submissions
        .rows
        .iter()
        .map(|row| {
            let text = |column: &str| submissions.get(row, column).str().unwrap_or("").to_string();
            (text("source_file"), (text("status"), text("reason")))
        })
        .collect()
}

/// Asserts that a published warehouse matches a truth.json cell by cell.
pub fn assert_matches_truth(work: &Workdir, truth: &Path) {
    let truth = load_truth(truth);
    assert!(!truth.cells.is_empty());
    let problems = truth_mismatches(work, &truth);
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Checks a published warehouse against a truth cell by cell; returns the mismatches.
pub fn truth_mismatches(work: &Workdir, truth: &Truth) -> Vec<String> {
    let facts = work.table("fact_indicator");
    let rejects = work.table("rejects");
    let key = |table: &Table, row: &[Value]| {
        (
            table
                .get(row, "source_file")
                .str()
                .unwrap_or("")
                .to_string(),
            table
                .get(row, "source_sheet")
                .str()
                .unwrap_or("")
                .to_string(),
            table
                .get(row, "source_cell")
                .str()
                .unwrap_or("")
                .to_string(),
        )
    };
    let mut fact_by_cell = BTreeMap::new();
    for row in &facts.rows {
        if facts.get(row, "is_derived").bool() == Some(false) {
            fact_by_cell.insert(key(&facts, row), row.clone());
        }
    }
    let mut errors_by_cell: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    for row in &rejects.rows {
        if rejects.get(row, "severity").str() == Some("error") {
            errors_by_cell
                .entry(key(&rejects, row))
                .or_default()
                .push(rejects.get(row, "rule").str().unwrap().to_string());
        }
    }
    let mut problems = Vec::new();
    for cell in &truth.cells {
        let at = (cell.file.clone(), cell.sheet.clone(), cell.cell.clone());
        let place = format!(
            "{} {}!{} ({} {})",
            cell.file, cell.sheet, cell.cell, cell.indicator, cell.year
        );
        let fact = fact_by_cell.get(&at);
        let errors = errors_by_cell.get(&at);
        match cell.outcome.as_str() {
            "fact" => match fact {
                None => problems.push(format!(
                    "{place}: expected fact {:?}, got rejects {errors:?}",
                    cell.value
                )),
                Some(row) => {
                    let value = facts.get(row, "value").float().unwrap();
                    let expected = cell.value.unwrap();
                    if (value - expected).abs() > 1e-6 * expected.abs().max(1.0) {
                        problems.push(format!("{place}: value {value} != {expected}"));
                    }
                    let keys = (
                        facts.get(row, "level").str().unwrap(),
                        facts.get(row, "entity_id").str().unwrap(),
                        facts.get(row, "indicator_code").str().unwrap(),
                        facts.get(row, "year").int().unwrap(),
                    );
                    if keys
                        != (
                            cell.level.as_str(),
                            cell.entity_id.as_str(),
                            cell.indicator.as_str(),
                            cell.year,
                        )
                    {
                        problems.push(format!("{place}: keys {keys:?}"));
                    }
                }
            },
            "reject" => {
                let rule = cell.rule.clone().unwrap();
                if fact.is_some() || !errors.is_some_and(|rules| rules.contains(&rule)) {
                    problems.push(format!(
                        "{place}: expected reject {rule}, got fact {:?} rejects {errors:?}",
                        fact.is_some()
                    ));
                }
            }
            "missing" | "superseded" => {
                if fact.is_some() || errors.is_some() {
                    problems.push(format!(
                        "{place}: expected {}, got fact {} rejects {errors:?}",
                        cell.outcome,
                        fact.is_some()
                    ));
                }
            }
            other => problems.push(format!("{place}: unknown outcome {other}")),
        }
    }
    let statuses: BTreeMap<String, String> = file_outcomes(work)
        .into_iter()
        .map(|(file, (status, _))| (file, status))
        .collect();
    for (file, expected) in &truth.files {
        if statuses.get(file) != Some(&expected.status) {
            problems.push(format!(
                "file {file}: status {:?} != {}",
                statuses.get(file),
                expected.status
            ));
        }
    }
    problems
}

/// Copies a pipeline folder — pipeline.toml, catalog.toml and roster/ — into `to`.
pub fn copy_pipeline(from: &Path, to: &Path) {
    fs::create_dir_all(to.join("roster")).unwrap();
    for file in ["pipeline.toml", "catalog.toml"] {
        fs::copy(from.join(file), to.join(file)).unwrap();
    }
    for entry in fs::read_dir(from.join("roster")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join("roster").join(entry.file_name())).unwrap();
    }
}

/// Sets the comparison years of a pipeline folder (its `years = [...]` line).
pub fn set_years(pipeline: &Path, years: &[i32]) {
    let path = pipeline.join("pipeline.toml");
    let line = format!("years = {years:?}");
    let text: Vec<String> = fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|old| {
            if old.trim_start().starts_with("years") {
                line.clone()
            } else {
                old.to_string()
            }
        })
        .collect();
    assert!(text.contains(&line), "no years line in {}", path.display());
    fs::write(&path, text.join("\n") + "\n").unwrap();
}

impl Workdir {
    /// `zlbd sample --pipeline P --out <inbox>` with `extra` arguments; every file then gets
    /// the fixed mtime, so tie-breaks fall to the path as on any machine.
    pub fn sample(&self, pipeline: &Path, extra: &[&str]) -> Ran {
        let inbox = self.inbox();
        let mut args = vec![
            "sample",
            "--pipeline",
            pipeline.to_str().unwrap(),
            "--out",
            inbox.to_str().unwrap(),
        ];
        args.extend(extra);
        let ran = self.zlbd(&args);
        for entry in fs::read_dir(&inbox).unwrap() {
            set_mtime(&entry.unwrap().path(), FIXED_MTIME);
        }
        ran
    }

    /// `zlbd run` of another pipeline than the province's on this inbox and warehouse.
    pub fn run_pipeline(&self, pipeline: &Path) -> Ran {
        let inbox = self.inbox();
        let warehouse = self.warehouse();
        self.zlbd(&[
            "run",
            "--pipeline",
            pipeline.to_str().unwrap(),
            "--inbox",
            inbox.to_str().unwrap(),
            "--warehouse",
            warehouse.to_str().unwrap(),
        ])
    }
}

/// Runs a command, killing it when it has not ended within `limit`: `None` then (a hang).
pub fn output_within(command: &mut Command, limit: std::time::Duration) -> Option<Ran> {
    use std::io::Read;
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Drained while it runs, so a full pipe never blocks it.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).to_string()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Some(Ran {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    })
}

/// Whether this process runs as root (permissions then do not stop it reading a folder).
pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// Gives a whole tree (links themselves, not their targets) to `uid`:`gid`.
pub fn chown_tree(root: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(root, Some(uid), Some(gid)).unwrap();
    if fs::symlink_metadata(root).unwrap().is_dir() {
        for entry in fs::read_dir(root).unwrap() {
            chown_tree(&entry.unwrap().path(), uid, gid);
        }
    }
}

impl Workdir {
    /// Each submissions row's file → status.
    pub fn statuses(&self) -> BTreeMap<String, String> {
        file_outcomes(self)
            .into_iter()
            .map(|(file, (status, _))| (file, status))
            .collect()
    }
}
