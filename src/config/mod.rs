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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ChecksConfig {
    /// |yoy_pct| above this raises YOY_JUMP.
    yoy_jump_pct: f64,
}

impl Default for ChecksConfig {
    fn default() -> Self {
        ChecksConfig {
            yoy_jump_pct: 300.0,
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
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_uncompressed_bytes: 50 * 1024 * 1024,
            max_rows: 100_000,
            max_file_bytes: 50 * 1024 * 1024,
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
}

impl Default for ScoreConfig {
    fn default() -> Self {
        ScoreConfig {
            min_completeness: 60.0,
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

impl PipelineConfig {
    /// Checks the settings of `pipeline.toml` (not the catalog or roster), reporting each
    /// problem; returns the sorted years and the typical quota per level.
    fn check(&self, report: &mut dyn FnMut(&str, String)) -> (Vec<i32>, BTreeMap<Level, usize>) {
        let mut years = self.years.clone();
        years.sort_unstable();
        years.dedup();
        if years.len() < 2 || years.len() != self.years.len() {
            report(
                "years",
                format!("needs at least two distinct years, got {:?}", self.years),
            );
        }
        if years.iter().any(|year| !(1900..=2100).contains(year)) {
            report(
                "years",
                format!("years must lie in 1900..=2100, got {:?}", self.years),
            );
        }
        if !(self.checks.yoy_jump_pct > 0.0) {
            report(
                "checks.yoy_jump_pct",
                format!("must be positive, got {}", self.checks.yoy_jump_pct),
            );
        }
        if self.limits.max_rows == 0 || self.limits.max_uncompressed_bytes == 0 {
            report("limits", "limits must be positive".to_string());
        }
        if self.peers.enterprise_industry_prefix == 0 {
            report(
                "peers.enterprise_industry_prefix",
                "must be at least 1".to_string(),
            );
        }
        for (key, value) in [
            ("score.min_completeness", self.score.min_completeness),
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
    pub pipeline_dir: PathBuf,
    /// Sorted ascending, no duplicates.
    pub years: Vec<i32>,
    pub catalog: Catalog,
    pub roster: Roster,
    pub limits: Limits,
    pub yoy_jump_pct: f64,
    pub enterprise_industry_prefix: usize,
    pub score_min_completeness: f64,
    pub typical_min_completeness: f64,
    pub typical_quota: BTreeMap<Level, usize>,
    pub keep_snapshots: usize,
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
        let raw: PipelineConfig = match toml::from_str(&text) {
            Ok(raw) => raw,
            Err(error) => {
                let key = error
                    .span()
                    .map(|span| format!("at byte {}", span.start))
                    .unwrap_or_else(|| "(file)".to_string());
                return Err(ConfigError(vec![problem(
                    &key,
                    error.message().to_string(),
                )]));
            }
        };

        let (years, typical_quota) =
            raw.check(&mut |key, message| problems.push(problem(key, message)));

        let catalog_file = pipeline_dir.join(&raw.catalog);
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
        let roster_dir = pipeline_dir.join(&raw.roster);
        let roster = Roster::load(&roster_dir, &mut hasher, &mut problems);

        match (catalog, roster) {
            (Some(catalog), Some(roster)) if problems.is_empty() => Ok(Plan {
                name: raw.name,
                pipeline_dir: pipeline_dir.to_path_buf(),
                years,
                catalog,
                roster,
                limits: Limits {
                    max_uncompressed_bytes: raw.limits.max_uncompressed_bytes,
                    max_rows: raw.limits.max_rows,
                    max_file_bytes: raw.limits.max_file_bytes,
                },
                yoy_jump_pct: raw.checks.yoy_jump_pct,
                enterprise_industry_prefix: raw.peers.enterprise_industry_prefix,
                score_min_completeness: raw.score.min_completeness,
                typical_min_completeness: raw.typical.min_completeness,
                typical_quota,
                keep_snapshots: raw.warehouse.keep_snapshots as usize,
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
    fn unknown_keys_are_refused() {
        let dir = pipeline_copy();
        let path = dir.path().join("pipeline.toml");
        let text = std::fs::read_to_string(&path).unwrap() + "\n[extra]\nfoo = 1\n";
        std::fs::write(&path, text).unwrap();
        let error = Plan::load(dir.path()).unwrap_err();
        assert!(error.to_string().contains("extra"), "{error}");
    }
}
