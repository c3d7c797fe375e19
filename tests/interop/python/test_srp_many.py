"""200 SRP sign-ins in a row with random usernames and passwords all succeed, and 200 with wrong
passwords all fail: the padding edge cases of SRP (minimal hex, the 00 prefix of values
whose top bit is set, short values) only show up over many random values.

One server of the module's own, with a lockout threshold far above the attempts, so that the wrong
password loop sees NotAuthorizedException for the password and never a lockout. The users are made
once (AdminCreateUser + AdminSetUserPassword Permanent=True, as an operator does) and serve both loops.
"""

import os
import random
import string
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, error_message, jwt_claims

COUNT = 200
# Cognito's username characters for this test: letters, digits and @ . _ - +
USERNAME_CHARS = string.ascii_letters + string.digits + "@._-+"
# Cognito's password policy symbols (the space counts too, just not first or last).
SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-"
# Reported with every failure; set S3COGNITO_TEST_SEED to replay a run.
SEED = int(os.environ.get("S3COGNITO_TEST_SEED") or random.randrange(2**32))
RNG = random.Random(SEED)


def random_username(taken: set) -> str:
    while True:
        name = "".join(RNG.choice(USERNAME_CHARS) for _ in range(RNG.randint(1, 64)))
        if name.lower() not in taken:
            taken.add(name.lower())
            return name


def random_password() -> str:
    length = RNG.randint(8, 64)
    classes = [string.ascii_uppercase, string.ascii_lowercase, string.digits, SYMBOLS]
    chars = [RNG.choice(c) for c in classes]
    everything = "".join(classes) + " "
    chars += [RNG.choice(everything) for _ in range(length - len(chars))]
    RNG.shuffle(chars)
    # No leading or trailing space.
    for end in (0, -1):
        if chars[end] == " ":
            chars[end] = RNG.choice(string.ascii_letters)
    password = "".join(chars)
    assert 8 <= len(password) <= 64
    return password


def wrong_password(password: str) -> str:
    """Near misses, which differ from the right one in a single place, and unrelated passwords."""
    i = RNG.randrange(len(password))
    kind = RNG.randrange(5)
    if kind == 0:  # one character changed
        replacement = RNG.choice([c for c in string.ascii_letters + string.digits if c != password[i]])
        return password[:i] + replacement + password[i + 1:]
    if kind == 1:  # one character more
        return password + RNG.choice(string.ascii_letters)
    if kind == 2:  # one character less (still 8 or more when possible)
        return password[:-1] if len(password) > 8 else password[1:] + "x!"
    if kind == 3:  # case flipped
        flipped = password.swapcase()
        return flipped if flipped != password else password + "A"
    return random_password()


@pytest.fixture(scope="module")
def srv(server_factory):
    return server_factory(S3COGNITO_LOCKOUT_THRESHOLD=100_000)


@pytest.fixture(scope="module")
def population(srv):
    """COUNT fresh users with random names and passwords, CONFIRMED. Made two at a time: each costs
    two Argon2 hashes (AdminCreateUser's temporary password, then the permanent one)."""
    taken: set = set()
    wanted = [(random_username(taken), random_password()) for _ in range(COUNT)]

    def create(chunk):
        admin = srv.admin()
        problems = []
        for username, password in chunk:
            try:
                admin.admin_create_user(UserPoolId=srv.pool_id, Username=username, MessageAction="SUPPRESS")
                admin.admin_set_user_password(
                    UserPoolId=srv.pool_id, Username=username, Password=password, Permanent=True
                )
            except ClientError as e:
                problems.append(f"{username!r} / {password!r}: {error_code(e)}: {error_message(e)}")
        return problems

    with ThreadPoolExecutor(max_workers=2) as pool:
        problems = [p for chunk in pool.map(create, [wanted[0::2], wanted[1::2]]) for p in chunk]
    assert not problems, f"seed {SEED}: creating users failed for {len(problems)}:\n" + "\n".join(problems[:20])
    return wanted


def test_200_srp_sign_ins_with_random_names_and_passwords(srv, population):
    failures = []
    client = srv.public()
    for username, password in population:
        try:
            tokens = srv.srp(username, password, client=client).authenticate_user()
            result = tokens["AuthenticationResult"]
            got = jwt_claims(result["IdToken"])["cognito:username"]
            if got != username:
                failures.append(f"{username!r}: id token names {got!r}")
            if jwt_claims(result["AccessToken"])["username"] != username:
                failures.append(f"{username!r}: access token names someone else")
        except ClientError as e:
            failures.append(f"{username!r} / {password!r}: {error_code(e)}: {error_message(e)}")
        except Exception as e:  # noqa: BLE001 - report every kind of failure with its inputs
            failures.append(f"{username!r} / {password!r}: {type(e).__name__}: {e}")
    assert not failures, (
        f"seed {SEED}: {len(failures)} of {len(population)} SRP sign-ins failed:\n" + "\n".join(failures[:30])
    )


def test_200_srp_sign_ins_with_wrong_passwords(srv, population):
    failures = []
    client = srv.public()
    for username, password in population:
        wrong = wrong_password(password)
        assert wrong != password
        try:
            srv.srp(username, wrong, client=client).authenticate_user()
            failures.append(f"{username!r}: signed in with {wrong!r} (password {password!r})")
        except ClientError as e:
            code, message = error_code(e), error_message(e)
            if code != "NotAuthorizedException" or message != "Incorrect username or password.":
                failures.append(f"{username!r} / wrong {wrong!r}: {code}: {message}")
        except Exception as e:  # noqa: BLE001
            failures.append(f"{username!r} / wrong {wrong!r}: {type(e).__name__}: {e}")
    assert not failures, (
        f"seed {SEED}: {len(failures)} of {len(population)} wrong-password sign-ins did not fail as expected:\n"
        + "\n".join(failures[:30])
    )
