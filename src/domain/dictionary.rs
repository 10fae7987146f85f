//! The data dictionary: what every table and column of the warehouse means, in Chinese and
//! English, with its unit and the meaning of each code value. One source for the `COMMENT ON`
//! statements of `views.sql` and for `docs/tables.md` (a test fails when they drift apart), so
//! the text analysts read in DuckDB, a BI tool and the docs is never maintained twice.

use super::columns::table;
use super::rule::Rule;
use super::status::{RosterStatus, SubmissionStatus};
use super::vocabulary::{Direction, Form, Kind, Level};

/// One column's meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDoc {
    pub zh: &'static str,
    pub en: &'static str,
    /// The unit of a numeric column, when it has one.
    pub unit: Option<&'static str>,
}

impl ColumnDoc {
    /// The comment text: Chinese, then English, then unit and code meanings.
    pub fn text(&self, table: &str, column: &str) -> String {
        let mut text = format!("{} / {}", self.zh, self.en);
        if let Some(unit) = self.unit {
            text.push_str(&format!(" [单位 unit: {unit}]"));
        }
        let codes = codes(table, column);
        if !codes.is_empty() {
            let listed: Vec<String> = codes
                .iter()
                .map(|(code, meaning)| format!("{code}={meaning}"))
                .collect();
            text.push_str(&format!(" 取值 values: {}", listed.join("; ")));
        }
        text
    }
}

const fn doc(zh: &'static str, en: &'static str) -> ColumnDoc {
    ColumnDoc { zh, en, unit: None }
}

const fn with_unit(zh: &'static str, en: &'static str, unit: &'static str) -> ColumnDoc {
    ColumnDoc {
        zh,
        en,
        unit: Some(unit),
    }
}

/// What a table holds, Chinese then English.
pub fn table_doc(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        table::SUBMISSIONS => (
            "报送文件：收件箱中每个文件一行，含状态与单元格计数",
            "One row per inbox file: status, submitter and cell counts",
        ),
        table::DIM_ENTITY => (
            "比对对象维表：企业、园区、行业及其地市、园区、行业代码和比对组",
            "Entities compared: enterprises, parks, industries with city, park, industry code and peer group",
        ),
        table::DIM_INDICATOR => (
            "指标维表：指标名称、计量单位、方向、类型、权重和汇总方式",
            "Indicators: name, unit, direction, kind, weight and roll-up",
        ),
        table::FACT_INDICATOR => (
            "指标事实表：每个对象、指标、年份的采用值及其来源单元格",
            "One value per entity, indicator and year, with the cell it came from",
        ),
        table::FACT_COMPARISON => (
            "比对结果：同比、较基年变化、复合增长率及组内排名",
            "Changes over time and standing among peers, per fact",
        ),
        table::ENTITY_SCORE => (
            "综合得分：每个对象每年的得分、完整度、排名、变化和典型示范",
            "Composite score per entity and year, with completeness, rank, change and typical picks",
        ),
        table::ENTITY_SCORE_DETAIL => (
            "得分明细：各指标的标准化值与贡献",
            "Each indicator's normalised value and share of the score",
        ),
        table::REJECTS => (
            "问题清单：未载入的错误和已载入但需核实的警告",
            "Errors that kept a value out and warnings beside loaded values",
        ),
        table::CORRECTIONS => (
            "更正记录：更正报表改变的每个数值。每份被取代的报表中与采用值不同的数值各一行（同一指标年份有多份早期报表时有多行，新值相同）",
            "Every value a correction restated: one row for each superseded submission whose value differs from the one used (several earlier forms of one indicator and year give several rows with the same new value)",
        ),
        table::ROSTER_STATUS => (
            "报送进度：名单内外每个对象的报送与完整情况",
            "Who was expected, who submitted, how complete",
        ),
        "runs" => (
            "运行记录：每次运行一行",
            "One row per run of zlbd",
        ),
        _ => return None,
    })
}

/// A column's meaning in a table (a name means the same in every table unless noted here).
pub fn column_doc(table: &str, column: &str) -> Option<ColumnDoc> {
    let specific = match (table, column) {
        (table::ENTITY_SCORE, "peer_n") => Some(doc(
            "本年得分组内有得分的对象数",
            "entities of the score group with a score this year",
        )),
        (table::ROSTER_STATUS, "cells_loaded") => Some(doc(
            "已载入的指标×年份单元格数",
            "indicator × year cells loaded",
        )),
        // The two tables whose level may be the submitting city.
        (table::SUBMISSIONS | table::REJECTS, "entity_id") => Some(doc(
            "对象代码：统一社会信用代码、园区代码、行业代码、行业-地市，或地市行政区划代码（层级为地市时）",
            "entity id: USCC, park id, industry id, industry-city, or the city code (level city)",
        )),
        (table::DIM_INDICATOR, "unit") => Some(doc(
            "目录计量单位，事实值均已换算为此单位",
            "the catalog's unit; every fact is converted to it",
        )),
        (table::SUBMISSIONS, "submission_id") => Some(doc(
            "报送编号：文件内容的SHA-256；同一内容的重复文件（status=duplicate）与原文件同号，关联时请加 source_file 或排除 duplicate",
            "submission id: SHA-256 of the file's bytes; a duplicate file (status duplicate) shares its original's, so join on it with source_file or without the duplicates",
        )),
        (table::ROSTER_STATUS, "status") => Some(doc("报送进度", "submission progress")),
        ("runs", "status") => Some(doc("运行结果", "outcome of the run")),
        ("runs", "message") => Some(doc("说明", "what happened")),
        (table::CORRECTIONS, "old_value") => Some(doc(
            "被更正前的值（计量单位同指标）",
            "value before the correction (in the indicator's unit)",
        )),
        (table::CORRECTIONS, "new_value") => Some(doc(
            "更正后的值，为空表示更正中删除",
            "value after the correction; null when the correction dropped it",
        )),
        _ => None,
    };
    specific.or_else(|| general(column))
}

fn general(column: &str) -> Option<ColumnDoc> {
    Some(match column {
        "submission_id" => doc("报送编号：文件内容的SHA-256", "submission id: SHA-256 of the file's bytes"),
        "source_file" => doc("来源文件：相对收件箱的路径", "file path relative to the inbox"),
        "file_format" => doc("文件格式", "file format"),
        "size_bytes" => with_unit("文件大小", "file size", "字节 bytes"),
        "form" => doc("报表类型", "report form"),
        "level" => doc("比对层级", "level compared"),
        "entity_id" => doc(
            "对象代码：统一社会信用代码、园区代码、行业代码或 行业-地市",
            "entity id: USCC, park id, industry id or industry-city",
        ),
        "entity_name" => doc("对象名称", "entity name"),
        "city_code" => doc("地市行政区划代码（GB/T 2260）", "city code (GB/T 2260)"),
        "city_name" => doc("地市名称", "city name"),
        "park_id" => doc("所属园区代码", "park id"),
        "industry_code" => doc("国民经济行业代码（GB/T 4754-2017）", "industry code (GB/T 4754-2017)"),
        "peer_group" => doc(
            "比对组：企业按行业代码前3位，地市分行业按省重点行业，其余为 all",
            "peer group: enterprises by the first 3 characters of the industry code, cities' parts by province industry, others all",
        ),
        "in_roster" => doc("是否在全省名单内", "in the province's roster"),
        "version" => doc("报表版本，更正报表版本更高", "form version; a correction carries a higher one"),
        "filled_date" => doc("填报日期", "date filled"),
        "years" => doc("报表中有数据的比对年份，如 2019,2020,2021", "comparison years with data, e.g. 2019,2020,2021"),
        "status" => doc("文件状态", "file status"),
        "superseded_by" => doc("取代本文件的报送编号", "submission that superseded this one"),
        "reason" => doc("状态原因", "why this status"),
        "cells_loaded" => doc("载入为事实的单元格数", "cells loaded as facts"),
        "cells_superseded" => doc("被后续更正取代的单元格数", "cells superseded by a later correction"),
        "cells_rejected" => doc("因错误未载入的单元格数", "cells rejected by an error rule"),
        "cells_missing" => doc("空白或缺失标记（—、无、N/A）的单元格数", "empty cells and missing markers"),
        "contact_name" => doc("填报人", "contact person"),
        "contact_phone" => doc("联系电话", "contact phone"),
        "indicator_code" => doc("指标代码", "indicator code"),
        "indicator_name" => doc("指标名称", "indicator name"),
        "unit" => doc("计量单位（已换算为目录单位）", "unit (converted to the catalog unit)"),
        "direction" => doc("方向", "direction"),
        "kind" => doc("指标类型", "indicator kind"),
        "weight" => doc("综合得分权重", "weight in the composite score"),
        "agg" => doc(
            "地市汇总到省重点行业的方式（行业指标均有，省重点行业按此汇总）",
            "how cities roll up to a province industry (set for every industry indicator; province industries use it)",
        ),
        "year" => doc("年份", "year"),
        "value" => doc("采用值（计量单位见 unit）", "value (in unit)"),
        "raw_value" => doc("单元格原文", "the cell as written"),
        "source_sheet" => doc("来源工作表", "sheet"),
        "source_cell" => doc("来源单元格（A1）", "cell (A1)"),
        "is_derived" => doc("是否由地市数据汇总得出", "rolled up from the cities, not read from a form"),
        "prev_value" => doc("上一比对年份的值", "value one comparison year earlier"),
        "yoy_abs" => doc("同比变化量", "year-over-year change"),
        "yoy_pct" => with_unit("同比变化率（上年为0或空时为空）", "year-over-year change, null when the previous value is 0 or null", "%"),
        "first_value" => doc("基年（首个比对年份）的值", "value of the first comparison year"),
        "change_abs" => doc("较基年变化量", "change since the first year"),
        "change_pct" => with_unit("较基年变化率", "change since the first year", "%"),
        "cagr_pct" => with_unit("较基年复合年均增长率", "compound annual growth since the first year", "%"),
        "improved" => doc("是否按指标方向较上年改善", "better than the previous year by direction"),
        "peer_n" => doc("比对组内本年报送该指标的对象数", "peers reporting this indicator this year"),
        "rank" => doc("组内排名，1为最好，并列取最小名次", "rank in the peer group, 1 = best, ties share the lowest rank"),
        "percentile" => with_unit("组内百分位，100为最好", "percentile in the peer group, 100 = best", "0–100"),
        "peer_median" => doc("组内中位数", "peer median"),
        "peer_best" => doc("组内最优值", "best peer value"),
        "gap_to_best" => doc("与组内最优值的差距", "distance to the best peer value"),
        "robust_z" => doc(
            "稳健z值：(值−中位数)/(1.4826×MAD)，同组有值对象少于5个或MAD为0时为空；金额类按对数计算，只计正值对象，值不为正时为空",
            "robust z: (v − median)/(1.4826 × MAD); null under 5 peers with a value or when MAD = 0; for amounts on ln(v) over the peers with v > 0, null where v ≤ 0",
        ),
        "anomaly" => doc("是否异常值（|robust_z|>3.5），未计算时为空", "|robust_z| > 3.5; null where not computed"),
        "score" => with_unit("综合得分", "composite score", "0–100"),
        "completeness" => with_unit("完整度：已报送指标权重占比", "completeness: share of indicator weight reported", "%"),
        "score_rank" => doc("得分组内排名", "rank in the score group"),
        "score_change" => doc("较基年得分变化", "score change since the first year"),
        "typical" => doc("是否典型示范（末年）", "a typical demonstration (last year)"),
        "typical_rank" => doc("典型示范名次", "rank among the typical demonstrations"),
        "score_group" => doc(
            "得分组：比对组；组内对象不足时为行业门类（section:C）或 all",
            "score group: the peer group, else the industry section (section:C), else all",
        ),
        "normalized" => with_unit("标准化值（缩尾后最小-最大法）", "normalised value (winsorised min-max)", "0–100"),
        "contribution" => doc("对得分的贡献，各指标之和为得分", "share of the score; they add up to the score"),
        "rule" => doc("规则代码", "rule code"),
        "severity" => doc("级别", "severity"),
        "message" => doc("说明（含工作表、单元格和原值）", "message naming sheet, cell and raw value"),
        "old_value" => doc("更正前的值", "value before the correction"),
        "new_value" => doc("更正后的值", "value after the correction"),
        "old_submission_id" => doc("原报送编号", "submission corrected"),
        "new_submission_id" => doc("更正报送编号", "correcting submission"),
        "old_source_file" => doc("原文件", "file corrected"),
        "new_source_file" => doc("更正文件", "correcting file"),
        "expected" => doc("是否在名单内应报送", "expected to submit (in the roster)"),
        "submitted" => doc("是否已报送", "submitted"),
        "cells_expected" => doc(
            "应报送的指标×年份单元格数（名单外对象按同类报表计）",
            "indicator × year cells expected (for an entity off the roster, as for its form)",
        ),
        "indicator_key" => doc(
            "指标键：层级:指标代码，供BI单列关联",
            "indicator key <level>:<indicator_code> for single-column joins",
        ),
        "level_name" => doc("层级名称", "level, in Chinese"),
        "park_name" => doc("所属园区名称", "park name"),
        "entity_key" => doc("对象键：层级:代码，供BI单列关联", "entity key <level>:<entity_id> for single-column joins"),
        "run_id" => doc("运行编号", "run id"),
        "started_at" => doc("开始时间（UTC）", "started at (UTC)"),
        "finished_at" => doc("结束时间（UTC）", "finished at (UTC)"),
        "command" => doc("命令", "command"),
        "exit_code" => doc("退出码", "exit code"),
        "files" => doc("文件数", "files"),
        "files_active" => doc("有效文件数", "active files"),
        "files_rejected" => doc("未通过文件数", "rejected files"),
        "files_from_cache" => doc(
            "未重新解析的文件数（取自解析缓存；重复上次运行时为全部文件）",
            "files not parsed again: served from the parse cache (all files when the run repeated an earlier one)",
        ),
        "facts" => doc("事实数", "facts"),
        "rejects_error" => doc("错误数", "errors"),
        "rejects_warning" => doc("警告数", "warnings"),
        "config_hash" => doc("配置指纹", "configuration fingerprint"),
        "program_version" => doc("程序版本", "program version"),
        "snapshot" => doc(
            "运行后生效的快照（status 为 published 时由本次发布）",
            "snapshot in force after the run (published by it when status is published)",
        ),
        _ => return None,
    })
}

/// The code values of a column and what each means.
pub fn codes(table: &str, column: &str) -> Vec<(String, String)> {
    let pairs = |items: Vec<(&str, &str)>| {
        items
            .into_iter()
            .map(|(code, meaning)| (code.to_string(), meaning.to_string()))
            .collect()
    };
    match (table, column) {
        (_, "level") => {
            let mut levels: Vec<(String, String)> = Level::ALL
                .iter()
                .map(|level| (level.as_str().to_string(), level_zh(*level).to_string()))
                .collect();
            if [table::SUBMISSIONS, table::REJECTS].contains(&table) {
                levels.push((
                    Form::City.as_str().to_string(),
                    "地市（报送单位）".to_string(),
                ));
            }
            levels
        }
        (_, "form") => pairs(vec![
            (Form::Enterprise.as_str(), "企业报表"),
            (Form::Park.as_str(), "园区报表"),
            (Form::City.as_str(), "地市报表"),
        ]),
        ("runs", "status") => pairs(vec![
            ("published", "已发布新快照"),
            ("unchanged", "与生效快照相同，未新增快照"),
            ("refused", "防缩水保护拒绝发布，生效快照不变"),
            ("failed", "失败，生效快照不变"),
            ("interrupted", "被中断（下一次运行补记），生效快照不变"),
        ]),
        (table::ROSTER_STATUS, "status") => pairs(vec![
            (RosterStatus::Complete.as_str(), "全部报送"),
            (RosterStatus::Partial.as_str(), "部分报送"),
            (RosterStatus::Missing.as_str(), "未报送"),
            (RosterStatus::Unexpected.as_str(), "名单外报送"),
        ]),
        (table::SUBMISSIONS, "status") => SubmissionStatus::ALL
            .iter()
            .map(|status| (status.as_str().to_string(), status.label_zh().to_string()))
            .collect(),
        (_, "rule") => Rule::ALL
            .iter()
            .map(|rule| (rule.as_str().to_string(), rule.describe_zh().to_string()))
            .collect(),
        (_, "severity") => pairs(vec![
            ("error", "错误，未载入"),
            ("warning", "警告，已载入请核实"),
        ]),
        (_, "direction") => pairs(vec![
            (Direction::Higher.as_str(), "越高越好"),
            (Direction::Lower.as_str(), "越低越好"),
        ]),
        (_, "kind") => pairs(vec![
            (Kind::Amount.as_str(), "金额（万元）"),
            (Kind::Rate.as_str(), "比率（%）"),
            (Kind::Count.as_str(), "计数（整数）"),
            (Kind::Score.as_str(), "分值（0–100）"),
            (Kind::Flag.as_str(), "是/否（1/0）"),
        ]),
        _ => Vec::new(),
    }
}

/// A level as the province names it.
pub fn level_zh(level: Level) -> &'static str {
    match level {
        Level::Enterprise => "企业",
        Level::Park => "园区",
        Level::CityIndustry => "地市重点行业",
        Level::ProvinceIndustryCity => "省重点行业的地市部分",
        Level::ProvinceIndustry => "省重点行业",
    }
}

/// A view defined over a table (the BI views of `views.sql`), for the data dictionary.
pub struct ViewDoc {
    pub name: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// The table whose rows and columns the view carries.
    pub base: &'static str,
    /// The columns it adds to the base table's.
    pub added: Vec<&'static str>,
}

/// The data dictionary's section on views: each view with the columns it adds, described by
/// the same text as its `COMMENT ON COLUMN`.
pub fn views_markdown(views: &[ViewDoc]) -> String {
    let mut out = String::from(
        "\n# BI 视图 / Views for BI tools\n\n\
         Defined in `views.sql` over the views of the tables above. Each carries every column of\n\
         its table and adds these (names, units and single-column keys).\n",
    );
    for view in views {
        out.push_str(&format!(
            "\n## `{}`\n\n{}  \n{}\n\n`{}` 的全部列，另加 / every column of `{}`, plus:\n\n",
            view.name, view.zh, view.en, view.base, view.base
        ));
        out.push_str(COLUMNS_HEADER);
        for column in &view.added {
            // Every column a BI view adds is text: a key, a name, a code or a unit.
            out.push_str(&column_row(view.base, column, "VARCHAR"));
        }
    }
    out
}

const COLUMNS_HEADER: &str =
    "| column | type | 说明 | meaning | unit | values |\n|---|---|---|---|---|---|\n";

/// One column's row of the dictionary, as its `COMMENT ON COLUMN` describes it.
fn column_row(table: &str, column: &str, kind: &str) -> String {
    let doc = column_doc(table, column);
    let codes: Vec<String> = codes(table, column)
        .into_iter()
        .map(|(code, meaning)| format!("`{code}` {meaning}"))
        .collect();
    // A `|` inside a cell (|robust_z|) would end it.
    let cell = |text: &str| text.replace('|', "\\|");
    format!(
        "| `{column}` | {kind} | {} | {} | {} | {} |\n",
        cell(doc.as_ref().map_or("", |doc| doc.zh)),
        cell(doc.as_ref().map_or("", |doc| doc.en)),
        cell(doc.as_ref().and_then(|doc| doc.unit).unwrap_or("")),
        cell(&codes.join("<br>"))
    )
}

/// The data dictionary as Markdown (`docs/tables.md`): each table with its columns, their type,
/// meaning, unit and code values. `tables` lists (table, [(column, type)]) in order.
pub fn markdown(tables: &[(&str, Vec<(String, String)>)]) -> String {
    let mut out = String::from(
        "# 数据字典 / Data dictionary\n\n\
         Generated by `zlbd dictionary` from the same source as the `COMMENT ON` statements of\n\
         `views.sql`; a test fails when this file and the program disagree.\n",
    );
    for (name, columns) in tables {
        let (zh, en) = table_doc(name).unwrap_or(("", ""));
        out.push_str(&format!("\n## `{name}`\n\n{zh}  \n{en}\n\n"));
        out.push_str(COLUMNS_HEADER);
        for (column, kind) in columns {
            out.push_str(&column_row(name, column, kind));
        }
    }
    out
}
