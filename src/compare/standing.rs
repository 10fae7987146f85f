//! Each fact's standing among its peers in `fact_comparison`: peer_n, rank, peer_median and
//! peer_best, per peer group. Polars' window expressions (`super::peer_windows`) define them;
//! this computes the same numbers by hand, the groups side by side: each window grouped the
//! million rows again, and a group's numbers need one sort of its values here.

use crate::domain::columns as c;
use crate::frames;
use polars::prelude::*;
use rayon::prelude::*;

/// One peer group's numbers.
struct Group {
    /// Values (not null).
    n: i64,
    median: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    /// (row, competition rank) of each row with a value.
    ranks: Vec<(u32, i64)>,
}

/// The rows of each peer group, in row order: `peers` numbers each row's group (below
/// `groups`; a row numbered past them is in none).
pub fn members(peers: &[u32], groups: usize) -> Vec<Vec<u32>> {
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); groups];
    for (row, &peer) in peers.iter().enumerate() {
        if let Some(rows) = members.get_mut(peer as usize) {
            rows.push(row as u32);
        }
    }
    members
}

/// The columns peer_n, rank, peer_median and peer_best of `frame` (with `value`, `badness`
/// and `higher`), each row's group being `peers`, whose rows are `members`. `None` when a value
/// is not finite or is −0.0: there the orders of the sorts could differ from polars', and the
/// window expressions are used instead. A group's rows share their indicator, so their
/// direction (`higher`) and the sign of a zero `badness`.
pub fn peer_columns(
    frame: &DataFrame,
    peers: &[u32],
    members: &[Vec<u32>],
) -> PolarsResult<Option<[Column; 4]>> {
    // Read where they are (one chunk each), not copied.
    let values = frame.column(c::VALUE)?.f64()?.rechunk();
    let badness = frame.column("badness")?.f64()?.rechunk();
    let (Some(values), Some(badness)) = (
        values.downcast_iter().next(),
        badness.downcast_iter().next(),
    ) else {
        return Ok(None);
    };
    let plain = |value: Option<f64>| {
        value.is_none_or(|value| value.is_finite() && !(value == 0.0 && value.is_sign_negative()))
    };
    let finite = |value: Option<f64>| value.is_none_or(f64::is_finite);
    let fits = |peer: &u32| (*peer as usize) < members.len();
    if !values.iter().all(|value| plain(value.copied()))
        || !badness.iter().all(|value| finite(value.copied()))
        || peers.len() != values.len()
        || !peers.iter().all(fits)
    {
        return Ok(None);
    }
    let stats: Vec<Group> = members
        .par_iter()
        .map(|rows| group(rows, |row| values.get(row), |row| badness.get(row)))
        .collect();
    let of = |peer: u32| &stats[peer as usize];
    let higher = frame.column("higher")?.bool()?;
    // The four columns are built side by side.
    let ((n, median), (rank, best)) = rayon::join(
        || {
            rayon::join(
                || -> Int64Chunked { peers.iter().map(|&peer| Some(of(peer).n)).collect() },
                || -> Float64Chunked { peers.iter().map(|&peer| of(peer).median).collect() },
            )
        },
        || {
            rayon::join(
                || -> Int64Chunked {
                    let ranked = stats.iter().flat_map(|group| group.ranks.iter());
                    let ranked = ranked.map(|&(row, at)| (row as usize, at));
                    frames::at_rows(c::RANK, peers.len(), ranked)
                },
                || -> Float64Chunked {
                    peers
                        .iter()
                        .zip(higher.iter())
                        .map(|(&peer, higher)| match higher {
                            Some(true) => of(peer).max,
                            _ => of(peer).min,
                        })
                        .collect()
                },
            )
        },
    );
    Ok(Some([
        n.with_name(c::PEER_N.into()).into_column(),
        rank.with_name(c::RANK.into()).into_column(),
        median.with_name(c::PEER_MEDIAN.into()).into_column(),
        best.with_name(c::PEER_BEST.into()).into_column(),
    ]))
}

/// The numbers of one group of rows.
fn group(
    rows: &[u32],
    value: impl Fn(usize) -> Option<f64>,
    badness: impl Fn(usize) -> Option<f64>,
) -> Group {
    let mut sorted: Vec<f64> = rows.iter().filter_map(|&row| value(row as usize)).collect();
    sorted.sort_by(f64::total_cmp);
    let mut bad: Vec<(f64, u32)> = rows
        .iter()
        .filter_map(|&row| Some((badness(row as usize)?, row)))
        .collect();
    bad.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Competition rank, 1 = least bad: ties share the lowest rank (1, 2, 2, 4).
    let mut ranks = Vec::with_capacity(bad.len());
    let mut before: Option<(f64, i64)> = None;
    for (at, &(bad, row)) in bad.iter().enumerate() {
        let rank = match before {
            Some((value, rank)) if value == bad => rank,
            _ => at as i64 + 1,
        };
        before = Some((bad, rank));
        ranks.push((row, rank));
    }
    Group {
        n: sorted.len() as i64,
        median: median(&sorted),
        min: sorted.first().copied(),
        max: sorted.last().copied(),
        ranks,
    }
}

/// The median of sorted values as polars computes it (linear quantile 0.5: the lower middle
/// value plus half the step to the upper one, the lower one itself when they are equal).
fn median(sorted: &[f64]) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let at = last as f64 * 0.5;
    let (low, high) = (at as usize, at.ceil() as usize);
    let lower = sorted[low];
    if high == low {
        return Some(lower);
    }
    let upper = sorted[low + 1];
    if lower == upper {
        return Some(lower);
    }
    Some((at - low as f64) * (upper - lower) + lower)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// A frame of `value`, `higher` and `badness` (by the comparison's own expression), and the
    /// peers numbered in `PEERS`.
    fn frame(values: &[Option<f64>], higher: &[Option<bool>], peers: &[u32]) -> DataFrame {
        DataFrame::new_infer_height(vec![
            Column::new(c::VALUE.into(), values),
            Column::new("higher".into(), higher),
            Column::new(super::super::PEERS.into(), peers),
        ])
        .unwrap()
        .lazy()
        .with_column(
            when(col("higher"))
                .then(-col(c::VALUE))
                .otherwise(col(c::VALUE))
                .alias("badness"),
        )
        .collect()
        .unwrap()
    }

    /// Asserts that the numbers by hand are the window expressions' (types, nulls and bits);
    /// returns them.
    fn same_as_windows(frame: &DataFrame, peers: &[u32], groups: usize) -> [Column; 4] {
        let ours = peer_columns(frame, peers, &members(peers, groups))
            .unwrap()
            .unwrap();
        let theirs = super::super::peer_windows(frame.clone().lazy())
            .unwrap()
            .collect()
            .unwrap();
        for column in &ours {
            let name = column.name().as_str();
            let expected = theirs.column(name).unwrap();
            assert_eq!(column.dtype(), expected.dtype(), "{name}");
            assert_eq!(bits(column), bits(expected), "{name}");
        }
        ours
    }

    fn bits(column: &Column) -> Vec<Option<u64>> {
        let column = column.cast(&DataType::Float64).unwrap();
        column
            .f64()
            .unwrap()
            .iter()
            .map(|v| v.map(f64::to_bits))
            .collect()
    }

    /// On random groups of values (ties, nulls, zeros, negatives, odd and even counts) and
    /// directions (null too), the numbers by hand are the window expressions' bit for bit.
    #[test]
    fn the_numbers_by_hand_are_the_window_expressions() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..60 {
            let rows = rng.random_range(0..300usize);
            let groups = rng.random_range(1..12usize);
            let peers: Vec<u32> = (0..rows)
                .map(|_| rng.random_range(0..groups) as u32)
                .collect();
            let direction: Vec<Option<bool>> = (0..groups)
                .map(|_| [None, Some(true), Some(false)][rng.random_range(0..3usize)])
                .collect();
            let higher: Vec<Option<bool>> = peers.iter().map(|&p| direction[p as usize]).collect();
            let values: Vec<Option<f64>> = (0..rows)
                .map(|_| match rng.random_range(0..6) {
                    0 => None,
                    1 => Some(0.0),
                    2 => Some(rng.random_range(-3..4) as f64),
                    _ => Some(rng.random_range(-1000.0..1000.0) / 7.0),
                })
                .collect();
            same_as_windows(&frame(&values, &higher, &peers), &peers, groups);
        }
    }

    /// Fixed cases the random ones meet only by chance: a group of nulls only (count 0, the
    /// rest null), a group of one value, no rows at all; and peer numbers that do not fit are
    /// left to polars.
    #[test]
    fn a_group_of_nulls_and_no_rows_are_the_window_expressions() {
        for (values, peers, groups) in [
            (vec![None, None, Some(1.0)], vec![0, 0, 1], 2),
            (vec![], vec![], 0),
        ] {
            let higher = vec![Some(false); values.len()];
            same_as_windows(&frame(&values, &higher, &peers), &peers, groups);
        }
        let frame = frame(&[Some(1.0), Some(2.0)], &[Some(true); 2], &[0, 1]);
        let one = members(&[0, 1], 1);
        assert!(peer_columns(&frame, &[0, 1], &one).unwrap().is_none());
        assert!(peer_columns(&frame, &[0], &members(&[0], 1))
            .unwrap()
            .is_none());
    }

    /// An even group's median is polars' linear interpolation, which is not always the mean of
    /// the two middle values in floating point (here they differ in the last bit).
    #[test]
    fn an_even_median_is_interpolated_as_polars_does() {
        let (low, high) = (-19.209409169984756, 95.93288683424849);
        assert_ne!((low + high) / 2.0, 0.5 * (high - low) + low);
        let values = [Some(high), Some(low)];
        let ours = same_as_windows(&frame(&values, &[Some(true); 2], &[0, 0]), &[0, 0], 1);
        let median = ours[2].f64().unwrap().get(0);
        assert_eq!(median, Some(0.5 * (high - low) + low));
    }

    /// A −0.0 or a non-finite value is left to polars, whose sorts may order them otherwise.
    #[test]
    fn negative_zero_and_non_finite_values_are_left_to_the_window_expressions() {
        for odd in [-0.0, f64::NAN, f64::INFINITY] {
            let values = [Some(1.0), Some(odd), None];
            let frame = frame(&values, &[Some(true); 3], &[0, 0, 0]);
            let group = members(&[0, 0, 0], 1);
            assert!(peer_columns(&frame, &[0, 0, 0], &group).unwrap().is_none());
        }
        let frame = frame(&[Some(1.0), Some(0.0)], &[Some(true); 2], &[0, 0]);
        let group = members(&[0, 0], 1);
        assert!(peer_columns(&frame, &[0, 0], &group).unwrap().is_some());
    }
}
