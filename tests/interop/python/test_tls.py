"""HTTPS built in: `--tls-cert` and `--tls-key` (PEM), reached by curl, boto3 and the AWS CLI with
the certificate's CA, and a renewed certificate taken up without a restart."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from conftest import unique

CA_SUBJECT = "/CN=s3cognito test CA {}"


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_certificate(directory: Path, name: str) -> tuple[Path, Path, Path]:
    """A fresh CA and a certificate it signs for 127.0.0.1 and localhost: (ca, cert, key)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca = directory / f"{name}-ca.key", directory / f"{name}-ca.pem"
    key, csr, cert = directory / f"{name}.key", directory / f"{name}.csr", directory / f"{name}.pem"
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", str(ca_key), "-out", str(ca), "-days", "2", "-subj", CA_SUBJECT.format(name))
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1")
    extensions = directory / f"{name}.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
             "-out", str(cert), "-days", "2", "-extfile", str(extensions))
    os.chmod(key, 0o600)
    return ca, cert, key


@pytest.fixture(scope="module")
def tls(server_factory, tmp_path_factory):
    certs = tmp_path_factory.mktemp("certs")
    ca, cert, key = make_certificate(certs, "first")
    live_cert, live_key = certs / "live.pem", certs / "live.key"
    live_cert.write_bytes(cert.read_bytes())
    live_key.write_bytes(key.read_bytes())
    srv = server_factory(S3COGNITO_TLS_CERT=live_cert, S3COGNITO_TLS_KEY=live_key)
    return srv, ca, certs, live_cert, live_key


def _curl(url: str, ca: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", "--max-time", "10", "--cacert", str(ca), url],
                          capture_output=True, text=True)


def test_the_endpoint_is_https(tls):
    srv, ca, *_ = tls
    assert srv.endpoint.startswith("https://127.0.0.1:"), srv.endpoint
    exports = json.loads((srv.data / "aws-exports.json").read_text())
    assert json.dumps(exports).count("https://127.0.0.1:") >= 1


def test_curl_with_the_ca_reaches_the_server(tls):
    srv, ca, *_ = tls
    done = _curl(srv.endpoint + "/_s3cognito/health", ca)
    assert done.returncode == 0, done.stderr
    refused = subprocess.run(["curl", "-sS", "--max-time", "10", srv.endpoint + "/_s3cognito/health"],
                             capture_output=True, text=True)
    assert refused.returncode != 0, "a client without the CA must not trust the certificate"


def test_http2_is_offered(tls):
    srv, ca, *_ = tls
    done = subprocess.run(["curl", "-sS", "--http2", "-o", "/dev/null", "-w", "%{http_version}",
                           "--cacert", str(ca), srv.endpoint + "/_s3cognito/health"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2", done.stdout


def test_boto3_with_verify_uses_cognito_and_s3(tls):
    srv, ca, *_ = tls
    kw = dict(endpoint_url=srv.endpoint, region_name="us-east-1", verify=str(ca),
              aws_access_key_id=srv.access_key, aws_secret_access_key=srv.secret_key,
              config=Config(s3={"addressing_style": "path"}))
    idp = boto3.client("cognito-idp", **kw)
    assert idp.list_user_pools(MaxResults=10)["UserPools"]
    s3 = boto3.client("s3", **kw)
    key = unique("tls") + ".txt"
    s3.put_object(Bucket=srv.bucket, Key=key, Body=b"over https")
    assert s3.get_object(Bucket=srv.bucket, Key=key)["Body"].read() == b"over https"


def test_aws_cli_s3_cp_over_https(tls, tmp_path):
    srv, ca, *_ = tls
    source = tmp_path / "upload.bin"
    source.write_bytes(os.urandom(9 * 1024 * 1024))  # multipart: the CLI splits at 8 MiB
    env = dict(os.environ, AWS_ACCESS_KEY_ID=srv.access_key, AWS_SECRET_ACCESS_KEY=srv.secret_key,
               AWS_DEFAULT_REGION="us-east-1", AWS_CA_BUNDLE=str(ca))
    env.pop("AWS_PROFILE", None)
    aws = str(Path(sys.executable).parent / "aws")
    up = subprocess.run([aws, "--endpoint-url", srv.endpoint, "s3", "cp", str(source), f"s3://{srv.bucket}/cli/upload.bin"],
                        env=env, capture_output=True, text=True)
    assert up.returncode == 0, up.stderr
    back = tmp_path / "back.bin"
    down = subprocess.run([aws, "--endpoint-url", srv.endpoint, "s3", "cp", f"s3://{srv.bucket}/cli/upload.bin", str(back)],
                          env=env, capture_output=True, text=True)
    assert down.returncode == 0, down.stderr
    assert back.read_bytes() == source.read_bytes()


def test_a_renewed_certificate_is_used_without_a_restart(tls):
    srv, first_ca, certs, live_cert, live_key = tls
    second_ca, cert, key = make_certificate(certs, "second")
    # As a renewal tool does: new files moved into place.
    (certs / "next.key").write_bytes(key.read_bytes())
    (certs / "next.pem").write_bytes(cert.read_bytes())
    os.replace(certs / "next.key", live_key)
    os.replace(certs / "next.pem", live_cert)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if _curl(srv.endpoint + "/_s3cognito/health", second_ca).returncode == 0:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the renewed certificate was not taken up")
    assert _curl(srv.endpoint + "/_s3cognito/health", first_ca).returncode != 0
    assert srv.starts == 1
