"""A server killed with SIGKILL in the middle of uploads comes back with every acknowledged object
intact and no partial object visible.

Eight threads, each with its own boto3 client, PUT objects of 1 KiB..3 MiB (new keys and a few keys
overwritten again and again) and two of them also push ~12 MiB multipart uploads through
`upload_file`. After ~2 s of traffic the server is SIGKILLed while requests are in flight, then
restarted on the same data directory. For every key the test knows the last version whose
PUT / CompleteMultipartUpload was acknowledged (HTTP 200) and the versions whose request was in flight
at the kill (they may or may not have committed). Exactly those, and nothing else, may be visible.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from dataclasses import dataclass, field

from boto3.s3.transfer import TransferConfig

from conftest import md5_etag, multipart_etag, unique

KiB = 1024
MiB = 1024 * KiB

THREADS = 8
MULTIPART_THREADS = 2  # threads 0 and 1 also do multipart uploads
MAX_OPS_PER_THREAD = 400
MAX_MULTIPART_PER_THREAD = 4
TRAFFIC_SECONDS = 2.0  # traffic before the kill
ACK_WAIT = 15.0  # the longest wait for enough acknowledged uploads before the kill
KILL_WAIT_MULTIPART = 3.0  # after that, wait at most this long for a multipart upload to be in flight
HARD_DEADLINE = 20.0  # no worker starts a request after this (seconds from traffic start)
JOIN_TIMEOUT = 30.0
PART = 5 * MiB
TRANSFER = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART, max_concurrency=4)


@dataclass
class Attempt:
    key: str
    seq: int  # order of the attempts on this key (a key belongs to one thread: they are sequential)
    sha256: str
    etag: str
    size: int
    multipart: bool
    start: float = 0.0
    end: float | None = None
    acked: bool = False
    error: str | None = None
    complete_sent: bool = False  # multipart: CompleteMultipartUpload went out
    upload_ids: list = field(default_factory=list)  # multipart: ids from CreateMultipartUpload

    def label(self) -> str:
        kind = "multipart" if self.multipart else "put"
        state = "acked" if self.acked else ("error: " + (self.error or "?")[:120] if self.end else "unfinished")
        return f"v{self.seq} {kind} {self.size}B sha256={self.sha256[:16]} ({state})"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _size(rng: random.Random) -> int:
    # log-uniform between 1 KiB and 3 MiB
    return int(KiB * (3 * KiB) ** rng.random())


def test_sigkill_during_uploads_keeps_acknowledged_objects(fresh_server, tmp_path):
    srv = fresh_server
    admin = srv.s3()
    bucket = unique("crash-")
    admin.create_bucket(Bucket=bucket)

    lock = threading.Lock()
    attempts: dict[str, list[Attempt]] = {}
    stop = threading.Event()
    crashed: list[str] = []  # unexpected exceptions in a worker's own code
    t_start = time.monotonic()
    active_multipart: set[int] = set()  # threads inside an upload_file right now

    def record(a: Attempt) -> None:
        with lock:
            lst = attempts.setdefault(a.key, [])
            a.seq = len(lst)
            lst.append(a)

    def worker(tid: int) -> None:
        try:
            rng = random.Random(f"{tid}-{os.getpid()}-{time.time_ns()}")
            s3 = srv.s3()
            current: list[Attempt | None] = [None]

            def on_complete(**_kw):
                if current[0] is not None:
                    current[0].complete_sent = True

            def on_create(parsed=None, **_kw):
                if current[0] is not None and parsed and parsed.get("UploadId"):
                    current[0].upload_ids.append(parsed["UploadId"])

            s3.meta.events.register("before-call.s3.CompleteMultipartUpload", on_complete)
            s3.meta.events.register("after-call.s3.CreateMultipartUpload", on_create)

            hot = [f"t{tid}/hot-{i}" for i in range(3)]
            n_mp = 0
            for n in range(MAX_OPS_PER_THREAD):
                if stop.is_set() or time.monotonic() - t_start > HARD_DEADLINE:
                    return
                multipart = tid < MULTIPART_THREADS and n % 3 == 0 and n_mp < MAX_MULTIPART_PER_THREAD
                if multipart:
                    n_mp += 1
                    key = f"t{tid}/mp-hot" if n_mp % 2 == 0 else f"t{tid}/mp-{n}"
                    size = 12 * MiB + rng.randrange(0, MiB)
                else:
                    key = rng.choice(hot) if rng.random() < 0.5 else f"t{tid}/obj-{n}"
                    size = _size(rng)
                body = os.urandom(size)
                if multipart:
                    chunks = [body[i : i + PART] for i in range(0, size, PART)]
                    etag = multipart_etag(chunks)
                    path = tmp_path / f"mp-{tid}-{n}.bin"
                    path.write_bytes(body)
                else:
                    etag = md5_etag(body)
                a = Attempt(key=key, seq=-1, sha256=_sha(body), etag=etag, size=size, multipart=multipart)
                record(a)
                current[0] = a
                if multipart:
                    with lock:
                        active_multipart.add(tid)
                a.start = time.monotonic()
                try:
                    if multipart:
                        s3.upload_file(str(path), bucket, key, Config=TRANSFER)
                    else:
                        s3.put_object(Bucket=bucket, Key=key, Body=body)
                    a.end = time.monotonic()
                    a.acked = True
                except Exception as exc:  # connection errors at the kill: not acknowledged
                    a.end = time.monotonic()
                    a.error = f"{type(exc).__name__}: {exc}"
                finally:
                    current[0] = None
                    if multipart:
                        with lock:
                            active_multipart.discard(tid)
                        path.unlink(missing_ok=True)
        except Exception as exc:  # pragma: no cover - a bug in the test itself
            crashed.append(f"thread {tid}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(THREADS)]
    for t in threads:
        t.start()

    # At least ~2 s of traffic and enough acknowledged uploads (a loaded machine takes longer; bounded),
    # then (for at most a few more seconds) wait until a multipart upload is in flight.
    traffic_until = time.monotonic() + TRAFFIC_SECONDS
    give_up = time.monotonic() + ACK_WAIT
    while time.monotonic() < give_up:
        with lock:
            acknowledged = sum(1 for lst in attempts.values() for a in lst if a.acked)
        if acknowledged >= THREADS and time.monotonic() >= traffic_until:
            break
        time.sleep(0.02)
    wait_until = time.monotonic() + KILL_WAIT_MULTIPART
    while time.monotonic() < wait_until:
        with lock:
            if active_multipart:
                break
        time.sleep(0.01)
    stop.set()  # no new request starts from here on; those already sent are in flight at the kill
    kill_t0 = time.monotonic()
    srv.sigkill()
    kill_t1 = time.monotonic()
    for t in threads:
        t.join(timeout=JOIN_TIMEOUT)
    assert not [t for t in threads if t.is_alive()], "client threads did not finish after the kill"
    assert not crashed, crashed

    all_attempts = [a for lst in attempts.values() for a in lst]
    # The test must actually have tested something.
    acked = [a for a in all_attempts if a.acked]
    in_flight = [a for a in all_attempts if not a.acked and a.start < kill_t1 and (a.end is None or a.end > kill_t0)]
    assert len(acked) >= THREADS, f"only {len(acked)} uploads acknowledged before the kill"
    assert in_flight, "no upload was in flight at the kill"
    # Before the kill the server must not have failed anything.
    failed_early = [f"{a.key} {a.label()}" for a in all_attempts if a.error and a.end is not None and a.end < kill_t0]
    assert not failed_early, "requests failed before the kill:\n" + "\n".join(failed_early)

    # What may be visible for each key.
    allowed: dict[str, dict[str, Attempt]] = {}
    must_exist: dict[str, Attempt] = {}
    for key, lst in attempts.items():
        last_ack = max((a.seq for a in lst if a.acked), default=-1)
        ok: dict[str, Attempt] = {}
        if last_ack >= 0:
            ok[lst[last_ack].sha256] = lst[last_ack]
            must_exist[key] = lst[last_ack]
        for a in lst[last_ack + 1 :]:
            # Not acknowledged; it may have committed only if it reached the server before the kill
            # (and, for a multipart upload, only if CompleteMultipartUpload was sent).
            if a.start < kill_t1 and (not a.multipart or a.complete_sent):
                ok[a.sha256] = a
        allowed[key] = ok

    # ---- restart on the same data directory ---------------------------------------------------
    srv.start()
    s3 = srv.s3()
    t_check = time.monotonic()

    assert bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    listed: dict[str, dict] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"MaxItems": 100000}):
        for o in page.get("Contents", []):
            assert o["Key"] not in listed, f"key listed twice: {o['Key']}"
            listed[o["Key"]] = o

    problems: list[str] = []

    def history(key: str) -> str:
        return "\n      ".join(a.label() for a in attempts.get(key, []))

    never_attempted = sorted(set(listed) - set(attempts))
    for key in never_attempted:
        problems.append(f"{key}: listed ({listed[key]['Size']}B) but never attempted")

    for key, a in sorted(must_exist.items()):
        if key not in listed:
            problems.append(
                f"{key}: acknowledged object missing from list_objects_v2\n"
                f"    expected one of: {[x.label() for x in allowed[key].values()]}\n      {history(key)}"
            )

    for key, o in sorted(listed.items()):
        if key not in attempts:
            continue
        try:
            got = s3.get_object(Bucket=bucket, Key=key)
            data = got["Body"].read()
        except Exception as exc:
            problems.append(f"{key}: listed but GetObject failed: {type(exc).__name__}: {exc}")
            continue
        sha = _sha(data)
        versions = {a.sha256: a for a in attempts[key]}
        if sha not in versions:
            problems.append(
                f"{key}: content matches no attempted version (partial/corrupt): {len(data)}B sha256={sha[:16]}, "
                f"listed Size={o['Size']}\n      {history(key)}"
            )
            continue
        if sha not in allowed[key]:
            problems.append(
                f"{key}: stale or uncommitted version visible: found {versions[sha].label()}\n"
                f"    expected one of: {[x.label() for x in allowed[key].values()]}\n      {history(key)}"
            )
            continue
        version = versions[sha]
        if o["Size"] != len(data) or got["ContentLength"] != len(data):
            problems.append(f"{key}: listed Size {o['Size']} / ContentLength {got['ContentLength']} != body {len(data)}B")
        if o["ETag"] != version.etag or got["ETag"] != version.etag:
            problems.append(f"{key}: ETag listed {o['ETag']} / got {got['ETag']}, expected {version.etag} ({version.label()})")

    # Unfinished multipart uploads may remain, but never as objects, and never for a completed one.
    acked_upload_ids = {u for a in all_attempts if a.multipart and a.acked for u in a.upload_ids}
    mp_keys = {a.key for a in all_attempts if a.multipart}
    unfinished = []
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, PaginationConfig={"MaxItems": 10000}):
        unfinished.extend(page.get("Uploads", []))
    for up in unfinished:
        if up["Key"] not in mp_keys:
            problems.append(f"unfinished upload {up['UploadId']} for {up['Key']!r}, which had no multipart upload")
        if up["UploadId"] in acked_upload_ids:
            problems.append(f"completed upload {up['UploadId']} ({up['Key']}) still listed as unfinished")

    assert not problems, (
        f"after SIGKILL + restart ({len(all_attempts)} attempts, {len(acked)} acked, {len(in_flight)} in flight, "
        f"{len(listed)} listed, {len(unfinished)} unfinished uploads):\n  " + "\n  ".join(problems)
    )

    # ---- the restarted server works normally ------------------------------------------------
    for up in unfinished:
        s3.abort_multipart_upload(Bucket=bucket, Key=up["Key"], UploadId=up["UploadId"])
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")

    fresh = os.urandom(MiB + 17)
    s3.put_object(Bucket=bucket, Key="after/fresh.bin", Body=fresh)
    assert s3.get_object(Bucket=bucket, Key="after/fresh.bin")["Body"].read() == fresh

    overwrite_key = next(iter(sorted(must_exist)))
    new = os.urandom(4 * KiB)
    s3.put_object(Bucket=bucket, Key=overwrite_key, Body=new)
    got = s3.get_object(Bucket=bucket, Key=overwrite_key)
    assert got["Body"].read() == new and got["ETag"] == md5_etag(new)

    big = os.urandom(11 * MiB)
    big_path = tmp_path / "after-big.bin"
    big_path.write_bytes(big)
    s3.upload_file(str(big_path), bucket, "after/big.bin", Config=TRANSFER)
    got = s3.get_object(Bucket=bucket, Key="after/big.bin")
    assert _sha(got["Body"].read()) == _sha(big)
    assert got["ETag"] == multipart_etag([big[i : i + PART] for i in range(0, len(big), PART)])

    keys_now = {o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in p.get("Contents", [])}
    assert {"after/fresh.bin", "after/big.bin", overwrite_key} <= keys_now
    assert time.monotonic() - t_start < 60, f"test took {time.monotonic() - t_start:.1f}s"
    print(
        f"\ncrash: {len(all_attempts)} attempts, {len(acked)} acked, {len(in_flight)} in flight at the kill "
        f"({sum(a.multipart for a in in_flight)} multipart), {len(listed)} listed, {len(unfinished)} unfinished uploads, "
        f"check took {time.monotonic() - t_check:.1f}s"
    )
