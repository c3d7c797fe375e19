//! Every metric s3cognito records, with its help text: described once, before the first is recorded, so
//! the exposition carries `# HELP` for each. Names follow Prometheus's conventions (`_total` counters,
//! `_seconds` and `_bytes` units); labels take values from fixed sets only.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

/// Describes every metric to the installed recorder.
pub fn describe() {
    describe_counter!("s3cognito_requests_total", "Requests answered, by service, operation and HTTP status.");
    describe_histogram!(
        "s3cognito_request_duration_seconds",
        Unit::Seconds,
        "Time from a request's arrival to the last byte of its answer, by service and operation."
    );
    describe_counter!("s3cognito_request_errors_total", "Requests answered with an error, by service, operation and error code.");
    describe_counter!("s3cognito_received_bytes_total", Unit::Bytes, "Bytes of request bodies received, by service.");
    describe_counter!("s3cognito_sent_bytes_total", Unit::Bytes, "Bytes of answer bodies sent, by service.");
    describe_counter!("s3cognito_presigned_urls_issued_total", "Presigned URLs handed out by the presign API and the upload routes, by method.");
    describe_counter!(
        "s3cognito_presigned_requests_total",
        "Requests made with a presigned URL, by outcome: accepted, expired, bad_signature, denied, failed."
    );
    describe_counter!("s3cognito_sign_ins_total", "Password and SRP sign-in attempts, by outcome: success or failure.");
    describe_counter!("s3cognito_lockouts_total", "Lockouts applied after failed sign-ins in a row.");
    describe_counter!(
        "s3cognito_credentials_issued_total",
        "Temporary credentials issued, by kind: identity_pool, assume_role, web_identity."
    );
    describe_counter!(
        "s3cognito_kms_cryptographic_operations_total",
        "KMS encrypt, decrypt and data-key operations, for API callers and for S3's own encryption."
    );
    describe_gauge!("s3cognito_kms_keys", "KMS keys, by state.");
    describe_gauge!("s3cognito_objects", "Objects stored, in every bucket.");
    describe_gauge!("s3cognito_stored_bytes", Unit::Bytes, "Bytes of objects stored, in every bucket.");
    describe_gauge!("s3cognito_multipart_uploads_in_progress", "Multipart uploads started and not yet completed or aborted.");
    describe_histogram!(
        "s3cognito_metadata_query_duration_seconds",
        Unit::Seconds,
        "Time the metadata database took for one statement outside a transaction, from asking for a connection to its last row."
    );
    describe_counter!("s3cognito_metadata_errors_total", "Metadata database calls that failed.");
    describe_histogram!(
        "s3cognito_blob_operation_duration_seconds",
        Unit::Seconds,
        "Time the blob store took: a blob made durable (write), opened for reading (read), deleted, checked."
    );
    describe_counter!("s3cognito_blob_errors_total", "Blob store calls that failed, by operation.");
    describe_gauge!("s3cognito_component_up", "Whether a part the server needs was usable at the last readiness check (1) or not (0).");
    describe_counter!("s3cognito_audit_events_written_total", "Audit events written to the metadata database.");
    describe_counter!(
        "s3cognito_audit_events_dropped_total",
        "Audit events given up because the database could not take them for too long."
    );
    describe_gauge!("s3cognito_build_info", "Always 1; the labels say which build this is.");
}
