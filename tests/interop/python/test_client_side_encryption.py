"""Files encrypted before they leave the user's machine (`s3cognito upload --encrypt`), in the AWS
Encryption SDK's message format under data keys from the server's KMS: the `aws-encryption-sdk` package,
pointed at this server's KMS endpoint, opens what the CLI stored, and `s3cognito download` opens what that
package encrypted (its default, signed suite and the unsigned one). The bucket only ever holds ciphertext."""

import json
import os
import subprocess

import aws_encryption_sdk
import botocore.session
import pytest
from aws_encryption_sdk.identifiers import Algorithm, CommitmentPolicy

from conftest import BIN, unique

MIB = 1 << 20


def cli(profile, *args, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["S3COGNITO_CLIENT_CONFIG"] = str(profile)
    cp = subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=300)
    if check and cp.returncode != 0:
        raise AssertionError(f"s3cognito {' '.join(args)} failed ({cp.returncode}):\n{cp.stderr}")
    return cp


@pytest.fixture(scope="module")
def user(server, tmp_path_factory):
    """A signed-up user of the bootstrap pool with a CLI configuration: (profile path, identity id)."""
    username, _, password = server.signed_up_user()
    profile = tmp_path_factory.mktemp("client") / "config.json"
    cli(profile, "config", "--set", str(server.data / "aws-exports.json"), "--usr", username, "--pwd", password)
    identity = json.loads(cli(profile, "whoami", "--json").stdout)["identityId"]
    return profile, identity


@pytest.fixture
def esdk(server, monkeypatch):
    """The AWS Encryption SDK with the operator's keys, its KMS calls sent to this server; and the ARN of
    the default key."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", server.endpoint)
    session = botocore.session.Session()
    session.set_credentials(server.access_key, server.secret_key)
    session.set_config_variable("region", "us-east-1")
    arn = server.client("kms").describe_key(KeyId="alias/s3cognito-default")["KeyMetadata"]["Arn"]
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[arn], botocore_session=session)
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    return client, provider, arn


def pattern(size: int, seed: int) -> bytes:
    block = bytes((i * seed + 7) % 251 for i in range(4096))
    return (block * (size // len(block) + 1))[:size]


@pytest.mark.parametrize("size", [5000, 21 * MIB + 12345], ids=["one-put", "multipart"])
def test_a_file_the_cli_encrypted_opens_with_the_aws_encryption_sdk(server, s3, user, esdk, tmp_path, size):
    profile, identity = user
    client, provider, arn = esdk
    plain = pattern(size, 13)
    name = f"{unique('secret')}.bin"
    (tmp_path / name).write_bytes(plain)
    out = json.loads(cli(profile, "upload", "--encrypt", "--json", str(tmp_path / name)).stdout)
    key = f"private/{identity}/{name}"
    assert out["key"] == key and out["encrypted"] is True
    assert out["parts"] == (1 if size < 8 * MIB else 3)

    stored = s3.get_object(Bucket=server.bucket, Key=key)
    body = stored["Body"].read()
    assert stored["Metadata"] == {"s3cognito-encryption": "aws-encryption-sdk"}
    assert plain[:64] not in body and plain[-64:] not in body

    opened, header = client.decrypt(source=body, key_provider=provider)
    assert opened == plain
    assert header.algorithm == Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY
    assert header.encryption_context == {"s3cognito-object": f"{server.bucket}/{key}"}
    assert [k.key_provider.key_info for k in header.encrypted_data_keys] == [arn.encode()]

    back = tmp_path / "back.bin"
    got = json.loads(cli(profile, "download", "--json", name, str(back)).stdout)
    assert got["decrypted"] is True and got["size"] == size
    assert back.read_bytes() == plain
    kept = tmp_path / "kept.bin"
    cli(profile, "download", "--no-decrypt", name, str(kept))
    assert kept.read_bytes() == body


@pytest.mark.parametrize(
    "algorithm",
    [None, Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY],
    ids=["sdk-default-signed", "unsigned"],
)
def test_the_cli_decrypts_what_the_aws_encryption_sdk_encrypted(server, s3, user, esdk, tmp_path, algorithm):
    profile, identity = user
    client, provider, _ = esdk
    plain = pattern(3 * MIB + 77, 29)
    extra = {"algorithm": algorithm} if algorithm else {}
    sealed, header = client.encrypt(source=plain, key_provider=provider, encryption_context={"team": "blue"}, **extra)
    assert header.algorithm == (algorithm or Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384)
    name = f"{unique('from-sdk')}.bin"
    s3.put_object(Bucket=server.bucket, Key=f"private/{identity}/{name}", Body=sealed)

    back = tmp_path / "back.bin"
    got = json.loads(cli(profile, "download", "--decrypt", "--json", name, str(back)).stdout)
    assert got["decrypted"] is True
    assert back.read_bytes() == plain
    # Not marked by `upload --encrypt`, it is fetched as stored unless decryption is asked for.
    cli(profile, "download", name, str(tmp_path / "raw.bin"))
    assert (tmp_path / "raw.bin").read_bytes() == sealed


def test_a_changed_byte_or_a_signature_that_does_not_verify_writes_nothing(server, s3, user, esdk, tmp_path):
    profile, identity = user
    client, provider, _ = esdk
    plain = pattern(200_000, 31)
    for suite in [Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384]:
        sealed, _ = client.encrypt(source=plain, key_provider=provider, algorithm=suite)
        # A byte of the body, and the signature's last byte (the whole message for the unsigned suite).
        for at in [len(sealed) // 2, len(sealed) - 1]:
            changed = bytearray(sealed)
            changed[at] ^= 0x40
            name = f"{unique('changed')}.bin"
            s3.put_object(Bucket=server.bucket, Key=f"private/{identity}/{name}", Body=bytes(changed))
            dest = tmp_path / name
            refused = cli(profile, "download", "--decrypt", name, str(dest), check=False)
            assert refused.returncode != 0
            assert "does not decrypt" in refused.stderr and ("integrity" in refused.stderr or "signature" in refused.stderr), refused.stderr
            assert not dest.exists()
            assert not [p for p in tmp_path.iterdir() if p.name.startswith(f".{name}")], list(tmp_path.iterdir())


def test_a_key_the_user_may_not_use_refuses_the_upload_and_nothing_is_stored(server, s3, user, tmp_path):
    profile, identity = user
    other = server.client("kms").create_key(Description="operators only")["KeyMetadata"]["Arn"]
    name = f"{unique('denied')}.bin"
    (tmp_path / name).write_bytes(b"private notes\n")
    refused = cli(profile, "upload", "--encrypt", "--kms-key-id", other, str(tmp_path / name), check=False)
    assert refused.returncode != 0 and "AccessDeniedException" in refused.stderr, refused.stderr
    listed = s3.list_objects_v2(Bucket=server.bucket, Prefix=f"private/{identity}/{name}")
    assert listed.get("KeyCount", 0) == 0
