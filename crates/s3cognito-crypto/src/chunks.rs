//! Object bytes at rest: a blob is its plaintext cut into chunks of [`CHUNK`] bytes, each sealed with
//! AES-256-GCM under the blob's own data key, so a ranged read opens only the chunks it covers.
//!
//! ```text
//! stored blob = seal(chunk 0) ‖ seal(chunk 1) ‖ … ‖ seal(chunk n-1)      each chunk + 16-byte tag
//! nonce of chunk i = 0u32 ‖ i (u64, big-endian)                          unique: one data key per blob
//! associated data  = "s3cognito chunk v1" ‖ 1 if chunk i is the last, else 0
//! ```
//!
//! Every chunk but the last holds exactly [`CHUNK`] bytes; an empty blob is one empty last chunk, so a blob
//! cut short, cut at a chunk boundary, reordered or swapped for another blob's chunks fails to open rather
//! than read as other bytes. The reader knows the plaintext length from the object's row, so it knows
//! which chunk is last without trusting the stored bytes.

use std::fmt;
use std::ops::Range;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use crate::random::random_bytes;

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
/// Bytes each sealed chunk adds.
pub const TAG: usize = 16;
/// A sealed chunk's length, for a full one.
pub const SEALED_CHUNK: usize = CHUNK + TAG;
const DOMAIN: &[u8] = b"s3cognito chunk v1";
/// Bytes of a data key.
pub const DATA_KEY_LEN: usize = 32;

/// A chunk that does not open: the stored bytes were changed, cut, or belong elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stored bytes failed their integrity check")]
pub struct Tampered;

/// A blob's data key. Never shown: its `Debug` is redacted.
pub struct DataKey {
    bytes: [u8; DATA_KEY_LEN],
    key: LessSafeKey,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

impl Clone for DataKey {
    fn clone(&self) -> Self {
        DataKey::from_bytes(&self.bytes)
    }
}

impl DataKey {
    pub fn generate() -> DataKey {
        let mut bytes = [0u8; DATA_KEY_LEN];
        bytes.copy_from_slice(&random_bytes(DATA_KEY_LEN));
        DataKey::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8; DATA_KEY_LEN]) -> DataKey {
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("AES-256-GCM accepts any 32-byte key"));
        DataKey { bytes: *bytes, key }
    }

    /// A key from stored bytes; `None` unless they are [`DATA_KEY_LEN`] long.
    pub fn from_slice(bytes: &[u8]) -> Option<DataKey> {
        Some(DataKey::from_bytes(bytes.try_into().ok()?))
    }

    pub fn as_bytes(&self) -> &[u8; DATA_KEY_LEN] {
        &self.bytes
    }

    fn nonce(index: u64) -> Nonce {
        let mut nonce = [0u8; NONCE_LEN];
        nonce[4..].copy_from_slice(&index.to_be_bytes());
        Nonce::assume_unique_for_key(nonce)
    }

    fn associated(last: bool) -> Vec<u8> {
        let mut associated = DOMAIN.to_vec();
        associated.push(u8::from(last));
        associated
    }

    /// Seals chunk `index` in place, appending its tag.
    pub fn seal_chunk(&self, index: u64, last: bool, chunk: &mut Vec<u8>) {
        self.key
            .seal_in_place_append_tag(Self::nonce(index), Aad::from(Self::associated(last)), chunk)
            .expect("a chunk is far below AES-GCM's length limit");
    }

    /// Opens sealed chunk `index` in place, leaving its plaintext.
    pub fn open_chunk(&self, index: u64, last: bool, sealed: &mut Vec<u8>) -> Result<(), Tampered> {
        let length = self.key.open_in_place(Self::nonce(index), Aad::from(Self::associated(last)), sealed).map_err(|_| Tampered)?.len();
        sealed.truncate(length);
        Ok(())
    }
}

/// How many chunks a blob of `length` plaintext bytes has (an empty one has one).
pub fn chunk_count(length: u64) -> u64 {
    length.div_ceil(CHUNK as u64).max(1)
}

/// The stored length of a blob of `length` plaintext bytes.
pub fn sealed_length(length: u64) -> u64 {
    length + chunk_count(length) * TAG as u64
}

/// What reading `range` of a blob of `length` plaintext bytes takes: the chunks it covers (their
/// indexes), the stored bytes they are, and where `range` starts in the first chunk's plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkSpan {
    pub chunks: Range<u64>,
    pub stored: Range<u64>,
    pub skip: usize,
}

pub fn span(range: &Range<u64>, length: u64) -> ChunkSpan {
    let chunk = CHUNK as u64;
    let first = range.start / chunk;
    let last = if range.end > range.start { (range.end - 1) / chunk } else { first };
    let chunks = first..(last + 1).min(chunk_count(length));
    let stored = first * SEALED_CHUNK as u64..((last + 1) * SEALED_CHUNK as u64).min(sealed_length(length));
    ChunkSpan { chunks, stored, skip: (range.start - first * chunk) as usize }
}

/// Seals a blob's plaintext as it arrives: pushed bytes come back as sealed chunks, the last one held
/// until [`Sealer::finish`] says no more bytes are coming.
#[derive(Debug)]
pub struct Sealer {
    key: DataKey,
    index: u64,
    pending: Vec<u8>,
}

impl Sealer {
    pub fn new(key: DataKey) -> Sealer {
        Sealer { key, index: 0, pending: Vec::with_capacity(CHUNK + TAG) }
    }

    /// Takes `bytes`; the chunks they complete, sealed (a full chunk is held until more bytes show it
    /// is not the last).
    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut sealed = Vec::new();
        while !bytes.is_empty() {
            if self.pending.len() == CHUNK {
                let mut chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK + TAG));
                self.key.seal_chunk(self.index, false, &mut chunk);
                self.index += 1;
                sealed.push(chunk);
            }
            let take = (CHUNK - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        sealed
    }

    /// The last chunk, sealed as the last.
    pub fn finish(mut self) -> Vec<u8> {
        let mut chunk = std::mem::take(&mut self.pending);
        self.key.seal_chunk(self.index, true, &mut chunk);
        chunk
    }
}

/// Opens the stored bytes of a [`ChunkSpan`] as they arrive, in any pieces: pushed bytes come back as
/// the plaintext of the chunks they complete, cut to the range asked.
#[derive(Debug)]
pub struct Opener {
    key: DataKey,
    next: u64,
    /// The index of the blob's last chunk.
    last: u64,
    end_chunk: u64,
    pending: Vec<u8>,
    skip: usize,
    /// Plaintext bytes still to hand out.
    remaining: u64,
}

impl Opener {
    /// For `range` of a blob of `length` plaintext bytes sealed under `key`.
    pub fn new(key: DataKey, range: &Range<u64>, length: u64) -> Opener {
        let span = span(range, length);
        Opener {
            key,
            next: span.chunks.start,
            last: chunk_count(length) - 1,
            end_chunk: span.chunks.end,
            pending: Vec::with_capacity(SEALED_CHUNK),
            skip: span.skip,
            remaining: range.end.saturating_sub(range.start),
        }
    }

    fn open_pending(&mut self) -> Result<Vec<u8>, Tampered> {
        let mut chunk = std::mem::replace(&mut self.pending, Vec::with_capacity(SEALED_CHUNK));
        self.key.open_chunk(self.next, self.next == self.last, &mut chunk)?;
        self.next += 1;
        let skip = std::mem::take(&mut self.skip).min(chunk.len());
        let take = ((chunk.len() - skip) as u64).min(self.remaining) as usize;
        self.remaining -= take as u64;
        chunk.truncate(skip + take);
        chunk.drain(..skip);
        Ok(chunk)
    }

    /// Takes stored bytes; the plaintext of the chunks they complete.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, Tampered> {
        let mut opened = Vec::new();
        while !bytes.is_empty() {
            if self.next >= self.end_chunk {
                return Err(Tampered);
            }
            let take = (SEALED_CHUNK - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.pending.len() == SEALED_CHUNK {
                opened.push(self.open_pending()?);
            }
        }
        Ok(opened)
    }

    /// The rest once the stored bytes have ended: the last chunk if it was short, and an error if any
    /// chunk of the span is missing.
    pub fn finish(mut self) -> Result<Vec<u8>, Tampered> {
        let rest = if self.pending.is_empty() && self.next == self.end_chunk { Vec::new() } else { self.open_pending()? };
        if self.next != self.end_chunk || self.remaining != 0 {
            return Err(Tampered);
        }
        Ok(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(key: &DataKey, plaintext: &[u8], piece: usize) -> Vec<u8> {
        let mut sealer = Sealer::new(key.clone());
        let mut out = Vec::new();
        for bytes in plaintext.chunks(piece.max(1)) {
            out.extend(sealer.push(bytes).concat());
        }
        out.extend(sealer.finish());
        out
    }

    fn opened(key: &DataKey, stored: &[u8], range: Range<u64>, length: u64, piece: usize) -> Result<Vec<u8>, Tampered> {
        let span = span(&range, length);
        let mut opener = Opener::new(key.clone(), &range, length);
        let mut out = Vec::new();
        let bytes = &stored[span.stored.start as usize..(span.stored.end as usize).min(stored.len())];
        for piece in bytes.chunks(piece.max(1)) {
            out.extend(opener.push(piece)?.concat());
        }
        out.extend(opener.finish()?);
        Ok(out)
    }

    #[test]
    fn every_range_of_every_length_opens_to_its_plaintext_in_any_pieces() {
        let key = DataKey::generate();
        for length in [0usize, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 77] {
            let plaintext: Vec<u8> = (0..length).map(|index| (index * 31 % 251) as u8).collect();
            let stored = sealed(&key, &plaintext, 10_000);
            assert_eq!(stored.len() as u64, sealed_length(length as u64), "length {length}");
            let ranges = [0..length, 0..length.min(1), length / 2..length, length.saturating_sub(CHUNK + 3)..length.saturating_sub(2)];
            for range in ranges {
                if range.start > range.end {
                    continue;
                }
                for piece in [1, 4093, SEALED_CHUNK, 1 << 20] {
                    let range64 = range.start as u64..range.end as u64;
                    assert_eq!(opened(&key, &stored, range64, length as u64, piece).unwrap(), plaintext[range.clone()], "length {length}, range {range:?}, pieces of {piece}");
                }
            }
        }
    }

    #[test]
    fn a_changed_cut_or_foreign_blob_never_opens_as_other_bytes() {
        let key = DataKey::generate();
        let length = 2 * CHUNK + 100;
        let plaintext = vec![7u8; length];
        let stored = sealed(&key, &plaintext, CHUNK);
        let whole = 0..length as u64;
        for index in [0, CHUNK, SEALED_CHUNK, stored.len() - 1] {
            let mut changed = stored.clone();
            changed[index] ^= 0x01;
            assert_eq!(opened(&key, &changed, whole.clone(), length as u64, 4096), Err(Tampered), "byte {index}");
        }
        // Cut at a chunk boundary: the chunk before is not marked last.
        let cut = &stored[..2 * SEALED_CHUNK];
        assert_eq!(opened(&key, cut, whole.clone(), length as u64, 4096), Err(Tampered));
        assert_eq!(opened(&key, cut, 0..2 * CHUNK as u64, 2 * CHUNK as u64, 4096), Err(Tampered), "nor read as a shorter blob");
        // Chunks in another order, or under another key.
        let mut swapped = stored.clone();
        swapped.copy_within(0..SEALED_CHUNK, SEALED_CHUNK);
        assert_eq!(opened(&key, &swapped, whole.clone(), length as u64, 4096), Err(Tampered));
        assert_eq!(opened(&DataKey::generate(), &stored, whole, length as u64, 4096), Err(Tampered));
        let empty = sealed(&key, b"", 1);
        assert_eq!(empty.len(), TAG);
        assert_eq!(opened(&key, &[], 0..0, 0, 1), Err(Tampered), "an empty blob still has its tag");
        assert_eq!(opened(&key, &empty, 0..0, 0, 1).unwrap(), b"");
    }
}
