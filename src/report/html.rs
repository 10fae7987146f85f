//! The report page: one static `index.html` with inline SVG charts and inline CSS — no script,
//! no font or file fetched — in Chinese, printable (print CSS breaks pages between sections).
//!
//! Every section has an `id` and `data-*` attributes with its counts, and every table row the
//! numbers it shows, so a test (or an analyst's script) reads the page's numbers from the DOM.

use super::charts::{self, series_color, Line};
use super::model::{level_zh, IndicatorTrend, Model, RankGroup, FORM_LEVELS};
use crate::domain::{Direction, Kind, Rule};
use std::fmt::Write;

/// The sections, in page order: (id, title).
pub const SECTIONS: [(&str, &str); 7] = [
    ("completeness", "报送完整性"),
    ("rejects", "问题数据（按填报单位）"),
    ("trends", "省级重点行业三年趋势"),
    ("ranks", "比对排名"),
    ("typical", "典型示范"),
    ("weak", "各市薄弱环节"),
    ("method", "方法说明"),
];

/// HTML-escapes text for element content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A number for people: at most `decimals` decimals, no trailing zeros, thousands separated.
pub fn num(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value);
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = match body.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (body, None),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if grouped.chars().all(|c| c == '0' || c == ',') && frac.is_none() {
        ""
    } else {
        sign
    };
    match frac {
        Some(frac) => format!("{sign}{grouped}.{frac}"),
        None => format!("{sign}{grouped}"),
    }
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    value
        .map(|v| num(v, decimals))
        .unwrap_or_else(|| "—".to_string())
}

/// A number with its sign: +1.5, −2.
fn signed(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(v) if v > 0.0 => format!("+{}", num(v, decimals)),
        Some(v) => num(v, decimals),
        None => "—".to_string(),
    }
}

/// A value for a data attribute: Rust's shortest round-trip form, "" for none.
fn attr(value: Option<f64>) -> String {
    value.map(|v| format!("{v}")).unwrap_or_default()
}

fn pct(part: i64, whole: i64) -> String {
    if whole == 0 {
        "—".to_string()
    } else {
        format!("{}%", num(100.0 * part as f64 / whole as f64, 1))
    }
}

const STYLE: &str = r#"
:root { --ink: #222; --muted: #666; --line: #ddd; --accent: #1f5fa8; --bad: #c0392b; --warn: #d68910; --good: #1e8449; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; color: var(--ink); margin: 0 auto; max-width: 1280px; padding: 24px 32px; line-height: 1.5; font-size: 14px; }
svg text { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; border-bottom: 3px solid var(--accent); padding-bottom: 4px; margin-top: 36px; }
h3 { font-size: 16px; margin: 20px 0 8px; }
.meta { color: var(--muted); margin: 0 0 12px; }
nav ol { columns: 2; margin: 8px 0 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 180px; }
.card b { font-size: 22px; display: block; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; white-space: nowrap; }
td.wrap { white-space: normal; }
th { background: #f3f6fa; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.short td { background: #fdf2f0; }
.bad { color: var(--bad); } .good { color: var(--good); } .warn { color: var(--warn); }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 4px; padding: 6px; break-inside: avoid; }
figcaption { font-weight: bold; margin-bottom: 4px; }
figure svg { width: 100%; height: auto; display: block; }
.legend { font-size: 12px; color: var(--muted); }
.legend span { display: inline-block; margin-right: 10px; white-space: nowrap; }
.legend i { display: inline-block; width: 14px; height: 4px; margin-right: 3px; vertical-align: middle; }
.note { color: var(--muted); font-size: 12px; }
.tag { display: inline-block; border-radius: 3px; padding: 0 4px; font-size: 12px; background: #e8f1fb; color: var(--accent); }
.tag.off { background: #f3f3f3; color: #666; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  nav { display: none; }
  section { break-before: page; }
  section:first-of-type { break-before: auto; }
  tr, figure { break-inside: avoid; }
  thead { display: table-header-group; }
  .charts { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 14mm 12mm; }
"#;

/// Renders the whole page.
pub fn render(model: &Model) -> String {
    let mut out = String::new();
    let span = match (model.years.first(), model.years.last()) {
        (Some(a), Some(b)) => format!("{a}—{b}年"),
        _ => String::new(),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>质量提升比对结果报告 {span}</title>\n<style>{STYLE}</style>\n</head>\n<body data-run-id=\"{}\" data-pipeline=\"{}\" data-years=\"{}\">\n",
        esc(&model.run_id),
        esc(&model.pipeline),
        model
            .years
            .iter()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let _ = write!(
        out,
        "<header><h1>质量提升比对结果报告（{span}）</h1><p class=\"meta\">{} · 数据截至：{} · 快照编号：{}（本报告由数据仓库的该快照自动生成，数字与仓库一致）</p></header>\n<nav><b>目录</b><ol>",
        esc(&model.title),
        snapshot_time(&model.run_id),
        esc(&model.run_id)
    );
    for (id, title) in SECTIONS {
        let _ = write!(out, "<li><a href=\"#{id}\">{title}</a></li>");
    }
    out.push_str("</ol></nav>\n");
    completeness(&mut out, model);
    rejects(&mut out, model);
    trends(&mut out, model);
    ranks(&mut out, model);
    typical(&mut out, model);
    weak(&mut out, model);
    method(&mut out, model);
    out.push_str("<footer class=\"note\"><p>说明：综合得分 0–100，得分变化为末年得分减首年得分（分）。“—”表示无数据。各列含义与算例见 zlbd 的方法说明（docs/method.md）与数据字典（docs/tables.md）。</p></footer>\n</body>\n</html>\n");
    out
}

fn chart_or_note(svg: Result<String, String>) -> String {
    svg.unwrap_or_else(|error| format!("<p class=\"note\">图表无法生成：{}</p>", esc(&error)))
}

fn completeness(out: &mut String, model: &Model) {
    let counts = &model.level_counts;
    let total = |f: fn(&super::model::LevelCount) -> usize| counts.values().map(f).sum::<usize>();
    let _ = write!(
        out,
        "<section id=\"completeness\" data-expected=\"{}\" data-submitted=\"{}\" data-missing=\"{}\">\n<h2>一、报送完整性</h2>\n",
        total(|c| c.expected),
        total(|c| c.submitted),
        total(|c| c.outstanding()),
    );
    out.push_str("<div class=\"cards\">");
    for level in FORM_LEVELS {
        let count = counts.get(level).cloned().unwrap_or_default();
        let _ = write!(
            out,
            "<div class=\"card\">{}<b>{} / {}</b>已报送 / 应报送{}</div>",
            level_zh(level),
            count.submitted,
            count.expected,
            if count.outstanding() > 0 {
                format!(
                    "，<span class=\"bad\">{} 家未报送</span>",
                    count.outstanding()
                )
            } else {
                "，全部报送".to_string()
            }
        );
    }
    out.push_str("</div>\n");
    out.push_str("<table id=\"completeness-levels\"><thead><tr><th>报表</th><th class=\"n\">应报送</th><th class=\"n\">已报送</th><th class=\"n\">文件未通过</th><th class=\"n\">未报送</th><th class=\"n\">报送率</th></tr></thead><tbody>\n");
    for level in FORM_LEVELS {
        let c = counts.get(level).cloned().unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr data-level=\"{level}\" data-expected=\"{}\" data-submitted=\"{}\" data-missing=\"{}\" data-rejected-only=\"{}\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            c.expected,
            c.submitted,
            c.outstanding(),
            c.rejected_only,
            level_zh(level),
            c.expected,
            c.submitted,
            c.rejected_only,
            c.missing,
            pct(c.submitted as i64, c.expected as i64)
        );
    }
    out.push_str("</tbody></table>\n");
    if !model.unattributed.is_empty() {
        let _ = writeln!(
            out,
            "<p id=\"unattributed\" class=\"bad\">另有 {} 个文件未通过、上表未列出（无法对应到名单中的报送单位，或该单位已另报有效文件），请核实：</p><ul class=\"files\">",
            model.unattributed.len()
        );
        for file in &model.unattributed {
            let resubmitted = match &file.resubmitted {
                Some((name, valid)) => format!(
                    "（名称与名单中的“{}”相符，该单位已另报有效文件“{}”，已计为已报送）",
                    esc(name),
                    esc(valid)
                ),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "<li>{}：{}{resubmitted}</li>",
                esc(&file.file),
                esc(&file.reason)
            );
        }
        out.push_str("</ul>\n");
    }
    // Chart: enterprises per city, submitted and outstanding.
    let labels: Vec<String> = model.cities.iter().map(|c| c.city_name.clone()).collect();
    let stacks: Vec<Vec<f64>> = model
        .cities
        .iter()
        .map(|c| {
            let e = c.counts.get("enterprise").cloned().unwrap_or_default();
            vec![e.submitted as f64, e.outstanding() as f64]
        })
        .collect();
    let _ = writeln!(
        out,
        "<figure><figcaption>各市企业报送情况</figcaption>{}<div class=\"legend\"><span><i style=\"background:rgb(30,132,73)\"></i>已报送</span><span><i style=\"background:rgb(192,57,43)\"></i>未报送或文件未通过</span></div></figure>",
        chart_or_note(charts::stacked_bars(&labels, &stacks, &[(30, 132, 73), (192, 57, 43)], "企业数（家）", 900))
    );
    out.push_str("<h3>按地市</h3>\n<table id=\"completeness-matrix\"><thead><tr><th>地市</th><th class=\"n\">企业 已报/应报</th><th class=\"n\">园区 已报/应报</th><th>地市报表</th><th class=\"n\">企业指标填报率</th><th>地市联系人</th></tr></thead><tbody>\n");
    for city in &model.cities {
        let get = |level: &str| city.counts.get(level).cloned().unwrap_or_default();
        let (e, p, c) = (get("enterprise"), get("park"), get("city"));
        let short = e.outstanding() + p.outstanding() + c.outstanding() > 0;
        let _ = writeln!(
            out,
            "<tr{} data-city-code=\"{}\" data-enterprise-expected=\"{}\" data-enterprise-submitted=\"{}\" data-park-expected=\"{}\" data-park-submitted=\"{}\" data-city-submitted=\"{}\"><td>{}</td><td class=\"n\">{} / {}</td><td class=\"n\">{} / {}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            if short { " class=\"short\"" } else { "" },
            esc(&city.city_code),
            e.expected,
            e.submitted,
            p.expected,
            p.submitted,
            c.submitted,
            esc(&city.city_name),
            e.submitted,
            e.expected,
            p.submitted,
            p.expected,
            if c.submitted > 0 { "已报送" } else { "<span class=\"bad\">未报送</span>" },
            pct(city.enterprise_cells.0, city.enterprise_cells.1),
            // A city form whose 基本信息 left 填报人 and 联系电话 empty says so, not a blank.
            match [city.contact_name.trim(), city.contact_phone.trim()] {
                ["", ""] if c.submitted > 0 => "<span class=\"note\">报表未填</span>".to_string(),
                ["", ""] => "—".to_string(),
                [name, phone] => esc([name, phone].join(" ").trim()),
            },
        );
    }
    out.push_str("</tbody></table>\n");
    let outstanding: Vec<_> = model
        .roster
        .iter()
        .filter(|e| e.standing != super::model::Standing::Submitted)
        .collect();
    let _ = write!(
        out,
        "<h3>未报送名单（{} 家）</h3>\n<table id=\"not-submitted\" data-count=\"{}\"><thead><tr><th>报表</th><th>名称</th><th>代码</th><th>地市</th><th>情况</th></tr></thead><tbody>\n",
        outstanding.len(),
        outstanding.len()
    );
    for entry in &outstanding {
        let _ = writeln!(
            out,
            "<tr data-level=\"{}\" data-entity-id=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"bad\">{}</td></tr>",
            entry.level,
            esc(&entry.entity_id),
            level_zh(entry.level),
            esc(&entry.name),
            esc(&entry.entity_id),
            esc(&entry.city_name),
            entry.standing.label_zh()
        );
    }
    if outstanding.is_empty() {
        out.push_str("<tr><td colspan=\"5\">名单内单位均已报送。</td></tr>\n");
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn rejects(out: &mut String, model: &Model) {
    let _ = write!(
        out,
        "<section id=\"rejects\" data-errors=\"{}\" data-warnings=\"{}\" data-submitters=\"{}\">\n<h2>二、问题数据（按填报单位）</h2>\n<p>共 <b>{}</b> 条错误（所涉数据未载入）、<b>{}</b> 条警告（请核实；其中指标名称不在目录中、年份不在比对年份内两类所涉数据未载入，其余已载入），涉及 {} 个填报单位。每个问题的工作表、单元格与说明见反馈工作簿与 rejects 表。</p>\n",
        model.total_errors,
        model.total_warnings,
        model.rejects.len(),
        model.total_errors,
        model.total_warnings,
        model.rejects.len()
    );
    let top: Vec<_> = model.rejects.iter().take(20).collect();
    if !top.is_empty() {
        let labels: Vec<String> = top.iter().map(|r| r.name.clone()).collect();
        let stacks: Vec<Vec<f64>> = top
            .iter()
            .map(|r| vec![r.errors as f64, r.warnings as f64])
            .collect();
        let _ = writeln!(
            out,
            "<figure><figcaption>问题最多的填报单位（前 {} 个）</figcaption>{}<div class=\"legend\"><span><i style=\"background:rgb(192,57,43)\"></i>错误</span><span><i style=\"background:rgb(214,137,16)\"></i>警告</span></div></figure>",
            top.len(),
            chart_or_note(charts::stacked_bars(&labels, &stacks, &[(192, 57, 43), (214, 137, 16)], "条数", 900))
        );
    }
    out.push_str("<table id=\"rejects-by-submitter\"><thead><tr><th>填报单位</th><th>报表</th><th>文件</th><th class=\"n\">错误</th><th class=\"n\">警告</th><th>规则</th></tr></thead><tbody>\n");
    for row in &model.rejects {
        let rules = row
            .by_rule
            .iter()
            .map(|(code, n)| {
                // The rule in words, its code beside it for the rejects table.
                match Rule::parse(code) {
                    Some(rule) => format!("{}（{code}）×{n}", rule.describe_zh()),
                    None => format!("{code}×{n}"),
                }
            })
            .collect::<Vec<_>>()
            .join("、");
        let files = row.files.iter().cloned().collect::<Vec<_>>().join("<br>");
        let _ = writeln!(
            out,
            "<tr data-level=\"{}\" data-submitter=\"{}\" data-errors=\"{}\" data-warnings=\"{}\"><td class=\"wrap\">{}</td><td>{}</td><td class=\"wrap\">{}</td><td class=\"n{}\">{}</td><td class=\"n\">{}</td><td class=\"wrap\">{}</td></tr>",
            esc(&row.level),
            esc(&row.entity_id),
            row.errors,
            row.warnings,
            esc(&row.name),
            if row.level.is_empty() { "（未识别）" } else { level_zh(&row.level) },
            esc(&files).replace("&lt;br&gt;", "<br>"),
            if row.errors > 0 { " bad" } else { "" },
            row.errors,
            row.warnings,
            esc(&rules)
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn trend_chart(model: &Model, trend: &IndicatorTrend) -> (String, bool) {
    let index = matches!(trend.indicator.kind, Kind::Amount | Kind::Count);
    let as_index = |values: &[Option<f64>]| -> Vec<Option<f64>> {
        if !index {
            return values.to_vec();
        }
        let base = values.first().copied().flatten().filter(|b| *b > 0.0);
        values.iter().map(|v| Some(100.0 * (*v)? / base?)).collect()
    };
    let province = as_index(&trend.province.values);
    let cities: Vec<Vec<Option<f64>>> = trend.cities.iter().map(|s| as_index(&s.values)).collect();
    let mut lines = vec![Line {
        values: &province,
        color: series_color(0),
        bold: true,
    }];
    for (i, values) in cities.iter().enumerate() {
        lines.push(Line {
            values,
            color: series_color(i + 1),
            bold: false,
        });
    }
    let desc = if index {
        format!("指数（{}年=100）", model.first_year())
    } else {
        format!("{}（{}）", trend.indicator.name, trend.indicator.unit)
    };
    (
        chart_or_note(charts::line_chart(&model.years, &lines, &desc, (600, 300))),
        index,
    )
}

fn trends(out: &mut String, model: &Model) {
    let _ = write!(
        out,
        "<section id=\"trends\" data-industries=\"{}\">\n<h2>三、省级重点行业三年趋势</h2>\n<p>全省值由各市“全省重点行业”数据汇总：数量与金额相加，合格率等按权重加权平均。图中粗黑线为全省，细线为各市；合格率、指数等画数值，金额只画{}，以{}年为 100 的指数表示，便于比较增速；其余指标见表。</p>\n",
        model.trends.len(),
        (model.trends.iter())
            .flat_map(|industry| industry.indicators.iter())
            .find(|trend| trend.charted && trend.indicator.kind == Kind::Amount)
            .map_or("第一项金额指标".to_string(), |trend| esc(&trend.indicator.name)),
        model.first_year()
    );
    for industry in &model.trends {
        let _ = write!(
            out,
            "<div class=\"industry\" data-industry=\"{}\"><h3>{}（{}）</h3>\n<table class=\"trend\"><thead><tr><th>指标</th><th>单位</th>",
            esc(&industry.industry_id),
            esc(&industry.name),
            esc(&industry.industry_id)
        );
        for year in &model.years {
            let _ = write!(out, "<th class=\"n\">{year}年</th>");
        }
        let _ = writeln!(
            out,
            "<th class=\"n\">较{}年变化</th></tr></thead><tbody>",
            model.first_year()
        );
        for trend in &industry.indicators {
            let values = &trend.province.values;
            let _ = write!(
                out,
                "<tr data-indicator=\"{}\"><td>{}</td><td>{}</td>",
                esc(&trend.indicator.code),
                esc(&trend.indicator.name),
                esc(&trend.indicator.unit)
            );
            for value in values {
                let _ = write!(
                    out,
                    "<td class=\"n\" data-value=\"{}\">{}</td>",
                    attr(*value),
                    opt(*value, 2)
                );
            }
            let change = match (
                values.first().copied().flatten(),
                values.last().copied().flatten(),
            ) {
                (Some(a), Some(b)) if trend.indicator.kind == Kind::Rate => {
                    format!("{} 个百分点", signed(Some(b - a), 2))
                }
                (Some(a), Some(b)) if trend.indicator.kind == Kind::Score => {
                    format!("{} 分", signed(Some(b - a), 2))
                }
                (Some(a), Some(b)) if a != 0.0 => {
                    format!("{}%", signed(Some((b - a) / a.abs() * 100.0), 1))
                }
                _ => "—".to_string(),
            };
            let _ = writeln!(out, "<td class=\"n\">{change}</td></tr>");
        }
        out.push_str("</tbody></table>\n<div class=\"charts\">\n");
        for trend in industry.indicators.iter().filter(|t| t.charted) {
            let (svg, index) = trend_chart(model, trend);
            let _ = write!(
                out,
                "<figure data-indicator=\"{}\"><figcaption>{}{}</figcaption>{svg}<div class=\"legend\"><span><i style=\"background:rgb(33,33,33)\"></i>全省</span>",
                esc(&trend.indicator.code),
                esc(&trend.indicator.name),
                if index { "（指数）" } else { "" }
            );
            for (i, city) in trend.cities.iter().enumerate() {
                let (r, g, b) = series_color(i + 1);
                let _ = write!(
                    out,
                    "<span><i style=\"background:rgb({r},{g},{b})\"></i>{}</span>",
                    esc(&city.name)
                );
            }
            out.push_str("</div></figure>\n");
        }
        out.push_str("</div></div>\n");
    }
    out.push_str("</section>\n");
}

fn ranks(out: &mut String, model: &Model) {
    let _ = write!(
        out,
        "<section id=\"ranks\" data-year=\"{}\" data-groups=\"{}\">\n<h2>四、比对排名（{}年）</h2>\n<p>按综合得分在评分组内排名（评分组：同行业组满 {} 家时为同行业组，否则为门类或全部；见方法说明）。完整度低于 {}% 的不计得分、不排名，列在组末。标“名单外”的单位不在全省名单内，仅供参考。</p>\n",
        model.last_year(),
        model.ranks.len(),
        model.last_year(),
        model.rules.min_group_size,
        num(model.rules.score_min_completeness, 0)
    );
    for group in &model.ranks {
        let _ = write!(
            out,
            "<h3>{} · {}（{} 个）</h3>\n<table class=\"rank\" data-level=\"{}\" data-group=\"{}\" data-count=\"{}\"><thead><tr><th class=\"n\">排名</th><th>名称</th><th>地市</th><th class=\"n\">综合得分</th><th class=\"n\">完整度</th><th class=\"n\">较{}年变化（分）</th><th>标注</th></tr></thead><tbody>\n",
            level_zh(&group.level),
            esc(&group_heading(model, group)),
            group.rows.len(),
            esc(&group.level),
            esc(&group.group),
            group.rows.len(),
            model.first_year()
        );
        for row in &group.rows {
            let _ = writeln!(
                out,
                "<tr data-entity-id=\"{}\" data-rank=\"{}\" data-score=\"{}\"><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&row.entity_id),
                row.rank.map(|r| r.to_string()).unwrap_or_default(),
                attr(row.score),
                row.rank.map(|r| r.to_string()).unwrap_or_else(|| "—".to_string()),
                esc(&row.name),
                esc(&row.city_name),
                opt(row.score, 2),
                row.completeness.map(|c| format!("{}%", num(c, 0))).unwrap_or_else(|| "—".to_string()),
                signed(row.score_change, 2),
                [
                    (row.typical, "<span class=\"tag\">典型示范</span>"),
                    (!row.in_roster, "<span class=\"tag off\">名单外</span>"),
                ]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, tag)| *tag)
                .collect::<String>()
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");
}

/// Whether a group is `all` beside other groups of its level: it then holds only the
/// entities whose own groups were too small (SPEC v2 §7), not the whole level.
fn is_remainder(model: &Model, level: &str, group: &str) -> bool {
    group == "all" && (model.ranks.iter()).any(|other| other.level == level && other.group != "all")
}

/// A score group's heading in the report. A section, or `all` beside other groups of its
/// level, holds only the entities whose own peer group was too small, scored against every
/// entity of the section or level: the heading says so, so its rank 1 of 2 is not read as
/// first of the whole level.
fn group_heading(model: &Model, group: &RankGroup) -> String {
    let (min, level) = (model.rules.min_group_size, level_zh(&group.level));
    match group.group.strip_prefix("section:") {
        Some(section) => {
            format!("{section} 门类：行业组不足 {min} 家的企业，按 {section} 门类全部企业计分")
        }
        None if is_remainder(model, &group.level, &group.group) => {
            let small = if group.level == "enterprise" {
                "行业组与门类均"
            } else {
                "比对组"
            };
            format!("其他：{small}不足 {min} 家的{level}，按全部{level}计分")
        }
        None => group_label(model, &group.group),
    }
}

/// A score group's short name, for a sheet or a cell: `all` beside other groups of its level
/// is 其他, not 全部.
pub fn short_group_label(model: &Model, level: &str, group: &str) -> String {
    if is_remainder(model, level, group) {
        "其他".to_string()
    } else {
        group_label(model, group)
    }
}

/// A score group as people read it: `section:C` → C 门类, `all` → 全部, a province
/// industry's cities → 纺织（PI01）, an industry code → 行业组 C38.
fn group_label(model: &Model, group: &str) -> String {
    if group == "all" {
        "全部".to_string()
    } else if let Some(section) = group.strip_prefix("section:") {
        format!("{section} 门类")
    } else if let Some(name) = model.group_names.get(group) {
        format!("{name}（{group}）")
    } else {
        format!("行业组 {group}")
    }
}

fn typical(out: &mut String, model: &Model) {
    let _ = write!(
        out,
        "<section id=\"typical\" data-count=\"{}\" data-year=\"{}\">\n<h2>五、典型示范（{} 个）</h2>\n<p>{}年综合得分较{}年提升最多、数据完整度不低于 {}%、无错误数据且在名单内的单位。“提升最多的指标”为该指标对综合得分的贡献变化（分）。标“待核实”的单位有已载入但需核实的警告（如指标间不一致、同比变化异常），标“{}年无数据”的单位有指标首年未报、末年才有数值，其得分变化部分来自补报而非提升，公布前请先核实。</p>\n",
        model.typical.len(),
        model.last_year(),
        model.typical.len(),
        model.last_year(),
        model.first_year(),
        num(model.rules.typical_min_completeness, 0),
        model.first_year()
    );
    let mut by_level: Vec<(String, usize)> = Vec::new();
    for row in &model.typical {
        match by_level.last_mut() {
            Some((level, n)) if *level == row.level => *n += 1,
            _ => by_level.push((row.level.clone(), 1)),
        }
    }
    out.push_str("<div class=\"cards\">");
    for (level, n) in &by_level {
        let _ = write!(
            out,
            "<div class=\"card\" data-level=\"{}\" data-count=\"{n}\">{}<b>{n}</b>个</div>",
            esc(level),
            level_zh(level)
        );
    }
    out.push_str("</div>\n");
    let _ = writeln!(
        out,
        "<table id=\"typical-list\"><thead><tr><th>类别</th><th class=\"n\">序号</th><th>名称</th><th>地市</th><th class=\"n\">{}年得分</th><th class=\"n\">{}年得分</th><th class=\"n\">得分变化（分）</th><th class=\"n\">完整度</th><th>提升最多的指标</th></tr></thead><tbody>",
        model.first_year(),
        model.last_year()
    );
    for row in &model.typical {
        let top = row
            .top
            .iter()
            .map(|c| format!("{}（+{}）", esc(&c.name), num(c.change, 2)))
            .collect::<Vec<_>>()
            .join("、");
        let _ = writeln!(
            out,
            "<tr data-level=\"{}\" data-entity-id=\"{}\" data-typical-rank=\"{}\" data-score=\"{}\" data-score-change=\"{}\" data-top=\"{}\"><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n good\">{}</td><td class=\"n\">{}</td><td class=\"wrap\">{}</td></tr>",
            esc(&row.level),
            esc(&row.entity_id),
            row.typical_rank,
            attr(row.score),
            attr(row.score_change),
            esc(&row.top.iter().map(|c| c.code.clone()).collect::<Vec<_>>().join(",")),
            level_zh(&row.level),
            row.typical_rank,
            esc(&row.name)
                + &if row.warnings > 0 {
                    format!(" <span class=\"tag off\" title=\"已载入但需核实的警告，见问题数据\">待核实 {} 条</span>", row.warnings)
                } else {
                    String::new()
                }
                + &if row.new_in_last.is_empty() {
                    String::new()
                } else {
                    format!(
                        " <span class=\"tag off\" title=\"这些指标{}年无数据、{}年有数据，得分变化部分来自补报而非提升\">{}年无数据：{}</span>",
                        model.first_year(),
                        model.last_year(),
                        model.first_year(),
                        esc(&row.new_in_last.join("、"))
                    )
                },
            esc(&row.city_name),
            opt(row.first_score, 2),
            opt(row.score, 2),
            signed(row.score_change, 2),
            row.completeness.map(|c| format!("{}%", num(c, 0))).unwrap_or_else(|| "—".to_string()),
            if top.is_empty() { "—".to_string() } else { top }
        );
    }
    out.push_str("</tbody></table>\n</section>\n");
}

fn weak(out: &mut String, model: &Model) {
    let _ = write!(
        out,
        "<section id=\"weak\" data-cities=\"{}\" data-year=\"{}\">\n<h2>六、各市薄弱环节（{}年）</h2>\n<p>在每个省级重点行业中，把本市与其他地市比较：合格率、质量损失率、质量竞争力指数等比较数值，金额与数量比较同比增速（规模大小不代表质量）。列出本市位次最靠后的指标（位次百分位低于 50，最多 {} 项），并给出全省值作参照。位次“n / m”中的 m 为有可比数据的地市数：比较增速时，上年值为 0 或缺失的地市不计。</p>\n",
        model.weak.len(),
        model.last_year(),
        model.last_year(),
        super::model::WEAK_PER_CITY
    );
    for city in &model.weak {
        let _ = writeln!(
            out,
            "<div class=\"city\" data-city-code=\"{}\" data-count=\"{}\"><h3>{}</h3>",
            esc(&city.city_code),
            city.rows.len(),
            esc(&city.city_name)
        );
        if city.rows.is_empty() {
            out.push_str(
                "<p class=\"note\">各项指标均不低于各市中位水平，或无可比数据。</p></div>\n",
            );
            continue;
        }
        out.push_str("<table class=\"weak\"><thead><tr><th>行业</th><th>指标</th><th>比较</th><th class=\"n\">本市</th><th class=\"n\">本市上年→本年</th><th class=\"n\">全省</th><th class=\"n\">位次</th><th>方向</th></tr></thead><tbody>\n");
        for row in &city.rows {
            let _ = writeln!(
                out,
                "<tr data-entity-id=\"{}-{}\" data-indicator=\"{}\" data-percentile=\"{}\" data-from=\"{}\" data-to=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"n bad\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{} / {}</td><td>{}</td></tr>",
                esc(&row.industry_id),
                esc(&city.city_code),
                esc(&row.indicator.code),
                row.percentile,
                attr(row.from_to.map(|(previous, _)| previous)),
                attr(row.from_to.map(|(_, last)| last)),
                esc(&row.industry_name),
                esc(&row.indicator.name),
                esc(&row.measure),
                num(row.city_value, 2),
                match row.from_to {
                    Some((previous, last)) => format!(
                        "{} → {} {}",
                        num(previous, 2),
                        num(last, 2),
                        esc(&row.indicator.unit)
                    ),
                    None => "—".to_string(),
                },
                opt(row.province_value, 2),
                row.rank,
                row.peers,
                match row.indicator.direction {
                    Direction::Higher => "越高越好",
                    Direction::Lower => "越低越好",
                }
            );
        }
        out.push_str("</tbody></table></div>\n");
    }
    out.push_str("</section>\n");
}

/// The rules behind the numbers, in words, with the pipeline's own settings: the page goes to
/// people who have no copy of docs/method.md.
fn method(out: &mut String, model: &Model) {
    let rules = &model.rules;
    let quota: Vec<String> = (rules.typical_quota.iter())
        .map(|(level, quota)| format!("{level} {quota} 个"))
        .collect();
    let _ = write!(
        out,
        "<section id=\"method\">\n<h2>七、方法说明</h2>\n<ul class=\"method\">\n\
<li><b>比对组</b>（各指标的组内排名在此组内）：企业按国民经济行业代码前 {} 位分组（如 C38 电气机械和器材制造业）；省级重点行业的地市部分按行业分组；园区、市级重点行业、省级重点行业各为一组。</li>\n\
<li><b>同比</b>：与上一比对年份相比；上年值缺失时不计算，上年值为 0 时不计算增速（%）。</li>\n\
<li><b>组内排名</b>：1 为最好，并列取最小名次；质量损失率、投诉次数等“越低越好”的指标，数值越低名次越前。</li>\n\
<li><b>异常值</b>：与组内中位数相差过大（稳健 z 值绝对值大于 3.5，金额按对数计算）的数值，仅提示核实，不剔除。</li>\n\
<li><b>综合得分</b>：在评分组内，把每个有权重的指标三年的数值合在一起，{}按最小值–最大值换算为 0–100（越低越好的指标反过来），再按权重加权平均。数据完整度（有数值的指标权重之和占全部权重的比例）低于 {}% 的不计得分。评分组（综合得分的排名在此组内）：同行业组有数据的对象满 {} 家时为该组，否则企业为所属门类，再否则为本层级全部对象。</li>\n\
<li><b>得分变化</b>：{}年得分减{}年得分，单位为分。</li>\n\
<li><b>典型示范</b>：{}年得分变化最大、数据完整度不低于 {}%、无错误数据且在全省名单内的单位，{}。</li>\n\
<li><b>警告</b>：已载入但需核实的数据（如指标间不一致、同比变化异常）照常参与计算，见“问题数据”与各单位的反馈工作簿。</li>\n\
</ul>\n",
        rules.industry_prefix,
        if rules.winsor_pct > 0.0 {
            format!(
                "超出 {}% 与 {}% 分位数的极端值先压回分位数，再",
                num(rules.winsor_pct, 1),
                num(100.0 - rules.winsor_pct, 1)
            )
        } else {
            String::new()
        },
        num(rules.score_min_completeness, 0),
        rules.min_group_size,
        model.last_year(),
        model.first_year(),
        model.last_year(),
        num(rules.typical_min_completeness, 0),
        quota.join("、"),
    );
    // The indicators of the composite score with their weights: the first question asked.
    out.push_str("<h3>综合得分的指标与权重</h3>\n<div class=\"cards\">");
    for (section, indicators) in &rules.weights {
        if indicators.is_empty() {
            continue;
        }
        let total: f64 = indicators.iter().map(|indicator| indicator.weight).sum();
        let _ = write!(
            out,
            "<table class=\"weights\" data-section=\"{}\"><thead><tr><th>{}指标</th><th>单位</th><th class=\"n\">权重</th><th>方向</th></tr></thead><tbody>",
            esc(section),
            esc(section)
        );
        for indicator in indicators {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&indicator.name),
                esc(&indicator.unit),
                num(indicator.weight, 2),
                match indicator.direction {
                    Direction::Higher => "越高越好",
                    Direction::Lower => "越低越好",
                }
            );
        }
        let _ = write!(
            out,
            "<tr><td>合计</td><td></td><td class=\"n\">{}</td><td></td></tr></tbody></table>",
            num(total, 2)
        );
    }
    out.push_str("</div>\n</section>\n");
}

/// When a snapshot was made, in words, from its run id (`20261125T003430016162Z`, UTC):
/// `2026年11月25日 08:34（北京时间）`; the run id itself when it is not one.
fn snapshot_time(run_id: &str) -> String {
    let parsed = run_id
        .get(..15)
        .and_then(|stamp| chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S").ok());
    match parsed {
        Some(utc) => (utc + chrono::Duration::hours(8))
            .format("%Y年%-m月%-d日 %H:%M（北京时间）")
            .to_string(),
        None => esc(run_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_people() {
        assert_eq!(num(1234567.891, 2), "1,234,567.89");
        assert_eq!(num(-1234.5, 1), "-1,234.5");
        assert_eq!(num(12.0, 2), "12");
        assert_eq!(num(-0.001, 2), "0");
        assert_eq!(esc("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
