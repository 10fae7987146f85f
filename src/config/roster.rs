//! The province's participant list (SPEC §2): authoritative ids and names.
//!
//! Lookups fold names the same way forms are folded, so `济南` finds `济南市` and a park's name
//! with stray spaces still finds its id.

use super::ConfigProblem;
use crate::domain::text;
use polars::prelude::PlHashMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct City {
    pub city_code: String,
    pub city_name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Industry {
    pub industry_id: String,
    pub level: String,
    pub city_code: Option<String>,
    pub industry_name: String,
    pub industry_code: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Park {
    pub park_id: String,
    pub park_name: String,
    pub city_code: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Enterprise {
    pub uscc: String,
    pub enterprise_name: String,
    pub city_code: String,
    pub park_id: Option<String>,
    pub industry_code: String,
}

#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub cities: Vec<City>,
    pub industries: Vec<Industry>,
    pub parks: Vec<Park>,
    pub enterprises: Vec<Enterprise>,
    city_by_code: PlHashMap<String, usize>,
    city_by_name: PlHashMap<String, usize>,
    park_by_id: PlHashMap<String, usize>,
    park_by_name: PlHashMap<String, usize>,
    enterprise_by_uscc: PlHashMap<String, usize>,
    industry_by_id: PlHashMap<String, usize>,
    /// (city code or "" for province industries, folded name) → industry.
    industry_by_name: PlHashMap<(String, String), usize>,
}

/// The rows of one roster CSV. A file without its header line (empty, or only blank lines) or
/// whose header lacks a column is a problem; so is every row that does not parse. A header with
/// no rows is an empty list (the caller decides whether that may be).
fn read_csv<T: for<'de> Deserialize<'de>>(
    path: &Path,
    columns: &[&str],
    hasher: &mut Sha256,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Vec<(u64, T)>> {
    let mut problem = |key: String, message: String| {
        problems.push(ConfigProblem {
            file: path.to_path_buf(),
            key,
            message,
        })
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            problem("(file)".to_string(), format!("cannot be read: {error}"));
            return None;
        }
    };
    hasher.update(&bytes);
    let header = columns.join(",");
    if bytes.iter().all(u8::is_ascii_whitespace) {
        problem(
            "(file)".to_string(),
            format!("is empty: it needs the header line `{header}` and one line per row"),
        );
        return None;
    }
    // One problem for a whole file in another encoding, not one per line: Excel on Chinese
    // Windows saves "CSV (逗号分隔)" as GBK.
    if let Err(error) = std::str::from_utf8(&bytes) {
        let line = 1 + bytes[..error.valid_up_to()]
            .iter()
            .filter(|&&byte| byte == b'\n')
            .count();
        problem(
            format!("line {line}"),
            "is not UTF-8 (Excel's \"CSV (逗号分隔)\" on Chinese Windows writes GBK): save it as \"CSV UTF-8 (逗号分隔)\"".to_string(),
        );
        return None;
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    match reader.headers() {
        Ok(found) => {
            let missing: Vec<&str> = columns
                .iter()
                .copied()
                .filter(|column| {
                    !found
                        .iter()
                        .any(|name| name.trim_start_matches('\u{feff}') == *column)
                })
                .collect();
            if !missing.is_empty() {
                problem(
                    "line 1".to_string(),
                    format!(
                        "the header lacks column(s) {missing:?}; expected `{header}`, found `{}`",
                        found.iter().collect::<Vec<_>>().join(",")
                    ),
                );
                return None;
            }
        }
        Err(error) => {
            problem("line 1".to_string(), error.to_string());
            return None;
        }
    }
    let headers = reader.headers().cloned().unwrap_or_default();
    let mut rows = Vec::new();
    let mut lines = Lines::default();
    for (index, record) in reader.records().enumerate() {
        // The line in the file (line 1 is the header), for the messages.
        let line = record
            .as_ref()
            .ok()
            .and_then(|record| record.position())
            .map_or(index as u64 + 2, |position| {
                lines.line_at(&bytes, position.byte())
            });
        match record.and_then(|record| record.deserialize::<T>(Some(&headers))) {
            Ok(row) => rows.push((line, row)),
            Err(error) => problem(format!("line {line}"), error.to_string()),
        }
    }
    Some(rows)
}

/// Line numbers of records met in file order, counted as the reading goes: each record's
/// line costs the bytes since the previous record, so a roster of 20,000 enterprises is
/// numbered in one pass over the file (counting from the start for every record took 4 s).
#[derive(Default)]
struct Lines {
    /// Bytes counted so far, and the newlines among them.
    counted: usize,
    newlines: u64,
}

impl Lines {
    /// The 1-based line of the record that starts at `byte` (csv gives the offset where the
    /// record's reading began, before any blank lines it skipped). Offsets are expected in
    /// increasing order; one that goes back is counted from the start again.
    fn line_at(&mut self, bytes: &[u8], byte: u64) -> u64 {
        let mut at = (byte as usize).min(bytes.len());
        if at < self.counted {
            *self = Lines::default();
        }
        let newlines = bytes[self.counted..at]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.newlines += newlines as u64;
        self.counted = at;
        let mut line = self.newlines + 1;
        while at < bytes.len() && matches!(bytes[at], b'\n' | b'\r') {
            if bytes[at] == b'\n' {
                line += 1;
            }
            at += 1;
        }
        line
    }
}

/// Lines and rows of a roster file; none when the file itself is unusable (already reported).
fn split<T>(rows: Option<Vec<(u64, T)>>) -> (bool, Vec<u64>, Vec<T>) {
    let usable = rows.is_some();
    let (lines, rows) = rows.unwrap_or_default().into_iter().unzip();
    (usable, lines, rows)
}

fn empty_to_none(value: &mut Option<String>) {
    if value.as_deref().is_some_and(|text| text.trim().is_empty()) {
        *value = None;
    }
}

/// A city name without its 市 suffix, folded: 济南市 → 济南.
fn city_key(name: &str) -> String {
    let folded = text::fold(name);
    folded
        .strip_suffix('市')
        .map(str::to_string)
        .unwrap_or(folded)
}

impl Roster {
    pub(super) fn load(
        dir: &Path,
        hasher: &mut Sha256,
        problems: &mut Vec<ConfigProblem>,
    ) -> Option<Roster> {
        let before = problems.len();
        let (cities_usable, _, cities): (_, _, Vec<City>) = split(read_csv(
            &dir.join("cities.csv"),
            &["city_code", "city_name"],
            hasher,
            problems,
        ));
        let (industries_usable, _, mut industries): (_, _, Vec<Industry>) = split(read_csv(
            &dir.join("industries.csv"),
            &[
                "industry_id",
                "level",
                "city_code",
                "industry_name",
                "industry_code",
            ],
            hasher,
            problems,
        ));
        let (parks_usable, park_lines, parks): (_, _, Vec<Park>) = split(read_csv(
            &dir.join("parks.csv"),
            &["park_id", "park_name", "city_code"],
            hasher,
            problems,
        ));
        let (enterprises_usable, enterprise_lines, mut enterprises): (_, _, Vec<Enterprise>) =
            split(read_csv(
                &dir.join("enterprises.csv"),
                &[
                    "uscc",
                    "enterprise_name",
                    "city_code",
                    "park_id",
                    "industry_code",
                ],
                hasher,
                problems,
            ));
        // A usable cities.csv without rows: a roster needs its cities. (The other files may be
        // header-only: a programme without parks, or a roster without enterprises yet.)
        let no_cities = cities_usable && cities.is_empty();
        for (file, usable, rows) in [
            ("industries.csv", industries_usable, industries.len()),
            ("parks.csv", parks_usable, parks.len()),
            ("enterprises.csv", enterprises_usable, enterprises.len()),
        ] {
            if usable && rows == 0 {
                tracing::warn!(file = %dir.join(file).display(), "Roster file has a header but no rows: nobody of that level is in the roster.");
            }
        }
        // A CSV file zlbd does not read (counties.csv, a renamed export) is ignored: said once,
        // so that nobody believes its rows are in the roster.
        const FILES: [&str; 4] = [
            "cities.csv",
            "industries.csv",
            "parks.csv",
            "enterprises.csv",
        ];
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut unread: Vec<String> = entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.to_ascii_lowercase().ends_with(".csv"))
                .filter(|name| !FILES.contains(&name.as_str()))
                .collect();
            unread.sort();
            for name in unread {
                tracing::warn!(file = %dir.join(&name).display(), "Roster file not read: a roster is cities.csv, industries.csv, parks.csv and enterprises.csv; this file's rows are in no roster.");
            }
        }
        // Without a usable city list every city code would be reported; that one problem says it.
        let check_cities = cities_usable && !cities.is_empty();
        for industry in &mut industries {
            empty_to_none(&mut industry.city_code);
        }
        for enterprise in &mut enterprises {
            empty_to_none(&mut enterprise.park_id);
            enterprise.uscc = enterprise.uscc.to_ascii_uppercase();
        }
        let roster = Roster::new(cities, industries, parks, enterprises);
        let mut problem = |file: &str, key: String, message: String| {
            problems.push(ConfigProblem {
                file: dir.join(file),
                key,
                message,
            })
        };
        for industry in &roster.industries {
            if !matches!(
                industry.level.as_str(),
                "province_industry" | "city_industry"
            ) {
                problem(
                    "industries.csv",
                    industry.industry_id.clone(),
                    format!("unknown level {:?}", industry.level),
                );
            }
            if industry.level == "city_industry"
                && industry
                    .city_code
                    .as_deref()
                    .is_none_or(|code| check_cities && roster.city(code).is_none())
            {
                problem(
                    "industries.csv",
                    industry.industry_id.clone(),
                    format!("city_code {:?} is not in cities.csv", industry.city_code),
                );
            }
        }
        if no_cities {
            problem(
                "cities.csv",
                "(rows)".to_string(),
                "has a header but no rows: the roster needs at least one city".to_string(),
            );
        }
        for (index, park) in roster.parks.iter().enumerate() {
            if check_cities && roster.city(&park.city_code).is_none() {
                problem(
                    "parks.csv",
                    format!("line {} ({})", park_lines[index], park.park_id),
                    format!("city_code {:?} is not in cities.csv", park.city_code),
                );
            }
        }
        for (index, enterprise) in roster.enterprises.iter().enumerate() {
            if check_cities && roster.city(&enterprise.city_code).is_none() {
                problem(
                    "enterprises.csv",
                    format!("line {} ({})", enterprise_lines[index], enterprise.uscc),
                    format!(
                        "city_code {:?} of {} is not in cities.csv",
                        enterprise.city_code, enterprise.enterprise_name
                    ),
                );
            }
        }
        for enterprise in &roster.enterprises {
            if let Err(reason) = crate::domain::uscc::validate(&enterprise.uscc) {
                problem(
                    "enterprises.csv",
                    enterprise.uscc.clone(),
                    reason.to_string(),
                );
            }
            if let Some(park) = &enterprise.park_id {
                if roster.park(park).is_none() {
                    problem(
                        "enterprises.csv",
                        enterprise.uscc.clone(),
                        format!("park_id {park:?} is not in parks.csv"),
                    );
                }
            }
        }
        let duplicates = [
            ("cities.csv", roster.cities.len(), roster.city_by_code.len()),
            ("parks.csv", roster.parks.len(), roster.park_by_id.len()),
            (
                "enterprises.csv",
                roster.enterprises.len(),
                roster.enterprise_by_uscc.len(),
            ),
            (
                "industries.csv",
                roster.industries.len(),
                roster.industry_by_id.len(),
            ),
        ];
        for (file, rows, ids) in duplicates {
            if rows != ids {
                problem(
                    file,
                    "(ids)".to_string(),
                    format!("{} duplicate id(s)", rows - ids),
                );
            }
        }
        (problems.len() == before).then_some(roster)
    }

    pub fn new(
        cities: Vec<City>,
        industries: Vec<Industry>,
        parks: Vec<Park>,
        enterprises: Vec<Enterprise>,
    ) -> Roster {
        let index = |keys: Vec<String>| -> PlHashMap<String, usize> {
            keys.into_iter()
                .enumerate()
                .map(|(i, key)| (key, i))
                .collect()
        };
        Roster {
            city_by_code: index(cities.iter().map(|city| city.city_code.clone()).collect()),
            city_by_name: index(
                cities
                    .iter()
                    .map(|city| city_key(&city.city_name))
                    .collect(),
            ),
            park_by_id: index(parks.iter().map(|park| park.park_id.clone()).collect()),
            park_by_name: index(
                parks
                    .iter()
                    .map(|park| text::fold(&park.park_name))
                    .collect(),
            ),
            enterprise_by_uscc: index(enterprises.iter().map(|e| e.uscc.clone()).collect()),
            industry_by_id: index(industries.iter().map(|i| i.industry_id.clone()).collect()),
            industry_by_name: industries
                .iter()
                .enumerate()
                .map(|(i, industry)| {
                    let scope = industry.city_code.clone().unwrap_or_default();
                    ((scope, text::fold(&industry.industry_name)), i)
                })
                .collect(),
            cities,
            industries,
            parks,
            enterprises,
        }
    }

    pub fn city(&self, code: &str) -> Option<&City> {
        self.city_by_code.get(code).map(|&i| &self.cities[i])
    }

    pub fn city_by_name(&self, name: &str) -> Option<&City> {
        self.city_by_name
            .get(&city_key(name))
            .map(|&i| &self.cities[i])
    }

    pub fn park(&self, id: &str) -> Option<&Park> {
        self.park_by_id.get(id).map(|&i| &self.parks[i])
    }

    pub fn park_by_name(&self, name: &str) -> Option<&Park> {
        self.park_by_name
            .get(&text::fold(name))
            .map(|&i| &self.parks[i])
    }

    pub fn enterprise(&self, uscc: &str) -> Option<&Enterprise> {
        self.enterprise_by_uscc
            .get(uscc)
            .map(|&i| &self.enterprises[i])
    }

    pub fn industry(&self, id: &str) -> Option<&Industry> {
        self.industry_by_id.get(id).map(|&i| &self.industries[i])
    }

    /// A city's own key industry by name.
    pub fn city_industry(&self, city_code: &str, name: &str) -> Option<&Industry> {
        self.industry_by_name
            .get(&(city_code.to_string(), text::fold(name)))
            .map(|&i| &self.industries[i])
    }

    /// A province-level key industry by name.
    pub fn province_industry(&self, name: &str) -> Option<&Industry> {
        self.industry_by_name
            .get(&(String::new(), text::fold(name)))
            .map(|&i| &self.industries[i])
    }

    pub fn province_industries(&self) -> impl Iterator<Item = &Industry> {
        self.industries
            .iter()
            .filter(|i| i.level == "province_industry")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines of the parks whose city is unknown, from the problems a load reports.
    fn lines_reported(parks: &str) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("cities.csv"),
            "city_code,city_name\n370100,济南市\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("industries.csv"),
            "industry_id,level,city_code,industry_name,industry_code\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("enterprises.csv"),
            "uscc,enterprise_name,city_code,park_id,industry_code\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("parks.csv"), parks).unwrap();
        let mut problems = Vec::new();
        Roster::load(dir.path(), &mut Sha256::new(), &mut problems);
        problems.into_iter().map(|problem| problem.key).collect()
    }

    #[test]
    fn problems_name_the_line_of_their_row_past_blank_lines_and_crlf() {
        let parks = "park_id,park_name,city_code\r\n\
            P01,甲,379901\r\n\
            P02,乙,370100\r\n\
            \r\n\
            \n\
            P03,丙,379903\n\
            P04,丁,370100\n\
            P05,戊,379905\n";
        assert_eq!(
            lines_reported(parks),
            ["line 2 (P01)", "line 6 (P03)", "line 8 (P05)"]
        );
    }

    #[test]
    fn the_last_of_many_rows_is_numbered_by_its_line() {
        let mut parks = "park_id,park_name,city_code\n".to_string();
        for index in 0..5_000 {
            parks.push_str(&format!("P{index},园区{index},370100\n"));
        }
        parks.push_str("\nPX,末,379999\n");
        assert_eq!(lines_reported(&parks), ["line 5003 (PX)"]);
    }
}
