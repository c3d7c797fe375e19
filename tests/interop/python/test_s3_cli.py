"""The AWS CLI v1's `aws s3` commands against the bootstrap bucket (only `--endpoint-url` added)."""

import hashlib
import os
import shutil
import subprocess
import sys

from conftest import http_raw

MiB = 1024 * 1024


def aws(server, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`aws --endpoint-url URL ...` from the test venv with DATA/credentials, profile s3cognito."""
    exe = shutil.which("aws", path=server.cli_env["PATH"])
    assert exe, "aws CLI not installed in the test venv"
    cmd = [sys.executable, exe, "--endpoint-url", server.endpoint, *args]
    cp = subprocess.run(cmd, env=server.cli_env, capture_output=True, text=True, timeout=timeout)
    assert cp.returncode == 0, f"aws {' '.join(args)} failed ({cp.returncode}):\n{cp.stdout}\n{cp.stderr}"
    return cp


def sha256_of(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            h.update(block)
    return h.hexdigest()


def random_file(path, size: int) -> None:
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 4 * MiB)
            f.write(os.urandom(n))
            left -= n


def test_cp_100_mib_up_and_down(server, tmp_path):
    """`aws s3 cp` goes multipart above 8 MB: 100 MiB up in 8 MiB parts, then down, byte-identical."""
    bucket = server.bucket
    source = tmp_path / "hundred.bin"
    random_file(source, 100 * MiB)
    aws(server, "s3", "cp", str(source), f"s3://{bucket}/cli/hundred.bin")

    head = server.s3().head_object(Bucket=bucket, Key="cli/hundred.bin")
    assert head["ContentLength"] == 100 * MiB
    assert head["ETag"].endswith('-13"'), head["ETag"]  # 8 MiB parts (the CLI default chunk size)

    target = tmp_path / "hundred.down"
    aws(server, "s3", "cp", f"s3://{bucket}/cli/hundred.bin", str(target))
    assert target.stat().st_size == 100 * MiB
    assert sha256_of(target) == sha256_of(source)


def test_ls_rm_and_presign(server, tmp_path):
    bucket = server.bucket
    local = tmp_path / "note.txt"
    data = b"hello from the aws cli\n" * 100
    local.write_bytes(data)
    aws(server, "s3", "cp", str(local), f"s3://{bucket}/cli-ls/note.txt")
    aws(server, "s3", "cp", str(local), f"s3://{bucket}/cli-ls/sub dir/other note.txt")

    # Listing all buckets.
    assert bucket in aws(server, "s3", "ls").stdout.split()

    top = aws(server, "s3", "ls", f"s3://{bucket}/").stdout
    assert "PRE cli-ls/" in top, top

    inside = aws(server, "s3", "ls", f"s3://{bucket}/cli-ls/").stdout
    lines = inside.splitlines()
    note = [ln for ln in lines if ln.endswith(" note.txt")]
    assert len(note) == 1, inside
    assert note[0].split()[2] == str(len(data)), inside  # date time size name
    assert any(ln.strip() == "PRE sub dir/" for ln in lines), inside

    recursive = aws(server, "s3", "ls", "--recursive", f"s3://{bucket}/cli-ls/").stdout
    assert "cli-ls/note.txt" in recursive and "cli-ls/sub dir/other note.txt" in recursive, recursive

    # presign, then a plain HTTP GET.
    url = aws(server, "s3", "presign", f"s3://{bucket}/cli-ls/sub dir/other note.txt", "--expires-in", "300").stdout.strip()
    assert url.startswith(server.endpoint + "/"), url
    status, _, body = http_raw("GET", url)
    assert status == 200, body[:500]
    assert body == data

    # rm one object, then the rest recursively.
    aws(server, "s3", "rm", f"s3://{bucket}/cli-ls/note.txt")
    listing = aws(server, "s3", "ls", "--recursive", f"s3://{bucket}/cli-ls/").stdout
    assert "cli-ls/note.txt" not in listing and "other note.txt" in listing, listing
    aws(server, "s3", "rm", "--recursive", f"s3://{bucket}/cli-ls/")
    left = server.s3().list_objects_v2(Bucket=bucket, Prefix="cli-ls/")
    assert left["KeyCount"] == 0, left.get("Contents")
