// JWTs for tests, signed with node:crypto (independent of the server's
// OpenSSL code): HS256 with a secret, RS256 and ES256 with generated keys
// whose public halves are written as a JWKS file.
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';

const b64 = (o) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

// `claims` get an exp an hour ahead unless they bring their own; `header` adds to or replaces the default.
function parts(alg, claims, header) {
  return `${b64({ alg, typ: 'JWT', ...header })}.${b64({ exp: now() + 3600, ...claims })}`;
}

export function hs256(secret, claims = {}, header = {}) {
  const signing = parts('HS256', claims, header);
  return `${signing}.${createHmac('sha256', secret).update(signing).digest('base64url')}`;
}

// A key pair: `jwk` is the public key for a JWKS file; sign(claims, header) makes a token.
export function keyPair(alg, kid) {
  const { privateKey, publicKey } = alg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return {
    jwk,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }),
    sign(claims = {}, header = {}) {
      const signing = parts(alg, claims, { kid, ...header });
      // JWS ES256 signatures are raw R‖S (ieee-p1363), not DER.
      const sig = sign('sha256', Buffer.from(signing), alg === 'RS256' ? privateKey : { key: privateKey, dsaEncoding: 'ieee-p1363' });
      return `${signing}.${sig.toString('base64url')}`;
    },
  };
}

export { now };
