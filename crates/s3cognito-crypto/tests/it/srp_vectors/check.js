// Recomputes each vector's claim signature through amazon-cognito-identity-js's AuthenticationHelper.
const { AuthenticationHelper } = require('amazon-cognito-identity-js');
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger').default;
const crypto = require('crypto');
const cases = require('./cases.json');
(async () => {
  for (const c of cases) {
    const h = new AuthenticationHelper(c.pool_name);
    h.smallAValue = new BigInteger(c.a, 16);
    h.largeAValue = await new Promise((res, rej) => h.calculateA(h.smallAValue, (e, A) => e ? rej(e) : res(A)));
    if (h.largeAValue.toString(16) !== c.srp_a_hex) throw new Error('A differs');
    const key = await new Promise((res, rej) => h.getPasswordAuthenticationKey(c.username, c.password,
      new BigInteger(c.srp_b_hex, 16), new BigInteger(c.salt_hex, 16), (e, k) => e ? rej(e) : res(k)));
    const msg = Buffer.concat([Buffer.from(c.pool_name, 'utf8'), Buffer.from(c.username, 'utf8'),
      Buffer.from(c.secret_block, 'base64'), Buffer.from(c.timestamp, 'utf8')]);
    const sig = crypto.createHmac('sha256', key).update(msg).digest('base64');
    console.log(sig === c.signature ? 'same' : 'DIFFERENT', Buffer.from(key).toString('hex') === c.key);
  }
})().catch(e => { console.error(e); process.exit(1); });
