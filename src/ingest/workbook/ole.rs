//! The OLE compound file that holds an .xls, read just far enough to check it before calamine.
//!
//! calamine follows an OLE container's FAT chains without a cycle check, so a crafted file can
//! make it loop while its memory grows, and it slices past the end of a truncated sector (both
//! found by fuzzing). [`Compound::parse`] accepts a file only when its FAT is acyclic and points
//! at whole sectors inside the file; then every chain is shorter than the file. The workbook
//! stream it returns is what [`super::layout`] scans for sheet sizes.

const REGULAR_MAX: u32 = 0xFFFF_FFF9;
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const MINI_SECTOR: usize = 64;
/// Streams shorter than this live in the mini stream (fixed by the format; calamine uses it too).
const MINI_CUTOFF: u64 = 4096;
const ENTRY: usize = 128;

/// Little-endian u16 at `offset`, if the bytes reach that far.
pub(super) fn u16_at(bytes: &[u8], offset: usize) -> Option<u16> {
    bytes
        .get(offset..offset.checked_add(2)?)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
}

/// Little-endian u32 at `offset`, if the bytes reach that far.
pub(super) fn u32_at(bytes: &[u8], offset: usize) -> Option<u32> {
    bytes
        .get(offset..offset.checked_add(4)?)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A compound file whose sector table has been checked.
pub(super) struct Compound<'a> {
    bytes: &'a [u8],
    sector_size: usize,
    fat: Vec<u32>,
    /// The directory stream: 128-byte entries, the root first.
    directory: Vec<u8>,
}

impl<'a> Compound<'a> {
    /// The compound file in `bytes`, or `None` when its FAT loops, points outside the file, or
    /// the header cannot be read.
    pub(super) fn parse(bytes: &'a [u8]) -> Option<Compound<'a>> {
        let shift = u16_at(bytes, 30)?;
        if !(7..=16).contains(&shift) {
            return None;
        }
        let sector_size = 1usize << shift;
        let sector_count = bytes.len() / sector_size;
        let mut compound = Compound {
            bytes,
            sector_size,
            fat: Vec::new(),
            directory: Vec::new(),
        };
        // FAT sector ids: 109 in the header, then a chain of DIFAT sectors.
        let mut fat_sectors: Vec<u32> =
            (0..109).filter_map(|i| u32_at(bytes, 76 + 4 * i)).collect();
        let mut difat = u32_at(bytes, 68).unwrap_or(END_OF_CHAIN);
        let mut steps = 0;
        while difat <= REGULAR_MAX {
            steps += 1;
            let data = compound.sector(difat).filter(|_| steps <= sector_count)?;
            let entries: Vec<u32> = u32s(data).collect();
            let (&next, ids) = entries.split_last()?;
            fat_sectors.extend_from_slice(ids);
            difat = next;
        }
        for id in fat_sectors.into_iter().filter(|id| *id <= REGULAR_MAX) {
            let data = compound.sector(id)?;
            compound.fat.extend(u32s(data));
            if compound.fat.len() > sector_count.saturating_mul(2) + 1024 {
                return None;
            }
        }
        // Every sector a chain can reach must lie wholly inside the file (calamine slices past
        // the end of a truncated one and panics).
        let inside = |id: u32| compound.sector(id).is_some();
        let directory_start = u32_at(bytes, 48).unwrap_or(END_OF_CHAIN);
        let mini_fat_start = u32_at(bytes, 60).unwrap_or(END_OF_CHAIN);
        if [directory_start, mini_fat_start]
            .iter()
            .any(|&start| start <= REGULAR_MAX && !inside(start))
            || compound
                .fat
                .iter()
                .any(|&next| next <= REGULAR_MAX && !inside(next))
            || !acyclic(&compound.fat)
        {
            return None;
        }
        // The directory chain (now known to end) names each stream's first sector: those must
        // be whole sectors in the file too (the root entry's is the mini stream).
        let directory = compound.chain(directory_start, u64::MAX);
        let starts_inside = directory.chunks_exact(ENTRY).all(|entry| {
            let start = u32::from_le_bytes([entry[116], entry[117], entry[118], entry[119]]);
            entry[66] == 0 || start > REGULAR_MAX || inside(start)
        });
        compound.directory = directory;
        starts_inside.then_some(compound)
    }

    fn sector(&self, id: u32) -> Option<&'a [u8]> {
        let start = (id as usize)
            .checked_add(1)?
            .checked_mul(self.sector_size)?;
        self.bytes.get(start..start.checked_add(self.sector_size)?)
    }

    /// Up to `len` bytes of the regular chain from `start`.
    fn chain(&self, start: u32, len: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let mut at = start;
        let mut steps = 0;
        while at <= REGULAR_MAX && (out.len() as u64) < len && steps <= self.fat.len() {
            let Some(data) = self.sector(at) else { break };
            let take = (len - out.len() as u64).min(data.len() as u64) as usize;
            out.extend_from_slice(&data[..take]);
            at = self.fat.get(at as usize).copied().unwrap_or(END_OF_CHAIN);
            steps += 1;
        }
        out
    }

    /// The bytes of the stream calamine reads as the workbook ("Workbook", else "Book": the
    /// first directory entry so named, in any case), or `None` when there is none.
    pub(super) fn workbook_stream(&self) -> Option<Vec<u8>> {
        let entries: Vec<&[u8]> = self.directory.chunks_exact(ENTRY).collect();
        let named = |wanted: &str| {
            entries.iter().copied().find(|entry| {
                let units: Vec<u16> = entry[..64]
                    .chunks_exact(2)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]))
                    .take_while(|unit| *unit != 0)
                    .collect();
                String::from_utf16_lossy(&units).eq_ignore_ascii_case(wanted)
            })
        };
        let entry = named("Workbook").or_else(|| named("Book"))?;
        let (start, len) = self.entry_extent(entry);
        if len >= MINI_CUTOFF {
            return Some(self.chain(start, len));
        }
        // A short stream lives in the mini stream: the root entry's chain, cut in 64-byte
        // sectors chained by the mini FAT.
        let (root_start, root_len) = self.entry_extent(entries.first()?);
        let mini_stream = self.chain(root_start, root_len);
        let mini_fat_sectors = u32_at(self.bytes, 64).unwrap_or(0) as u64;
        let mini_fat: Vec<u32> = u32s(&self.chain(
            u32_at(self.bytes, 60).unwrap_or(END_OF_CHAIN),
            mini_fat_sectors.saturating_mul(self.sector_size as u64),
        ))
        .collect();
        let mut out = Vec::new();
        let mut at = start;
        while at <= REGULAR_MAX && (out.len() as u64) < len && out.len() <= mini_stream.len() {
            let offset = (at as usize).checked_mul(MINI_SECTOR)?;
            let data = mini_stream.get(offset..offset.checked_add(MINI_SECTOR)?)?;
            let take = (len - out.len() as u64).min(MINI_SECTOR as u64) as usize;
            out.extend_from_slice(&data[..take]);
            at = mini_fat.get(at as usize).copied().unwrap_or(END_OF_CHAIN);
        }
        Some(out)
    }

    /// A directory entry's first sector and stream size (32 bits in version 3 files).
    fn entry_extent(&self, entry: &[u8]) -> (u32, u64) {
        let start = u32_at(entry, 116).unwrap_or(END_OF_CHAIN);
        let low = u32_at(entry, 120).unwrap_or(0) as u64;
        let high = u32_at(entry, 124).unwrap_or(0) as u64;
        let len = if self.sector_size == 512 {
            low
        } else {
            high << 32 | low
        };
        (start, len)
    }
}

/// Whether every chain of the FAT, read as a "next sector" function, ends.
fn acyclic(fat: &[u32]) -> bool {
    let mut state = vec![0u8; fat.len()];
    for start in 0..fat.len() {
        let mut path = Vec::new();
        let mut at = start;
        while state[at] == 0 {
            state[at] = 1;
            path.push(at);
            let next = fat[at];
            if next > REGULAR_MAX {
                break;
            }
            if next as usize >= fat.len() {
                return false;
            }
            at = next as usize;
            if state[at] == 1 {
                return false;
            }
        }
        for visited in path {
            state[visited] = 2;
        }
    }
    true
}
