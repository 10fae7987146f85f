//! Unit words as clerks write them, and which kind of indicator takes which: shared by ingest
//! (is a name's bracket a unit or a note?) and normalize (the factor to the catalog unit).

pub use super::text::bare_unit;
use super::text::fold_cell;
use super::{Kind, Word};

/// Whether a unit cell says there is no unit (`—`, `/`, `无`, as clerks fill a flag's): the
/// catalog's unit is meant, as with an empty cell.
pub fn says_none(unit: &str) -> bool {
    // A missing marker as a cell would hold it (SPEC §3.4); a unit word such as 万元 is told
    // apart without folding it.
    let unit = unit.trim();
    let marker_like = matches!(unit, "无" | "不适用") || unit.chars().any(|c| !c.is_alphanumeric());
    marker_like && Kind::Amount.word(&fold_cell(unit)) == Some(Word::Missing)
}

/// The factor of a folded unit for a kind of indicator, None when that kind does not take it.
pub fn kind_factor(kind: Kind, unit: &str) -> Option<f64> {
    match kind {
        Kind::Amount => match unit {
            "元" => Some(1e-4),
            "千元" => Some(0.1),
            "万元" | "万" => Some(1.0),
            "百万元" => Some(100.0),
            "亿元" | "亿" => Some(1e4),
            _ => None,
        },
        Kind::Rate => matches!(unit, "%" | "百分比" | "百分点" | "百分率").then_some(1.0),
        Kind::Count => matches!(
            unit,
            "家" | "个" | "项" | "件" | "次" | "次数" | "人次" | "起" | "户" | "座" | "人" | "台"
        )
        .then_some(1.0),
        Kind::Score => matches!(
            unit,
            "分" | "分值" | "满分100分" | "百分制" | "百分" | "100分制" | "0-100分" | "0~100分"
        )
        .then_some(1.0),
        Kind::Flag => matches!(unit, "是/否" | "是否" | "是或否" | "有/无" | "y/n").then_some(1.0),
    }
}

/// Whether a bracket after an indicator's name names a unit (of any kind, one no kind takes:
/// ‰, 美元, 吨, a score out of 10), not a note (`含税`, `亏损以“-”号填列`, `合并口径`): a short
/// word that is a unit or ends in a unit's character.
pub fn names_a_unit(text: &str) -> bool {
    const KINDS: [Kind; 5] = [
        Kind::Amount,
        Kind::Rate,
        Kind::Count,
        Kind::Score,
        Kind::Flag,
    ];
    const OTHER_UNITS: [&str; 6] = ["‰", "千分比", "千分率", "‱", "万分比", "千分点"];
    // The last character of a unit: 元 of 美元, 吨 of 万吨, 时 of 千瓦时.
    // Not 次: 批次 is how a pass rate is counted, not its unit.
    const UNIT_ENDS: &str = "元币吨%‰个件家项分人台户座米升克时瓦度亩";
    let unit = bare_unit(text);
    let scale = unit
        .strip_prefix("满分")
        .and_then(|rest| rest.strip_suffix('分'));
    let ends_like_a_unit = unit.chars().count() <= 6
        && unit != "满分"
        && unit.chars().last().is_some_and(|c| UNIT_ENDS.contains(c));
    KINDS.iter().any(|kind| kind_factor(*kind, &unit).is_some())
        || OTHER_UNITS.contains(&unit.as_str())
        || ends_like_a_unit
        || scale
            .is_some_and(|points| !points.is_empty() && points.chars().all(|c| c.is_ascii_digit()))
}
