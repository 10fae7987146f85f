//! Ingest: find the inbox's files, fingerprint them, open each workbook through the calamine
//! adapter, recognise the form by content and emit every indicator cell with its sheet and A1
//! address, still raw. Nothing here judges a value; that is normalize's job.
//!
//! Guarantees: every file found gets exactly one [`FileContent`]; a file that cannot be read is
//! `Rejected` with a reason for the submitter, never an error that stops the run.

mod inbox;
pub(crate) mod locate;
pub mod workbook;

use crate::config::Plan;
use crate::domain::address::column_letters;
use crate::domain::text;
use crate::domain::units;
use crate::domain::{a1, uscc, CatalogSection, Finding, Form, Kind, Level, Rule};
pub use crate::domain::{EntityRef, Submitter};
use compact_str::CompactString;
pub use inbox::{
    discover, escape_name, fingerprint, ignore_reason, inbox_file, read_limited, EntryProblem,
    InboxFile, Stamp, FEEDBACK_MARKER,
};
use locate::{InfoKey, InfoValue, Table};
use polars::prelude::{InitHashMaps, PlHashMap, PlHashSet};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use workbook::{CellValue, FileFormat};

/// One indicator cell of a comparison year, as found. Its short texts are held inline (a
/// million cells at 20,000 forms, each once allocated here and again in normalize).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawCell {
    pub level: Level,
    pub entity_id: CompactString,
    pub indicator_code: CompactString,
    pub year: i32,
    pub sheet: CompactString,
    pub cell: CompactString,
    pub value: CellValue,
    /// The row's unit: the 计量单位 cell, else a unit in the name's brackets, else for an
    /// amount the unit its table states.
    pub unit: Option<CompactString>,
    /// A second unit named for the cell (a name's bracket beside the 计量单位 cell, a year
    /// header's or the sheet's beside the row's, two statements of the sheet): normalize
    /// refuses the cell when it converts otherwise than `unit`.
    pub second_unit: Option<Box<SecondUnit>>,
    /// Why this cell is refused whatever it holds (SPEC v2 §3.2, §3.3), if it is.
    pub refused: Option<Refusal>,
}

/// Another unit named for a cell than the one it is read in, and where both are named, as the
/// reject says it (`计量单位列为“万元”，指标名称中注明“亿元”`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecondUnit {
    pub unit: CompactString,
    pub said: String,
}

/// A cell that is an error reject because of where it stands, not what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Refusal {
    /// A second non-empty cell for the same (entity, indicator, year): the first one, in
    /// reading order, is used.
    Duplicate {
        used_cell: String,
        used_value: CellValue,
        /// The used cell's own unit: the two agree when they are the same amount.
        used_unit: Option<CompactString>,
    },
    /// A city-form row whose industry cannot be determined.
    UnknownIndustry { industry: Option<String> },
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
    /// The amount unit a title or note states for the table, with its cell and text.
    pub stated_unit: Option<String>,
    pub industry_column: Option<String>,
    /// (column letter, year, inside the comparison window)
    pub year_columns: Vec<(String, i32, bool)>,
}

/// A recognised form with all its indicator cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    pub form: Form,
    pub submitter: Submitter,
    /// 报表版本 as a number (1.1 < 2); 1 when absent or unreadable.
    pub version: f64,
    pub filled_date: Option<chrono::NaiveDate>,
    /// 填报人 and 联系电话, for the feedback.
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// Comparison years with at least one non-empty indicator cell.
    pub years: Vec<i32>,
    pub entities: Vec<EntityRef>,
    pub cells: Vec<RawCell>,
    /// Warnings found while reading (unknown indicators, years outside the window …).
    pub findings: Vec<Finding>,
    /// How each table and row was understood: kept only with [`Detail::Explained`].
    pub tables: Vec<TableMatch>,
    pub rows: Vec<RowMatch>,
}

/// An indicator row's name folded, and the unit of a bracketed suffix
/// ([`text::split_indicator_name`]).
type IndicatorName = (String, Option<String>);

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
        /// Boxed, as `finding`: a rejected file's details are large, and most files are
        /// accepted.
        submitter: Option<Box<Submitter>>,
        finding: Option<Box<Finding>>,
        /// 填报人 and 联系电话, when the form was read that far: the feedback on a rejected
        /// form goes to a person too (SPEC §3.1).
        contact: Option<Box<Contact>>,
    },
    Accepted(Box<T>),
}

/// Who filled a form in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub name: Option<String>,
    pub phone: Option<String>,
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
                contact,
            } => FileContent::Rejected {
                reason,
                form,
                submitter,
                finding,
                contact,
            },
            FileContent::Accepted(accepted) => {
                FileContent::Accepted(Box::new(transform(*accepted)))
            }
        }
    }
}

/// What reading a file keeps: its cells, findings and identity, and for `zlbd inspect` also
/// how each table and row was understood (`Extracted::tables` and `rows`: a million rows at
/// 20,000 forms, which a run does without).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    Cells,
    Explained,
}

/// Reads one file's bytes into its content. `source_file` is used in findings. A panic inside
/// a reader (a bug in zlbd or calamine on a malformed file; the fuzzer finds such files) rejects
/// this file instead of ending the run.
pub fn extract(
    bytes: &[u8],
    plan: &Plan,
    submission_id: &str,
    source_file: &str,
    detail: Detail,
) -> (Option<FileFormat>, FileContent) {
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_file(bytes, plan, submission_id, source_file, detail)
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
    detail: Detail,
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
                    contact: None,
                },
            )
        }
    };
    let format = workbook.format;
    let reader = FormReader {
        plan,
        submission_id,
        source_file,
        detail,
    };
    (Some(format), reader.read(&workbook.sheets))
}

/// Turns a workbook's sheets into a submission.
struct FormReader<'a> {
    plan: &'a Plan,
    submission_id: &'a str,
    source_file: &'a str,
    /// Whether to keep how each table and row was understood.
    detail: Detail,
}

fn rejected(reason: String, form: Option<Form>) -> FileContent {
    FileContent::Rejected {
        reason,
        form,
        submitter: None,
        finding: None,
        contact: None,
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

impl<'a> FormReader<'a> {
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
        let mut tables: Vec<Table> = Vec::new();
        for sheet in sheets {
            let found = locate::tables(sheet);
            // A sheet with no header of its own may go on with the table before it.
            let continued = match (found.is_empty(), tables.last()) {
                (true, Some(above)) => locate::continued(sheet, above),
                _ => None,
            };
            tables.extend(found.into_iter().chain(continued));
        }
        // Each row's name folded once, for recognising the form and for reading the row.
        let names: Vec<Vec<IndicatorName>> = tables
            .iter()
            .map(|table| {
                let rows = table.rows.iter();
                rows.map(|row| text::split_indicator_name(&row.name))
                    .collect()
            })
            .collect();
        // 填报人 and 联系电话 go with a rejected form too, once 基本信息 was read.
        let with_contact = |mut content: FileContent| {
            if let FileContent::Rejected { contact, .. } = &mut content {
                *contact = Some(Box::new(Contact {
                    name: info_text(&info, InfoKey::ContactName),
                    phone: info_text(&info, InfoKey::ContactPhone),
                }));
            }
            content
        };
        let Some((form, chosen)) = self.recognise(&info, &tables, &names) else {
            // Year headers that are formulas never calculated (a script's `=D1+1`) leave no
            // readable year, hence no table: say so, not only "not recognised".
            let formula = (tables.is_empty())
                .then(|| {
                    sheets.iter().find_map(|sheet| {
                        locate::formula_year_header(sheet)
                            .map(|(cell, formula)| (sheet.name.as_str(), cell, formula))
                    })
                })
                .flatten();
            let reason = match formula {
                Some((sheet, cell, formula)) => format!(
                    "无法识别报表类型：{sheet}!{cell} 年份表头“{formula}”是公式，但没有计算结果，无法确定年份；请用 Excel 或 WPS 打开并保存后重新报送，或直接填写年份 (form not recognised: its year headers are formulas with no cached value)"
                ),
                None => "无法识别报表类型：未找到指标表或指标名称不符，请使用省里下发的报表模板 (form not recognised: no indicator table matches the catalog)".to_string(),
            };
            return with_contact(rejected(reason, None));
        };
        let submitter = match self.submitter(form, &info) {
            Ok(submitter) => submitter,
            Err(content) => return with_contact(content),
        };
        let mut extracted = Extracted {
            form,
            version: 1.0,
            filled_date: None,
            contact_name: info_text(&info, InfoKey::ContactName),
            contact_phone: info_text(&info, InfoKey::ContactPhone),
            submitter,
            years: Vec::new(),
            entities: Vec::new(),
            cells: Vec::new(),
            findings: Vec::new(),
            tables: Vec::new(),
            rows: Vec::new(),
        };
        self.read_identity(&info, &mut extracted);
        let mut reading = Reading::default();
        let cells: usize = chosen
            .iter()
            .map(|&index| tables[index].rows.len() * tables[index].years.len())
            .sum();
        extracted.cells.reserve(cells);
        reading.first_cells.reserve(cells);
        // Tables of one header row (blocks side by side) are read together, row by row.
        let same_header = |&a: &usize, &b: &usize| {
            (&tables[a].sheet, tables[a].header_row) == (&tables[b].sheet, tables[b].header_row)
        };
        for group in chosen.chunk_by(same_header) {
            let group: Vec<(&Table, &[IndicatorName])> = group
                .iter()
                .map(|&index| (&tables[index], names[index].as_slice()))
                .collect();
            self.read_tables(&group, &mut extracted, &mut reading);
        }
        extracted.years = reading.years.into_iter().collect();
        extracted.entities = reading.entities.into_values().collect();
        // Every rejects row names the submitter once its identity is read (SPEC v2 §5).
        for finding in &mut extracted.findings {
            if finding.entity_id.is_none() {
                finding.level = Some(extracted.submitter.form.submitter_level().to_string());
                finding.entity_id = Some(extracted.submitter.entity_id.clone());
            }
        }
        FileContent::Accepted(Box::new(extracted))
    }

    /// 报表版本, 填报日期 and the submitter's standing against the roster, each with the
    /// warning it raises: BAD_VERSION, BAD_DATE, NOT_IN_ROSTER, NAME_MISMATCH.
    fn read_identity(&self, info: &BTreeMap<InfoKey, InfoValue>, extracted: &mut Extracted) {
        if let Some(value) = info.get(&InfoKey::Version) {
            match parse_version(&value.value) {
                Some(version) => extracted.version = version,
                None => extracted.findings.push(self.info_finding(
                    Rule::BadVersion,
                    value,
                    "报表版本无法识别，按版本1处理；更正报表请填写更大的版本号，如2 (unreadable version; counted as 1)",
                )),
            }
        }
        if let Some(value) = info.get(&InfoKey::FilledDate) {
            extracted.filled_date = parse_date(&value.value);
            if extracted.filled_date.is_none() {
                extracted.findings.push(self.info_finding(
                    Rule::BadDate,
                    value,
                    "填报日期无法识别，请填写如2022-01-15的日期 (unreadable date; treated as absent)",
                ));
            }
        }
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
            extracted.findings.push(self.finding(
                Rule::NotInRoster,
                &sheet,
                &cell,
                format!(
                    "{}!{} 填报单位“{}”({})不在全省名单中，数据已载入，请核实 (submitter not in the roster)",
                    sheet, cell, extracted.submitter.entity_name, extracted.submitter.entity_id
                ),
                Some(extracted.submitter.entity_id.clone()),
            ));
        }
        let mismatches = [
            self.name_mismatch(info, &extracted.submitter),
            self.park_code_mismatch(info, &extracted.submitter),
        ];
        extracted.findings.extend(mismatches.into_iter().flatten());
    }

    /// NAME_MISMATCH: the form's own name differs from the roster's name for the identity it
    /// carries (a copied form with a stale USCC or park code must be visible).
    fn name_mismatch(
        &self,
        info: &BTreeMap<InfoKey, InfoValue>,
        submitter: &Submitter,
    ) -> Option<Finding> {
        let key = match submitter.form {
            Form::Enterprise => InfoKey::EnterpriseName,
            Form::Park => InfoKey::ParkName,
            Form::City => return self.city_mismatch(info, submitter),
        };
        let written = info.get(&key)?;
        let name = written.value.display();
        let same = |a: &str, b: &str| text::name_key(a) == text::name_key(b);
        if !submitter.in_roster || same(&name, &submitter.entity_name) {
            return None;
        }
        Some(self.info_finding(
            Rule::NameMismatch,
            written,
            &format!(
                "名称与全省名单中{}的名称“{}”不一致，数据已按{}载入，请核实是否填错代码 (name differs from the roster's for this identity)",
                submitter.entity_id, submitter.entity_name, submitter.entity_id
            ),
        ))
    }

    /// A city form is known by its 行政区划代码 when it has one; a 填报地市 that names another
    /// city says the form may be a copy, and that city's numbers would replace this one's.
    fn city_mismatch(
        &self,
        info: &BTreeMap<InfoKey, InfoValue>,
        submitter: &Submitter,
    ) -> Option<Finding> {
        let written = info.get(&InfoKey::City)?;
        let named = self.plan.roster.city_by_name(&written.value.display())?;
        if named.city_code == submitter.entity_id || !submitter.in_roster {
            return None;
        }
        Some(self.info_finding(
            Rule::NameMismatch,
            written,
            &format!(
                "与行政区划代码{}（{}）不一致，数据已按{}载入，请核实是否填错地市或代码 (city name differs from the region code)",
                submitter.entity_id, submitter.entity_name, submitter.entity_id
            ),
        ))
    }

    /// A park known by its name whose form carries another 园区代码: the code is not silently
    /// overridden. `1`, `01` and `P1` are P01 written short; no code at all (无, /, —) says
    /// nothing against the name.
    fn park_code_mismatch(
        &self,
        info: &BTreeMap<InfoKey, InfoValue>,
        submitter: &Submitter,
    ) -> Option<Finding> {
        let code = info.get(&InfoKey::ParkCode)?;
        if submitter.form != Form::Park || !submitter.in_roster {
            return None;
        }
        let written = park_id(&code.value.display());
        let number = |id: &str| {
            let digits: String = id.chars().filter(char::is_ascii_digit).collect();
            digits.parse::<u64>().ok()
        };
        let same = written == submitter.entity_id
            || (number(&written).is_some() && number(&written) == number(&submitter.entity_id));
        if same || !written.chars().any(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        Some(self.info_finding(
            Rule::NameMismatch,
            code,
            &format!(
                "园区代码与全省名单中“{}”的代码{}不一致，数据已按园区名称对应到{}载入，请核实 (park code differs from the roster's for this name)",
                submitter.entity_name, submitter.entity_id, submitter.entity_id
            ),
        ))
    }

    /// A warning about a 基本信息 value, naming its cell and raw value.
    fn info_finding(&self, rule: Rule, value: &InfoValue, detail: &str) -> Finding {
        let raw = value.value.display();
        self.finding(
            rule,
            &value.sheet,
            &value.cell,
            format!("{}!{} “{raw}”{detail}", value.sheet, value.cell),
            Some(raw.clone()),
        )
    }

    /// Decides the form from the tables' indicator names (and labels on a tie), and which
    /// tables it is read from (SPEC v2 §3.2): every visible table of that form that holds a
    /// value, else every hidden one that does, else the best-matching table alone.
    /// `names` are the tables' rows' names, folded. Returns the chosen tables' positions.
    fn recognise(
        &self,
        info: &BTreeMap<InfoKey, InfoValue>,
        tables: &[Table],
        names: &[Vec<IndicatorName>],
    ) -> Option<(Form, Vec<usize>)> {
        let catalog = &self.plan.catalog;
        // Each table's matches are counted once per form: the form is decided by asking every
        // table about every form.
        let forms = [Form::City, Form::Enterprise, Form::Park];
        let slot = |form: Form| forms.iter().position(|f| *f == form).unwrap_or(0);
        // Per table and form: how many distinct indicators of the form's section it names.
        let counts: Vec<[usize; 3]> = names
            .iter()
            .map(|names| {
                forms.map(|form| {
                    let section = form.catalog_section();
                    let mut codes = PlHashSet::with_capacity(names.len());
                    codes.extend(
                        names
                            .iter()
                            .filter_map(|(name, _)| catalog.lookup(section, name))
                            .map(|indicator| indicator.code.as_str()),
                    );
                    codes.len()
                })
            })
            .collect();
        let matches = |index: usize, form: Form| counts[index][slot(form)];
        let of_form = |form: Form| -> Vec<usize> {
            (0..tables.len())
                .filter(|&index| {
                    (form != Form::City || tables[index].industry_col.is_some())
                        && matches(index, form) > 0
                })
                .collect()
        };
        let city_tables = of_form(Form::City);
        // A 行业名称 column alone does not make a city form: an enterprise or park form (its
        // 基本信息 names one, and its table names its indicators) stays what it is, so that
        // its numbers never land on a city's industry.
        // Only a well-formed identity counts (an 18-character USCC, a roster park's name or
        // code), and never against a 行政区划代码: a city's 园区名称 list or a bureau's own
        // code leaves a city form a city form.
        let roster = &self.plan.roster;
        let value = |key: InfoKey| info.get(&key).map(|found| found.value.display());
        let own_identity = !info.contains_key(&InfoKey::RegionCode)
            && (value(InfoKey::Uscc)
                .is_some_and(|code| uscc::canonical(&code).chars().count() == 18)
                || value(InfoKey::ParkName)
                    .is_some_and(|name| roster.park_by_name(&name).is_some())
                || value(InfoKey::ParkCode)
                    .is_some_and(|code| roster.park(&park_id(&code)).is_some()));
        let submitter_tables =
            !of_form(Form::Enterprise).is_empty() || !of_form(Form::Park).is_empty();
        let a_submitters_form = own_identity && submitter_tables;
        let form = if !city_tables.is_empty() && !a_submitters_form {
            Form::City
        } else {
            let best = |form: Form| {
                of_form(form)
                    .into_iter()
                    .map(|index| matches(index, form))
                    .max()
            };
            match (best(Form::Enterprise), best(Form::Park)) {
                (None, None) => return None,
                (Some(_), None) => Form::Enterprise,
                (None, Some(_)) => Form::Park,
                (Some(e), Some(p)) => {
                    let park_labels =
                        info.contains_key(&InfoKey::ParkName) && !info.contains_key(&InfoKey::Uscc);
                    if p > e || (p == e && park_labels) {
                        Form::Park
                    } else {
                        Form::Enterprise
                    }
                }
            }
        };
        // A city form's table without a 行业名称 column still holds the city's numbers: its
        // rows' industry cannot be determined, so each is an UNKNOWN_INDUSTRY reject, never
        // a sheet passed over.
        let candidates = if form == Form::City {
            (0..tables.len())
                .filter(|&index| matches(index, Form::City) > 0)
                .collect()
        } else {
            of_form(form)
        };
        let section = form.catalog_section();
        // A value is any cell but a blank or a missing marker (`—`, `/`, `无` …): a sheet of
        // dashes is a blank template too, and must not hide the sheet that holds the numbers.
        let holds_values = |index: &usize| {
            let mut rows = tables[*index].rows.iter().zip(&names[*index]);
            rows.any(|(row, (name, _))| {
                catalog.lookup(section, name).is_some_and(|indicator| {
                    row.values
                        .iter()
                        .any(|value| value.holds_value(indicator.kind))
                })
            })
        };
        let with_values = |hidden: bool| -> Vec<usize> {
            candidates
                .iter()
                .copied()
                .filter(|&index| tables[index].hidden == hidden)
                .filter(holds_values)
                .collect()
        };
        let visible = with_values(false);
        if !visible.is_empty() {
            return Some((form, visible));
        }
        let hidden = with_values(true);
        if !hidden.is_empty() {
            return Some((form, hidden));
        }
        // A blank form: read its best table so every cell is counted as missing.
        let best = candidates.iter().copied().max_by(|&a, &b| {
            matches(a, form)
                .cmp(&matches(b, form))
                .then(tables[b].hidden.cmp(&tables[a].hidden))
                .then(std::cmp::Ordering::Greater)
        })?;
        Some((form, vec![best]))
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
        // An 18-character code typed into a number cell keeps only 15 digits in Excel: such a
        // code is never trusted, even when its check digit happens to pass (about 1 in 31).
        let checked = match value.value {
            CellValue::Number { .. } => Err("该单元格是数字格式，Excel只保留15位有效数字，代码已失真；请将该单元格设为文本格式后重新输入完整代码".to_string()),
            _ => uscc::validate(&code).map_err(|reason| reason.to_string()),
        };
        if let Err(reason) = checked {
            // The roster's code for the form's name, when it lists one: fixing only the check
            // digit the message names could give a valid code of nobody (rare: one scan).
            let listed = info_text(info, InfoKey::EnterpriseName).and_then(|name| {
                let key = text::name_key(&name);
                (roster.enterprises.iter())
                    .find(|enterprise| text::name_key(&enterprise.enterprise_name) == key)
            });
            let hint = match listed {
                Some(enterprise) => format!(
                    "；全省名单中“{}”的统一社会信用代码为“{}”，请核对",
                    enterprise.enterprise_name, enterprise.uscc
                ),
                None => String::new(),
            };
            let message = format!(
                "{}!{} 统一社会信用代码“{}”有误：{reason}{hint}，整份报表未载入，请更正后重新报送",
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
                reason: format!("{message} (BAD_USCC)"),
                form: Some(form),
                submitter: Some(Box::new(Submitter {
                    form,
                    entity_id: code,
                    entity_name: info_text(info, InfoKey::EnterpriseName).unwrap_or_default(),
                    city_code: city_from_info(),
                    in_roster: false,
                    industry_code: None,
                })),
                finding: Some(Box::new(finding)),
                contact: None,
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
            industry_code: match listed {
                Some(enterprise) => Some(enterprise.industry_code.clone()),
                None => info_text(info, InfoKey::IndustryCode)
                    .and_then(|declared| industry_code(&declared)),
            },
            entity_id: code,
        })
    }

    fn park_submitter(
        &self,
        info: &BTreeMap<InfoKey, InfoValue>,
    ) -> Result<Submitter, FileContent> {
        let (form, roster) = (Form::Park, &self.plan.roster);
        let city_from_info = || self.city_from_info(info);
        let by_code =
            info_text(info, InfoKey::ParkCode).and_then(|code| roster.park(&park_id(&code)));
        let name = info_text(info, InfoKey::ParkName);
        let listed = by_code.or_else(|| name.as_deref().and_then(|name| roster.park_by_name(name)));
        match (listed, name) {
            (Some(park), _) => Ok(Submitter {
                form,
                entity_id: park.park_id.clone(),
                entity_name: park.park_name.clone(),
                city_code: Some(park.city_code.clone()),
                in_roster: true,
                industry_code: None,
            }),
            (None, Some(name)) => Ok(Submitter {
                form,
                entity_id: info_text(info, InfoKey::ParkCode).unwrap_or_else(|| name.clone()),
                entity_name: name,
                city_code: city_from_info(),
                in_roster: false,
                industry_code: None,
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
            industry_code: None,
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
                industry_code: submitter.industry_code.clone(),
            }),
            Form::Park => Some(EntityRef {
                level: Level::Park,
                entity_id: submitter.entity_id.clone(),
                entity_name: submitter.entity_name.clone(),
                city_code: submitter.city_code.clone(),
                in_roster: submitter.in_roster,
                industry_code: None,
            }),
            Form::City => {
                let industry = industry?;
                let city = submitter.entity_id.as_str();
                // The row's industry decides its level; the sheet's name only when the name is
                // both one of the city's own industries and a province industry (sheets are
                // renamed and merged: SPEC §3.4).
                let province_sheet = table.sheet.contains("全省");
                let own = roster
                    .city_industry(city, industry)
                    .filter(|_| !province_sheet || roster.province_industry(industry).is_none());
                if let Some(own) = own {
                    return Some(EntityRef {
                        level: Level::CityIndustry,
                        entity_id: own.industry_id.clone(),
                        entity_name: own.industry_name.clone(),
                        city_code: Some(city.to_string()),
                        in_roster: submitter.in_roster,
                        industry_code: None,
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
                        industry_code: None,
                    });
                }
                // A listed city's row that matches none of its industries: UNKNOWN_INDUSTRY
                // (SPEC v2 §3.3). An unlisted city's industries are loaded, NOT_IN_ROSTER.
                if submitter.in_roster {
                    return None;
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
                    industry_code: None,
                })
            }
        }
    }

    /// The tables of one header row (one, or blocks side by side), each with its rows' names
    /// folded, read in reading order: row, then column (SPEC v2 §3.2), so a row of the
    /// left-hand block comes before the next row of the right-hand one.
    fn read_tables(
        &self,
        group: &[(&Table, &[IndicatorName])],
        extracted: &mut Extracted,
        reading: &mut Reading<'a>,
    ) {
        let columns: Vec<ReadColumns> = group
            .iter()
            .map(|(table, _)| {
                if self.detail == Detail::Explained {
                    extracted.tables.push(table_match(table, &self.plan.years));
                }
                ReadColumns {
                    sheet: table.sheet.as_str().into(),
                    letters: (table.years.iter())
                        .map(|year| column_letters(year.col).into())
                        .collect(),
                    read: self.year_columns(table, extracted),
                }
            })
            .collect();
        // (sheet row, block, index of the row in its block)
        let mut order: Vec<(u32, usize, usize)> = group
            .iter()
            .enumerate()
            .flat_map(|(block, (table, _))| {
                (table.rows.iter().enumerate()).map(move |(index, row)| (row.row, block, index))
            })
            .collect();
        if group.len() > 1 {
            order.sort_unstable();
        }
        let section = extracted.form.catalog_section();
        for (_, block, index) in order {
            let (table, names) = group[block];
            let row = (&table.rows[index], &names[index]);
            let matched = self.read_row(table, row, section, &columns[block], extracted, reading);
            if let Some(matched) = matched {
                extracted.rows.push(matched);
            }
        }
    }

    /// Which year columns are read: every column of a comparison year (a second column of the
    /// same year yields DUPLICATE_VALUE rejects, never silence); a column outside the window
    /// is a YEAR_OUTSIDE_WINDOW warning. A column of values under a header that names a year
    /// but makes no year column is never passed over in silence either: a formula with no
    /// cached value is a FORMULA_NO_VALUE error on the header cell (its year is never
    /// guessed), part of a year or a plan (`2021年1-9月`) a YEAR_OUTSIDE_WINDOW warning.
    fn year_columns(&self, table: &Table, extracted: &mut Extracted) -> Vec<usize> {
        let plan = self.plan;
        let mut read_columns = Vec::new();
        for (index, year) in table.years.iter().enumerate() {
            if plan.years.contains(&year.year) {
                read_columns.push(index);
                continue;
            }
            let values = (table.rows.iter())
                .filter(|row| row.values[index].holds_value(Kind::Amount))
                .count();
            extracted.findings.push(self.finding(
                Rule::YearOutsideWindow,
                &table.sheet,
                &year.header_cell,
                format!(
                    "{}!{} 年份“{}”不在比对年份({})内，该列 {values} 个数值未载入；如该列实为比对年份的数据，请改正表头 (year column outside the comparison years: its {values} values are not loaded)",
                    table.sheet,
                    year.header_cell,
                    year.label,
                    Plan::years_text(&plan.years)
                ),
                Some(year.label.clone()),
            ));
        }
        for column in table.unread.iter().filter(|column| column.values > 0) {
            let (sheet, cell, label, n) = (
                &table.sheet,
                &column.header_cell,
                &column.label,
                column.values,
            );
            let (rule, message) = match column.year {
                None => (
                    Rule::FormulaNoValue,
                    format!(
                        "{sheet}!{cell} 表头“{label}”是公式，但没有计算结果，无法确定该列是哪一年，该列 {n} 个数值未载入；请用 Excel 或 WPS 打开并保存后重新报送，或直接填写年份 (a year header that is a formula with no cached value: its column of {n} values is not read)"
                    ),
                ),
                Some(year) if text::part_of_year_label(label).is_some() && text::is_plan(label) => (
                    Rule::YearOutsideWindow,
                    format!(
                        "{sheet}!{cell} 列标题“{label}”是计划、目标或预计数，不是{year}年的实际数，该列 {n} 个数值未载入（比对只用各年实际数）；如该列实为实际数，请改正表头 (a column of a plan, target or forecast: its {n} values are not loaded)"
                    ),
                ),
                Some(year) if text::unknown_year_label(label).is_some() => (
                    Rule::YearOutsideWindow,
                    format!(
                        "{sheet}!{cell} 列标题“{label}”在年份后有无法识别的文字，未作为{year}年列读取，该列 {n} 个数值未载入；如为{year}年全年数据，请把表头改为“{year}年”后重新报送 (a column headed with a year and words zlbd does not know: its {n} values are not loaded)"
                    ),
                ),
                Some(_) => (
                    Rule::YearOutsideWindow,
                    format!(
                        "{sheet}!{cell} 列标题“{label}”不是整年的年份，该列 {n} 个数值未载入；比对年份({})请按整年数据填写，表头如“2021年” (a column headed with part of a year or a plan, not a whole year: its {n} values are not loaded)",
                        Plan::years_text(&plan.years)
                    ),
                ),
            };
            extracted
                .findings
                .push(self.finding(rule, sheet, cell, message, Some(label.clone())));
        }
        read_columns
    }

    /// One indicator row (with its name folded): its cells, or why it is skipped, with any
    /// warning it raises; how it was understood when explaining.
    fn read_row(
        &self,
        table: &Table,
        (row, (folded, suffix_unit)): (&locate::TableRow, &IndicatorName),
        section: CatalogSection,
        columns: &ReadColumns,
        extracted: &mut Extracted,
        reading: &mut Reading<'a>,
    ) -> Option<RowMatch> {
        let plan = self.plan;
        let mut matched = (self.detail == Detail::Explained).then(|| RowMatch {
            sheet: table.sheet.clone(),
            cell: row.name_cell.clone(),
            name: row.name.clone(),
            level: None,
            entity_id: None,
            indicator_code: None,
            skipped: None,
        });
        let mut skipped = |why: &str| {
            if let Some(matched) = &mut matched {
                matched.skipped = Some(why.to_string());
            }
        };
        let has_values = row.values.iter().any(|value| !value.is_empty());
        let Some(indicator) = plan.catalog.lookup(section, folded) else {
            if has_values || row.unit.is_some() {
                // A nameless row is shown by its first value, a named one by its name.
                let (message, raw) = if row.name.is_empty() {
                    (
                        format!(
                            "{}!{} 指标名称为空，但该行填有数值，整行未载入，请填写指标名称 (no indicator name in a row with values, row skipped)",
                            table.sheet, row.name_cell
                        ),
                        row.values
                            .iter()
                            .find(|value| !value.is_empty())
                            .map(CellValue::display),
                    )
                } else {
                    (
                        format!(
                            "{}!{} 指标名称“{}”不在指标目录中，整行未载入，请使用模板中的指标名称 (unknown indicator, row skipped)",
                            table.sheet, row.name_cell, row.name
                        ),
                        Some(row.name.clone()),
                    )
                };
                extracted.findings.push(self.finding(
                    Rule::UnknownIndicator,
                    &table.sheet,
                    &row.name_cell,
                    message,
                    raw,
                ));
                skipped(Rule::UnknownIndicator.as_str());
            } else {
                skipped("no values");
            }
            return matched;
        };
        let (entity, refused) = match self.row_entity(
            extracted.form,
            &extracted.submitter,
            table,
            row.industry.as_deref(),
        ) {
            Some(entity) => (entity, None),
            None => {
                skipped(Rule::UnknownIndustry.as_str());
                let refusal = Refusal::UnknownIndustry {
                    industry: row.industry.clone(),
                };
                let entity = unknown_industry(table, row, &extracted.submitter);
                (entity, Some(refusal))
            }
        };
        if let Some(matched) = &mut matched {
            matched.level = Some(entity.level);
            matched.entity_id = Some(entity.entity_id.clone());
            matched.indicator_code = Some(indicator.code.clone());
        }
        if refused.is_none() {
            self.warn_unlisted_industry(table, row, &entity, extracted, reading);
        }
        // A unit the row names, else (for an amount) its year column's header, else the one
        // stated for the whole table.
        let amount = indicator.kind == Kind::Amount;
        let stated = (table.stated_unit.as_ref())
            .filter(|_| amount)
            .map(|stated| stated.unit.as_str());
        // A bracket that is a note (`（含税）`, `（亏损以“-”号填列）`) is no unit.
        let suffix_unit = suffix_unit
            .as_deref()
            .filter(|unit| units::names_a_unit(unit));
        // A unit cell saying there is none (`—`, `/`, as a flag's often does) names none.
        let cell_unit = (row.unit.as_deref()).filter(|unit| !units::says_none(unit));
        let row_unit = cell_unit.or(suffix_unit);
        // Two units named for the row's cells: checked per cell in normalize, which refuses
        // the cell when they convert differently.
        let second = |unit: &str, said: String| {
            Some(Box::new(SecondUnit {
                unit: unit.into(),
                said,
            }))
        };
        let named_twice = match (cell_unit, suffix_unit) {
            (Some(column), Some(name)) if text::fold(column) != text::fold(name) => second(
                name,
                format!("计量单位列为“{column}”，指标名称中注明“{name}”"),
            ),
            _ => None,
        };
        let stated_cell = |stated: &locate::StatedUnit| {
            format!("{}!{}“{}”", table.sheet, stated.cell, stated.text)
        };
        let second_of = |year: &locate::YearColumn| -> Option<Box<SecondUnit>> {
            if named_twice.is_some() || !amount {
                return named_twice.clone();
            }
            let headed = year.unit.as_deref();
            // A row's unit other than the catalog's is the row's own choice and stands against
            // a header or a statement; the catalog's own (as a template pre-fills it) against a
            // header or a statement naming another unit is two units for one cell.
            let catalog_own = |own: &str| text::fold(own) == text::fold(&indicator.unit);
            match (row_unit, headed, table.stated_unit.as_ref()) {
                (Some(own), Some(header), _) if catalog_own(own) && text::fold(own) != header => {
                    second(
                        header,
                        format!("本行计量单位为“{own}”，表头“{}”注明“{header}”", year.label),
                    )
                }
                (Some(own), None, Some(stated))
                    if catalog_own(own) && text::fold(own) != stated.unit =>
                {
                    second(
                        &stated.unit,
                        format!(
                            "本行计量单位为“{own}”，{}注明“{}”",
                            stated_cell(stated),
                            stated.unit
                        ),
                    )
                }
                // Nothing on the row or its header, and the sheet states two units.
                (None, None, None) => table.stated_conflict.as_ref().and_then(|(a, b)| {
                    second(
                        &b.unit,
                        format!(
                            "本表金额单位不一致：{}注明“{}”，{}注明“{}”",
                            stated_cell(a),
                            a.unit,
                            stated_cell(b),
                            b.unit
                        ),
                    )
                }),
                _ => None,
            }
        };
        let conflicted = (table.stated_conflict.as_ref())
            .filter(|_| amount)
            .map(|(first, _)| first.unit.as_str());
        let unit_of = |year: &locate::YearColumn| -> Option<CompactString> {
            let headed = year.unit.as_deref().filter(|_| amount);
            row_unit
                .or(headed)
                .or(stated)
                .or(conflicted)
                .map(Into::into)
        };
        let entity_id = CompactString::from(entity.entity_id.as_str());
        let indicator_code = CompactString::from(indicator.code.as_str());
        let mut digits = itoa::Buffer::new();
        let row_number = digits.format(u64::from(row.row) + 1);
        for &index in &columns.read {
            let year = &table.years[index];
            let mut cell = columns.letters[index].clone();
            cell.push_str(row_number);
            let value = &row.values[index];
            let mut refusal = refused.clone();
            if !value.is_empty() {
                reading.years.insert(year.year);
                // One hash per cell: the key is entered once, with this cell when it is free.
                if refusal.is_none() {
                    let key = (
                        entity.level,
                        entity_id.clone(),
                        indicator.code.as_str(),
                        year.year,
                    );
                    let next = extracted.cells.len();
                    let first = *reading.first_cells.entry(key).or_insert(next);
                    if first != next {
                        let used = &extracted.cells[first];
                        refusal = Some(Refusal::Duplicate {
                            used_cell: format!("{}!{}", used.sheet, used.cell),
                            used_value: used.value.clone(),
                            used_unit: used.unit.clone(),
                        });
                    }
                }
            }
            extracted.cells.push(RawCell {
                level: entity.level,
                entity_id: entity_id.clone(),
                indicator_code: indicator_code.clone(),
                year: year.year,
                sheet: columns.sheet.clone(),
                cell,
                value: value.clone(),
                unit: unit_of(year),
                second_unit: second_of(year),
                refused: refusal,
            });
        }
        if refused.is_none() {
            reading
                .entities
                .entry((entity.level, entity.entity_id.clone()))
                .or_insert(entity);
        }
        matched
    }

    /// NOT_IN_ROSTER for a city industry outside the roster, once per industry.
    fn warn_unlisted_industry(
        &self,
        table: &Table,
        row: &locate::TableRow,
        entity: &EntityRef,
        extracted: &mut Extracted,
        reading: &Reading,
    ) {
        if entity.in_roster
            || !extracted.submitter.in_roster
            || reading
                .entities
                .contains_key(&(entity.level, entity.entity_id.clone()))
        {
            return;
        }
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
}

/// Where the cells of a city-form row with no determinable industry are recorded: the city's
/// part of an unnamed industry, never a fact.
fn unknown_industry(table: &Table, row: &locate::TableRow, submitter: &Submitter) -> EntityRef {
    let city = submitter.entity_id.clone();
    let name = row
        .industry
        .clone()
        .unwrap_or_else(|| "未知行业".to_string());
    EntityRef {
        level: if table.sheet.contains("全省") {
            Level::ProvinceIndustryCity
        } else {
            Level::CityIndustry
        },
        entity_id: format!("{city}-{}", text::fold(&name)),
        entity_name: name,
        city_code: Some(city),
        in_roster: false,
        industry_code: None,
    }
}

/// A 园区代码 as the roster spells park ids: folded, upper case (`p01 ` → `P01`).
fn park_id(written: &str) -> String {
    text::fold(written).to_ascii_uppercase()
}

/// A GB/T 4754 code as a form declares it (`C3851`, `c385`, `Ｃ38 电气机械…`,
/// `电气机械和器材制造业（C38）`): the first run of ASCII letters and digits that is a section
/// letter and two to four digits, or None (a name alone, `3851`, `无`).
fn industry_code(declared: &str) -> Option<String> {
    let folded = text::fold(declared).to_ascii_uppercase();
    folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|token| {
            let mut chars = token.chars();
            let section = chars.next().is_some_and(|c| ('A'..='T').contains(&c));
            let digits = chars.as_str();
            section && (2..=4).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
        })
        .map(str::to_string)
}

/// What every cell of one table shares: its sheet, each year column's letters, and which
/// year columns are read (indexes into the table's years).
struct ReadColumns {
    sheet: CompactString,
    letters: Vec<CompactString>,
    read: Vec<usize>,
}

/// What reading a form's tables has gathered so far.
#[derive(Default)]
struct Reading<'a> {
    /// Comparison years with a non-empty indicator cell.
    years: BTreeSet<i32>,
    /// The first non-empty cell of each (level, entity, indicator, year): its position in
    /// the cells read.
    first_cells: PlHashMap<(Level, CompactString, &'a str, i32), usize>,
    entities: BTreeMap<(Level, String), EntityRef>,
}

/// How a table's columns were understood, for `zlbd inspect`.
fn table_match(table: &Table, window: &[i32]) -> TableMatch {
    let letter = crate::domain::address::column_letters;
    TableMatch {
        sheet: table.sheet.clone(),
        hidden: table.hidden,
        header_cell: match &table.continues {
            Some(sheet) => format!("{sheet}!{}", a1(table.header_row, table.name_col)),
            None => a1(table.header_row, table.name_col),
        },
        name_column: letter(table.name_col),
        unit_column: table.unit_col.map(letter),
        stated_unit: table.stated_unit.as_ref().map(|stated| {
            format!(
                "{} ({}!{} “{}”)",
                stated.unit, table.sheet, stated.cell, stated.text
            )
        }),
        industry_column: table.industry_col.map(letter),
        year_columns: table
            .years
            .iter()
            .map(|year| (letter(year.col), year.year, window.contains(&year.year)))
            .collect(),
    }
}

/// 报表版本 as a number (SPEC v2 §3.1): `2`, `2.0`, `V2`, `v2.0`, `第2版`, `2版`, `版本2` read
/// as 2; `1.1` and `V1.1` as 1.1. None for anything else (`abc`, `-1`, `0`, a date).
pub fn parse_version(value: &CellValue) -> Option<f64> {
    let number = match value {
        CellValue::Number { value, .. } => *value,
        CellValue::Text(raw) => {
            let folded = text::fold(raw);
            let mut core = folded.as_str();
            for prefix in ["版本号", "版本", "第", "v"] {
                core = core.strip_prefix(prefix).unwrap_or(core);
            }
            for suffix in ["版本", "版"] {
                core = core.strip_suffix(suffix).unwrap_or(core);
            }
            let well_formed = !core.is_empty()
                && core.chars().all(|c| c.is_ascii_digit() || c == '.')
                && core.matches('.').count() <= 1
                && !core.starts_with('.')
                && !core.ends_with('.');
            if !well_formed {
                return None;
            }
            core.parse().ok()?
        }
        _ => return None,
    };
    (number.is_finite() && number > 0.0 && number < 1e6).then_some(number)
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
    use proptest::prelude::*;
    use std::collections::HashSet;
    use workbook::Sheet;

    fn shandong() -> Plan {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/shandong");
        Plan::load(&dir).expect("the shipped pipeline loads")
    }

    fn text(value: &str) -> CellValue {
        CellValue::Text(value.to_string())
    }

    /// One generated layout row: an indicator (index into the enterprise catalog) with a value
    /// or blank per year, a blank row, or a note row.
    #[derive(Debug, Clone)]
    enum LayoutRow {
        Indicator(usize, [Option<u16>; 3]),
        Blank,
        Note,
    }

    fn layout_row() -> impl Strategy<Value = LayoutRow> {
        prop_oneof![
            6 => (0usize..18, proptest::array::uniform3(proptest::option::of(0u16..500)))
                .prop_map(|(code, values)| LayoutRow::Indicator(code, values)),
            1 => Just(LayoutRow::Blank),
            1 => Just(LayoutRow::Note),
        ]
    }

    /// An indicator sheet: header in row 2 (after a title), then the rows; returns the A1
    /// addresses of the non-empty indicator cells written.
    fn indicator_sheet(
        name: &str,
        rows: &[LayoutRow],
        names: &[String],
        hidden: bool,
        with_values: bool,
    ) -> (Sheet, Vec<(String, String)>) {
        let mut sheet = Sheet::new(name, hidden);
        let mut written = Vec::new();
        sheet.set(0, 0, text("2019—2021年质量提升比对指标"));
        for (col, label) in ["序号", "指标名称", "计量单位", "2019年", "2020年", "2021年"]
            .iter()
            .enumerate()
        {
            sheet.set(1, col as u32, text(label));
        }
        for (offset, row) in rows.iter().enumerate() {
            let at = offset as u32 + 2;
            match row {
                LayoutRow::Indicator(code, values) => {
                    sheet.set(at, 1, text(&names[*code]));
                    for (index, value) in values.iter().enumerate() {
                        if let (Some(value), true) = (value, with_values) {
                            let col = 3 + index as u32;
                            let value = CellValue::Number {
                                value: *value as f64,
                                percent: false,
                            };
                            sheet.set(at, col, value);
                            written.push((name.to_string(), a1(at, col)));
                        }
                    }
                }
                LayoutRow::Blank => {}
                LayoutRow::Note => sheet.set(at, 0, text("注：本表金额单位为万元")),
            }
        }
        (sheet, written)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// SPEC v2 §3.2 and §5: whatever blank rows, notes, splits across sheets, repeated
        /// rows, instruction or hidden template sheets a form has, every non-empty indicator
        /// cell it holds becomes exactly one cell — and repeats are DUPLICATE_VALUE rejects.
        #[test]
        fn every_non_empty_indicator_cell_is_read_once(
            rows in proptest::collection::vec(layout_row(), 1..30),
            split in 0usize..30,
            instructions in any::<bool>(),
            hidden_template in any::<bool>(),
        ) {
            // A form needs one indicator row to be recognised at all.
            prop_assume!(rows.iter().any(|row| matches!(row, LayoutRow::Indicator(..))));
            let plan = shandong();
            let names: Vec<String> = plan
                .catalog
                .section(CatalogSection::Enterprise)
                .map(|indicator| indicator.name.clone())
                .collect();
            let enterprise = &plan.roster.enterprises[0];
            let mut info = Sheet::new("基本信息", false);
            info.set(0, 0, text("企业名称"));
            info.set(0, 1, text(&enterprise.enterprise_name));
            info.set(1, 0, text("统一社会信用代码"));
            info.set(1, 1, text(&enterprise.uscc));
            let mut sheets = vec![info];
            let listing: Vec<LayoutRow> =
                (0..names.len()).map(|code| LayoutRow::Indicator(code, [None; 3])).collect();
            if instructions {
                sheets.push(indicator_sheet("填表说明", &listing, &names, false, false).0);
            }
            if hidden_template {
                sheets.push(indicator_sheet("模板", &listing, &names, true, false).0);
            }
            let split = split.min(rows.len());
            let mut written = Vec::new();
            for (index, part) in [&rows[..split], &rows[split..]].into_iter().enumerate() {
                if !part.is_empty() {
                    let (sheet, cells) =
                        indicator_sheet(&format!("质量指标{index}"), part, &names, false, true);
                    sheets.push(sheet);
                    written.extend(cells);
                }
            }
            let reader = FormReader { plan: &plan, submission_id: "id", source_file: "form.xlsx", detail: Detail::Cells };
            let FileContent::Accepted(extracted) = reader.read(&sheets) else {
                return Err(TestCaseError::fail("the form is not accepted"));
            };
            let mut read: Vec<(String, String)> = extracted
                .cells
                .iter()
                .filter(|cell| !cell.value.is_empty())
                .map(|cell| (cell.sheet.to_string(), cell.cell.to_string()))
                .collect();
            read.sort();
            written.sort();
            prop_assert_eq!(&read, &written);
            let mut first = HashSet::new();
            for cell in extracted.cells.iter().filter(|cell| !cell.value.is_empty()) {
                let repeated = !first.insert((cell.indicator_code.clone(), cell.year));
                let refused = matches!(cell.refused, Some(Refusal::Duplicate { .. }));
                prop_assert_eq!(repeated, refused, "{}!{}", cell.sheet, cell.cell);
            }
        }
    }

    #[test]
    fn a_declared_industry_code_is_found_wherever_the_cell_writes_it() {
        for (declared, expected) in [
            ("C3851", Some("C3851")),
            ("c385", Some("C385")),
            ("Ｃ38 电气机械和器材制造业", Some("C38")),
            ("电气机械和器材制造业（C38）", Some("C38")),
            ("C 3851", Some("C3851")),
            ("3851", None),
            ("C38512", None),
            ("IT服务", None),
            ("电气机械和器材制造业", None),
            ("无", None),
        ] {
            assert_eq!(industry_code(declared).as_deref(), expected, "{declared}");
        }
    }

    #[test]
    fn versions_read_as_numbers() {
        let text = |raw: &str| parse_version(&CellValue::Text(raw.to_string()));
        for (raw, expected) in [
            ("2", Some(2.0)),
            ("2.0", Some(2.0)),
            ("V2", Some(2.0)),
            ("v2.0", Some(2.0)),
            ("第2版", Some(2.0)),
            ("2版", Some(2.0)),
            ("版本2", Some(2.0)),
            ("１.１", Some(1.1)),
            ("V1.1", Some(1.1)),
            ("abc", None),
            ("-1", None),
            ("0", None),
            ("2022-01-15", None),
            ("1.2.3", None),
        ] {
            assert_eq!(text(raw), expected, "{raw}");
        }
        let number = |value: f64| CellValue::Number {
            value,
            percent: false,
        };
        assert_eq!(parse_version(&number(3.0)), Some(3.0));
        assert_eq!(parse_version(&number(0.0)), None);
        assert_eq!(parse_version(&CellValue::Date(44576.0)), None);
        assert!(text("V1.1") < text("2.0"));
    }

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
