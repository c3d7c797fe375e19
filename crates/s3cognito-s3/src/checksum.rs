//! `x-amz-checksum-*` on uploads: computed over the body as it streams and compared, when the body
//! ends, with what the client sent in a header or an aws-chunked trailer. A mismatch ends the body
//! with an error, so the service stores nothing; a match is left in the upload's checksum slot.

use axum::http::HeaderMap;
use futures::StreamExt;
use s3cognito_service::objects::{BodyError, ByteStream, Checksum, ChecksumSlot};
use s3s::checksum::ChecksumHasher;
use s3s::dto::ChecksumAlgorithm;
use s3s::TrailingHeaders;
use s3cognito_types::ChecksumAlgorithm as Algorithm;

/// The checksum a client asked for: its algorithm, and its value if sent as a header.
#[derive(Debug, Clone)]
pub(crate) struct Requested {
    algorithm: Algorithm,
    expected: Option<String>,
}

/// What the request asks to be checked: a checksum header, or an algorithm whose value follows in
/// a trailer (`x-amz-sdk-checksum-algorithm` / `x-amz-trailer`, which s3s reads into the input).
pub(crate) fn requested(headers: &HeaderMap, algorithm: Option<&ChecksumAlgorithm>) -> Option<Requested> {
    for candidate in Algorithm::ALL {
        if let Some(value) = headers.get(candidate.header()).and_then(|value| value.to_str().ok()) {
            return Some(Requested { algorithm: candidate, expected: Some(value.trim().to_owned()) });
        }
    }
    Algorithm::parse(algorithm?.as_str()).map(|algorithm| Requested { algorithm, expected: None })
}

fn hasher_for(algorithm: Algorithm) -> ChecksumHasher {
    let mut hasher = ChecksumHasher::default();
    match algorithm {
        Algorithm::Crc32 => hasher.crc32 = Some(Default::default()),
        Algorithm::Crc32c => hasher.crc32c = Some(Default::default()),
        Algorithm::Crc64Nvme => hasher.crc64nvme = Some(Default::default()),
        Algorithm::Sha1 => hasher.sha1 = Some(Default::default()),
        Algorithm::Sha256 => hasher.sha256 = Some(Default::default()),
    }
    hasher
}

fn value_of(algorithm: Algorithm, checksum: s3s::dto::Checksum) -> Option<String> {
    match algorithm {
        Algorithm::Crc32 => checksum.checksum_crc32,
        Algorithm::Crc32c => checksum.checksum_crc32c,
        Algorithm::Crc64Nvme => checksum.checksum_crc64nvme,
        Algorithm::Sha1 => checksum.checksum_sha1,
        Algorithm::Sha256 => checksum.checksum_sha256,
    }
}

struct State {
    body: ByteStream<BodyError>,
    hasher: Option<ChecksumHasher>,
    requested: Requested,
    trailers: Option<TrailingHeaders>,
    slot: ChecksumSlot,
}

/// Wraps `body` so that it verifies the requested checksum at its end.
pub(crate) fn verify(
    body: ByteStream<BodyError>,
    requested: Option<Requested>,
    trailers: Option<TrailingHeaders>,
    slot: ChecksumSlot,
) -> ByteStream<BodyError> {
    let Some(requested) = requested else {
        return body;
    };
    let state = State { body, hasher: Some(hasher_for(requested.algorithm)), requested, trailers, slot };
    futures::stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        match state.body.next().await {
            Some(Ok(chunk)) => {
                if let Some(hasher) = state.hasher.as_mut() {
                    hasher.update(&chunk);
                }
                Some((Ok(chunk), Some(state)))
            }
            Some(Err(error)) => Some((Err(error), None)),
            None => {
                let hasher = state.hasher.take()?;
                let computed = value_of(state.requested.algorithm, hasher.finalize()).unwrap_or_default();
                // Trailers are readable only once the body has been consumed, which it now has.
                let expected = state.requested.expected.clone().or_else(|| {
                    state.trailers.as_ref().and_then(|trailers| {
                        trailers.read(|headers| {
                            headers.get(state.requested.algorithm.header()).and_then(|value| value.to_str().ok()).map(|v| v.trim().to_owned())
                        })
                    })?
                });
                if expected.as_ref().is_some_and(|expected| *expected != computed) {
                    return Some((Err(BodyError::ChecksumMismatch(state.requested.algorithm.name().to_owned())), None));
                }
                let _ = state.slot.set(Checksum { algorithm: state.requested.algorithm, value: computed });
                None
            }
        }
    })
    .boxed()
}

/// A multipart object's checksum as S3 computes it when its parts carry one (the COMPOSITE type): the
/// checksum of the parts' raw checksums, in order, then `-<number of parts>`. `None` when a part's
/// value is not base64.
pub(crate) fn composite(algorithm: Algorithm, part_values: &[&str]) -> Option<String> {
    use base64::Engine as _;
    let mut hasher = hasher_for(algorithm);
    for value in part_values {
        let raw = base64::engine::general_purpose::STANDARD.decode(value).ok()?;
        hasher.update(&raw);
    }
    let combined = value_of(algorithm, hasher.finalize())?;
    Some(format!("{combined}-{}", part_values.len()))
}

/// The reflected polynomial and width of each CRC S3 offers.
fn crc_parameters(algorithm: Algorithm) -> Option<(u64, u32)> {
    match algorithm {
        Algorithm::Crc32 => Some((0xEDB8_8320, 32)),
        Algorithm::Crc32c => Some((0x82F6_3B78, 32)),
        Algorithm::Crc64Nvme => Some((0x9A6C_9329_AC4B_C9B5, 64)),
        Algorithm::Sha1 | Algorithm::Sha256 => None,
    }
}

/// a·b modulo the polynomial, in the reflected bit order CRCs use (zlib's `multmodp`).
fn multiply_mod(a: u64, mut b: u64, polynomial: u64, width: u32) -> u64 {
    let mut mask = 1u64 << (width - 1);
    let mut product = 0;
    loop {
        if a & mask != 0 {
            product ^= b;
            if a & (mask - 1) == 0 {
                return product;
            }
        }
        mask >>= 1;
        b = if b & 1 != 0 { (b >> 1) ^ polynomial } else { b >> 1 };
    }
}

/// x^(8·bytes) modulo the polynomial: what a CRC is multiplied by to be shifted over `bytes` bytes.
fn shift_for(bytes: u64, polynomial: u64, width: u32) -> u64 {
    let mut result = 1u64 << (width - 1); // x^0
    let mut power = 1u64 << (width - 2); // x^1, squared up to x^(2^k) as the bits of 8·bytes go by
    let mut exponent = bytes.saturating_mul(8);
    while exponent != 0 {
        if exponent & 1 != 0 {
            result = multiply_mod(power, result, polynomial, width);
        }
        power = multiply_mod(power, power, polynomial, width);
        exponent >>= 1;
    }
    result
}

/// The CRC of the whole object from its parts' CRCs and sizes (S3's FULL_OBJECT type for multipart
/// uploads): crc(A‖B) = crc(A)·x^(8·|B|) + crc(B). `None` for a non-CRC algorithm or a malformed value.
pub(crate) fn combine_crc(algorithm: Algorithm, parts: &[(&str, u64)]) -> Option<String> {
    use base64::Engine as _;
    let (polynomial, width) = crc_parameters(algorithm)?;
    let bytes = (width / 8) as usize;
    let mut combined: Option<u64> = None;
    for (value, size) in parts {
        let raw = base64::engine::general_purpose::STANDARD.decode(value).ok()?;
        if raw.len() != bytes {
            return None;
        }
        let crc = raw.iter().fold(0u64, |accumulator, byte| (accumulator << 8) | u64::from(*byte));
        combined = Some(match combined {
            None => crc,
            Some(previous) => multiply_mod(shift_for(*size, polynomial, width), previous, polynomial, width) ^ crc,
        });
    }
    let combined = combined?;
    let raw: Vec<u8> = (0..bytes).rev().map(|index| (combined >> (8 * index)) as u8).collect();
    Some(base64::engine::general_purpose::STANDARD.encode(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crc_of(algorithm: Algorithm, data: &[u8]) -> String {
        let mut hasher = hasher_for(algorithm);
        hasher.update(data);
        value_of(algorithm, hasher.finalize()).unwrap()
    }

    #[test]
    fn combined_crcs_equal_the_crc_of_the_whole() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for algorithm in [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme] {
            for cuts in [vec![0usize, 100_000], vec![0, 1, 100_000], vec![0, 65_536, 65_537, 99_999, 100_000], vec![0, 50_000, 100_000]] {
                let parts: Vec<(String, u64)> =
                    cuts.windows(2).map(|w| (crc_of(algorithm, &data[w[0]..w[1]]), (w[1] - w[0]) as u64)).collect();
                let borrowed: Vec<(&str, u64)> = parts.iter().map(|(value, size)| (value.as_str(), *size)).collect();
                assert_eq!(combine_crc(algorithm, &borrowed), Some(crc_of(algorithm, &data)), "{algorithm} {cuts:?}");
            }
        }
        assert_eq!(combine_crc(Algorithm::Sha256, &[("AAAA", 1)]), None);
    }
}
