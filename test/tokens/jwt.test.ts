import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { type JwtClaims, signJwt, verifyJws } from '../../src/tokens/jwt';
import { generateSigningKey, hs256Key, KeySet, type SigningKey } from '../../src/tokens/keys';
import { claimsOf, encodePart, expectTokenError, headerOf, ownHeader, REFUSED_HEADERS, signWithHeader } from './helpers';

const NOW = 1_750_000_000;

const CLAIMS: JwtClaims = {
  token_type: 'refresh', sub: 'alice', sid: 'sid-1', jti: 'jti-1',
  iat: NOW, nbf: NOW, exp: NOW + 3600, iss: 'https://refreshd.test', aud: 'watchr',
};

/** Never printed: a failing property shows the index into this list, not the bytes. */
const SECRETS = Array.from({ length: 4 }, () => randomBytes(32));

function jsonwebtokenSign(claims: JwtClaims, key: SigningKey): string {
  return jwt.sign(claims, key.signingKey!, { algorithm: 'HS256', keyid: key.kid });
}

function withSignature(token: string, signature: Buffer): string {
  const [header, payload] = token.split('.');
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

function signatureOf(token: string): Buffer {
  return Buffer.from(token.split('.')[2], 'base64url');
}

describe('HS256 agrees with jsonwebtoken', () => {
  // jsonwebtoken types these three and fills in a missing or zero iat from the wall clock;
  // it copies the payload with Object.assign, which turns an own "__proto__" into a prototype,
  // and its claim checks look claim names up in a plain object, so a claim named after an
  // Object.prototype member ("toString") makes jsonwebtoken itself throw.
  const reserved = new Set(['iat', 'nbf', 'exp']);
  const claimName = fc
    .string({ unit: 'binary', maxLength: 12 })
    .filter((name) => !reserved.has(name) && !(name in Object.prototype));
  const timeClaim = fc.oneof(
    fc.integer({ min: -(2 ** 31), max: Number.MAX_SAFE_INTEGER }),
    fc.double({ min: -1e12, max: 1e12, noNaN: true }),
  );
  const claimsArbitrary = fc
    .record({
      times: fc.record(
        { iat: timeClaim.filter((iat) => iat !== 0), nbf: timeClaim, exp: timeClaim },
        { requiredKeys: ['iat'] },
      ),
      others: fc.dictionary(claimName, fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }), { maxKeys: 8 }),
      timesFirst: fc.boolean(),
    })
    .map(({ times, others, timesFirst }): JwtClaims => (timesFirst ? { ...times, ...others } : { ...others, ...times }));
  const kidArbitrary = fc.string({ minLength: 1, maxLength: 24 });
  const secretIndex = fc.nat({ max: SECRETS.length - 1 });

  test('our token is byte for byte jsonwebtoken’s, and each verifies the other’s', () => {
    fc.assert(
      fc.property(claimsArbitrary, kidArbitrary, secretIndex, (claims, kid, secret) => {
        const key = hs256Key(SECRETS[secret], kid);
        const expectedClaims = JSON.parse(JSON.stringify(claims)) as JwtClaims;

        const ours = signJwt(claims, key);
        const theirs = jsonwebtokenSign(claims, key);

        // Decoded parts first, so a mismatch shows which part differs without printing a token.
        expect(headerOf(ours)).toEqual(headerOf(theirs));
        expect(claimsOf(ours)).toEqual(claimsOf(theirs));
        expect(ours === theirs).toBe(true);

        const verified = verifyJws(theirs, new KeySet([key]), NOW);
        expect(verified.key).toBe(key);
        expect(verified.header).toEqual({ alg: 'HS256', typ: 'JWT', kid });
        expect(verified.claims).toEqual(expectedClaims);

        const decoded = jwt.verify(ours, key.verificationKey, {
          algorithms: ['HS256'],
          complete: true,
          ignoreExpiration: true,
          ignoreNotBefore: true,
        });
        expect(decoded.header).toEqual({ alg: 'HS256', typ: 'JWT', kid });
        expect(decoded.payload).toEqual(expectedClaims);
      }),
      { numRuns: 300 },
    );
  });

  test('the header cached for one key is not reused for another', () => {
    const first = hs256Key(SECRETS[0], 'first');
    const second = hs256Key(SECRETS[0], 'second');

    for (const key of [first, second, first, second]) {
      expect(headerOf(signJwt(CLAIMS, key))).toEqual({ alg: 'HS256', typ: 'JWT', kid: key.kid });
      expect(signJwt(CLAIMS, key) === jsonwebtokenSign(CLAIMS, key)).toBe(true);
    }
  });
});

describe('an HS256 signature that does not match is refused', () => {
  const key = generateSigningKey('HS256', 'hs-1');
  const keys = new KeySet([key]);
  const token = signJwt(CLAIMS, key);

  test('the untouched token verifies (the baseline for every case below)', () => {
    expect(verifyJws(token, keys, NOW).claims).toEqual(CLAIMS);
  });

  test('any flipped signature byte', async () => {
    const signature = signatureOf(token);
    expect(signature.length).toBe(32);

    for (let index = 0; index < signature.length; index += 1) {
      for (const bit of [0x01, 0x80]) {
        const flipped = Buffer.from(signature);
        flipped[index] ^= bit;
        const forged = withSignature(token, flipped);
        await expectTokenError(() => verifyJws(forged, keys, NOW), 'token_invalid_signature', [token, forged]);
      }
    }
  });

  test('a signature made with another secret under the same kid', async () => {
    const impostor = hs256Key(randomBytes(32), 'hs-1');
    const forged = signJwt(CLAIMS, impostor);
    expect(verifyJws(forged, new KeySet([impostor]), NOW).key).toBe(impostor);

    await expectTokenError(() => verifyJws(forged, keys, NOW), 'token_invalid_signature', [token, forged]);
  });

  test('a truncated or extended signature', async () => {
    const signature = signatureOf(token);
    const encodedSignature = token.split('.')[2];
    const forgeries = [
      ...[31, 16, 1].map((length) => withSignature(token, signature.subarray(0, length))),
      withSignature(token, Buffer.concat([signature, Buffer.from([0])])),
      token.slice(0, -1),
      token.slice(0, -(encodedSignature.length - 4)),
    ];

    for (const forged of forgeries) {
      await expectTokenError(() => verifyJws(forged, keys, NOW), 'token_invalid_signature', [token, forged]);
    }
  });

  test('a payload altered after signing', async () => {
    const [header, , signature] = token.split('.');
    const forgeries = [
      { ...CLAIMS, sub: 'mallory' },
      { ...CLAIMS, exp: NOW + 365 * 24 * 3600 },
      { ...CLAIMS, aud: 'galileo' },
    ].map((claims) => `${header}.${encodePart(claims)}.${signature}`);

    for (const forged of forgeries) {
      await expectTokenError(() => verifyJws(forged, keys, NOW), 'token_invalid_signature', [token, forged]);
    }
  });
});

describe('the kid in the header must name the key that signed', () => {
  const secret = randomBytes(32);
  const signer = hs256Key(secret, 'hs-1');
  const other = hs256Key(randomBytes(32), 'hs-2');
  const both = new KeySet([signer, other]);

  test('each key verifies its own tokens (the baseline)', () => {
    expect(verifyJws(signJwt(CLAIMS, signer), both, NOW).key).toBe(signer);
    expect(verifyJws(signJwt(CLAIMS, other), both, NOW).key).toBe(other);
  });

  test('a token signed by one HS256 key whose header names another is refused', async () => {
    const forged = jwt.sign(CLAIMS, signer.signingKey!, { algorithm: 'HS256', keyid: 'hs-2' });
    expect(headerOf(forged).kid).toBe('hs-2');

    await expectTokenError(() => verifyJws(forged, both, NOW), 'token_invalid_signature', [forged]);
  });

  test('a header whose kid is swapped after signing is refused', async () => {
    const token = signJwt(CLAIMS, signer);
    const [, payload, signature] = token.split('.');
    const forged = `${encodePart({ alg: 'HS256', typ: 'JWT', kid: 'hs-2' })}.${payload}.${signature}`;

    await expectTokenError(() => verifyJws(forged, both, NOW), 'token_invalid_signature', [token, forged]);
  });

  test('the same secret registered under a different kid does not verify the token', async () => {
    const token = signJwt(CLAIMS, signer);
    const sameSecretOtherKid = new KeySet([hs256Key(secret, 'hs-3')]);

    await expectTokenError(() => verifyJws(token, sameSecretOtherKid, NOW), 'token_invalid_signature', [token]);
  });
});

describe('header rules: a token signed with the right key is still refused for its header', () => {
  describe.each(['HS256', 'RS256', 'ES256', 'EdDSA'] as const)('%s', (alg) => {
    const key = generateSigningKey(alg, `${alg}-1`);
    const keys = new KeySet([key]);

    test('the header refreshd writes, signed the same way, verifies (the baseline)', () => {
      const token = signWithHeader(ownHeader(key), CLAIMS, key);
      expect(verifyJws(token, keys, NOW).claims).toEqual(CLAIMS);
      expect(headerOf(signJwt(CLAIMS, key))).toEqual(ownHeader(key));
    });

    test('a header parameter refreshd does not know, not listed in crit, is ignored (RFC 7515 §4)', () => {
      const token = signWithHeader({ ...ownHeader(key), 'x-note': 'ignored' }, CLAIMS, key);
      expect(verifyJws(token, keys, NOW).claims).toEqual(CLAIMS);
    });

    test.each(REFUSED_HEADERS)('$name', async ({ header }) => {
      const token = signWithHeader(header(key), CLAIMS, key);
      const error = await expectTokenError(() => verifyJws(token, keys, NOW), 'token_malformed', [token]);
      expect(error.internalDetail).toMatch(/RFC (7515|8725)/);
    });
  });
});
