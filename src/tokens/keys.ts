/**
 * Signing keys. Each key has a `kid` and exactly one algorithm, pinned by the
 * key: a token is verified only with the key its `kid` names and only if its
 * `alg` header is that key's algorithm, so `alg: none` and algorithm confusion
 * (an RSA public key used as an HMAC secret) cannot happen.
 *
 * Every key is held as a `KeyObject`: jsonwebtoken re-parses a string secret
 * on every call (hundreds of µs), a KeyObject costs a few µs.
 *
 * Key configuration (`KeyConfig`, one entry per key, the list oldest first):
 *
 *     { "path": "/etc/refreshd/old.pub.pem" }                  // PEM public key: verifies only
 *     { "path": "/etc/refreshd/hs.jwk.json" }                  // JSON JWK, `kty: "oct"` for HS256
 *     { "jwk": { "kty": "oct", "k": "…", "kid": "a" } }        // inline JWK
 *     { "pem": "-----BEGIN PRIVATE KEY-----…" }                // inline PEM
 *     { "path": "/etc/refreshd/es256.pem", "kid": "2025-06" }  // PEM private key: signs and verifies
 *
 * `alg` is inferred from the key (RSA → RS256, EC P-256 → ES256, Ed25519 →
 * EdDSA, symmetric → HS256); if given it must agree. `kid` defaults to the key's
 * RFC 7638 thumbprint, which is stable across restarts and across instances.
 * The last key of the list signs; all of them verify. To rotate, append the new
 * key (on every instance) and drop the old one once the tokens it signed have
 * expired (refresh tokens live up to `refreshIdleTtlSeconds`).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  JsonWebKey,
  KeyObject,
  randomBytes,
} from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDirectory, openPrivateFile } from '../private-files';

export type SigningAlgorithm = 'HS256' | 'RS256' | 'ES256' | 'EdDSA';

export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['HS256', 'RS256', 'ES256', 'EdDSA'];

/** RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. */
export const MIN_HS256_SECRET_BYTES = 32;

export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** The HMAC secret or the private key; null for a verify-only public key. */
  readonly signingKey: KeyObject | null;
  /** The HMAC secret or the public key. */
  readonly verificationKey: KeyObject;
}

export interface KeyConfig {
  /** A key file: PEM (private key, or SPKI public key for verify-only) or a JSON JWK. */
  path?: string;
  /** An inline PEM, instead of `path`. */
  pem?: string;
  /** An inline JWK, instead of `path`. */
  jwk?: JsonWebKey;
  /** Overrides the JWK's own `kid` and the thumbprint default. */
  kid?: string;
  /** Checked against the key's type; inferred when omitted. */
  alg?: SigningAlgorithm;
}

/** A public JWK as served at `/.well-known/jwks.json`. */
export type PublicJwk = JsonWebKey & { kid: string; alg: SigningAlgorithm; use: 'sig' };

export interface JwkSet {
  keys: PublicJwk[];
}

export class KeySet {
  readonly keys: readonly SigningKey[];
  private readonly byKid: ReadonlyMap<string, SigningKey>;
  private publicJwks?: JwkSet;

  /** The last key signs; every key verifies the tokens that name its `kid`. */
  constructor(keys: readonly SigningKey[]) {
    if (keys.length === 0) throw new Error('a key set needs at least one key');
    const signing = keys[keys.length - 1];
    if (!signing.signingKey) throw new Error(`key ${signing.kid} is verify-only and cannot be the signing key (the last key listed signs)`);
    const byKid = new Map<string, SigningKey>();
    for (const key of keys) {
      if (byKid.has(key.kid)) throw new Error(`duplicate kid ${key.kid} in key set`);
      byKid.set(key.kid, key);
    }
    this.keys = [...keys];
    this.byKid = byKid;
  }

  /** The key that signs every new token. */
  get signing(): SigningKey {
    return this.keys[this.keys.length - 1];
  }

  find(kid: string): SigningKey | undefined {
    return this.byKid.get(kid);
  }

  /** Public keys only: a symmetric key never appears here. Exported once, the set never changes. */
  jwks(): JwkSet {
    this.publicJwks ??= {
      keys: this.keys
        .filter((key) => key.alg !== 'HS256')
        .map((key) => ({ ...key.verificationKey.export({ format: 'jwk' }), kid: key.kid, alg: key.alg, use: 'sig' as const })),
    };
    return this.publicJwks;
  }
}

/** RFC 7638 thumbprint, base64url of the SHA-256 of the required members in lexicographic order. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  let members: Record<string, unknown>;
  switch (jwk.kty) {
    case 'RSA':
      members = { e: jwk.e, kty: jwk.kty, n: jwk.n };
      break;
    case 'EC':
      members = { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
      break;
    case 'OKP':
      members = { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
      break;
    case 'oct':
      members = { k: jwk.k, kty: jwk.kty };
      break;
    default:
      throw new Error(`cannot compute a thumbprint for key type ${String(jwk.kty)}`);
  }
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

function inferAlgorithm(key: KeyObject): SigningAlgorithm {
  if (key.type === 'secret') return 'HS256';
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'ec':
      return 'ES256';
    case 'ed25519':
      return 'EdDSA';
    default:
      throw new Error(`unsupported key type ${String(key.asymmetricKeyType)}`);
  }
}

function checkKeyFitsAlgorithm(key: KeyObject, alg: SigningAlgorithm): void {
  const inferred = inferAlgorithm(key);
  if (inferred !== alg) throw new Error(`a ${key.asymmetricKeyType ?? 'symmetric'} key cannot be used with ${alg}`);
  if (alg === 'HS256' && (key.symmetricKeySize ?? 0) < MIN_HS256_SECRET_BYTES) {
    throw new Error(`an HS256 secret must be at least ${MIN_HS256_SECRET_BYTES} bytes`);
  }
  if (alg === 'RS256' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new Error('an RS256 key must be at least 2048 bits');
  }
  if (alg === 'ES256' && key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`ES256 needs a P-256 key, not ${String(key.asymmetricKeyDetails?.namedCurve)}`);
  }
}

function buildKey(signingKey: KeyObject | null, verificationKey: KeyObject, options: { kid?: string; alg?: SigningAlgorithm }): SigningKey {
  const alg = options.alg ?? inferAlgorithm(verificationKey);
  checkKeyFitsAlgorithm(verificationKey, alg);
  const kid = options.kid ?? jwkThumbprint(verificationKey.export({ format: 'jwk' }));
  return { kid, alg, signingKey, verificationKey };
}

/** An HS256 key from raw secret bytes (at least 32). */
export function hs256Key(secret: Buffer, kid?: string): SigningKey {
  const key = createSecretKey(Buffer.from(secret));
  return buildKey(key, key, { kid, alg: 'HS256' });
}

/** A key from PEM: a private key signs and verifies, a public key only verifies. */
export function keyFromPem(pem: string | Buffer, options: { kid?: string; alg?: SigningAlgorithm } = {}): SigningKey {
  const text = pem.toString();
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    const privateKey = createPrivateKey(text);
    return buildKey(privateKey, createPublicKey(privateKey), options);
  }
  if (/-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(text)) {
    return buildKey(null, createPublicKey(text), options);
  }
  throw new Error('not a PEM private or public key');
}

/** A key from a JWK: `oct` for HS256; a private JWK (with `d`) signs, a public one only verifies. */
export function keyFromJwk(jwk: JsonWebKey, options: { kid?: string; alg?: SigningAlgorithm } = {}): SigningKey {
  const kid = options.kid ?? (typeof jwk.kid === 'string' ? jwk.kid : undefined);
  const alg = options.alg ?? (isSigningAlgorithm(jwk.alg) ? jwk.alg : undefined);
  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string') throw new Error('an oct JWK needs a "k" member');
    return hs256Key(Buffer.from(jwk.k, 'base64url'), kid);
  }
  if (typeof jwk.d === 'string') {
    const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    return buildKey(privateKey, createPublicKey(privateKey), { kid, alg });
  }
  return buildKey(null, createPublicKey({ key: jwk, format: 'jwk' }), { kid, alg });
}

function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

/** Reads a key file: PEM, or JSON holding one JWK. */
export function loadKeyFile(filePath: string, options: { kid?: string; alg?: SigningAlgorithm } = {}): SigningKey {
  let content: string;
  try {
    content = readFileSync(filePath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`key file ${filePath}: ${code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable')}`);
  }
  let jwk: JsonWebKey | undefined;
  if (content.trimStart().startsWith('{')) {
    try {
      jwk = JSON.parse(content) as JsonWebKey;
    } catch {
      // JSON.parse's message quotes the text around the error, which is key material here.
      throw new Error(`key file ${filePath}: not valid JSON`);
    }
  }
  try {
    return jwk ? keyFromJwk(jwk, options) : keyFromPem(content, options);
  } catch (error) {
    // These messages come from node:crypto's key parsers and name no key bytes; the path helps the operator.
    throw new Error(`key file ${filePath}: ${(error as Error).message}`);
  }
}

export function loadKey(config: KeyConfig): SigningKey {
  const options = { kid: config.kid, alg: config.alg };
  const sources = [config.path, config.pem, config.jwk].filter((source) => source !== undefined);
  if (sources.length !== 1) throw new Error('a key config needs exactly one of "path", "pem", "jwk"');
  if (config.path !== undefined) return loadKeyFile(config.path, options);
  if (config.pem !== undefined) return keyFromPem(config.pem, options);
  return keyFromJwk(config.jwk as JsonWebKey, options);
}

/** Builds a key set from configuration, oldest first: the last (newest) key signs. */
export function loadKeySet(configs: readonly KeyConfig[]): KeySet {
  return new KeySet(configs.map(loadKey));
}

/** A fresh key (tests, `refreshd keys generate`). The kid is random unless given. */
export function generateSigningKey(alg: SigningAlgorithm, kid: string = randomBytes(9).toString('base64url')): SigningKey {
  switch (alg) {
    case 'HS256':
      return hs256Key(randomBytes(MIN_HS256_SECRET_BYTES), kid);
    case 'RS256': {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return buildKey(privateKey, publicKey, { kid, alg });
    }
    case 'ES256': {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return buildKey(privateKey, publicKey, { kid, alg });
    }
    case 'EdDSA': {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      return buildKey(privateKey, publicKey, { kid, alg });
    }
  }
}

/** Where `loadOrCreateDataDirKey` keeps its key, relative to the data directory. */
export const DATA_DIR_KEY_FILE = 'signing-key.jwk.json';

export interface DataDirKey {
  key: SigningKey;
  /** True when this call generated the key: the caller should warn that a generated key is in use. */
  created: boolean;
  path: string;
}

/** The data dir's generated key if there is one; never creates it (the sessions CLI). */
export function readDataDirKey(dataDir: string): DataDirKey | null {
  const path = join(dataDir, DATA_DIR_KEY_FILE);
  return existsSync(path) ? { key: loadKeyFile(path), created: false, path } : null;
}

/**
 * The embedded default: an HS256 key in `<dataDir>/signing-key.jwk.json`
 * (an `oct` JWK, file mode 0600), generated on first use. The file is written
 * under a temporary name and then hard-linked into place, which fails if the
 * name exists: two processes starting at once end up with the same key, and
 * neither ever reads a half-written file.
 */
export function loadOrCreateDataDirKey(dataDir: string): DataDirKey {
  const existing = readDataDirKey(dataDir);
  if (existing) return existing;
  ensurePrivateDirectory(dataDir);
  const path = join(dataDir, DATA_DIR_KEY_FILE);
  const secret = randomBytes(MIN_HS256_SECRET_BYTES);
  const kid = randomBytes(9).toString('base64url');
  const jwk = { kty: 'oct', alg: 'HS256', kid, k: secret.toString('base64url') };
  const temporaryPath = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeSecretFile(temporaryPath, `${JSON.stringify(jwk)}\n`);
  try {
    linkSync(temporaryPath, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: loadKeyFile(path), created: false, path };
  } finally {
    unlinkSync(temporaryPath);
  }
  return { key: hs256Key(secret, kid), created: true, path };
}

export type KeyFileFormat = 'jwk' | 'pem';

/**
 * A new signing key as a key file's text, and its kid as `loadKeyFile` will read it back: a
 * private JWK carries its own `kid` and `alg`; a PEM (asymmetric keys only) gets the RFC 7638
 * thumbprint.
 */
export function newKeyFile(alg: SigningAlgorithm, format: KeyFileFormat): { text: string; kid: string } {
  if (format === 'pem') {
    if (alg === 'HS256') throw new Error('an HS256 secret has no PEM form: use --format jwk');
    const generated = generateSigningKey(alg);
    const text = (generated.signingKey as KeyObject).export({ format: 'pem', type: 'pkcs8' }).toString();
    return { text, kid: keyFromPem(text).kid };
  }
  const generated = generateSigningKey(alg);
  const kid = jwkThumbprint(generated.verificationKey.export({ format: 'jwk' }));
  const jwk = { ...(generated.signingKey as KeyObject).export({ format: 'jwk' }), kid, alg };
  return { text: `${JSON.stringify(jwk)}\n`, kid };
}

/** Writes a secret file: mode 0600 whatever the umask, never over an existing file. */
export function writeSecretFile(filePath: string, text: string): void {
  const fd = openPrivateFile(filePath, 'wx');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
