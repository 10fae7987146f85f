//! What the report says, computed once from a snapshot and the pipeline's roster: who submitted,
//! rejects per submitter, province-industry trends, ranks, typical demonstrations and each
//! city's weak points. The HTML page and the Excel packs both render this model, so the numbers
//! they show are the same numbers.

use super::snapshot::{Snapshot, Table};
use crate::config::Plan;
use crate::domain::columns as c;
use crate::domain::{CatalogSection, Direction, Kind, Level, Rule, Severity, SubmissionStatus};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The submitter levels of the roster (the three forms).
pub const FORM_LEVELS: [&str; 3] = ["enterprise", "park", "city"];

/// A level's Chinese name (forms and warehouse levels).
pub fn level_zh(level: &str) -> &'static str {
    match level {
        "enterprise" => "企业",
        "park" => "园区",
        "city" => "地市",
        "city_industry" => "市级重点行业",
        "province_industry" => "省级重点行业",
        "province_industry_city" => "省级重点行业（分市）",
        _ => "其他",
    }
}

fn level_order(level: &str) -> usize {
    match level {
        "enterprise" => 0,
        "park" => 1,
        "city_industry" => 2,
        "province_industry" => 3,
        "province_industry_city" => 4,
        _ => 5,
    }
}

/// One entity as `dim_entity` describes it.
#[derive(Debug, Clone, Default)]
pub struct EntityInfo {
    pub name: String,
    pub city_name: String,
    pub industry_code: String,
    /// In the roster; an entity loaded though not in it (SPEC §2) is shown, and marked 名单外
    /// wherever it is ranked.
    pub in_roster: bool,
}

/// One indicator as `dim_indicator` (or the catalog) describes it.
#[derive(Debug, Clone)]
pub struct IndicatorInfo {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    pub kind: Kind,
}

/// A roster entity's standing in the roster completeness section.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// An active submission.
    Submitted,
    /// Only rejected files carry its identity: it must send a readable form.
    RejectedOnly,
    /// Nothing received.
    Missing,
}

impl Standing {
    pub fn label_zh(&self) -> &'static str {
        match self {
            Standing::Submitted => "已报送",
            Standing::RejectedOnly => "已报送但文件未通过",
            Standing::Missing => "未报送",
        }
    }
}

/// One roster entity (enterprise, park or city form) with its submission and contacts.
#[derive(Debug, Clone)]
pub struct RosterEntry {
    pub level: &'static str,
    pub entity_id: String,
    pub name: String,
    pub city_code: String,
    pub city_name: String,
    pub standing: Standing,
    pub source_file: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// `roster_status` cells (loaded, expected); for a city, summed over its industries.
    pub cells_loaded: i64,
    pub cells_expected: i64,
}

/// Counts of one level.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LevelCount {
    pub expected: usize,
    pub submitted: usize,
    pub rejected_only: usize,
    pub missing: usize,
}

impl LevelCount {
    fn add(&mut self, standing: &Standing) {
        self.expected += 1;
        match standing {
            Standing::Submitted => self.submitted += 1,
            Standing::RejectedOnly => self.rejected_only += 1,
            Standing::Missing => self.missing += 1,
        }
    }

    /// Not submitted: missing or only rejected files.
    pub fn outstanding(&self) -> usize {
        self.expected - self.submitted
    }
}

/// One city's row of the completeness matrix.
#[derive(Debug, Clone, Default)]
pub struct CityCompleteness {
    pub city_code: String,
    pub city_name: String,
    /// By form level: enterprise, park, city.
    pub counts: BTreeMap<&'static str, LevelCount>,
    /// Enterprise cells loaded / expected (roster_status).
    pub enterprise_cells: (i64, i64),
    pub contact_name: String,
    pub contact_phone: String,
}

/// Rejects of one submitter.
#[derive(Debug, Clone, Default)]
pub struct SubmitterRejects {
    pub level: String,
    pub entity_id: String,
    pub name: String,
    pub files: BTreeSet<String>,
    pub errors: usize,
    pub warnings: usize,
    pub by_rule: BTreeMap<String, usize>,
}

/// One line of a trend chart: values per comparison year.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// One indicator of one province industry over the years.
#[derive(Debug, Clone)]
pub struct IndicatorTrend {
    pub indicator: IndicatorInfo,
    pub province: Series,
    /// The cities' parts, by city name.
    pub cities: Vec<Series>,
    /// Charted (kind rate/score as values, amount/count as an index of the first year).
    pub charted: bool,
}

#[derive(Debug, Clone)]
pub struct IndustryTrend {
    pub industry_id: String,
    pub name: String,
    pub indicators: Vec<IndicatorTrend>,
}

/// One ranked entity of a score group at the last year.
#[derive(Debug, Clone)]
pub struct RankRow {
    pub entity_id: String,
    pub name: String,
    pub city_name: String,
    pub rank: Option<i64>,
    pub score: Option<f64>,
    pub completeness: Option<f64>,
    pub score_change: Option<f64>,
    pub typical: bool,
    pub in_roster: bool,
}

#[derive(Debug, Clone)]
pub struct RankGroup {
    pub level: String,
    pub group: String,
    pub rows: Vec<RankRow>,
}

/// An indicator's part in a score change.
#[derive(Debug, Clone)]
pub struct Contribution {
    pub code: String,
    pub name: String,
    /// Contribution at the last year minus at the first year (points of score).
    pub change: f64,
}

#[derive(Debug, Clone)]
pub struct TypicalRow {
    pub level: String,
    pub typical_rank: i64,
    pub entity_id: String,
    pub name: String,
    pub city_name: String,
    pub score: Option<f64>,
    pub first_score: Option<f64>,
    pub score_change: Option<f64>,
    pub completeness: Option<f64>,
    /// The indicators that raised the score most, largest first.
    pub top: Vec<Contribution>,
    /// Indicators with a value in the last year and none in the first: their contribution is
    /// not an improvement, and the pick's change rests partly on them.
    pub new_in_last: Vec<String>,
    /// Warnings on the values its scores use (INCONSISTENT, YOY_JUMP … on loaded values of
    /// active forms): a pick whose numbers are still to be checked must say so.
    pub warnings: usize,
}

/// One weak indicator of a city in a province industry.
#[derive(Debug, Clone)]
pub struct Weakness {
    pub industry_id: String,
    pub industry_name: String,
    pub indicator: IndicatorInfo,
    /// What is compared, with its unit: the value (rates, scores) or the growth on the previous
    /// year in % (amounts, counts, whose levels say more about a city's size than its quality).
    pub measure: String,
    pub city_value: f64,
    /// The previous and the last year's values, when a growth is compared: −50 % may be 2 → 1.
    pub from_to: Option<(f64, f64)>,
    pub province_value: Option<f64>,
    /// Position among the cities of the industry: 0 the worst, 100 the best.
    pub percentile: f64,
    pub rank: usize,
    pub peers: usize,
}

#[derive(Debug, Clone)]
pub struct CityWeakness {
    pub city_code: String,
    pub city_name: String,
    pub rows: Vec<Weakness>,
}

/// A rejected file the completeness table does not show.
#[derive(Debug, Clone)]
pub struct Unattributed {
    pub file: String,
    pub reason: String,
    /// For a file whose name matches a roster entry that submitted another file: that entry's
    /// name and its valid file.
    pub resubmitted: Option<(String, String)>,
}

/// The comparison settings of the pipeline (SPEC v2 §7), as the page states them.
#[derive(Debug, Clone)]
pub struct Rules {
    /// `score.min_group_size`: a peer group smaller than this is scored in its section or
    /// level.
    pub min_group_size: usize,
    /// How many characters of an enterprise's industry code make its peer group.
    pub industry_prefix: usize,
    pub winsor_pct: f64,
    pub score_min_completeness: f64,
    pub typical_min_completeness: f64,
    /// (level in Chinese, quota), in level order.
    pub typical_quota: Vec<(&'static str, usize)>,
    /// The indicators that make the composite score, by catalog section (企业, 园区, 行业):
    /// (section in Chinese, its weighted indicators).
    pub weights: Vec<(&'static str, Vec<Weighted>)>,
}

/// One indicator of a composite score.
#[derive(Debug, Clone)]
pub struct Weighted {
    pub name: String,
    pub unit: String,
    pub weight: f64,
    pub direction: Direction,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct Model {
    pub pipeline: String,
    /// The programme's name for people (`title` in pipeline.toml).
    pub title: String,
    /// Names of the peer groups that have one: a province industry's, by its id.
    pub group_names: HashMap<String, String>,
    pub run_id: String,
    pub years: Vec<i32>,
    pub roster: Vec<RosterEntry>,
    /// Rejected files the completeness table does not show: no roster entry stands for them
    /// (no identity could be read, or not a roster entity), or their name matches an entry that
    /// has another, valid file. By file.
    pub unattributed: Vec<Unattributed>,
    pub level_counts: BTreeMap<&'static str, LevelCount>,
    pub cities: Vec<CityCompleteness>,
    pub rejects: Vec<SubmitterRejects>,
    pub total_errors: usize,
    pub total_warnings: usize,
    pub trends: Vec<IndustryTrend>,
    pub ranks: Vec<RankGroup>,
    /// The pipeline's comparison settings the page states in words.
    pub rules: Rules,
    pub typical: Vec<TypicalRow>,
    pub weak: Vec<CityWeakness>,
    pub entities: HashMap<(String, String), EntityInfo>,
    pub indicators: HashMap<(String, String), IndicatorInfo>,
}

impl Model {
    pub fn last_year(&self) -> i32 {
        self.years.last().copied().unwrap_or_default()
    }

    pub fn first_year(&self) -> i32 {
        self.years.first().copied().unwrap_or_default()
    }

    pub fn entity(&self, level: &str, id: &str) -> Option<&EntityInfo> {
        self.entities.get(&(level.to_string(), id.to_string()))
    }

    pub fn indicator(&self, level: &str, code: &str) -> Option<&IndicatorInfo> {
        self.indicators.get(&(level.to_string(), code.to_string()))
    }

    /// The indicators of a level, in code order.
    pub fn indicators_of(&self, level: &str) -> Vec<&IndicatorInfo> {
        let mut list: Vec<&IndicatorInfo> = self
            .indicators
            .iter()
            .filter(|((l, _), _)| l == level)
            .map(|(_, info)| info)
            .collect();
        list.sort_by(|a, b| a.code.cmp(&b.code));
        list
    }
}

fn entities(snapshot: &Snapshot) -> HashMap<(String, String), EntityInfo> {
    let t = &snapshot.dim_entity;
    (0..t.len())
        .map(|i| {
            (
                (
                    t.str(c::LEVEL, i).to_string(),
                    t.str(c::ENTITY_ID, i).to_string(),
                ),
                EntityInfo {
                    name: t.str(c::ENTITY_NAME, i).to_string(),
                    city_name: t.str(c::CITY_NAME, i).to_string(),
                    industry_code: t.str(c::INDUSTRY_CODE, i).to_string(),
                    in_roster: t.flag(c::IN_ROSTER, i).unwrap_or(true),
                },
            )
        })
        .collect()
}

fn indicators(snapshot: &Snapshot, plan: &Plan) -> HashMap<(String, String), IndicatorInfo> {
    let mut out = HashMap::new();
    // The catalog first, for every level of its section, then the snapshot's own description.
    for level in Level::ALL {
        for indicator in plan.catalog.section(level.catalog()) {
            out.insert(
                (level.as_str().to_string(), indicator.code.clone()),
                IndicatorInfo {
                    code: indicator.code.clone(),
                    name: indicator.name.clone(),
                    unit: indicator.unit.clone(),
                    direction: indicator.direction,
                    kind: indicator.kind,
                },
            );
        }
    }
    let t = &snapshot.dim_indicator;
    for i in 0..t.len() {
        let key = (
            t.str(c::LEVEL, i).to_string(),
            t.str(c::INDICATOR_CODE, i).to_string(),
        );
        let direction = match t.str(c::DIRECTION, i) {
            "lower" => Direction::Lower,
            _ => Direction::Higher,
        };
        let kind = match t.str(c::KIND, i) {
            "amount" => Kind::Amount,
            "rate" => Kind::Rate,
            "count" => Kind::Count,
            "flag" => Kind::Flag,
            _ => Kind::Score,
        };
        out.insert(
            key.clone(),
            IndicatorInfo {
                code: key.1.clone(),
                name: t.str(c::INDICATOR_NAME, i).to_string(),
                unit: t.str(c::UNIT, i).to_string(),
                direction,
                kind,
            },
        );
    }
    out
}

/// Builds the model of a snapshot.
pub fn build(snapshot: &Snapshot, plan: &Plan) -> Model {
    let entities = entities(snapshot);
    let indicators = indicators(snapshot, plan);
    let roster = roster_entries(&snapshot.submissions, Some(&snapshot.roster_status), plan);
    let mut level_counts: BTreeMap<&'static str, LevelCount> = FORM_LEVELS
        .iter()
        .map(|level| (*level, LevelCount::default()))
        .collect();
    for entry in &roster {
        level_counts
            .entry(entry.level)
            .or_default()
            .add(&entry.standing);
    }
    let cities = city_completeness(plan, &roster);
    let unattributed = unattributed(&snapshot.submissions, plan, &roster);
    let rejects = rejects_by_submitter(snapshot, &entities);
    let (mut total_errors, mut total_warnings) = (0, 0);
    for i in 0..snapshot.rejects.len() {
        match snapshot.rejects.str(c::SEVERITY, i) {
            "error" => total_errors += 1,
            _ => total_warnings += 1,
        }
    }
    let mut model = Model {
        pipeline: plan.name.clone(),
        title: plan.title.clone(),
        group_names: (plan.roster.province_industries())
            .map(|industry| (industry.industry_id.clone(), industry.industry_name.clone()))
            .collect(),
        run_id: snapshot.run_id.clone(),
        years: plan.years.clone(),
        roster,
        unattributed,
        level_counts,
        cities,
        rejects,
        total_errors,
        total_warnings,
        trends: Vec::new(),
        ranks: Vec::new(),
        rules: Rules {
            min_group_size: plan.score_min_group_size,
            industry_prefix: plan.enterprise_industry_prefix,
            winsor_pct: plan.score_winsor_pct,
            score_min_completeness: plan.score_min_completeness,
            typical_min_completeness: plan.typical_min_completeness,
            typical_quota: (plan.typical_quota.iter())
                .map(|(level, quota)| (level_zh(level.as_str()), *quota))
                .collect(),
            weights: [
                (CatalogSection::Enterprise, "企业"),
                (CatalogSection::Park, "园区"),
                (CatalogSection::Industry, "重点行业（市级、省级）"),
            ]
            .into_iter()
            .map(|(section, name)| {
                let weighted = (plan.catalog.section(section))
                    .filter(|indicator| indicator.weight > 0.0)
                    .map(|i| Weighted {
                        name: i.name.clone(),
                        unit: i.unit.clone(),
                        weight: i.weight,
                        direction: i.direction,
                    })
                    .collect();
                (name, weighted)
            })
            .collect(),
        },
        typical: Vec::new(),
        weak: Vec::new(),
        entities,
        indicators,
    };
    model.trends = trends(snapshot, plan, &model);
    model.ranks = ranks(snapshot, &model);
    model.typical = typical(snapshot, &model);
    model.weak = weaknesses(snapshot, plan, &model);
    model
}

/// Rejected files whose submitter is no roster entry's, by file.
fn unattributed(submissions: &Table, plan: &Plan, roster: &[RosterEntry]) -> Vec<Unattributed> {
    let (s, keys) = (submissions, RosterKeys::new(plan));
    let entries: HashMap<(&str, &str), &RosterEntry> = roster
        .iter()
        .map(|entry| ((entry.level, entry.entity_id.as_str()), entry))
        .collect();
    let mut out: Vec<Unattributed> = Vec::new();
    for i in 0..s.len() {
        if s.str(c::STATUS, i) != SubmissionStatus::Rejected.as_str() {
            continue;
        }
        let file = s.str(c::SOURCE_FILE, i).to_string();
        let resubmitted = match keys.of(s, i) {
            None => None,
            Some((level, id)) => match entries.get(&(level.as_str(), id.as_str())) {
                // Matched by name, and that entry's standing comes from another, valid file:
                // the table shows that file, so this one is listed here.
                Some(entry)
                    if entry.standing == Standing::Submitted && entry.source_file != file =>
                {
                    Some((entry.name.clone(), entry.source_file.clone()))
                }
                _ => continue,
            },
        };
        out.push(Unattributed {
            file,
            reason: s.str(c::REASON, i).to_string(),
            resubmitted,
        });
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// The roster entry a submission stands for: its (form level, entity id) when the roster lists
/// it, else, for a rejected form, the entry of the same level whose name it carries (a form
/// rejected for a mistyped USCC is still that enterprise's return, and is shown as such).
struct RosterKeys<'p> {
    plan: &'p Plan,
    /// Enterprises by name key (as NAME_MISMATCH compares names): USCC and city code, made
    /// when a rejected form first needs it.
    enterprises: std::cell::OnceCell<HashMap<String, (&'p str, &'p str)>>,
}

impl<'p> RosterKeys<'p> {
    fn new(plan: &'p Plan) -> Self {
        RosterKeys {
            plan,
            enterprises: std::cell::OnceCell::new(),
        }
    }

    fn of(&self, s: &Table, i: usize) -> Option<(String, String)> {
        let (level, id) = (s.str(c::LEVEL, i), s.str(c::ENTITY_ID, i));
        let roster = &self.plan.roster;
        let listed = match level {
            "enterprise" => roster.enterprise(id).is_some(),
            "park" => roster.park(id).is_some(),
            "city" => roster.city(id).is_some(),
            _ => false,
        };
        if listed {
            return Some((level.to_string(), id.to_string()));
        }
        let name = s.str(c::ENTITY_NAME, i);
        if s.str(c::STATUS, i) != SubmissionStatus::Rejected.as_str() || name.trim().is_empty() {
            return None;
        }
        let found = match level {
            "enterprise" => {
                let by_name = self.enterprises.get_or_init(|| {
                    let mut by_name = HashMap::new();
                    for e in &roster.enterprises {
                        let name = crate::domain::text::name_key(&e.enterprise_name);
                        by_name
                            .entry(name)
                            .or_insert((e.uscc.as_str(), e.city_code.as_str()));
                    }
                    by_name
                });
                // The same name in another city is another enterprise.
                let city = s.str(c::CITY_CODE, i);
                (by_name.get(&crate::domain::text::name_key(name)))
                    .filter(|(_, listed_city)| city.is_empty() || city == *listed_city)
                    .map(|(uscc, _)| uscc.to_string())
            }
            "park" => roster.park_by_name(name).map(|p| p.park_id.clone()),
            "city" => roster.city_by_name(name).map(|city| city.city_code.clone()),
            _ => None,
        };
        found.map(|id| (level.to_string(), id))
    }
}

/// Active and rejected submissions by (form level, entity id), first by file path.
struct Received {
    active: HashMap<(String, String), usize>,
    rejected: HashMap<(String, String), usize>,
}

fn received(submissions: &Table, plan: &Plan) -> Received {
    let keys = RosterKeys::new(plan);
    let mut active = HashMap::new();
    let mut rejected = HashMap::new();
    let mut order: Vec<usize> = (0..submissions.len()).collect();
    order.sort_by(|&a, &b| {
        submissions
            .str(c::SOURCE_FILE, a)
            .cmp(submissions.str(c::SOURCE_FILE, b))
    });
    for i in order {
        let key = keys.of(submissions, i).unwrap_or_else(|| {
            (
                submissions.str(c::LEVEL, i).to_string(),
                submissions.str(c::ENTITY_ID, i).to_string(),
            )
        });
        if key.1.is_empty() {
            continue;
        }
        let status = submissions.str(c::STATUS, i);
        if status == SubmissionStatus::Active.as_str() {
            active.entry(key).or_insert(i);
        } else if status == SubmissionStatus::Rejected.as_str() {
            rejected.entry(key).or_insert(i);
        }
    }
    Received { active, rejected }
}

/// Every roster entity (enterprises, parks, cities) with its standing, from the submissions
/// table; cell counts come from `roster_status` when given.
pub fn roster_entries(
    submissions: &Table,
    roster_status: Option<&Table>,
    plan: &Plan,
) -> Vec<RosterEntry> {
    let received = received(submissions, plan);
    let s = submissions;
    let city_name = |code: &str| {
        plan.roster
            .city(code)
            .map(|city| city.city_name.clone())
            .unwrap_or_default()
    };
    let mut cells: HashMap<(String, String), (i64, i64)> = HashMap::new();
    let empty = Table::default();
    let r = roster_status.unwrap_or(&empty);
    for i in 0..r.len() {
        cells.insert(
            (
                r.str(c::LEVEL, i).to_string(),
                r.str(c::ENTITY_ID, i).to_string(),
            ),
            (
                r.integer(c::CELLS_LOADED, i).unwrap_or(0),
                r.integer(c::CELLS_EXPECTED, i).unwrap_or(0),
            ),
        );
    }
    let entry = |level: &'static str, id: &str, name: &str, city_code: &str, own: (i64, i64)| {
        let key = (level.to_string(), id.to_string());
        let (standing, row) = match (received.active.get(&key), received.rejected.get(&key)) {
            (Some(&row), _) => (Standing::Submitted, Some(row)),
            (None, Some(&row)) => (Standing::RejectedOnly, Some(row)),
            (None, None) => (Standing::Missing, None),
        };
        let text = |column: &str| {
            row.map(|i| s.str(column, i).to_string())
                .unwrap_or_default()
        };
        RosterEntry {
            level,
            entity_id: id.to_string(),
            name: name.to_string(),
            city_code: city_code.to_string(),
            city_name: city_name(city_code),
            standing,
            source_file: text(c::SOURCE_FILE),
            contact_name: text(c::CONTACT_NAME),
            contact_phone: text(c::CONTACT_PHONE),
            cells_loaded: own.0,
            cells_expected: own.1,
        }
    };
    let own = |level: &str, id: &str| {
        cells
            .get(&(level.to_string(), id.to_string()))
            .copied()
            .unwrap_or((0, 0))
    };
    let mut out = Vec::new();
    for enterprise in &plan.roster.enterprises {
        out.push(entry(
            "enterprise",
            &enterprise.uscc,
            &enterprise.enterprise_name,
            &enterprise.city_code,
            own("enterprise", &enterprise.uscc),
        ));
    }
    for park in &plan.roster.parks {
        out.push(entry(
            "park",
            &park.park_id,
            &park.park_name,
            &park.city_code,
            own("park", &park.park_id),
        ));
    }
    for city in &plan.roster.cities {
        // A city form carries the city's own industries and its part of each province one.
        let mut sum = (0, 0);
        for industry in &plan.roster.industries {
            let (level, id) = match industry.city_code.as_deref() {
                Some(code) if code == city.city_code => {
                    ("city_industry", industry.industry_id.clone())
                }
                None => (
                    "province_industry_city",
                    format!("{}-{}", industry.industry_id, city.city_code),
                ),
                _ => continue,
            };
            let (loaded, expected) = own(level, &id);
            sum = (sum.0 + loaded, sum.1 + expected);
        }
        out.push(entry(
            "city",
            &city.city_code,
            &city.city_name,
            &city.city_code,
            sum,
        ));
    }
    out
}

fn city_completeness(plan: &Plan, roster: &[RosterEntry]) -> Vec<CityCompleteness> {
    plan.roster
        .cities
        .iter()
        .map(|city| {
            let mut row = CityCompleteness {
                city_code: city.city_code.clone(),
                city_name: city.city_name.clone(),
                counts: FORM_LEVELS
                    .iter()
                    .map(|level| (*level, LevelCount::default()))
                    .collect(),
                ..CityCompleteness::default()
            };
            for entry in roster.iter().filter(|e| e.city_code == city.city_code) {
                row.counts
                    .entry(entry.level)
                    .or_default()
                    .add(&entry.standing);
                if entry.level == "enterprise" {
                    row.enterprise_cells.0 += entry.cells_loaded;
                    row.enterprise_cells.1 += entry.cells_expected;
                }
                if entry.level == "city" {
                    row.contact_name = entry.contact_name.clone();
                    row.contact_phone = entry.contact_phone.clone();
                }
            }
            row
        })
        .collect()
}

fn rejects_by_submitter(
    snapshot: &Snapshot,
    entities: &HashMap<(String, String), EntityInfo>,
) -> Vec<SubmitterRejects> {
    let s = &snapshot.submissions;
    // The submitter of each submission id: the first row that is not a duplicate.
    let mut submitter: HashMap<&str, usize> = HashMap::new();
    for i in 0..s.len() {
        if s.str(c::STATUS, i) == SubmissionStatus::Duplicate.as_str() {
            continue;
        }
        submitter.entry(s.str(c::SUBMISSION_ID, i)).or_insert(i);
    }
    let mut by: BTreeMap<(String, String), SubmitterRejects> = BTreeMap::new();
    let r = &snapshot.rejects;
    for i in 0..r.len() {
        let file = r.str(c::SOURCE_FILE, i).to_string();
        let (level, id, name) = match submitter.get(r.str(c::SUBMISSION_ID, i)) {
            Some(&row) if !s.str(c::ENTITY_ID, row).is_empty() => {
                let level = s.str(c::LEVEL, row).to_string();
                let id = s.str(c::ENTITY_ID, row).to_string();
                let mut name = s.str(c::ENTITY_NAME, row).to_string();
                if name.is_empty() {
                    if let Some(info) = entities.get(&(level.clone(), id.clone())) {
                        name = info.name.clone();
                    }
                }
                (level, id, name)
            }
            _ => (String::new(), file.clone(), file.clone()),
        };
        let entry = by
            .entry((level.clone(), id.clone()))
            .or_insert_with(|| SubmitterRejects {
                level,
                entity_id: id,
                name,
                ..SubmitterRejects::default()
            });
        entry.files.insert(file);
        if r.str(c::SEVERITY, i) == Severity::Error.as_str() {
            entry.errors += 1;
        } else {
            entry.warnings += 1;
        }
        *entry
            .by_rule
            .entry(r.str(c::RULE, i).to_string())
            .or_insert(0) += 1;
    }
    let mut list: Vec<SubmitterRejects> = by.into_values().collect();
    list.sort_by(|a, b| {
        (b.errors, b.warnings)
            .cmp(&(a.errors, a.warnings))
            .then_with(|| a.name.cmp(&b.name))
    });
    list
}

/// Values per year of each (level, entity, code).
pub type ValuesByYear = HashMap<(String, String, String), BTreeMap<i32, f64>>;

/// The facts of `levels` (a few levels, never the whole table): their values per year.
pub fn facts(table: &Table, levels: &[&str]) -> ValuesByYear {
    for level in levels {
        table.assert_holds_level(level);
    }
    let mut out: HashMap<(String, String, String), BTreeMap<i32, f64>> = HashMap::new();
    let (level_of, years, values) = (
        table.column(c::LEVEL),
        table.column(c::YEAR),
        table.column(c::VALUE),
    );
    let (ids, codes) = (table.column(c::ENTITY_ID), table.column(c::INDICATOR_CODE));
    for i in 0..table.len() {
        let level = level_of.str(i);
        if !levels.contains(&level) {
            continue;
        }
        let (Some(year), Some(value)) = (years.integer(i), values.number(i)) else {
            continue;
        };
        out.entry((
            level.to_string(),
            ids.str(i).to_string(),
            codes.str(i).to_string(),
        ))
        .or_default()
        .insert(year as i32, value);
    }
    out
}

fn trends(snapshot: &Snapshot, plan: &Plan, model: &Model) -> Vec<IndustryTrend> {
    let charted = [
        Level::ProvinceIndustry.as_str(),
        Level::ProvinceIndustryCity.as_str(),
    ];
    let facts = facts(&snapshot.fact_indicator, &charted);
    let series = |level: &str, id: &str, code: &str| -> Vec<Option<f64>> {
        let values = facts.get(&(level.to_string(), id.to_string(), code.to_string()));
        plan.years
            .iter()
            .map(|year| values.and_then(|v| v.get(year).copied()))
            .collect()
    };
    let level = Level::ProvinceIndustry.as_str();
    plan.roster
        .province_industries()
        .map(|industry| {
            let id = &industry.industry_id;
            let mut charted_amount = false;
            let indicators = model
                .indicators_of(level)
                .into_iter()
                .map(|indicator| {
                    let charted = match indicator.kind {
                        Kind::Rate | Kind::Score => true,
                        Kind::Amount if !charted_amount => {
                            charted_amount = true;
                            true
                        }
                        _ => false,
                    };
                    let cities = plan
                        .roster
                        .cities
                        .iter()
                        .map(|city| Series {
                            name: city.city_name.clone(),
                            values: series(
                                Level::ProvinceIndustryCity.as_str(),
                                &format!("{id}-{}", city.city_code),
                                &indicator.code,
                            ),
                        })
                        .filter(|s| s.values.iter().any(Option::is_some))
                        .collect();
                    IndicatorTrend {
                        indicator: indicator.clone(),
                        province: Series {
                            name: "全省".to_string(),
                            values: series(level, id, &indicator.code),
                        },
                        cities,
                        charted,
                    }
                })
                .collect();
            IndustryTrend {
                industry_id: id.clone(),
                name: industry.industry_name.clone(),
                indicators,
            }
        })
        .collect()
}

fn ranks(snapshot: &Snapshot, model: &Model) -> Vec<RankGroup> {
    let t = &snapshot.entity_score;
    let last = model.last_year() as i64;
    // Peer groups first, then sections, then `all`: the groups that fall back come last.
    let fallback = |group: &str| match group {
        "all" => 2,
        _ if group.starts_with("section:") => 1,
        _ => 0,
    };
    let mut groups: BTreeMap<(usize, String, u8, String), Vec<RankRow>> = BTreeMap::new();
    for i in 0..t.len() {
        if t.integer(c::YEAR, i) != Some(last) {
            continue;
        }
        let level = t.str(c::LEVEL, i).to_string();
        let id = t.str(c::ENTITY_ID, i).to_string();
        let known = model.entity(&level, &id);
        // An entity dim_entity does not describe is not known to be off the roster.
        let in_roster = known.is_none_or(|info| info.in_roster);
        let info = known.cloned().unwrap_or_default();
        groups
            .entry((
                level_order(&level),
                level.clone(),
                fallback(t.str(c::SCORE_GROUP, i)),
                t.str(c::SCORE_GROUP, i).to_string(),
            ))
            .or_default()
            .push(RankRow {
                entity_id: id,
                name: info.name,
                city_name: info.city_name,
                rank: t.integer(c::SCORE_RANK, i),
                score: t.number(c::SCORE, i),
                completeness: t.number(c::COMPLETENESS, i),
                score_change: t.number(c::SCORE_CHANGE, i),
                typical: t.flag(c::TYPICAL, i).unwrap_or(false),
                in_roster,
            });
    }
    groups
        .into_iter()
        .map(|((_, level, _, group), mut rows)| {
            rows.sort_by(|a, b| {
                (a.rank.is_none(), a.rank, &a.entity_id).cmp(&(
                    b.rank.is_none(),
                    b.rank,
                    &b.entity_id,
                ))
            });
            RankGroup { level, group, rows }
        })
        .collect()
}

fn typical(snapshot: &Snapshot, model: &Model) -> Vec<TypicalRow> {
    let (first, last) = (model.first_year() as i64, model.last_year() as i64);
    let t = &snapshot.entity_score;
    let picked: HashSet<(&str, &str)> = (0..t.len())
        .filter(|&i| t.integer(c::YEAR, i) == Some(last) && t.flag(c::TYPICAL, i) == Some(true))
        .map(|i| (t.str(c::LEVEL, i), t.str(c::ENTITY_ID, i)))
        .collect();
    // The contributions of the picked entities only (a few dozen of the million rows).
    let d = &snapshot.entity_score_detail;
    // (first year, last year) of each indicator's contribution; none where it had no value.
    type Years = (Option<f64>, Option<f64>);
    let mut contributions: HashMap<(String, String), BTreeMap<String, Years>> = HashMap::new();
    let (years, levels, ids) = (
        d.column(c::YEAR),
        d.column(c::LEVEL),
        d.column(c::ENTITY_ID),
    );
    for i in 0..d.len() {
        let year = years.integer(i);
        if year != Some(first) && year != Some(last) {
            continue;
        }
        let (level, id) = (levels.str(i), ids.str(i));
        if !picked.contains(&(level, id)) {
            continue;
        }
        let value = d.number(c::CONTRIBUTION, i).unwrap_or(0.0);
        let slot = contributions
            .entry((level.to_string(), id.to_string()))
            .or_default()
            .entry(d.str(c::INDICATOR_CODE, i).to_string())
            .or_insert((None, None));
        if year == Some(last) {
            slot.1 = Some(value);
        } else {
            slot.0 = Some(value);
        }
    }
    // The warnings on values the scores use: loaded values (not a row or year left out), of an
    // active submission (a superseded form's stay as its history) or rolled up (no file).
    let s = &snapshot.submissions;
    let active: HashSet<&str> = (0..s.len())
        .filter(|&i| s.str(c::STATUS, i) == SubmissionStatus::Active.as_str())
        .map(|i| s.str(c::SUBMISSION_ID, i))
        .collect();
    let r = &snapshot.rejects;
    let mut warnings: HashMap<(&str, &str), usize> = HashMap::new();
    for i in 0..r.len() {
        let key = (r.str(c::LEVEL, i), r.str(c::ENTITY_ID, i));
        let on_a_used_value = Rule::parse(r.str(c::RULE, i)).is_some_and(Rule::keeps_the_value)
            && !r.str(c::INDICATOR_CODE, i).is_empty()
            && (r.str(c::SUBMISSION_ID, i).is_empty()
                || active.contains(r.str(c::SUBMISSION_ID, i)));
        if on_a_used_value && picked.contains(&key) {
            *warnings.entry(key).or_default() += 1;
        }
    }
    let mut first_scores: HashMap<(String, String), f64> = HashMap::new();
    for i in 0..t.len() {
        if t.integer(c::YEAR, i) == Some(first) {
            if let Some(score) = t.number(c::SCORE, i) {
                first_scores.insert(
                    (
                        t.str(c::LEVEL, i).to_string(),
                        t.str(c::ENTITY_ID, i).to_string(),
                    ),
                    score,
                );
            }
        }
    }
    let mut rows = Vec::new();
    for i in 0..t.len() {
        if t.integer(c::YEAR, i) != Some(last) || t.flag(c::TYPICAL, i) != Some(true) {
            continue;
        }
        let level = t.str(c::LEVEL, i).to_string();
        let id = t.str(c::ENTITY_ID, i).to_string();
        let key = (level.clone(), id.clone());
        let info = model.entity(&level, &id).cloned().unwrap_or_default();
        // An indicator with no value in the first year rose from nothing: its whole
        // contribution would read as an improvement, so it is named apart, not ranked.
        let new_in_last: Vec<String> = (contributions.get(&key).into_iter())
            .flat_map(|by_code| by_code.iter())
            .filter(|(_, years)| matches!(years, (None, Some(_))))
            .map(|(code, _)| {
                model
                    .indicator(&level, code)
                    .map_or_else(|| code.clone(), |i| i.name.clone())
            })
            .collect();
        let mut top: Vec<Contribution> = contributions
            .get(&key)
            .map(|by_code| {
                by_code
                    .iter()
                    .filter_map(|(code, years)| match years {
                        (Some(before), Some(after)) => Some((code, before, after)),
                        _ => None,
                    })
                    .map(|(code, before, after)| Contribution {
                        code: code.clone(),
                        name: model
                            .indicator(&level, code)
                            .map(|i| i.name.clone())
                            .unwrap_or_else(|| code.clone()),
                        change: after - before,
                    })
                    .filter(|c| c.change > 0.0)
                    .collect()
            })
            .unwrap_or_default();
        top.sort_by(|a, b| {
            b.change
                .partial_cmp(&a.change)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.code.cmp(&b.code))
        });
        top.truncate(3);
        rows.push(TypicalRow {
            typical_rank: t.integer(c::TYPICAL_RANK, i).unwrap_or(0),
            entity_id: id,
            name: info.name,
            city_name: info.city_name,
            score: t.number(c::SCORE, i),
            first_score: first_scores.get(&key).copied(),
            score_change: t.number(c::SCORE_CHANGE, i),
            completeness: t.number(c::COMPLETENESS, i),
            top,
            new_in_last,
            warnings: (warnings.get(&(key.0.as_str(), key.1.as_str())))
                .copied()
                .unwrap_or(0),
            level,
        });
    }
    rows.sort_by(|a, b| {
        (level_order(&a.level), a.typical_rank, &a.entity_id).cmp(&(
            level_order(&b.level),
            b.typical_rank,
            &b.entity_id,
        ))
    });
    rows
}

/// Percentile of each value among `values` by direction: 100 the best, 0 the worst (ties share
/// the best rank), as `fact_comparison.percentile`; with the rank.
fn percentiles(values: &[(String, f64)], direction: Direction) -> HashMap<String, (f64, usize)> {
    let n = values.len();
    values
        .iter()
        .map(|(key, value)| {
            let better = values
                .iter()
                .filter(|(_, other)| match direction {
                    Direction::Higher => other > value,
                    Direction::Lower => other < value,
                })
                .count();
            let rank = better + 1;
            let percentile = if n <= 1 {
                100.0
            } else {
                100.0 * (n - rank) as f64 / (n - 1) as f64
            };
            (key.clone(), (percentile, rank))
        })
        .collect()
}

/// (value, yoy_pct) of one comparison row.
/// A fact at the last year: its value, its growth on the previous year (%), the previous value.
type ValueAndGrowth = (Option<f64>, Option<f64>, Option<f64>);

/// How many weak points each city lists.
pub const WEAK_PER_CITY: usize = 5;

fn weaknesses(snapshot: &Snapshot, plan: &Plan, model: &Model) -> Vec<CityWeakness> {
    let last = model.last_year() as i64;
    let cmp = &snapshot.fact_comparison;
    // (level, entity, code) → (value, yoy_pct) at the last year.
    let mut at_last: HashMap<(String, String, String), ValueAndGrowth> = HashMap::new();
    let (part, whole) = (
        Level::ProvinceIndustryCity.as_str(),
        Level::ProvinceIndustry.as_str(),
    );
    let (levels, years) = (cmp.column(c::LEVEL), cmp.column(c::YEAR));
    for i in 0..cmp.len() {
        // Only the province industries and their city parts are looked up here.
        let level = levels.str(i);
        if years.integer(i) != Some(last) || (level != part && level != whole) {
            continue;
        }
        at_last.insert(
            (
                level.to_string(),
                cmp.str(c::ENTITY_ID, i).to_string(),
                cmp.str(c::INDICATOR_CODE, i).to_string(),
            ),
            (
                cmp.number(c::VALUE, i),
                cmp.number(c::YOY_PCT, i),
                cmp.number(c::PREV_VALUE, i),
            ),
        );
    }
    let mut by_city: BTreeMap<String, Vec<Weakness>> = BTreeMap::new();
    for industry in plan.roster.province_industries() {
        for indicator in model.indicators_of(whole) {
            if indicator.kind == Kind::Flag {
                continue;
            }
            let by_value = matches!(indicator.kind, Kind::Rate | Kind::Score);
            let pick = |fact: &ValueAndGrowth| if by_value { fact.0 } else { fact.1 };
            // (city, compared value, (previous, last) when a growth is compared)
            type Compared = (String, f64, Option<(f64, f64)>);
            let compared: Vec<Compared> = plan
                .roster
                .cities
                .iter()
                .filter_map(|city| {
                    let id = format!("{}-{}", industry.industry_id, city.city_code);
                    let fact = at_last.get(&(part.to_string(), id, indicator.code.clone()))?;
                    let from_to = match (by_value, fact.2, fact.0) {
                        (false, Some(previous), Some(value)) => Some((previous, value)),
                        _ => None,
                    };
                    Some((city.city_code.clone(), pick(fact)?, from_to))
                })
                .collect();
            let values: Vec<(String, f64)> = (compared.iter())
                .map(|(city, value, _)| (city.clone(), *value))
                .collect();
            if values.len() < 2 {
                continue;
            }
            let province = at_last
                .get(&(
                    whole.to_string(),
                    industry.industry_id.clone(),
                    indicator.code.clone(),
                ))
                .and_then(pick);
            let positions = percentiles(&values, indicator.direction);
            for (city_code, value, from_to) in &compared {
                let (percentile, rank) = positions[city_code];
                by_city
                    .entry(city_code.clone())
                    .or_default()
                    .push(Weakness {
                        industry_id: industry.industry_id.clone(),
                        industry_name: industry.industry_name.clone(),
                        indicator: indicator.clone(),
                        measure: match (by_value, indicator.unit.as_str()) {
                            (true, "") => "数值".to_string(),
                            (true, unit) => format!("数值（{unit}）"),
                            (false, _) => "同比增速（%）".to_string(),
                        },
                        city_value: *value,
                        from_to: *from_to,
                        province_value: province,
                        percentile,
                        rank,
                        peers: values.len(),
                    });
            }
        }
    }
    plan.roster
        .cities
        .iter()
        .map(|city| {
            let mut rows = by_city.remove(&city.city_code).unwrap_or_default();
            rows.sort_by(|a, b| {
                a.percentile
                    .partial_cmp(&b.percentile)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| b.rank.cmp(&a.rank))
                    .then_with(|| a.industry_name.cmp(&b.industry_name))
                    .then_with(|| a.indicator.code.cmp(&b.indicator.code))
            });
            rows.retain(|row| row.percentile < 50.0);
            rows.truncate(WEAK_PER_CITY);
            CityWeakness {
                city_code: city.city_code.clone(),
                city_name: city.city_name.clone(),
                rows,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_follow_the_comparison_rules() {
        let values = vec![
            ("a".to_string(), 3.0),
            ("b".to_string(), 2.0),
            ("c".to_string(), 2.0),
            ("d".to_string(), 1.0),
        ];
        let p = percentiles(&values, Direction::Higher);
        assert_eq!(p["a"], (100.0, 1));
        assert_eq!(p["b"].1, 2);
        assert_eq!(p["c"].1, 2);
        assert_eq!(p["d"], (0.0, 4));
        let p = percentiles(&values, Direction::Lower);
        assert_eq!(p["d"], (100.0, 1));
        assert_eq!(p["a"], (0.0, 4));
    }
}
