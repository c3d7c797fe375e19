//! S3's error table through the wire: the objects service's errors as S3 codes, the limits checked
//! before s3s reads a body, and the checks s3s leaves to us.

use axum::http::Method;

use crate::{BUCKET, Call, Exchange, Harness, check};

/// The MD5 of `hello`, the body of the object every case starts with.
const HELLO_MD5: &str = "5d41402abc4b2a76b9719d911017c592";

fn object(key: &str) -> String {
    format!("/{BUCKET}/{key}")
}

#[tokio::test]
async fn buckets_and_objects_errors_carry_their_codes() {
    let h = Harness::new().await;
    let s3 = |call: Call| h.signed(call, "s3");
    check("s3_put_object", &h.send(s3(Call::put(&object("public/hello.txt"), "hello").header("content-type", "text/plain"))).await);
    check("s3_create_bucket", &h.send(s3(Call::put("/empty-bucket", ""))).await);
    let cases = [
        ("s3_get_object", s3(Call::get(&object("public/hello.txt")))),
        ("s3_head_object", s3(Call::new(Method::HEAD, &object("public/hello.txt")))),
        ("s3_list_objects_v2", s3(Call::get(&format!("/{BUCKET}?list-type=2")))),
        ("s3_no_such_bucket", s3(Call::get("/no-such-bucket"))),
        ("s3_no_such_bucket_for_object", s3(Call::get("/no-such-bucket/key"))),
        ("s3_no_such_key", s3(Call::get(&object("missing.txt")))),
        ("s3_head_no_such_key", s3(Call::new(Method::HEAD, &object("missing.txt")))),
        ("s3_delete_missing_key", s3(Call::delete(&object("missing.txt")))),
        ("s3_invalid_bucket_name_uppercase", s3(Call::get("/Bad_Bucket"))),
        ("s3_invalid_bucket_name_reserved_prefix", s3(Call::put("/xn--reserved", ""))),
        ("s3_invalid_bucket_name_too_short", s3(Call::put("/ab", ""))),
        // us-east-1 answers a repeated creation of one's own bucket with success, as S3 there does.
        ("s3_bucket_created_again_in_us_east_1", s3(Call::put(&format!("/{BUCKET}"), ""))),
        ("s3_location_constraint_of_another_region", s3(Call::put("/other-region-bucket", "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"))),
        ("s3_bucket_not_empty", s3(Call::delete(&format!("/{BUCKET}")))),
        ("s3_no_such_cors_configuration", s3(Call::get("/empty-bucket?cors"))),
        // The MD5 of an empty body, sent with `hello`.
        ("s3_bad_digest", s3(Call::put(&object("public/other.txt"), "hello").header("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="))),
        ("s3_invalid_digest", s3(Call::put(&object("public/other.txt"), "hello").header("content-md5", "not-an-md5"))),
        ("s3_checksum_mismatch", s3(Call::put(&object("public/other.txt"), "hello").header("x-amz-checksum-crc32", "AAAAAA==").header("x-amz-sdk-checksum-algorithm", "CRC32"))),
        ("s3_precondition_failed", s3(Call::get(&object("public/hello.txt")).header("if-match", "\"nope\""))),
        ("s3_range_and_part_number", s3(Call::get(&format!("{}?partNumber=1", object("public/hello.txt"))).header("range", "bytes=0-1"))),
        ("s3_invalid_part_number", s3(Call::get(&format!("{}?partNumber=5", object("public/hello.txt"))))),
        ("s3_range_not_satisfiable", s3(Call::get(&object("public/hello.txt")).header("range", "bytes=10-20"))),
        ("s3_negative_max_keys", s3(Call::get(&format!("/{BUCKET}?list-type=2&max-keys=-1")))),
        ("s3_bad_continuation_token", s3(Call::get(&format!("/{BUCKET}?list-type=2&continuation-token=garbage")))),
        ("s3_copy_from_missing_source", s3(Call::put(&object("public/copy.txt"), "").header("x-amz-copy-source", "/no-such-bucket/key"))),
        ("s3_copy_from_missing_key", s3(Call::put(&object("public/copy.txt"), "").header("x-amz-copy-source", &format!("/{BUCKET}/missing.txt")))),
        ("s3_malformed_delete_xml", s3(Call::new(Method::POST, &format!("/{BUCKET}?delete")).body("<Delete>"))),
        ("s3_malformed_cors_xml", s3(Call::put("/empty-bucket?cors", "<CORSConfiguration><CORSRule></CORSRule>"))),
        ("s3_no_such_upload", s3(Call::put(&format!("{}?partNumber=1&uploadId=nope", object("big.bin")), "a"))),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }

    // A 304 also carries s3s's `NotModified` error document and its length; hyper sends no body with a
    // 304, and the length is not the object's, so only the status and the validators are pinned.
    let not_modified = s3(Call::get(&object("public/hello.txt")).header("if-none-match", &format!("\"{HELLO_MD5}\"")));
    check("s3_not_modified", &h.send(not_modified).await.without_header("content-length").without_body());
}

#[tokio::test]
async fn bodies_are_checked_before_and_while_they_are_read() {
    let h = Harness::new().await;
    // The body is signed as `hello` and sent as `jello`: s3s finds out while it reads it.
    let mut swapped = h.signed(Call::put(&object("public/hello.txt"), "hello"), "s3");
    swapped.body = b"jello".to_vec();
    let cases = [
        // Past the XML body limit, or without a length, a request is refused before anything reads it.
        ("s3_max_message_length_exceeded", Call::new(Method::POST, &format!("/{BUCKET}?delete")).header("content-length", "20971521")),
        ("s3_max_message_length_exceeded_signed", h.signed(Call::new(Method::POST, &format!("/{BUCKET}?delete")), "s3").header("content-length", "20971521")),
        ("s3_missing_content_length", Call::put(&format!("/{BUCKET}?cors"), "").header("transfer-encoding", "chunked")),
        ("s3_content_sha256_mismatch", swapped),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}

#[tokio::test]
async fn multipart_uploads_are_checked_part_by_part() {
    let h = Harness::new().await;
    let s3 = |call: Call| h.signed(call, "s3");
    let key = object("big.bin");
    let created = h.send(s3(Call::new(Method::POST, &format!("{key}?uploads")))).await;
    check("s3_create_multipart_upload", &created);
    let upload = created.element("UploadId");
    let part = |number: u32, body: &str| s3(Call::put(&format!("{key}?partNumber={number}&uploadId={upload}"), body));
    let first = h.send(part(1, "first part")).await;
    check("s3_upload_part", &first);
    let second = h.send(part(2, "second part")).await;
    let etag = |exchange: &Exchange| exchange.headers["etag"].clone();
    let complete = |parts: &[(u32, &str)]| {
        let parts: String =
            parts.iter().map(|(number, tag)| format!("<Part><PartNumber>{number}</PartNumber><ETag>{tag}</ETag></Part>")).collect();
        let body = format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>");
        s3(Call::new(Method::POST, &format!("{key}?uploadId={upload}")).body(body))
    };
    let (first_tag, second_tag) = (etag(&first), etag(&second));
    let cases = [
        ("s3_list_parts", s3(Call::get(&format!("{key}?uploadId={upload}")))),
        ("s3_complete_with_unknown_etag", complete(&[(1, "\"00000000000000000000000000000000\"")])),
        ("s3_complete_with_part_never_uploaded", complete(&[(3, &first_tag)])),
        ("s3_complete_out_of_order", complete(&[(2, &second_tag), (1, &first_tag)])),
        ("s3_complete_with_small_first_part", complete(&[(1, &first_tag), (2, &second_tag)])),
        ("s3_complete_without_part_number", s3(Call::new(Method::POST, &format!("{key}?uploadId={upload}")).body("<CompleteMultipartUpload><Part><ETag>\"x\"</ETag></Part></CompleteMultipartUpload>"))),
        ("s3_complete_without_parts", complete(&[])),
        ("s3_abort_multipart_upload", s3(Call::delete(&format!("{key}?uploadId={upload}")))),
        ("s3_abort_aborted_upload", s3(Call::delete(&format!("{key}?uploadId={upload}")))),
        ("s3_list_parts_of_aborted_upload", s3(Call::get(&format!("{key}?uploadId={upload}")))),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}

/// A browser form (POST Object) for `key` signed with the root key at the real time, as boto3's
/// `generate_presigned_post` makes one: the body and its content type.
fn signed_form(h: &Harness, key: &str, file: &[u8]) -> (Vec<u8>, String) {
    use base64::Engine as _;
    let signing = h.signing("s3");
    let now = signing.time.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let amz_date = s3cognito_crypto::calendar::iso8601(now).replace(['-', ':'], "");
    let credential = format!("{}/{}/{}/s3/aws4_request", signing.key.id, &amz_date[..8], signing.region);
    let policy = serde_json::json!({
        "expiration": s3cognito_crypto::calendar::iso8601(now + 300),
        "conditions": [
            {"bucket": BUCKET}, {"key": key},
            {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, {"x-amz-credential": credential}, {"x-amz-date": amz_date},
        ],
    });
    let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
    let signing_key =
        aws_sigv4::sign::v4::generate_signing_key(&signing.key.secret, signing.time, &signing.region, "s3");
    let signature = aws_sigv4::sign::v4::calculate_signature(signing_key, policy.as_bytes());
    let boundary = "s3cognitoFormBoundary";
    let mut body = Vec::new();
    for (name, value) in [
        ("key", key),
        ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        ("x-amz-credential", &credential),
        ("x-amz-date", &amz_date),
        ("policy", &policy),
        ("x-amz-signature", &signature),
    ] {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n").as_bytes());
    body.extend(file);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

#[tokio::test]
async fn a_form_upload_is_stored_whatever_pieces_its_body_arrives_in() {
    let h = Harness::new().await;
    // The file's bytes end a piece on a `\r` (the first byte of the closing boundary, as binary data often
    // does) and the next piece is large: the upload must still be read whole.
    let mut file = vec![b'x'; 1000];
    file[499] = b'\r';
    file.extend(std::iter::repeat_n(b'y', 200_000));
    let (body, content_type) = signed_form(&h, "forms/pieces.bin", &file);
    let head = body.len() - file.len() - "\r\n--s3cognitoFormBoundary--\r\n".len();
    let form = Call::new(Method::POST, &format!("/{BUCKET}"))
        .header("content-type", &content_type)
        .body(body)
        .in_pieces(&[head + 500]);
    let answer = h.send(form).await;
    assert_eq!(answer.status, 204, "{answer:?}");
    let stored = h.send(h.signed(Call::get(&object("forms/pieces.bin")), "s3")).await;
    assert_eq!(stored.status, 200);
    assert_eq!(stored.body.as_str().map(str::len), Some(file.len()));
    assert_eq!(stored.body.as_str().map(|text| text.as_bytes() == file.as_slice()), Some(true));
}
