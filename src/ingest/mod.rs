//! Ingest: find the inbox's files, fingerprint them, open each workbook through the calamine
//! adapter, recognise the form by content and emit every indicator cell with its sheet and A1
//! address, still raw. Nothing here judges a value; that is normalize's job.
//!
//! Guarantees: every file found gets exactly one [`FileContent`]; a file that cannot be read is
//! `Rejected` with a reason for the submitter, never an error that stops the run.

pub(crate) mod locate;
pub mod workbook;

use crate::config::Plan;
use crate::domain::text;
use crate::domain::{a1, uscc, CatalogSection, Finding, Form, Level, Rule};
pub use crate::domain::{EntityRef, Submitter};
use locate::{InfoKey, InfoValue, Table};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use workbook::{CellValue, FileFormat};

/// A file found in the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxFile {
    pub path: PathBuf,
    /// Path relative to the inbox, with `/` separators (the `source_file` column).
    pub relative: String,
    pub size: u64,
    /// Modification time in nanoseconds since the epoch; orders corrections and duplicates.
    pub modified_ns: i64,
}

/// Every regular file below the inbox, sorted by relative path.
pub fn discover(inbox: &Path) -> std::io::Result<Vec<InboxFile>> {
    let mut files = Vec::new();
    let mut pending = vec![inbox.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
                continue;
            }
            if let Ok(file) = inbox_file(&path, inbox) {
                files.push(file);
            }
        }
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(files)
}

/// One regular file, named relative to `base` (the inbox; for a lone file, the empty path
/// names it by its file name).
pub fn inbox_file(path: &Path, base: &Path) -> std::io::Result<InboxFile> {
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let relative = match path.strip_prefix(base) {
        Ok(inside) if !base.as_os_str().is_empty() => inside,
        _ => Path::new(path.file_name().unwrap_or(path.as_os_str())),
    };
    let relative = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    let modified_ns = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|duration| duration.as_nanos() as i64)
        .unwrap_or(0);
    Ok(InboxFile {
        path: path.to_path_buf(),
        relative,
        size: metadata.len(),
        modified_ns,
    })
}

/// Why a file is passed over without being read (status `ignored`), if it is.
pub fn ignore_reason(relative: &str) -> Option<&'static str> {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    if name.starts_with("~$") {
        return Some("Office临时锁文件，已忽略 (Office lock file, ignored)");
    }
    if name.starts_with('.') || relative.split('/').any(|part| part.starts_with('.')) {
        return Some("隐藏文件，已忽略 (hidden file, ignored)");
    }
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    match extension.as_deref() {
        Some("xlsx" | "xlsm" | "xls" | "ods") => None,
        _ => Some("非电子表格文件，已忽略 (not a spreadsheet, ignored)"),
    }
}

/// Lower-case hex SHA-256 of a file's bytes: the `submission_id`.
pub fn fingerprint(bytes: &[u8]) -> String {
    text::hex(&Sha256::digest(bytes))
}

/// One indicator cell of a comparison year, as found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawCell {
    pub level: Level,
    pub entity_id: String,
    pub indicator_code: String,
    pub year: i32,
    pub sheet: String,
    pub cell: String,
    pub value: CellValue,
    /// The row's unit: the 计量单位 cell, else a unit in the name's brackets.
    pub unit: Option<String>,
}

/// How a table row was understood, for `zlbd inspect`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowMatch {
    pub sheet: String,
    pub cell: String,
    pub name: String,
    pub level: Option<Level>,
    pub entity_id: Option<String>,
    pub indicator_code: Option<String>,
    /// Why the row is not read, when it is not.
    pub skipped: Option<String>,
}

/// How a table's columns were understood, for `zlbd inspect`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableMatch {
    pub sheet: String,
    pub hidden: bool,
    pub header_cell: String,
    pub name_column: String,
    pub unit_column: Option<String>,
    pub industry_column: Option<String>,
    /// (column letter, year, inside the comparison window)
    pub year_columns: Vec<(String, i32, bool)>,
}

/// A recognised form with all its indicator cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    pub form: Form,
    pub submitter: Submitter,
    pub version: i64,
    pub filled_date: Option<chrono::NaiveDate>,
    /// Comparison years present as columns.
    pub years: Vec<i32>,
    pub entities: Vec<EntityRef>,
    pub cells: Vec<RawCell>,
    /// Warnings found while reading (unknown indicators, years outside the window …).
    pub findings: Vec<Finding>,
    pub tables: Vec<TableMatch>,
    pub rows: Vec<RowMatch>,
}

/// What became of one file's bytes: ingest yields `FileContent<Extracted>`, normalize
/// `FileContent<Submission>` (the parse cache stores the latter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FileContent<T = Extracted> {
    Ignored {
        reason: String,
    },
    /// The whole submission is refused; `finding` is its rejects row when a rule applies.
    Rejected {
        reason: String,
        form: Option<Form>,
        submitter: Option<Submitter>,
        finding: Option<Finding>,
    },
    Accepted(Box<T>),
}

impl<T> FileContent<T> {
    /// Transforms an accepted form, passing ignored and rejected files through.
    pub fn map<U>(self, transform: impl FnOnce(T) -> U) -> FileContent<U> {
        match self {
            FileContent::Ignored { reason } => FileContent::Ignored { reason },
            FileContent::Rejected {
                reason,
                form,
                submitter,
                finding,
            } => FileContent::Rejected {
                reason,
                form,
                submitter,
                finding,
            },
            FileContent::Accepted(accepted) => {
                FileContent::Accepted(Box::new(transform(*accepted)))
            }
        }
    }
}

/// Reads one file's bytes into its content. `source_file` is used in findings. A panic inside
/// a reader (a bug in zlbd or calamine on a malformed file; the fuzzer finds such files) rejects
/// this file instead of ending the run.
pub fn extract(
    bytes: &[u8],
    plan: &Plan,
    submission_id: &str,
    source_file: &str,
) -> (Option<FileFormat>, FileContent) {
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_file(bytes, plan, submission_id, source_file)
    }));
    read.unwrap_or_else(|_| {
        tracing::error!(file = %source_file, "Reading this file panicked; it is rejected and the run goes on.");
        (None, rejected("文件结构异常，无法读取，请用Excel另存为.xlsx后重新报送 (the reader failed on this file)".to_string(), None))
    })
}

fn read_file(
    bytes: &[u8],
    plan: &Plan,
    submission_id: &str,
    source_file: &str,
) -> (Option<FileFormat>, FileContent) {
    let workbook = match workbook::open(bytes, &plan.limits) {
        Ok(workbook) => workbook,
        Err(error) => {
            return (
                None,
                FileContent::Rejected {
                    reason: error.to_string(),
                    form: None,
                    submitter: None,
                    finding: None,
                },
            )
        }
    };
    let format = workbook.format;
    let reader = FormReader {
        plan,
        submission_id,
        source_file,
    };
    (Some(format), reader.read(&workbook.sheets))
}

/// Turns a workbook's sheets into a submission.
struct FormReader<'a> {
    plan: &'a Plan,
    submission_id: &'a str,
    source_file: &'a str,
}

fn rejected(reason: String, form: Option<Form>) -> FileContent {
    FileContent::Rejected {
        reason,
        form,
        submitter: None,
        finding: None,
    }
}

/// A form whose 基本信息 does not say who sent it.
fn no_identity(form: Form, what: &str) -> Result<Submitter, FileContent> {
    Err(rejected(
        format!(
            "未找到填报单位身份：请在基本信息表填写{what} (no submitter identity: {what} missing)"
        ),
        Some(form),
    ))
}

fn info_text(info: &BTreeMap<InfoKey, InfoValue>, key: InfoKey) -> Option<String> {
    info.get(&key)
        .map(|value| value.value.display().trim().to_string())
        .filter(|text| !text.is_empty())
}

impl FormReader<'_> {
    fn finding(
        &self,
        rule: Rule,
        sheet: &str,
        cell: &str,
        message: String,
        raw: Option<String>,
    ) -> Finding {
        Finding {
            submission_id: self.submission_id.to_string(),
            source_file: self.source_file.to_string(),
            source_sheet: Some(sheet.to_string()),
            source_cell: Some(cell.to_string()),
            level: None,
            entity_id: None,
            indicator_code: None,
            year: None,
            rule,
            message,
            raw_value: raw,
        }
    }

    fn read(&self, sheets: &[workbook::Sheet]) -> FileContent {
        let info = locate::basic_info(sheets);
        let tables: Vec<Table> = sheets.iter().filter_map(locate::table).collect();
        let Some((form, chosen)) = self.recognise(&info, &tables) else {
            return rejected(
                "无法识别报表类型：未找到指标表或指标名称不符，请使用省里下发的报表模板 (form not recognised: no indicator table matches the catalog)".to_string(),
                None,
            );
        };
        let submitter = match self.submitter(form, &info) {
            Ok(submitter) => submitter,
            Err(content) => return content,
        };
        let mut extracted = Extracted {
            form,
            version: version(&info),
            filled_date: info
                .get(&InfoKey::FilledDate)
                .and_then(|value| parse_date(&value.value)),
            submitter,
            years: Vec::new(),
            entities: Vec::new(),
            cells: Vec::new(),
            findings: Vec::new(),
            tables: Vec::new(),
            rows: Vec::new(),
        };
        if !extracted.submitter.in_roster {
            let identity = [
                InfoKey::Uscc,
                InfoKey::ParkCode,
                InfoKey::ParkName,
                InfoKey::RegionCode,
                InfoKey::City,
            ]
            .iter()
            .find_map(|key| info.get(key));
            let (sheet, cell) = identity
                .map(|value| (value.sheet.clone(), value.cell.clone()))
                .unwrap_or_default();
            let mut finding = self.finding(
                Rule::NotInRoster,
                &sheet,
                &cell,
                format!(
                    "{}!{} 填报单位“{}”({})不在全省名单中，数据已载入，请核实 (submitter not in the roster)",
                    sheet, cell, extracted.submitter.entity_name, extracted.submitter.entity_id
                ),
                Some(extracted.submitter.entity_id.clone()),
            );
            finding.level = Some(extracted.submitter.form.submitter_level().to_string());
            finding.entity_id = Some(extracted.submitter.entity_id.clone());
            extracted.findings.push(finding);
        }
        let mut years = BTreeSet::new();
        let mut seen = HashSet::new();
        let mut entities = BTreeMap::new();
        for table in chosen {
            self.read_table(table, &mut extracted, &mut years, &mut seen, &mut entities);
        }
        extracted.years = years.into_iter().collect();
        extracted.entities = entities.into_values().collect();
        FileContent::Accepted(Box::new(extracted))
    }

    /// Decides the form from the tables' indicator names (and labels on a tie).
    fn recognise<'t>(
        &self,
        info: &BTreeMap<InfoKey, InfoValue>,
        tables: &'t [Table],
    ) -> Option<(Form, Vec<&'t Table>)> {
        use crate::domain::CatalogSection;
        let catalog = &self.plan.catalog;
        let matches = |table: &Table, section: CatalogSection| -> usize {
            let codes: HashSet<&str> = table
                .rows
                .iter()
                .filter_map(|row| catalog.lookup(section, &text::split_indicator_name(&row.name).0))
                .map(|indicator| indicator.code.as_str())
                .collect();
            codes.len()
        };
        let city_tables: Vec<&Table> = tables
            .iter()
            .filter(|table| {
                table.industry_col.is_some() && matches(table, CatalogSection::Industry) > 0
            })
            .collect();
        if !city_tables.is_empty() {
            return Some((Form::City, city_tables));
        }
        let best = |section: CatalogSection| -> Option<(usize, &'t Table)> {
            tables
                .iter()
                .map(|table| (matches(table, section), table))
                .filter(|(count, _)| *count > 0)
                // Most matches wins; a visible sheet before a hidden one; then sheet order.
                .max_by(|(a, ta), (b, tb)| {
                    a.cmp(b)
                        .then(tb.hidden.cmp(&ta.hidden))
                        .then(std::cmp::Ordering::Greater)
                })
        };
        let enterprise = best(CatalogSection::Enterprise);
        let park = best(CatalogSection::Park);
        match (enterprise, park) {
            (None, None) => None,
            (Some((_, table)), None) => Some((Form::Enterprise, vec![table])),
            (None, Some((_, table))) => Some((Form::Park, vec![table])),
            (Some((e, enterprise_table)), Some((p, park_table))) => {
                let park_labels =
                    info.contains_key(&InfoKey::ParkName) && !info.contains_key(&InfoKey::Uscc);
                if p > e || (p == e && park_labels) {
                    Some((Form::Park, vec![park_table]))
                } else {
                    Some((Form::Enterprise, vec![enterprise_table]))
                }
            }
        }
    }

    fn submitter(
        &self,
        form: Form,
        info: &BTreeMap<InfoKey, InfoValue>,
    ) -> Result<Submitter, FileContent> {
        match form {
            Form::Enterprise => self.enterprise_submitter(info),
            Form::Park => self.park_submitter(info),
            Form::City => self.city_submitter(info),
        }
    }

    /// The city a form names: its 行政区划代码, else its 地市 name looked up in the roster.
    fn city_from_info(&self, info: &BTreeMap<InfoKey, InfoValue>) -> Option<String> {
        if let Some(code) = info_text(info, InfoKey::RegionCode) {
            let code = code.trim_end_matches(".0").to_string();
            if code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()) {
                return Some(code);
            }
        }
        info_text(info, InfoKey::City)
            .and_then(|name| self.plan.roster.city_by_name(&name))
            .map(|city| city.city_code.clone())
    }

    fn enterprise_submitter(
        &self,
        info: &BTreeMap<InfoKey, InfoValue>,
    ) -> Result<Submitter, FileContent> {
        let (form, roster) = (Form::Enterprise, &self.plan.roster);
        let city_from_info = || self.city_from_info(info);
        let Some(value) = info.get(&InfoKey::Uscc) else {
            return no_identity(form, "统一社会信用代码");
        };
        let raw = value.value.display();
        let code = uscc::canonical(&raw);
        if let Err(reason) = uscc::validate(&code) {
            let message = format!(
                "{}!{} 统一社会信用代码“{}”有误：{reason}，整份报表未载入，请更正后重新报送",
                value.sheet, value.cell, raw
            );
            let mut finding = self.finding(
                Rule::BadUscc,
                &value.sheet,
                &value.cell,
                message.clone(),
                Some(raw.clone()),
            );
            finding.level = Some(Level::Enterprise.as_str().to_string());
            finding.entity_id = Some(code.clone());
            return Err(FileContent::Rejected {
                reason: format!("{message} (BAD_USCC: {reason})"),
                form: Some(form),
                submitter: Some(Submitter {
                    form,
                    entity_id: code,
                    entity_name: info_text(info, InfoKey::EnterpriseName).unwrap_or_default(),
                    city_code: city_from_info(),
                    in_roster: false,
                }),
                finding: Some(finding),
            });
        }
        let listed = roster.enterprise(&code);
        Ok(Submitter {
            form,
            entity_name: listed
                .map(|enterprise| enterprise.enterprise_name.clone())
                .or_else(|| info_text(info, InfoKey::EnterpriseName))
                .unwrap_or_else(|| code.clone()),
            city_code: listed
                .map(|enterprise| enterprise.city_code.clone())
                .or_else(city_from_info),
            in_roster: listed.is_some(),
            entity_id: code,
        })
    }

    fn park_submitter(
        &self,
        info: &BTreeMap<InfoKey, InfoValue>,
    ) -> Result<Submitter, FileContent> {
        let (form, roster) = (Form::Park, &self.plan.roster);
        let city_from_info = || self.city_from_info(info);
        let by_code = info_text(info, InfoKey::ParkCode)
            .and_then(|code| roster.park(&text::fold(&code).to_ascii_uppercase()));
        let name = info_text(info, InfoKey::ParkName);
        let listed = by_code.or_else(|| name.as_deref().and_then(|name| roster.park_by_name(name)));
        match (listed, name) {
            (Some(park), _) => Ok(Submitter {
                form,
                entity_id: park.park_id.clone(),
                entity_name: park.park_name.clone(),
                city_code: Some(park.city_code.clone()),
                in_roster: true,
            }),
            (None, Some(name)) => Ok(Submitter {
                form,
                entity_id: info_text(info, InfoKey::ParkCode).unwrap_or_else(|| name.clone()),
                entity_name: name,
                city_code: city_from_info(),
                in_roster: false,
            }),
            (None, None) => no_identity(form, "园区名称"),
        }
    }

    fn city_submitter(
        &self,
        info: &BTreeMap<InfoKey, InfoValue>,
    ) -> Result<Submitter, FileContent> {
        let (form, roster) = (Form::City, &self.plan.roster);
        let city_from_info = || self.city_from_info(info);
        let Some(code) = city_from_info() else {
            return no_identity(form, "填报地市或行政区划代码");
        };
        let listed = roster.city(&code);
        Ok(Submitter {
            form,
            entity_name: listed
                .map(|city| city.city_name.clone())
                .or_else(|| info_text(info, InfoKey::City))
                .unwrap_or_else(|| code.clone()),
            city_code: Some(code.clone()),
            in_roster: listed.is_some(),
            entity_id: code,
        })
    }

    /// The entity a table row reports on.
    fn row_entity(
        &self,
        form: Form,
        submitter: &Submitter,
        table: &Table,
        industry: Option<&str>,
    ) -> Option<EntityRef> {
        let roster = &self.plan.roster;
        match form {
            Form::Enterprise => Some(EntityRef {
                level: Level::Enterprise,
                entity_id: submitter.entity_id.clone(),
                entity_name: submitter.entity_name.clone(),
                city_code: submitter.city_code.clone(),
                in_roster: submitter.in_roster,
            }),
            Form::Park => Some(EntityRef {
                level: Level::Park,
                entity_id: submitter.entity_id.clone(),
                entity_name: submitter.entity_name.clone(),
                city_code: submitter.city_code.clone(),
                in_roster: submitter.in_roster,
            }),
            Form::City => {
                let industry = industry?;
                let city = submitter.entity_id.as_str();
                let province_sheet = table.sheet.contains("全省");
                let own = roster
                    .city_industry(city, industry)
                    .filter(|_| !province_sheet);
                if let Some(own) = own {
                    return Some(EntityRef {
                        level: Level::CityIndustry,
                        entity_id: own.industry_id.clone(),
                        entity_name: own.industry_name.clone(),
                        city_code: Some(city.to_string()),
                        in_roster: submitter.in_roster,
                    });
                }
                if let Some(province) = roster.province_industry(industry) {
                    return Some(EntityRef {
                        level: Level::ProvinceIndustryCity,
                        entity_id: format!("{}-{city}", province.industry_id),
                        entity_name: format!(
                            "{}({})",
                            province.industry_name, submitter.entity_name
                        ),
                        city_code: Some(city.to_string()),
                        in_roster: submitter.in_roster,
                    });
                }
                let level = if province_sheet {
                    Level::ProvinceIndustryCity
                } else {
                    Level::CityIndustry
                };
                Some(EntityRef {
                    level,
                    entity_id: format!("{city}-{}", text::fold(industry)),
                    entity_name: industry.to_string(),
                    city_code: Some(city.to_string()),
                    in_roster: false,
                })
            }
        }
    }

    fn read_table(
        &self,
        table: &Table,
        extracted: &mut Extracted,
        years: &mut BTreeSet<i32>,
        seen: &mut HashSet<(Level, String, String)>,
        entities: &mut BTreeMap<(Level, String), EntityRef>,
    ) {
        extracted.tables.push(table_match(table, &self.plan.years));
        let read_columns = self.year_columns(table, extracted, years);
        let section = extracted.form.catalog_section();
        for row in &table.rows {
            let matched = self.read_row(
                table,
                row,
                section,
                &read_columns,
                extracted,
                seen,
                entities,
            );
            extracted.rows.push(matched);
        }
    }

    /// Which year columns are read: inside the window, the first column of a year wins; a
    /// column outside the window is a YEAR_OUTSIDE_WINDOW warning.
    fn year_columns(
        &self,
        table: &Table,
        extracted: &mut Extracted,
        years: &mut BTreeSet<i32>,
    ) -> Vec<usize> {
        let plan = self.plan;
        let mut used_years = HashSet::new();
        let mut read_columns = Vec::new();
        for (index, year) in table.years.iter().enumerate() {
            if !plan.years.contains(&year.year) {
                extracted.findings.push(self.finding(
                    Rule::YearOutsideWindow,
                    &table.sheet,
                    &year.header_cell,
                    format!(
                        "{}!{} 年份“{}”不在比对年份({})内，该列数据未载入 (year column outside the comparison years)",
                        table.sheet,
                        year.header_cell,
                        year.label,
                        Plan::years_text(&plan.years)
                    ),
                    Some(year.label.clone()),
                ));
            } else if used_years.insert(year.year) {
                read_columns.push(index);
                years.insert(year.year);
            }
        }
        read_columns
    }

    /// One indicator row: its cells, or why it is skipped, with any warning it raises.
    #[allow(clippy::too_many_arguments)]
    fn read_row(
        &self,
        table: &Table,
        row: &locate::TableRow,
        section: CatalogSection,
        read_columns: &[usize],
        extracted: &mut Extracted,
        seen: &mut HashSet<(Level, String, String)>,
        entities: &mut BTreeMap<(Level, String), EntityRef>,
    ) -> RowMatch {
        let plan = self.plan;
        let (folded, suffix_unit) = text::split_indicator_name(&row.name);
        let mut matched = RowMatch {
            sheet: table.sheet.clone(),
            cell: row.name_cell.clone(),
            name: row.name.clone(),
            level: None,
            entity_id: None,
            indicator_code: None,
            skipped: None,
        };
        let has_values = row.values.iter().any(|value| !value.is_empty());
        let Some(indicator) = plan.catalog.lookup(section, &folded) else {
            if has_values || row.unit.is_some() {
                extracted.findings.push(self.finding(
                    Rule::UnknownIndicator,
                    &table.sheet,
                    &row.name_cell,
                    format!(
                        "{}!{} 指标名称“{}”不在指标目录中，整行未载入，请使用模板中的指标名称 (unknown indicator, row skipped)",
                        table.sheet, row.name_cell, row.name
                    ),
                    Some(row.name.clone()),
                ));
                matched.skipped = Some("UNKNOWN_INDICATOR".to_string());
            } else {
                matched.skipped = Some("no values".to_string());
            }
            return matched;
        };
        let Some(entity) = self.row_entity(
            extracted.form,
            &extracted.submitter,
            table,
            row.industry.as_deref(),
        ) else {
            matched.skipped = Some("no industry name".to_string());
            return matched;
        };
        matched.level = Some(entity.level);
        matched.entity_id = Some(entity.entity_id.clone());
        matched.indicator_code = Some(indicator.code.clone());
        if !seen.insert((
            entity.level,
            entity.entity_id.clone(),
            indicator.code.clone(),
        )) {
            let mut finding = self.finding(
                Rule::DuplicateValue,
                &table.sheet,
                &row.name_cell,
                format!(
                    "{}!{} 指标“{}”在本表中重复出现，以第一行为准，本行未载入 (indicator repeated; the first row wins)",
                    table.sheet, row.name_cell, row.name
                ),
                Some(row.name.clone()),
            );
            finding.level = Some(entity.level.as_str().to_string());
            finding.entity_id = Some(entity.entity_id.clone());
            finding.indicator_code = Some(indicator.code.clone());
            extracted.findings.push(finding);
            matched.skipped = Some("DUPLICATE_VALUE".to_string());
            return matched;
        }
        if !entity.in_roster
            && extracted.submitter.in_roster
            && !entities.contains_key(&(entity.level, entity.entity_id.clone()))
        {
            let mut finding = self.finding(
                Rule::NotInRoster,
                &table.sheet,
                &row.name_cell,
                format!(
                    "{}!{} 行业“{}”不在本市重点行业名单中，数据已载入，请核实 (industry not in the roster)",
                    table.sheet,
                    row.name_cell,
                    row.industry.as_deref().unwrap_or_default()
                ),
                row.industry.clone(),
            );
            finding.level = Some(entity.level.as_str().to_string());
            finding.entity_id = Some(entity.entity_id.clone());
            extracted.findings.push(finding);
        }
        let unit = row.unit.clone().or(suffix_unit);
        for &index in read_columns {
            let year = &table.years[index];
            extracted.cells.push(RawCell {
                level: entity.level,
                entity_id: entity.entity_id.clone(),
                indicator_code: indicator.code.clone(),
                year: year.year,
                sheet: table.sheet.clone(),
                cell: a1(row.row, year.col),
                value: row.values[index].clone(),
                unit: unit.clone(),
            });
        }
        entities
            .entry((entity.level, entity.entity_id.clone()))
            .or_insert(entity);
        matched
    }
}

/// How a table's columns were understood, for `zlbd inspect`.
fn table_match(table: &Table, window: &[i32]) -> TableMatch {
    let letter = crate::domain::address::column_letters;
    TableMatch {
        sheet: table.sheet.clone(),
        hidden: table.hidden,
        header_cell: a1(table.header_row, table.name_col),
        name_column: letter(table.name_col),
        unit_column: table.unit_col.map(letter),
        industry_column: table.industry_col.map(letter),
        year_columns: table
            .years
            .iter()
            .map(|year| (letter(year.col), year.year, window.contains(&year.year)))
            .collect(),
    }
}

/// 报表版本: an integer, also as text ("2", "V2", "第2版"); 1 when absent or unreadable.
fn version(info: &BTreeMap<InfoKey, InfoValue>) -> i64 {
    match info.get(&InfoKey::Version).map(|value| &value.value) {
        Some(CellValue::Number { value, .. }) if *value >= 1.0 && value.fract() == 0.0 => {
            *value as i64
        }
        Some(CellValue::Text(text)) => {
            let digits: String = text::to_half_width(text)
                .chars()
                .filter(|c| c.is_ascii_digit())
                .collect();
            digits
                .parse()
                .ok()
                .filter(|&version| version >= 1)
                .unwrap_or(1)
        }
        _ => 1,
    }
}

/// 填报日期 from a date cell, a serial number, or text like 2022-01-15, 2022/1/15, 2022年1月15日.
pub fn parse_date(value: &CellValue) -> Option<chrono::NaiveDate> {
    match value {
        CellValue::Date(serial) => workbook::excel_date(*serial),
        CellValue::Number { value, .. } if (20000.0..80000.0).contains(value) => {
            workbook::excel_date(*value)
        }
        CellValue::Text(text) => {
            let half = text::to_half_width(text);
            let parts: Vec<u32> = half
                .split(|c: char| !c.is_ascii_digit())
                .filter(|part| !part.is_empty())
                .filter_map(|part| part.parse().ok())
                .collect();
            match parts.as_slice() {
                [year, month, day, ..] if *year >= 1900 => {
                    chrono::NaiveDate::from_ymd_opt(*year as i32, *month, *day)
                }
                [compact] if *compact >= 19000101 => chrono::NaiveDate::from_ymd_opt(
                    (*compact / 10000) as i32,
                    compact / 100 % 100,
                    compact % 100,
                ),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_lock_hidden_and_other_files() {
        assert!(ignore_reason("~$city.xlsx").is_some());
        assert!(ignore_reason(".DS_Store").is_some());
        assert!(ignore_reason("sub/._enterprise.xlsx").is_some());
        assert!(ignore_reason("说明.docx").is_some());
        assert!(ignore_reason("data.csv").is_some());
        assert_eq!(ignore_reason("sub/企业.XLSX"), None);
        assert_eq!(ignore_reason("park.ods"), None);
    }

    #[test]
    fn dates_in_every_written_form() {
        let date = chrono::NaiveDate::from_ymd_opt(2022, 1, 15);
        for text in [
            "2022-01-15",
            "2022年1月15日",
            "2022/1/15",
            "２０２２.01.15",
            "20220115",
        ] {
            assert_eq!(parse_date(&CellValue::Text(text.into())), date, "{text}");
        }
        assert_eq!(parse_date(&CellValue::Date(44576.0)), date);
        assert_eq!(parse_date(&CellValue::Text("不详".into())), None);
    }
}
