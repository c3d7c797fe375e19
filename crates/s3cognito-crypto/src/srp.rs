//! Cognito's SRP-6a (USER_SRP_AUTH answered by PASSWORD_VERIFIER), server and client side,
//! computed exactly as amazon-cognito-identity-js, Amplify, pycognito and the AWS SDK helpers
//! compute it, so that those clients sign in against us unchanged.
//!
//! The group is RFC 3526's 3072-bit prime `N` with `g = 2`, `H` is SHA-256, and every number that
//! is hashed is first written as the clients write it (`padHex` in amazon-cognito-identity-js):
//! its minimal big-endian bytes, with a leading zero byte when the top bit is set, so that it
//! would read back as a positive two's-complement number. With `‖` for concatenation:
//!
//! ```text
//! k = H(pad(N) ‖ pad(g))                      u = H(pad(A) ‖ pad(B))
//! x = H(pad(salt) ‖ H(poolName ‖ username ‖ ":" ‖ password))       v = g^x mod N
//! server: B = (k·v + g^b) mod N               S = (A · v^u)^b mod N
//! client: A = g^a mod N                       S = (B − k·g^x)^(a + u·x) mod N
//! K = HKDF-SHA256(ikm = pad(S), salt = pad(u), info = "Caldera Derived Key"), 16 bytes
//! PASSWORD_CLAIM_SIGNATURE = base64(HMAC-SHA256(K, poolName ‖ username ‖ SECRET_BLOCK ‖ TIMESTAMP))
//! ```
//!
//! `poolName` is the part of the pool id after `_` ([`pool_suffix`]), `username` is the internal
//! username (`USER_ID_FOR_SRP`, never an alias), `SECRET_BLOCK` enters the MAC base64-decoded and
//! `TIMESTAMP` is the client's string in the form [`cognito_timestamp`] writes.
//!
//! Hex we send (`SRP_A`, `SRP_B`, `SALT`) is the minimal bytes of the number, lowercase: a leading
//! `00` byte would be kept by byte-oriented clients (aws-cognito-srp) and dropped by numeric ones
//! (the JavaScript and Python libraries), and the two would then hash different salts.
//!
//! The big-number arithmetic (num-bigint) is not constant-time; aws-lc-rs does not expose its
//! own. The exponents it handles are fresh per sign-in or derived from the password through a
//! hash, and the comparison that decides a sign-in is constant-time.

use std::fmt;
use std::sync::LazyLock;

use aws_lc_rs::hkdf;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use num_bigint::BigUint;

use crate::compare::constant_time_eq;
use crate::digest::{hmac_sha256, sha256};
use crate::random::random_bytes;

/// RFC 3526's 3072-bit MODP prime, the `N` every Cognito client hard-codes.
pub const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64",
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B",
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31",
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

/// The generator.
pub const G: u32 = 2;

/// HKDF's `info`; the name is historical (Cognito's internal codename) and fixed by the clients.
pub const DERIVED_KEY_INFO: &str = "Caldera Derived Key";

/// Bytes of `N`; verifiers are stored at this fixed width so their length says nothing.
pub const VERIFIER_LEN: usize = 384;

/// Length of the derived key `K`.
const DERIVED_KEY_LEN: usize = 16;
/// Salt size of Cognito's own verifiers and of the device verifiers clients generate.
const SALT_LEN: usize = 16;
/// The client secret `a` is 128 random bytes in amazon-cognito-identity-js; we match it.
const CLIENT_SECRET_LEN: usize = 128;
/// 256 random bits for the server secret `b`: the discrete-log strength of a 3072-bit group is
/// about 128 bits, which a 256-bit exponent already matches, and `(A·v^u)^b` stays cheap.
const SERVER_SECRET_LEN: usize = 32;

struct Group {
    n: BigUint,
    g: BigUint,
    k: BigUint,
}

static GROUP: LazyLock<Group> = LazyLock::new(|| {
    let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("N_HEX is a hexadecimal constant");
    let g = BigUint::from(G);
    let k = hash_to_int(&[&pad(&n), &pad(&g)]);
    Group { n, g, k }
});

/// Why SRP input was refused. The `&'static str` names the parameter as Cognito's API does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrpError {
    #[error("{0} is not a hexadecimal number")]
    NotHex(&'static str),
    #[error("{0} is zero modulo N")]
    ZeroModN(&'static str),
    #[error("{0} is not less than N")]
    NotLessThanN(&'static str),
    #[error("{0} is not valid base64")]
    NotBase64(&'static str),
    /// `u = H(A ‖ B)` came out zero; SRP-6a forbids going on (probability 2^-256).
    #[error("the scrambling parameter u is zero")]
    ZeroScrambler,
    /// The stored verifier is empty, zero or not less than `N`: corrupt storage, never client input.
    #[error("the stored SRP verifier is invalid")]
    InvalidVerifier,
    /// A secret exponent (`a` or `b`) that is empty or zero.
    #[error("the SRP secret exponent is zero")]
    InvalidSecret,
    /// The `SRP_B` handed to the check is not the one `b` and the verifier give: stored
    /// challenge state that does not belong together.
    #[error("SRP_B does not match the server secret and verifier")]
    MismatchedServerPublic,
}

/// The part of a pool id after `_` (`us-east-1_AbC123` → `AbC123`), taken the way the clients
/// take it (`split('_')[1]`), so an id with a second `_` gives the same answer they compute.
pub fn pool_suffix(pool_id: &str) -> Option<&str> {
    pool_id.split('_').nth(1)
}

/// What a user pool stores for SRP instead of a password.
#[derive(Clone, PartialEq, Eq)]
pub struct SrpVerifier {
    /// 16 random bytes as [`salt_hex`] writes them; sent as `SALT`.
    pub salt_hex: String,
    /// `v = g^x mod N`, big-endian, [`VERIFIER_LEN`] bytes. Enough for an offline guess at the
    /// password, so store it sealed (see [`crate::aead`]).
    pub verifier: Vec<u8>,
}

impl fmt::Debug for SrpVerifier {
    // The verifier allows offline guessing, so it stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrpVerifier")
            .field("salt_hex", &self.salt_hex)
            .field("verifier", &"<redacted>")
            .finish()
    }
}

/// A fresh salt and the verifier of `password` for `username` in the pool whose id ends in
/// `pool_suffix`.
pub fn new_verifier(pool_suffix: &str, username: &str, password: &str) -> SrpVerifier {
    let salt = random_bytes(SALT_LEN);
    let x = compute_x(
        pool_suffix,
        username,
        password,
        &BigUint::from_bytes_be(&salt),
    );
    SrpVerifier {
        salt_hex: salt_hex(&salt),
        verifier: to_fixed_width(&GROUP.g.modpow(&x, &GROUP.n)),
    }
}

/// The verifier of `password` under an existing salt (e.g. to check a stored verifier).
pub fn verifier_for_salt(
    pool_suffix: &str,
    username: &str,
    password: &str,
    salt_hex: &str,
) -> Result<Vec<u8>, SrpError> {
    let salt = parse_hex("SALT", salt_hex)?;
    let x = compute_x(pool_suffix, username, password, &salt);
    Ok(to_fixed_width(&GROUP.g.modpow(&x, &GROUP.n)))
}

/// Salt bytes written as `SALT` is written for real users: lowercase hex of the number's minimal
/// bytes. A stand-in challenge for an unknown user should spell its salt this way too, or its
/// format alone (odd length, say) would tell that the user does not exist.
pub fn salt_hex(salt: &[u8]) -> String {
    to_hex(&BigUint::from_bytes_be(salt))
}

/// A client's `SRP_A`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPublic(BigUint);

impl ClientPublic {
    /// `A` as lowercase minimal hex.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }
}

/// Parses `SRP_A`, refusing what SRP-6a requires a server to refuse (`A mod N == 0`, which would
/// let a client compute `S = 0` without the password) and anything not less than `N`, which no
/// honest client sends (`A = g^a mod N`).
pub fn parse_client_public(srp_a_hex: &str) -> Result<ClientPublic, SrpError> {
    parse_public("SRP_A", srp_a_hex).map(ClientPublic)
}

/// The server's half of one sign-in, kept (sealed) until the client's PASSWORD_VERIFIER answer.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerEphemeral {
    /// The secret exponent `b`, big-endian.
    pub b: Vec<u8>,
    /// `B`, sent as `SRP_B`.
    pub srp_b_hex: String,
}

impl fmt::Debug for ServerEphemeral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerEphemeral")
            .field("b", &"<redacted>")
            .field("srp_b_hex", &self.srp_b_hex)
            .finish()
    }
}

/// A fresh `b` and `B = (k·v + g^b) mod N` for a stored verifier.
///
/// Infallible so that a stand-in challenge for an unknown user (random bytes as the verifier)
/// takes the same path as a real one. A verifier [`verify_claim`] would refuse (zero mod `N`,
/// corrupt) still yields a `B`; the refusal comes at the claim check, which is where it matters.
pub fn server_ephemeral(verifier: &[u8]) -> ServerEphemeral {
    let v = BigUint::from_bytes_be(verifier) % &GROUP.n;
    loop {
        let b = random_bytes(SERVER_SECRET_LEN);
        let b_int = BigUint::from_bytes_be(&b);
        // A zero exponent or a B that is zero mod N would leak v or be refused by the client;
        // both are astronomically unlikely, so drawing again costs nothing in practice.
        if b_int == BigUint::ZERO {
            continue;
        }
        let big_b = server_public(&v, &b_int);
        if big_b != BigUint::ZERO {
            return ServerEphemeral {
                b,
                srp_b_hex: to_hex(&big_b),
            };
        }
    }
}

/// Everything the server has when it checks a PASSWORD_VERIFIER answer. Owned, so a check can
/// move into `spawn_blocking` (the exponentiations take milliseconds).
#[derive(Clone, PartialEq, Eq)]
pub struct ServerClaimCheck {
    pub pool_suffix: String,
    /// The internal username, the one sent as `USER_ID_FOR_SRP`.
    pub username: String,
    /// The `SALT` sent. The server side of SRP never uses the salt (it is inside `v`); it is
    /// only checked to be hex, as a sign that the stored challenge state is intact.
    pub salt_hex: String,
    pub verifier: Vec<u8>,
    /// The `SRP_A` the client sent with InitiateAuth.
    pub srp_a_hex: String,
    /// [`ServerEphemeral::b`] of this sign-in.
    pub b: Vec<u8>,
    /// [`ServerEphemeral::srp_b_hex`] of this sign-in; must match `b` and the verifier.
    pub srp_b_hex: String,
    /// `PASSWORD_CLAIM_SECRET_BLOCK`, once the caller has checked it is the block it issued.
    pub secret_block_b64: String,
    /// `TIMESTAMP` exactly as the client sent it.
    pub timestamp: String,
    /// `PASSWORD_CLAIM_SIGNATURE`.
    pub claimed_signature_b64: String,
}

impl fmt::Debug for ServerClaimCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerClaimCheck")
            .field("pool_suffix", &self.pool_suffix)
            .field("username", &self.username)
            .field("srp_a_hex", &self.srp_a_hex)
            .field("srp_b_hex", &self.srp_b_hex)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

/// Whether the client's claim signature proves knowledge of the password.
///
/// `Ok(false)` for a wrong password, a signature that is not base64 or `u == 0`; `Err` when the
/// server's own material is unusable (bad `SRP_A`, verifier, `b`, `SRP_B` that does not belong to
/// them, secret block), which the caller should treat as a failed sign-in as well.
pub fn verify_claim(check: &ServerClaimCheck) -> Result<bool, SrpError> {
    let a_pub = parse_public("SRP_A", &check.srp_a_hex)?;
    let v = parse_verifier(&check.verifier)?;
    let b = parse_secret(&check.b)?;
    parse_hex("SALT", &check.salt_hex)?;
    let secret_block = decode_base64("SECRET_BLOCK", &check.secret_block_b64)?;
    // Recomputed rather than trusted: a B from another sign-in would otherwise be hashed into u.
    let b_pub = server_public(&v, &b);
    if parse_public("SRP_B", &check.srp_b_hex)? != b_pub {
        return Err(SrpError::MismatchedServerPublic);
    }
    let u = hash_to_int(&[&pad(&a_pub), &pad(&b_pub)]);
    if u == BigUint::ZERO {
        return Ok(false);
    }
    let n = &GROUP.n;
    let s = (a_pub * v.modpow(&u, n) % n).modpow(&b, n);
    let expected = claim_signature(
        &derive_key(&s, &u),
        &check.pool_suffix,
        &check.username,
        &secret_block,
        &check.timestamp,
    );
    let Ok(claimed) = BASE64.decode(&check.claimed_signature_b64) else {
        return Ok(false);
    };
    Ok(constant_time_eq(&expected, &claimed))
}

/// The client's half of one sign-in.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientEphemeral {
    a: BigUint,
    /// `A`, sent as `SRP_A`.
    pub srp_a_hex: String,
}

impl fmt::Debug for ClientEphemeral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientEphemeral")
            .field("a", &"<redacted>")
            .field("srp_a_hex", &self.srp_a_hex)
            .finish()
    }
}

impl ClientEphemeral {
    /// A client ephemeral from a chosen secret `a` (big-endian). Only known-answer tests want
    /// this; real sign-ins use [`client_ephemeral`].
    pub fn from_secret(a: &[u8]) -> Result<Self, SrpError> {
        let a = parse_secret(a)? % &GROUP.n;
        if a == BigUint::ZERO {
            return Err(SrpError::InvalidSecret);
        }
        let big_a = GROUP.g.modpow(&a, &GROUP.n);
        Ok(Self {
            srp_a_hex: to_hex(&big_a),
            a,
        })
    }
}

/// A fresh `a` (128 random bytes, as amazon-cognito-identity-js draws it) and `A = g^a mod N`.
pub fn client_ephemeral() -> ClientEphemeral {
    loop {
        // Only an all-zero draw (probability 2^-1024) fails; draw again rather than fail.
        if let Ok(ephemeral) = ClientEphemeral::from_secret(&random_bytes(CLIENT_SECRET_LEN)) {
            return ephemeral;
        }
    }
}

/// `PASSWORD_CLAIM_SIGNATURE` for a PASSWORD_VERIFIER challenge: `username` is
/// `USER_ID_FOR_SRP`, `salt_hex`, `srp_b_hex` and `secret_block_b64` are `SALT`, `SRP_B` and
/// `SECRET_BLOCK`, and `timestamp` is the `TIMESTAMP` to be sent (from [`cognito_timestamp`]).
/// Refuses `B mod N == 0` (SRP-6a requires it and every Cognito client checks it) and `u == 0`.
// The arguments are the challenge's parameters one for one, in the order callers hold them; a
// struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub fn client_claim(
    ephemeral: &ClientEphemeral,
    pool_suffix: &str,
    username: &str,
    password: &str,
    salt_hex: &str,
    srp_b_hex: &str,
    secret_block_b64: &str,
    timestamp: &str,
) -> Result<String, SrpError> {
    let b_pub = parse_public("SRP_B", srp_b_hex)?;
    let salt = parse_hex("SALT", salt_hex)?;
    let secret_block = decode_base64("SECRET_BLOCK", secret_block_b64)?;
    let n = &GROUP.n;
    let a_pub = GROUP.g.modpow(&ephemeral.a, n);
    let u = hash_to_int(&[&pad(&a_pub), &pad(&b_pub)]);
    if u == BigUint::ZERO {
        return Err(SrpError::ZeroScrambler);
    }
    let x = compute_x(pool_suffix, username, password, &salt);
    // B − k·g^x, kept non-negative by adding N, which k·g^x mod N is below.
    let kgx = &GROUP.k * GROUP.g.modpow(&x, n) % n;
    let base = (b_pub + n - kgx) % n;
    let s = base.modpow(&(&ephemeral.a + &u * &x), n);
    let signature = claim_signature(
        &derive_key(&s, &u),
        pool_suffix,
        username,
        &secret_block,
        timestamp,
    );
    Ok(BASE64.encode(signature))
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `TIMESTAMP` as the clients write it: `ddd MMM D HH:mm:ss UTC YYYY` in English, the day of the
/// month not zero-padded (`Sun Nov 2 04:05:06 UTC 2026`).
pub fn cognito_timestamp(epoch_seconds: i64) -> String {
    let days = epoch_seconds.div_euclid(86_400);
    let second_of_day = epoch_seconds.rem_euclid(86_400);
    let (year, month, day) = crate::calendar::civil_from_days(days);
    // 1970-01-01 was a Thursday, index 4 from Sunday.
    let weekday = (days + 4).rem_euclid(7) as usize;
    format!(
        "{} {} {} {:02}:{:02}:{:02} UTC {}",
        WEEKDAYS[weekday],
        MONTHS[(month - 1) as usize],
        day,
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        year,
    )
}

/// The epoch seconds of a `TIMESTAMP` in exactly the form [`cognito_timestamp`] writes (right
/// weekday, unpadded day, years 0–65535), for callers that bound the clients' clock skew.
pub fn parse_cognito_timestamp(timestamp: &str) -> Option<i64> {
    let fields: Vec<&str> = timestamp.split(' ').collect();
    let [_weekday, month, day, time, "UTC", year] = fields.as_slice() else {
        return None;
    };
    let month = MONTHS.iter().position(|name| name == month)? as i64 + 1;
    let day: i64 = day.parse().ok()?;
    let year: u16 = year.parse().ok()?;
    let [hours, minutes, seconds] = time.split(':').collect::<Vec<_>>()[..] else {
        return None;
    };
    let hours: u8 = hours.parse().ok()?;
    let minutes: u8 = minutes.parse().ok()?;
    let seconds: u8 = seconds.parse().ok()?;
    if !(1..=31).contains(&day) || hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    let epoch = crate::calendar::days_from_civil(i64::from(year), month, day) * 86_400
        + i64::from(hours) * 3600
        + i64::from(minutes) * 60
        + i64::from(seconds);
    // Writing it back catches a wrong weekday, an impossible date (Feb 30 rolls into March) and
    // every non-canonical spelling (padding, signs) that the number parsers let through.
    (cognito_timestamp(epoch) == timestamp).then_some(epoch)
}

/// `padHex`: minimal big-endian bytes (a single `00` for zero), with a `00` byte in front when
/// the top bit is set.
fn pad(n: &BigUint) -> Vec<u8> {
    let mut bytes = n.to_bytes_be();
    if bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    bytes
}

/// Lowercase hex of the minimal bytes; see the module notes on why whole bytes.
fn to_hex(n: &BigUint) -> String {
    hex::encode(n.to_bytes_be())
}

fn to_fixed_width(n: &BigUint) -> Vec<u8> {
    let bytes = n.to_bytes_be();
    let mut out = vec![0u8; VERIFIER_LEN - bytes.len()];
    out.extend_from_slice(&bytes);
    out
}

fn hash_to_int(parts: &[&[u8]]) -> BigUint {
    BigUint::from_bytes_be(&sha256(&parts.concat()))
}

/// Hex as the clients read it: any case, odd length allowed, nothing else. (num-bigint's own
/// parser also accepts `+` and `_`, which must not reach a hash.)
fn parse_hex(field: &'static str, text: &str) -> Result<BigUint, SrpError> {
    if text.is_empty() || !text.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(SrpError::NotHex(field));
    }
    let even = if !text.len().is_multiple_of(2) {
        format!("0{text}")
    } else {
        text.to_owned()
    };
    let bytes = hex::decode(even).map_err(|_| SrpError::NotHex(field))?;
    Ok(BigUint::from_bytes_be(&bytes))
}

fn parse_public(field: &'static str, text: &str) -> Result<BigUint, SrpError> {
    let value = parse_hex(field, text)?;
    if &value % &GROUP.n == BigUint::ZERO {
        return Err(SrpError::ZeroModN(field));
    }
    if value >= GROUP.n {
        return Err(SrpError::NotLessThanN(field));
    }
    Ok(value)
}

fn parse_verifier(bytes: &[u8]) -> Result<BigUint, SrpError> {
    let v = BigUint::from_bytes_be(bytes);
    if v == BigUint::ZERO || v >= GROUP.n {
        return Err(SrpError::InvalidVerifier);
    }
    Ok(v)
}

fn parse_secret(bytes: &[u8]) -> Result<BigUint, SrpError> {
    let secret = BigUint::from_bytes_be(bytes);
    if secret == BigUint::ZERO {
        return Err(SrpError::InvalidSecret);
    }
    Ok(secret)
}

fn decode_base64(field: &'static str, text: &str) -> Result<Vec<u8>, SrpError> {
    BASE64.decode(text).map_err(|_| SrpError::NotBase64(field))
}

fn compute_x(pool_suffix: &str, username: &str, password: &str, salt: &BigUint) -> BigUint {
    let identity = sha256(format!("{pool_suffix}{username}:{password}").as_bytes());
    hash_to_int(&[&pad(salt), &identity])
}

fn server_public(v: &BigUint, b: &BigUint) -> BigUint {
    let n = &GROUP.n;
    (&GROUP.k * v + GROUP.g.modpow(b, n)) % n
}

/// aws-lc-rs sizes HKDF output through this trait.
struct DerivedKeyLen;

impl hkdf::KeyType for DerivedKeyLen {
    fn len(&self) -> usize {
        DERIVED_KEY_LEN
    }
}

fn derive_key(s: &BigUint, u: &BigUint) -> [u8; DERIVED_KEY_LEN] {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &pad(u)).extract(&pad(s));
    let info = [DERIVED_KEY_INFO.as_bytes()];
    // Both can only fail for lengths over 255 hash blocks or a buffer of the wrong size, and
    // both lengths here are the same constant.
    let okm = prk
        .expand(&info, DerivedKeyLen)
        .expect("16 bytes is a valid HKDF-SHA256 output length");
    let mut key = [0u8; DERIVED_KEY_LEN];
    okm.fill(&mut key)
        .expect("the buffer has the length asked of HKDF");
    key
}

fn claim_signature(
    key: &[u8],
    pool_suffix: &str,
    username: &str,
    secret_block: &[u8],
    timestamp: &str,
) -> [u8; 32] {
    let message = [
        pool_suffix.as_bytes(),
        username.as_bytes(),
        secret_block,
        timestamp.as_bytes(),
    ]
    .concat();
    hmac_sha256(key, &message)
}
