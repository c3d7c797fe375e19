"""KMS with the AWS CLI v1 and boto3, as an operator and an app use it against AWS: keys and aliases,
encrypt / decrypt / generate-data-key round trips through files, and the default key an identity-pool
user may use for data keys."""

import base64
import json

from conftest import error_code, fail, unique

# The commands as they are written for AWS, with `aws` pointed at our endpoint.
ROUND_TRIP = """set -euo pipefail
KEY_ID=$(aws --endpoint-url "$ENDPOINT" kms create-key --description "backups" --query KeyMetadata.KeyId --output text)
aws --endpoint-url "$ENDPOINT" kms create-alias --alias-name "$ALIAS" --target-key-id "$KEY_ID"
aws --endpoint-url "$ENDPOINT" kms encrypt --key-id "$ALIAS" --plaintext "fileb://$WORK/plain.txt" \\
    --encryption-context purpose=backup --output text --query CiphertextBlob | base64 --decode > "$WORK/secret.bin"
aws --endpoint-url "$ENDPOINT" kms decrypt --ciphertext-blob "fileb://$WORK/secret.bin" \\
    --encryption-context purpose=backup --output text --query Plaintext | base64 --decode > "$WORK/back.txt"
aws --endpoint-url "$ENDPOINT" kms generate-data-key --key-id "$ALIAS" --key-spec AES_256 > "$WORK/data-key.json"
echo "$KEY_ID"
"""


def pool_user_credentials(server):
    """A new user of the bootstrap pool, signed in: its identity id and identity-pool credentials."""
    username, _, password = server.signed_up_user()
    tokens = server.password_auth(username, password)["AuthenticationResult"]
    identity = server.client("cognito-identity", signed=False)
    pool_id = server.exports["aws_cognito_identity_pool_id"]
    logins = {f"cognito-idp.us-east-1.amazonaws.com/{server.pool_id}": tokens["IdToken"]}
    identity_id = identity.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    return identity_id, identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]


def test_cli_create_key_encrypt_decrypt_and_generate_data_key(server, tmp_path):
    plain = b"the quarterly numbers\n" * 10
    (tmp_path / "plain.txt").write_bytes(plain)
    alias = f"alias/{unique('backups')}"
    out = server.sh(ROUND_TRIP, {"WORK": str(tmp_path), "ALIAS": alias})
    key_id = out.stdout.strip().splitlines()[-1]

    assert (tmp_path / "back.txt").read_bytes() == plain
    assert plain not in (tmp_path / "secret.bin").read_bytes()
    data_key = json.loads((tmp_path / "data-key.json").read_text())
    assert len(base64.b64decode(data_key["Plaintext"])) == 32
    assert data_key["KeyId"].endswith(f":key/{key_id}") and data_key["KeyId"].startswith("arn:aws:kms:us-east-1:")

    kms = server.client("kms")
    opened = kms.decrypt(CiphertextBlob=base64.b64decode(data_key["CiphertextBlob"]))
    assert opened["Plaintext"] == base64.b64decode(data_key["Plaintext"])
    assert opened["KeyId"] == data_key["KeyId"]
    # The context is part of what was encrypted: without it the blob does not open.
    err = fail(kms.decrypt, CiphertextBlob=(tmp_path / "secret.bin").read_bytes())
    assert error_code(err) == "InvalidCiphertextException"

    described = server.aws_json("kms", "describe-key", "--key-id", alias)["KeyMetadata"]
    assert described["KeyId"] == key_id and described["KeyState"] == "Enabled"
    aliases = server.aws_json("kms", "list-aliases", "--key-id", key_id)["Aliases"]
    assert [a["AliasName"] for a in aliases] == [alias]

    server.aws("kms", "disable-key", "--key-id", key_id)
    refused = server.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'secret.bin'}",
                         "--encryption-context", "purpose=backup", check=False)
    assert refused.returncode != 0 and "DisabledException" in refused.stderr, refused.stderr
    server.aws("kms", "enable-key", "--key-id", key_id)
    scheduled = server.aws_json("kms", "schedule-key-deletion", "--key-id", key_id, "--pending-window-in-days", "7")
    assert scheduled["KeyState"] == "PendingDeletion"
    err = fail(kms.encrypt, KeyId=key_id, Plaintext=b"x")
    assert error_code(err) == "KMSInvalidStateException"


def test_the_default_key_gives_identity_pool_users_data_keys_and_nothing_more(server):
    identity_id, creds = pool_user_credentials(server)
    kms = server.temporary_client("kms", creds)

    data_key = kms.generate_data_key(KeyId="alias/s3cognito-default", KeySpec="AES_256",
                                     EncryptionContext={"owner": identity_id})
    opened = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext={"owner": identity_id})
    assert opened["Plaintext"] == data_key["Plaintext"]

    for call, kwargs in [
        (kms.create_key, {}),
        (kms.list_keys, {}),
        (kms.disable_key, {"KeyId": data_key["KeyId"]}),
        (kms.put_key_policy, {"KeyId": data_key["KeyId"], "PolicyName": "default", "Policy": "{}"}),
    ]:
        assert error_code(fail(call, **kwargs)) == "AccessDeniedException", call
    other = server.client("kms").create_key()["KeyMetadata"]["KeyId"]
    err = fail(kms.generate_data_key, KeyId=other, NumberOfBytes=32)
    assert error_code(err) == "AccessDeniedException"


def test_cli_copies_up_and_down_with_sse_kms_and_reads_ranges(server, tmp_path):
    kms = server.client("kms")
    key_id = kms.create_key(Description="objects")["KeyMetadata"]["KeyId"]
    alias = f"alias/{unique('objects')}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    small = bytes(range(256)) * 40
    large = bytes((i * 7 + i // 251) % 256 for i in range(20 * 1024 * 1024))
    (tmp_path / "small.bin").write_bytes(small)
    (tmp_path / "large.bin").write_bytes(large)
    bucket = server.bucket
    for name in ["small.bin", "large.bin"]:
        server.aws("s3", "cp", str(tmp_path / name), f"s3://{bucket}/sse-kms/{name}", "--sse", "aws:kms",
                   "--sse-kms-key-id", alias)
        server.aws("s3", "cp", f"s3://{bucket}/sse-kms/{name}", str(tmp_path / f"back-{name}"))
        assert (tmp_path / f"back-{name}").read_bytes() == (tmp_path / name).read_bytes(), name

    s3 = server.s3()
    head = s3.head_object(Bucket=bucket, Key="sse-kms/large.bin")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"].endswith(f":key/{key_id}")
    ranged = s3.get_object(Bucket=bucket, Key="sse-kms/large.bin", Range="bytes=8388600-8388700")
    assert ranged["Body"].read() == large[8388600:8388701]
    plain = s3.head_object(Bucket=bucket, Key="sse-kms/small.bin")
    assert plain["ServerSideEncryption"] == "aws:kms"

    # Without the key, the bytes cannot be read: a disabled key's objects are refused.
    kms.disable_key(KeyId=key_id)
    err = fail(s3.get_object, Bucket=bucket, Key="sse-kms/small.bin")
    assert error_code(err) == "KMS.DisabledException", err.response
    err = fail(s3.put_object, Bucket=bucket, Key="sse-kms/more.bin", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    assert error_code(err) == "KMS.DisabledException", err.response
    kms.enable_key(KeyId=key_id)
    assert s3.get_object(Bucket=bucket, Key="sse-kms/small.bin")["Body"].read() == small

    # Objects without SSE headers are encrypted with server-managed keys.
    s3.put_object(Bucket=bucket, Key="sse-kms/default.bin", Body=b"default")
    assert s3.head_object(Bucket=bucket, Key="sse-kms/default.bin")["ServerSideEncryption"] == "AES256"


def test_identity_pool_users_may_encrypt_their_files_with_the_default_key_only(server):
    identity_id, creds = pool_user_credentials(server)
    s3 = server.temporary_client("s3", creds)
    key = f"private/{identity_id}/secret.txt"

    s3.put_object(Bucket=server.bucket, Key=key, Body=b"mine", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId="alias/s3cognito-default")
    got = s3.get_object(Bucket=server.bucket, Key=key)
    assert got["Body"].read() == b"mine" and got["ServerSideEncryption"] == "aws:kms"

    other = server.client("kms").create_key()["KeyMetadata"]["KeyId"]
    err = fail(s3.put_object, Bucket=server.bucket, Key=key, Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=other)
    assert error_code(err) == "AccessDenied"
    # An object the admin encrypted under another key is not readable by the user, though S3 would allow it.
    server.s3().put_object(Bucket=server.bucket, Key=f"private/{identity_id}/admin.txt", Body=b"theirs",
                           ServerSideEncryption="aws:kms", SSEKMSKeyId=other)
    err = fail(s3.get_object, Bucket=server.bucket, Key=f"private/{identity_id}/admin.txt")
    assert error_code(err) == "AccessDenied"


def test_bucket_default_encryption_applies_to_uploads_without_sse_headers(server):
    s3 = server.s3()
    bucket = f"enc-{unique('b').lower()}"[:40]
    s3.create_bucket(Bucket=bucket)
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", "every bucket encrypts by default"

    kms = server.client("kms")
    key_id = kms.create_key(Description="bucket default")["KeyMetadata"]["KeyId"]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_id}}]})
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_id}
    s3.put_object(Bucket=bucket, Key="plain-request.txt", Body=b"no headers")
    head = s3.head_object(Bucket=bucket, Key="plain-request.txt")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"].endswith(key_id)
    assert s3.get_object(Bucket=bucket, Key="plain-request.txt")["Body"].read() == b"no headers"
    # A request's own headers win over the default.
    s3.put_object(Bucket=bucket, Key="asked.txt", Body=b"x", ServerSideEncryption="AES256")
    assert s3.head_object(Bucket=bucket, Key="asked.txt")["ServerSideEncryption"] == "AES256"

    err = fail(s3.put_bucket_encryption, Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/no-such-key"}}]})
    assert error_code(err) == "KMS.NotFoundException", err.response
    s3.delete_bucket_encryption(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="after.txt", Body=b"y")
    assert s3.head_object(Bucket=bucket, Key="after.txt")["ServerSideEncryption"] == "AES256"
