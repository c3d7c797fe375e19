"""A bounded mixed workload against a release build of s3cognito on loopback: sign-ins, identity-pool
credentials, uploads, downloads, listings, deletes and requests that must be refused, from a few threads
for a fixed time. Every 30 seconds it prints throughput, error counts, the server's RSS and open
descriptors; at the end it says whether they stayed flat. Not a test: `scripts/soak [SECONDS]`."""

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

BINARY = sys.argv[1]
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 600
THREADS = 8
USERS = 16
PASSWORD = "Soak-Pass-123"
REPORT_EVERY = 30
REGION = "us-east-1"

counts: Counter = Counter()
expected_errors: Counter = Counter()
unexpected: list[str] = []
lock = threading.Lock()


def count(kind: str) -> None:
    with lock:
        counts[kind] += 1


def expected(kind: str) -> None:
    with lock:
        expected_errors[kind] += 1


def unexpected_error(kind: str, error: Exception) -> None:
    with lock:
        unexpected.append(f"{kind}: {error!r}"[:300])


def proc_figures(pid: int) -> tuple[int, int]:
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) // 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def main() -> int:
    data = tempfile.mkdtemp(prefix="s3cognito-soak-")
    server = subprocess.Popen(
        [BINARY, "serve", "--listen", "127.0.0.1:0", "--data", data,
         # The soak measures steady state, not throttling: every client here shares one address.
         "--address-sign-ins-per-minute", "1000000", "--address-account-calls-per-minute", "1000000"],
        stdout=subprocess.PIPE, stderr=open(os.path.join(data, "server.log"), "wb"), env=dict(os.environ, S3COGNITO_LOG="warn"))
    line = server.stdout.readline().decode()
    endpoint = re.search(r"listening on (\S+)", line).group(1)
    exports = json.load(open(os.path.join(data, "aws-exports.json")))
    creds = dict(l.split(" = ", 1) for l in open(os.path.join(data, "credentials")).read().splitlines() if " = " in l)
    pool, client_id = exports["aws_user_pools_id"], exports["aws_user_pools_web_client_id"]
    identity_pool, bucket = exports["aws_cognito_identity_pool_id"], exports["aws_user_files_s3_bucket"]
    config = Config(retries={"mode": "standard", "max_attempts": 3}, s3={"addressing_style": "path"}, max_pool_connections=4)
    root = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id=creds["aws_access_key_id"],
                aws_secret_access_key=creds["aws_secret_access_key"], config=config)
    admin = boto3.client("cognito-idp", **root)
    for n in range(USERS):
        admin.admin_create_user(UserPoolId=pool, Username=f"soak{n}", MessageAction="SUPPRESS")
        admin.admin_set_user_password(UserPoolId=pool, Username=f"soak{n}", Password=PASSWORD, Permanent=True)
    public = dict(endpoint_url=endpoint, region_name=REGION, config=config)
    logins_key = f"cognito-idp.{REGION}.amazonaws.com/{pool}"
    deadline = time.monotonic() + SECONDS

    def worker(index: int) -> None:
        rng = random.Random(index)
        idp = boto3.client("cognito-idp", aws_access_key_id="x", aws_secret_access_key="x", **public)
        ident = boto3.client("cognito-identity", aws_access_key_id="x", aws_secret_access_key="x", **public)
        unsigned = boto3.client("s3", aws_access_key_id="AKIANOTAKEY000000000", aws_secret_access_key="x", **public)
        session = None
        while time.monotonic() < deadline:
            try:
                if session is None or rng.random() < 0.02:
                    user = f"soak{rng.randrange(USERS)}"
                    tokens = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                               AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD})["AuthenticationResult"]
                    count("sign-in")
                    logins = {logins_key: tokens["IdToken"]}
                    identity_id = ident.get_id(IdentityPoolId=identity_pool, Logins=logins)["IdentityId"]
                    c = ident.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]
                    count("credentials")
                    s3 = boto3.client("s3", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretKey"],
                                      aws_session_token=c["SessionToken"], **public)
                    session = (s3, f"private/{identity_id}/")
                s3, prefix = session
                roll = rng.random()
                key = f"{prefix}t{index}-{rng.randrange(20)}"
                if roll < 0.30:
                    s3.put_object(Bucket=bucket, Key=key, Body=os.urandom(rng.choice([1024, 64 * 1024, 1024 * 1024])))
                    count("upload")
                elif roll < 0.60:
                    try:
                        s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                        count("download")
                    except ClientError as error:
                        if error.response["Error"]["Code"] != "NoSuchKey":
                            raise
                        expected("download of a missing key")
                elif roll < 0.75:
                    s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
                    count("listing")
                elif roll < 0.85:
                    s3.delete_object(Bucket=bucket, Key=key)
                    count("delete")
                elif roll < 0.90:
                    try:
                        idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                          AuthParameters={"USERNAME": f"nobody{rng.randrange(10**6)}", "PASSWORD": "Wrong-1a"})
                        unexpected_error("bad sign-in", RuntimeError("an unknown user signed in"))
                    except ClientError as error:
                        if error.response["Error"]["Code"] not in ("NotAuthorizedException", "TooManyRequestsException"):
                            raise
                        expected("wrong sign-in")
                elif roll < 0.95:
                    try:
                        s3.get_object(Bucket=bucket, Key="private/someone-else/secret")
                        unexpected_error("foreign read", RuntimeError("read another user's key"))
                    except ClientError as error:
                        if error.response["Error"]["Code"] != "AccessDenied":
                            raise
                        expected("foreign read")
                else:
                    try:
                        unsigned.list_objects_v2(Bucket=bucket)
                        unexpected_error("bad key", RuntimeError("an unknown key listed the bucket"))
                    except ClientError as error:
                        if error.response["Error"]["Code"] not in ("InvalidAccessKeyId", "AccessDenied"):
                            raise
                        expected("unknown access key")
                    request = urllib.request.Request(endpoint + "/", data=b"{not json", method="POST", headers={
                        "Content-Type": "application/x-amz-json-1.1",
                        "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp"})
                    try:
                        urllib.request.urlopen(request, timeout=10)
                    except urllib.error.HTTPError as error:
                        if error.code != 400:
                            raise
                        error.read()
                        expected("malformed JSON")
            except Exception as error:  # noqa: BLE001 - every surprise is counted and shown
                unexpected_error("request", error)
                session = None

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    samples = []
    last = Counter()
    print(f"{'time':>6} {'ops/s':>7} {'refused':>8} {'unexpected':>10} {'RSS MiB':>8} {'fds':>5}  by kind (ops/s)")
    while any(thread.is_alive() for thread in threads):
        time.sleep(min(REPORT_EVERY, max(0.1, deadline - time.monotonic() + 1)))
        now = time.monotonic() - started
        with lock:
            snapshot, refused, wrong = Counter(counts), sum(expected_errors.values()), len(unexpected)
        rss, fds = proc_figures(server.pid)
        window = snapshot - last
        last = snapshot
        rate = sum(window.values()) / REPORT_EVERY
        kinds = " ".join(f"{k}={v / REPORT_EVERY:.0f}" for k, v in sorted(window.items()))
        samples.append((now, rss, fds))
        print(f"{now:6.0f} {rate:7.1f} {refused:8d} {wrong:10d} {rss:8d} {fds:5d}  {kinds}", flush=True)
    for thread in threads:
        thread.join()
    server.terminate()
    server.wait(timeout=30)
    print(f"\ntotals: {dict(counts)}")
    print(f"refused as expected: {dict(expected_errors)}")
    print(f"unexpected errors: {len(unexpected)}")
    for line in unexpected[:10]:
        print("  " + line)
    # The first sample is the warm-up, the last one is taken after the load stopped; flat means the
    # second half of the run never rose above the first half by more than noise.
    steady = samples[1:-1] or samples
    rss_values, fd_values = [s[1] for s in steady], [s[2] for s in steady]
    print(f"RSS after warm-up: {min(rss_values)}–{max(rss_values)} MiB; descriptors: {min(fd_values)}–{max(fd_values)}")
    half = max(1, len(steady) // 2)
    first, second = steady[:half], steady[half:] or steady[:half]
    flat = (max(s[1] for s in second) <= max(s[1] for s in first) * 1.2 + 16
            and max(s[2] for s in second) <= max(s[2] for s in first) + 16)
    print("steady" if flat and not unexpected else "NOT steady")
    return 0 if flat and not unexpected else 1


if __name__ == "__main__":
    sys.exit(main())
