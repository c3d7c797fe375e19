"""The audit log as an operator reads it with `s3cognito audit`: a scripted workload's security-relevant
events (failed sign-ins, a lockout, administration, credentials issued, objects written, read and deleted,
refused requests) with the principals and source address that made them, read on the server's machine
(`--data`) and remotely with the root keys (`--endpoint`), filtered by principal, event and time."""

from __future__ import annotations

import json
import subprocess
import time

from conftest import BIN, _SERVERS, Server, _finish, error_code, fail
from test_identity_isolation import new_user


def audit(server, *args: str, remote: bool = False, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    where = ["--endpoint", server.endpoint] if remote else ["--data", str(server.data)]
    run_env = dict(server.cli_env, **(env or {}))
    done = subprocess.run([str(BIN), "audit", *where, *args], env=run_env, capture_output=True, text=True, timeout=60)
    if check:
        assert done.returncode == 0, f"audit {args} failed ({done.returncode}): {done.stderr}"
    return done


def events(server, *args: str, remote: bool = False) -> list[dict]:
    return [json.loads(line) for line in audit(server, "--json", *args, remote=remote).stdout.splitlines() if line.strip()]


def find(found: list[dict], **fields) -> list[dict]:
    return [event for event in found if all(event.get(name) == value for name, value in fields.items())]


def test_the_audit_log_shows_a_workload_with_its_principals(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    srv = Server(data, tmp_path, extra_env={"S3COGNITO_LOCKOUT_THRESHOLD": "2", "S3COGNITO_LOCKOUT_BASE_SECONDS": "1"})
    _SERVERS.append(srv)
    srv.start()
    try:
        account = srv.client("sts").get_caller_identity()["Account"]
        root = f"arn:aws:iam::{account}:root"
        username, password = srv.admin_user()
        principal = f"{srv.pool_id}/{username}"
        for _ in range(2):
            assert error_code(fail(srv.password_auth, username, "Wrong-password-1")) == "NotAuthorizedException"
        time.sleep(1.5)
        srv.password_auth(username, password)

        user = new_user(srv)
        other = "private/us-east-1:00000000-0000-0000-0000-000000000000/secret.txt"
        assert error_code(fail(user.s3.get_object, Bucket=srv.bucket, Key=other)) == "AccessDenied"
        mine = f"private/{user.identity_id}/diary.txt"
        user.s3.put_object(Bucket=srv.bucket, Key=mine, Body=b"dear diary")

        s3 = srv.s3()
        s3.put_object(Bucket=srv.bucket, Key="audit/report.txt", Body=b"quarterly")
        s3.get_object(Bucket=srv.bucket, Key="audit/report.txt")["Body"].read()
        s3.delete_object(Bucket=srv.bucket, Key="audit/report.txt")
        key_id = srv.client("kms").create_key(Description="audited")["KeyMetadata"]["Arn"]
        srv.admin().create_group(UserPoolId=srv.pool_id, GroupName="auditors")

        # Temporary credentials of a pool user may not read the audit log.
        sts_like = {"AccessKeyId": user.credentials["AccessKeyId"], "SecretKey": user.credentials["SecretKey"],
                    "SessionToken": user.credentials["SessionToken"]}
        refused = audit(srv, "--limit", "1", remote=True, check=False, env={
            "AWS_PROFILE": "", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_ACCESS_KEY_ID": sts_like["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": sts_like["SecretKey"],
            "AWS_SESSION_TOKEN": sts_like["SessionToken"],
        })
        assert refused.returncode == 3 and "AccessDeniedException" in refused.stderr, refused.stderr
        time.sleep(0.5)

        local = events(srv, "--limit", "1000")
        remote = events(srv, "--limit", "1000", remote=True)
        # Both readings see the same log (an allowed reading of the log is not itself kept).
        assert [e["id"] for e in local] == [e["id"] for e in remote]
        times = [e["time"] for e in local]
        assert times == sorted(times, reverse=True), "newest first"

        failures = find(local, event="InitiateAuth", outcome="failure", principal=principal)
        assert len(failures) == 2 and all(e["via"] == "password" and e["sourceAddress"] == "127.0.0.1" for e in failures), failures
        assert all(e["errorCode"] == "NotAuthorizedException" for e in failures)
        assert find(local, event="UserLockedOut", principal=principal), "the lockout is an event of its own"
        assert find(local, event="InitiateAuth", outcome="success", principal=principal)
        assert find(local, event="AdminCreateUser", outcome="success", principal=root, via="signature")
        assert find(local, event="AdminSetUserPassword", principal=root)
        assert find(local, event="CreateGroup", principal=root, resource=srv.pool_id)

        issued = find(local, event="GetCredentialsForIdentity", outcome="success", identity=user.identity_id)
        assert issued, "credentials issued for the user's identity"
        denied = find(local, outcome="denied", identity=user.identity_id, errorCode="AccessDenied")
        assert denied and denied[0]["event"] == "GetObject" and denied[0]["resource"] == f"{srv.bucket}/{other}", denied
        assert denied[0]["principal"].endswith(":assumed-role/s3cognito-authenticated/CognitoIdentityCredentials")
        assert find(local, event="PutObject", outcome="success", identity=user.identity_id, resource=f"{srv.bucket}/{mine}")
        for event in ("PutObject", "GetObject", "DeleteObject"):
            assert find(local, event=event, principal=root, resource=f"{srv.bucket}/audit/report.txt"), event
        assert find(local, event="CreateKey", principal=root)
        assert find(local, event="ListAuditEvents", outcome="denied", identity=user.identity_id)
        # Reads of listings and settings are kept only when refused.
        assert not find(local, event="HeadObject", outcome="success")

        # Filters: a username (the last segment of its principal), an event, a time.
        mine_only = events(srv, "--principal", username, "--event", "InitiateAuth", remote=True)
        assert {e["outcome"] for e in mine_only} == {"failure", "success"} and all(e["principal"] == principal for e in mine_only)
        assert events(srv, "--principal", user.identity_id, "--outcome", "denied", "--event", "GetObject") == denied[:1]
        assert events(srv, "--since", "2000-01-01", "--until", "2000-01-02") == []
        assert len(events(srv, "--since", "1h", "--limit", "3")) == 3
        text = audit(srv, "--principal", username, "--event", "UserLockedOut").stdout
        assert "UserLockedOut" in text and principal in text and "from 127.0.0.1" in text, text
        bad = audit(srv, "--since", "yesterday", check=False)
        assert bad.returncode != 0 and "not a time" in bad.stderr
        assert key_id
    finally:
        _finish(srv)


def test_the_audit_log_can_be_turned_off(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    srv = Server(data, tmp_path, extra_env={"S3COGNITO_AUDIT": "false"})
    _SERVERS.append(srv)
    srv.start()
    try:
        srv.s3().put_object(Bucket=srv.bucket, Key="unaudited", Body=b"quiet")
        time.sleep(0.3)
        assert events(srv) == []
    finally:
        _finish(srv)
