//! Files encrypted on the client, in the AWS Encryption SDK's message format (version 2, framed), so a
//! file the CLI encrypted opens with any of that SDK's implementations and the other way round.
//!
//! ```text
//! header  = 0x02 ‖ suite (u16) ‖ message id (32) ‖ context length (u16) ‖ context
//!           ‖ data key count (u16) ‖ data keys ‖ 0x02 (framed) ‖ frame length (u32) ‖ key commitment (32)
//!           ‖ tag (16)                           AES-GCM of nothing, IV 0, AAD = the header before the tag
//! context = count (u16) ‖ (key length (u16) ‖ key ‖ value length (u16) ‖ value)…   sorted by key bytes
//! data key = provider id ‖ provider info ‖ encrypted key, each a u16 length and its bytes
//! frame i = i (u32) ‖ IV (12) ‖ ciphertext (frame length) ‖ tag (16)               i = 1, 2, …
//! final   = 0xFFFFFFFF ‖ i (u32) ‖ IV (12) ‖ length (u32) ‖ ciphertext ‖ tag (16)  0 ≤ length ≤ frame length
//! footer  = signature length (u16) ‖ ECDSA P-384 signature of all before it       signed suite only
//!
//! IV of frame i  = 0 (8 bytes) ‖ i (u32)
//! frame AAD      = message id ‖ "AWSKMSEncryptionClient Frame" or "… Final Frame" ‖ i (u32) ‖ length (u64)
//! frame key      = HKDF-SHA512(data key, salt = message id, info = suite ‖ "DERIVEKEY"), 32 bytes
//! key commitment = HKDF-SHA512(data key, salt = message id, info = "COMMITKEY"), 32 bytes
//! ```
//!
//! Messages are written with suite 0x0478 (AES-256-GCM, HKDF-SHA512, committing, unsigned); 0x0478 and
//! 0x0578 (the same, signed with ECDSA P-384, the SDK's default) are read. Suites that do not commit to
//! their data key are refused, as the SDK's default commitment policy refuses them. Because every frame's
//! IV is its number, any byte range of a message can be produced from the plaintext it covers: parts of a
//! multipart upload are sealed independently, in any order, and the same bytes again when an interrupted
//! upload is continued with the same header.

use std::collections::BTreeMap;
use std::ops::Range;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::{digest, hkdf, signature};
use base64::Engine as _;

use crate::compare::constant_time_eq;

/// The provider id of data keys wrapped by AWS KMS; their provider info is the key's ARN.
pub const PROVIDER_KMS: &str = "aws-kms";
/// The context key of a signed message's public key, reserved like every `aws-crypto-` key.
pub const PUBLIC_KEY_CONTEXT: &str = "aws-crypto-public-key";
/// The frame length messages are written with.
pub const FRAME_LENGTH: u32 = 64 * 1024;
/// The longest frame read: a reader holds a frame whole before it opens it, so a message whose header
/// claims frames of up to 2 GiB (as the format allows) is refused rather than buffered.
pub const MAX_FRAME_LENGTH: u32 = 64 << 20;
/// The longest header read: far above any real one (a context is at most 64 KiB), and a bound on what a
/// reader buffers before it knows a message is one.
pub const MAX_HEADER: usize = 1 << 20;

const VERSION: u8 = 2;
const FRAMED: u8 = 2;
const MESSAGE_ID: usize = 32;
const COMMITMENT: usize = 32;
const TAG: usize = 16;
const FINAL_MARK: u32 = 0xFFFF_FFFF;
const FRAME_AAD: &[u8] = b"AWSKMSEncryptionClient Frame";
const FINAL_AAD: &[u8] = b"AWSKMSEncryptionClient Final Frame";
const RESERVED_CONTEXT: &str = "aws-crypto-";
/// Bytes a regular frame adds to its plaintext: number, IV and tag.
const FRAME_OVERHEAD: u64 = 4 + NONCE_LEN as u64 + TAG as u64;
/// Bytes the final frame adds: the mark, number, IV, length and tag.
const FINAL_OVERHEAD: u64 = 4 + 4 + NONCE_LEN as u64 + 4 + TAG as u64;

/// The algorithm suites read; the first is the one written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// 0x0478: AES-256-GCM, HKDF-SHA512, key commitment.
    Committing,
    /// 0x0578: the same, signed with ECDSA P-384 and SHA-384.
    CommittingSigned,
}

impl Suite {
    pub fn id(self) -> u16 {
        match self {
            Suite::Committing => 0x0478,
            Suite::CommittingSigned => 0x0578,
        }
    }

    fn from_id(id: u16) -> Result<Suite, MessageError> {
        match id {
            0x0478 => Ok(Suite::Committing),
            0x0578 => Ok(Suite::CommittingSigned),
            other => Err(MessageError::UnsupportedSuite(other)),
        }
    }
}

/// Why a message cannot be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("the encrypted message ends before it is whole")]
    Truncated,
    #[error("not an encrypted message this reads: {0}")]
    Malformed(&'static str),
    #[error(
        "the message was encrypted with algorithm suite {0:#06x}; only the suites that commit to their data key (0x0478, 0x0578) are read"
    )]
    UnsupportedSuite(u16),
    #[error("the data key does not open this message")]
    WrongKey,
    #[error("the encrypted message failed its integrity check")]
    Tampered,
    #[error("the encrypted message's signature does not verify")]
    BadSignature,
    #[error("encryption context key {0:?} is reserved (aws-crypto-…)")]
    ReservedContext(String),
    #[error("the file is too large for one message")]
    TooLarge,
}

/// A data key as one key provider wrapped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedDataKey {
    pub provider_id: String,
    /// For [`PROVIDER_KMS`], the ARN of the KMS key.
    pub provider_info: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// A message's header, as written or as read and checked for form (not yet for its key: [`Opener::new`]
/// checks the commitment and tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub suite: Suite,
    pub message_id: [u8; MESSAGE_ID],
    /// Authenticated, never secret: it is stored in the clear.
    pub context: BTreeMap<String, String>,
    pub data_keys: Vec<EncryptedDataKey>,
    pub frame_length: u32,
    commitment: [u8; COMMITMENT],
    /// The serialized header, its tag last.
    bytes: Vec<u8>,
}

impl Header {
    /// The header at the start of `input`: `None` while `input` holds only part of it.
    pub fn parse(input: &[u8]) -> Result<Option<Header>, MessageError> {
        match Header::read(&mut Reader { bytes: input, at: 0 }) {
            Ok(header) => Ok(Some(header)),
            Err(MessageError::Truncated) if input.len() < MAX_HEADER => Ok(None),
            Err(MessageError::Truncated) => Err(MessageError::Malformed("the header is longer than any this reads")),
            Err(error) => Err(error),
        }
    }

    fn read(reader: &mut Reader<'_>) -> Result<Header, MessageError> {
        let version = reader.u8()?;
        if version == 1 {
            // Version 1 messages carry a type byte, then their suite: none of them commits to its key.
            reader.u8()?;
            return Err(MessageError::UnsupportedSuite(reader.u16()?));
        }
        if version != VERSION {
            return Err(MessageError::Malformed("unknown message version"));
        }
        let suite = Suite::from_id(reader.u16()?)?;
        let message_id = reader.array::<MESSAGE_ID>()?;
        let context_length = usize::from(reader.u16()?);
        let context = parse_context(reader.take(context_length)?)?;
        let key_count = reader.u16()?;
        if key_count == 0 {
            return Err(MessageError::Malformed("the message carries no data key"));
        }
        let mut data_keys = Vec::with_capacity(usize::from(key_count));
        for _ in 0..key_count {
            let provider_id = std::str::from_utf8(reader.sized()?).map_err(|_| MessageError::Malformed("a key provider id is not UTF-8"))?;
            let provider_info = reader.sized()?.to_vec();
            let ciphertext = reader.sized()?.to_vec();
            data_keys.push(EncryptedDataKey { provider_id: provider_id.to_owned(), provider_info, ciphertext });
        }
        if reader.u8()? != FRAMED {
            return Err(MessageError::Malformed("only framed messages are read"));
        }
        let frame_length = reader.u32()?;
        if frame_length == 0 || frame_length > i32::MAX as u32 {
            return Err(MessageError::Malformed("the frame length is out of range"));
        }
        let commitment = reader.array::<COMMITMENT>()?;
        reader.take(TAG)?;
        if suite == Suite::CommittingSigned && !context.contains_key(PUBLIC_KEY_CONTEXT) {
            return Err(MessageError::Malformed("a signed message names no public key"));
        }
        Ok(Header { suite, message_id, context, data_keys, frame_length, commitment, bytes: reader.bytes[..reader.at].to_vec() })
    }

    /// The serialized header, as it starts the message.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn body(&self) -> &[u8] {
        &self.bytes[..self.bytes.len() - TAG]
    }

    fn tag(&self) -> &[u8] {
        &self.bytes[self.bytes.len() - TAG..]
    }
}

fn parse_context(bytes: &[u8]) -> Result<BTreeMap<String, String>, MessageError> {
    let mut context = BTreeMap::new();
    if bytes.is_empty() {
        return Ok(context);
    }
    let reader = &mut Reader { bytes, at: 0 };
    let malformed = |_| MessageError::Malformed("the encryption context is malformed");
    let count = reader.u16().map_err(malformed)?;
    for _ in 0..count {
        let key = std::str::from_utf8(reader.sized().map_err(malformed)?).map_err(|_| MessageError::Malformed("a context key is not UTF-8"))?;
        let value = std::str::from_utf8(reader.sized().map_err(malformed)?).map_err(|_| MessageError::Malformed("a context value is not UTF-8"))?;
        if context.insert(key.to_owned(), value.to_owned()).is_some() {
            return Err(MessageError::Malformed("the encryption context names a key twice"));
        }
    }
    if reader.at != bytes.len() {
        return Err(MessageError::Malformed("the encryption context is malformed"));
    }
    Ok(context)
}

fn serialize_context(context: &BTreeMap<String, String>) -> Result<Vec<u8>, MessageError> {
    let mut out = Vec::new();
    if context.is_empty() {
        return Ok(out);
    }
    put_u16(&mut out, context.len())?;
    // A BTreeMap of Strings is in the order of their UTF-8 bytes, the order the format asks for.
    for (key, value) in context {
        put_sized(&mut out, key.as_bytes())?;
        put_sized(&mut out, value.as_bytes())?;
    }
    Ok(out)
}

fn put_u16(out: &mut Vec<u8>, value: usize) -> Result<(), MessageError> {
    let value = u16::try_from(value).map_err(|_| MessageError::TooLarge)?;
    out.extend_from_slice(&value.to_be_bytes());
    Ok(())
}

fn put_sized(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), MessageError> {
    put_u16(out, bytes.len())?;
    out.extend_from_slice(bytes);
    Ok(())
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, length: usize) -> Result<&'a [u8], MessageError> {
        let end = self.at.checked_add(length).filter(|end| *end <= self.bytes.len()).ok_or(MessageError::Truncated)?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], MessageError> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }

    fn u8(&mut self) -> Result<u8, MessageError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, MessageError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, MessageError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Bytes after their u16 length.
    fn sized(&mut self) -> Result<&'a [u8], MessageError> {
        let length = usize::from(self.u16()?);
        self.take(length)
    }
}

struct Length(usize);

impl hkdf::KeyType for Length {
    fn len(&self) -> usize {
        self.0
    }
}

/// The frame key and the key commitment of a message.
fn derive(data_key: &[u8], suite: Suite, message_id: &[u8; MESSAGE_ID]) -> Result<(LessSafeKey, [u8; COMMITMENT]), MessageError> {
    if data_key.len() != 32 {
        return Err(MessageError::WrongKey);
    }
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA512, message_id).extract(data_key);
    let suite_id = suite.id().to_be_bytes();
    let mut key = [0u8; 32];
    prk.expand(&[&suite_id, b"DERIVEKEY"], Length(32)).and_then(|okm| okm.fill(&mut key)).map_err(|_| MessageError::WrongKey)?;
    let mut commitment = [0u8; COMMITMENT];
    prk.expand(&[b"COMMITKEY"], Length(COMMITMENT)).and_then(|okm| okm.fill(&mut commitment)).map_err(|_| MessageError::WrongKey)?;
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).map_err(|_| MessageError::WrongKey)?);
    Ok((key, commitment))
}

fn frame_nonce(sequence: u32) -> Nonce {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[NONCE_LEN - 4..].copy_from_slice(&sequence.to_be_bytes());
    Nonce::assume_unique_for_key(nonce)
}

fn frame_aad(message_id: &[u8; MESSAGE_ID], last: bool, sequence: u32, length: usize) -> Vec<u8> {
    let label = if last { FINAL_AAD } else { FRAME_AAD };
    let mut aad = Vec::with_capacity(MESSAGE_ID + label.len() + 12);
    aad.extend_from_slice(message_id);
    aad.extend_from_slice(label);
    aad.extend_from_slice(&sequence.to_be_bytes());
    aad.extend_from_slice(&(length as u64).to_be_bytes());
    aad
}

/// Where the frames of an unsigned message lie, from its header and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frames {
    header_len: u64,
    frame_length: u64,
    regular: u64,
    rest: u64,
}

impl Frames {
    /// The frames of the unsigned message of `message_len` bytes that `header` starts.
    pub fn of(header: &Header, message_len: u64) -> Result<Frames, MessageError> {
        if header.suite != Suite::Committing {
            return Err(MessageError::UnsupportedSuite(header.suite.id()));
        }
        let header_len = header.len() as u64;
        let frame_length = u64::from(header.frame_length);
        let body = message_len.checked_sub(header_len + FINAL_OVERHEAD).ok_or(MessageError::Truncated)?;
        let (regular, rest) = (body / (frame_length + FRAME_OVERHEAD), body % (frame_length + FRAME_OVERHEAD));
        if rest >= frame_length {
            return Err(MessageError::Malformed("the message's length is not a whole number of frames"));
        }
        Ok(Frames { header_len, frame_length, regular, rest })
    }

    /// Frames, the final one included.
    pub fn count(&self) -> u64 {
        self.regular + 1
    }

    pub fn plaintext_len(&self) -> u64 {
        self.regular * self.frame_length + self.rest
    }

    /// Where frame `index` starts in the message; at `count`, the message's end.
    pub fn start(&self, index: u64) -> u64 {
        match index {
            index if index <= self.regular => self.header_len + index * (self.frame_length + FRAME_OVERHEAD),
            _ => self.header_len + self.regular * (self.frame_length + FRAME_OVERHEAD) + self.rest + FINAL_OVERHEAD,
        }
    }

    /// Where frame `index`'s plaintext starts.
    pub fn plaintext_start(&self, index: u64) -> u64 {
        index * self.frame_length
    }
}

/// Room for one more whole frame: the last frame a range touches is sealed whole, then cut.
fn frame_capacity(frame_length: u64) -> u64 {
    frame_length + FINAL_OVERHEAD
}

/// Writes one message of a known plaintext length: its header, and any byte range of it from the
/// plaintext that range covers.
pub struct Sealer {
    header: Header,
    key: LessSafeKey,
    plaintext_len: u64,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer").field("header", &self.header).field("plaintext_len", &self.plaintext_len).finish_non_exhaustive()
    }
}

impl Sealer {
    /// A new message of `plaintext_len` bytes under `data_key` (plaintext, 32 bytes), whose wrapped
    /// copies are `data_keys`, with a fresh random message id.
    pub fn new(
        data_key: &[u8],
        context: BTreeMap<String, String>,
        data_keys: Vec<EncryptedDataKey>,
        frame_length: u32,
        plaintext_len: u64,
    ) -> Result<Sealer, MessageError> {
        if let Some(reserved) = context.keys().find(|key| key.starts_with(RESERVED_CONTEXT)) {
            return Err(MessageError::ReservedContext(reserved.clone()));
        }
        if data_keys.is_empty() || frame_length == 0 || frame_length > i32::MAX as u32 {
            return Err(MessageError::Malformed("a message needs a data key and a frame length"));
        }
        if plaintext_len / u64::from(frame_length) >= u64::from(FINAL_MARK) - 1 {
            return Err(MessageError::TooLarge);
        }
        let suite = Suite::Committing;
        let message_id: [u8; MESSAGE_ID] = crate::random::random_bytes(MESSAGE_ID).try_into().expect("asked for 32 bytes");
        let (key, commitment) = derive(data_key, suite, &message_id)?;
        let mut bytes = vec![VERSION];
        bytes.extend_from_slice(&suite.id().to_be_bytes());
        bytes.extend_from_slice(&message_id);
        let serialized = serialize_context(&context)?;
        put_sized(&mut bytes, &serialized)?;
        put_u16(&mut bytes, data_keys.len())?;
        for data_key in &data_keys {
            put_sized(&mut bytes, data_key.provider_id.as_bytes())?;
            put_sized(&mut bytes, &data_key.provider_info)?;
            put_sized(&mut bytes, &data_key.ciphertext)?;
        }
        bytes.push(FRAMED);
        bytes.extend_from_slice(&frame_length.to_be_bytes());
        bytes.extend_from_slice(&commitment);
        let tag = key.seal_in_place_separate_tag(Nonce::assume_unique_for_key([0; NONCE_LEN]), Aad::from(&bytes[..]), &mut []).map_err(|_| MessageError::TooLarge)?;
        bytes.extend_from_slice(tag.as_ref());
        let header = Header { suite, message_id, context, data_keys, frame_length, commitment, bytes };
        Ok(Sealer { header, key, plaintext_len })
    }

    /// The message `header` began, continued under its data key (as an interrupted upload is), for a
    /// plaintext of `plaintext_len` bytes.
    pub fn resume(header: Header, data_key: &[u8], plaintext_len: u64) -> Result<Sealer, MessageError> {
        if header.suite != Suite::Committing {
            return Err(MessageError::UnsupportedSuite(header.suite.id()));
        }
        let key = check_header(&header, data_key)?;
        Ok(Sealer { header, key, plaintext_len })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    fn frame_length(&self) -> u64 {
        u64::from(self.header.frame_length)
    }

    /// Regular frames (the final one is after them).
    fn regular_frames(&self) -> u64 {
        self.plaintext_len / self.frame_length()
    }

    /// Where frame `index` (from 0; the final one is at `regular_frames`) starts in the message.
    fn frame_start(&self, index: u64) -> u64 {
        self.header.len() as u64 + index * (self.frame_length() + FRAME_OVERHEAD)
    }

    /// The frame the message byte at `offset` (past the header) belongs to.
    fn frame_at(&self, offset: u64) -> u64 {
        ((offset - self.header.len() as u64) / (self.frame_length() + FRAME_OVERHEAD)).min(self.regular_frames())
    }

    /// The message's length in bytes.
    pub fn message_len(&self) -> u64 {
        let rest = self.plaintext_len % self.frame_length();
        self.frame_start(self.regular_frames()) + rest + FINAL_OVERHEAD
    }

    /// The frames `range` of the message touches.
    fn frames_of(&self, range: &Range<u64>) -> Range<u64> {
        let header = self.header.len() as u64;
        if range.end <= header || range.is_empty() {
            return 0..0;
        }
        self.frame_at(range.start.max(header))..self.frame_at(range.end - 1) + 1
    }

    /// The plaintext bytes [`Sealer::seal`] needs to produce `range` of the message.
    pub fn plaintext_for(&self, range: Range<u64>) -> Range<u64> {
        let frames = self.frames_of(&range);
        if frames.is_empty() {
            return 0..0;
        }
        let frame = self.frame_length();
        frames.start * frame..(frames.end * frame).min(self.plaintext_len)
    }

    /// `range` of the message (within [`Sealer::message_len`]), from `plaintext`: the bytes
    /// [`Sealer::plaintext_for`] that range names.
    pub fn seal(&self, range: Range<u64>, plaintext: &[u8]) -> Result<Vec<u8>, MessageError> {
        if range.end > self.message_len() || range.start > range.end {
            return Err(MessageError::Malformed("the range is outside the message"));
        }
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let frames = self.frames_of(&range);
        let wanted = self.plaintext_for(range.clone());
        if plaintext.len() as u64 != wanted.end - wanted.start {
            return Err(MessageError::Malformed("the plaintext is not the range the frames need"));
        }
        let header = self.header.len() as u64;
        let produced_from = if range.start < header { 0 } else { self.frame_start(frames.start) };
        // Bytes of the first piece (the header, or the first frame) before the range: left out as it is
        // produced, so the rest is never moved.
        let mut skip = (range.start - produced_from) as usize;
        let mut out = Vec::with_capacity((range.end - range.start + frame_capacity(self.frame_length())) as usize);
        if range.start < header {
            out.extend_from_slice(&self.header.as_bytes()[skip..]);
            skip = 0;
        }
        let frame = self.frame_length();
        for index in frames {
            let from = (index * frame - wanted.start) as usize;
            let to = (((index + 1) * frame).min(self.plaintext_len) - wanted.start) as usize;
            if skip > 0 {
                let mut first = Vec::with_capacity(to - from + FINAL_OVERHEAD as usize);
                self.seal_frame(index, &plaintext[from..to], &mut first)?;
                out.extend_from_slice(&first[skip..]);
                skip = 0;
            } else {
                self.seal_frame(index, &plaintext[from..to], &mut out)?;
            }
        }
        out.truncate((range.end - range.start) as usize);
        Ok(out)
    }

    fn seal_frame(&self, index: u64, plaintext: &[u8], out: &mut Vec<u8>) -> Result<(), MessageError> {
        let last = index == self.regular_frames();
        let sequence = u32::try_from(index + 1).map_err(|_| MessageError::TooLarge)?;
        if last {
            out.extend_from_slice(&FINAL_MARK.to_be_bytes());
        }
        out.extend_from_slice(&sequence.to_be_bytes());
        out.extend_from_slice(frame_nonce(sequence).as_ref());
        if last {
            out.extend_from_slice(&(plaintext.len() as u32).to_be_bytes());
        }
        let start = out.len();
        out.extend_from_slice(plaintext);
        let aad = frame_aad(&self.header.message_id, last, sequence, plaintext.len());
        let tag = self.key.seal_in_place_separate_tag(frame_nonce(sequence), Aad::from(&aad[..]), &mut out[start..]).map_err(|_| MessageError::TooLarge)?;
        out.extend_from_slice(tag.as_ref());
        Ok(())
    }
}

/// The frame key of `header` under `data_key`, once its commitment and tag check out.
fn check_header(header: &Header, data_key: &[u8]) -> Result<LessSafeKey, MessageError> {
    let (key, commitment) = derive(data_key, header.suite, &header.message_id)?;
    if !constant_time_eq(&commitment, &header.commitment) {
        return Err(MessageError::WrongKey);
    }
    let mut tag = header.tag().to_vec();
    key.open_in_place(Nonce::assume_unique_for_key([0; NONCE_LEN]), Aad::from(header.body()), &mut tag).map_err(|_| MessageError::Tampered)?;
    Ok(key)
}

/// A field read from bytes that may not all be here yet: `None` while they are not.
fn whole<T>(result: Result<T, MessageError>) -> Result<Option<T>, MessageError> {
    match result {
        Err(MessageError::Truncated) => Ok(None),
        other => other.map(Some),
    }
}

enum Reading {
    Frames,
    Footer,
    Done,
}

/// Reads a message as a stream, after its header: every frame's plaintext once the frame is whole and
/// authentic. A signed message's signature is checked at its end, so plaintext is final only once
/// [`Opener::finish`] succeeds.
pub struct Opener {
    key: LessSafeKey,
    message_id: [u8; MESSAGE_ID],
    frame_length: usize,
    next: u32,
    /// A signed message's running SHA-384 and its public key.
    signature: Option<(digest::Context, Vec<u8>)>,
    reading: Reading,
    pending: Vec<u8>,
}

impl Opener {
    /// Opens the message `header` starts, under `data_key` (the plaintext of one of its data keys).
    pub fn new(header: &Header, data_key: &[u8]) -> Result<Opener, MessageError> {
        if header.frame_length > MAX_FRAME_LENGTH {
            return Err(MessageError::Malformed("its frames are longer than 64 MiB, more than this reads"));
        }
        let key = check_header(header, data_key)?;
        let signature = match header.suite {
            Suite::Committing => None,
            Suite::CommittingSigned => {
                let encoded = header.context.get(PUBLIC_KEY_CONTEXT).ok_or(MessageError::Malformed("a signed message names no public key"))?;
                let public_key = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(|_| MessageError::Malformed("the message's public key is not base64"))?;
                let mut context = digest::Context::new(&digest::SHA384);
                context.update(header.as_bytes());
                Some((context, public_key))
            }
        };
        Ok(Opener {
            key,
            message_id: header.message_id,
            frame_length: header.frame_length as usize,
            next: 1,
            signature,
            reading: Reading::Frames,
            pending: Vec::new(),
        })
    }

    /// Opens an unsigned message's frames from frame `index` (from 0) on, as a reader of one range of it
    /// does: the bytes it is given start at that frame. (A signature covers the whole message in order, so
    /// a signed message is read from its start.)
    pub fn from_frame(header: &Header, data_key: &[u8], index: u64) -> Result<Opener, MessageError> {
        if header.suite != Suite::Committing {
            return Err(MessageError::UnsupportedSuite(header.suite.id()));
        }
        let mut opener = Opener::new(header, data_key)?;
        opener.next = u32::try_from(index + 1).ok().filter(|next| *next != FINAL_MARK).ok_or(MessageError::TooLarge)?;
        Ok(opener)
    }

    /// Whether the bytes given so far end where a frame does, before the final one: a range of the
    /// message that is not its end is whole.
    pub fn between_frames(&self) -> bool {
        self.pending.is_empty() && matches!(self.reading, Reading::Frames)
    }

    /// Takes the next bytes of the message (after the header) and appends the plaintext of every frame
    /// they complete to `out`.
    ///
    /// Whole frames are opened straight from `bytes`; only a frame split across calls is gathered first
    /// (a frame at a time), so a large `bytes` is not copied whole.
    pub fn update(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), MessageError> {
        let mut pending = std::mem::take(&mut self.pending);
        let mut rest = bytes;
        let mut outcome = Ok(());
        // The longest a frame can be: a final frame's sequence marks, nonce, length, body and tag.
        let longest = 4 + 4 + NONCE_LEN + 4 + self.frame_length + TAG;
        while !pending.is_empty() && !rest.is_empty() && outcome.is_ok() {
            let taken = rest.len().min(longest);
            pending.extend_from_slice(&rest[..taken]);
            rest = &rest[taken..];
            let used;
            (used, outcome) = self.steps(&pending, out);
            pending.drain(..used);
        }
        if pending.is_empty() && outcome.is_ok() {
            let used;
            (used, outcome) = self.steps(rest, out);
            rest = &rest[used..];
        }
        pending.extend_from_slice(rest);
        self.pending = pending;
        outcome
    }

    /// Every whole frame at the start of `input`: the bytes they took, and what stopped them (an error,
    /// or `Ok` at a frame not yet whole).
    fn steps(&mut self, input: &[u8], out: &mut Vec<u8>) -> (usize, Result<(), MessageError>) {
        let mut used = 0;
        loop {
            match self.step(&input[used..], out) {
                Ok(Some(consumed)) => used += consumed,
                Ok(None) => return (used, Ok(())),
                Err(error) => return (used, Err(error)),
            }
        }
    }

    /// One frame (or the footer) from the start of `input`: the bytes it took, or `None` when it is not
    /// whole.
    fn step(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<Option<usize>, MessageError> {
        let reader = &mut Reader { bytes: input, at: 0 };
        match self.reading {
            Reading::Done if input.is_empty() => Ok(None),
            Reading::Done => Err(MessageError::Malformed("bytes follow the end of the message")),
            Reading::Footer => {
                let Some(signature) = whole(reader.sized())? else { return Ok(None) };
                let (context, public_key) = self.signature.take().ok_or(MessageError::Malformed("an unsigned message has a footer"))?;
                let digest = context.finish();
                signature::UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_ASN1, &public_key)
                    .verify_digest(&digest, signature)
                    .map_err(|_| MessageError::BadSignature)?;
                self.reading = Reading::Done;
                Ok(Some(reader.at))
            }
            Reading::Frames => {
                let Some(mut number) = whole(reader.u32())? else { return Ok(None) };
                let last = number == FINAL_MARK;
                if last {
                    let Some(final_number) = whole(reader.u32())? else { return Ok(None) };
                    number = final_number;
                }
                if number != self.next {
                    return Err(MessageError::Tampered);
                }
                let Some(iv) = whole(reader.take(NONCE_LEN))? else { return Ok(None) };
                let length = if last {
                    let Some(length) = whole(reader.u32())? else { return Ok(None) };
                    let length = length as usize;
                    if length > self.frame_length {
                        return Err(MessageError::Malformed("the final frame is longer than the frame length"));
                    }
                    length
                } else {
                    self.frame_length
                };
                let Some(sealed) = whole(reader.take(length + TAG))? else { return Ok(None) };
                if iv != frame_nonce(number).as_ref() {
                    return Err(MessageError::Tampered);
                }
                let start = out.len();
                out.extend_from_slice(sealed);
                let aad = frame_aad(&self.message_id, last, number, length);
                let opened = self.key.open_in_place(frame_nonce(number), Aad::from(&aad[..]), &mut out[start..]);
                if opened.is_err() {
                    out.truncate(start);
                    return Err(MessageError::Tampered);
                }
                out.truncate(start + length);
                if let Some((context, _)) = &mut self.signature {
                    context.update(&input[..reader.at]);
                }
                self.next = number.checked_add(1).ok_or(MessageError::TooLarge)?;
                if last {
                    self.reading = if self.signature.is_some() { Reading::Footer } else { Reading::Done };
                } else if self.next == FINAL_MARK {
                    return Err(MessageError::TooLarge);
                }
                Ok(Some(reader.at))
            }
        }
    }

    /// Says the message ended: whole, with its final frame (and signature) checked.
    pub fn finish(self) -> Result<(), MessageError> {
        match self.reading {
            Reading::Done if self.pending.is_empty() => Ok(()),
            Reading::Done => Err(MessageError::Malformed("bytes follow the end of the message")),
            _ => Err(MessageError::Truncated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_key() -> Vec<u8> {
        crate::random::random_bytes(32)
    }

    fn sealer(key: &[u8], frame: u32, length: u64) -> Sealer {
        let context = BTreeMap::from([("purpose".to_owned(), "test".to_owned()), ("a".to_owned(), "first".to_owned())]);
        let wrapped = vec![EncryptedDataKey { provider_id: PROVIDER_KMS.to_owned(), provider_info: b"arn:aws:kms:us-east-1:000000000000:key/k".to_vec(), ciphertext: vec![7; 40] }];
        Sealer::new(key, context, wrapped, frame, length).unwrap()
    }

    fn plaintext(length: usize) -> Vec<u8> {
        (0..length).map(|i| (i * 31 % 251) as u8).collect()
    }

    fn open(message: &[u8], key: &[u8], step: usize) -> Result<Vec<u8>, MessageError> {
        let mut header = None;
        let mut at = 0;
        while header.is_none() {
            at = (at + step).min(message.len());
            header = Header::parse(&message[..at])?;
            if header.is_none() && at == message.len() {
                return Err(MessageError::Truncated);
            }
        }
        let header = header.unwrap();
        let mut opener = Opener::new(&header, key)?;
        let mut out = Vec::new();
        for piece in message[header.len()..].chunks(step) {
            opener.update(piece, &mut out)?;
        }
        opener.finish()?;
        Ok(out)
    }

    #[test]
    fn a_message_opens_to_its_plaintext_read_in_any_pieces() {
        let key = data_key();
        for length in [0, 1, 99, 100, 101, 1000, 4096] {
            let plain = plaintext(length);
            let sealer = sealer(&key, 100, length as u64);
            let message = sealer.seal(0..sealer.message_len(), &plain).unwrap();
            assert_eq!(message.len() as u64, sealer.message_len());
            for step in [1, 7, 100, 250, 333, 1 << 20] {
                assert_eq!(open(&message, &key, step).unwrap(), plain, "length {length}, step {step}");
            }
        }
    }

    #[test]
    fn any_range_of_a_message_is_the_same_bytes_as_the_whole_message_there() {
        let key = data_key();
        let plain = plaintext(1050);
        let sealer = sealer(&key, 100, 1050);
        let whole = sealer.seal(0..sealer.message_len(), &plain).unwrap();
        let length = sealer.message_len();
        for start in (0..length).step_by(37) {
            for end in [start, start + 1, start + 150, start + 333, length].into_iter().filter(|end| *end <= length) {
                let needed = sealer.plaintext_for(start..end);
                let part = sealer.seal(start..end, &plain[needed.start as usize..needed.end as usize]).unwrap();
                assert_eq!(part, &whole[start as usize..end as usize], "{start}..{end}");
            }
        }
    }

    #[test]
    fn ranges_of_whole_frames_open_on_their_own_and_only_where_they_belong() {
        let key = data_key();
        for length in [0usize, 99, 100, 1050] {
            let plain = plaintext(length);
            let sealer = sealer(&key, 100, length as u64);
            let message = sealer.seal(0..sealer.message_len(), &plain).unwrap();
            let header = Header::parse(&message).unwrap().unwrap();
            let frames = Frames::of(&header, message.len() as u64).unwrap();
            assert_eq!(frames.plaintext_len(), length as u64);
            assert_eq!(frames.start(frames.count()), message.len() as u64);
            let mut opened = Vec::new();
            let cuts = [0, 3.min(frames.count()), 4.min(frames.count()), frames.count()];
            for (first, end) in cuts.windows(2).map(|cut| (cut[0], cut[1])).filter(|(first, end)| first < end) {
                let bytes = &message[frames.start(first) as usize..frames.start(end) as usize];
                let mut opener = Opener::from_frame(&header, &key, first).unwrap();
                let mut out = Vec::new();
                opener.update(bytes, &mut out).unwrap();
                assert_eq!(opener.between_frames(), end < frames.count(), "{first}..{end} of {}", frames.count());
                assert_eq!(frames.plaintext_start(first) as usize, opened.len());
                opened.extend(out);
                if end == frames.count() {
                    opener.finish().unwrap();
                }
            }
            assert_eq!(opened, plain, "length {length}");
            if frames.count() > 2 {
                // Frames opened as if they were others' never open.
                let bytes = &message[frames.start(1) as usize..frames.start(2) as usize];
                assert_eq!(Opener::from_frame(&header, &key, 0).unwrap().update(bytes, &mut Vec::new()), Err(MessageError::Tampered));
            }
        }
        let lengthened = Header::parse(sealer(&key, 100, 10).header().as_bytes()).unwrap().unwrap();
        assert!(Frames::of(&lengthened, lengthened.len() as u64 + 150).is_err(), "110 bytes past the final frame's overhead are no whole frames");
        assert!(Frames::of(&lengthened, 10).is_err());
    }

    #[test]
    fn a_resumed_message_seals_the_same_bytes_under_the_same_header() {
        let key = data_key();
        let plain = plaintext(500);
        let first = sealer(&key, 64, 500);
        let header = Header::parse(first.header().as_bytes()).unwrap().unwrap();
        let again = Sealer::resume(header.clone(), &key, 500).unwrap();
        assert_eq!(again.seal(0..again.message_len(), &plain).unwrap(), first.seal(0..first.message_len(), &plain).unwrap());
        assert_eq!(Sealer::resume(header, &data_key(), 500).unwrap_err(), MessageError::WrongKey);
    }

    #[test]
    fn another_data_key_a_changed_byte_or_a_cut_message_never_opens() {
        let key = data_key();
        let plain = plaintext(300);
        let sealer = sealer(&key, 100, 300);
        let message = sealer.seal(0..sealer.message_len(), &plain).unwrap();
        assert_eq!(open(&message, &data_key(), 64).unwrap_err(), MessageError::WrongKey);
        for at in 0..message.len() {
            let mut changed = message.clone();
            changed[at] ^= 0x01;
            assert!(open(&changed, &key, 64).is_err(), "a flip at byte {at} went unnoticed");
        }
        for length in 0..message.len() {
            assert!(open(&message[..length], &key, 64).is_err(), "cut at {length}");
        }
        let mut longer = message.clone();
        longer.push(0);
        assert!(open(&longer, &key, 64).is_err());
    }

    #[test]
    fn the_header_says_what_it_holds_and_refuses_what_it_cannot_read() {
        let key = data_key();
        let sealer = sealer(&key, 4096, 10);
        let header = Header::parse(sealer.header().as_bytes()).unwrap().unwrap();
        assert_eq!(header.suite.id(), 0x0478);
        assert_eq!(header.frame_length, 4096);
        assert_eq!(header.context.get("purpose").map(String::as_str), Some("test"));
        assert_eq!(header.data_keys[0].provider_id, PROVIDER_KMS);
        assert_eq!(&header, sealer.header());
        assert_eq!(Header::parse(&sealer.header().as_bytes()[..20]).unwrap(), None);
        // A version 1 message with the non-committing suite 0x0178.
        assert_eq!(Header::parse(&[1, 0x80, 0x01, 0x78, 0, 0]).unwrap_err(), MessageError::UnsupportedSuite(0x0178));
        assert_eq!(Header::parse(&[2, 0x01, 0x78]).unwrap_err(), MessageError::UnsupportedSuite(0x0178));
        assert!(matches!(Header::parse(&[9; 64]).unwrap_err(), MessageError::Malformed(_)));
        let huge = Sealer::new(&key, BTreeMap::new(), sealer.header().data_keys.clone(), MAX_FRAME_LENGTH + 1, 10).unwrap();
        assert!(matches!(Opener::new(huge.header(), &key).err(), Some(MessageError::Malformed(_))), "a frame too long to hold is refused");
        let reserved = BTreeMap::from([(PUBLIC_KEY_CONTEXT.to_owned(), "x".to_owned())]);
        let wrapped = sealer.header().data_keys.clone();
        assert!(matches!(Sealer::new(&key, reserved, wrapped, 4096, 1).unwrap_err(), MessageError::ReservedContext(_)));
    }
}

