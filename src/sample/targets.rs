//! Which enterprise and which city carries which variation, chosen from the roster's size so
//! that any roster gets as many of them as it has room for.
//!
//! Guarantees: a target is a roster position (preferred positions taken modulo the roster's
//! size), so none is out of range; a corrected enterprise carries no deliberate error or
//! inconsistency (its truth would depend on which return wins); errors go to enterprises that
//! nothing else changes while there are such, and two errors never share a row; a variation
//! without a candidate (no enterprise, no indicator of the needed kind, no city that files a
//! form) is simply absent.

use super::variations::{inconsistent_indicator, CellError, CELL_ERRORS};
use crate::config::{Indicator, Plan};
use crate::domain::{text, CatalogSection};
use crate::report::template::own_industries;
use std::collections::BTreeSet;

/// Preferred roster positions of the whole-file variations (taken modulo the roster's size).
pub(super) const DUPLICATE_COPY: usize = 12;
pub(super) const BAD_USCC: usize = 6;
pub(super) const TRUNCATED: usize = 20;

/// The item at `preferred` modulo the slice's length.
pub(super) fn nth<T>(items: &[T], preferred: usize) -> Option<&T> {
    (!items.is_empty()).then(|| &items[preferred % items.len()])
}

/// Which roster positions carry which variation.
#[derive(Debug, Default)]
pub(super) struct Targets<'c> {
    pub full_correction: Option<usize>,
    pub partial_correction: Option<usize>,
    pub inconsistent: Option<(usize, &'c Indicator)>,
    pub errors: Vec<(usize, CellError, &'c Indicator)>,
    pub unknown_row: Option<usize>,
    pub outside_year: Option<usize>,
    pub duplicate_row: Option<usize>,
    /// Positions in `plan.roster.cities`.
    pub renamed_city: Option<usize>,
    pub two_row_city: Option<usize>,
}

/// Hands out roster positions: a correction gets an enterprise of its own; errors prefer an
/// enterprise nothing else changes yet, and never share a row.
struct Claims {
    enterprises: usize,
    corrected: BTreeSet<usize>,
    busy: BTreeSet<usize>,
    rows: BTreeSet<(usize, String)>,
}

impl Claims {
    fn from(&self, preferred: usize) -> impl Iterator<Item = usize> + '_ {
        let n = self.enterprises;
        (0..n)
            .map(move |step| (preferred + step) % n)
            .filter(|position| !self.corrected.contains(position))
    }

    fn correction(&mut self, preferred: usize) -> Option<usize> {
        let position = self.from(preferred).next()?;
        self.corrected.insert(position);
        Some(position)
    }

    fn row(&mut self, preferred: usize, code: &str) -> Option<usize> {
        let position = self
            .from(preferred)
            .find(|position| !self.busy.contains(position))
            .or_else(|| {
                self.from(preferred)
                    .find(|position| !self.rows.contains(&(*position, code.to_string())))
            })?;
        self.busy.insert(position);
        self.rows.insert((position, code.to_string()));
        Some(position)
    }
}

impl<'c> Targets<'c> {
    /// Whether a correction restates the enterprise at `position`.
    pub fn corrects(&self, position: usize) -> bool {
        [self.full_correction, self.partial_correction].contains(&Some(position))
    }

    /// Targets among the first `enterprises` enterprise forms (the roster's) and the cities.
    pub fn choose(plan: &'c Plan, enterprises: usize) -> Targets<'c> {
        let catalog = &plan.catalog;
        let mut claims = Claims {
            enterprises,
            corrected: BTreeSet::new(),
            busy: BTreeSet::new(),
            rows: BTreeSet::new(),
        };
        // A correction needs enterprises left over for the errors.
        let full_correction = (enterprises >= 2).then(|| claims.correction(3)).flatten();
        let partial_correction = (enterprises >= 3).then(|| claims.correction(9)).flatten();
        let inconsistent = inconsistent_indicator(catalog)
            .and_then(|indicator| Some((claims.row(58, &indicator.code)?, indicator)));
        // One enterprise in 13 from the eleventh, and every kind at least once.
        let count = CELL_ERRORS.len().max((enterprises + 2) / 13);
        let mut errors = Vec::new();
        for k in 0..count {
            let error = CELL_ERRORS[k % CELL_ERRORS.len()];
            if let Some(indicator) = error.pick(catalog) {
                if let Some(position) = claims.row(10 + 13 * k, &indicator.code) {
                    errors.push((position, error, indicator));
                }
            }
        }
        let at = |preferred: usize| (enterprises > 0).then(|| preferred % enterprises);
        let (renamed_city, two_row_city) = city_targets(plan);
        Targets {
            full_correction,
            partial_correction,
            inconsistent,
            errors,
            unknown_row: at(20),
            outside_year: at(33),
            duplicate_row: at(47),
            renamed_city,
            two_row_city,
        }
    }
}

/// The renamed city and the city with a two-row header, among cities that file a form.
fn city_targets(plan: &Plan) -> (Option<usize>, Option<usize>) {
    let roster = &plan.roster;
    let has_industries = plan
        .catalog
        .section(CatalogSection::Industry)
        .next()
        .is_some();
    let province: BTreeSet<String> = roster
        .province_industries()
        .map(|industry| text::fold(&industry.industry_name))
        .collect();
    let filing: Vec<usize> = (0..roster.cities.len())
        .filter(|&index| {
            let city = &roster.cities[index];
            has_industries
                && (!province.is_empty() || own_industries(roster, city).next().is_some())
        })
        .collect();
    let clash_free = |index: usize| {
        own_industries(roster, &roster.cities[index])
            .all(|industry| !province.contains(&text::fold(&industry.industry_name)))
    };
    let n = filing.len();
    let renamed = (0..n)
        .map(|step| filing[(5 + step) % n])
        .find(|&index| clash_free(index));
    (renamed, nth(&filing, 7).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_spread_errors_and_keep_corrections_apart() {
        let mut claims = Claims {
            enterprises: 3,
            corrected: BTreeSet::new(),
            busy: BTreeSet::new(),
            rows: BTreeSet::new(),
        };
        assert_eq!(claims.correction(3), Some(0));
        assert_eq!(claims.row(10, "A"), Some(1));
        assert_eq!(claims.row(10, "B"), Some(2));
        // Every enterprise is busy: the row decides, and never the corrected one.
        assert_eq!(claims.row(10, "A"), Some(2));
        assert_eq!(claims.row(10, "A"), None);
    }
}
