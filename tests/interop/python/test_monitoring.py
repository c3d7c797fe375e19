"""Monitoring as an operator meets it: Prometheus metrics that count a scripted workload (read with the
official Python client's parser), the metrics behind a bearer token on their own address, readiness that
fails when the database or the blob store goes away and recovers by itself, JSON logs whose lines carry the
request id every answer returns."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import urllib.parse

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import _SERVERS, Server, _finish, error_code, fail, http_raw, unique
from test_identity_isolation import new_user

READY_WITHIN = 8.0


def scrape(server, path: str = "/_s3cognito/metrics", endpoint: str | None = None, token: str | None = None) -> dict:
    """Every sample of the exposition, by (name, sorted labels), parsed by prometheus_client."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    status, headers_back, body = http_raw("GET", (endpoint or server.endpoint) + path, headers=headers)
    assert status == 200, f"metrics: HTTP {status} {body[:300]!r}"
    assert headers_back["content-type"].startswith("text/plain; version=0.0.4"), headers_back
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        assert family.documentation, f"{family.name} has no help text"
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 when there are none)."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


def delta(before: dict, after: dict, name: str, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def presign_api(server, token: str, **params) -> dict:
    presign = next(api["endpoint"] for api in server.exports["aws_cloud_logic_custom"] if api["name"] == "presign")
    status, _, body = http_raw("GET", f"{presign}?{urllib.parse.urlencode(params)}", headers={"Authorization": token})
    assert status == 200, f"presign API: HTTP {status} {body[:300]!r}"
    return json.loads(body)


def test_metrics_count_a_scripted_workload(server):
    s3 = server.s3(signature_version="s3v4")
    user = new_user(server)
    username, password = server.admin_user()
    before = scrape(server)

    # Three objects written, two read, one asked for that is not there.
    for index in range(3):
        s3.put_object(Bucket=server.bucket, Key=f"metrics/object-{index}", Body=b"x" * 1000)
    for index in range(2):
        assert s3.get_object(Bucket=server.bucket, Key=f"metrics/object-{index}")["Body"].read() == b"x" * 1000
    assert error_code(fail(s3.get_object, Bucket=server.bucket, Key="metrics/missing")) == "NoSuchKey"
    # A sign-in, a wrong password, and the identity pool's credentials for the user.
    access_token = server.password_auth(username, password)["AuthenticationResult"]["AccessToken"]
    assert error_code(fail(server.password_auth, username, "Wrong-password-1")) == "NotAuthorizedException"
    identity = server.client("cognito-identity", signed=False)
    provider = f"cognito-idp.us-east-1.amazonaws.com/{server.pool_id}"
    identity.get_credentials_for_identity(IdentityId=user.identity_id, Logins={provider: user.id_token})
    # A presigned PUT from the presign API, used; a presigned GET that has expired; one whose signature was changed.
    issued = presign_api(server, access_token, name="metrics.txt", method="PUT", contentType="text/plain")
    status, _, _ = http_raw("PUT", issued["url"], body=b"presigned", headers=issued["headers"])
    assert status == 200
    expired = s3.generate_presigned_url("get_object", Params={"Bucket": server.bucket, "Key": "metrics/object-0"}, ExpiresIn=1)
    tampered = s3.generate_presigned_url("get_object", Params={"Bucket": server.bucket, "Key": "metrics/object-1"}, ExpiresIn=600)
    tampered = tampered[:-4] + ("0000" if not tampered.endswith("0000") else "1111")
    time.sleep(2)
    assert http_raw("GET", expired)[0] == 403
    assert http_raw("GET", tampered)[0] == 403

    after = scrape(server)
    # The three PUTs, and the presigned one.
    assert delta(before, after, "s3cognito_requests_total", service="s3", operation="PutObject", status="200") == 4
    assert delta(before, after, "s3cognito_requests_total", service="s3", operation="GetObject", status="200") == 2
    assert delta(before, after, "s3cognito_requests_total", service="s3", operation="GetObject", status="404") == 1
    assert delta(before, after, "s3cognito_request_errors_total", service="s3", operation="GetObject", code="NoSuchKey") == 1
    assert delta(before, after, "s3cognito_request_duration_seconds_count", service="s3", operation="PutObject") == 4
    assert delta(before, after, "s3cognito_received_bytes_total", service="s3") >= 3000 + len(b"presigned")
    assert delta(before, after, "s3cognito_sent_bytes_total", service="s3") >= 2000
    assert delta(before, after, "s3cognito_sign_ins_total", outcome="success") == 1
    assert delta(before, after, "s3cognito_sign_ins_total", outcome="failure") == 1
    assert delta(before, after, "s3cognito_credentials_issued_total", kind="identity_pool") == 1
    assert delta(before, after, "s3cognito_presigned_urls_issued_total", method="PUT") == 1
    assert delta(before, after, "s3cognito_presigned_requests_total", outcome="accepted") == 1
    assert delta(before, after, "s3cognito_presigned_requests_total", outcome="expired") == 1
    assert delta(before, after, "s3cognito_presigned_requests_total", outcome="bad_signature") == 1
    assert delta(before, after, "s3cognito_requests_total", service="cognito-idp", operation="InitiateAuth") == 2
    # What is stored, the key states, the stores' latencies and the build, whatever the workload.
    assert value(after, "s3cognito_objects") >= 4
    assert value(after, "s3cognito_stored_bytes") >= 3000
    assert value(after, "s3cognito_multipart_uploads_in_progress") == 0
    assert value(after, "s3cognito_kms_keys", state="Enabled") >= 1
    assert value(after, "s3cognito_metadata_query_duration_seconds_count") > 0
    assert value(after, "s3cognito_blob_operation_duration_seconds_count", operation="write") >= 4
    assert value(after, "s3cognito_build_info") == 1
    # Labels come from fixed sets: no key, bucket, user or client-chosen string is ever a label value.
    for (name, labels), _ in after.items():
        for label, text in labels:
            assert "metrics/" not in text and username not in text and server.bucket not in text, (name, labels)


def test_metrics_on_their_own_address_behind_a_bearer_token(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    token = unique("token")
    srv = Server(tmp_path / "data", tmp_path, extra_env={"S3COGNITO_METRICS_LISTEN": address, "S3COGNITO_METRICS_TOKEN": token})
    (tmp_path / "data").mkdir()
    _SERVERS.append(srv)
    srv.start()
    try:
        assert http_raw("GET", srv.endpoint + "/_s3cognito/metrics")[0] == 404, "not on the main address"
        status, headers, _ = http_raw("GET", f"http://{address}/_s3cognito/metrics")
        assert status == 401 and headers["www-authenticate"].startswith("Bearer")
        assert http_raw("GET", f"http://{address}/_s3cognito/metrics", headers={"Authorization": "Bearer wrong"})[0] == 401
        samples = scrape(srv, endpoint=f"http://{address}", token=token)
        assert value(samples, "s3cognito_build_info") == 1
        # The token is a secret: it appears in no log line.
        assert token not in srv.stderr_path.read_text()
    finally:
        _finish(srv)


def ready(server) -> tuple[int, dict]:
    status, _, body = http_raw("GET", server.endpoint + "/_s3cognito/ready", timeout=30)
    return status, json.loads(body)


def wait_ready(server, want: int) -> dict:
    """Polls readiness until it answers `want`; fails after READY_WITHIN seconds."""
    deadline = time.monotonic() + READY_WITHIN
    while True:
        status, body = ready(server)
        if status == want:
            return body
        assert time.monotonic() < deadline, f"readiness still {status} {body} after {READY_WITHIN}s"
        time.sleep(0.2)


def test_readiness_follows_the_blob_directory(fresh_server):
    assert ready(fresh_server) == (200, {"status": "ready", "checks": {"database": "ok", "blobStore": "ok", "keys": "ok"}})
    assert http_raw("GET", fresh_server.endpoint + "/_s3cognito/health")[0] == 200
    blobs = fresh_server.data / "blobs"
    moved = fresh_server.data / "blobs-moved"
    blobs.rename(moved)
    try:
        body = wait_ready(fresh_server, 503)
        assert body == {"status": "unavailable", "checks": {"database": "ok", "blobStore": "unavailable", "keys": "ok"}}
        assert http_raw("GET", fresh_server.endpoint + "/_s3cognito/health")[0] == 200, "alive all the same"
    finally:
        moved.rename(blobs)
    wait_ready(fresh_server, 200)
    assert "not ready" in fresh_server.stderr_path.read_text(), "the change is logged"


class Proxy:
    """A TCP forwarder that can be cut (every connection closed, nothing accepted) and restored on the
    same port: to the server behind it, what it forwards to has gone away and come back."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self.connections: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        # Shut down first: closing alone leaves a thread blocked in accept() accepting on.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for connection in self.connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                connection.close()
            self.connections.clear()


@pytest.mark.skipif(not os.environ.get("S3COGNITO_TEST_POSTGRES_URL"), reason="PostgreSQL is not configured")
def test_readiness_follows_the_database(tmp_path):
    base = os.environ["S3COGNITO_TEST_POSTGRES_URL"]
    database = f"s3cognito_ready_{unique('db')}"
    subprocess.run(["psql", base, "-q", "-c", f"CREATE DATABASE {database}"], check=True, capture_output=True)
    parts = urllib.parse.urlsplit(base)
    proxy = Proxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    proxy.start()
    url = urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}", path=f"/{database}"))
    (tmp_path / "data").mkdir()
    srv = Server(tmp_path / "data", tmp_path, extra_env={"S3COGNITO_DATABASE_URL": url})
    _SERVERS.append(srv)
    srv.start()
    try:
        wait_ready(srv, 200)
        proxy.cut()
        body = wait_ready(srv, 503)
        assert body["checks"]["database"] == "unavailable", body
        assert http_raw("GET", srv.endpoint + "/_s3cognito/health")[0] == 503, "health says the database is away too"
        proxy.start()
        wait_ready(srv, 200)
        # And it serves again, without a restart.
        srv.s3().put_object(Bucket=srv.bucket, Key="after-the-outage", Body=b"back")
    finally:
        _finish(srv)
        proxy.cut()


def test_readiness_follows_an_s3_blob_store_stopped_and_started(tmp_path):
    backing_data = tmp_path / "backing"
    backing_data.mkdir()
    backing_logs = tmp_path / "backing-logs"
    backing_logs.mkdir()
    backing = Server(backing_data, backing_logs)
    _SERVERS.append(backing)
    backing.start()
    port = urllib.parse.urlsplit(backing.endpoint).port
    backing.listen = f"127.0.0.1:{port}"
    bucket = unique("backing")
    backing.s3().create_bucket(Bucket=bucket)
    data = tmp_path / "data"
    data.mkdir()
    srv = Server(
        data,
        tmp_path,
        extra_env={
            "S3COGNITO_BLOB_STORE": f"s3://{bucket}/blobs",
            "AWS_ENDPOINT": backing.endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": backing.access_key,
            "AWS_SECRET_ACCESS_KEY": backing.secret_key,
        },
    )
    _SERVERS.append(srv)
    srv.start()
    try:
        wait_ready(srv, 200)
        srv.s3().put_object(Bucket=srv.bucket, Key="kept-elsewhere", Body=b"bytes in the backing store")
        backing.stop()
        body = wait_ready(srv, 503)
        assert body["checks"] == {"database": "ok", "blobStore": "unavailable", "keys": "ok"}, body
        backing.start()
        wait_ready(srv, 200)
        assert srv.s3().get_object(Bucket=srv.bucket, Key="kept-elsewhere")["Body"].read() == b"bytes in the backing store"
    finally:
        _finish(srv)
        _finish(backing)


def test_json_logs_carry_the_request_id_every_answer_returns(tmp_path):
    (tmp_path / "data").mkdir()
    srv = Server(tmp_path / "data", tmp_path, extra_env={"S3COGNITO_LOG_FORMAT": "json"})
    _SERVERS.append(srv)
    srv.start()
    try:
        s3 = srv.s3()
        answer = s3.put_object(Bucket=srv.bucket, Key="logged", Body=b"a line for this")
        s3_id = answer["ResponseMetadata"]["RequestId"]
        refused = fail(srv.public().initiate_auth, ClientId=srv.client_id, AuthFlow="USER_PASSWORD_AUTH",
                       AuthParameters={"USERNAME": "nobody-here", "PASSWORD": "Wrong-password-1"})
        cognito_id = refused.response["ResponseMetadata"]["RequestId"]
        status, headers, _ = http_raw("GET", srv.endpoint + "/_s3cognito/app/config.json")
        page_id = headers["x-amzn-requestid"]
        time.sleep(0.5)
        lines = [json.loads(line) for line in srv.stderr_path.read_text().splitlines() if line.startswith("{")]
        assert lines, "no JSON log lines"
        access = {line.get("request_id"): line for line in lines if line.get("target") == "s3cognito::access"}
        for request_id, operation in ((s3_id, "PutObject"), (cognito_id, "InitiateAuth"), (page_id, "GetPage")):
            assert request_id in access, f"no access line for {operation} {request_id}"
            assert access[request_id]["operation"] == operation
        assert access[s3_id]["principal"].endswith(":root") and access[s3_id]["status"] == 200
        assert access[s3_id]["bytes_in"] == len(b"a line for this")
        assert access[cognito_id]["principal"] == f"{srv.pool_id}/nobody-here"
        assert access[cognito_id]["error"] == "NotAuthorizedException"
        # Lines written while a request is served carry its id too (the request span).
        refusal = [line for line in lines if line.get("message") == "request refused" and line.get("code") == "NotAuthorizedException"]
        assert refusal and refusal[0]["span"]["id"] == cognito_id, refusal
        assert "Wrong-password-1" not in srv.stderr_path.read_text()
    finally:
        _finish(srv)
