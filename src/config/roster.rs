//! The province's participant list (SPEC §2): authoritative ids and names.
//!
//! Lookups fold names the same way forms are folded, so `济南` finds `济南市` and a park's name
//! with stray spaces still finds its id.

use super::ConfigProblem;
use crate::domain::text;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct City {
    pub city_code: String,
    pub city_name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Industry {
    pub industry_id: String,
    pub level: String,
    pub city_code: Option<String>,
    pub industry_name: String,
    pub industry_code: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Park {
    pub park_id: String,
    pub park_name: String,
    pub city_code: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
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
    city_by_code: HashMap<String, usize>,
    city_by_name: HashMap<String, usize>,
    park_by_id: HashMap<String, usize>,
    park_by_name: HashMap<String, usize>,
    enterprise_by_uscc: HashMap<String, usize>,
    industry_by_id: HashMap<String, usize>,
    /// (city code or "" for province industries, folded name) → industry.
    industry_by_name: HashMap<(String, String), usize>,
}

fn read_csv<T: for<'de> Deserialize<'de>>(
    path: &Path,
    hasher: &mut Sha256,
    problems: &mut Vec<ConfigProblem>,
) -> Vec<T> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            problems.push(ConfigProblem {
                file: path.to_path_buf(),
                key: "(file)".to_string(),
                message: format!("cannot be read: {error}"),
            });
            return Vec::new();
        }
    };
    hasher.update(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let mut rows = Vec::new();
    for (index, row) in reader.deserialize::<T>().enumerate() {
        match row {
            Ok(row) => rows.push(row),
            Err(error) => problems.push(ConfigProblem {
                file: path.to_path_buf(),
                key: format!("line {}", index + 2),
                message: error.to_string(),
            }),
        }
    }
    rows
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
        let cities: Vec<City> = read_csv(&dir.join("cities.csv"), hasher, problems);
        let mut industries: Vec<Industry> = read_csv(&dir.join("industries.csv"), hasher, problems);
        let parks: Vec<Park> = read_csv(&dir.join("parks.csv"), hasher, problems);
        let mut enterprises: Vec<Enterprise> =
            read_csv(&dir.join("enterprises.csv"), hasher, problems);
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
                    .is_none_or(|code| roster.city(code).is_none())
            {
                problem(
                    "industries.csv",
                    industry.industry_id.clone(),
                    format!("city_code {:?} is not in cities.csv", industry.city_code),
                );
            }
        }
        for park in &roster.parks {
            if roster.city(&park.city_code).is_none() {
                problem(
                    "parks.csv",
                    park.park_id.clone(),
                    format!("city_code {:?} is not in cities.csv", park.city_code),
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
        let index = |keys: Vec<String>| -> HashMap<String, usize> {
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
