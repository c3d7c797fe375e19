//! `x-amz-checksum-*` on uploads: computed over the body as it streams and compared, when the body
//! ends, with what the client sent in a header or an aws-chunked trailer. A mismatch ends the body
//! with an error, so the service stores nothing; a match is left in the upload's checksum slot.

use axum::http::HeaderMap;
use futures::StreamExt;
use s3cognito_service::objects::{BodyError, ByteStream, Checksum, ChecksumSlot};
use s3s::checksum::ChecksumHasher;
use s3s::dto::ChecksumAlgorithm;
use s3s::TrailingHeaders;

const ALGORITHMS: &[(&str, &str)] = &[
    ("CRC32", "x-amz-checksum-crc32"),
    ("CRC32C", "x-amz-checksum-crc32c"),
    ("CRC64NVME", "x-amz-checksum-crc64nvme"),
    ("SHA1", "x-amz-checksum-sha1"),
    ("SHA256", "x-amz-checksum-sha256"),
];

/// The checksum a client asked for: its algorithm, header name, and value if sent as a header.
#[derive(Debug, Clone)]
pub(crate) struct Requested {
    algorithm: &'static str,
    header: &'static str,
    expected: Option<String>,
}

/// What the request asks to be checked: a checksum header, or an algorithm whose value follows in
/// a trailer (`x-amz-sdk-checksum-algorithm` / `x-amz-trailer`, which s3s reads into the input).
pub(crate) fn requested(headers: &HeaderMap, algorithm: Option<&ChecksumAlgorithm>) -> Option<Requested> {
    for (name, header) in ALGORITHMS {
        if let Some(value) = headers.get(*header).and_then(|value| value.to_str().ok()) {
            return Some(Requested { algorithm: name, header, expected: Some(value.trim().to_owned()) });
        }
    }
    let algorithm = algorithm?.as_str().to_ascii_uppercase();
    ALGORITHMS
        .iter()
        .find(|(name, _)| *name == algorithm)
        .map(|(name, header)| Requested { algorithm: name, header, expected: None })
}

fn hasher_for(algorithm: &str) -> ChecksumHasher {
    let mut hasher = ChecksumHasher::default();
    match algorithm {
        "CRC32" => hasher.crc32 = Some(Default::default()),
        "CRC32C" => hasher.crc32c = Some(Default::default()),
        "CRC64NVME" => hasher.crc64nvme = Some(Default::default()),
        "SHA1" => hasher.sha1 = Some(Default::default()),
        _ => hasher.sha256 = Some(Default::default()),
    }
    hasher
}

fn value_of(algorithm: &str, checksum: s3s::dto::Checksum) -> Option<String> {
    match algorithm {
        "CRC32" => checksum.checksum_crc32,
        "CRC32C" => checksum.checksum_crc32c,
        "CRC64NVME" => checksum.checksum_crc64nvme,
        "SHA1" => checksum.checksum_sha1,
        _ => checksum.checksum_sha256,
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
                            headers.get(state.requested.header).and_then(|value| value.to_str().ok()).map(|v| v.trim().to_owned())
                        })
                    })?
                });
                if expected.as_ref().is_some_and(|expected| *expected != computed) {
                    return Some((Err(BodyError::ChecksumMismatch(state.requested.algorithm.to_owned())), None));
                }
                let _ = state.slot.set(Checksum { algorithm: state.requested.algorithm.to_owned(), value: computed });
                None
            }
        }
    })
    .boxed()
}

/// A multipart object's checksum as S3 computes it when its parts carry one (the COMPOSITE type): the
/// checksum of the parts' raw checksums, in order, then `-<number of parts>`. `None` when a part's
/// value is not base64.
pub(crate) fn composite(algorithm: &str, part_values: &[&str]) -> Option<String> {
    use base64::Engine as _;
    let mut hasher = hasher_for(algorithm);
    for value in part_values {
        let raw = base64::engine::general_purpose::STANDARD.decode(value).ok()?;
        hasher.update(&raw);
    }
    let combined = value_of(algorithm, hasher.finalize())?;
    Some(format!("{combined}-{}", part_values.len()))
}
