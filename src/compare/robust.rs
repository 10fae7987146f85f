//! `robust_z` and `anomaly` of SPEC v2 §7: (v − median) / (1.4826 × MAD) within the peer
//! group, indicator and year. Amounts are skewed — the largest firms are not errors — so for
//! kind `amount` the same is computed on ln(v) over the peers with v > 0 (null for v ≤ 0).
//! Null under `MIN_PEERS` values or when MAD is 0; `anomaly` is null wherever robust_z is.

use crate::config::Plan;
use crate::domain::columns as c;
use crate::domain::Kind;
use crate::frames;
use polars::prelude::*;
use rayon::prelude::*;

/// Fewest peer values a robust z needs.
const MIN_PEERS: usize = 5;
/// |robust_z| above this is an anomaly.
const ANOMALY_Z: f64 = 3.5;

/// The median of non-empty values (the mean of the two middle ones for an even count), found
/// by selection: the values are reordered, not sorted.
fn median(values: &mut [f64]) -> f64 {
    let count = values.len();
    let (below, middle, _) = values.select_nth_unstable_by(count / 2, f64::total_cmp);
    if count.is_multiple_of(2) {
        let lower = below
            .iter()
            .copied()
            .max_by(f64::total_cmp)
            .unwrap_or(*middle);
        (lower + *middle) / 2.0
    } else {
        *middle
    }
}

/// Replaces the frame's `robust_z` and `anomaly` columns with their values. `members` are the
/// rows of each peer group, indicator and year.
pub(super) fn with_robust_z(
    plan: &Plan,
    mut frame: DataFrame,
    members: &[Vec<u32>],
) -> PolarsResult<DataFrame> {
    let codes = frame.column(c::INDICATOR_CODE)?.str()?.clone();
    let values = frame.column(c::VALUE)?.f64()?.clone();
    // The value each row is judged on: ln(v) for amounts (none for v ≤ 0), else v.
    let amounts = super::indicators(plan, &codes)
        .map(|indicator| indicator.is_some_and(|indicator| indicator.kind == Kind::Amount));
    let basis: Vec<Option<f64>> = amounts
        .zip(values.iter())
        .map(|(amount, value)| {
            let value = value.filter(|value| value.is_finite())?;
            match amount {
                true if value > 0.0 => Some(value.ln()),
                true => None,
                false => Some(value),
            }
        })
        .collect();
    // Each group's center and spread, groups side by side; then each judged row's z. A row is
    // in one group only, so the result does not depend on the order.
    let judged: Vec<(Vec<usize>, f64, f64)> = members
        .par_iter()
        .filter_map(|rows| {
            // The peers with a value to judge on.
            let rows: Vec<usize> = rows
                .iter()
                .map(|&row| row as usize)
                .filter(|&row| basis.get(row).is_some_and(Option::is_some))
                .collect();
            if rows.len() < MIN_PEERS {
                return None;
            }
            let mut sample: Vec<f64> = rows.iter().filter_map(|&row| basis[row]).collect();
            let center = median(&mut sample);
            let mut distances: Vec<f64> = sample.iter().map(|v| (v - center).abs()).collect();
            let mad = median(&mut distances);
            (mad > 0.0).then_some((rows, center, mad))
        })
        .collect();
    let judged = judged.iter().flat_map(|(rows, center, mad)| {
        let basis = &basis;
        rows.iter().filter_map(move |&row| {
            let v = basis[row]?;
            Some((row, (v - center) / (1.4826 * mad)))
        })
    });
    let z: Float64Chunked = frames::at_rows(c::ROBUST_Z, frame.height(), judged);
    let anomaly: BooleanChunked = z.iter().map(|z| z.map(|z| z.abs() > ANOMALY_Z)).collect();
    frame.with_column(anomaly.with_name(c::ANOMALY.into()).into_column())?;
    frame.with_column(z.into_column())?;
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::median;

    /// The median of the sorted values, as the robust z took it before it selected.
    fn sorted_median(values: &[f64]) -> f64 {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len() / 2;
        if sorted.len().is_multiple_of(2) {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        } else {
            sorted[middle]
        }
    }

    #[test]
    fn the_selected_median_is_the_sorted_one_bit_for_bit() {
        let mut state = 11u64;
        for count in 1..60 {
            let values: Vec<f64> = (0..count)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    // Few distinct values, so that ties and equal middles come up; signed zeros.
                    match state >> 61 {
                        0 => -0.0,
                        1 => 0.0,
                        _ => ((state >> 40) % 7) as f64 * 0.1 - 0.3,
                    }
                })
                .collect();
            let mut selected = values.clone();
            assert_eq!(
                median(&mut selected).to_bits(),
                sorted_median(&values).to_bits(),
                "{values:?}"
            );
        }
    }
}
