//! The IAM policy engine: parsing and its refusals, every condition operator, policy variables, principals,
//! and the Amplify and Cognito policies s3cognito bootstraps.

use s3cognito_types::policy::{Decision, Effect, PolicyDocument, Principal, RequestContext, ResourceDecision, evaluate, evaluate_resource};

const BUCKET: &str = "arn:aws:s3:::BUCKET";
const ME: &str = "us-east-1:0b5c6d8e-1111-4222-8333-944445555666";
const OTHER: &str = "us-east-1:7f7f7f7f-aaaa-4bbb-8ccc-dddddddddddd";
const SUB: &str = "cognito-identity.amazonaws.com:sub";

/// Condition keys for a request: key and its values (an empty slice is a key present as an empty set).
type Keys<'a> = &'a [(&'a str, &'a [&'a str])];

#[track_caller]
fn parse(json: &str) -> PolicyDocument {
    PolicyDocument::parse(json).unwrap_or_else(|error| panic!("{error}\n{json}"))
}

fn request(action: &str, resource: &str, keys: Keys) -> RequestContext {
    keys.iter().fold(RequestContext::new(action, resource), |request, (key, values)| {
        request.with_key_values(key, values.iter().copied())
    })
}

/// Evaluates one policy for one request.
#[track_caller]
fn check(policy: &PolicyDocument, request: &RequestContext, expected: Decision) {
    assert_eq!(evaluate([policy], request), expected, "{request:?}");
}

/// Whether a single Allow statement with this `Condition` body allows a request carrying `keys`.
#[track_caller]
fn check_condition(condition: &str, keys: Keys, expected: bool) {
    let policy = parse(&format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{{{condition}}}}}}}"#
    ));
    let allowed = evaluate([&policy], &request("s3:GetObject", "arn:aws:s3:::b/k", keys)).is_allowed();
    assert_eq!(allowed, expected, "{condition} with {keys:?}");
}

/// Parsing refuses the document with a message containing `message`.
#[track_caller]
fn check_refused(json: &str, message: &str) {
    match PolicyDocument::parse(json) {
        Ok(_) => panic!("accepted: {json}"),
        Err(error) => assert!(error.to_string().contains(message), "{error}\ndoes not contain {message:?}\n{json}"),
    }
}

/// A one-statement 2012-10-17 policy from the statement's body.
fn statement(body: &str) -> PolicyDocument {
    parse(&format!(r#"{{"Version":"2012-10-17","Statement":{{{body}}}}}"#))
}

const AMPLIFY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"Resource":["arn:aws:s3:::BUCKET/public/*","arn:aws:s3:::BUCKET/protected/${cognito-identity.amazonaws.com:sub}/*","arn:aws:s3:::BUCKET/private/${cognito-identity.amazonaws.com:sub}/*"]},
 {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/uploads/*"},
 {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/protected/*"},
 {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::BUCKET","Condition":{"StringLike":{"s3:prefix":["public/","public/*","protected/","protected/*","private/${cognito-identity.amazonaws.com:sub}/","private/${cognito-identity.amazonaws.com:sub}/*"]}}}]}"#;

#[test]
fn amplify_access_levels_for_one_identity() {
    let policy = parse(AMPLIFY);
    assert!(!policy.has_principal());
    use Decision::{Allow, ImplicitDeny as Deny};
    let object = |key: &str| format!("{BUCKET}/{key}");
    for (action, resource, expected) in [
        ("s3:GetObject", object("public/a.txt"), Allow),
        ("s3:PutObject", object("public/a.txt"), Allow),
        ("s3:DeleteObject", object("public/dir/a.txt"), Allow),
        ("s3:GetObject", object("public/"), Allow),
        ("s3:GetObject", object("publicity/a.txt"), Deny),
        ("s3:GetObject", object(&format!("protected/{ME}/a.txt")), Allow),
        ("s3:PutObject", object(&format!("protected/{ME}/a.txt")), Allow),
        ("s3:DeleteObject", object(&format!("protected/{ME}/a.txt")), Allow),
        ("s3:GetObject", object(&format!("protected/{OTHER}/a.txt")), Allow),
        ("s3:PutObject", object(&format!("protected/{OTHER}/a.txt")), Deny),
        ("s3:DeleteObject", object(&format!("protected/{OTHER}/a.txt")), Deny),
        ("s3:GetObject", object(&format!("private/{ME}/a.txt")), Allow),
        ("s3:PutObject", object(&format!("private/{ME}/deep/er/a.txt")), Allow),
        ("s3:GetObject", object(&format!("private/{OTHER}/a.txt")), Deny),
        ("s3:PutObject", object(&format!("private/{OTHER}/a.txt")), Deny),
        ("s3:DeleteObject", object(&format!("private/{OTHER}/a.txt")), Deny),
        // The identity id is a whole path segment: a longer id sharing its prefix is someone else.
        ("s3:GetObject", object(&format!("private/{ME}0/a.txt")), Deny),
        ("s3:GetObject", object(&format!("private/{ME}")), Deny),
        ("s3:PutObject", object("uploads/a.txt"), Allow),
        ("s3:GetObject", object("uploads/a.txt"), Deny),
        ("s3:GetObject", object("a.txt"), Deny),
        // Actions compare without regard to case, resources with.
        ("S3:GETOBJECT", object("public/a.txt"), Allow),
        ("s3:GetObject", "arn:aws:s3:::bucket/public/a.txt".to_owned(), Deny),
        ("s3:GetObject", "arn:aws:s3:::OTHERBUCKET/public/a.txt".to_owned(), Deny),
        ("s3:GetObjectAcl", object("public/a.txt"), Deny),
        ("s3:GetBucketAcl", BUCKET.to_owned(), Deny),
        ("s3:ListBucket", object("public/a.txt"), Deny),
    ] {
        check(&policy, &request(action, &resource, &[(SUB, &[ME])]), expected);
    }
}

#[test]
fn amplify_listing_is_limited_to_the_identitys_prefixes() {
    let policy = parse(AMPLIFY);
    let private_mine = format!("private/{ME}/");
    let private_mine_deeper = format!("private/{ME}/photos/2026/");
    let private_other = format!("private/{OTHER}/");
    let protected_other = format!("protected/{OTHER}/");
    for (prefix, allowed) in [
        (Some("public/"), true),
        (Some("public/photos/"), true),
        (Some("protected/"), true),
        (Some(protected_other.as_str()), true),
        (Some(private_mine.as_str()), true),
        (Some(private_mine_deeper.as_str()), true),
        (Some(private_other.as_str()), false),
        (Some("private/"), false),
        (Some("private"), false),
        (Some("public"), false),
        // Listing the root, with an empty or no prefix, would reveal every identity's keys.
        (Some(""), false),
        (None, false),
    ] {
        let mut listing = RequestContext::new("s3:ListBucket", BUCKET).with_key(SUB, ME);
        if let Some(prefix) = prefix {
            listing = listing.with_key("s3:prefix", prefix);
        }
        assert_eq!(evaluate([&policy], &listing).is_allowed(), allowed, "{prefix:?}");
    }
}

#[test]
fn amplify_identity_values_never_act_as_wildcards() {
    let policy = parse(AMPLIFY);
    let get = |key: &str, sub: &[&str]| {
        evaluate([&policy], &request("s3:GetObject", &format!("{BUCKET}/{key}"), &[(SUB, sub)])).is_allowed()
    };
    let list = |prefix: &str, sub: &[&str]| {
        let listing = request("s3:ListBucket", BUCKET, &[(SUB, sub), ("s3:prefix", &[prefix])]);
        evaluate([&policy], &listing).is_allowed()
    };
    // An identity id holding `*` or `?` matches only a folder literally named so.
    assert!(!get(&format!("private/{OTHER}/a.txt"), &["*"]));
    assert!(!get(&format!("private/{OTHER}/a.txt"), &["us-east-1:*"]));
    assert!(!get("private/us-east-1:x/a.txt", &["us-east-1:?"]));
    assert!(get("private/us-east-1:*/a.txt", &["us-east-1:*"]));
    assert!(get("private/us-east-1:?/a.txt", &["us-east-1:?"]));
    assert!(!list(&format!("private/{OTHER}/"), &["*"]));
    assert!(!list(&format!("private/{OTHER}/"), &["us-east-1:*"]));
    assert!(list("private/us-east-1:*/", &["us-east-1:*"]));
    // No identity, or an ambiguous one, reaches no private folder; public stays readable.
    assert!(!get(&format!("private/{ME}/a.txt"), &[]));
    assert!(!get(&format!("private/{ME}/a.txt"), &[ME, OTHER]));
    assert!(!list(&format!("private/{ME}/"), &[ME, OTHER]));
    assert!(get("public/a.txt", &[]));
    let anonymous = RequestContext::new("s3:GetObject", format!("{BUCKET}/private/{ME}/a.txt"));
    assert_eq!(evaluate([&policy], &anonymous), Decision::ImplicitDeny);
    // A variable's key is case-insensitive in the request too.
    let shouting = RequestContext::new("s3:GetObject", format!("{BUCKET}/private/{ME}/a.txt"))
        .with_key("COGNITO-IDENTITY.AMAZONAWS.COM:SUB", ME);
    assert!(evaluate([&policy], &shouting).is_allowed());
}

const COGNITO_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:POOLID"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}]}"#;

#[test]
fn cognito_trust_policy_admits_authenticated_identities_of_its_pool() {
    let policy = parse(COGNITO_TRUST);
    assert!(policy.has_principal());
    let cognito = || Principal::Federated("cognito-identity.amazonaws.com".to_owned());
    let aud = "cognito-identity.amazonaws.com:aud";
    let amr = "cognito-identity.amazonaws.com:amr";
    let signed_in: &[&str] = &[
        "authenticated",
        "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
        "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc:CognitoSignIn:0b5c6d8e-1111",
    ];
    let assume = |principal: Option<Principal>, action: &str, keys: Keys| {
        let mut assume = request(action, "", keys);
        assume.principal = principal;
        evaluate([&policy], &assume)
    };
    let action = "sts:AssumeRoleWithWebIdentity";
    use Decision::{Allow, ImplicitDeny as Deny};
    for (principal, action, keys, expected) in [
        (Some(cognito()), action, &[(aud, &["us-east-1:POOLID"][..]), (amr, signed_in)][..], Allow),
        (Some(cognito()), "STS:assumerolewithwebidentity", &[(aud, &["us-east-1:POOLID"]), (amr, signed_in)], Allow),
        (Some(cognito()), action, &[(aud, &["us-east-1:POOLID"]), (amr, &["unauthenticated"])], Deny),
        (Some(cognito()), action, &[(aud, &["us-east-1:POOLID"]), (amr, &[])], Deny),
        (Some(cognito()), action, &[(aud, &["us-east-1:POOLID"])], Deny),
        (Some(cognito()), action, &[(aud, &["us-east-1:OTHERPOOL"]), (amr, signed_in)], Deny),
        (Some(cognito()), action, &[(aud, &["us-east-1:poolid"]), (amr, signed_in)], Deny),
        (Some(cognito()), action, &[(amr, signed_in)], Deny),
        (Some(cognito()), "sts:AssumeRole", &[(aud, &["us-east-1:POOLID"]), (amr, signed_in)], Deny),
        (None, action, &[(aud, &["us-east-1:POOLID"]), (amr, signed_in)], Deny),
        (Some(Principal::Anonymous), action, &[(aud, &["us-east-1:POOLID"]), (amr, signed_in)], Deny),
        (
            Some(Principal::Federated("Cognito-Identity.AmazonAWS.com".to_owned())),
            action,
            &[(aud, &["us-east-1:POOLID"]), (amr, signed_in)],
            Allow,
        ),
        (
            Some(Principal::Federated("accounts.google.com".to_owned())),
            action,
            &[(aud, &["us-east-1:POOLID"]), (amr, signed_in)],
            Deny,
        ),
        (
            Some(Principal::Aws("arn:aws:iam::123456789012:root".to_owned())),
            action,
            &[(aud, &["us-east-1:POOLID"]), (amr, signed_in)],
            Deny,
        ),
    ] {
        assert_eq!(assume(principal.clone(), action, keys), expected, "{principal:?} {action} {keys:?}");
    }
}

#[test]
fn explicit_deny_beats_any_allow() {
    let allow_all = statement(r#""Effect":"Allow","Action":"*","Resource":"*""#);
    let deny_secret = statement(r#""Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/secret/*""#);
    let secret = RequestContext::new("s3:GetObject", "arn:aws:s3:::b/secret/x");
    let open = RequestContext::new("s3:GetObject", "arn:aws:s3:::b/open/x");
    assert_eq!(evaluate([&allow_all, &deny_secret], &secret), Decision::ExplicitDeny);
    assert_eq!(evaluate([&deny_secret, &allow_all], &secret), Decision::ExplicitDeny);
    assert_eq!(evaluate([&allow_all, &deny_secret], &open), Decision::Allow);
    assert_eq!(evaluate([&deny_secret], &open), Decision::ImplicitDeny);
    assert_eq!(evaluate([], &open), Decision::ImplicitDeny);
    // Within one policy too, whatever the order of the statements.
    let both = parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    );
    check(&both, &secret, Decision::ExplicitDeny);
    check(&both, &RequestContext::new("s3:PutObject", "arn:aws:s3:::b/x"), Decision::Allow);
    // A Deny whose condition does not hold does not apply.
    let deny_insecure = statement(
        r#""Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}"#,
    );
    let secure = secret.clone().with_key("aws:SecureTransport", "true");
    let insecure = open.clone().with_key("aws:SecureTransport", "false");
    assert_eq!(evaluate([&allow_all, &deny_insecure], &secure), Decision::Allow);
    assert_eq!(evaluate([&allow_all, &deny_insecure], &insecure), Decision::ExplicitDeny);
    assert!(Decision::Allow.is_allowed());
    assert!(!Decision::ExplicitDeny.is_allowed());
    assert!(!Decision::ImplicitDeny.is_allowed());
}

#[test]
fn actions_match_case_insensitive_wildcards() {
    for (pattern, action, expected) in [
        ("*", "s3:GetObject", true),
        ("*", "iam:CreateUser", true),
        ("s3:*", "s3:GetObject", true),
        ("s3:*", "s3express:GetObject", false),
        ("s3:*", "iam:CreateUser", false),
        ("s3:Get*", "s3:GetObject", true),
        ("s3:Get*", "s3:GetObjectAcl", true),
        ("s3:Get*", "s3:PutObject", false),
        ("s3:*Object", "s3:GetObject", true),
        ("s3:*Object", "s3:GetObjectAcl", false),
        ("s3:Get?bject", "s3:GetObject", true),
        ("s3:Get?bject", "s3:Getbject", false),
        ("s3:getobject", "S3:GetObject", true),
        ("S3:GETOBJECT", "s3:getobject", true),
        ("s3:GetObject", "s3:GetObjectVersion", false),
        ("s3:GetObject", "s3:Get", false),
        ("s3:*:x", "s3:a:x", true),
        // Variables are not substituted in actions: `${...}` is plain text there.
        ("s3:${aws:username}", "s3:alice", false),
        ("s3:${aws:username}", "s3:${aws:username}", true),
    ] {
        let policy = statement(&format!(r#""Effect":"Allow","Action":"{pattern}","Resource":"*""#));
        let ask = RequestContext::new(action, "arn:aws:s3:::b").with_key("aws:username", "alice");
        assert_eq!(evaluate([&policy], &ask).is_allowed(), expected, "{pattern} vs {action}");
    }
}

#[test]
fn resources_match_case_sensitive_wildcards() {
    for (pattern, resource, expected) in [
        ("*", "arn:aws:s3:::b/k", true),
        ("*", "", true),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/k", true),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/", true),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b", false),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::B/k", false),
        ("arn:aws:s3:::b/K", "arn:aws:s3:::b/k", false),
        ("arn:aws:s3:::b/?", "arn:aws:s3:::b/x", true),
        ("arn:aws:s3:::b/?", "arn:aws:s3:::b/xy", false),
        ("arn:aws:s3:::b/?", "arn:aws:s3:::b/ü", true),
        ("arn:aws:s3:::b*", "arn:aws:s3:::bucket/deep/key", true),
        ("arn:aws:s3:::*/public/*", "arn:aws:s3:::any/public/k", true),
        ("arn:aws:*:*:*:*", "arn:aws:sns:us-east-1:123456789012:topic", true),
        ("arn:aws:s3:::b/a:b/*", "arn:aws:s3:::b/a:b/c", true),
    ] {
        let policy = statement(&format!(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"{pattern}""#));
        let allowed = evaluate([&policy], &RequestContext::new("s3:GetObject", resource)).is_allowed();
        assert_eq!(allowed, expected, "{pattern} vs {resource}");
    }
}

#[test]
fn not_action_and_not_resource_match_what_they_do_not_list() {
    let everything_but_iam = statement(r#""Effect":"Allow","NotAction":["iam:*","sts:AssumeRole"],"Resource":"*""#);
    for (action, expected) in [
        ("s3:GetObject", Decision::Allow),
        ("sts:GetCallerIdentity", Decision::Allow),
        ("iam:CreateUser", Decision::ImplicitDeny),
        ("IAM:createuser", Decision::ImplicitDeny),
        ("sts:AssumeRole", Decision::ImplicitDeny),
    ] {
        check(&everything_but_iam, &RequestContext::new(action, "arn:aws:iam::123456789012:user/x"), expected);
    }
    let allow_all = statement(r#""Effect":"Allow","Action":"*","Resource":"*""#);
    let only_safe =
        statement(r#""Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::safe","arn:aws:s3:::safe/*"]"#);
    for (resource, expected) in [
        ("arn:aws:s3:::safe/x", Decision::Allow),
        ("arn:aws:s3:::safe", Decision::Allow),
        ("arn:aws:s3:::other/x", Decision::ExplicitDeny),
        ("arn:aws:s3:::safer/x", Decision::ExplicitDeny),
    ] {
        assert_eq!(evaluate([&allow_all, &only_safe], &RequestContext::new("s3:GetObject", resource)), expected);
    }
    // NotResource with a variable: the caller's own folder is the only exception.
    let deny_others = statement(r#""Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::b/${aws:username}/*""#);
    let mine = request("s3:GetObject", "arn:aws:s3:::b/alice/k", &[("aws:username", &["alice"])]);
    let theirs = request("s3:GetObject", "arn:aws:s3:::b/bob/k", &[("aws:username", &["alice"])]);
    assert_eq!(evaluate([&allow_all, &deny_others], &mine), Decision::Allow);
    assert_eq!(evaluate([&allow_all, &deny_others], &theirs), Decision::ExplicitDeny);
}

#[test]
fn principals_name_callers() {
    let aws = |arn: &str| Some(Principal::Aws(arn.to_owned()));
    let alice = "arn:aws:iam::123456789012:user/alice";
    let role_session = "arn:aws:sts::123456789012:assumed-role/Admin/session";
    let stranger = "arn:aws:iam::999999999999:user/alice";
    let cases: &[(&str, Option<Principal>, bool)] = &[
        (r#""*""#, None, true),
        (r#""*""#, Some(Principal::Anonymous), true),
        (r#""*""#, aws(alice), true),
        (r#""*""#, Some(Principal::Service("lambda.amazonaws.com".to_owned())), true),
        (r#"{"AWS":"*"}"#, Some(Principal::Anonymous), true),
        (r#"{"AWS":"*"}"#, Some(Principal::Federated("cognito-identity.amazonaws.com".to_owned())), true),
        (r#"{"AWS":"123456789012"}"#, aws(alice), true),
        (r#"{"AWS":"123456789012"}"#, aws(role_session), true),
        (r#"{"AWS":"123456789012"}"#, aws("123456789012"), true),
        (r#"{"AWS":"123456789012"}"#, aws(stranger), false),
        (r#"{"AWS":"123456789012"}"#, Some(Principal::Anonymous), false),
        (r#"{"AWS":"123456789012"}"#, None, false),
        (r#"{"AWS":"arn:aws:iam::123456789012:root"}"#, aws(alice), true),
        (r#"{"AWS":"arn:aws:iam::123456789012:root"}"#, aws(stranger), false),
        (r#"{"AWS":"arn:aws:iam::123456789012:user/alice"}"#, aws(alice), true),
        (r#"{"AWS":"arn:aws:iam::123456789012:user/alice"}"#, aws("arn:aws:iam::123456789012:user/bob"), false),
        (r#"{"AWS":"arn:aws:iam::123456789012:role/Admin"}"#, aws(role_session), false),
        (r#"{"AWS":["arn:aws:iam::123456789012:user/bob",  "999999999999"]}"#, aws(stranger), true),
        (r#"{"Service":"lambda.amazonaws.com"}"#, Some(Principal::Service("lambda.amazonaws.com".to_owned())), true),
        (r#"{"Service":"lambda.amazonaws.com"}"#, Some(Principal::Service("ec2.amazonaws.com".to_owned())), false),
        (r#"{"Service":"lambda.amazonaws.com"}"#, aws("lambda.amazonaws.com"), false),
        (r#"{"Federated":"accounts.google.com"}"#, Some(Principal::Service("accounts.google.com".to_owned())), false),
        (
            r#"{"CanonicalUser":"79a59df900b949e5"}"#,
            Some(Principal::CanonicalUser("79a59df900b949e5".to_owned())),
            true,
        ),
        (
            r#"{"CanonicalUser":"79a59df900b949e5"}"#,
            Some(Principal::CanonicalUser("79A59DF900B949E5".to_owned())),
            false,
        ),
    ];
    for (principal, caller, expected) in cases {
        let policy =
            statement(&format!(r#""Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"*""#));
        let mut ask = RequestContext::new("s3:GetObject", "arn:aws:s3:::b/k");
        ask.principal = caller.clone();
        assert_eq!(evaluate([&policy], &ask).is_allowed(), *expected, "{principal} vs {caller:?}");
    }
}

#[test]
fn not_principal_and_principal_free_statements() {
    let allow_all = statement(r#""Effect":"Allow","Action":"*","Resource":"*""#);
    let deny_all_but_admin = statement(
        r#""Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/admin"},"Action":"*","Resource":"*""#,
    );
    assert!(deny_all_but_admin.has_principal());
    let ask = |caller: Option<Principal>| {
        let mut ask = RequestContext::new("s3:GetObject", "arn:aws:s3:::b/k");
        ask.principal = caller;
        evaluate([&allow_all, &deny_all_but_admin], &ask)
    };
    assert_eq!(ask(Some(Principal::Aws("arn:aws:iam::123456789012:user/admin".to_owned()))), Decision::Allow);
    assert_eq!(ask(Some(Principal::Aws("arn:aws:iam::123456789012:user/bob".to_owned()))), Decision::ExplicitDeny);
    assert_eq!(ask(Some(Principal::Anonymous)), Decision::ExplicitDeny);
    assert_eq!(ask(None), Decision::ExplicitDeny);
    // A statement without Principal ignores the caller entirely.
    let with_caller = RequestContext::new("s3:GetObject", "arn:aws:s3:::b/k").with_principal(Principal::Anonymous);
    check(&allow_all, &with_caller, Decision::Allow);
}

#[test]
fn string_operators() {
    let alice: Keys = &[("aws:username", &["alice"])];
    let capital_alice: Keys = &[("aws:username", &["Alice"])];
    let bob: Keys = &[("aws:username", &["bob"])];
    let star: Keys = &[("aws:username", &["a*"])];
    for (condition, keys, expected) in [
        (r#""StringEquals":{"aws:username":"alice"}"#, alice, true),
        (r#""StringEquals":{"aws:username":"alice"}"#, capital_alice, false),
        (r#""StringEquals":{"aws:username":"alice"}"#, bob, false),
        (r#""StringEquals":{"aws:username":"alice"}"#, &[], false),
        (r#""StringEquals":{"aws:username":["alice","bob"]}"#, bob, true),
        (r#""StringEquals":{"aws:username":"a*"}"#, alice, false),
        (r#""StringEquals":{"aws:username":"a*"}"#, star, true),
        (r#""StringEquals":{"aws:username":""}"#, &[("aws:username", &[""])], true),
        (r#""StringNotEquals":{"aws:username":"alice"}"#, alice, false),
        (r#""StringNotEquals":{"aws:username":"alice"}"#, bob, true),
        (r#""StringNotEquals":{"aws:username":"alice"}"#, capital_alice, true),
        (r#""StringNotEquals":{"aws:username":"alice"}"#, &[], true),
        (r#""StringNotEquals":{"aws:username":["alice","bob"]}"#, bob, false),
        (r#""StringEqualsIgnoreCase":{"aws:username":"ALICE"}"#, alice, true),
        (r#""StringEqualsIgnoreCase":{"aws:username":"ALICE"}"#, bob, false),
        (r#""StringEqualsIgnoreCase":{"aws:username":"ALICE"}"#, &[], false),
        (r#""StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}"#, alice, false),
        (r#""StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}"#, bob, true),
        (r#""StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}"#, &[], true),
        (r#""StringLike":{"aws:username":"a*"}"#, alice, true),
        (r#""StringLike":{"aws:username":"a?ice"}"#, alice, true),
        (r#""StringLike":{"aws:username":"A*"}"#, alice, false),
        (r#""StringLike":{"aws:username":"*"}"#, &[("aws:username", &[""])], true),
        (r#""StringLike":{"aws:username":"a*"}"#, &[], false),
        (r#""StringNotLike":{"aws:username":"a*"}"#, bob, true),
        (r#""StringNotLike":{"aws:username":"a*"}"#, alice, false),
        (r#""StringNotLike":{"aws:username":["b*","c*"]}"#, alice, true),
        (r#""StringNotLike":{"aws:username":"a*"}"#, &[], true),
        (r#""StringEqualsIfExists":{"aws:username":"alice"}"#, &[], true),
        (r#""StringEqualsIfExists":{"aws:username":"alice"}"#, alice, true),
        (r#""StringEqualsIfExists":{"aws:username":"alice"}"#, bob, false),
        (r#""StringNotEqualsIfExists":{"aws:username":"alice"}"#, alice, false),
        (r#""StringNotEqualsIfExists":{"aws:username":"alice"}"#, &[], true),
        (r#""StringLikeIfExists":{"aws:username":"b*"}"#, alice, false),
        (r#""StringLikeIfExists":{"aws:username":"b*"}"#, &[], true),
        (r#""StringEqualsIgnoreCaseIfExists":{"aws:username":"ALICE"}"#, alice, true),
        // Operator names and keys compare without regard to case.
        (r#""stringequals":{"AWS:UserName":"alice"}"#, alice, true),
        (r#""StringEquals":{"aws:username":"alice"}"#, &[("AWS:USERNAME", &["alice"])], true),
    ] {
        check_condition(condition, keys, expected);
    }
}

#[test]
fn numeric_operators() {
    let ten: Keys = &[("s3:max-keys", &["10"])];
    let nine: Keys = &[("s3:max-keys", &["9"])];
    let eleven: Keys = &[("s3:max-keys", &["11"])];
    let text: Keys = &[("s3:max-keys", &["ten"])];
    for (condition, keys, expected) in [
        (r#""NumericEquals":{"s3:max-keys":"10"}"#, ten, true),
        (r#""NumericEquals":{"s3:max-keys":10}"#, ten, true),
        (r#""NumericEquals":{"s3:max-keys":10}"#, &[("s3:max-keys", &["10.0"])], true),
        (r#""NumericEquals":{"s3:max-keys":10}"#, &[("s3:max-keys", &["1e1"])], true),
        (r#""NumericEquals":{"s3:max-keys":10.5}"#, &[("s3:max-keys", &["10.5"])], true),
        (r#""NumericEquals":{"s3:max-keys":10}"#, eleven, false),
        (r#""NumericEquals":{"s3:max-keys":10}"#, text, false),
        (r#""NumericEquals":{"s3:max-keys":10}"#, &[("s3:max-keys", &["NaN"])], false),
        (r#""NumericEquals":{"s3:max-keys":10}"#, &[], false),
        (r#""NumericEquals":{"s3:max-keys":[5,10]}"#, ten, true),
        (r#""NumericNotEquals":{"s3:max-keys":10}"#, ten, false),
        (r#""NumericNotEquals":{"s3:max-keys":10}"#, eleven, true),
        (r#""NumericNotEquals":{"s3:max-keys":10}"#, &[], true),
        // Negated operators are the negation of the positive one, so a non-number is "not equal".
        (r#""NumericNotEquals":{"s3:max-keys":10}"#, text, true),
        (r#""NumericLessThan":{"s3:max-keys":10}"#, nine, true),
        (r#""NumericLessThan":{"s3:max-keys":10}"#, ten, false),
        (r#""NumericLessThan":{"s3:max-keys":10}"#, &[("s3:max-keys", &["-1"])], true),
        (r#""NumericLessThan":{"s3:max-keys":10}"#, &[("s3:max-keys", &["9.99"])], true),
        (r#""NumericLessThan":{"s3:max-keys":10}"#, text, false),
        (r#""NumericLessThan":{"s3:max-keys":10}"#, &[], false),
        (r#""NumericLessThanEquals":{"s3:max-keys":10}"#, ten, true),
        (r#""NumericLessThanEquals":{"s3:max-keys":10}"#, eleven, false),
        (r#""NumericGreaterThan":{"s3:max-keys":10}"#, eleven, true),
        (r#""NumericGreaterThan":{"s3:max-keys":10}"#, ten, false),
        (r#""NumericGreaterThanEquals":{"s3:max-keys":10}"#, ten, true),
        (r#""NumericGreaterThanEquals":{"s3:max-keys":10}"#, nine, false),
        (r#""NumericLessThanIfExists":{"s3:max-keys":10}"#, &[], true),
        (r#""NumericLessThanIfExists":{"s3:max-keys":10}"#, eleven, false),
        (r#""NumericGreaterThanEqualsIfExists":{"s3:max-keys":10}"#, ten, true),
    ] {
        check_condition(condition, keys, expected);
    }
}

#[test]
fn date_operators_accept_iso_8601_and_epoch_seconds() {
    macro_rules! at {
        ($value:literal) => {
            &[("aws:CurrentTime", &[$value][..])][..]
        };
    }
    for (condition, keys, expected) in [
        (r#""DateEquals":{"aws:CurrentTime":"2026-01-02T03:04:05Z"}"#, at!("2026-01-02T03:04:05Z"), true),
        (r#""DateEquals":{"aws:CurrentTime":"2026-01-02T03:04:05Z"}"#, at!("1767323045"), true),
        (r#""DateEquals":{"aws:CurrentTime":1767323045}"#, at!("2026-01-02T03:04:05Z"), true),
        (r#""DateEquals":{"aws:CurrentTime":"2026-01-02T03:04:05Z"}"#, at!("2026-01-02T04:04:05+01:00"), true),
        (r#""DateEquals":{"aws:CurrentTime":"2026-01-02T03:04:05Z"}"#, at!("2026-01-01T22:04:05-05:00"), true),
        (r#""DateEquals":{"aws:CurrentTime":"2026-01-02T03:04:05Z"}"#, at!("2026-01-02T03:04:05.999Z"), true),
        (r#""DateEquals":{"aws:CurrentTime":"2026-01-02T03:04:05Z"}"#, at!("2026-01-02T03:04:05"), true),
        (r#""DateEquals":{"aws:CurrentTime":"2026-01-02T03:04:00Z"}"#, at!("2026-01-02T03:04Z"), true),
        (r#""DateEquals":{"aws:CurrentTime":"2026-01-02T03:04:05Z"}"#, at!("2026-01-02T03:04:06Z"), false),
        (r#""DateEquals":{"aws:CurrentTime":"2026-01-02T03:04:05Z"}"#, at!("tomorrow"), false),
        (r#""DateEquals":{"aws:CurrentTime":"2026-01-01"}"#, at!("2026-01-01T00:00:00Z"), true),
        (r#""DateEquals":{"aws:CurrentTime":"2026-01-01"}"#, at!("1767225600"), true),
        (r#""DateEquals":{"aws:CurrentTime":"2000-02-29T12:00:00Z"}"#, at!("951825600"), true),
        (r#""DateEquals":{"aws:CurrentTime":"1970-01-01T00:00:00Z"}"#, at!("0"), true),
        (r#""DateEquals":{"aws:CurrentTime":"1969-12-31T23:59:59Z"}"#, at!("-1"), true),
        (r#""DateEquals":{"aws:CurrentTime":"1900-03-01T00:00:00Z"}"#, at!("-2203891200"), true),
        (r#""DateEquals":{"aws:CurrentTime":"9999-12-31T23:59:59Z"}"#, at!("253402300799"), true),
        (r#""DateEquals":{"aws:CurrentTime":"2026-01-02T03:04:05Z"}"#, &[], false),
        (r#""DateNotEquals":{"aws:CurrentTime":"2026-01-02T03:04:05Z"}"#, at!("2026-01-02T03:04:05Z"), false),
        (r#""DateNotEquals":{"aws:CurrentTime":"2026-01-02T03:04:05Z"}"#, at!("2026-01-02T03:04:06Z"), true),
        (r#""DateNotEquals":{"aws:CurrentTime":"2026-01-02T03:04:05Z"}"#, &[], true),
        (r#""DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}"#, at!("2025-12-31T23:59:59Z"), true),
        (r#""DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}"#, at!("2026-01-01T00:00:00Z"), false),
        (r#""DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}"#, at!("2025-12-31T23:59:59-01:00"), false),
        (r#""DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}"#, at!("2025-13-01T00:00:00Z"), false),
        (r#""DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}"#, &[], false),
        (r#""DateLessThanEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}"#, at!("2026-01-01T00:00:00Z"), true),
        (r#""DateLessThanEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}"#, at!("2026-01-01T00:00:01Z"), false),
        (r#""DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}"#, at!("2026-01-01T00:00:01Z"), true),
        (r#""DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}"#, at!("2026-01-01T00:00:00Z"), false),
        (r#""DateGreaterThan":{"aws:CurrentTime":1767225600}"#, at!("2026-01-01T00:00:01Z"), true),
        (r#""DateGreaterThanEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}"#, at!("2026-01-01T00:00:00Z"), true),
        (r#""DateGreaterThanEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}"#, at!("2025-12-31T23:59:59Z"), false),
        (r#""DateLessThanIfExists":{"aws:TokenIssueTime":"2026-01-01T00:00:00Z"}"#, &[], true),
        (r#""DateLessThanIfExists":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}"#, at!("2027-01-01T00:00:00Z"), false),
    ] {
        check_condition(condition, keys, expected);
    }
}

#[test]
fn bool_and_null_operators() {
    let secure: Keys = &[("aws:SecureTransport", &["true"])];
    let insecure: Keys = &[("aws:SecureTransport", &["false"])];
    for (condition, keys, expected) in [
        (r#""Bool":{"aws:SecureTransport":"true"}"#, secure, true),
        (r#""Bool":{"aws:SecureTransport":true}"#, secure, true),
        (r#""Bool":{"aws:SecureTransport":"TRUE"}"#, secure, true),
        (r#""Bool":{"aws:SecureTransport":"true"}"#, &[("aws:SecureTransport", &["True"])], true),
        (r#""Bool":{"aws:SecureTransport":"true"}"#, insecure, false),
        (r#""Bool":{"aws:SecureTransport":"true"}"#, &[("aws:SecureTransport", &["yes"])], false),
        (r#""Bool":{"aws:SecureTransport":"true"}"#, &[], false),
        (r#""Bool":{"aws:SecureTransport":false}"#, insecure, true),
        (r#""BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}"#, &[], true),
        (
            r#""BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}"#,
            &[("aws:MultiFactorAuthPresent", &["false"])],
            false,
        ),
        (r#""Null":{"aws:TokenIssueTime":"true"}"#, &[], true),
        (r#""Null":{"aws:TokenIssueTime":true}"#, &[("aws:TokenIssueTime", &[])], true),
        (r#""Null":{"aws:TokenIssueTime":"true"}"#, &[("aws:TokenIssueTime", &["2026-01-01T00:00:00Z"])], false),
        (r#""Null":{"aws:TokenIssueTime":"false"}"#, &[("aws:TokenIssueTime", &["2026-01-01T00:00:00Z"])], true),
        (r#""Null":{"aws:TokenIssueTime":"false"}"#, &[], false),
        (r#""Null":{"aws:TokenIssueTime":["true","false"]}"#, &[], true),
        (r#""BinaryEquals":{"s3:x-amz-key":"QmluYXJ5"}"#, &[("s3:x-amz-key", &["QmluYXJ5"])], true),
        (r#""BinaryEquals":{"s3:x-amz-key":"QmluYXJ5"}"#, &[("s3:x-amz-key", &["qmluyxj5"])], false),
    ] {
        check_condition(condition, keys, expected);
    }
}

#[test]
fn arn_operators_compare_field_by_field() {
    macro_rules! source {
        ($arn:literal) => {
            &[("aws:SourceArn", &[$arn][..])][..]
        };
    }
    for (condition, keys, expected) in [
        (r#""ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket/*"}"#, source!("arn:aws:s3:::bucket/x"), true),
        (r#""ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket/*"}"#, source!("arn:aws:s3:::bucket/a:b:c"), true),
        (r#""ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket/*"}"#, source!("arn:aws:s3:::other/x"), false),
        (r#""ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket/*"}"#, source!("arn:aws:s3:::BUCKET/x"), false),
        (
            r#""ArnLike":{"aws:SourceArn":"arn:aws:*:*:123456789012:*"}"#,
            source!("arn:aws:sns:us-east-1:123456789012:t"),
            true,
        ),
        (
            r#""ArnLike":{"aws:SourceArn":"arn:aws:*:*:123456789012:*"}"#,
            source!("arn:aws:sns:us-east-1:999999999999:t"),
            false,
        ),
        // A `*` stays inside its field: here it cannot swallow a colon to shift the account along.
        (
            r#""ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:t"}"#,
            source!("arn:aws:sns:us-east-1:x:123456789012:t"),
            false,
        ),
        (
            r#""ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-?:123456789012:t"}"#,
            source!("arn:aws:sns:us-east-1:123456789012:t"),
            true,
        ),
        (r#""ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket/*"}"#, source!("not-an-arn"), false),
        (r#""ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket/*"}"#, source!("arn:aws:s3"), false),
        (r#""ArnLike":{"aws:SourceArn":"*"}"#, source!("arn:aws:s3:::bucket"), false),
        (r#""ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket/*"}"#, &[], false),
        (
            r#""ArnEquals":{"aws:SourceArn":"arn:aws:iam::123456789012:role/*"}"#,
            source!("arn:aws:iam::123456789012:role/R"),
            true,
        ),
        (
            r#""ArnEquals":{"aws:SourceArn":"arn:aws:iam::123456789012:role/R"}"#,
            source!("arn:aws:iam::123456789012:role/R"),
            true,
        ),
        (
            r#""ArnEquals":{"aws:SourceArn":"arn:aws:iam::123456789012:role/R"}"#,
            source!("arn:aws:iam::123456789012:role/S"),
            false,
        ),
        (
            r#""ArnNotEquals":{"aws:SourceArn":"arn:aws:iam::123456789012:role/R"}"#,
            source!("arn:aws:iam::123456789012:role/S"),
            true,
        ),
        (
            r#""ArnNotEquals":{"aws:SourceArn":"arn:aws:iam::123456789012:role/R"}"#,
            source!("arn:aws:iam::123456789012:role/R"),
            false,
        ),
        (r#""ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::bucket/*"}"#, source!("arn:aws:s3:::other/x"), true),
        (r#""ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::bucket/*"}"#, source!("arn:aws:s3:::bucket/x"), false),
        (r#""ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::bucket/*"}"#, &[], true),
        (r#""ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::bucket/*"}"#, &[], true),
        (r#""ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::bucket/*"}"#, source!("arn:aws:s3:::other/x"), false),
        (
            r#""ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket/${aws:username}/*"}"#,
            &[("aws:SourceArn", &["arn:aws:s3:::bucket/alice/x"]), ("aws:username", &["alice"])],
            true,
        ),
        (
            r#""ArnLike":{"aws:SourceArn":"arn:aws:s3:::bucket/${aws:username}/*"}"#,
            &[("aws:SourceArn", &["arn:aws:s3:::bucket/bob/x"]), ("aws:username", &["*"])],
            false,
        ),
    ] {
        check_condition(condition, keys, expected);
    }
}

#[test]
fn ip_address_operators() {
    macro_rules! from {
        ($address:literal) => {
            &[("aws:SourceIp", &[$address][..])][..]
        };
    }
    for (condition, keys, expected) in [
        (r#""IpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, from!("203.0.113.7"), true),
        (r#""IpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, from!("203.0.113.255"), true),
        (r#""IpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, from!("203.0.114.1"), false),
        (r#""IpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, from!("::ffff:203.0.113.7"), true),
        (r#""IpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, from!("2001:db8::1"), false),
        (r#""IpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, from!("not-an-address"), false),
        (r#""IpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, from!("203.0.113.7/32"), false),
        (r#""IpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#, &[], false),
        (r#""IpAddress":{"aws:SourceIp":"203.0.113.7"}"#, from!("203.0.113.7"), true),
        (r#""IpAddress":{"aws:SourceIp":"203.0.113.7"}"#, from!("203.0.113.8"), false),
        (r#""IpAddress":{"aws:SourceIp":"203.0.113.9/24"}"#, from!("203.0.113.1"), true),
        (r#""IpAddress":{"aws:SourceIp":"0.0.0.0/0"}"#, from!("198.51.100.1"), true),
        (r#""IpAddress":{"aws:SourceIp":"10.0.0.0/8"}"#, from!("10.255.255.255"), true),
        (r#""IpAddress":{"aws:SourceIp":"10.0.0.0/8"}"#, from!("11.0.0.0"), false),
        (r#""IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}"#, from!("192.168.1.1"), true),
        (r#""IpAddress":{"aws:SourceIp":"2001:db8::/32"}"#, from!("2001:db8:ffff::1"), true),
        (r#""IpAddress":{"aws:SourceIp":"2001:db8::/32"}"#, from!("2001:db9::1"), false),
        (r#""IpAddress":{"aws:SourceIp":"2001:db8::/32"}"#, from!("203.0.113.7"), false),
        (r#""IpAddress":{"aws:SourceIp":"::ffff:0:0/96"}"#, from!("203.0.113.7"), true),
        (r#""IpAddress":{"aws:SourceIp":"::/0"}"#, from!("::1"), true),
        (r#""IpAddress":{"aws:SourceIp":"2001:db8::1/128"}"#, from!("2001:db8::1"), true),
        (r#""IpAddress":{"aws:SourceIp":"2001:db8::1/128"}"#, from!("2001:db8::2"), false),
        (r#""NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}"#, from!("10.1.2.3"), false),
        (r#""NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}"#, from!("192.168.0.1"), true),
        (r#""NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}"#, &[], true),
        (r#""IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}"#, &[], true),
        (r#""IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}"#, from!("192.168.0.1"), false),
        (r#""NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}"#, from!("10.0.0.1"), false),
    ] {
        check_condition(condition, keys, expected);
    }
}

#[test]
fn set_qualifiers_over_multi_valued_keys() {
    macro_rules! tags {
        ($($value:literal),*) => {
            &[("aws:TagKeys", &[$($value),*][..])][..]
        };
    }
    for (condition, keys, expected) in [
        (r#""ForAnyValue:StringLike":{"aws:TagKeys":"auth*"}"#, tags!("x", "authenticated"), true),
        (r#""ForAnyValue:StringLike":{"aws:TagKeys":"auth*"}"#, tags!("x", "y"), false),
        (r#""ForAnyValue:StringLike":{"aws:TagKeys":"auth*"}"#, tags!(), false),
        (r#""ForAnyValue:StringLike":{"aws:TagKeys":"auth*"}"#, &[], false),
        (r#""ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}"#, tags!("c", "b"), true),
        (r#""ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}"#, tags!("a"), true),
        (r#""ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}"#, tags!("a", "b"), true),
        (r#""ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}"#, tags!("a", "c"), false),
        (r#""ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}"#, tags!(), true),
        (r#""ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}"#, &[], true),
        (r#""ForAllValues:StringLike":{"aws:TagKeys":"team-*"}"#, tags!("team-a", "team-b"), true),
        (r#""ForAllValues:StringLike":{"aws:TagKeys":"team-*"}"#, tags!("team-a", "owner"), false),
        (r#""ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}"#, tags!("a", "c"), true),
        (r#""ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}"#, tags!("a", "b"), false),
        (r#""ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}"#, &[], false),
        (r#""ForAllValues:StringNotEquals":{"aws:TagKeys":["a","b"]}"#, tags!("c", "d"), true),
        (r#""ForAllValues:StringNotEquals":{"aws:TagKeys":["a","b"]}"#, tags!("c", "a"), false),
        (r#""ForAllValues:StringNotEquals":{"aws:TagKeys":["a","b"]}"#, &[], true),
        (r#""ForAnyValue:StringEqualsIgnoreCase":{"aws:TagKeys":"OWNER"}"#, tags!("dept", "owner"), true),
        (r#""ForAllValues:StringLikeIfExists":{"aws:TagKeys":"a*"}"#, &[], true),
        // IfExists makes an absent key true, as IAM documents, even under ForAnyValue.
        (r#""ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"a"}"#, &[], true),
        (r#""forallvalues:stringequals":{"aws:TagKeys":"a"}"#, tags!("a", "a"), true),
        // Without a qualifier a positive operator needs one matching value, a negated one needs none to match.
        (r#""StringEquals":{"aws:TagKeys":"a"}"#, tags!("b", "a"), true),
        (r#""StringEquals":{"aws:TagKeys":"a"}"#, tags!(), false),
        (r#""StringNotEquals":{"aws:TagKeys":"a"}"#, tags!("b", "a"), false),
        (r#""StringNotEquals":{"aws:TagKeys":"a"}"#, tags!("b", "c"), true),
        (r#""StringNotEquals":{"aws:TagKeys":"a"}"#, tags!(), true),
        (r#""ForAnyValue:NumericGreaterThan":{"aws:TagKeys":5}"#, tags!("1", "9"), true),
        (r#""ForAllValues:NumericGreaterThan":{"aws:TagKeys":5}"#, tags!("1", "9"), false),
    ] {
        check_condition(condition, keys, expected);
    }
}

#[test]
fn conditions_combine_and_across_operators_and_keys_or_across_values() {
    let both: Keys = &[("aws:username", &["alice"]), ("aws:PrincipalTag/team", &["blue"])];
    let wrong_team: Keys = &[("aws:username", &["alice"]), ("aws:PrincipalTag/team", &["red"])];
    let secure_alice: Keys = &[("aws:username", &["alice"]), ("aws:SecureTransport", &["true"])];
    let insecure_alice: Keys = &[("aws:username", &["alice"]), ("aws:SecureTransport", &["false"])];
    for (condition, keys, expected) in [
        (r#""StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"blue"}"#, both, true),
        (r#""StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":"blue"}"#, wrong_team, false),
        (r#""StringEquals":{"aws:username":"alice","aws:PrincipalTag/team":["red","blue"]}"#, wrong_team, true),
        (r#""StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}"#, secure_alice, true),
        (r#""StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}"#, insecure_alice, false),
        // Two spellings of one key under one operator are two conditions, both required.
        (r#""StringEquals":{"aws:username":"alice","AWS:USERNAME":"bob"}"#, both, false),
        ("", &[], true),
    ] {
        check_condition(condition, keys, expected);
    }
}

#[test]
fn policy_variables_substitute_request_values_literally() {
    macro_rules! user {
        ($name:literal) => {
            &[("aws:username", &[$name][..])][..]
        };
    }
    for (resource_pattern, resource, keys, expected) in [
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/alice/k", user!("alice"), true),
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/bob/k", user!("alice"), false),
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/alice/k", &[], false),
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/${aws:username}/k", &[], false),
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/alice/k", &[("aws:username", &["alice", "bob"])], false),
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b//k", &[("aws:username", &[])], false),
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/a*/k", user!("a*"), true),
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/alice/k", user!("a*"), false),
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/x/k", user!("?"), false),
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/?/k", user!("?"), true),
        ("arn:aws:s3:::b/${ AWS:UserName }/*", "arn:aws:s3:::b/alice/k", user!("alice"), true),
        ("arn:aws:s3:::b/${aws:username}-${aws:username}", "arn:aws:s3:::b/alice-alice", user!("alice"), true),
        ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", &[], true),
        ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x", &[], false),
        ("arn:aws:s3:::b/${?}", "arn:aws:s3:::b/?", &[], true),
        ("arn:aws:s3:::b/${?}", "arn:aws:s3:::b/x", &[], false),
        ("arn:aws:s3:::b/${$}{x}", "arn:aws:s3:::b/${x}", &[], true),
        ("arn:aws:s3:::b/$x", "arn:aws:s3:::b/$x", &[], true),
        ("arn:aws:s3:::b/${aws:username, 'guest'}/*", "arn:aws:s3:::b/guest/k", &[], true),
        ("arn:aws:s3:::b/${aws:username, 'guest'}/*", "arn:aws:s3:::b/alice/k", user!("alice"), true),
        ("arn:aws:s3:::b/${aws:username, 'guest'}/*", "arn:aws:s3:::b/guest/k", user!("alice"), false),
        ("arn:aws:s3:::b/${aws:username,'it''s'}/*", "arn:aws:s3:::b/it's/k", &[], true),
        ("arn:aws:s3:::b/${aws:username, 'a}b'}", "arn:aws:s3:::b/a}b", &[], true),
        // A default is taken literally too: its `*` is no wildcard.
        ("arn:aws:s3:::b/${aws:username, '*'}", "arn:aws:s3:::b/x", &[], false),
        ("arn:aws:s3:::b/${aws:username, ''}x", "arn:aws:s3:::b/x", &[], true),
    ] {
        let policy = statement(&format!(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"{resource_pattern}""#));
        let allowed = evaluate([&policy], &request("s3:GetObject", resource, keys)).is_allowed();
        assert_eq!(allowed, expected, "{resource_pattern} vs {resource} with {keys:?}");
    }
}

#[test]
fn policy_variables_in_condition_values() {
    macro_rules! alice_prefix {
        ($prefix:literal) => {
            &[("aws:username", &["alice"][..]), ("s3:prefix", &[$prefix][..])][..]
        };
    }
    for (condition, keys, expected) in [
        (r#""StringLike":{"s3:prefix":"${aws:username}/*"}"#, alice_prefix!("alice/docs"), true),
        (r#""StringLike":{"s3:prefix":"${aws:username}/*"}"#, alice_prefix!("bob/docs"), false),
        (r#""StringEquals":{"s3:prefix":"${aws:username}/"}"#, alice_prefix!("alice/"), true),
        (r#""StringEqualsIgnoreCase":{"s3:prefix":"${aws:username}/"}"#, alice_prefix!("ALICE/"), true),
        (r#""StringEquals":{"s3:prefix":"home/${aws:username, 'nobody'}"}"#, &[("s3:prefix", &["home/nobody"])], true),
        (r#""StringLike":{"s3:prefix":"${aws:username}/*"}"#, &[("s3:prefix", &["alice/docs"])], false),
        // An unresolved variable's value matches nothing, so the negated operator holds.
        (r#""StringNotEquals":{"s3:prefix":"${aws:username}/"}"#, &[("s3:prefix", &["alice/"])], true),
        (r#""StringNotEquals":{"s3:prefix":"${aws:username}/"}"#, alice_prefix!("alice/"), false),
        (r#""StringEquals":{"s3:prefix":"${*}"}"#, alice_prefix!("*"), true),
        (r#""StringLike":{"s3:prefix":"${*}"}"#, alice_prefix!("alice/"), false),
        // A key may be compared with a variable naming itself.
        (r#""StringEquals":{"aws:username":"${aws:username}"}"#, alice_prefix!(""), true),
    ] {
        check_condition(condition, keys, expected);
    }
}

#[test]
fn policy_variables_need_version_2012_10_17() {
    let keys: Keys = &[("aws:username", &["alice"])];
    for (document, resource, expected) in [
        (
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}}"#,
            "arn:aws:s3:::b/alice/k",
            false,
        ),
        (
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}}"#,
            "arn:aws:s3:::b/${aws:username}/k",
            true,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}}"#,
            "arn:aws:s3:::b/alice/k",
            false,
        ),
        // The old version does not check `${` either: it is just text.
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${"}}"#,
            "arn:aws:s3:::b/${",
            true,
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":"${aws:username}"}}}}"#,
            "arn:aws:s3:::b/k",
            false,
        ),
    ] {
        let allowed = evaluate([&parse(document)], &request("s3:GetObject", resource, keys)).is_allowed();
        assert_eq!(allowed, expected, "{document} vs {resource}");
    }
}

#[test]
fn accepts_every_documented_shape() {
    for document in [
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
        r#"{"Version":"2008-10-17","Statement":[{"Effect":"Deny","NotAction":["s3:*"],"NotResource":["arn:aws:s3:::b"]}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Action":"*"}]}"#,
        r#"{"Id":"policy-1","Version":"2012-10-17","Statement":[{"Sid":"One","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"Two","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:role/R"],"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df9"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{}}}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":[10,"20",1.5]},"Bool":{"aws:SecureTransport":[true]}}}}"#,
        "  {\n \"Statement\" : { \"Effect\" : \"Allow\" , \"Action\" : \"*\" } }\n",
    ] {
        parse(document);
    }
}

#[test]
fn reports_ids_sids_effects_and_principals() {
    let policy = parse(
        r#"{"Id":"p","Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
    );
    assert_eq!(policy.id(), Some("p"));
    let summary: Vec<(Option<&str>, Effect, bool)> = policy
        .statements()
        .iter()
        .map(|statement| (statement.sid(), statement.effect(), statement.has_principal()))
        .collect();
    assert_eq!(summary, [(Some("Read"), Effect::Allow, false), (None, Effect::Deny, false)]);
    assert!(!policy.has_principal());
    assert!(parse(r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}}"#).has_principal());
    assert!(
        parse(r#"{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"*"}}"#).has_principal()
    );
}

#[test]
fn refuses_malformed_documents() {
    for (document, message) in [
        ("", "Syntax errors in policy"),
        ("not json", "Syntax errors in policy"),
        (r#"{"Statement":{"Effect":"Allow","Action":"*"}} trailing"#, "Syntax errors in policy"),
        (r#"{"Statement":{"Effect":"Allow","Action":"*"}"#, "Syntax errors in policy"),
        ("[]", "The policy document must be a JSON object"),
        ("null", "The policy document must be a JSON object"),
        (r#"{"Version":"2012-10-17"}"#, "Missing required field Statement in the policy document"),
        (r#"{"Version":"2012-10-17","Statement":[]}"#, "Policy document must contain at least one statement"),
        (
            r#"{"Version":"2012-10-17","Statement":"s3:*"}"#,
            "Statement in the policy document must be an object or an array of objects",
        ),
        (r#"{"Version":"2012-10-17","Statement":[1]}"#, "Statement 1 must be a JSON object"),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"},"x"]}"#,
            "Statement 2 must be a JSON object",
        ),
        (
            r#"{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*"}}"#,
            "Policy version 2020-01-01 is not supported",
        ),
        (r#"{"Version":"","Statement":{"Effect":"Allow","Action":"*"}}"#, "is not supported"),
        (
            r#"{"Version":2012,"Statement":{"Effect":"Allow","Action":"*"}}"#,
            "Version in the policy document must be a string",
        ),
        (r#"{"Id":7,"Statement":{"Effect":"Allow","Action":"*"}}"#, "Id in the policy document must be a string"),
        (r#"{"Statement":{"Effect":"Allow","Action":"*"},"Extra":1}"#, "Unknown field Extra in the policy document"),
        (r#"{"statement":{"Effect":"Allow","Action":"*"}}"#, "Unknown field statement in the policy document"),
        (
            r#"{"Version":"2012-10-17","Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*"}}"#,
            "duplicate key \"Version\"",
        ),
        (r#"{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*"}}"#, "duplicate key \"Effect\""),
        (r#"{"Statement":{"Action":"*"}}"#, "Missing required field Effect in statement 1"),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"*"},{"Sid":"Second","Action":"*"}]}"#,
            "Missing required field Effect in statement 2 (Sid \"Second\")",
        ),
        (
            r#"{"Statement":{"Effect":"allow","Action":"*"}}"#,
            "Invalid effect \"allow\" in statement 1: must be \"Allow\" or \"Deny\"",
        ),
        (r#"{"Statement":{"Effect":"Permit","Action":"*"}}"#, "Invalid effect \"Permit\""),
        (r#"{"Statement":{"Effect":true,"Action":"*"}}"#, "Effect in statement 1 must be a string"),
        (r#"{"Statement":{"Effect":"Allow"}}"#, "Missing required field Action in statement 1"),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*"}}"#,
            "statement 1 must not contain both Action and NotAction",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}}"#,
            "must not contain both Resource and NotResource",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Principal":"*","NotPrincipal":"*"}}"#,
            "must not contain both Principal and NotPrincipal",
        ),
        (r#"{"Statement":{"Effect":"Allow","Action":"*","Resources":"*"}}"#, "Unknown field Resources in statement 1"),
        (r#"{"Statement":{"Effect":"Allow","action":"*"}}"#, "Unknown field action in statement 1"),
        (
            r#"{"Statement":{"Effect":"Allow","Action":5}}"#,
            "Action in statement 1 must be a string or an array of strings",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":["s3:GetObject",5]}}"#,
            "Action in statement 1 must be a string or an array of strings",
        ),
        (r#"{"Statement":{"Effect":"Allow","Action":[["s3:GetObject"]]}}"#, "must be a string or an array of strings"),
        (r#"{"Statement":{"Effect":"Allow","Action":null}}"#, "must be a string or an array of strings"),
        (r#"{"Statement":{"Effect":"Allow","Action":[]}}"#, "Action in statement 1 must not be empty"),
        (r#"{"Statement":{"Effect":"Allow","NotAction":[]}}"#, "NotAction in statement 1 must not be empty"),
        (r#"{"Statement":{"Effect":"Allow","Action":"GetObject"}}"#, "Invalid action \"GetObject\" in statement 1"),
        (r#"{"Statement":{"Effect":"Allow","Action":"s3:"}}"#, "Invalid action \"s3:\""),
        (r#"{"Statement":{"Effect":"Allow","Action":":GetObject"}}"#, "Invalid action \":GetObject\""),
        (r#"{"Statement":{"Effect":"Allow","Action":""}}"#, "Invalid action \"\""),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"bucket/*"}}"#,
            "Invalid resource \"bucket/*\" in statement 1: a resource is \"*\" or an ARN",
        ),
        (r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":[]}}"#, "Resource in statement 1 must not be empty"),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":{"arn":"x"}}}"#,
            "Resource in statement 1 must be a string or an array of strings",
        ),
        (
            r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"*"},{"Sid":"A","Effect":"Deny","Action":"*"}]}"#,
            "Statement IDs (SID) in a single policy must be unique: \"A\"",
        ),
        (r#"{"Statement":{"Sid":1,"Effect":"Allow","Action":"*"}}"#, "Sid in statement 1 must be a string"),
    ] {
        check_refused(document, message);
    }
}

#[test]
fn refuses_malformed_principals() {
    for (principal, message) in [
        (r#""alice""#, "Invalid principal \"alice\" in statement 1: a principal is \"*\" or an object"),
        ("5", "Principal in statement 1 must be \"*\" or an object"),
        ("{}", "Principal in statement 1 must not be empty"),
        (r#"{"AWS":[]}"#, "Principal AWS in statement 1 must not be empty"),
        (r#"{"AWS":7}"#, "Principal AWS in statement 1 must be a string or an array of strings"),
        (r#"{"AWS":"alice"}"#, "an AWS principal is \"*\", a 12-digit account id or an ARN"),
        (r#"{"AWS":"12345"}"#, "an AWS principal is"),
        (r#"{"AWS":"arn:aws:iam::123456789012:role/*"}"#, "wildcards are only allowed as the whole principal"),
        (r#"{"Federated":"cognito-*"}"#, "wildcards are only allowed"),
        (r#"{"Service":""}"#, "a principal must not be empty"),
        (r#"{"Group":"admins"}"#, "the principal type must be AWS, Federated, Service or CanonicalUser"),
        (r#"{"aws":"123456789012"}"#, "the principal type must be"),
    ] {
        check_refused(
            &format!(r#"{{"Statement":{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}}}"#),
            message,
        );
    }
    check_refused(
        r#"{"Statement":{"Effect":"Deny","NotPrincipal":{},"Action":"*"}}"#,
        "NotPrincipal in statement 1 must not be empty",
    );
}

#[test]
fn refuses_malformed_conditions() {
    for (condition, message) in [
        (r#""x""#, "Condition in statement 1 must be a JSON object"),
        (r#"{"StringEquals":"x"}"#, "Condition operator StringEquals in statement 1 must be a JSON object"),
        (r#"{"StringEquals":{}}"#, "Condition operator StringEquals in statement 1 must not be empty"),
        (r#"{"StringEqualz":{"aws:username":"a"}}"#, "Unknown condition operator \"StringEqualz\" in statement 1"),
        (r#"{"ForSomeValues:StringEquals":{"aws:username":"a"}}"#, "Unknown condition operator"),
        (r#"{"StringLikeIgnoreCase":{"aws:username":"a"}}"#, "Unknown condition operator"),
        (r#"{"IfExists":{"aws:username":"a"}}"#, "Unknown condition operator"),
        (r#"{"ForAnyValue:":{"aws:username":"a"}}"#, "Unknown condition operator"),
        (r#"{"StringEqualsIfExistsIfExists":{"aws:username":"a"}}"#, "Unknown condition operator"),
        (r#"{"NullIfExists":{"aws:username":"true"}}"#, "Null takes neither IfExists nor ForAnyValue:/ForAllValues:"),
        (r#"{"ForAllValues:Null":{"aws:username":"true"}}"#, "Null takes neither"),
        (r#"{"StringEquals":{"username":"a"}}"#, "Invalid condition key \"username\" in statement 1"),
        (r#"{"StringEquals":{":username":"a"}}"#, "Invalid condition key"),
        (r#"{"StringEquals":{"aws:":"a"}}"#, "Invalid condition key"),
        (
            r#"{"StringEquals":{"aws:username":null}}"#,
            "The value of StringEquals on aws:username in statement 1 must be a string, number or boolean",
        ),
        (r#"{"StringEquals":{"aws:username":{"a":"b"}}}"#, "must be a string, number or boolean, or an array of them"),
        (r#"{"StringEquals":{"aws:username":[["a"]]}}"#, "must be a string, number or boolean"),
        (
            r#"{"StringEquals":{"aws:username":[]}}"#,
            "The value of StringEquals on aws:username in statement 1 must not be empty",
        ),
        (r#"{"StringEquals":{"aws:username":"a","aws:username":"b"}}"#, "duplicate key \"aws:username\""),
        (
            r#"{"StringEquals":{"aws:username":"a"},"StringEquals":{"aws:userid":"b"}}"#,
            "duplicate key \"StringEquals\"",
        ),
        (
            r#"{"NumericEquals":{"s3:max-keys":"ten"}}"#,
            "Invalid value \"ten\" for NumericEquals on s3:max-keys in statement 1: expected a number",
        ),
        (r#"{"NumericLessThan":{"s3:max-keys":"NaN"}}"#, "expected a number"),
        (r#"{"NumericLessThan":{"s3:max-keys":"inf"}}"#, "expected a number"),
        (r#"{"NumericLessThan":{"s3:max-keys":"${aws:username}"}}"#, "expected a number"),
        (r#"{"DateLessThan":{"aws:CurrentTime":"yesterday"}}"#, "expected epoch seconds or an ISO 8601 date"),
        (r#"{"DateLessThan":{"aws:CurrentTime":"2026-13-01T00:00:00Z"}}"#, "expected epoch seconds"),
        (r#"{"DateLessThan":{"aws:CurrentTime":"2026-02-29T00:00:00Z"}}"#, "expected epoch seconds"),
        (r#"{"DateLessThan":{"aws:CurrentTime":"2026-04-31"}}"#, "expected epoch seconds"),
        (r#"{"DateLessThan":{"aws:CurrentTime":"2026-01-01T24:00:00Z"}}"#, "expected epoch seconds"),
        (r#"{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:60:00Z"}}"#, "expected epoch seconds"),
        (r#"{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00+25:00"}}"#, "expected epoch seconds"),
        (r#"{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00.Z"}}"#, "expected epoch seconds"),
        (r#"{"DateLessThan":{"aws:CurrentTime":"2026-1-01"}}"#, "expected epoch seconds"),
        (r#"{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Zjunk"}}"#, "expected epoch seconds"),
        (r#"{"DateLessThan":{"aws:CurrentTime":1.5}}"#, "expected epoch seconds"),
        (r#"{"DateLessThan":{"aws:CurrentTime":"99999999999999999999"}}"#, "expected epoch seconds"),
        (
            r#"{"Bool":{"aws:SecureTransport":"yes"}}"#,
            "Invalid value \"yes\" for Bool on aws:SecureTransport in statement 1: expected \"true\" or \"false\"",
        ),
        (r#"{"Bool":{"aws:SecureTransport":1}}"#, "expected \"true\" or \"false\""),
        (r#"{"Null":{"aws:TokenIssueTime":"maybe"}}"#, "expected \"true\" or \"false\""),
        (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}"#, "expected an IPv4 or IPv6 address or CIDR block"),
        (r#"{"IpAddress":{"aws:SourceIp":"10.0.0/8"}}"#, "expected an IPv4 or IPv6 address"),
        (r#"{"IpAddress":{"aws:SourceIp":"::/129"}}"#, "expected an IPv4 or IPv6 address"),
        (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/+8"}}"#, "expected an IPv4 or IPv6 address"),
        (r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/"}}"#, "expected an IPv4 or IPv6 address"),
        (r#"{"NotIpAddress":{"aws:SourceIp":"localhost"}}"#, "expected an IPv4 or IPv6 address"),
        (r#"{"StringLike":{"s3:prefix":"${aws:username"}}"#, "a \"${\" is not closed by \"}\""),
    ] {
        check_refused(
            &format!(
                r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{condition}}}}}"#
            ),
            message,
        );
    }
}

#[test]
fn refuses_malformed_variables() {
    for (resource, message) in [
        (
            "arn:aws:s3:::b/${aws:username",
            "Invalid policy variable in \"arn:aws:s3:::b/${aws:username\" in statement 1: a \"${\" is not closed",
        ),
        ("arn:aws:s3:::b/${}", "the variable names no key"),
        ("arn:aws:s3:::b/${ }", "the variable names no key"),
        ("arn:aws:s3:::b/${, 'x'}", "the variable names no key"),
        ("arn:aws:s3:::b/${aws:user name}", "a variable's key must not contain spaces"),
        ("arn:aws:s3:::b/${aws:${x}}", "a variable's key must not contain spaces or any of $ { } ' ,"),
        ("arn:aws:s3:::b/${aws:username, guest}", "a default value must be quoted like 'value'"),
        ("arn:aws:s3:::b/${aws:username, 'guest}", "is not closed"),
        ("arn:aws:s3:::b/${aws:username, 'a'b'}", "is not closed"),
        ("arn:aws:s3:::b/${aws:username, 'a'b''}", "a default value must be quoted"),
        ("arn:aws:s3:::b/${aws:username, 'a', 'b'}", "a default value must be quoted"),
    ] {
        check_refused(
            &format!(
                r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"*","Resource":"{resource}"}}}}"#
            ),
            message,
        );
    }
}

#[test]
fn hostile_input_is_refused_without_panicking() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    check_refused(&deep, "Syntax errors in policy");
    let deep_condition = format!(
        r#"{{"Statement":{{"Effect":"Allow","Action":"*","Condition":{{"StringEquals":{{"aws:username":{}"a"{}}}}}}}}}"#,
        "[".repeat(1_000),
        "]".repeat(1_000)
    );
    check_refused(&deep_condition, "Syntax errors in policy");
    check_refused(r#"{"Statement":"\u0000"}"#, "Statement in the policy document must be");
    check_refused(
        r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"\u00e9":{}}}}"#,
        "Unknown condition operator \"é\"",
    );
    check_refused(
        r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"ForAnyValue:é":{}}}}"#,
        "Unknown condition operator",
    );
    check_refused(
        r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"éIfExists":{}}}}"#,
        "Unknown condition operator",
    );
    check_refused(
        r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"a:b":1e999}}}}"#,
        "Syntax errors in policy",
    );
    // A pattern made to backtrack matches in reasonable time.
    let pattern = format!("arn:aws:s3:::b/{}x", "*a".repeat(200));
    let policy = statement(&format!(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"{pattern}""#));
    let resource = format!("arn:aws:s3:::b/{}", "a".repeat(20_000));
    check(&policy, &RequestContext::new("s3:GetObject", resource), Decision::ImplicitDeny);
}

#[test]
fn request_context_keys() {
    let request = RequestContext::new("s3:GetObject", "arn:aws:s3:::b/k")
        .with_key("AWS:UserName", "alice")
        .with_key("aws:username", "bob")
        .with_key_values("aws:TagKeys", Vec::<String>::new())
        .with_principal(Principal::Anonymous);
    assert_eq!(request.values("aws:USERNAME"), Some(&["alice".to_owned(), "bob".to_owned()][..]));
    assert_eq!(request.values("aws:tagkeys"), Some(&[][..]));
    assert_eq!(request.values("aws:userid"), None);
    assert_eq!(request.principal, Some(Principal::Anonymous));
    assert_eq!((request.action.as_str(), request.resource.as_str()), ("s3:GetObject", "arn:aws:s3:::b/k"));
}

/// A key policy, as KMS reads it: a statement naming the caller allows by itself; one naming only the
/// caller's account hands the decision to the account's own policies; a Deny naming the caller wins.
#[test]
fn a_key_policy_tells_allowing_the_caller_from_allowing_its_account() {
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let policy = parse(
        r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "Users", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:role/Users", "210987654321"]},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"},
            {"Sid": "NoDecryptForAuditors", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::123456789012:role/Auditors"},
             "Action": "kms:Decrypt", "Resource": "*"}
        ]}"#,
    );
    let ask = |action: &str, caller: &str| {
        evaluate_resource(&policy, &RequestContext::new(action, key).with_principal(Principal::Aws(caller.to_owned())))
    };
    assert_eq!(ask("kms:Decrypt", "arn:aws:iam::123456789012:role/Users"), ResourceDecision::AllowCaller);
    assert_eq!(ask("kms:GenerateDataKeyWithoutPlaintext", "arn:aws:iam::123456789012:role/Users"), ResourceDecision::AllowCaller);
    assert_eq!(ask("kms:ScheduleKeyDeletion", "arn:aws:iam::123456789012:role/Users"), ResourceDecision::AllowAccount);
    assert_eq!(ask("kms:Decrypt", "arn:aws:iam::123456789012:role/Others"), ResourceDecision::AllowAccount);
    assert_eq!(ask("kms:Decrypt", "arn:aws:iam::123456789012:root"), ResourceDecision::AllowAccount, "the root ARN names the account");
    assert_eq!(ask("kms:Decrypt", "arn:aws:iam::123456789012:role/Auditors"), ResourceDecision::ExplicitDeny);
    assert_eq!(ask("kms:Encrypt", "arn:aws:iam::210987654321:role/Anyone"), ResourceDecision::ImplicitDeny);
    assert_eq!(ask("kms:Decrypt", "arn:aws:iam::210987654321:role/Anyone"), ResourceDecision::AllowAccount, "another account, as a whole");
}

/// A bucket policy is public when an Allow grants to everyone unless a condition pins a key that limits
/// who the grant reaches (source IP, account, ARN, organization, network) to fixed values.
#[test]
fn a_grant_to_everyone_is_public_unless_a_condition_pins_who_may_use_it() {
    let policy = |condition: &str| {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"{condition}}}]}}"#
        );
        PolicyDocument::parse(&text).unwrap()
    };
    assert!(policy("").is_public());
    assert!(!policy(r#","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/24"}}"#).is_public());
    assert!(!policy(r#","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}"#).is_public());
    assert!(!policy(r#","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/reader"}}"#).is_public());
    // Conditions anyone can meet leave the grant public.
    assert!(policy(r#","Condition":{"StringLike":{"aws:Referer":"http://www.example.com/*"}}"#).is_public());
    assert!(policy(r#","Condition":{"StringLikeIfExists":{"aws:Referer":"http://www.example.com/*"}}"#).is_public());
    assert!(policy(r#","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}"#).is_public(), "too wide a range");
    assert!(policy(r#","Condition":{"StringLike":{"aws:SourceAccount":"*"}}"#).is_public(), "a wildcard is no limit");
    assert!(policy(r#","Condition":{"StringNotEquals":{"aws:SourceAccount":"123456789012"}}"#).is_public(), "everyone but one");
    assert!(policy(r#","Condition":{"StringEqualsIfExists":{"aws:SourceAccount":"123456789012"}}"#).is_public(), "absent passes");
    assert!(policy(r#","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#).is_public());
}
