//! Cognito SRP against three independent implementations: pycognito and
//! amazon-cognito-identity-js (fixed vectors in `srp_vectors/`), and the `aws-cognito-srp` crate
//! (live, its client against our server); plus our own client against our server, input
//! refusals and the TIMESTAMP format.

use aws_cognito_srp::{SrpClient, User};
use num_bigint::BigUint;
use s3cognito_crypto::random::{random_alphanumeric, random_bytes, random_from_alphabet};
use s3cognito_crypto::srp::{
    ClientEphemeral, N_HEX, ServerClaimCheck, SrpError, VERIFIER_LEN, client_claim,
    client_ephemeral, cognito_timestamp, new_verifier, parse_client_public,
    parse_cognito_timestamp, pool_suffix, salt_hex, server_ephemeral, verifier_for_salt,
    verify_claim,
};
use serde_json::Value;

fn n() -> BigUint {
    BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap()
}

/// Hex strings compared as numbers: clients write the same value with or without a leading
/// zero nibble.
fn same_number(left: &str, right: &str) -> bool {
    BigUint::parse_bytes(left.as_bytes(), 16) == BigUint::parse_bytes(right.as_bytes(), 16)
}

/// One sign-in as the service will run it: verifier stored at sign-up, then InitiateAuth
/// (A in, B out) and RespondToAuthChallenge (claim in).
struct SignIn {
    pool_suffix: String,
    username: String,
    salt_hex: String,
    verifier: Vec<u8>,
    srp_a_hex: String,
    b: Vec<u8>,
    srp_b_hex: String,
    secret_block_b64: String,
    timestamp: String,
}

impl SignIn {
    fn start(pool_suffix: &str, username: &str, password: &str, srp_a_hex: &str) -> Self {
        let stored = new_verifier(pool_suffix, username, password);
        parse_client_public(srp_a_hex).expect("an honest client's A is accepted");
        let server = server_ephemeral(&stored.verifier);
        Self {
            pool_suffix: pool_suffix.to_owned(),
            username: username.to_owned(),
            salt_hex: stored.salt_hex,
            verifier: stored.verifier,
            srp_a_hex: srp_a_hex.to_owned(),
            b: server.b,
            srp_b_hex: server.srp_b_hex,
            secret_block_b64: base64_of(&random_bytes(64)),
            timestamp: cognito_timestamp(1_793_592_306),
        }
    }

    fn check(&self, signature: &str) -> ServerClaimCheck {
        ServerClaimCheck {
            pool_suffix: self.pool_suffix.clone(),
            username: self.username.clone(),
            salt_hex: self.salt_hex.clone(),
            verifier: self.verifier.clone(),
            srp_a_hex: self.srp_a_hex.clone(),
            b: self.b.clone(),
            srp_b_hex: self.srp_b_hex.clone(),
            secret_block_b64: self.secret_block_b64.clone(),
            timestamp: self.timestamp.clone(),
            claimed_signature_b64: signature.to_owned(),
        }
    }

    fn our_claim(&self, client: &ClientEphemeral, password: &str) -> String {
        client_claim(
            client,
            &self.pool_suffix,
            &self.username,
            password,
            &self.salt_hex,
            &self.srp_b_hex,
            &self.secret_block_b64,
            &self.timestamp,
        )
        .unwrap()
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Usernames of the shapes pools hold: UUIDs (pools signed in by email), plain names, emails,
/// and non-ASCII names, whose UTF-8 bytes are what the clients hash.
fn random_username(i: usize) -> String {
    match i % 4 {
        0 => format!(
            "{}-{}-4{}-a{}-{}",
            random_from_alphabet(8, b"0123456789abcdef"),
            random_from_alphabet(4, b"0123456789abcdef"),
            random_from_alphabet(3, b"0123456789abcdef"),
            random_from_alphabet(3, b"0123456789abcdef"),
            random_from_alphabet(12, b"0123456789abcdef"),
        ),
        1 => random_alphanumeric(1 + i % 20),
        2 => format!("{}@example.com", random_alphanumeric(6)),
        _ => format!("ユーザー{}Ü", random_alphanumeric(3)),
    }
}

fn random_password(i: usize) -> String {
    let base = random_from_alphabet(
        8 + i % 24,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*():_ ",
    );
    if i.is_multiple_of(3) {
        format!("{base}é✓")
    } else {
        base
    }
}

fn top_bit_set(hex: &str) -> bool {
    hex.len().is_multiple_of(2) && matches!(hex.as_bytes()[0], b'8'..=b'9' | b'a'..=b'f')
}

#[test]
fn group_is_the_rfc_3526_3072_bit_prime() {
    let n = n();
    assert_eq!(n.bits(), 3072);
    // A mistyped digit would almost surely fail Fermat's test for either base.
    let exponent = &n - 1u32;
    for base in [2u32, 3] {
        assert_eq!(
            BigUint::from(base).modpow(&exponent, &n),
            BigUint::from(1u32)
        );
    }
}

#[test]
fn pool_suffix_is_the_part_after_the_underscore() {
    assert_eq!(pool_suffix("us-east-1_AbC123xyZ"), Some("AbC123xyZ"));
    assert_eq!(pool_suffix("a_b_c"), Some("b"));
    assert_eq!(pool_suffix("nounderscore"), None);
}

/// Vectors computed by pycognito and confirmed by amazon-cognito-identity-js (see the README
/// there): our verifier, our client's A and claim, and our server's check must all agree.
#[test]
fn matches_pycognito_and_amazon_cognito_identity_js() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("srp_vectors/cases.json")).unwrap();
    assert_eq!(cases.len(), 4);
    for case in &cases {
        let field = |name: &str| case[name].as_str().unwrap().to_owned();
        let (pool, username, password) = (field("pool_name"), field("username"), field("password"));
        assert_eq!(pool_suffix(&field("pool_id")), Some(pool.as_str()));

        let verifier = verifier_for_salt(&pool, &username, &password, &field("salt_hex")).unwrap();
        assert_eq!(
            verifier,
            hex::decode(field("verifier")).unwrap(),
            "{username}"
        );

        let a = hex::decode(format!("{:0>256}", field("a"))).unwrap();
        let client = ClientEphemeral::from_secret(&a).unwrap();
        assert!(same_number(&client.srp_a_hex, &field("srp_a_hex")));

        let claim = |password: &str| {
            client_claim(
                &client,
                &pool,
                &username,
                password,
                &field("salt_hex"),
                &field("srp_b_hex"),
                &field("secret_block"),
                &field("timestamp"),
            )
            .unwrap()
        };
        assert_eq!(claim(&password), field("signature"));

        let mut check = ServerClaimCheck {
            pool_suffix: pool.clone(),
            username: username.clone(),
            salt_hex: field("salt_hex"),
            verifier,
            srp_a_hex: field("srp_a_hex"),
            b: hex::decode(field("b")).unwrap(),
            srp_b_hex: field("srp_b_hex"),
            secret_block_b64: field("secret_block"),
            timestamp: field("timestamp"),
            claimed_signature_b64: field("signature"),
        };
        assert_eq!(verify_claim(&check), Ok(true), "{username}");
        check.claimed_signature_b64 = claim(&format!("{password}x"));
        assert_eq!(verify_claim(&check), Ok(false), "{username}");
    }
}

/// The unit-test vectors of the aws-cognito-srp crate (its `a` is 128 bytes of 0x01), which that
/// crate's integration tests also run against real Cognito.
#[test]
fn matches_aws_cognito_srp_known_answers() {
    let client = ClientEphemeral::from_secret(&[1u8; 128]).unwrap();
    assert_eq!(
        client.srp_a_hex,
        "b1ce118779e27c1c015d7a226ecae2ea1fcd017049e4f5c6f9908c686d496dce12a1c017a7523d43e2f3a6bb7e75e266bab0471e0720030edb64d8b5aef428356bc72198d41d319cf36eb0c4b4063fb99f90bc3b25b0d1196f84836bc05be0dfe1e6d1e21ba4c77098f6e6119127981395b0f4da67e26f63ecbfb2ded5d9c091c9850c08f0c372e5101df27967250254d6748a75c9be2f59324d31241f950d79224af0d5ff1c169af541b04a063bd0d4f79216a9da1e1874bc041b97ca2d456310f0b29f3644eca4d0e0c21660cbc5774a7319746bf53024a3bbb9c1251002854d1e6fac951d3a160771cdaf681a95e8cd51eb0630c825cd6227f22edefd35b3789df41dfca6cbd4d90e90ec7e38d3cbdf2b5f3534b016267f6a42190690d4225131811c6ea3b8265cff2fc44497887995eb95357747c3db40dab7199af3b9cbaba28a75d800d809421c5da1b0a24ec3120b3738750dcd42a61d1e9d272118ec2e6db632c241ab33558502dc9bbac1f4a34b3243082b89dcc0620a626d83a483"
    );
    let secret_block = "9ae77ec7154c14dcc487b47707fee4b4920cb96d8a8c045e4c8df879a7b375524aa736acdec6c9ad4ea606774d00621b";
    // The second pair has odd-length SALT and SRP_B, which the clients pad with a leading 0.
    for (salt_and_b, signature) in [
        (
            "36ef01c6dde9fe503da333b1acc758ba",
            "apNSb5GZpJciVc6cVNkDf4elCMoWUZcH4aukLlMPiFA=",
        ),
        ("36ef01c", "bVzjSe43mY37A6ZuzEVU5cr6QY1WeV3BPfdVJo0c2/8="),
    ] {
        let claim = client_claim(
            &client,
            "abc",
            "user_id",
            "password",
            salt_and_b,
            salt_and_b,
            secret_block,
            "Mon Feb 10 18:30:12 UTC 2025",
        );
        assert_eq!(claim.unwrap(), signature);
    }
}

/// 200 sign-ins with random usernames and passwords all succeed, and the same with a wrong password
/// all fail. About half of the salts, A and B have their top bit set (a `00` in front when hashed),
/// so both sides of the padding rule are crossed many times.
#[test]
fn our_client_signs_in_to_our_server_200_times() {
    let (mut a_top, mut b_top, mut salt_top) = (0, 0, 0);
    for i in 0..200 {
        let pool = random_alphanumeric(9);
        let username = random_username(i);
        let password = random_password(i);
        let client = client_ephemeral();
        let sign_in = SignIn::start(&pool, &username, &password, &client.srp_a_hex);
        a_top += usize::from(top_bit_set(&client.srp_a_hex));
        b_top += usize::from(top_bit_set(&sign_in.srp_b_hex));
        salt_top += usize::from(top_bit_set(&sign_in.salt_hex));

        let right = sign_in.our_claim(&client, &password);
        assert_eq!(
            verify_claim(&sign_in.check(&right)),
            Ok(true),
            "{username:?} {password:?}"
        );
        let wrong = sign_in.our_claim(&client, &format!("{password}1"));
        assert_eq!(
            verify_claim(&sign_in.check(&wrong)),
            Ok(false),
            "{username:?}"
        );
    }
    for count in [a_top, b_top, salt_top] {
        assert!(
            (20..=180).contains(&count),
            "padding cases not both covered: {count}"
        );
    }
}

/// The aws-cognito-srp crate's client (random `a`, its own clock for TIMESTAMP) against our
/// server side.
#[test]
fn aws_cognito_srp_client_signs_in_to_our_server() {
    for i in 0..40 {
        let pool_id = format!("us-east-1_{}", random_alphanumeric(9));
        let pool = pool_suffix(&pool_id).unwrap().to_owned();
        let username = random_username(i);
        let password = random_password(i);

        let client = SrpClient::new(User::new(&pool_id, &username, &password), "client", None);
        let srp_a_hex = client.get_auth_parameters().a;
        let mut sign_in = SignIn::start(&pool, &username, &password, &srp_a_hex);

        let answer = client
            .verify(
                &sign_in.secret_block_b64,
                &username,
                &sign_in.salt_hex,
                &sign_in.srp_b_hex,
            )
            .unwrap();
        // Its TIMESTAMP is the one we must format and parse identically.
        let epoch = parse_cognito_timestamp(&answer.timestamp).expect(&answer.timestamp);
        assert_eq!(cognito_timestamp(epoch), answer.timestamp);
        sign_in.timestamp = answer.timestamp;
        assert_eq!(
            verify_claim(&sign_in.check(&answer.password_claim_signature)),
            Ok(true),
            "{username:?} {password:?}"
        );

        let impostor = SrpClient::new(
            User::new(&pool_id, &username, &format!("{password}!")),
            "client",
            None,
        );
        let mut attempt = SignIn::start(
            &pool,
            &username,
            &password,
            &impostor.get_auth_parameters().a,
        );
        let answer = impostor
            .verify(
                &attempt.secret_block_b64,
                &username,
                &attempt.salt_hex,
                &attempt.srp_b_hex,
            )
            .unwrap();
        attempt.timestamp = answer.timestamp;
        assert_eq!(
            verify_claim(&attempt.check(&answer.password_claim_signature)),
            Ok(false)
        );
    }
}

#[test]
fn every_signed_field_matters() {
    let client = client_ephemeral();
    let sign_in = SignIn::start("AbC123", "alice", "pw", &client.srp_a_hex);
    let claim = sign_in.our_claim(&client, "pw");
    let good = sign_in.check(&claim);
    assert_eq!(verify_claim(&good), Ok(true));

    let with = |change: fn(&mut ServerClaimCheck)| {
        let mut check = good.clone();
        change(&mut check);
        check
    };
    let mut tampered = vec![
        with(|check| check.pool_suffix = "AbC124".into()),
        with(|check| check.username = "alicE".into()),
        with(|check| check.timestamp = "Mon Nov 2 04:05:07 UTC 2026".into()),
        with(|check| check.secret_block_b64 = base64_of(b"another block")),
        with(|check| check.srp_a_hex = client_ephemeral().srp_a_hex),
        with(|check| check.claimed_signature_b64.truncate(40)),
        with(|check| check.claimed_signature_b64 = "not base64!".into()),
        with(|check| check.claimed_signature_b64 = String::new()),
    ];
    // Another sign-in's server secret, with its own matching B.
    let other = server_ephemeral(&sign_in.verifier);
    let mut check = good.clone();
    (check.b, check.srp_b_hex) = (other.b, other.srp_b_hex);
    tampered.push(check);
    // The same password under another salt gives another verifier: no match either.
    let mut check = good.clone();
    check.verifier = new_verifier("AbC123", "alice", "pw").verifier;
    let other = server_ephemeral(&check.verifier);
    (check.b, check.srp_b_hex) = (other.b, other.srp_b_hex);
    tampered.push(check);
    for check in &tampered {
        assert_eq!(verify_claim(check), Ok(false), "{check:?}");
    }
}

#[test]
fn refuses_degenerate_or_malformed_client_public() {
    let n = n();
    let n_hex = format!("{n:x}");
    let two_n = format!("{:x}", &n * 2u32);
    for zero in [
        "0",
        "00",
        "0000",
        n_hex.as_str(),
        &n_hex.to_uppercase(),
        two_n.as_str(),
    ] {
        assert_eq!(
            parse_client_public(zero),
            Err(SrpError::ZeroModN("SRP_A")),
            "{zero}"
        );
    }
    let above = format!("{:x}", &n + 1u32);
    assert_eq!(
        parse_client_public(&above),
        Err(SrpError::NotLessThanN("SRP_A"))
    );
    for junk in [
        "", "xyz", "0x12", "+12", "1_2", " 12", "12 ", "12\n", "ab-c", "１２",
    ] {
        assert_eq!(
            parse_client_public(junk),
            Err(SrpError::NotHex("SRP_A")),
            "{junk:?}"
        );
    }
    // Odd length and either case are how the JavaScript client may write A.
    assert_eq!(parse_client_public("abc").unwrap().to_hex(), "0abc");
    assert_eq!(parse_client_public("0ABC").unwrap().to_hex(), "0abc");

    // A refused A stops the server check too, not only InitiateAuth.
    let mut check = SignIn::start("p", "u", "pw", "2").check("AAAA");
    check.srp_a_hex = n_hex;
    assert_eq!(verify_claim(&check), Err(SrpError::ZeroModN("SRP_A")));
}

#[test]
fn client_refuses_degenerate_server_values() {
    let client = client_ephemeral();
    let n_hex = format!("{:x}", n());
    let claim = |salt_hex: &str, srp_b_hex: &str, secret_block_b64: &str| {
        client_claim(
            &client,
            "p",
            "u",
            "pw",
            salt_hex,
            srp_b_hex,
            secret_block_b64,
            "Thu Jan 1 00:00:00 UTC 1970",
        )
    };
    assert!(claim("ab", "1234", "AAAA").is_ok());
    for ((salt, b, block), error) in [
        (("ab", "0", "AAAA"), SrpError::ZeroModN("SRP_B")),
        (("ab", n_hex.as_str(), "AAAA"), SrpError::ZeroModN("SRP_B")),
        (("ab", "g1", "AAAA"), SrpError::NotHex("SRP_B")),
        (("", "1234", "AAAA"), SrpError::NotHex("SALT")),
        (("ab", "1234", "!!"), SrpError::NotBase64("SECRET_BLOCK")),
    ] {
        assert_eq!(claim(salt, b, block), Err(error));
    }
    assert_eq!(
        ClientEphemeral::from_secret(&[0; 128]).unwrap_err(),
        SrpError::InvalidSecret
    );
}

#[test]
fn server_refuses_corrupt_stored_state() {
    let sign_in = SignIn::start("p", "u", "pw", "2");
    let good = sign_in.check("AAAA");
    let with = |change: fn(&mut ServerClaimCheck)| {
        let mut check = good.clone();
        change(&mut check);
        verify_claim(&check)
    };
    assert_eq!(with(|check| check.b.clear()), Err(SrpError::InvalidSecret));
    assert_eq!(
        with(|check| check.b = vec![0; 32]),
        Err(SrpError::InvalidSecret)
    );
    for verifier in [vec![], vec![0u8; VERIFIER_LEN], n().to_bytes_be()] {
        let mut check = good.clone();
        check.verifier = verifier;
        assert_eq!(verify_claim(&check), Err(SrpError::InvalidVerifier));
        // B is still produced, so an unusable verifier looks like any other at InitiateAuth.
        assert!(parse_client_public(&server_ephemeral(&check.verifier).srp_b_hex).is_ok());
    }
    assert_eq!(
        with(|check| check.secret_block_b64 = "%".into()),
        Err(SrpError::NotBase64("SECRET_BLOCK"))
    );
    assert_eq!(
        with(|check| check.salt_hex = "salt".into()),
        Err(SrpError::NotHex("SALT"))
    );
    // SRP_B and b from different sign-ins, or SRP_B not a valid public value at all.
    assert_eq!(
        with(|check| check.b[0] ^= 1),
        Err(SrpError::MismatchedServerPublic)
    );
    assert_eq!(
        with(|check| check.srp_b_hex = "0".into()),
        Err(SrpError::ZeroModN("SRP_B"))
    );
}

#[test]
fn verifiers_are_salted_fixed_width_and_reproducible() {
    let first = new_verifier("AbC", "alice", "pw");
    let second = new_verifier("AbC", "alice", "pw");
    assert_ne!(first.salt_hex, second.salt_hex);
    assert_ne!(first.verifier, second.verifier);
    for stored in [&first, &second] {
        assert_eq!(stored.verifier.len(), VERIFIER_LEN);
        // Whole bytes, lowercase, no leading zero byte: the one spelling every client reads alike.
        assert!(stored.salt_hex.len().is_multiple_of(2) && stored.salt_hex.len() <= 32);
        assert!(!stored.salt_hex.starts_with("00"));
        assert!(
            stored
                .salt_hex
                .bytes()
                .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        );
        let again = verifier_for_salt("AbC", "alice", "pw", &stored.salt_hex).unwrap();
        assert_eq!(again, stored.verifier);
        let other = verifier_for_salt("AbC", "alice", "pW", &stored.salt_hex).unwrap();
        assert_ne!(other, stored.verifier);
        assert!(!format!("{stored:?}").contains(&hex::encode(&stored.verifier[..8])));
    }
    assert_eq!(
        verifier_for_salt("AbC", "alice", "pw", "zz"),
        Err(SrpError::NotHex("SALT"))
    );
}

/// Stand-in salts for unknown users must look like real ones: whole bytes, no leading zero byte.
#[test]
fn salt_hex_spells_salts_like_new_verifier() {
    assert_eq!(salt_hex(&[0x00, 0x0f, 0xab]), "0fab");
    assert_eq!(salt_hex(&[0x80, 0x01]), "8001");
    assert_eq!(salt_hex(&[0x00, 0x00]), "00");
    for _ in 0..20 {
        let stored = new_verifier("p", "u", "pw");
        let bytes = hex::decode(&stored.salt_hex).unwrap();
        assert_eq!(salt_hex(&bytes), stored.salt_hex);
    }
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let client = ClientEphemeral::from_secret(&[0xab; 128]).unwrap();
    assert!(!format!("{client:?}").contains("abab"));
    let server = server_ephemeral(&new_verifier("p", "u", "pw").verifier);
    assert!(!format!("{server:?}").contains(&hex::encode(&server.b)));
}

#[test]
fn timestamps_are_formatted_like_the_clients() {
    let table = [
        (0, "Thu Jan 1 00:00:00 UTC 1970"),
        (86_399, "Thu Jan 1 23:59:59 UTC 1970"),
        (-1, "Wed Dec 31 23:59:59 UTC 1969"),
        (1_000_000_000, "Sun Sep 9 01:46:40 UTC 2001"),
        (946_684_800, "Sat Jan 1 00:00:00 UTC 2000"),
        (951_782_400, "Tue Feb 29 00:00:00 UTC 2000"),
        (1_234_567_890, "Fri Feb 13 23:31:30 UTC 2009"),
        (1_709_164_800, "Thu Feb 29 00:00:00 UTC 2024"),
        (1_739_212_212, "Mon Feb 10 18:30:12 UTC 2025"),
        (1_793_592_306, "Mon Nov 2 04:05:06 UTC 2026"),
        (2_147_483_647, "Tue Jan 19 03:14:07 UTC 2038"),
        (4_102_444_799, "Thu Dec 31 23:59:59 UTC 2099"),
        // 2100 is not a leap year: February 28 is followed by March 1.
        (4_107_456_000, "Sun Feb 28 00:00:00 UTC 2100"),
        (4_107_542_400, "Mon Mar 1 00:00:00 UTC 2100"),
        (253_402_300_799, "Fri Dec 31 23:59:59 UTC 9999"),
    ];
    for (epoch, text) in table {
        assert_eq!(cognito_timestamp(epoch), text, "{epoch}");
        assert_eq!(parse_cognito_timestamp(text), Some(epoch), "{text}");
    }
}

/// httpdate's civil-date conversion is independent of ours; HTTP dates differ only in layout
/// (`Sun, 09 Sep 2001 01:46:40 GMT`).
#[test]
fn timestamps_agree_with_httpdate_over_two_centuries() {
    let mut epoch: i64 = 0;
    while epoch < 4_200_000_000 {
        let http = httpdate::fmt_http_date(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch as u64),
        );
        let [weekday, day, month, year, time, "GMT"] = http.split(' ').collect::<Vec<_>>()[..]
        else {
            panic!("unexpected HTTP date {http}");
        };
        let day = day.trim_start_matches('0');
        let expected = format!(
            "{} {month} {day} {time} UTC {year}",
            weekday.trim_end_matches(',')
        );
        assert_eq!(cognito_timestamp(epoch), expected);
        assert_eq!(parse_cognito_timestamp(&expected), Some(epoch));
        // Not a divisor of a day, so times of day and weekdays drift through every value.
        epoch += 86_400 * 3 + 3_607;
    }
}

#[test]
fn parsing_accepts_only_the_canonical_form() {
    for text in [
        "Mon Nov 02 04:05:06 UTC 2026",
        "Tue Nov 2 04:05:06 UTC 2026",
        "Mon Nov  2 04:05:06 UTC 2026",
        "Mon Nov 2 4:05:06 UTC 2026",
        "Mon Nov 2 04:05:06 GMT 2026",
        "Mon Nov 2 04:05:06 UTC 2026 ",
        "Mon Nov +2 04:05:06 UTC 2026",
        "Mon nov 2 04:05:06 UTC 2026",
        "Mon Nov 2 24:00:00 UTC 2026",
        "Mon Nov 2 04:05:60 UTC 2026",
        "Mon Nov 2 04:05 UTC 2026",
        "Sun Feb 30 00:00:00 UTC 2025",
        "Thu Jan 1 00:00:00 UTC 99999",
        "",
    ] {
        assert_eq!(parse_cognito_timestamp(text), None, "{text:?}");
    }
}
