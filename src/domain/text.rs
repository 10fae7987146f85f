//! Text folding shared by config and ingest, so that a label in a form and a name in the catalog
//! are compared under exactly the same rules.
//!
//! Submitters type with Chinese input methods: full-width digits and brackets, ideographic
//! spaces, numbering like `1.` or `（一）` in front of names. Folding removes all of that.

/// A full-width ASCII variant (U+FF01–U+FF5E) or the ideographic space as plain ASCII.
fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Full-width ASCII variants (U+FF01–U+FF5E) and the ideographic space to plain ASCII.
pub fn to_half_width(text: &str) -> String {
    text.chars().map(half_width).collect()
}

/// Whether a character starting with this UTF-8 byte may fold to something else: ASCII white
/// space and capitals, and the first bytes of U+0085 and U+00A0 (C2), U+1680 (E1), U+2000–U+205F
/// (E2: white space and the zero-width space), U+3000 (E3) and U+FF01–U+FF5E (EF). Every other
/// character folds to itself (only first bytes are asked: `fold` steps a character at a time).
fn may_change(byte: u8) -> bool {
    matches!(
        byte,
        b'A'..=b'Z' | 0x09..=0x0D | b' ' | 0x1C..=0x1F | 0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF
    )
}

/// The length of the UTF-8 sequence this first byte starts.
fn utf8_width(byte: u8) -> usize {
    match byte {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// `text`'s characters as [`fold`] keeps them: half-width, no white space, ASCII lower case
/// (before the colons and asterisks at either end are taken off).
fn folded_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace() && *c != '\u{200B}')
        .map(|c| c.to_ascii_lowercase())
}

/// The first character of `text` folded ([`fold`]), found without folding the rest: none
/// for a text that folds to nothing but asterisks.
pub fn first_folded(text: &str) -> Option<char> {
    folded_chars(text).find(|c| *c != '*')
}

/// Folds a cell's text for reading as a value: as [`fold`], and the minus sign (U+2212) and
/// the small hyphen-minus (U+FE63), as text pasted from Word or a PDF writes them, as `-`:
/// `−12` is -12, a lone `−` a missing marker.
pub fn fold_cell(text: &str) -> String {
    const MINUSES: [char; 2] = ['\u{2212}', '\u{FE63}'];
    let folded = fold(text);
    if folded.contains(MINUSES) {
        folded.replace(MINUSES, "-")
    } else {
        folded
    }
}

/// Folds a label or indicator name for matching: half-width, no white space, ASCII lower case,
/// no trailing colon or asterisk.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Runs of characters that fold to themselves are copied as they are; only ASCII white space
    // and capitals, and characters whose first UTF-8 byte can start a half-width variant, a
    // white space or a zero-width space (see `may_change`), go through `folded_chars`. Most of
    // a name's characters are Chinese and are copied with its run.
    let bytes = text.as_bytes();
    let (mut run, mut at) = (0, 0);
    while at < bytes.len() {
        let byte = bytes[at];
        let width = utf8_width(byte);
        if !may_change(byte) {
            at += width;
            continue;
        }
        out.push_str(&text[run..at]);
        out.extend(folded_chars(&text[at..at + width]));
        at += width;
        run = at;
    }
    out.push_str(&text[run..]);
    while out.ends_with(':') || out.ends_with('*') {
        out.pop();
    }
    while out.starts_with('*') {
        out.remove(0);
    }
    out
}

/// A unit as compared: folded, without a `单位：` before it or the currency's name
/// (`人民币元`, `万元人民币` are 元 and 万元).
pub fn bare_unit(unit: &str) -> String {
    let folded = fold(unit);
    let unit = ["计量单位:", "单位:", "单位"]
        .iter()
        .find_map(|label| folded.strip_prefix(label))
        .unwrap_or(&folded);
    let unit = unit.strip_prefix("人民币").unwrap_or(unit);
    let unit = ["(人民币)", "人民币"]
        .iter()
        .find_map(|suffix| unit.strip_suffix(suffix))
        .unwrap_or(unit);
    unit.to_string()
}

/// An indicator name as a submitter wrote it, split into the folded name and a unit found in a
/// bracketed suffix: `1.营业收入（亿元）` → (`营业收入`, Some(`亿元`)).
pub fn split_indicator_name(text: &str) -> (String, Option<String>) {
    let mut name = fold(text);
    name = strip_numbering(&name).to_string();
    let mut unit = None;
    if name.ends_with(')') {
        if let Some(open) = name.rfind('(') {
            let inner = name[open + 1..name.len() - 1].to_string();
            if !inner.is_empty() {
                unit = Some(inner);
            }
            name.truncate(open);
        }
    }
    (name, unit)
}

/// Removes list numbering in front of a name: `1.`, `12、`, `(3)`, `一、`, `（一）`.
fn strip_numbering(name: &str) -> &str {
    let bytes = name.as_bytes();
    // (3) or (一)
    if name.starts_with('(') {
        if let Some(close) = name.find(')') {
            let inner = &name[1..close];
            if !inner.is_empty() && inner.chars().all(is_numeral) && close + 1 < name.len() {
                return &name[close + 1..];
            }
        }
    }
    let numeral_end = name
        .char_indices()
        .find(|(_, c)| !is_numeral(*c))
        .map(|(i, _)| i)
        .unwrap_or(name.len());
    if numeral_end == 0 || numeral_end == bytes.len() {
        return name;
    }
    let rest = &name[numeral_end..];
    for separator in ['.', '、', ')', '．', '-'] {
        if let Some(stripped) = rest.strip_prefix(separator) {
            if !stripped.is_empty() {
                return stripped;
            }
        }
    }
    name
}

fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || "一二三四五六七八九十".contains(c)
}

/// A year header: `2021`, `2021年`, `2021年度`, `2021 年`, `２０２１年`, `二〇二一年`, `21年`, and those
/// with a qualifier that still names that year's own, whole-year value: a unit or an allowed
/// note in brackets (`2021年（万元）`, `2020年（上年同期）`, `2020年（调整后）`, `2021年（快报）`), a
/// word for the year's actual or final figure after the year (`数据`, `值`, `实际`, `完成值`,
/// `统计数`, `累计`, `全年`, `末`, `1-12月`, `修正数` …), a footnote mark (`2021年①`), or the
/// year in brackets after 本年, 上年 or 上年同期 (`本年(2021年)`). Any other qualifier (a plan, a
/// target, a forecast, part of a year, a change between years) makes no year column.
pub fn parse_year_label(text: &str) -> Option<i32> {
    const SUFFIXES: [&str; 66] = [
        "年末",
        "年末数",
        "末数",
        "期末",
        "期末数",
        "年末值",
        "现价",
        "当年价",
        "绝对额",
        "绝对值",
        "金额",
        "数量",
        "总量",
        "总额",
        "合计",
        "总计",
        "底",
        "本期",
        "本年",
        "本年度",
        "当年",
        "本年实际",
        "数据",
        "数值",
        "填报值",
        "填报数",
        "报送值",
        "指标值",
        "审定数",
        "值",
        "数",
        "实际",
        "实际值",
        "实际数",
        "实绩",
        "实绩值",
        "实际完成",
        "实际完成值",
        "完成",
        "完成值",
        "完成数",
        "完成情况",
        "统计数",
        "统计值",
        "快报",
        "快报数",
        "初步数",
        "年报",
        "年报数",
        "决算",
        "决算数",
        "核定数",
        "累计",
        "累计值",
        "累计数",
        "全年",
        "全年累计",
        "末",
        "1-12月",
        "1—12月",
        "更正",
        "更正数",
        "更正后",
        "修正",
        "修正数",
        "修正后",
    ];
    const NOTES: [&str; 58] = [
        "现价",
        "当年价",
        "可比价",
        "经审计",
        "合并",
        "合并口径",
        "全口径",
        "基准年",
        "基年",
        "年末",
        "变更后",
        "初步统计",
        "审计后",
        "审定",
        "审计数",
        "含税",
        "不含税",
        "元",
        "千元",
        "万元",
        "亿元",
        "百万元",
        "%",
        "个",
        "家",
        "项",
        "次",
        "件",
        "人",
        "台",
        "吨",
        "上年同期",
        "上年",
        "本年",
        "本年度",
        "当年",
        "本期",
        "基期",
        "调整后",
        "实际",
        "实际值",
        "实际数",
        "完成",
        "完成值",
        "完成数",
        "统计数",
        "快报",
        "快报数",
        "初步数",
        "全年",
        "年报",
        "决算",
        "更正",
        "更正后",
        "修正",
        "修正后",
        "1-12月",
        "1—12月",
    ];
    let Some((year, rest)) = leading_year(text) else {
        return year_after_a_period_word(text);
    };
    let rest = rest.trim_end_matches(FOOTNOTE_MARKS);
    let rest = rest
        .strip_suffix(".0")
        .filter(|r| r.is_empty())
        .unwrap_or(rest);
    let after_year = rest
        .strip_prefix("年度")
        .or_else(|| rest.strip_prefix('年'));
    let qualifier = after_year.unwrap_or(rest);
    // A word, then a note in brackets, each optional: `数值(万元)`, `(快报)`, `完成值`.
    let (word, note) = match qualifier.strip_suffix(')').and_then(|q| q.rsplit_once('(')) {
        Some((word, note)) => (word, Some(note)),
        None => (qualifier, None),
    };
    let word_ok = word.is_empty() || (after_year.is_some() && SUFFIXES.contains(&word));
    // A unit in brackets as clerks write it: `(单位:万元)`, `(人民币万元)`.
    // A footnote in brackets (`(注1)`, `(注)`) says nothing of the value, unless it says the
    // value is part of the year or a plan (`(注:1-11月数据)`, `(注:预计数)`).
    let footnote = |note: &str| {
        (note.starts_with('注') || note.starts_with("数据来源") || note.starts_with("来源"))
            && !is_plan(note)
            && !["月", "季", "半年"].iter().any(|part| note.contains(part))
    };
    let note_ok =
        note.is_none_or(|note| NOTES.contains(&bare_unit(note).as_str()) || footnote(note));
    (word_ok && note_ok && (1900..=2100).contains(&year)).then_some(year)
}

/// Footnote marks a clerk puts after a header (`2021年①`, `2021年※`); a star folds away.
const FOOTNOTE_MARKS: [char; 12] = ['①', '②', '③', '④', '⑤', '⑥', '⑦', '⑧', '⑨', '⑩', '※', '†'];

/// `本年(2021年)`, `上年同期(2020年)`: a period word with the year it means in brackets.
fn year_after_a_period_word(text: &str) -> Option<i32> {
    const PERIODS: [&str; 12] = [
        "本年",
        "本年度",
        "当年",
        "本期",
        "上年",
        "上年同期",
        "去年",
        "同期",
        "基期",
        "报告期",
        "上期",
        "基准年",
    ];
    let folded = fold(text);
    let inner = folded.strip_suffix(')')?;
    let (period, year) = inner.split_once('(')?;
    (PERIODS.contains(&period) && !year.contains('(')).then(|| parse_year_label(year))?
}

/// The year a header label names, folded, and what follows it: four digits, or two before 年
/// (`21年`, `21年度`: this century's year, as clerks write it; a bare `21` is no year).
/// 二〇二一年 is 2021年: a year written in Chinese numerals, digit by digit.
fn leading_year(text: &str) -> Option<(i32, String)> {
    let mut folded: String = fold(text)
        .chars()
        .map(
            |c| match "〇一二三四五六七八九".chars().position(|d| d == c) {
                Some(digit) => char::from(b'0' + digit as u8),
                None if c == '零' => '0',
                None => c,
            },
        )
        .collect();
    let digits = folded.bytes().take_while(u8::is_ascii_digit).count();
    let year: i32 = match digits {
        4 => folded[..4].parse().ok()?,
        2 if folded[2..].starts_with('年') => 2000 + folded[..2].parse::<i32>().ok()?,
        _ => return None,
    };
    folded.drain(..digits);
    Some((year, folded))
}

/// The year of a header label that names one with something after it, yet is no year label
/// ([`parse_year_label`] refuses it): part of a year or a plan (`2021年1-9月`, `2019年12月`,
/// `2020年预计`, `2021年目标值`). Its column is not a comparison year's, and must not vanish
/// without a word.
pub fn part_of_year_label(text: &str) -> Option<i32> {
    const PARTS: [&str; 3] = ["月", "季", "半年"];
    let (year, rest) = leading_year(text)?;
    let rest = rest.to_lowercase();
    let qualified = rest.starts_with('年')
        && parse_year_label(text).is_none()
        && (PARTS.iter().any(|part| rest.contains(part)) || is_plan(&rest));
    (qualified && (1900..=2100).contains(&year)).then_some(year)
}

/// Whether a header's words after its year name a plan, a target or a forecast, not a value
/// that was reached (`目标值`, `预计`, `(E)`).
pub fn is_plan(words: &str) -> bool {
    const PLANS: [&str; 8] = [
        "预计", "预测", "预估", "目标", "计划", "规划", "(e)", "预算",
    ];
    let words = fold(words);
    PLANS.iter().any(|plan| words.contains(plan))
}

/// The year of a header label that names a year with a qualifier zlbd does not know
/// (`2021年测算值`, `2021年（审计）`), that is neither a year label nor another kind of column
/// named after its year: a growth, a change, a rank, a share or a source (`2021年增长率`,
/// `2021年（较上年）`, `2021年排名`, `2021年（调整前）`), whose values are no indicator's own. Its
/// column is not read, and must not vanish without a word either (SPEC v2 §3.2).
pub fn unknown_year_label(text: &str) -> Option<i32> {
    const OTHER_COLUMNS: [&str; 23] = [
        "增",
        "减",
        "降",
        "同比",
        "环比",
        "比上年",
        "比去年",
        "比重",
        "占比",
        "对比",
        "比较",
        "较",
        "差",
        "变化",
        "变动",
        "排",
        "名次",
        "位次",
        "来源",
        "说明",
        "备注",
        "调整前",
        "比例",
    ];
    let (year, rest) = leading_year(text)?;
    let qualifier = rest
        .strip_prefix("年度")
        .or_else(|| rest.strip_prefix('年'))?;
    let unknown = !qualifier.is_empty()
        && parse_year_label(text).is_none()
        && part_of_year_label(text).is_none()
        && !OTHER_COLUMNS.iter().any(|word| qualifier.contains(word));
    (unknown && (1900..=2100).contains(&year)).then_some(year)
}

/// A name as compared with the roster: folded, without brackets of any width.
pub fn name_key(name: &str) -> String {
    fold(name)
        .chars()
        .filter(|c| !"()[]【】（）〔〕".contains(*c))
        .collect()
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Shortest text that reads back as the same f64 (no trailing `.0` for whole numbers).
pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        itoa::Buffer::new().format(value as i64).to_owned()
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `fold` as it reads: every character through `folded_chars`.
    fn fold_each_char(text: &str) -> String {
        let mut out: String = folded_chars(text).collect();
        while out.ends_with(':') || out.ends_with('*') {
            out.pop();
        }
        while out.starts_with('*') {
            out.remove(0);
        }
        out
    }

    #[test]
    fn fold_copies_runs_yet_folds_every_special_character() {
        let special: String = (0u32..0x11000)
            .filter_map(char::from_u32)
            .filter(|c| half_width(*c) != *c || c.is_whitespace() || c.is_ascii_uppercase())
            .collect();
        let text = format!("营业收入{special}（亿元）：");
        assert_eq!(fold(&text), fold_each_char(&text));
        assert_eq!(fold("　1．营业 收入（亿元）："), "1.营业收入(亿元)");
        assert_eq!(fold("**企业名称\u{200B}*:"), "企业名称");
    }

    proptest! {
        #[test]
        fn fold_is_the_same_as_folding_each_character(text in "\\PC{0,40}", wide in "[\u{3000}\u{FF01}-\u{FF5E}\u{2000}-\u{200B}\u{00A0}\u{0085}A-Z \t:*营业收入]{0,20}") {
            let mixed = format!("{text}{wide}{text}");
            prop_assert_eq!(fold(&mixed), fold_each_char(&mixed));
            prop_assert_eq!(fold(&text), fold_each_char(&text));
        }
    }

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
        let every: Vec<u8> = (0..=255).collect();
        let expected: String = every.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(hex(&every), expected);
    }

    #[test]
    fn whole_numbers_format_without_a_fraction() {
        assert_eq!(format_number(42.0), "42");
        assert_eq!(format_number(-7.0), "-7");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(999_999_999_999_999.0), "999999999999999");
        assert_eq!(format_number(1e15), "1000000000000000");
        assert_eq!(format_number(0.1), "0.1");
        assert_eq!(format_number(12.5), "12.5");
    }

    #[test]
    fn folds_full_width_and_space() {
        assert_eq!(fold(" 营业 收入\u{3000}"), "营业收入");
        assert_eq!(fold("Ｒ＆Ｄ经费支出"), "r&d经费支出");
        assert_eq!(fold("企业名称："), "企业名称");
        assert_eq!(fold("*企业名称"), "企业名称");
    }

    #[test]
    fn splits_unit_suffix_and_numbering() {
        assert_eq!(
            split_indicator_name("营业收入(万元)"),
            ("营业收入".into(), Some("万元".into()))
        );
        assert_eq!(
            split_indicator_name("营业收入（亿元）"),
            ("营业收入".into(), Some("亿元".into()))
        );
        assert_eq!(
            split_indicator_name("1.营业收入"),
            ("营业收入".into(), None)
        );
        assert_eq!(
            split_indicator_name("3.制定标准数"),
            ("制定标准数".into(), None)
        );
        assert_eq!(
            split_indicator_name("（一）利润总额"),
            ("利润总额".into(), None)
        );
        assert_eq!(
            split_indicator_name("12、质量损失率(%)"),
            ("质量损失率".into(), Some("%".into()))
        );
        assert_eq!(split_indicator_name("2019"), ("2019".into(), None));
    }

    #[test]
    fn year_labels() {
        for label in [
            "2021",
            "2021年",
            "2021年度",
            "2021 年",
            "２０２１年",
            "2021.0",
            "2021年（万元）",
            "2021年\n（万元）",
            "2021年数据",
            "2021年度值",
            "2021年实际",
            "2021年末",
            "2021年1-12月",
            "2021年（上年同期）",
            "2021年（调整后）",
            "二〇二一年",
            "二零二一年度",
            "21年",
            "21年度",
            "２１年",
            "21 年",
            "21年（万元）",
            "2021年完成值",
            "2021年（快报）",
            "2021年统计数",
            "2021年①",
            "2021年累计",
            "2021年（更正）",
            "2021年修正数",
            "本年(2021年)",
            "本年（2021年度）",
            "上年同期(2021年)",
            "2021年（上年）",
            "2021年 (注1)",
            "2021年数值（万元）",
            "2021年填报值",
            "2021年（审计后）",
            "2021年（单位：万元）",
            "2021年（人民币万元）",
            "2021年绝对额",
            "2021年底",
            "2021年（注：快报数）",
            "2021年（变更后）",
            "基期（2021年）",
            "2021年（数据来源：统计年报）",
            "2021年年末数",
            "2021年（可比价）",
        ] {
            assert_eq!(parse_year_label(label), Some(2021), "{label}");
        }
        assert_eq!(parse_year_label("2018年（基期）"), Some(2018));
        for label in [
            "年份",
            "12345",
            "20211",
            "2021年目标值",
            "2021年（预计）",
            "2021年度（预计）",
            "2021年(E)",
            "2021年（规划）",
            "2021年（1-9月）",
            "2021年（较上年）",
            "2021年（调整前）",
            "2021年比2019年增长(%)",
            "较2020年增减",
            "2021年增长率",
            "2021.5",
            "21",
            "21.0",
            "121年",
            "21年目标值",
            "21年（预计）",
            "2021年，21年",
            "本年(2021年目标)",
            "目标(2021年)",
            "2021年测算值",
            "2021年（注：1-11月数据）",
            "2021年（注：预计数）",
        ] {
            assert_eq!(parse_year_label(label), None, "{label}");
        }
    }

    /// A year with a qualifier nobody listed is reported; a column of another kind named after
    /// its year is not, and neither is a year label or part of a year (reported as such).
    #[test]
    fn a_year_with_an_unknown_qualifier_is_told_apart_from_other_columns() {
        for label in ["2021年测算值", "2021年（审计）", "2021年度口径", "21年其他"]
        {
            assert_eq!(unknown_year_label(label), Some(2021), "{label}");
        }
        for label in [
            "2021年",
            "2021年完成值",
            "2021年1-9月",
            "2021年目标值",
            "2021年增长率",
            "2021年比2019年增长(%)",
            "2021年（较上年）",
            "2021年（调整前）",
            "2021年排名",
            "2021年数据来源",
            "2021年同比",
            "2021年增减额",
            "2021版",
            "年份",
            "2021",
        ] {
            assert_eq!(unknown_year_label(label), None, "{label}");
        }
    }

    #[test]
    fn part_of_a_year_is_told_apart_from_a_year_and_from_no_year() {
        for (label, year) in [
            ("2021年1-9月", 2021),
            ("2019年12月", 2019),
            ("2020年预计", 2020),
            ("2021年目标值", 2021),
            ("2021年度（预计）", 2021),
            ("２０２１年（1-9月）", 2021),
            ("21年目标值", 2021),
            ("二〇二一年上半年", 2021),
        ] {
            assert_eq!(part_of_year_label(label), Some(year), "{label}");
        }
        for label in [
            "2021年",
            "2021年度",
            "2021",
            "21年",
            "2021年(万元)",
            "年份",
            "较2020年增减",
            "2021.5",
            "2021版",
            "2021年比2019年增长(%)",
            "2021年增长率",
            "2021年（较上年）",
            "2021年（调整前）",
            "2021年排名",
            "2021年数据来源",
            "121年",
            "12345年",
        ] {
            assert_eq!(part_of_year_label(label), None, "{label}");
        }
    }
}
