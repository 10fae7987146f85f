//! The Excel result packs written beside `index.html` (rust_xlsxwriter): 典型示范名单.xlsx,
//! 比对排名.xlsx (one sheet per level and score group), 报送情况.xlsx (roster status with
//! contacts, for 催报) and one `城市_<name>.xlsx` per city with its enterprises, parks and
//! industries. They render the same [`Model`] as the page, so the numbers agree.

use super::html::short_group_label;
use super::model::{self, level_zh, Model, RankGroup, Standing, ValuesByYear};
use super::snapshot::Snapshot;
use super::ReportError;
use crate::config::Plan;
use crate::domain::columns as c;
use crate::domain::Kind;
use polars::prelude::PlHashMap;
use rayon::prelude::*;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// A worksheet name Excel accepts: no `[]:*?/\`, at most 31 characters, not quoted, and not
/// one already used in the workbook (case-insensitive), with `_2`, `_3` … when needed.
pub fn sheet_name(used: &mut BTreeSet<String>, wanted: &str) -> String {
    let clean: String = wanted
        .chars()
        .map(|c| {
            if "[]:*?/\\".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let clean = clean.trim_matches('\'').to_string();
    let clean = if clean.is_empty() {
        "Sheet".to_string()
    } else {
        clean
    };
    let cut = |text: &str, max: usize| text.chars().take(max).collect::<String>();
    let mut candidate = cut(&clean, 31);
    let mut number = 1;
    while used.contains(&candidate.to_lowercase()) {
        number += 1;
        let suffix = format!("_{number}");
        candidate = format!("{}{suffix}", cut(&clean, 31 - suffix.chars().count()));
    }
    used.insert(candidate.to_lowercase());
    candidate
}

/// A cell value of a pack row.
enum Cell {
    Text(String),
    Number(Option<f64>),
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn number(value: Option<f64>) -> Cell {
    Cell::Number(value.filter(|v| v.is_finite()))
}

/// Writes a header and rows into a new sheet of `workbook` (see [`fill`]), streamed (see
/// [`streaming_workbook`]).
fn table(
    workbook: &mut Workbook,
    used: &mut BTreeSet<String>,
    name: &str,
    headers: &[String],
    rows: Vec<Vec<Cell>>,
) -> Result<(), XlsxError> {
    let blank = workbook.new_worksheet_with_constant_memory()?;
    let mut sheet = fill(blank, headers, rows)?;
    sheet.set_name(sheet_name(used, name))?;
    workbook.push_worksheet(sheet);
    Ok(())
}

/// The formats a sheet uses: the header's, and numbers with decimals'.
fn formats() -> [Format; 2] {
    [
        Format::new().set_bold().set_background_color("F3F6FA"),
        Format::new().set_num_format("0.00"),
    ]
}

/// A header and rows into a blank worksheet, with a frozen header and an autofilter; the rows
/// taken as they come (their texts are moved into the sheet, not copied). A sheet is filled
/// apart from its workbook, so the sheets of one workbook can be filled side by side.
///
/// The sheets are streamed ([`streaming_workbook`]): a row, once left, is written out, and
/// rust_xlsxwriter drops a later write to it with only a line on stderr. So every cell of a
/// row is written before the next row's, as here: add no write to a sheet after `fill`.
fn fill(
    mut sheet: Worksheet,
    headers: &[String],
    rows: impl IntoIterator<Item = Vec<Cell>>,
) -> Result<Worksheet, XlsxError> {
    let [bold, decimals] = formats();
    for (col, header) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, header, &bold)?;
        // Names (of enterprises, parks, files) are long: their columns are made wide enough
        // for most, the others fit their header.
        let width = if header.contains("名称") || header == "文件" {
            40.0
        } else {
            header.chars().count().clamp(6, 30) as f64 * 2.0 + 2.0
        };
        sheet.set_column_width(col as u16, width)?;
    }
    let mut last_row = 0;
    for (index, row) in rows.into_iter().enumerate() {
        let r = index as u32 + 1;
        last_row = r;
        for (col, cell) in row.into_iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Text(value) if !value.is_empty() => {
                    sheet.write_string(r, col, value)?;
                }
                Cell::Number(Some(value)) => {
                    if value.fract() == 0.0 {
                        sheet.write_number(r, col, value)?;
                    } else {
                        sheet.write_number_with_format(r, col, value, &decimals)?;
                    }
                }
                _ => {}
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    if !headers.is_empty() {
        sheet.autofilter(0, 0, last_row, headers.len() as u16 - 1)?;
    }
    Ok(sheet)
}

/// The workbook's creation time: the snapshot's own (from its run id), so the same snapshot
/// gives the same pack bytes.
fn created(model: &Model) -> Option<ExcelDateTime> {
    let id = &model.run_id;
    let part = |range: std::ops::Range<usize>| id.get(range)?.parse::<u16>().ok();
    let date = ExcelDateTime::from_ymd(part(0..4)?, part(4..6)? as u8, part(6..8)? as u8).ok()?;
    date.and_hms(part(9..11)?, part(11..13)? as u8, part(13..15)? as f64)
        .ok()
}

fn save(
    path: PathBuf,
    model: &Model,
    fill: impl FnOnce(&mut Workbook, &mut BTreeSet<String>) -> Result<(), XlsxError>,
) -> Result<PathBuf, ReportError> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let workbook = streaming_workbook(dir).map_err(|source| ReportError::Xlsx {
        path: path.clone(),
        source,
    })?;
    save_into(workbook, path, model, fill)
}

/// A workbook whose sheets stream their rows to temporary files in `dir` (rust_xlsxwriter's
/// constant-memory mode, strings written inline) instead of holding every cell until the
/// save. Measured at 20,000 enterprises: for the rank pack, `zlbd report` peaked at 265–276 MB
/// instead of 425–442 MB and `report: packs` took 0.52–0.58 s instead of 0.57–0.61 s, the pack
/// 3 % larger; for the other packs too, 215–220 MB instead of 254–269 MB and 0.48–0.52 s
/// instead of 0.53–0.60 s, the roster pack 6 % smaller and the city packs 1–2 % larger.
///
/// Such sheets number their formats in the workbook as they first use them; filled side by
/// side, they would race for the numbers (and a format could get two). Registered first,
/// every sheet finds them numbered, in this order.
fn streaming_workbook(dir: &Path) -> Result<Workbook, XlsxError> {
    let mut workbook = Workbook::new();
    for format in formats() {
        workbook.register_format(&format);
    }
    workbook.set_tempdir(dir)?;
    Ok(workbook)
}

fn save_into(
    mut workbook: Workbook,
    path: PathBuf,
    model: &Model,
    fill: impl FnOnce(&mut Workbook, &mut BTreeSet<String>) -> Result<(), XlsxError>,
) -> Result<PathBuf, ReportError> {
    // Level 2 of 9 (the default is 6), zlib-rs' fastest with Huffman and LZ77 both (level 1
    // is its "quick" strategy): at 20,000 enterprises level 3 wrote the packs in about a
    // quarter less time than level 6 for a rank pack 13 % larger (level 1: 57 % larger), and
    // level 2 takes a further 5–10 % off `report: packs` for a rank pack 5 % larger again.
    workbook.set_zip_compression_level(2);
    let created = created(model)
        .or_else(|| ExcelDateTime::from_ymd(2000, 1, 1).ok())
        .unwrap_or_default();
    workbook.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&created)
            .set_author("zlbd")
            .set_title("质量提升比对结果"),
    );
    let mut used = BTreeSet::new();
    fill(&mut workbook, &mut used)
        .and_then(|()| workbook.save(&path))
        .map_err(|source| ReportError::Xlsx {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

fn headers(list: &[&str]) -> Vec<String> {
    list.iter().map(|h| h.to_string()).collect()
}

/// Last-year comparison rows: (level, entity, code) → (value, rank, peer_n).
pub type AtLast<'a> =
    PlHashMap<(&'a str, &'a str, &'a str), (Option<f64>, Option<i64>, Option<i64>)>;

/// The comparison rows of `year` (the last), for the rank and city packs.
pub fn at_last(snapshot: &Snapshot, year: i32) -> AtLast<'_> {
    let t = &snapshot.fact_comparison;
    let (years, levels, ids, codes) = (
        t.column(c::YEAR),
        t.column(c::LEVEL),
        t.column(c::ENTITY_ID),
        t.column(c::INDICATOR_CODE),
    );
    let (values, ranks, peers) = (t.column(c::VALUE), t.column(c::RANK), t.column(c::PEER_N));
    let rows: Vec<usize> = (0..t.len())
        .filter(|&i| years.integer(i) == Some(year as i64))
        .collect();
    let mut out = AtLast::with_capacity_and_hasher(rows.len(), Default::default());
    out.extend(rows.into_iter().map(|i| {
        (
            (levels.str(i), ids.str(i), codes.str(i)),
            (values.number(i), ranks.integer(i), peers.integer(i)),
        )
    }));
    out
}

/// An entity's standing at the last year, as `entity_score` has it.
#[derive(Debug, Clone, Default)]
struct LastScore {
    score: Option<f64>,
    rank: Option<i64>,
    group: String,
    /// Entities scored in the group (`peer_n`).
    scored: Option<i64>,
    change: Option<f64>,
    typical: bool,
}

/// Per (level, entity): its standing at the last year.
type Scores = HashMap<(String, String), LastScore>;

fn scores(snapshot: &Snapshot, year: i32) -> Scores {
    let t = &snapshot.entity_score;
    let mut out = HashMap::new();
    for i in 0..t.len() {
        if t.integer(c::YEAR, i) != Some(year as i64) {
            continue;
        }
        out.insert(
            (
                t.str(c::LEVEL, i).to_string(),
                t.str(c::ENTITY_ID, i).to_string(),
            ),
            LastScore {
                score: t.number(c::SCORE, i),
                rank: t.integer(c::SCORE_RANK, i),
                group: t.str(c::SCORE_GROUP, i).to_string(),
                scored: t.integer(c::PEER_N, i),
                change: t.number(c::SCORE_CHANGE, i),
                typical: t.flag(c::TYPICAL, i).unwrap_or(false),
            },
        );
    }
    out
}

/// The rank pack's file name.
const RANK_PACK: &str = "比对排名.xlsx";

/// Writes every pack into `out`; returns the paths written.
///
/// The rank pack holds most of the report's cells, and its save runs on one thread
/// (rust_xlsxwriter zips serially). So its sheets are filled first, on every core, and its
/// save runs beside the other packs, which fill the other core meanwhile.
pub fn write_packs(
    out: &Path,
    snapshot: &Snapshot,
    model: &Model,
    plan: &Plan,
    last: &AtLast,
) -> Result<Vec<PathBuf>, ReportError> {
    // The rank pack's sheets stream their rows to temporary files in the report's own folder.
    let mut workbook = streaming_workbook(out).map_err(|source| ReportError::Xlsx {
        path: out.join(RANK_PACK),
        source,
    })?;
    let sheets = (0..model.ranks.len())
        .map(|_| workbook.new_worksheet_with_constant_memory())
        .collect::<Result<Vec<_>, _>>()
        .and_then(|blanks| rank_sheets(model, last, blanks));
    let (rank, others) = rayon::join(
        || rank_pack(out, model, workbook, sheets),
        || other_packs(out, snapshot, model, plan, last),
    );
    // The rank pack is listed second, after the typical list, as before.
    let rank = rank?;
    let mut written = others?;
    written.insert(written.len().min(1), rank);
    Ok(written)
}

/// Every pack but the rank pack, side by side: the typical list, the roster's and each city's.
fn other_packs(
    out: &Path,
    snapshot: &Snapshot,
    model: &Model,
    plan: &Plan,
    last: &AtLast,
) -> Result<Vec<PathBuf>, ReportError> {
    // The city packs list only the industry levels by year (enterprises and parks, most of
    // the rows, are left out, and not read).
    let facts = model::facts(&snapshot.fact_indicator, &super::snapshot::INDUSTRY_LEVELS);
    let scores = scores(snapshot, model.last_year());
    let mut used_files = BTreeSet::new();
    let mut packs = vec![Pack::Typical, Pack::Roster];
    for city in &plan.roster.cities {
        let file = super::template::distinct(
            &mut used_files,
            super::template::file_name("城市_", &city.city_name),
        );
        packs.push(Pack::City(out.join(file), &city.city_code));
    }
    packs
        .par_iter()
        .map(|pack| match pack {
            Pack::Typical => typical_pack(out, model),
            Pack::Roster => roster_pack(out, model),
            Pack::City(path, city_code) => {
                city_pack(path, city_code, model, plan, &facts, last, &scores)
            }
        })
        .collect()
}

/// One workbook of the results besides the rank pack.
enum Pack<'a> {
    Typical,
    Roster,
    City(PathBuf, &'a str),
}

fn typical_pack(out: &Path, model: &Model) -> Result<PathBuf, ReportError> {
    let (first, last) = (model.first_year(), model.last_year());
    let head = headers(&[
        "类别",
        "序号",
        "名称",
        "代码",
        "地市",
        &format!("{first}年得分"),
        &format!("{last}年得分"),
        "得分变化",
        "完整度(%)",
        "提升最多的指标（贡献变化，分）",
        "待核实警告（条）",
        &format!("{first}年无数据的指标"),
    ]);
    let rows: Vec<Vec<Cell>> = model
        .typical
        .iter()
        .map(|row| {
            vec![
                text(level_zh(&row.level)),
                number(Some(row.typical_rank as f64)),
                text(&row.name),
                text(&row.entity_id),
                text(&row.city_name),
                number(row.first_score),
                number(row.score),
                number(row.score_change),
                number(row.completeness),
                text(
                    row.top
                        .iter()
                        .map(|c| format!("{}(+{:.2})", c.name, c.change))
                        .collect::<Vec<_>>()
                        .join("、"),
                ),
                number(Some(row.warnings as f64)),
                text(row.new_in_last.join("、")),
            ]
        })
        .collect();
    save(
        out.join("典型示范名单.xlsx"),
        model,
        |workbook, used| table(workbook, used, "典型示范", &head, rows),
    )
}

/// The rank pack's sheets, a peer group each: named in order (a name taken is not given
/// twice), then filled side by side.
fn rank_sheets(
    model: &Model,
    last: &AtLast,
    blanks: Vec<Worksheet>,
) -> Result<Vec<Worksheet>, XlsxError> {
    let mut used = BTreeSet::new();
    let names: Vec<String> = model
        .ranks
        .iter()
        .map(|group| {
            let wanted = format!(
                "{}_{}",
                level_zh(&group.level),
                short_group_label(model, &group.level, &group.group)
            );
            sheet_name(&mut used, &wanted)
        })
        .collect();
    // The largest sheets first, each its own task: one group (the bench's largest industry)
    // can hold a quarter of the rows, and started last it would leave a core idle.
    let mut tasks: Vec<_> = model
        .ranks
        .iter()
        .zip(names)
        .zip(blanks)
        .enumerate()
        .collect();
    tasks.sort_by_key(|(_, ((group, _), _))| std::cmp::Reverse(group.rows.len()));
    let mut filled = tasks
        .into_par_iter()
        .with_max_len(1)
        .map(|(at, ((group, name), blank))| {
            let mut sheet = rank_sheet(model, group, last, blank)?;
            sheet.set_name(name)?;
            Ok((at, sheet))
        })
        .collect::<Result<Vec<_>, XlsxError>>()?;
    filled.sort_by_key(|(at, _)| *at);
    Ok(filled.into_iter().map(|(_, sheet)| sheet).collect())
}

fn rank_pack(
    out: &Path,
    model: &Model,
    workbook: Workbook,
    sheets: Result<Vec<Worksheet>, XlsxError>,
) -> Result<PathBuf, ReportError> {
    save_into(workbook, out.join(RANK_PACK), model, |workbook, used| {
        let sheets = sheets?;
        if sheets.is_empty() {
            return table(
                workbook,
                used,
                "排名",
                &headers(&["说明"]),
                vec![vec![text("本快照没有综合得分")]],
            );
        }
        for sheet in sheets {
            workbook.push_worksheet(sheet);
        }
        Ok(())
    })
}

/// One peer group's ranks: an entity a row, its score and each indicator's value and rank.
fn rank_sheet(
    model: &Model,
    group: &RankGroup,
    last: &AtLast,
    blank: Worksheet,
) -> Result<Worksheet, XlsxError> {
    let indicators = model.indicators_of(&group.level);
    let mut head = headers(&[
        "排名",
        "名称",
        "代码",
        "地市",
        "综合得分",
        "完整度(%)",
        "得分变化",
        "典型示范",
        "名单外",
    ]);
    for indicator in &indicators {
        head.push(format!("{}({})", indicator.name, indicator.unit));
        // Among the indicator's peers (its industry group), which can be smaller than the
        // sheet's score group: the header says so, so 1/1 is not read as best of the sheet.
        head.push(format!("{}比对组内排名", indicator.name));
    }
    // The rows are made as the sheet takes them.
    let rows = group.rows.iter().map(|row| {
        let mut cells = vec![
            number(row.rank.map(|r| r as f64)),
            text(&row.name),
            text(&row.entity_id),
            text(&row.city_name),
            number(row.score),
            number(row.completeness),
            number(row.score_change),
            text(if row.typical { "是" } else { "" }),
            text(if row.in_roster { "" } else { "是" }),
        ];
        for indicator in &indicators {
            let found = last.get(&(
                group.level.as_str(),
                row.entity_id.as_str(),
                indicator.code.as_str(),
            ));
            let value = found.and_then(|f| f.0);
            cells.push(match (indicator.kind, value) {
                // A flag reads as the form wrote it, 是/否, not 1/0.
                (Kind::Flag, Some(flag)) => text(if flag == 1.0 { "是" } else { "否" }),
                _ => number(value),
            });
            cells.push(text(
                found
                    .and_then(|(_, rank, n)| Some(format!("{}/{}", (*rank)?, (*n)?)))
                    .unwrap_or_default(),
            ));
        }
        cells
    });
    fill(blank, &head, rows)
}

fn roster_pack(out: &Path, model: &Model) -> Result<PathBuf, ReportError> {
    let city_contacts: HashMap<&str, (&str, &str)> = model
        .cities
        .iter()
        .map(|c| {
            (
                c.city_code.as_str(),
                (c.contact_name.as_str(), c.contact_phone.as_str()),
            )
        })
        .collect();
    let head = headers(&[
        "报表",
        "代码",
        "名称",
        "地市",
        "报送情况",
        "文件",
        "填报人",
        "联系电话",
        "指标已载入",
        "指标应填",
        "地市联系人",
        "地市联系电话",
    ]);
    let row = |e: &super::model::RosterEntry| {
        let (city_name, city_phone) = city_contacts
            .get(e.city_code.as_str())
            .copied()
            .unwrap_or(("", ""));
        vec![
            text(level_zh(e.level)),
            text(&e.entity_id),
            text(&e.name),
            text(&e.city_name),
            text(e.standing.label_zh()),
            text(&e.source_file),
            text(&e.contact_name),
            text(&e.contact_phone),
            number(Some(e.cells_loaded as f64)),
            number(Some(e.cells_expected as f64)),
            text(city_name),
            text(city_phone),
        ]
    };
    let all: Vec<Vec<Cell>> = model.roster.iter().map(row).collect();
    let outstanding: Vec<Vec<Cell>> = model
        .roster
        .iter()
        .filter(|e| e.standing != Standing::Submitted)
        .map(row)
        .collect();
    // Forms received with indicator cells still empty (roster_status `partial`), the emptiest
    // first: whom to ask for the rest.
    let mut partial: Vec<&super::model::RosterEntry> = model
        .roster
        .iter()
        .filter(|e| e.standing == Standing::Submitted && e.cells_loaded < e.cells_expected)
        .collect();
    partial.sort_by_key(|e| {
        (
            e.cells_loaded * 1000 / e.cells_expected.max(1),
            e.entity_id.clone(),
        )
    });
    let partial: Vec<Vec<Cell>> = partial.into_iter().map(row).collect();
    let by_city: Vec<Vec<Cell>> = model
        .cities
        .iter()
        .map(|city| {
            let get = |level: &str| city.counts.get(level).cloned().unwrap_or_default();
            let (e, p, c) = (get("enterprise"), get("park"), get("city"));
            vec![
                text(&city.city_name),
                number(Some(e.expected as f64)),
                number(Some(e.submitted as f64)),
                number(Some(p.expected as f64)),
                number(Some(p.submitted as f64)),
                text(if c.submitted > 0 {
                    "已报送"
                } else {
                    "未报送"
                }),
                text(&city.contact_name),
                text(&city.contact_phone),
            ]
        })
        .collect();
    let city_head = headers(&[
        "地市",
        "企业应报",
        "企业已报",
        "园区应报",
        "园区已报",
        "地市报表",
        "地市联系人",
        "地市联系电话",
    ]);
    save(out.join("报送情况.xlsx"), model, |workbook, used| {
        table(workbook, used, "未报送（催报）", &head, outstanding)?;
        table(workbook, used, "未报齐（补报）", &head, partial)?;
        table(workbook, used, "全部名单", &head, all)?;
        table(workbook, used, "按地市", &city_head, by_city)
    })
}

fn city_pack(
    path: &Path,
    city_code: &str,
    model: &Model,
    plan: &Plan,
    facts: &ValuesByYear,
    last: &AtLast,
    scores: &Scores,
) -> Result<PathBuf, ReportError> {
    // Each submitter's error and warning rows, so 已报送 is not read as 已报送、无误.
    let problems: HashMap<(&str, &str), (usize, usize)> = model
        .rejects
        .iter()
        .map(|r| {
            (
                (r.level.as_str(), r.entity_id.as_str()),
                (r.errors, r.warnings),
            )
        })
        .collect();
    let entity_rows = |level: &'static str| -> Vec<Vec<Cell>> {
        model
            .roster
            .iter()
            .filter(|e| e.level == level && e.city_code == city_code)
            .map(|e| {
                let info = model
                    .entity(level, &e.entity_id)
                    .cloned()
                    .unwrap_or_default();
                let LastScore {
                    score,
                    rank,
                    group,
                    scored,
                    change,
                    typical,
                } = scores
                    .get(&(level.to_string(), e.entity_id.clone()))
                    .cloned()
                    .unwrap_or_default();
                let mut row = vec![text(&e.entity_id), text(&e.name)];
                if level == "enterprise" {
                    let park = plan
                        .roster
                        .enterprise(&e.entity_id)
                        .and_then(|ent| ent.park_id.clone())
                        .and_then(|id| plan.roster.park(&id).map(|p| p.park_name.clone()))
                        .unwrap_or_default();
                    row.push(text(&info.industry_code));
                    row.push(text(park));
                }
                let (errors, warnings) = problems
                    .get(&(level, e.entity_id.as_str()))
                    .copied()
                    .unwrap_or_default();
                row.extend([
                    text(e.standing.label_zh()),
                    number(Some(errors as f64)),
                    number(Some(warnings as f64)),
                    text(&e.contact_name),
                    text(&e.contact_phone),
                    number(score),
                    number(rank.map(|r| r as f64)),
                    // The group's size beside its name: a rank of 2 means little without it.
                    text(match (group.is_empty(), scored) {
                        (true, _) => String::new(),
                        (false, Some(n)) => {
                            format!(
                                "{}（{n} 家有得分）",
                                short_group_label(model, level, &group)
                            )
                        }
                        (false, None) => short_group_label(model, level, &group),
                    }),
                    number(change),
                    text(if typical { "是" } else { "" }),
                ]);
                row
            })
            .collect()
    };
    let tail = [
        "报送情况",
        "错误",
        "警告",
        "填报人",
        "联系电话",
        "综合得分",
        "评分组内排名",
        "评分组",
        "得分变化",
        "典型示范",
    ];
    let mut enterprise_head = headers(&["统一社会信用代码", "企业名称", "行业代码", "所属园区"]);
    enterprise_head.extend(headers(&tail));
    let mut park_head = headers(&["园区代码", "园区名称"]);
    park_head.extend(headers(&tail));
    let years = &model.years;
    let industry_rows = |level: &str, entities: Vec<(String, String, Option<String>)>| {
        let mut rows = Vec::new();
        for (id, name, whole) in entities {
            for indicator in model.indicators_of(level) {
                let key = (level.to_string(), id.clone(), indicator.code.clone());
                let values = facts.get(&key);
                let mut row = vec![text(&name), text(&indicator.name), text(&indicator.unit)];
                for year in years {
                    row.push(number(values.and_then(|v| v.get(year).copied())));
                }
                if let Some(whole) = &whole {
                    let province = facts
                        .get(&(
                            "province_industry".to_string(),
                            whole.clone(),
                            indicator.code.clone(),
                        ))
                        .and_then(|v| v.get(years.last()?).copied());
                    row.push(number(province));
                }
                row.push(text(
                    last.get(&(level, id.as_str(), indicator.code.as_str()))
                        .and_then(|(_, rank, n)| Some(format!("{}/{}", (*rank)?, (*n)?)))
                        .unwrap_or_default(),
                ));
                rows.push(row);
            }
        }
        rows
    };
    let own: Vec<(String, String, Option<String>)> = plan
        .roster
        .industries
        .iter()
        .filter(|i| i.city_code.as_deref() == Some(city_code))
        .map(|i| (i.industry_id.clone(), i.industry_name.clone(), None))
        .collect();
    let province: Vec<(String, String, Option<String>)> = plan
        .roster
        .province_industries()
        .map(|i| {
            (
                format!("{}-{city_code}", i.industry_id),
                i.industry_name.clone(),
                Some(i.industry_id.clone()),
            )
        })
        .collect();
    let mut own_head = headers(&["行业", "指标", "单位"]);
    own_head.extend(model.years.iter().map(|y| format!("{y}年")));
    let mut province_head = own_head.clone();
    own_head.push(format!("{}年排名（全省市级重点行业）", model.last_year()));
    province_head.push(format!("{}年全省", model.last_year()));
    province_head.push(format!("{}年位次（各市）", model.last_year()));
    let weak_rows: Vec<Vec<Cell>> = model
        .weak
        .iter()
        .filter(|w| w.city_code == city_code)
        .flat_map(|w| w.rows.iter())
        .map(|row| {
            vec![
                text(&row.industry_name),
                text(&row.indicator.name),
                text(&row.measure),
                number(Some(row.city_value)),
                number(row.from_to.map(|(previous, _)| previous)),
                number(row.from_to.map(|(_, last)| last)),
                number(row.province_value),
                text(format!("{}/{}", row.rank, row.peers)),
            ]
        })
        .collect();
    let weak_head = headers(&[
        "行业",
        "指标",
        "比较",
        "本市",
        &format!(
            "本市{}年值",
            model.years.iter().rev().nth(1).copied().unwrap_or_default()
        ),
        &format!("本市{}年值", model.last_year()),
        "全省",
        "位次（各市）",
    ]);
    let enterprises = entity_rows("enterprise");
    let parks = entity_rows("park");
    let own_rows = industry_rows("city_industry", own);
    let province_rows = industry_rows("province_industry_city", province);
    save(path.to_path_buf(), model, |workbook, used| {
        table(workbook, used, "企业", &enterprise_head, enterprises)?;
        table(workbook, used, "园区", &park_head, parks)?;
        table(workbook, used, "重点行业", &own_head, own_rows)?;
        table(
            workbook,
            used,
            "全省重点行业",
            &province_head,
            province_rows,
        )?;
        table(workbook, used, "薄弱环节", &weak_head, weak_rows)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_short_clean_and_unique() {
        let mut used = BTreeSet::new();
        let long = "企业_行业组 C38 电气机械和器材制造业以及其他很长很长的名字";
        let a = sheet_name(&mut used, long);
        let b = sheet_name(&mut used, long);
        assert!(a.chars().count() <= 31 && b.chars().count() <= 31);
        assert_ne!(a, b);
        assert!(b.ends_with("_2"));
        assert_eq!(sheet_name(&mut used, "企业_section:C"), "企业_section_C");
        assert_eq!(sheet_name(&mut used, "ALL"), "ALL");
        assert_eq!(sheet_name(&mut used, "all"), "all_2");
    }
}
