//! Dimension tables: `dim_entity` (roster plus anyone who reported without being on it, each
//! with its peer group), `dim_indicator`, and the roster completeness matrix `roster_status`.

use crate::config::Plan;
use crate::domain::columns as c;
use crate::domain::EntityRef;
use crate::domain::{CatalogSection, Level, RosterStatus};
use polars::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// One row of `dim_entity`.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRow {
    pub level: Level,
    pub entity_id: String,
    pub entity_name: String,
    pub city_code: Option<String>,
    pub park_id: Option<String>,
    pub industry_code: Option<String>,
    pub peer_group: String,
    pub in_roster: bool,
}

/// Peer group of entities without an industry code.
pub const ALL_PEERS: &str = "all";
pub const UNKNOWN_PEERS: &str = "unknown";

/// The roster's entities at every level, keyed by (level, entity_id), plus reported extras.
pub fn entity_rows(plan: &Plan, reported: &[EntityRef]) -> BTreeMap<(Level, String), EntityRow> {
    let roster = &plan.roster;
    let mut rows = BTreeMap::new();
    let mut add = |row: EntityRow| {
        rows.insert((row.level, row.entity_id.clone()), row);
    };
    let prefix = |code: &str| {
        code.chars()
            .take(plan.enterprise_industry_prefix)
            .collect::<String>()
    };
    for enterprise in &roster.enterprises {
        add(EntityRow {
            level: Level::Enterprise,
            entity_id: enterprise.uscc.clone(),
            entity_name: enterprise.enterprise_name.clone(),
            city_code: Some(enterprise.city_code.clone()),
            park_id: enterprise.park_id.clone(),
            industry_code: Some(enterprise.industry_code.clone()),
            peer_group: prefix(&enterprise.industry_code),
            in_roster: true,
        });
    }
    for park in &roster.parks {
        add(EntityRow {
            level: Level::Park,
            entity_id: park.park_id.clone(),
            entity_name: park.park_name.clone(),
            city_code: Some(park.city_code.clone()),
            park_id: Some(park.park_id.clone()),
            industry_code: None,
            peer_group: ALL_PEERS.to_string(),
            in_roster: true,
        });
    }
    for industry in &roster.industries {
        match industry.city_code.as_deref() {
            Some(city) => add(EntityRow {
                level: Level::CityIndustry,
                entity_id: industry.industry_id.clone(),
                entity_name: industry.industry_name.clone(),
                city_code: Some(city.to_string()),
                park_id: None,
                industry_code: Some(industry.industry_code.clone()),
                peer_group: ALL_PEERS.to_string(),
                in_roster: true,
            }),
            None => {
                add(EntityRow {
                    level: Level::ProvinceIndustry,
                    entity_id: industry.industry_id.clone(),
                    entity_name: industry.industry_name.clone(),
                    city_code: None,
                    park_id: None,
                    industry_code: Some(industry.industry_code.clone()),
                    peer_group: ALL_PEERS.to_string(),
                    in_roster: true,
                });
                for city in &roster.cities {
                    add(EntityRow {
                        level: Level::ProvinceIndustryCity,
                        entity_id: format!("{}-{}", industry.industry_id, city.city_code),
                        entity_name: format!("{}({})", industry.industry_name, city.city_name),
                        city_code: Some(city.city_code.clone()),
                        park_id: None,
                        industry_code: Some(industry.industry_code.clone()),
                        peer_group: industry.industry_id.clone(),
                        in_roster: true,
                    });
                }
            }
        }
    }
    for entity in reported {
        let key = (entity.level, entity.entity_id.clone());
        if rows.contains_key(&key) {
            continue;
        }
        // An unlisted enterprise is compared with its declared industry's peers; without a
        // code, with the other unknowns.
        let peer_group = match (entity.level, &entity.industry_code) {
            (Level::Enterprise, Some(code)) => prefix(code),
            (Level::Enterprise | Level::ProvinceIndustryCity, _) => UNKNOWN_PEERS.to_string(),
            _ => ALL_PEERS.to_string(),
        };
        rows.insert(
            key,
            EntityRow {
                level: entity.level,
                entity_id: entity.entity_id.clone(),
                entity_name: entity.entity_name.clone(),
                city_code: entity.city_code.clone(),
                park_id: (entity.level == Level::Park).then(|| entity.entity_id.clone()),
                industry_code: entity.industry_code.clone(),
                peer_group,
                in_roster: false,
            },
        );
    }
    rows
}

pub fn dim_entity(
    plan: &Plan,
    rows: &BTreeMap<(Level, String), EntityRow>,
) -> PolarsResult<DataFrame> {
    let rows: Vec<&EntityRow> = rows.values().collect();
    let city_name = |code: &Option<String>| {
        code.as_deref()
            .and_then(|code| plan.roster.city(code))
            .map(|city| city.city_name.clone())
    };
    DataFrame::new_infer_height(vec![
        Column::new(
            c::LEVEL.into(),
            rows.iter().map(|r| r.level.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            c::ENTITY_ID.into(),
            rows.iter()
                .map(|r| r.entity_id.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            c::ENTITY_NAME.into(),
            rows.iter()
                .map(|r| r.entity_name.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            c::CITY_CODE.into(),
            rows.iter().map(|r| r.city_code.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            c::CITY_NAME.into(),
            rows.iter()
                .map(|r| city_name(&r.city_code))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            c::PARK_ID.into(),
            rows.iter().map(|r| r.park_id.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            c::INDUSTRY_CODE.into(),
            rows.iter()
                .map(|r| r.industry_code.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            c::PEER_GROUP.into(),
            rows.iter()
                .map(|r| r.peer_group.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            c::IN_ROSTER.into(),
            rows.iter().map(|r| r.in_roster).collect::<Vec<_>>(),
        ),
    ])
}

/// `dim_indicator`: each level with the indicators of its catalog section.
pub fn dim_indicator(plan: &Plan) -> PolarsResult<DataFrame> {
    let mut columns: [Vec<Option<String>>; 7] = Default::default();
    let mut weights = Vec::new();
    for level in Level::ALL {
        for indicator in plan.catalog.section(level.catalog()) {
            let values = [
                Some(level.as_str().to_string()),
                Some(indicator.code.clone()),
                Some(indicator.name.clone()),
                Some(indicator.unit.clone()),
                Some(indicator.direction.as_str().to_string()),
                Some(indicator.kind.as_str().to_string()),
                indicator.agg.as_ref().map(|agg| agg.describe()),
            ];
            for (column, value) in columns.iter_mut().zip(values) {
                column.push(value);
            }
            weights.push(indicator.weight);
        }
    }
    let [level, code, name, unit, direction, kind, agg] = columns;
    DataFrame::new_infer_height(vec![
        Column::new(c::LEVEL.into(), level),
        Column::new(c::INDICATOR_CODE.into(), code),
        Column::new(c::INDICATOR_NAME.into(), name),
        Column::new(c::UNIT.into(), unit),
        Column::new(c::DIRECTION.into(), direction),
        Column::new(c::KIND.into(), kind),
        Column::new(c::WEIGHT.into(), weights),
        Column::new(c::AGG.into(), agg),
    ])
}

/// Facts per (level, entity id). The facts of an entity are one run of rows (they are sorted by
/// entity), so a run is counted row by row and looked up once; in any other order the counts
/// are the same, only slower. At 100,000 forms a group-by over the million facts grew faster
/// than the inbox.
fn loaded_per_entity(facts: &DataFrame) -> PolarsResult<HashMap<(&str, &str), i64>> {
    let levels = facts.column(c::LEVEL)?.str()?;
    let ids = facts.column(c::ENTITY_ID)?.str()?;
    let mut loaded: HashMap<(&str, &str), i64> = HashMap::new();
    let mut run: Option<((&str, &str), i64)> = None;
    for (level, id) in levels.iter().zip(ids.iter()) {
        let key = (level.unwrap_or_default(), id.unwrap_or_default());
        match &mut run {
            Some((at, count)) if *at == key => *count += 1,
            _ => {
                if let Some((at, count)) = run.replace((key, 1)) {
                    *loaded.entry(at).or_default() += count;
                }
            }
        }
    }
    if let Some((at, count)) = run {
        *loaded.entry(at).or_default() += count;
    }
    Ok(loaded)
}

/// `roster_status`: every roster entity and every reported extra, with what was loaded.
pub fn roster_status(
    plan: &Plan,
    rows: &BTreeMap<(Level, String), EntityRow>,
    reported: &[EntityRef],
    facts: &DataFrame,
) -> PolarsResult<DataFrame> {
    let loaded = loaded_per_entity(facts)?;
    let submitted: std::collections::HashSet<(Level, &str)> = reported
        .iter()
        .map(|entity| (entity.level, entity.entity_id.as_str()))
        .collect();
    let years = plan.years.len() as i64;
    let per_section: HashMap<CatalogSection, i64> = [
        CatalogSection::Enterprise,
        CatalogSection::Park,
        CatalogSection::Industry,
    ]
    .into_iter()
    .map(|section| (section, plan.catalog.section(section).count() as i64))
    .collect();
    let mut out: [Vec<String>; 4] = Default::default();
    let (mut expected, mut was_submitted, mut n_expected, mut n_loaded) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for row in rows.values() {
        let loaded = loaded
            .get(&(row.level.as_str(), row.entity_id.as_str()))
            .copied()
            .unwrap_or(0);
        let is_submitted = submitted.contains(&(row.level, row.entity_id.as_str())) || loaded > 0;
        let expected_cells = per_section.get(&row.level.catalog()).copied().unwrap_or(0) * years;
        let status = match (row.in_roster, is_submitted) {
            (false, _) => RosterStatus::Unexpected,
            (true, false) => RosterStatus::Missing,
            (true, true) if loaded >= expected_cells => RosterStatus::Complete,
            (true, true) => RosterStatus::Partial,
        }
        .as_str();
        out[0].push(row.level.as_str().to_string());
        out[1].push(row.entity_id.clone());
        out[2].push(row.entity_name.clone());
        out[3].push(status.to_string());
        expected.push(row.in_roster);
        was_submitted.push(is_submitted);
        n_expected.push(expected_cells);
        n_loaded.push(loaded);
    }
    let [level, entity_id, entity_name, status] = out;
    DataFrame::new_infer_height(vec![
        Column::new(c::LEVEL.into(), level),
        Column::new(c::ENTITY_ID.into(), entity_id),
        Column::new(c::ENTITY_NAME.into(), entity_name),
        Column::new(c::EXPECTED.into(), expected),
        Column::new(c::SUBMITTED.into(), was_submitted),
        Column::new(c::STATUS.into(), status),
        Column::new(c::CELLS_EXPECTED.into(), n_expected),
        Column::new(c::CELLS_LOADED.into(), n_loaded),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_counted_per_entity_whatever_their_order() {
        let rows = [
            (Some("enterprise"), Some("A")),
            (Some("enterprise"), Some("A")),
            (Some("park"), Some("A")),
            (Some("enterprise"), Some("B")),
            (Some("enterprise"), Some("A")),
            (None, None),
            (Some("enterprise"), Some("B")),
        ];
        let facts = DataFrame::new_infer_height(vec![
            Column::new(c::LEVEL.into(), rows.map(|row| row.0).to_vec()),
            Column::new(c::ENTITY_ID.into(), rows.map(|row| row.1).to_vec()),
        ])
        .unwrap();
        let loaded = loaded_per_entity(&facts).unwrap();
        let expected = HashMap::from([
            (("enterprise", "A"), 3),
            (("park", "A"), 1),
            (("enterprise", "B"), 2),
            (("", ""), 1),
        ]);
        assert_eq!(loaded, expected);
    }
}
