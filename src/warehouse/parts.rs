//! How a table is cut into Parquet files, so that a rerun re-encodes only the files whose rows
//! changed and links the others from the snapshot before it.
//!
//! A table of fewer than 2 × [`PART_ROWS`] rows, or without a [`Cut`], is one file,
//! `part-0.parquet`. A larger table is cut where a correction's reach ends:
//!
//! - `fact_indicator` and `entity_score_detail` by entity (a correction changes its own
//!   entity's rows): stretches of the frame's own order, only where the entity changes, and only
//!   where the (level, entity) hash says so. The cuts depend on the entities next to them, never
//!   on the rows' positions, so a correction, or an entity added elsewhere, leaves the other
//!   files' rows as they were (a file is found again by its rows' digest, whatever its number).
//!   The frame holds an entity's rows together (it is sorted by level, entity, indicator, year);
//!   if it did not, the files would only be smaller.
//! - `fact_comparison` by peer group (a changed value moves ranks, percentiles, medians and
//!   robust z within its (level, peer group); a city's corrected part also moves the province
//!   industry it rolls up into, a second group): a file of its own for each (level, peer
//!   group) of at least [`OWN_FILE_ROWS`] rows; the smaller groups share files, a group's file
//!   chosen by its hash among a power of two of them ([`PART_ROWS`] rows each or fewer on
//!   average), so that a province of many small industries does not get a file per
//!   industry. Files are numbered in the order their first group first appears. A peer
//!   group's rows are spread over the frame (entity order); its file takes them in that
//!   order, without a gather of the table.
//!
//! Inside a file the rows keep the frame's order and are written a row group per year (then the
//! rows without a year), so readers prune years from row-group statistics (SPEC v2 §8). Files
//! are numbered with as many digits as the largest number needs.

use crate::domain::columns::{self as c, table};
use polars::prelude::*;
use rayon::prelude::*;
use std::ops::Range;

/// A table is cut into files past 2 × this many rows.
pub const PART_ROWS: usize = 128 * 1024;

/// Keys (entities) a file holds on average: a cut falls where a key's hash is a multiple of
/// it. A constant, so that no change elsewhere in the table moves the cuts; with the
/// province's 18 indicators × 3 years, about 110,000 rows a file.
const KEYS_PER_FILE: u64 = 2048;

/// A peer group of at least this many rows has a file of its own; smaller ones share files.
pub const OWN_FILE_ROWS: usize = PART_ROWS / 4;

/// One file of a table: its name and its rows, a row group's worth at a time.
#[derive(Debug, PartialEq)]
pub struct Part {
    /// `part-3.parquet`.
    pub file: String,
    /// Row numbers of the frame, one list per row group, each in frame order.
    pub groups: Vec<Vec<IdxSize>>,
}

impl Part {
    pub fn rows(&self) -> usize {
        self.groups.iter().map(Vec::len).sum()
    }
}

/// How a large table is cut into files.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cut {
    /// Stretches of the frame between entities, where the entity's hash says.
    Entities,
    /// A file per large (level, peer group); the small ones share files.
    PeerGroups,
}

fn cut(table_name: &str) -> Option<Cut> {
    match table_name {
        table::FACT_INDICATOR | table::ENTITY_SCORE_DETAIL => Some(Cut::Entities),
        table::FACT_COMPARISON => Some(Cut::PeerGroups),
        _ => None,
    }
}

/// Whether a table is cut into several files once it is large enough. Its files carry content
/// digests at any size (one file of a small table costs little to hash).
pub fn is_cut(table_name: &str) -> bool {
    cut(table_name).is_some()
}

/// `table`'s files; an empty table is one file without rows.
pub fn split(table_name: &str, frame: &DataFrame) -> PolarsResult<Vec<Part>> {
    // Each file's rows, as runs of consecutive rows in frame order.
    let files: Vec<Vec<Range<usize>>> =
        match cut(table_name).filter(|_| frame.height() >= 2 * PART_ROWS) {
            None => vec![vec![0..frame.height()]],
            Some(Cut::Entities) => stretches(frame, c::ENTITY_ID)?
                .into_iter()
                .map(|rows| vec![rows])
                .collect(),
            Some(Cut::PeerGroups) => peer_groups(frame)?,
        };
    let years = match frame.column(c::YEAR) {
        Ok(year) if frame.height() > 0 => Some(year.cast(&DataType::Int32)?),
        _ => None,
    };
    let years = years.as_ref().map(|year| year.i32()).transpose()?;
    let count = files.len();
    let parts = files
        .into_par_iter()
        .enumerate()
        .map(|(number, runs)| Part {
            file: file_name(number, count),
            groups: by_year(years, runs.into_iter().flatten()),
        })
        .collect();
    Ok(parts)
}

/// The rows of `rows`, one list per year in year order, then the rows without a year (all of
/// them in one list when there is no year column).
fn by_year(years: Option<&Int32Chunked>, rows: impl Iterator<Item = usize>) -> Vec<Vec<IdxSize>> {
    let Some(years) = years else {
        let all: Vec<IdxSize> = rows.map(|row| row as IdxSize).collect();
        return if all.is_empty() { vec![] } else { vec![all] };
    };
    // A file holds a handful of years: a list searched from its last hit beats a map.
    let mut groups: Vec<(Option<i32>, Vec<IdxSize>)> = Vec::new();
    let mut last = 0;
    for row in rows {
        let year = years.get(row);
        if groups.get(last).is_none_or(|(seen, _)| *seen != year) {
            last = match groups.iter().position(|(seen, _)| *seen == year) {
                Some(found) => found,
                None => {
                    groups.push((year, Vec::new()));
                    groups.len() - 1
                }
            };
        }
        groups[last].1.push(row as IdxSize);
    }
    // None sorts first; the rows without a year go last.
    groups.sort_by_key(|(year, _)| (year.is_none(), *year));
    groups.into_iter().map(|(_, rows)| rows).collect()
}

/// (level, key), borrowed from the frame.
type Key<'a> = (Option<&'a str>, Option<&'a str>);

/// The runs of consecutive rows with the same (level, key), in frame order.
fn runs<'a>(frame: &'a DataFrame, key: &str) -> PolarsResult<Vec<(Key<'a>, Range<usize>)>> {
    let levels = frame.column(c::LEVEL)?.str()?;
    let keys = frame.column(key)?.str()?;
    let mut runs: Vec<(Key, Range<usize>)> = Vec::new();
    for (row, pair) in levels.iter().zip(keys.iter()).enumerate() {
        match runs.last_mut() {
            Some((seen, rows)) if *seen == pair => rows.end = row + 1,
            _ => runs.push((pair, row..row + 1)),
        }
    }
    Ok(runs)
}

/// Stretches of the frame, cut where (level, key) changes and its hash is a multiple of
/// [`KEYS_PER_FILE`].
fn stretches(frame: &DataFrame, key: &str) -> PolarsResult<Vec<Range<usize>>> {
    let mut cuts = vec![0];
    for (pair, rows) in runs(frame, key)?.into_iter().skip(1) {
        if key_hash(pair).is_multiple_of(KEYS_PER_FILE) {
            cuts.push(rows.start);
        }
    }
    cuts.push(frame.height());
    Ok(cuts.windows(2).map(|pair| pair[0]..pair[1]).collect())
}

/// The files of `fact_comparison`, as runs of consecutive rows: a file for each (level, peer
/// group) of at least [`OWN_FILE_ROWS`] rows, and the smaller groups in shared files, a group's
/// file being its hash modulo their number. That number is the smallest power of two that
/// keeps them at [`PART_ROWS`] rows or fewer on average, so it moves only when the small
/// groups' rows pass [`PART_ROWS`] times a power of two (then each shared file splits in two,
/// or two merge), or a group passes [`OWN_FILE_ROWS`] (which moves its rows into or out of the
/// small groups'). A file's runs are in frame order, and the files numbered in the order their
/// first group first appears.
fn peer_groups(frame: &DataFrame) -> PolarsResult<Vec<Vec<Range<usize>>>> {
    // Each group's runs, in the order the groups first appear. The frame is in entity order,
    // so a group's rows come in runs of an entity's rows, and a run costs one lookup.
    let mut number: PlHashMap<Key, usize> = PlHashMap::new();
    let mut groups: Vec<(Key, Vec<Range<usize>>)> = Vec::new();
    for (pair, rows) in runs(frame, c::PEER_GROUP)? {
        let next = groups.len();
        let at = *number.entry(pair).or_insert(next);
        if at == next {
            groups.push((pair, Vec::new()));
        }
        groups[at].1.push(rows);
    }
    let size = |runs: &[Range<usize>]| runs.iter().map(ExactSizeIterator::len).sum::<usize>();
    let small: usize = groups
        .iter()
        .map(|(_, runs)| size(runs))
        .filter(|&rows| rows < OWN_FILE_ROWS)
        .sum();
    let shared = small.div_ceil(PART_ROWS).max(1).next_power_of_two() as u64;
    // A group's file: its own (by its number), or a shared one (by its hash).
    #[derive(PartialEq, Eq, Hash)]
    enum File {
        Own(usize),
        Shared(u64),
    }
    let mut file_number: PlHashMap<File, usize> = PlHashMap::new();
    let mut files: Vec<Vec<Range<usize>>> = Vec::new();
    for (at, (pair, runs)) in groups.into_iter().enumerate() {
        let file = match size(&runs) >= OWN_FILE_ROWS {
            true => File::Own(at),
            false => File::Shared(key_hash(pair) % shared),
        };
        let next = files.len();
        let number = *file_number.entry(file).or_insert(next);
        if number == next {
            files.push(Vec::new());
        }
        files[number].extend(runs);
    }
    // A shared file's groups interleave: their runs are put back in frame order.
    for runs in &mut files {
        runs.sort_unstable_by_key(|rows| rows.start);
    }
    Ok(files)
}

/// A (level, key)'s hash, the same in every run: it decides where the stretches end, and which
/// shared file a small peer group is in.
fn key_hash((level, key): Key) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(level.unwrap_or_default().as_bytes());
    hasher.update(&[0xff, u8::from(key.is_some())]);
    hasher.update(key.unwrap_or_default().as_bytes());
    hasher.digest()
}

/// Whether a file starts where rows of `key` follow another key's (tests choose keys by it).
#[cfg(test)]
pub fn cuts_at(level: &str, key: &str) -> bool {
    key_hash((Some(level), Some(key))).is_multiple_of(KEYS_PER_FILE)
}

/// `part-<number>.parquet`, with as many digits as the largest of `parts` numbers needs.
fn file_name(number: usize, parts: usize) -> String {
    let digits = (parts.max(2) - 1).ilog10() as usize + 1;
    format!("part-{number:0digits$}.parquet")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// `rows` rows of `rows / 54` entities, 18 indicators × 3 years each (the facts' order),
    /// with every seventh row's year missing.
    fn frame(rows: usize) -> DataFrame {
        let entities: Vec<String> = (0..rows).map(|row| format!("E{:06}", row / 54)).collect();
        let years: Vec<Option<i32>> = (0..rows)
            .map(|row| (row % 7 != 0).then_some(2019 + (row % 3) as i32))
            .collect();
        df!(
            c::LEVEL => vec!["enterprise"; rows],
            c::ENTITY_ID => entities,
            c::YEAR => years,
        )
        .unwrap()
    }

    #[test]
    fn a_small_table_is_one_file_of_a_group_per_year_and_the_yearless_rows_last() {
        let frame = frame(10);
        let parts = split(table::FACT_INDICATOR, &frame).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].file, "part-0.parquet");
        // Rows 0 and 7 have no year; the others cycle 2019, 2020, 2021 by row % 3.
        assert_eq!(
            parts[0].groups,
            vec![vec![3, 6, 9], vec![1, 4], vec![2, 5, 8], vec![0, 7]]
        );
        let empty = split(table::FACT_INDICATOR, &frame.head(Some(0))).unwrap();
        assert_eq!(
            empty,
            vec![Part {
                file: "part-0.parquet".into(),
                groups: vec![]
            }]
        );
    }

    /// For each row, its file.
    fn files_of(parts: &[Part], rows: usize) -> Vec<usize> {
        let mut file_of = vec![usize::MAX; rows];
        for (number, part) in parts.iter().enumerate() {
            for &row in part.groups.iter().flatten() {
                assert_eq!(file_of[row as usize], usize::MAX, "row {row} in two files");
                file_of[row as usize] = number;
            }
        }
        file_of
    }

    /// Each row group's rows in frame order.
    fn assert_in_frame_order(parts: &[Part]) {
        for rows in parts.iter().flat_map(|part| &part.groups) {
            assert!(rows.windows(2).all(|pair| pair[0] < pair[1]), "{rows:?}");
        }
    }

    #[test]
    fn a_large_table_is_cut_between_entities_into_stretches_of_about_part_rows() {
        let rows = 16 * PART_ROWS;
        let frame = frame(rows);
        let parts = split(table::FACT_INDICATOR, &frame).unwrap();
        assert!((6..=40).contains(&parts.len()), "{} files", parts.len());
        let file_of = files_of(&parts, rows);
        // Every row in a file, files in frame order, an entity's 54 rows in one file.
        assert!(file_of.windows(2).all(|pair| pair[0] <= pair[1]));
        assert_eq!(file_of.last(), Some(&(parts.len() - 1)));
        assert!(file_of
            .chunks(54)
            .all(|entity| entity.iter().all(|&file| file == entity[0])));
        assert_in_frame_order(&parts);
        // The same frame is cut the same way again; a table without a cut is one file.
        assert_eq!(split(table::FACT_INDICATOR, &frame).unwrap(), parts);
        assert_eq!(split(table::SUBMISSIONS, &frame).unwrap().len(), 1);
    }

    /// [`frame`] with a peer group per entity: `G<4 - entity % 5>` for the enterprises (so the
    /// groups first appear in the reverse of their sorted order), and the last 5 % of the rows
    /// at the park level, in one group `all`.
    fn with_peers(rows: usize) -> DataFrame {
        let mut frame = frame(rows);
        let park = |row: usize| row >= rows - rows / 20;
        let levels: Vec<&str> = (0..rows)
            .map(|row| if park(row) { "park" } else { "enterprise" })
            .collect();
        let groups: Vec<String> = (0..rows)
            .map(|row| match park(row) {
                true => "all".to_string(),
                false => format!("G{}", 4 - (row / 54) % 5),
            })
            .collect();
        frame
            .with_column(Column::new(c::LEVEL.into(), levels))
            .unwrap();
        frame
            .with_column(Column::new(c::PEER_GROUP.into(), groups))
            .unwrap();
        frame
    }

    #[test]
    fn a_large_comparison_table_is_a_file_per_large_peer_group_in_frame_order() {
        let rows = 4 * PART_ROWS;
        let frame = with_peers(rows);
        let parts = split(table::FACT_COMPARISON, &frame).unwrap();
        // Five enterprise groups of about 100,000 rows each, a file each; the parks' group,
        // the only small one, alone in the one shared file.
        assert_eq!(parts.len(), 6);
        let file_of = files_of(&parts, rows);
        let levels = frame.column(c::LEVEL).unwrap().str().unwrap();
        let groups = frame.column(c::PEER_GROUP).unwrap().str().unwrap();
        let group = |row: usize| (levels.get(row).unwrap(), groups.get(row).unwrap());
        // Every row in the file of its group, and only its group's rows there.
        let mut seen: Vec<Option<(&str, &str)>> = vec![None; parts.len()];
        for (row, &file) in file_of.iter().enumerate() {
            assert_ne!(file, usize::MAX, "row {row} in no file");
            let expected = *seen[file].get_or_insert(group(row));
            assert_eq!(group(row), expected, "row {row} in file {file}");
        }
        // Files numbered in the order their groups first appear; rows in frame order.
        let firsts: Vec<usize> = (0..parts.len())
            .map(|file| file_of.iter().position(|&f| f == file).unwrap())
            .collect();
        assert!(
            firsts.windows(2).all(|pair| pair[0] < pair[1]),
            "{firsts:?}"
        );
        assert_eq!(seen[0], Some(("enterprise", "G4")));
        assert_eq!(seen[4], Some(("enterprise", "G0")));
        assert_eq!(seen[5], Some(("park", "all")));
        assert_in_frame_order(&parts);
        // Each file holds its group in row groups by year, the rows without a year last.
        let years = frame.column(c::YEAR).unwrap().i32().unwrap();
        for part in &parts {
            let wanted = [Some(2019), Some(2020), Some(2021), None];
            assert_eq!(part.groups.len(), wanted.len(), "{}", part.file);
            for (rows, wanted) in part.groups.iter().zip(wanted) {
                let year_of = |row: &IdxSize| years.get(*row as usize);
                assert!(
                    rows.iter().all(|row| year_of(row) == wanted),
                    "{}",
                    part.file
                );
            }
        }
        assert_eq!(parts[5].file, "part-5.parquet");
        // Below the size a table is cut at, one file.
        let small = split(table::FACT_COMPARISON, &with_peers(PART_ROWS)).unwrap();
        assert_eq!(small.len(), 1);
    }

    /// [`frame`] with `peers` cycling over the entities' peer groups.
    fn with_groups(rows: usize, peers: impl Fn(usize) -> String) -> DataFrame {
        let mut frame = frame(rows);
        let groups: Vec<String> = (0..rows).map(|row| peers(row / 54)).collect();
        frame
            .with_column(Column::new(c::PEER_GROUP.into(), groups))
            .unwrap();
        frame
    }

    /// `frame` with `added`'s rows before the entity that starts at the middle row.
    fn inserted_in_the_middle(frame: &DataFrame, added: &DataFrame) -> DataFrame {
        let rows = frame.height();
        let middle = (rows / 2 / 54) * 54;
        frame
            .slice(0, middle)
            .vstack(added)
            .unwrap()
            .vstack(&frame.slice(middle as i64, rows - middle))
            .unwrap()
    }

    /// Each file's texts of column `name`, in the file's order, collected as `T`.
    fn texts_of<T: FromIterator<String>>(parts: &[Part], frame: &DataFrame, name: &str) -> Vec<T> {
        let texts = frame.column(name).unwrap().str().unwrap();
        parts
            .iter()
            .map(|part| {
                let rows = part.groups.iter().flatten();
                rows.map(|&row| texts.get(row as usize).unwrap().to_string())
                    .collect()
            })
            .collect()
    }

    /// Each file's peer groups.
    fn groups_of(parts: &[Part], frame: &DataFrame) -> Vec<BTreeSet<String>> {
        texts_of(parts, frame, c::PEER_GROUP)
    }

    #[test]
    fn small_peer_groups_share_a_power_of_two_of_files_chosen_by_their_hash() {
        // 3 × PART_ROWS rows: every other entity in one large group, the others in 300 small
        // groups (3,641 entities, about 12 and 655 rows a group).
        let rows = 3 * PART_ROWS;
        let peers = |entity: usize| match entity % 2 {
            0 => "large".to_string(),
            _ => format!("S{:03}", (entity / 2) % 300),
        };
        let frame = with_groups(rows, peers);
        let parts = split(table::FACT_COMPARISON, &frame).unwrap();
        let groups = groups_of(&parts, &frame);
        let file_of = files_of(&parts, rows);
        assert!(file_of.iter().all(|&file| file != usize::MAX));
        // The large group alone in the first file; the small groups' 1.5 × PART_ROWS rows in
        // two shared files, each group wholly in the one its hash names.
        assert_eq!(parts.len(), 3, "{groups:?}");
        assert_eq!(groups[0], BTreeSet::from(["large".to_string()]));
        assert!(parts[0].rows() >= OWN_FILE_ROWS);
        let shared_of = |group: &str| (key_hash((Some("enterprise"), Some(group))) % 2) as usize;
        let first_small = groups[1].iter().next().unwrap().clone();
        for (number, held) in groups.iter().enumerate().skip(1) {
            assert!(held.len() > 100, "file {number}: {} groups", held.len());
            for group in held {
                assert_eq!(
                    shared_of(group) == shared_of(&first_small),
                    number == 1,
                    "{group} in file {number}"
                );
            }
        }
        assert_eq!(groups[1].len() + groups[2].len(), 300);
        assert_in_frame_order(&parts);
        // An entity of S007 inserted in the middle of the frame (every row after it moves)
        // joins S007's file; every other file holds the same entities' rows as before.
        let mut added = with_groups(54, |_| "S007".to_string());
        added
            .with_column(Column::new(c::ENTITY_ID.into(), vec!["X"; 54]))
            .unwrap();
        let grown = inserted_in_the_middle(&frame, &added);
        let after = split(table::FACT_COMPARISON, &grown).unwrap();
        assert_eq!(after.len(), parts.len());
        let entities = |parts: &[Part], frame: &DataFrame| -> Vec<Vec<String>> {
            texts_of(parts, frame, c::ENTITY_ID)
        };
        let (before, grown_entities) = (entities(&parts, &frame), entities(&after, &grown));
        let changed: Vec<usize> = (0..parts.len())
            .filter(|&number| before[number] != grown_entities[number])
            .collect();
        assert_eq!(changed.len(), 1);
        assert!(groups[changed[0]].contains("S007"));
        assert_eq!(after[changed[0]].rows(), parts[changed[0]].rows() + 54);
        assert_in_frame_order(&after);
    }

    #[test]
    fn a_peer_group_of_own_file_rows_has_its_own_file_and_one_row_fewer_shares() {
        // Groups of exactly OWN_FILE_ROWS and OWN_FILE_ROWS − 1 rows, a small one of 100, and a
        // large one to make the table large enough to be cut.
        let sizes = [
            ("at", OWN_FILE_ROWS),
            ("below", OWN_FILE_ROWS - 1),
            ("small", 100),
            ("large", 2 * PART_ROWS),
        ];
        let rows: usize = sizes.iter().map(|(_, rows)| rows).sum();
        let groups: Vec<&str> = sizes
            .iter()
            .flat_map(|(group, rows)| std::iter::repeat_n(*group, *rows))
            .collect();
        let frame = df!(
            c::LEVEL => vec!["enterprise"; rows],
            c::PEER_GROUP => groups,
            c::YEAR => vec![2021; rows],
        )
        .unwrap();
        let parts = split(table::FACT_COMPARISON, &frame).unwrap();
        let held = groups_of(&parts, &frame);
        let set = |groups: &[&str]| {
            groups
                .iter()
                .map(|g| g.to_string())
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(
            held,
            vec![set(&["at"]), set(&["below", "small"]), set(&["large"])]
        );
    }

    #[test]
    fn small_peer_groups_a_power_of_two_past_part_rows_split_their_files_in_two() {
        // Only small groups (one entity each): 2, 4, then 8 shared files as the table grows to
        // 2 and 4 × PART_ROWS and past it; each file of four holds groups of one file of two.
        let at = |rows: usize| {
            let frame = with_groups(rows, |entity| format!("S{entity:05}"));
            let parts = split(table::FACT_COMPARISON, &frame).unwrap();
            groups_of(&parts, &frame)
        };
        let (two, four) = (at(2 * PART_ROWS), at(4 * PART_ROWS));
        assert_eq!((two.len(), four.len()), (2, 4));
        assert_eq!(at(4 * PART_ROWS + 54 * 100).len(), 8);
        for held in &four {
            let halves = two.iter().filter(|half| !half.is_disjoint(held)).count();
            assert_eq!(
                halves, 1,
                "a file of four takes groups from {halves} files of two"
            );
        }
    }

    #[test]
    fn an_entity_added_changes_only_the_file_it_falls_in() {
        let rows = 8 * PART_ROWS;
        let frame = frame(rows);
        let before = split(table::ENTITY_SCORE_DETAIL, &frame).unwrap();
        // One more entity's rows, in the middle of the frame, under an id whose own hash does
        // not cut.
        let middle = (rows / 2 / 54) * 54;
        let id = (0..)
            .map(|number| format!("E{:06}a{number}", middle / 54))
            .find(|id| !key_hash((Some("enterprise"), Some(id))).is_multiple_of(KEYS_PER_FILE))
            .unwrap();
        let added = df!(
            c::LEVEL => vec!["enterprise"; 54],
            c::ENTITY_ID => vec![id.as_str(); 54],
            c::YEAR => vec![Some(2020); 54],
        )
        .unwrap();
        let grown = inserted_in_the_middle(&frame, &added);
        let after = split(table::ENTITY_SCORE_DETAIL, &grown).unwrap();
        let sizes = |parts: &[Part]| parts.iter().map(Part::rows).collect::<Vec<_>>();
        let (before, after) = (sizes(&before), sizes(&after));
        let changed: Vec<usize> = (0..before.len().max(after.len()))
            .filter(|&number| before.get(number) != after.get(number))
            .collect();
        // It joins one file; the others keep their rows.
        assert_eq!(changed.len(), 1, "{before:?} → {after:?}");
        assert_eq!(after[changed[0]], before[changed[0]] + 54);
    }

    #[test]
    fn files_are_numbered_in_path_order() {
        let names: Vec<String> = (0..16).map(|number| file_name(number, 16)).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names[0], "part-00.parquet");
        assert_eq!(file_name(7, 8), "part-7.parquet");
        assert_eq!(file_name(0, 1), "part-0.parquet");
        assert_eq!(file_name(9, 10), "part-9.parquet");
        assert_eq!(file_name(10, 11), "part-10.parquet");
    }
}
