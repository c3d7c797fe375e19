# Known-answer vectors: server side in plain Python arithmetic, client side through pycognito.
# Run with pycognito installed (`pip install pycognito`); writes cases.json. check.js then
# recomputes every signature with amazon-cognito-identity-js.
import base64, hashlib, hmac, json
from pycognito import aws_srp
from pycognito.aws_srp import AWSSRP, N_HEX, hex_to_long, pad_hex, hex_hash, hash_sha256, calculate_u, compute_hkdf

N = hex_to_long(N_HEX); g = 2
k = hex_to_long(hex_hash("00" + N_HEX + "02"))
def top(n): return pad_hex(n).startswith("00")

cases_spec = [
  # pool id, username, password, salt hex, want (B top bit, u top bit, S top bit)
  ("us-east-1_AbCdEf123", "3f1c2e4a-9b7d-4c1e-8f2a-0d6b5e4c3a21", "Pässwörd!1 ✓", "e3b0c44298fc1c149afbf4c8996fb924", (True, True, True)),
  ("eu-west-2_Z9y8X7w6V", "alice", "correct horse battery staple", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", (False, False, False)),
  ("ap-south-1_q", "Bob@Example.com", "", "7fffffffffffffffffffffffffffffff", (True, False, True)),
  ("us-west-2_abc", "user_id", "p:a:s:s", "80", (False, True, False)),
]
out = []
secret_block = base64.b64encode(bytes(range(200))).decode()
for i, (pool_id, username, password, salt_hex, want) in enumerate(cases_spec):
    pool_name = pool_id.split("_")[1]
    ident = hash_sha256(f"{pool_name}{username}:{password}".encode())
    x = hex_to_long(hex_hash(pad_hex(salt_hex) + ident))
    v = pow(g, x, N)
    a = hex_to_long(hashlib.sha512(f"a{i}".encode()).hexdigest() * 2) % N
    srp = AWSSRP(username, password, pool_id, "client", client=object())
    srp.small_a_value = a; srp.large_a_value = srp.calculate_a()
    A = srp.large_a_value
    seed = 0
    while True:
        b = hex_to_long(hashlib.sha256(f"b{i}/{seed}".encode()).hexdigest())
        B = (k * v + pow(g, b, N)) % N
        u = calculate_u(A, B)
        S = pow(A * pow(v, u, N), b, N)
        if (top(B), top(u), top(S)) == want:
            break
        seed += 1
    key = srp.get_password_authentication_key(username, password, B, salt_hex)
    # The server's key from its own S, as a cross-check of the arithmetic.
    assert key == compute_hkdf(bytes.fromhex(pad_hex(S)), bytes.fromhex(pad_hex(f"{u:x}")))
    timestamp = AWSSRP.get_cognito_formatted_timestamp(__import__("datetime").datetime(2026, 11, 2, 4, 5, 6))
    msg = pool_name.encode() + username.encode() + base64.b64decode(secret_block) + timestamp.encode()
    sig = base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()
    out.append(dict(pool_id=pool_id, pool_name=pool_name, username=username, password=password,
        salt_hex=salt_hex, verifier=f"{v:0768x}", a=f"{a:x}", srp_a_hex=f"{A:x}", b=f"{b:064x}",
        srp_b_hex=f"{B:x}", secret_block=secret_block, timestamp=timestamp, signature=sig,
        key=key.hex(), tops=want))
json.dump(out, open("cases.json", "w"), indent=1, ensure_ascii=False)
for c in out: print(c["timestamp"], c["signature"], c["tops"], len(c["srp_b_hex"]))
