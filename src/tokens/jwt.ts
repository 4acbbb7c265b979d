/**
 * JWS compact serialization for the token service: sign claims with a key of
 * the key set, and check a token's signature against the key its `kid` names.
 * Claim rules (type, audience, issuer, time) are the service's, in one place
 * for every algorithm.
 *
 * RS256 and ES256 go through jsonwebtoken with KeyObjects. jsonwebtoken 9 has
 * no EdDSA, so Ed25519 is signed and verified here with node:crypto, producing
 * the same header shape (`alg`, `typ`, `kid`).
 *
 * HS256, the default key's algorithm, is done here with node:crypto too: a
 * refresh verifies one token and signs two, and on the 2-core reference machine
 * jsonwebtoken took 5.9 µs per sign and 7.4 µs per verify where createHmac
 * takes 3.8 and 3.9 µs. The header is encoded once per key, in jsonwebtoken's
 * member order, and our claims always carry the `iat` jsonwebtoken would add,
 * so for an ASCII kid the token is byte for byte the one jsonwebtoken signed:
 * the grace window re-signs stored claims and must hand back the same token.
 *
 * Header rules (RFC 7515, RFC 8725), checked before any key is looked up (an
 * unsigned token is refused as such first):
 * - `typ` must be "JWT", the only type refreshd mints (explicit typing, RFC
 *   8725 §3.11; access and refresh tokens differ by their `token_type` claim).
 * - `crit` is refused in every form: refreshd understands no extension, so a
 *   token naming one must be rejected (RFC 7515 §4.1.11), and a `crit` that is
 *   empty, not an array, or names a registered header is malformed.
 * - `jku`, `x5u`, `jwk` and `x5c` are refused: keys come from configuration
 *   only, never from the token (RFC 8725 §3.10), and refreshd never writes
 *   them, so a token carrying one was not minted here as it stands.
 * Other header parameters are ignored, as RFC 7515 §4 requires.
 */
import { createHmac, sign as cryptoSign, timingSafeEqual, verify as cryptoVerify } from 'node:crypto';
import type jsonwebtoken from 'jsonwebtoken';
import { TokenError } from './errors';
import type { KeySet, SigningKey } from './keys';

export type JwtClaims = Record<string, unknown>;

let jsonwebtokenModule: typeof jsonwebtoken | undefined;

/** jsonwebtoken, loaded by the first RS256 or ES256 key that signs or verifies: HS256 and EdDSA never need it. */
function jwt(): typeof jsonwebtoken {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (jsonwebtokenModule ??= require('jsonwebtoken') as typeof jsonwebtoken);
}

export interface VerifiedJws {
  header: { alg: string; kid: string; typ: typeof MINTED_TYP };
  claims: JwtClaims;
  key: SigningKey;
}

/** Longer tokens are refused before any parsing: ours are well under 2 KB. */
export const MAX_TOKEN_LENGTH = 8192;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The `typ` of every token refreshd signs (its own HS256/EdDSA header and jsonwebtoken's). */
export const MINTED_TYP = 'JWT';

/** Header parameters that would name or carry a verification key (RFC 7515 §4.1.2–4.1.6). */
const KEY_CARRYING_HEADERS = ['jku', 'jwk', 'x5u', 'x5c'] as const;

/** Header parameters registered by RFC 7515 and RFC 7516 §4.1: `crit` must not name them. */
const REGISTERED_HEADERS = new Set(['alg', 'jku', 'jwk', 'kid', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'typ', 'cty', 'crit', 'enc', 'zip']);

/** Throws `token_malformed` for a header refreshd must refuse whatever its signature (see the rules above). */
function checkHeaderRules(header: Record<string, unknown>): void {
  if (Object.hasOwn(header, 'crit')) {
    const { crit } = header;
    if (!Array.isArray(crit) || crit.length === 0 || !crit.every((name) => typeof name === 'string')) {
      throw new TokenError('token_malformed', 'header crit is not a non-empty array of names (RFC 7515 §4.1.11)');
    }
    const registered = crit.find((name: string) => REGISTERED_HEADERS.has(name));
    if (registered !== undefined) {
      throw new TokenError('token_malformed', `header crit names the registered parameter ${JSON.stringify(registered)} (RFC 7515 §4.1.11)`);
    }
    throw new TokenError('token_malformed', 'header crit names an extension refreshd does not understand (RFC 7515 §4.1.11)');
  }
  const keyCarrying = KEY_CARRYING_HEADERS.find((name) => Object.hasOwn(header, name));
  if (keyCarrying !== undefined) {
    throw new TokenError('token_malformed', `header carries ${keyCarrying}: keys come from configuration only (RFC 8725 §3.10)`);
  }
  if (header.typ !== MINTED_TYP) {
    const typ = typeof header.typ === 'string' ? JSON.stringify(header.typ.slice(0, 32)) : 'none';
    throw new TokenError('token_malformed', `header typ ${typ} is not ${JSON.stringify(MINTED_TYP)}, the type refreshd mints (RFC 8725 §3.11)`);
  }
}

function decodeJsonPart(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError('token_malformed', `${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenError('token_malformed', `${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Keyed by the key object, whose `kid` is readonly; a dropped key drops its entry. */
const hs256Headers = new WeakMap<SigningKey, string>();

function encodedHs256Header(key: SigningKey): string {
  let encoded = hs256Headers.get(key);
  if (encoded === undefined) {
    encoded = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: key.kid })).toString('base64url');
    hs256Headers.set(key, encoded);
  }
  return encoded;
}

export function signJwt(claims: JwtClaims, key: SigningKey): string {
  if (!key.signingKey) throw new Error(`key ${key.kid} is verify-only`);
  if (key.alg === 'HS256') {
    const signingInput = `${encodedHs256Header(key)}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${signingInput}.${createHmac('sha256', key.signingKey).update(signingInput).digest('base64url')}`;
  }
  if (key.alg === 'EdDSA') {
    const header = { alg: 'EdDSA', typ: 'JWT', kid: key.kid };
    const signingInput = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = cryptoSign(null, Buffer.from(signingInput), key.signingKey);
    return `${signingInput}.${signature.toString('base64url')}`;
  }
  // Claims carry explicit iat/nbf/exp, so jsonwebtoken never reads the wall clock here.
  return jwt().sign(claims, key.signingKey, { algorithm: key.alg, keyid: key.kid });
}

/**
 * Parses a compact JWS, applies the header rules, and checks its signature with
 * the key named by `kid`, accepting only that key's algorithm. Throws `token_malformed` or
 * `token_invalid_signature`; checks no claim.
 */
export function verifyJws(token: string, keys: KeySet, nowSeconds: number): VerifiedJws {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new TokenError('token_malformed', `token length ${token.length} outside 1..${MAX_TOKEN_LENGTH}`);
  }
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('token_malformed', `token has ${parts.length} parts, not 3`);
  const [encodedHeader, encodedClaims, encodedSignature] = parts;
  if (!BASE64URL.test(encodedHeader) || !BASE64URL.test(encodedClaims)) {
    throw new TokenError('token_malformed', 'header or payload is not base64url');
  }
  const header = decodeJsonPart(encodedHeader, 'header');
  const claims = decodeJsonPart(encodedClaims, 'payload');
  const { alg, kid } = header;
  if (typeof alg !== 'string') throw new TokenError('token_malformed', 'header has no alg');
  if (encodedSignature === '' || alg === 'none') {
    throw new TokenError('token_invalid_signature', 'unsigned token (alg none) refused');
  }
  checkHeaderRules(header);
  if (typeof kid !== 'string') throw new TokenError('token_invalid_signature', 'header has no kid');
  const key = keys.find(kid);
  if (!key) throw new TokenError('token_invalid_signature', `no key with kid ${JSON.stringify(kid.slice(0, 64))}`);
  if (alg !== key.alg) {
    throw new TokenError('token_invalid_signature', `alg ${JSON.stringify(alg.slice(0, 16))} is not ${key.alg}, the algorithm pinned to kid ${key.kid}`);
  }
  const signature = Buffer.from(encodedSignature, 'base64url');
  // Buffer's base64url decoder ignores stray characters and trailing bits; only the canonical encoding is accepted.
  if (!BASE64URL.test(encodedSignature) || signature.toString('base64url') !== encodedSignature) {
    throw new TokenError('token_invalid_signature', 'signature is not canonical base64url');
  }

  if (key.alg === 'HS256') {
    const expected = createHmac('sha256', key.verificationKey).update(`${encodedHeader}.${encodedClaims}`).digest();
    // timingSafeEqual throws on unequal lengths: a short signature is a wrong signature, not a crash.
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new TokenError('token_invalid_signature', `signature does not verify with kid ${key.kid}`);
    }
  } else if (key.alg === 'EdDSA') {
    const valid = cryptoVerify(null, Buffer.from(`${encodedHeader}.${encodedClaims}`), key.verificationKey, signature);
    if (!valid) throw new TokenError('token_invalid_signature', `signature does not verify with kid ${key.kid}`);
  } else {
    try {
      // Time claims are the service's to judge, with the same injected clock for every algorithm.
      jwt().verify(token, key.verificationKey, {
        algorithms: [key.alg],
        clockTimestamp: nowSeconds,
        ignoreExpiration: true,
        ignoreNotBefore: true,
      });
    } catch (error) {
      // The structure was checked above, so whatever jsonwebtoken refuses now is the signature.
      throw new TokenError('token_invalid_signature', `jsonwebtoken: ${(error as Error).message} (kid ${key.kid})`);
    }
  }
  return { header: { alg, kid, typ: MINTED_TYP }, claims, key };
}
