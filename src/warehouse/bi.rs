//! Views for BI tools (Superset, FineBI, Power BI) that cannot join on two columns or read
//! folder names: one row per fact, comparison row, score or reject, with entity, city, industry and
//! indicator names and units, and the single-column keys `entity_key` (`<level>:<entity_id>`)
//! and `indicator_key` (`<level>:<indicator_code>`). They are defined over the per-table views,
//! so they read whichever snapshot those name, and every column carries the data dictionary's
//! comment.

use super::schema::schema;
use crate::domain::columns::table;
use crate::domain::dictionary::{column_doc, ViewDoc};

/// One BI view: its name, description, base table (alias `t`) and the columns it adds.
struct BiView {
    name: &'static str,
    zh: &'static str,
    en: &'static str,
    /// The table every row comes from, with all its columns.
    base: &'static str,
    /// (column, SQL expression) added beside the base table's columns.
    extra: &'static [(&'static str, &'static str)],
    /// Joins after `FROM base t`.
    joins: &'static str,
}

const ENTITY_JOIN: &str =
    "LEFT JOIN dim_entity e ON e.level = t.level AND e.entity_id = t.entity_id";
const BOTH_JOINS: &str =
    "LEFT JOIN dim_entity e ON e.level = t.level AND e.entity_id = t.entity_id \
     LEFT JOIN dim_indicator i ON i.level = t.level AND i.indicator_code = t.indicator_code";

const ENTITY_NAMES: [(&str, &str); 5] = [
    ("entity_key", "t.level || ':' || t.entity_id"),
    ("entity_name", "e.entity_name"),
    ("city_name", "e.city_name"),
    ("industry_code", "e.industry_code"),
    ("peer_group", "e.peer_group"),
];

const VIEWS: [BiView; 6] = [
    BiView {
        name: "bi_entity",
        zh: "BI对象维表：以 entity_key 关联",
        en: "BI entity dimension keyed by entity_key",
        base: table::DIM_ENTITY,
        extra: &[
            ("entity_key", "t.level || ':' || t.entity_id"),
            (
                "level_name",
                "CASE t.level WHEN 'enterprise' THEN '企业' WHEN 'park' THEN '园区' \
                 WHEN 'city_industry' THEN '地市重点行业' \
                 WHEN 'province_industry_city' THEN '省重点行业的地市部分' \
                 WHEN 'province_industry' THEN '省重点行业' ELSE t.level END",
            ),
            ("park_name", "p.entity_name"),
        ],
        joins: "LEFT JOIN dim_entity p ON p.level = 'park' AND p.entity_id = t.park_id",
    },
    BiView {
        name: "bi_indicator",
        zh: "BI指标维表：以 indicator_key 关联",
        en: "BI indicator dimension keyed by indicator_key",
        base: table::DIM_INDICATOR,
        extra: &[("indicator_key", "t.level || ':' || t.indicator_code")],
        joins: "",
    },
    BiView {
        name: "bi_fact",
        zh: "BI指标事实：每个采用值带对象、地市、行业、指标名称和单位",
        en: "BI facts with entity, city, industry and indicator names and units",
        base: table::FACT_INDICATOR,
        extra: &[
            ("entity_key", "t.level || ':' || t.entity_id"),
            ("indicator_key", "t.level || ':' || t.indicator_code"),
            ("entity_name", "e.entity_name"),
            ("city_code", "e.city_code"),
            ("city_name", "e.city_name"),
            ("industry_code", "e.industry_code"),
            ("peer_group", "e.peer_group"),
            ("indicator_name", "i.indicator_name"),
            ("direction", "i.direction"),
            ("kind", "i.kind"),
        ],
        joins: BOTH_JOINS,
    },
    BiView {
        name: "bi_comparison",
        zh: "BI比对结果：每行带对象、地市、行业、指标名称和单位",
        en: "BI comparison rows with entity, city, industry and indicator names and units",
        base: table::FACT_COMPARISON,
        extra: &[
            ("entity_key", "t.level || ':' || t.entity_id"),
            ("indicator_key", "t.level || ':' || t.indicator_code"),
            ("entity_name", "e.entity_name"),
            ("city_code", "e.city_code"),
            ("city_name", "e.city_name"),
            ("industry_code", "e.industry_code"),
            ("indicator_name", "i.indicator_name"),
            ("unit", "i.unit"),
            ("direction", "i.direction"),
            ("kind", "i.kind"),
        ],
        joins: BOTH_JOINS,
    },
    BiView {
        name: "bi_score",
        zh: "BI综合得分：每个对象每年的得分带名称、地市、行业和比对组",
        en: "BI scores with entity name, city, industry and peer group",
        base: table::ENTITY_SCORE,
        extra: &ENTITY_NAMES,
        joins: ENTITY_JOIN,
    },
    BiView {
        name: "bi_rejects",
        zh: "BI问题清单：每条问题带对象名称和指标名称",
        en: "BI rejects with entity and indicator names",
        base: table::REJECTS,
        extra: &[
            ("entity_key", "t.level || ':' || t.entity_id"),
            ("entity_name", "e.entity_name"),
            ("city_name", "e.city_name"),
            ("indicator_name", "i.indicator_name"),
        ],
        joins: BOTH_JOINS,
    },
];

/// The BI views as the data dictionary lists them: each view's name, description, the table
/// whose columns it carries, and the columns it adds (in the order it selects them).
pub fn bi_view_docs() -> Vec<ViewDoc> {
    VIEWS
        .iter()
        .map(|view| ViewDoc {
            name: view.name,
            zh: view.zh,
            en: view.en,
            base: view.base,
            added: view.extra.iter().map(|(column, _)| *column).collect(),
        })
        .collect()
}

/// The SQL that defines every BI view with `COMMENT ON VIEW` and `COMMENT ON COLUMN` for each
/// of its columns. Run it after the per-table views exist.
pub fn bi_views_sql() -> String {
    let mut sql = String::from("-- Views for BI tools: single-column keys and names.\n");
    for view in &VIEWS {
        let base_columns: Vec<String> = schema(view.base)
            .map(|schema| schema.fields().iter().map(|f| f.name().clone()).collect())
            .unwrap_or_default();
        let mut select: Vec<String> = view
            .extra
            .iter()
            .map(|(column, expression)| format!("{expression} AS {column}"))
            .collect();
        let mut columns: Vec<(&str, String)> = view
            .extra
            .iter()
            .map(|(column, _)| (view.base, column.to_string()))
            .collect();
        for column in base_columns {
            if view.extra.iter().all(|(extra, _)| *extra != column) {
                select.push(format!("t.{column}"));
                columns.push((view.base, column));
            }
        }
        sql.push_str(&format!(
            "CREATE OR REPLACE VIEW {} AS SELECT {} FROM {} t {};\n",
            view.name,
            select.join(", "),
            view.base,
            view.joins
        ));
        sql.push_str(&format!(
            "COMMENT ON VIEW {} IS {};\n",
            view.name,
            quote(&format!("{} / {}", view.zh, view.en))
        ));
        for (base, column) in columns {
            let text = column_doc(base, &column)
                .map(|doc| doc.text(base, &column))
                .unwrap_or_default();
            sql.push_str(&format!(
                "COMMENT ON COLUMN {}.{column} IS {};\n",
                view.name,
                quote(&text)
            ));
        }
    }
    sql
}

/// A SQL string literal.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `COMMENT ON` statements for a per-table view and each of its columns.
pub fn table_comments_sql(view: &str) -> String {
    let mut sql = String::new();
    if let Some((zh, en)) = crate::domain::dictionary::table_doc(view) {
        sql.push_str(&format!(
            "COMMENT ON VIEW {view} IS {};\n",
            quote(&format!("{zh} / {en}"))
        ));
    }
    for field in schema(view)
        .map(|s| s.fields().to_vec())
        .unwrap_or_default()
    {
        let column = field.name();
        let text = column_doc(view, column)
            .map(|doc| doc.text(view, column))
            .unwrap_or_default();
        sql.push_str(&format!(
            "COMMENT ON COLUMN {view}.{column} IS {};\n",
            quote(&text)
        ));
    }
    sql
}
