//! `zlbd sample`: a synthetic inbox for any valid pipeline — one form per roster enterprise,
//! park and city, written with rust_xlsxwriter — plus `truth.json` (the fixtures' format)
//! saying what zlbd must make of every indicator cell and file.
//!
//! Values come from the catalog (see [`values`]). Unless `--clean`, a realistic minority of
//! returns carries the SPEC §3.4 variations and cell errors (see [`variations`], placed by
//! [`targets`]), and the inbox holds two corrections (one covering only the last year), a
//! duplicate copy, a file with a wrong USCC, an unreadable file, an Office lock file and a
//! stray text file — each only when the roster has room for it. Guarantees: no roster, catalog
//! or year window makes it panic (problems are [`SampleError`]s); the same pipeline and seed
//! give the same files, byte for byte.

mod forms;
mod targets;
mod values;
mod variations;
mod write;

use self::forms::{Card, FormPlan, Return};
use self::targets::Targets;
use self::values::Series;
use self::variations::Look;
use self::write::Inbox;
use crate::config::{Enterprise, Plan};
use crate::domain::{CatalogSection, Level, SubmissionStatus};
use crate::report::form_writer::Written;
use crate::report::template::file_name;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rust_xlsxwriter::XlsxError;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// rust_xlsxwriter refused a workbook.
    #[error("cannot write {file}: {source}")]
    Xlsx { file: String, source: XlsxError },
    /// `--listed-roster` names the roster the sample is made from.
    #[error(
        "--listed-roster {dir} is the roster of the pipeline the sample is made from; give another folder, so that roster does not grow"
    )]
    OwnRoster { dir: String },
    /// The output folder cannot be written.
    #[error("cannot write {file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Default)]
pub struct SampleOptions {
    pub seed: u64,
    /// Synthetic enterprises beyond the roster (load tests).
    pub extra_enterprises: usize,
    /// The extra enterprises are listed in a roster of their own ([`write_listed_roster`])
    /// and take their cities from it.
    pub listed_extras: bool,
    /// Only clean forms.
    pub clean: bool,
}

/// One indicator cell's expected outcome (the format of tests/fixtures/shared/truth.json, plus
/// `superseded` for values a correction replaces).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TruthCell {
    pub file: String,
    pub sheet: String,
    pub cell: String,
    pub level: String,
    pub entity_id: String,
    pub indicator: String,
    pub year: i32,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TruthFile {
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Truth {
    pub cells: Vec<TruthCell>,
    pub files: BTreeMap<String, TruthFile>,
    pub notes: BTreeMap<String, String>,
}

/// An enterprise form as written, for the files derived from it.
struct Filed {
    file: String,
    card: Card,
    /// Kept for the enterprises a correction restates.
    series: Option<Series>,
}

/// Writes all sample forms into `out` and returns the truth.
pub fn generate(plan: &Plan, out: &Path, options: &SampleOptions) -> Result<Truth, SampleError> {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let has_enterprise_form = has_section(plan, CatalogSection::Enterprise);
    let roster_enterprises = if has_enterprise_form {
        plan.roster.enterprises.len()
    } else {
        0
    };
    let targets = (!options.clean).then(|| Targets::choose(plan, roster_enterprises));
    let mut inbox = Inbox::default();
    let enterprises = enterprise_forms(plan, &mut rng, options, targets.as_ref(), &mut inbox)?;
    park_forms(plan, &mut rng, &mut inbox)?;
    let cities = city_forms(plan, &mut rng, targets.as_ref(), &mut inbox)?;
    if let Some(targets) = &targets {
        corrections(plan, targets, &enterprises, &mut inbox)?;
        stray_files(&enterprises, &cities, &mut inbox);
    }
    inbox.save(out, options.seed)
}

/// The enterprises beyond the roster: `extra_enterprises` of them, plus one that no roster
/// lists when the inbox has variations (SPEC's unexpected submitter).
fn extra_enterprises(plan: &Plan, options: &SampleOptions) -> Vec<forms::Extra> {
    let unexpected = usize::from(!options.clean);
    let listed = if options.listed_extras {
        options.extra_enterprises
    } else {
        0
    };
    forms::extra_enterprises(&plan.roster, options.extra_enterprises + unexpected, listed)
}

/// Writes the pipeline's roster with the listed extra enterprises added into `dir`, replacing
/// its four files; never into the folder the plan's roster was read from. Returns how many
/// enterprises it listed beyond the roster. A pipeline whose `roster` is `dir` compares a load
/// test's enterprises in the province's own peer groups, as a province with that many listed
/// enterprises would, instead of as one group of unknowns.
pub fn write_listed_roster(
    plan: &Plan,
    options: &SampleOptions,
    dir: &Path,
) -> Result<usize, SampleError> {
    let io = |file: &Path| {
        let file = file.display().to_string();
        move |source: std::io::Error| SampleError::Io { file, source }
    };
    let own = match (dir.canonicalize(), plan.roster_dir.canonicalize()) {
        (Ok(dir), Ok(roster_dir)) => dir == roster_dir,
        _ => false,
    };
    if own {
        return Err(SampleError::OwnRoster {
            dir: dir.display().to_string(),
        });
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let extras = extra_enterprises(plan, options);
    let listed = extras
        .iter()
        .filter(|extra| extra.listed)
        .map(|extra| &extra.enterprise);
    let roster = &plan.roster;
    write_csv(&dir.join("cities.csv"), &roster.cities)?;
    write_csv(&dir.join("industries.csv"), &roster.industries)?;
    write_csv(&dir.join("parks.csv"), &roster.parks)?;
    let enterprises: Vec<&Enterprise> = roster.enterprises.iter().chain(listed).collect();
    write_csv(&dir.join("enterprises.csv"), &enterprises)?;
    Ok(enterprises.len() - roster.enterprises.len())
}

/// One roster file: a header line, then a line per row.
fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> Result<(), SampleError> {
    let fail = |source: std::io::Error| SampleError::Io {
        file: path.display().to_string(),
        source,
    };
    let mut writer = csv::Writer::from_path(path).map_err(|error| fail(error.into()))?;
    for row in rows {
        writer.serialize(row).map_err(|error| fail(error.into()))?;
    }
    writer.flush().map_err(fail)
}

fn has_section(plan: &Plan, section: CatalogSection) -> bool {
    plan.catalog.section(section).next().is_some()
}

fn every_year(plan: &Plan) -> Vec<usize> {
    (0..plan.years.len()).collect()
}

/// A fresh synthetic series for one entity, and its clean rows over every comparison year.
fn drawn_rows<'a>(
    plan: &'a Plan,
    rng: &mut ChaCha8Rng,
    section: CatalogSection,
    entity: (Level, &str),
    industry: Option<&str>,
) -> (Series, Vec<forms::RowPlan<'a>>) {
    let series = values::draw(rng, &plan.catalog, section, plan.years.len());
    let rows = forms::rows_for(
        &plan.catalog,
        section,
        &series,
        entity,
        industry,
        &every_year(plan),
    );
    (series, rows)
}

/// One form per roster enterprise (with its variations), then the enterprises beyond the
/// roster; a copy with a misspelt USCC goes with one of them.
fn enterprise_forms(
    plan: &Plan,
    rng: &mut ChaCha8Rng,
    options: &SampleOptions,
    targets: Option<&Targets>,
    inbox: &mut Inbox,
) -> Result<Vec<Filed>, SampleError> {
    if !has_section(plan, CatalogSection::Enterprise) {
        return Ok(Vec::new());
    }
    let cards = forms::enterprise_cards(&plan.roster, &extra_enterprises(plan, options));
    let misspelt = targets::nth(&cards, targets::BAD_USCC).map(|card| card.uscc.clone());
    let mut filed = Vec::with_capacity(cards.len());
    for (position, card) in cards.into_iter().enumerate() {
        let section = CatalogSection::Enterprise;
        let entity = (Level::Enterprise, card.uscc.as_str());
        let (series, rows) = drawn_rows(plan, rng, section, entity, None);
        let filed_on = Return {
            version: 1,
            date: "2022-01-15",
            years: plan.years.clone(),
        };
        let file = file_name("企业_", &card.name);
        let mut form = forms::enterprise_form(file, &card, rows, filed_on);
        if let Some(targets) = targets {
            if position < plan.roster.enterprises.len() {
                vary_enterprise(plan, targets, position, &series, &mut form);
            }
            if misspelt.as_deref() == Some(card.uscc.as_str()) {
                inbox.add_form(&misspelt_copy(&form, &card), SubmissionStatus::Rejected)?;
            }
        }
        let file = inbox.add_form(&form, SubmissionStatus::Active)?;
        let corrected = targets.is_some_and(|targets| targets.corrects(position));
        let series = corrected.then_some(series);
        filed.push(Filed { file, card, series });
    }
    Ok(filed)
}

/// The form as a submitter sent it earlier with a typo in its USCC: refused whole (BAD_USCC).
fn misspelt_copy<'a>(form: &FormPlan<'a>, card: &Card) -> FormPlan<'a> {
    let mut copy = form.clone();
    copy.file = file_name("企业_", &format!("{}_代码有误", card.name));
    let misspelt = variations::misspelt_uscc(&card.uscc);
    for (label, value) in &mut copy.info {
        match label.as_str() {
            "统一社会信用代码" => *value = Written::Text(misspelt.clone()),
            "填报日期" => *value = Written::Text("2022-01-10".to_string()),
            _ => {}
        }
    }
    copy
}

/// Applies an enterprise's look and whatever the targets give it, in year order, then turns
/// the columns around when its look says so.
fn vary_enterprise(
    plan: &Plan,
    targets: &Targets,
    position: usize,
    series: &Series,
    form: &mut FormPlan,
) {
    let catalog = &plan.catalog;
    let look = Look::of(position);
    look.apply(form, catalog);
    let Some(sheet) = form.sheets.first_mut() else {
        return;
    };
    if let Some((_, indicator)) = targets.inconsistent.filter(|(at, _)| *at == position) {
        variations::make_inconsistent(&mut sheet.rows, indicator, series);
    }
    for (_, error, indicator) in targets.errors.iter().filter(|(at, ..)| *at == position) {
        error.apply(&mut sheet.rows, indicator);
    }
    if look == Look::FiscalReversed {
        variations::reverse_years(sheet);
    }
    if targets.duplicate_row == Some(position) {
        variations::add_duplicate_row(sheet);
    }
    if targets.unknown_row == Some(position) {
        variations::add_unknown_row(sheet, catalog);
    }
    if targets.outside_year == Some(position) {
        variations::add_outside_year(sheet, plan.first_year());
    }
}

/// A correction restating every year of one enterprise (its first form is then superseded)
/// and one restating only the last year of another.
fn corrections(
    plan: &Plan,
    targets: &Targets,
    enterprises: &[Filed],
    inbox: &mut Inbox,
) -> Result<(), SampleError> {
    let last = plan.years.len().saturating_sub(1);
    let last_year = plan.last_year();
    for (position, only_last) in [
        (targets.full_correction, false),
        (targets.partial_correction, true),
    ] {
        let Some(original) = position.and_then(|position| enterprises.get(position)) else {
            continue;
        };
        let Some(series) = &original.series else {
            continue;
        };
        let section = CatalogSection::Enterprise;
        let restated = values::restate(&plan.catalog, section, series);
        let (years, positions) = if only_last {
            (vec![last_year], vec![last])
        } else {
            (plan.years.clone(), every_year(plan))
        };
        let entity = (Level::Enterprise, original.card.uscc.as_str());
        let rows = forms::rows_for(&plan.catalog, section, &restated, entity, None, &positions);
        let file = file_name("企业_", &format!("{}_更正", original.card.name));
        let filed_on = Return {
            version: 2,
            date: "2022-02-20",
            years,
        };
        let form = forms::enterprise_form(file, &original.card, rows, filed_on);
        inbox.add_form(&form, SubmissionStatus::Active)?;
        inbox.supersede(&original.file, only_last.then_some(last_year));
    }
    Ok(())
}

/// One form per park.
fn park_forms(plan: &Plan, rng: &mut ChaCha8Rng, inbox: &mut Inbox) -> Result<(), SampleError> {
    let section = CatalogSection::Park;
    if !has_section(plan, section) {
        return Ok(());
    }
    for park in &plan.roster.parks {
        let entity = (Level::Park, park.park_id.as_str());
        let (_, rows) = drawn_rows(plan, rng, section, entity, None);
        inbox.add_form(
            &forms::park_form(plan, park, rows),
            SubmissionStatus::Active,
        )?;
    }
    Ok(())
}

/// One form per city that has industries to report; returns the files written.
fn city_forms(
    plan: &Plan,
    rng: &mut ChaCha8Rng,
    targets: Option<&Targets>,
    inbox: &mut Inbox,
) -> Result<Vec<String>, SampleError> {
    let section = CatalogSection::Industry;
    let mut files = Vec::new();
    if !has_section(plan, section) {
        return Ok(files);
    }
    for (index, city) in plan.roster.cities.iter().enumerate() {
        let (own, province) = forms::city_entities(&plan.roster, city);
        let mut rows = |level: Level, entities: forms::Reported| {
            let mut rows = Vec::new();
            for (industry, entity) in entities {
                let name = Some(industry.industry_name.as_str());
                let entity = (level, entity.as_str());
                rows.extend(drawn_rows(plan, rng, section, entity, name).1);
            }
            rows
        };
        let own = rows(Level::CityIndustry, own);
        let province = rows(Level::ProvinceIndustryCity, province);
        let Some(mut form) = forms::city_form(plan, city, own, province) else {
            continue;
        };
        if let Some(targets) = targets {
            if targets.renamed_city == Some(index) {
                variations::rename_city_sheets(&mut form);
            }
            if targets.two_row_city == Some(index) {
                if let Some(sheet) = form.sheets.last_mut() {
                    sheet.layout.two_row_header = true;
                }
            }
        }
        files.push(inbox.add_form(&form, SubmissionStatus::Active)?);
    }
    Ok(files)
}

/// A byte-identical copy, a file cut off in transfer, an Office lock file and a note.
fn stray_files(enterprises: &[Filed], cities: &[String], inbox: &mut Inbox) {
    let copy_of = targets::nth(enterprises, targets::DUPLICATE_COPY);
    if let Some(original) = copy_of {
        if let Some(bytes) = inbox.bytes(&original.file).map(<[u8]>::to_vec) {
            let name = format!("副本_{}", original.file);
            inbox.add_file(name, bytes, SubmissionStatus::Duplicate);
        }
    }
    let cut = targets::nth(enterprises, targets::TRUNCATED);
    if let Some(bytes) = cut.and_then(|original| inbox.bytes(&original.file)) {
        let truncated = bytes[..bytes.len().min(1500).min(bytes.len() / 2)].to_vec();
        inbox.add_file(
            "企业_传输中断.xlsx".to_string(),
            truncated,
            SubmissionStatus::Rejected,
        );
    }
    let locked = cities
        .first()
        .or(enterprises.first().map(|filed| &filed.file));
    if let Some(file) = locked {
        let lock = format!("~${file}");
        inbox.add_file(
            lock,
            b"\x05locked by zhangsan".to_vec(),
            SubmissionStatus::Ignored,
        );
    }
    let note = "请于1月31日前报送。\n".as_bytes().to_vec();
    inbox.add_file("填报说明.txt".to_string(), note, SubmissionStatus::Ignored);
}
