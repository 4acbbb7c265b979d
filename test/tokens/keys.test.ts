import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DATA_DIR_KEY_FILE,
  generateSigningKey,
  hs256Key,
  jwkThumbprint,
  KeySet,
  keyFromJwk,
  keyFromPem,
  loadKeySet,
  loadOrCreateDataDirKey,
} from '../../src/tokens/keys';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'refreshd-keys-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the data directory key', () => {
  test('is generated on first use as a 0600 HS256 JWK file, and reported as created', () => {
    const first = loadOrCreateDataDirKey(join(dir, 'data'));

    expect(first.created).toBe(true);
    expect(first.key.alg).toBe('HS256');
    expect(first.path).toBe(join(dir, 'data', DATA_DIR_KEY_FILE));
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    const jwk = JSON.parse(readFileSync(first.path, 'utf8'));
    expect(jwk).toMatchObject({ kty: 'oct', alg: 'HS256', kid: first.key.kid });
    expect(Buffer.from(jwk.k, 'base64url').length).toBeGreaterThanOrEqual(32);
  });

  test('is loaded, not replaced, on later starts', () => {
    const first = loadOrCreateDataDirKey(dir);

    const second = loadOrCreateDataDirKey(dir);

    expect(second.created).toBe(false);
    expect(second.key.kid).toBe(first.key.kid);
    expect(second.key.verificationKey.equals(first.key.verificationKey)).toBe(true);
  });
});

describe('loading keys', () => {
  test('a PEM private key signs, its public PEM only verifies, and both get the same thumbprint kid', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privatePath = join(dir, 'es.pem');
    const publicPath = join(dir, 'es.pub.pem');
    writeFileSync(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }));
    writeFileSync(publicPath, publicKey.export({ format: 'pem', type: 'spki' }));

    const keys = loadKeySet([{ path: publicPath, kid: 'old' }, { path: privatePath }]);

    expect(keys.signing.alg).toBe('ES256');
    expect(keys.signing.kid).toBe(jwkThumbprint(publicKey.export({ format: 'jwk' })));
    expect(keys.find('old')?.signingKey).toBeNull();
  });

  test('a JWK file and an inline JWK load as HS256 with their own kid', () => {
    const k = randomBytes(32).toString('base64url');
    writeFileSync(join(dir, 'hs.json'), JSON.stringify({ kty: 'oct', k, kid: 'from-file' }));

    const keys = loadKeySet([{ path: join(dir, 'hs.json') }, { jwk: { kty: 'oct', k: randomBytes(32).toString('base64url'), kid: 'inline' } }]);

    expect(keys.keys.map((key) => [key.kid, key.alg])).toEqual([['from-file', 'HS256'], ['inline', 'HS256']]);
  });

  test('an RSA, EC and Ed25519 private JWK each infer their algorithm', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });

    expect(keyFromJwk(rsa).alg).toBe('RS256');
    expect(keyFromJwk(ed).alg).toBe('EdDSA');
  });

  test('weak or mismatched keys are refused without quoting the key', () => {
    const shortSecret = Buffer.alloc(16, 1);
    const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

    expect(() => hs256Key(shortSecret)).toThrow(/at least 32 bytes/);
    expect(() => keyFromPem(weakRsa)).toThrow(/2048/);
    expect(() => keyFromPem(p384)).toThrow(/P-256/);
    expect(() => keyFromPem(ed, { alg: 'RS256' })).toThrow(/cannot be used with RS256/);
    writeFileSync(join(dir, 'broken.pem'), 'not a key at all');
    let message = '';
    try {
      loadKeySet([{ path: join(dir, 'broken.pem') }]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('broken.pem');
    expect(message).not.toContain('not a key at all');
  });

  test('a key config names exactly one source', () => {
    expect(() => loadKeySet([{}])).toThrow(/exactly one/);
    expect(() => loadKeySet([{ pem: 'x', path: 'y' }])).toThrow(/exactly one/);
  });
});

describe('key sets', () => {
  test('the last key signs; an empty set, a verify-only last key and duplicate kids are refused', () => {
    const a = generateSigningKey('HS256', 'a');
    const publicOnly = keyFromPem(
      generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }),
      { kid: 'pub' },
    );

    expect(new KeySet([publicOnly, a]).signing.kid).toBe('a');
    expect(() => new KeySet([])).toThrow();
    expect(() => new KeySet([a, publicOnly])).toThrow(/verify-only/);
    expect(() => new KeySet([a, generateSigningKey('EdDSA', 'a')])).toThrow(/duplicate kid/);
  });

  test('the JWKS never contains a symmetric key', () => {
    const keys = new KeySet([generateSigningKey('HS256', 'hs'), generateSigningKey('RS256', 'rs'), generateSigningKey('EdDSA', 'ed')]);

    const jwks = keys.jwks();

    expect(jwks.keys.map((key) => key.kid)).toEqual(['rs', 'ed']);
    expect(JSON.stringify(jwks)).not.toMatch(/"k"|"d"|"p"|"q"/);
  });
});
