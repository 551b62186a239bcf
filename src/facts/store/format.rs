//! The facts store's file: a header and six sections, read in place from a memory map.
//!
//! Layout (little endian), format [`FORMAT`]:
//!
//! | bytes | what |
//! |---|---|
//! | header ([`HEADER_LEN`]) | magic, format, file length, build time, counts, section offsets, CRC-32 of the header |
//! | crates | one 20-byte record per crate, sorted by normalized name: name, repository, homepage (string offsets), owners and versions (blob offsets) |
//! | users, teams | one 12-byte record each: crates.io id (u64), login (string offset) |
//! | strings | each a varint length and UTF-8 bytes |
//! | owners | per crate: varint count, then varint `index << 1 \| is_team` |
//! | versions | per crate: varint count, then per version: varint length, the number, varint publisher (0 none recorded, 1 unknown: maybe a trusted publisher, else user index + 2) |
//!
//! Opening checks the magic, the format, the header's CRC-32 and that the file is as long
//! as the header says and every section lies inside it; every read is bounds-checked, so a
//! damaged file gives an error, never a panic or a read out of the map.

/// The first eight bytes of every store file.
pub const MAGIC: &[u8; 8] = b"CVAFACTS";
/// Bumped whenever the layout changes: a store of another format is rebuilt, not read.
pub const FORMAT: u32 = 1;
/// Size of the header in bytes, its trailing CRC-32 included.
pub const HEADER_LEN: usize = 144;
/// Size of one record of the crates section, in bytes.
pub const CRATE_RECORD: usize = 20;
/// Size of one record of the users or teams section, in bytes.
pub const ACCOUNT_RECORD: usize = 12;
/// A string offset meaning "none".
pub const NONE: u32 = u32::MAX;

/// The header's fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Length of the whole file in bytes, checked against the file on opening.
    pub file_len: u64,
    /// Unix seconds when the store was built.
    pub built_at: u64,
    /// String offset of the dump's `metadata.json` timestamp, or [`NONE`].
    pub timestamp: u32,
    /// Number of records in the crates section.
    pub crates: u32,
    /// Number of records in the users section.
    pub users: u32,
    /// Number of records in the teams section.
    pub teams: u32,
    /// Number of versions over all crates, for messages.
    pub versions: u64,
    /// Number of (crate, owner) pairs over all crates, for messages.
    pub owner_links: u64,
    /// Byte offset of the crates section.
    pub crates_at: u64,
    /// Byte offset of the users section.
    pub users_at: u64,
    /// Byte offset of the teams section.
    pub teams_at: u64,
    /// (offset, length) of the blobs.
    pub strings: (u64, u64),
    /// (offset, length) of the owners blob.
    pub owners: (u64, u64),
    /// (offset, length) of the versions blob; not stored, as it runs from the owners blob's end to the file's end.
    pub version_blob: (u64, u64),
}

impl Header {
    /// The header's bytes, CRC-32 included, as written at the start of the file.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&FORMAT.to_le_bytes());
        let mut at = 16;
        let mut put = |v: u64| {
            h[at..at + 8].copy_from_slice(&v.to_le_bytes());
            at += 8;
        };
        put(self.file_len);
        put(self.built_at);
        put(u64::from(self.timestamp));
        put(u64::from(self.crates));
        put(u64::from(self.users));
        put(u64::from(self.teams));
        put(self.versions);
        put(self.owner_links);
        put(self.crates_at);
        put(self.users_at);
        put(self.teams_at);
        put(self.strings.0);
        put(self.strings.1);
        put(self.owners.0);
        put(self.owners.1);
        let crc = crc32fast::hash(&h[..HEADER_LEN - 8]);
        h[HEADER_LEN - 8..HEADER_LEN - 4].copy_from_slice(&crc.to_le_bytes());
        // The version blob is last: its end is the file's end.
        h
    }

    /// The header of `bytes` (a whole store file), checked against its length.
    pub fn decode(bytes: &[u8]) -> Result<Header, String> {
        if bytes.len() < HEADER_LEN {
            return Err(format!(
                "truncated: {} bytes, shorter than a header",
                bytes.len()
            ));
        }
        if &bytes[0..8] != MAGIC {
            return Err("not a facts store (wrong magic bytes)".into());
        }
        let format = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
        if format != FORMAT {
            return Err(format!(
                "store format {format}, this version of the tool reads format {FORMAT}"
            ));
        }
        let crc = u32::from_le_bytes(
            bytes[HEADER_LEN - 8..HEADER_LEN - 4]
                .try_into()
                .unwrap_or_default(),
        );
        if crc != crc32fast::hash(&bytes[..HEADER_LEN - 8]) {
            return Err("damaged header (CRC-32 mismatch)".into());
        }
        let mut at = 16;
        let mut get = || {
            let v = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
            at += 8;
            v
        };
        let small = |v: u64| u32::try_from(v).map_err(|_| "damaged header".to_string());
        let file_len = get();
        let built_at = get();
        let timestamp = small(get())?;
        let crates = small(get())?;
        let users = small(get())?;
        let teams = small(get())?;
        let versions = get();
        let owner_links = get();
        let crates_at = get();
        let users_at = get();
        let teams_at = get();
        let strings = (get(), get());
        let owners = (get(), get());
        let h = Header {
            file_len,
            built_at,
            timestamp,
            crates,
            users,
            teams,
            versions,
            owner_links,
            crates_at,
            users_at,
            teams_at,
            strings,
            owners,
            version_blob: (0, 0),
        };
        if file_len != bytes.len() as u64 {
            return Err(format!(
                "truncated or extended: {} bytes, the header says {file_len}",
                bytes.len()
            ));
        }
        let within = |at: u64, len: u64| at.checked_add(len).is_some_and(|end| end <= file_len);
        let sections_fit = within(crates_at, u64::from(crates) * CRATE_RECORD as u64)
            && within(users_at, u64::from(users) * ACCOUNT_RECORD as u64)
            && within(teams_at, u64::from(teams) * ACCOUNT_RECORD as u64)
            && within(strings.0, strings.1)
            && within(owners.0, owners.1)
            && owners.0.saturating_add(owners.1) <= file_len;
        if !sections_fit {
            return Err("damaged header (a section lies outside the file)".into());
        }
        let blob_at = owners.0 + owners.1;
        Ok(Header {
            version_blob: (blob_at, file_len - blob_at),
            ..h
        })
    }
}

/// Appends `v` as a LEB128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a LEB128 varint at `*at`, moving past it; `None` past the end or when too long.
pub fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

/// The little-endian `u32` at byte `at`, or `None` when it would read past the end.
pub fn get_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// The little-endian `u64` at byte `at`, or `None` when it would read past the end.
pub fn get_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let mut out = Vec::new();
        for v in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            out.clear();
            put_varint(&mut out, v);
            let mut at = 0;
            assert_eq!(get_varint(&out, &mut at), Some(v));
            assert_eq!(at, out.len());
        }
        assert_eq!(get_varint(&[0x80], &mut 0), None);
    }

    #[test]
    fn header_round_trips_and_rejects_damage() {
        let h = Header {
            file_len: HEADER_LEN as u64,
            crates_at: HEADER_LEN as u64,
            users_at: HEADER_LEN as u64,
            teams_at: HEADER_LEN as u64,
            strings: (HEADER_LEN as u64, 0),
            owners: (HEADER_LEN as u64, 0),
            timestamp: NONE,
            ..Header::default()
        };
        let bytes = h.encode();
        let back = Header::decode(&bytes).unwrap();
        assert_eq!(back.crates, 0);
        let mut bad = bytes;
        bad[20] ^= 1;
        assert!(Header::decode(&bad).unwrap_err().contains("CRC"));
        let mut other = bytes;
        other[8] = 9;
        assert!(Header::decode(&other).unwrap_err().contains("format 9"));
        assert!(
            Header::decode(&bytes[..100])
                .unwrap_err()
                .contains("truncated")
        );
    }
}
