"""Temporary credentials outlive a restart and work on every replica sharing the database."""

from conftest import Server, _SERVERS, _finish, error_code
from test_identity_isolation import new_user, temp_s3


def test_credentials_survive_a_restart(fresh_server):
    user = new_user(fresh_server)
    key = f"private/{user.identity_id}/kept.txt"
    user.s3.put_object(Bucket=fresh_server.bucket, Key=key, Body=b"kept")
    fresh_server.restart()
    # Same keys, same token, new process: the credentials are rows in the database, not process state.
    creds = user.credentials
    again = temp_s3(fresh_server, creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"])
    assert again.get_object(Bucket=fresh_server.bucket, Key=key)["Body"].read() == b"kept"
    other = "private/us-east-1:00000000-0000-0000-0000-000000000000/x"
    try:
        again.put_object(Bucket=fresh_server.bucket, Key=other, Body=b"no")
        raise AssertionError("another identity's prefix was writable after a restart")
    except Exception as exc:  # noqa: BLE001 - botocore's ClientError
        assert error_code(exc) == "AccessDenied", exc


def test_credentials_work_on_a_replica_sharing_the_database(fresh_server, tmp_path):
    primary = fresh_server
    user = new_user(primary)
    key = f"private/{user.identity_id}/on-primary.txt"
    user.s3.put_object(Bucket=primary.bucket, Key=key, Body=b"primary")

    replica_data = tmp_path / "replica"
    replica_data.mkdir()
    replica = Server(
        replica_data,
        tmp_path,
        extra_env={
            "S3COGNITO_DATABASE_URL": f"sqlite:{primary.data / 'meta.db'}?mode=rwc",
            "S3COGNITO_MASTER_KEY_FILE": str(primary.data / "master.key"),
        },
    )
    _SERVERS.append(replica)
    replica.start()
    try:
        assert replica.exports["aws_cognito_identity_pool_id"] == primary.exports["aws_cognito_identity_pool_id"]
        identity = replica.temporary_client("sts", user.credentials).get_caller_identity()
        assert identity["Arn"].endswith(":assumed-role/s3cognito-authenticated/CognitoIdentityCredentials"), identity
        creds = user.credentials
        on_replica = temp_s3(replica, creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"])
        # Object metadata is shared through the database (bytes would need a shared blob store).
        head = on_replica.head_object(Bucket=replica.bucket, Key=key)
        assert head["ContentLength"] == len(b"primary")
        listed = on_replica.list_objects_v2(Bucket=replica.bucket, Prefix=f"private/{user.identity_id}/")
        assert [item["Key"] for item in listed.get("Contents", [])] == [key]
        try:
            on_replica.list_objects_v2(Bucket=replica.bucket)
            raise AssertionError("the bucket root was listable on the replica")
        except Exception as exc:  # noqa: BLE001
            assert error_code(exc) == "AccessDenied", exc
        # A tampered token is refused on the replica as on the primary.
        tampered = user.credentials["SessionToken"][:-1] + ("A" if user.credentials["SessionToken"][-1] != "A" else "B")
        bad = temp_s3(replica, user.credentials["AccessKeyId"], user.credentials["SecretKey"], tampered)
        try:
            bad.head_object(Bucket=replica.bucket, Key=key)
            raise AssertionError("a tampered token was accepted on the replica")
        except Exception as exc:  # noqa: BLE001
            assert "400" in str(exc) or error_code(exc) in ("InvalidToken", "400"), exc
    finally:
        _finish(replica)
