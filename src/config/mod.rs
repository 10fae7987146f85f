//! Pipeline configuration: `pipeline.toml` + `catalog.toml` + the roster CSVs → one validated
//! [`Plan`]. Nothing after this module reads raw configuration.
//!
//! Validation collects every problem before failing, each naming its file and key and quoting
//! the bad value, so an operator fixes a config in one pass (exit code 2).

mod catalog;
mod roster;

pub use catalog::{Catalog, Indicator, RatioCheck};
pub use roster::{City, Enterprise, Industry, Park, Roster};

use crate::domain::Level;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigProblem {
    pub file: PathBuf,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file.display(), self.key, self.message)
    }
}

/// Every problem found in a pipeline folder, reported together.
#[derive(Debug, thiserror::Error)]
#[error("the pipeline configuration has {} problem(s):\n{}", .0.len(), render(.0))]
pub struct ConfigError(pub Vec<ConfigProblem>);

fn render(problems: &[ConfigProblem]) -> String {
    problems
        .iter()
        .map(|problem| format!("  - {problem}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `pipeline.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineConfig {
    /// A short name for logs.
    name: String,
    /// The programme's name for people (the report's header); `name` when not given.
    #[serde(default)]
    title: Option<String>,
    /// The comparison years, any order; at least two.
    years: Vec<i32>,
    /// Path of the indicator catalog, relative to the pipeline folder.
    catalog: PathBuf,
    /// Folder of the roster CSVs, relative to the pipeline folder.
    roster: PathBuf,
    /// Thresholds of the warning checks.
    #[serde(default)]
    checks: ChecksConfig,
    /// Size limits that refuse a file before it is read.
    #[serde(default)]
    limits: LimitsConfig,
    /// How peer groups are formed.
    #[serde(default)]
    peers: PeersConfig,
    /// The composite score.
    #[serde(default)]
    score: ScoreConfig,
    /// Typical demonstrations (典型示范).
    #[serde(default)]
    typical: TypicalConfig,
    /// Snapshot retention.
    #[serde(default)]
    warehouse: WarehouseConfig,
    /// Safety checks before a run publishes.
    #[serde(default)]
    guard: GuardConfig,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ChecksConfig {
    /// YOY_JUMP for amounts (previous value > 0) and counts: |yoy_pct| above this.
    yoy_jump_pct: f64,
    /// YOY_JUMP for counts also needs |yoy_abs| at least this (1 → 5 complaints is no jump).
    yoy_count_min_abs: f64,
    /// YOY_JUMP for rates and scores: |yoy_abs| above this many points.
    yoy_points: f64,
}

impl Default for ChecksConfig {
    fn default() -> Self {
        ChecksConfig {
            yoy_jump_pct: 300.0,
            yoy_count_min_abs: 10.0,
            yoy_points: 30.0,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct LimitsConfig {
    /// Largest total uncompressed size of a zipped workbook (.xlsx/.ods).
    max_uncompressed_bytes: u64,
    /// Most rows a sheet may have.
    max_rows: u32,
    /// Largest file on disk.
    max_file_bytes: u64,
    /// Largest absolute value a cell may hold, in the indicator's catalog unit; above it (or
    /// not finite) a value is OUT_OF_RANGE: a unit slip must not reach the comparison.
    max_abs_value: f64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_uncompressed_bytes: 50 * 1024 * 1024,
            max_rows: 100_000,
            max_file_bytes: 50 * 1024 * 1024,
            max_abs_value: 1e12,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct PeersConfig {
    /// Enterprises compare within this many leading characters of their industry code.
    enterprise_industry_prefix: usize,
}

impl Default for PeersConfig {
    fn default() -> Self {
        PeersConfig {
            enterprise_industry_prefix: 3,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ScoreConfig {
    /// Below this completeness (percent of weight) the score is null.
    min_completeness: f64,
    /// A peer group with fewer entities (with a fact at its level) than this is too small to
    /// scale against: its entities are scored in their GB/T 4754 section, else in `all`.
    min_group_size: i64,
    /// Pooled values are clipped to the p and 100 − p percentiles before min-max scaling, so
    /// one extreme cell cannot flatten a group; 0 is plain min-max.
    winsor_pct: f64,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        ScoreConfig {
            min_completeness: 60.0,
            min_group_size: 5,
            winsor_pct: 5.0,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TypicalConfig {
    /// Least completeness of a typical demonstration.
    min_completeness: f64,
    /// How many per level.
    quota: BTreeMap<String, i64>,
}

impl Default for TypicalConfig {
    fn default() -> Self {
        TypicalConfig {
            min_completeness: 80.0,
            quota: default_quota()
                .into_iter()
                .map(|(level, n)| (level.as_str().to_string(), n as i64))
                .collect(),
        }
    }
}

fn default_quota() -> BTreeMap<Level, usize> {
    BTreeMap::from([
        (Level::Enterprise, 30),
        (Level::Park, 8),
        (Level::CityIndustry, 10),
        (Level::ProvinceIndustry, 2),
    ])
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct WarehouseConfig {
    /// Snapshots kept after a publish (the current one included).
    keep_snapshots: i64,
}

impl Default for WarehouseConfig {
    fn default() -> Self {
        WarehouseConfig { keep_snapshots: 10 }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct GuardConfig {
    /// Shrink guard (SPEC §6): a run that would publish fewer active submissions than this
    /// share of the current snapshot's publishes nothing and exits 1 (an unmounted share or a
    /// wrong `--inbox` must not empty the warehouse); `run --allow-shrink` publishes anyway.
    /// 0 turns the guard off.
    min_active_ratio: f64,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            min_active_ratio: 0.8,
        }
    }
}

impl PipelineConfig {
    /// Checks the settings of `pipeline.toml` (not the catalog or roster), reporting each
    /// problem; returns the sorted years and the typical quota per level.
    fn check(&self, report: &mut dyn FnMut(&str, String)) -> (Vec<i32>, BTreeMap<Level, usize>) {
        let mut years = self.years.clone();
        years.sort_unstable();
        years.dedup();
        if years.len() < 2 {
            report(
                "years",
                format!("needs at least two distinct years, got {:?}", self.years),
            );
        } else if years.len() != self.years.len() {
            report("years", format!("lists a year twice, got {:?}", self.years));
        }
        if years.iter().any(|year| !(1900..=2100).contains(year)) {
            report(
                "years",
                format!("years must lie in 1900..=2100, got {:?}", self.years),
            );
        }
        if !(0.0..50.0).contains(&self.score.winsor_pct) {
            report(
                "score.winsor_pct",
                format!("must lie in 0..50, got {}", self.score.winsor_pct),
            );
        }
        if self.score.min_group_size < 1 {
            report(
                "score.min_group_size",
                format!("must be at least 1, got {}", self.score.min_group_size),
            );
        }
        if self.checks.yoy_count_min_abs.is_nan() || self.checks.yoy_count_min_abs < 0.0 {
            report(
                "checks.yoy_count_min_abs",
                format!(
                    "must not be negative, got {}",
                    self.checks.yoy_count_min_abs
                ),
            );
        }
        if self.checks.yoy_jump_pct.is_nan() || self.checks.yoy_jump_pct <= 0.0 {
            report(
                "checks.yoy_jump_pct",
                format!("must be positive, got {}", self.checks.yoy_jump_pct),
            );
        }
        if !(self.limits.max_abs_value.is_finite() && self.limits.max_abs_value > 0.0) {
            report(
                "limits.max_abs_value",
                format!(
                    "must be a positive number, got {}",
                    self.limits.max_abs_value
                ),
            );
        }
        if self.limits.max_rows == 0 || self.limits.max_uncompressed_bytes == 0 {
            report("limits", "limits must be positive".to_string());
        }
        if self.limits.max_file_bytes == 0 {
            report(
                "limits.max_file_bytes",
                "must be at least 1: 0 would refuse every file".to_string(),
            );
        }
        if self.peers.enterprise_industry_prefix == 0 {
            report(
                "peers.enterprise_industry_prefix",
                "must be at least 1".to_string(),
            );
        }
        for (key, value) in [
            ("score.min_completeness", self.score.min_completeness),
            ("checks.yoy_points", self.checks.yoy_points),
            ("typical.min_completeness", self.typical.min_completeness),
        ] {
            if !(0.0..=100.0).contains(&value) {
                report(key, format!("must lie in 0..=100, got {value}"));
            }
        }
        let mut typical_quota = BTreeMap::new();
        for (level_name, quota) in &self.typical.quota {
            let key = format!("typical.quota.{level_name}");
            match Level::parse(level_name) {
            Some(Level::ProvinceIndustryCity) | None => report(
                &key,
                format!(
                    "unknown level {level_name:?}; use enterprise, park, city_industry or province_industry"
                ),
            ),
            Some(level) if *quota < 0 => {
                report(&key, format!("must not be negative, got {quota}"));
                typical_quota.insert(level, 0);
            }
            Some(level) => {
                typical_quota.insert(level, *quota as usize);
            }
        }
        }
        if !(0.0..=1.0).contains(&self.guard.min_active_ratio) {
            report(
                "guard.min_active_ratio",
                format!(
                    "must lie in 0..=1 (a share of the current snapshot's active submissions), got {}",
                    self.guard.min_active_ratio
                ),
            );
        }
        if self.warehouse.keep_snapshots < 1 {
            report(
                "warehouse.keep_snapshots",
                format!("must be at least 1, got {}", self.warehouse.keep_snapshots),
            );
        }
        (years, typical_quota)
    }
}

/// Limits applied to each file before and while it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    pub max_uncompressed_bytes: u64,
    pub max_rows: u32,
    pub max_file_bytes: u64,
}

#[cfg(test)]
impl Limits {
    /// Small limits for unit tests: 1 MB inflated or on disk, 1,000 rows.
    pub fn small() -> Limits {
        Limits {
            max_uncompressed_bytes: 1 << 20,
            max_rows: 1000,
            max_file_bytes: 1 << 20,
        }
    }
}

/// The validated pipeline: everything the stages need, checked once.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    /// The programme's name for people: `title`, else `name`.
    pub title: String,
    pub pipeline_dir: PathBuf,
    /// Sorted ascending, no duplicates.
    pub years: Vec<i32>,
    pub catalog: Catalog,
    pub roster: Roster,
    /// The folder the roster was read from.
    pub roster_dir: PathBuf,
    pub limits: Limits,
    /// `limits.max_abs_value`: the largest absolute value of a fact, in its catalog unit.
    pub max_abs_value: f64,
    pub yoy_jump_pct: f64,
    pub yoy_count_min_abs: f64,
    pub yoy_points: f64,
    pub score_min_group_size: usize,
    pub score_winsor_pct: f64,
    pub enterprise_industry_prefix: usize,
    pub score_min_completeness: f64,
    pub typical_min_completeness: f64,
    pub typical_quota: BTreeMap<Level, usize>,
    pub keep_snapshots: usize,
    /// `guard.min_active_ratio`: the shrink guard's least share of the current snapshot's active
    /// submissions, in 0..=1.
    pub min_active_ratio: f64,
    /// SHA-256 over every configuration file's bytes: a changed config invalidates caches.
    pub fingerprint: String,
}

impl Plan {
    /// Reads and validates a pipeline folder.
    pub fn load(pipeline_dir: &Path) -> Result<Plan, ConfigError> {
        let pipeline_file = pipeline_dir.join("pipeline.toml");
        let mut problems = Vec::new();
        let mut hasher = Sha256::new();
        let problem = |key: &str, message: String| ConfigProblem {
            file: pipeline_file.clone(),
            key: key.to_string(),
            message,
        };
        let text = match std::fs::read_to_string(&pipeline_file) {
            Ok(text) => text,
            Err(error) => {
                return Err(ConfigError(vec![problem(
                    "(file)",
                    format!("cannot be read: {error}"),
                )]))
            }
        };
        hasher.update(text.as_bytes());
        // A syntax error or an unknown key is one problem among others: the catalog and the
        // roster are still read and checked, so every problem is listed in one pass.
        let raw: Option<PipelineConfig> = match toml::from_str(&text) {
            Ok(raw) => Some(raw),
            Err(error) => {
                problems.push(problem(
                    &toml_position(&text, error.span()),
                    error.message().trim_end().to_string(),
                ));
                None
            }
        };
        let (years, typical_quota) = match &raw {
            Some(raw) => raw.check(&mut |key, message| problems.push(problem(key, message))),
            None => (Vec::new(), BTreeMap::new()),
        };
        let (catalog_path, roster_path) = match &raw {
            Some(raw) => (raw.catalog.clone(), raw.roster.clone()),
            None => fallback_paths(&text),
        };

        let catalog_file = pipeline_dir.join(&catalog_path);
        let catalog = match std::fs::read_to_string(&catalog_file) {
            Ok(text) => {
                hasher.update(text.as_bytes());
                Catalog::parse(&catalog_file, &text, &mut problems)
            }
            Err(error) => {
                problems.push(problem(
                    "catalog",
                    format!("{}: {error}", catalog_file.display()),
                ));
                None
            }
        };
        let roster_dir = pipeline_dir.join(&roster_path);
        let roster = Roster::load(&roster_dir, &mut hasher, &mut problems);

        match (raw, catalog, roster) {
            (Some(raw), Some(catalog), Some(roster)) if problems.is_empty() => Ok(Plan {
                title: raw.title.clone().unwrap_or_else(|| raw.name.clone()),
                name: raw.name,
                pipeline_dir: pipeline_dir.to_path_buf(),
                years,
                catalog,
                roster,
                roster_dir,
                limits: Limits {
                    max_uncompressed_bytes: raw.limits.max_uncompressed_bytes,
                    max_rows: raw.limits.max_rows,
                    max_file_bytes: raw.limits.max_file_bytes,
                },
                max_abs_value: raw.limits.max_abs_value,
                yoy_jump_pct: raw.checks.yoy_jump_pct,
                yoy_count_min_abs: raw.checks.yoy_count_min_abs,
                yoy_points: raw.checks.yoy_points,
                score_min_group_size: raw.score.min_group_size.max(1) as usize,
                score_winsor_pct: raw.score.winsor_pct,
                enterprise_industry_prefix: raw.peers.enterprise_industry_prefix,
                score_min_completeness: raw.score.min_completeness,
                typical_min_completeness: raw.typical.min_completeness,
                typical_quota,
                keep_snapshots: raw.warehouse.keep_snapshots as usize,
                min_active_ratio: raw.guard.min_active_ratio,
                fingerprint: crate::domain::text::hex(&hasher.finalize()),
            }),
            _ => Err(ConfigError(problems)),
        }
    }

    /// The first comparison year.
    pub fn first_year(&self) -> i32 {
        self.years[0]
    }

    /// The last comparison year.
    pub fn last_year(&self) -> i32 {
        self.years[self.years.len() - 1]
    }

    /// Years as the `submissions.years` text: "2019,2020,2021".
    pub fn years_text(years: &[i32]) -> String {
        years
            .iter()
            .map(|year| year.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Where a TOML error is, as `line L, column C` (1-based; columns count characters), from the
/// byte span the parser gives; `(file)` when it gives none.
pub(crate) fn toml_position(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(span) = span else {
        return "(file)".to_string();
    };
    let mut at = span.start.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    format!("line {line}, column {column}")
}

/// The catalog and roster paths of a `pipeline.toml` that does not deserialize: its own
/// `catalog`/`roster` strings when it is at least valid TOML, else the usual names.
fn fallback_paths(text: &str) -> (PathBuf, PathBuf) {
    let table = toml::from_str::<toml::Table>(text).ok();
    let path = |key: &str, default: &str| {
        table
            .as_ref()
            .and_then(|table| table.get(key))
            .and_then(toml::Value::as_str)
            .map_or_else(|| PathBuf::from(default), PathBuf::from)
    };
    (path("catalog", "catalog.toml"), path("roster", "roster"))
}

/// The pipeline folder used when `--pipeline` is not given (SPEC §9): `$ZLBD_PIPELINE` when
/// set, else `pipelines/shandong` under the current folder. Never a path baked in at build time:
/// an installed binary must not silently read the checkout it was built from.
pub fn default_pipeline_dir() -> PathBuf {
    match std::env::var_os("ZLBD_PIPELINE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from("pipelines/shandong"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline_copy() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/shandong");
        for name in ["pipeline.toml", "catalog.toml"] {
            std::fs::copy(source.join(name), dir.path().join(name)).unwrap();
        }
        std::fs::create_dir(dir.path().join("roster")).unwrap();
        for entry in std::fs::read_dir(source.join("roster")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(
                entry.path(),
                dir.path().join("roster").join(entry.file_name()),
            )
            .unwrap();
        }
        dir
    }

    #[test]
    fn the_shipped_pipeline_loads() {
        let plan = Plan::load(&default_pipeline_dir()).unwrap();
        assert_eq!(plan.years, vec![2019, 2020, 2021]);
        assert_eq!(plan.catalog.indicators().len(), 18 + 10 + 10);
        assert_eq!(plan.roster.enterprises.len(), 159);
        assert_eq!(plan.roster.parks.len(), 17);
        assert_eq!(plan.roster.cities.len(), 16);
        assert_eq!(plan.roster.industries.len(), 33);
        assert_eq!(plan.typical_quota.values().sum::<usize>(), 50);
    }

    #[test]
    fn all_problems_are_reported_together() {
        let dir = pipeline_copy();
        let path = dir.path().join("pipeline.toml");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("years = [2019, 2020, 2021]", "years = [2019]")
            .replace("keep_snapshots = 10", "keep_snapshots = 0")
            .replace("park = 8", "parks = 8");
        std::fs::write(&path, text).unwrap();
        let catalog = dir.path().join("catalog.toml");
        let text = std::fs::read_to_string(&catalog).unwrap().replacen(
            "direction = \"lower\"",
            "direction = \"sideways\"",
            1,
        );
        std::fs::write(&catalog, text).unwrap();
        let error = Plan::load(dir.path()).unwrap_err();
        let keys: Vec<&str> = error.0.iter().map(|problem| problem.key.as_str()).collect();
        assert!(keys.contains(&"years"), "{error}");
        assert!(keys.contains(&"warehouse.keep_snapshots"), "{error}");
        assert!(keys.contains(&"typical.quota.parks"), "{error}");
        assert!(error.to_string().contains("sideways"), "{error}");
    }

    #[test]
    fn a_flag_with_a_range_and_a_name_read_twice_are_refused_naming_their_field() {
        let dir = pipeline_copy();
        edit(dir.path(), "catalog.toml", |text| {
            // E14 is a flag (0/1); E15 takes E14's name.
            text.replacen(
                "kind = \"flag\"\nmin = 0\nmax = 1",
                "kind = \"flag\"\nmin = 0\nmax = 5",
                1,
            )
            .replacen(
                "name = \"省级及以上质量奖数\"",
                "name = \"是否设立首席质量官\"",
                1,
            )
        });
        let error = Plan::load(dir.path()).unwrap_err();
        let keys = keys(&error);
        assert!(
            keys.contains(&"indicator[13] (E14).max".to_string()),
            "{error}"
        );
        assert!(
            keys.contains(&"indicator[14] (E15).name".to_string()),
            "{error}"
        );
        let text = error.to_string();
        assert!(
            text.contains("a flag is 0 or 1")
                && text.contains("reads the same as a name or alias of E14"),
            "{text}"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = pipeline_copy();
        let path = dir.path().join("pipeline.toml");
        let text = std::fs::read_to_string(&path).unwrap() + "\n[extra]\nfoo = 1\n";
        std::fs::write(&path, text).unwrap();
        let error = Plan::load(dir.path()).unwrap_err();
        assert!(error.to_string().contains("extra"), "{error}");
    }

    #[test]
    fn the_shrink_guard_ratio_defaults_to_0_8_and_must_be_a_share() {
        let plan = Plan::load(&default_pipeline_dir()).unwrap();
        assert_eq!(plan.min_active_ratio, 0.8);
        let dir = pipeline_copy();
        edit(dir.path(), "pipeline.toml", |text| {
            text.replace("min_active_ratio = 0.8", "min_active_ratio = 1.5")
        });
        let error = Plan::load(dir.path()).unwrap_err();
        assert_eq!(keys(&error), ["guard.min_active_ratio"], "{error}");
    }

    fn edit(dir: &Path, file: &str, edit: impl FnOnce(String) -> String) {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, edit(text)).unwrap();
    }

    fn keys(error: &ConfigError) -> Vec<String> {
        error.0.iter().map(|problem| problem.key.clone()).collect()
    }

    #[test]
    fn an_empty_or_header_only_roster_file_is_refused() {
        // An empty enterprises.csv (a failed export) and a header-only cities.csv.
        let dir = pipeline_copy();
        std::fs::write(dir.path().join("roster/enterprises.csv"), "").unwrap();
        std::fs::write(
            dir.path().join("roster/cities.csv"),
            "city_code,city_name\n",
        )
        .unwrap();
        let error = Plan::load(dir.path()).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("enterprises.csv: (file): is empty"), "{text}");
        assert!(
            text.contains("cities.csv: (rows): has a header but no rows"),
            "{text}"
        );
        // A header-only parks.csv is a programme without parks: still loads.
        let dir = pipeline_copy();
        std::fs::write(
            dir.path().join("roster/parks.csv"),
            "park_id,park_name,city_code\n",
        )
        .unwrap();
        edit(dir.path(), "roster/enterprises.csv", |text| {
            text.lines()
                .map(|line| {
                    let mut fields: Vec<&str> = line.split(',').collect();
                    if fields[3] != "park_id" {
                        fields[3] = "";
                    }
                    fields.join(",")
                })
                .collect::<Vec<_>>()
                .join("\n")
        });
        assert!(Plan::load(dir.path()).is_ok());
        // A header that lacks a column, with no rows to fail on.
        let dir = pipeline_copy();
        std::fs::write(dir.path().join("roster/parks.csv"), "park_id,park_name\n").unwrap();
        let text = Plan::load(dir.path()).unwrap_err().to_string();
        assert!(
            text.contains("parks.csv: line 1: the header lacks column(s) [\"city_code\"]"),
            "{text}"
        );
        // Saved as GBK by Excel: one problem naming the encoding, not one per line.
        let dir = pipeline_copy();
        let gbk_name: &[u8] = &[0xc9, 0xbd, 0xb6, 0xab]; // 山东 in GBK
        let mut bytes = b"park_id,park_name,city_code\nP01,".to_vec();
        bytes.extend_from_slice(gbk_name);
        bytes.extend_from_slice(b",370100\nP02,");
        bytes.extend_from_slice(gbk_name);
        bytes.extend_from_slice(b",370100\n");
        std::fs::write(dir.path().join("roster/parks.csv"), bytes).unwrap();
        let text = Plan::load(dir.path()).unwrap_err().to_string();
        assert!(
            text.contains("parks.csv: line 2: is not UTF-8") && text.contains("CSV UTF-8"),
            "{text}"
        );
        assert_eq!(text.matches("parks.csv: line").count(), 1, "{text}");
    }

    #[test]
    fn a_toml_error_gives_line_and_column_and_the_other_files_are_still_checked() {
        let dir = pipeline_copy();
        // An unknown key in pipeline.toml, a negative tolerance in the catalog, an enterprise
        // in a city that cities.csv does not list: all three in one pass.
        edit(dir.path(), "pipeline.toml", |text| {
            text.replace("max_rows = 100000", "max_rows = 100000\nmax_filebytes = 1")
        });
        edit(dir.path(), "catalog.toml", |text| {
            text.replace("tolerance = 0.5", "tolerance = -0.5")
        });
        edit(dir.path(), "roster/enterprises.csv", |text| {
            text.replacen(",370100,,O8010", ",379900,,O8010", 1)
        });
        let error = Plan::load(dir.path()).unwrap_err();
        let text = error.to_string();
        let toml = std::fs::read_to_string(dir.path().join("pipeline.toml")).unwrap();
        let line = toml
            .lines()
            .position(|line| line.starts_with("max_filebytes"))
            .unwrap()
            + 1;
        assert!(
            keys(&error).contains(&format!("line {line}, column 1")),
            "{text}"
        );
        assert!(text.contains("max_filebytes"), "{text}");
        assert!(!text.contains("at byte"), "{text}");
        assert!(
            text.contains("ratio_of.tolerance: must be ≥ 0 percentage points, got -0.5"),
            "{text}"
        );
        assert!(
            text.contains(
                "enterprises.csv: line 2 (913701002DG83HG909): city_code \"379900\" of 济南博宇家政服务有限公司 is not in cities.csv"
            ),
            "{text}"
        );
        // A syntax error (not only an unknown key) also leaves the other files checked.
        edit(dir.path(), "pipeline.toml", |text| {
            text.replace("max_filebytes = 1", "max_rows = = 3")
        });
        let error = Plan::load(dir.path()).unwrap_err();
        let text = error.to_string();
        assert!(
            keys(&error)
                .iter()
                .any(|key| key.starts_with(&format!("line {line}, column "))),
            "{text}"
        );
        assert!(text.contains("tolerance"), "{text}");
        assert!(text.contains("379900"), "{text}");
    }

    #[test]
    fn toml_positions_count_lines_and_characters() {
        let text = "a = 1\n名称 = x\n";
        let at = text.find('x').unwrap();
        assert_eq!(toml_position(text, Some(at..at + 1)), "line 2, column 6");
        assert_eq!(toml_position(text, Some(0..1)), "line 1, column 1");
        assert_eq!(toml_position(text, None), "(file)");
    }

    #[test]
    fn max_file_bytes_zero_is_refused() {
        let dir = pipeline_copy();
        edit(dir.path(), "pipeline.toml", |text| {
            text.replace("max_file_bytes = 52428800", "max_file_bytes = 0")
        });
        let error = Plan::load(dir.path()).unwrap_err();
        assert!(
            keys(&error).contains(&"limits.max_file_bytes".to_string()),
            "{error}"
        );
    }

    #[test]
    fn park_city_codes_missing_from_cities_are_refused_naming_the_row() {
        let dir = pipeline_copy();
        edit(dir.path(), "roster/parks.csv", |text| {
            text.replacen(
                "P01,淄博优质建筑陶瓷产业园,370300",
                "P01,淄博优质建筑陶瓷产业园,379999",
                1,
            )
        });
        let text = Plan::load(dir.path()).unwrap_err().to_string();
        assert!(
            text.contains("parks.csv: line 2 (P01): city_code \"379999\" is not in cities.csv"),
            "{text}"
        );
    }
}
