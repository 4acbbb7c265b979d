/**
 * The embedded store: one SQLite file through better-sqlite3. WAL lets readers
 * run beside the single writer; a second process sharing the file waits for
 * the write lock by retrying on later turns of the event loop, never by
 * sleeping in SQLite's busy handler. better-sqlite3 is
 * synchronous, so every method runs to completion before another starts in
 * this process; the conditional UPDATE in `consumeRefreshToken` is what keeps
 * rotation single-winner across processes too.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ensurePrivateDirectory, ensurePrivateFile } from '../private-files';
import type {
  ConsumeRefreshTokenInput,
  ConsumeRefreshTokenResult,
  NewRefreshToken,
  NewSession,
  PurgeResult,
  RefreshContext,
  RefreshTokenRecord,
  SessionFilter,
  SessionRecord,
  SessionRevokeReason,
  SigningKeyRecord,
  TokenStore,
} from './contract';
import { StoreNotFoundError, StoreUnavailableError } from './contract';
import { SQLITE_MIGRATIONS } from './migrations';

export interface SqliteStoreOptions {
  /** How long an operation keeps retrying while another connection holds the lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * `FULL` (default) makes every committed rotation survive a power loss; `NORMAL`
   * is faster and still never corrupts or half-applies a transaction, but may
   * lose the last commits on an OS crash.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * Copy the WAL into the database from a worker thread with its own connection, so the
   * checkpoint's fsyncs never stall the event loop. Default false; file databases only.
   */
  backgroundCheckpoints?: boolean;
  /**
   * Open only a database refreshd already created (the sessions CLI): a missing file or one
   * without refreshd's schema is refused instead of created. Default false.
   */
  mustExist?: boolean;
}

/** How often the background checkpointer copies the WAL into the database. */
const BACKGROUND_CHECKPOINT_INTERVAL_MS = 50;

/**
 * WAL frames after which the checkpointer also restarts the log. SQLite starts the WAL over from
 * its beginning only when a writer finds it wholly copied, which a checkpointer racing a steady
 * stream of commits never achieves: RESTART holds writers off (the event loop retries, it does
 * not block) for the moment it takes to copy the last few frames. Best effort: when it cannot get
 * the lock in time the WAL grows until a later turn, or the event loop's own checkpoint, succeeds.
 * In short bench runs a WAL kept short this way cut a session refresh from ~140 to ~105 CPU µs.
 */
const RESTART_AFTER_FRAMES = 1000;

/** How long the checkpointer's RESTART waits for the writer and readers to step aside. */
const RESTART_WAIT_MS = 200;

/**
 * Pages of WAL after which the event loop checkpoints itself: only if the checkpointer thread
 * stopped (it keeps the WAL far shorter), so the WAL stays bounded either way.
 */
const WAL_AUTOCHECKPOINT_PAGES = 10000;

/**
 * The checkpointer thread's program. Inline rather than a file of its own, so the same code runs
 * from the compiled build and under ts-jest. PASSIVE never waits for the writer nor takes its
 * lock; a checkpoint already running elsewhere (another process's) makes either mode return
 * early, which is fine: the next turn catches up.
 */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.filePath, { fileMustExist: true });
db.pragma('busy_timeout = ' + workerData.restartWaitMs);
let timer;
const checkpoint = () => {
  try {
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)');
    if (log >= workerData.restartAfterFrames) db.pragma('wal_checkpoint(RESTART)');
  } catch {}
  timer = setTimeout(checkpoint, workerData.intervalMs);
};
timer = setTimeout(checkpoint, workerData.intervalMs);
parentPort.once('message', () => { clearTimeout(timer); db.close(); parentPort.close(); });
`;

function startCheckpointer(filePath: string): Worker {
  const worker = new Worker(CHECKPOINTER_SOURCE, {
    eval: true,
    workerData: {
      driverPath: require.resolve('better-sqlite3'),
      filePath,
      intervalMs: BACKGROUND_CHECKPOINT_INTERVAL_MS,
      restartAfterFrames: RESTART_AFTER_FRAMES,
      restartWaitMs: RESTART_WAIT_MS,
    },
  });
  worker.unref();
  // A checkpointer that dies leaves the event loop's own checkpoints in charge: slower, never wrong.
  worker.on('error', () => undefined);
  return worker;
}

interface SigningKeyRow {
  kid: string;
  first_used_at: number;
  last_used_at: number;
}

interface SessionRow {
  id: string;
  api: string;
  sub: string;
  organizations: string;
  organization_id: string | null;
  created_at: number;
  absolute_expires_at: number;
  revoked_at: number | null;
  revoke_reason: string | null;
  state_hash: string;
}

interface RefreshTokenRow {
  jti: string;
  session_id: string;
  parent_jti: string | null;
  issued_at: number;
  expires_at: number;
  used_at: number | null;
  successor_jti: string | null;
  kid: string;
  claims: string;
}

/** A refresh token row with its session's columns (`s_*`, null when the session is gone) and the subject's stamp. */
interface RefreshContextRow extends RefreshTokenRow {
  s_id: string | null;
  s_api: string | null;
  s_sub: string | null;
  s_organizations: string | null;
  s_organization_id: string | null;
  s_created_at: number | null;
  s_absolute_expires_at: number | null;
  s_revoked_at: number | null;
  s_revoke_reason: string | null;
  s_state_hash: string | null;
  subject_stamp: string | null;
}

function toSession(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    api: row.api,
    sub: row.sub,
    organizations: JSON.parse(row.organizations) as string[],
    organizationId: row.organization_id,
    createdAtMs: row.created_at,
    absoluteExpiresAtMs: row.absolute_expires_at,
    revokedAtMs: row.revoked_at,
    revokeReason: row.revoke_reason as SessionRevokeReason | null,
    stateHash: row.state_hash,
  };
}

function toRefreshToken(row: RefreshTokenRow): RefreshTokenRecord {
  return {
    jti: row.jti,
    sessionId: row.session_id,
    parentJti: row.parent_jti,
    issuedAtMs: row.issued_at,
    expiresAtMs: row.expires_at,
    usedAtMs: row.used_at,
    successorJti: row.successor_jti,
    kid: row.kid,
    claims: JSON.parse(row.claims) as Record<string, unknown>,
  };
}

function refreshTokenParams(token: NewRefreshToken) {
  return {
    jti: token.jti,
    session_id: token.sessionId,
    parent_jti: token.parentJti,
    issued_at: token.issuedAtMs,
    expires_at: token.expiresAtMs,
    kid: token.kid,
    claims: JSON.stringify(token.claims),
  };
}

/** Waiting for another connection's write lock: the next turn of the event loop first, then 1 ms steps up to 5 ms. */
function lockBackoff(attempt: number): Promise<void> {
  return new Promise((resolve) => (attempt < 8 ? setImmediate(resolve) : setTimeout(resolve, Math.min(attempt - 7, 5))));
}

interface PendingConsume {
  input: ConsumeRefreshTokenInput;
  resolve: (result: ConsumeRefreshTokenResult) => void;
  reject: (error: unknown) => void;
}

/** Brings the schema to the newest version; refuses a database written by a newer refreshd. */
export function migrateSqlite(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const newest = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1].version;
  if (current > newest) {
    throw new Error(`database schema version ${current} is newer than this refreshd supports (${newest})`);
  }
  for (const migration of SQLITE_MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

class SqliteTokenStore implements TokenStore {
  private readonly db: Database.Database;
  private closed = false;
  private readonly statements;
  private readonly createSessionTransaction;
  private readonly consumeTransaction;
  private readonly consumeGroupTransaction;
  private pendingConsumes: PendingConsume[] = [];
  private readonly flushing = new Set<Promise<void>>();
  private readonly revokeSubjectTransaction;
  private readonly purgeTransaction;

  constructor(
    db: Database.Database,
    private readonly busyTimeoutMs: number,
    private readonly checkpointer?: Worker,
  ) {
    this.db = db;
    const statements = {
      insertSession: db.prepare(
        `INSERT INTO sessions (id, api, sub, organizations, organization_id, created_at, absolute_expires_at, state_hash)
         VALUES (@id, @api, @sub, @organizations, @organization_id, @created_at, @absolute_expires_at, @state_hash)`,
      ),
      insertRefreshToken: db.prepare(
        `INSERT INTO refresh_tokens (jti, session_id, parent_jti, issued_at, expires_at, kid, claims)
         VALUES (@jti, @session_id, @parent_jti, @issued_at, @expires_at, @kid, @claims)`,
      ),
      findSession: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?'),
      findRefreshToken: db.prepare<[string], RefreshTokenRow>('SELECT * FROM refresh_tokens WHERE jti = ?'),
      findRefreshContext: db.prepare<[string], RefreshContextRow>(
        `SELECT t.*, s.id AS s_id, s.api AS s_api, s.sub AS s_sub, s.organizations AS s_organizations,
                s.organization_id AS s_organization_id, s.created_at AS s_created_at,
                s.absolute_expires_at AS s_absolute_expires_at, s.revoked_at AS s_revoked_at,
                s.revoke_reason AS s_revoke_reason, s.state_hash AS s_state_hash, st.state_hash AS subject_stamp
         FROM refresh_tokens t
         LEFT JOIN sessions s ON s.id = t.session_id
         LEFT JOIN subject_stamps st ON st.sub = s.sub
         WHERE t.jti = ?`,
      ),
      // Also conditional on the session: a revocation or stamp bump committed by another process
      // between the service's checks and this write must still stop the rotation.
      markUsed: db.prepare<[number, string, string]>(
        `UPDATE refresh_tokens SET used_at = ?, successor_jti = ?
         WHERE jti = ? AND used_at IS NULL
           AND EXISTS (
             SELECT 1 FROM sessions s
             WHERE s.id = refresh_tokens.session_id AND s.revoked_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM subject_stamps st WHERE st.sub = s.sub AND st.state_hash <> s.state_hash))`,
      ),
      setSessionScope: db.prepare<[string | null, string]>('UPDATE sessions SET organization_id = ? WHERE id = ?'),
      revokeSession: db.prepare<[number, string, string]>(
        'UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL',
      ),
      revokeSessionsOfSubject: db.prepare<[number, string, string]>(
        'UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE sub = ? AND revoked_at IS NULL',
      ),
      findStamp: db.prepare<[string], { state_hash: string }>('SELECT state_hash FROM subject_stamps WHERE sub = ?'),
      insertStampIfAbsent: db.prepare<[string, string, number]>(
        'INSERT INTO subject_stamps (sub, state_hash, updated_at) VALUES (?, ?, ?) ON CONFLICT (sub) DO NOTHING',
      ),
      upsertStamp: db.prepare<[string, string, number]>(
        `INSERT INTO subject_stamps (sub, state_hash, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (sub) DO UPDATE SET state_hash = excluded.state_hash, updated_at = excluded.updated_at`,
      ),
      listSessions: db.prepare<{ api: string | null; sub: string | null }, SessionRow>(
        `SELECT * FROM sessions
         WHERE (@api IS NULL OR api = @api) AND (@sub IS NULL OR sub = @sub)
         ORDER BY created_at, id`,
      ),
      purgeSessions: db.prepare<{ now: number }>(
        `DELETE FROM sessions
         WHERE absolute_expires_at <= @now
            OR NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = sessions.id AND t.expires_at > @now)`,
      ),
      purgeRefreshTokens: db.prepare<{ now: number }>('DELETE FROM refresh_tokens WHERE expires_at <= @now'),
      countRefreshTokens: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM refresh_tokens'),
      ping: db.prepare('SELECT 1'),
      upsertSigningKey: db.prepare<[string, number, number]>(
        `INSERT INTO signing_keys (kid, first_used_at, last_used_at) VALUES (?, ?, ?)
         ON CONFLICT (kid) DO UPDATE SET last_used_at = MAX(last_used_at, excluded.last_used_at)`,
      ),
      listSigningKeys: db.prepare<[], SigningKeyRow>('SELECT * FROM signing_keys ORDER BY last_used_at DESC, kid'),
    };
    this.statements = statements;

    this.createSessionTransaction = db.transaction((session: NewSession, firstToken: NewRefreshToken) => {
      statements.insertSession.run({
        id: session.id,
        api: session.api,
        sub: session.sub,
        organizations: JSON.stringify(session.organizations),
        organization_id: session.organizationId,
        created_at: session.createdAtMs,
        absolute_expires_at: session.absoluteExpiresAtMs,
        state_hash: session.stateHash,
      });
      statements.insertRefreshToken.run(refreshTokenParams(firstToken));
    });

    const consumeOne = (input: ConsumeRefreshTokenInput): ConsumeRefreshTokenResult => {
      const { changes } = statements.markUsed.run(input.nowMs, input.successor.jti, input.jti);
      if (changes === 1) {
        statements.insertRefreshToken.run(refreshTokenParams(input.successor));
        if (input.organizationId !== undefined) {
          statements.setSessionScope.run(input.organizationId, input.successor.sessionId);
        }
        return { outcome: 'consumed' };
      }
      const row = statements.findRefreshToken.get(input.jti);
      if (!row) return { outcome: 'not_found' };
      return row.used_at !== null ? { outcome: 'already_used', token: toRefreshToken(row) } : { outcome: 'session_inactive' };
    };
    this.consumeTransaction = db.transaction(consumeOne);
    this.consumeGroupTransaction = db.transaction((inputs: ConsumeRefreshTokenInput[]) => inputs.map(consumeOne));

    this.revokeSubjectTransaction = db.transaction((sub: string, newStamp: string, nowMs: number): number => {
      statements.upsertStamp.run(sub, newStamp, nowMs);
      return statements.revokeSessionsOfSubject.run(nowMs, 'subject_revoked', sub).changes;
    });

    this.purgeTransaction = db.transaction((nowMs: number): PurgeResult => {
      const before = statements.countRefreshTokens.get()?.n ?? 0;
      const sessions = statements.purgeSessions.run({ now: nowMs }).changes;
      statements.purgeRefreshTokens.run({ now: nowMs });
      const after = statements.countRefreshTokens.get()?.n ?? 0;
      // Cascaded deletes are not counted in `changes`, hence the before/after count.
      return { sessions, refreshTokens: before - after };
    });
  }

  /**
   * Runs one store operation. The connection never sleeps on a lock (its busy timeout is 0):
   * while another process holds the write lock, the operation is tried again on a later turn of
   * the event loop, so this process keeps serving meanwhile, until `busyTimeoutMs` has passed. A
   * database that cannot serve (locked past that, an I/O error, a full disk, closed) rejects with
   * {@link StoreUnavailableError}, which the pipeline answers with the api's 503.
   */
  private async guarded<T>(operation: () => T): Promise<T> {
    let deadline = 0;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new StoreUnavailableError('the store is closed');
      try {
        return operation();
      } catch (error) {
        const code = String((error as { code?: unknown })?.code ?? '');
        if (code.startsWith('SQLITE_BUSY')) {
          deadline ||= performance.now() + this.busyTimeoutMs;
          if (performance.now() < deadline) {
            await lockBackoff(attempt);
            continue;
          }
        }
        if (/^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY)/.test(code)) throw new StoreUnavailableError(`sqlite ${code}`);
        throw error;
      }
    }
  }

  async createSession(session: NewSession, firstToken: NewRefreshToken): Promise<void> {
    return this.guarded(() => {
      // IMMEDIATE takes the write lock up front, so a second process is refused at BEGIN (and retried), never mid-transaction.
      this.createSessionTransaction.immediate(session, firstToken);
    });
  }

  async findSession(sessionId: string): Promise<SessionRecord | null> {
    return this.guarded(() => {
      const row = this.statements.findSession.get(sessionId);
      return row ? toSession(row) : null;
    });
  }

  async findRefreshContext(jti: string): Promise<RefreshContext | null> {
    return this.guarded(() => {
      const row = this.statements.findRefreshContext.get(jti);
      if (!row) return null;
      const session =
        row.s_id === null
          ? null
          : toSession({
              id: row.s_id,
              api: row.s_api as string,
              sub: row.s_sub as string,
              organizations: row.s_organizations as string,
              organization_id: row.s_organization_id,
              created_at: row.s_created_at as number,
              absolute_expires_at: row.s_absolute_expires_at as number,
              revoked_at: row.s_revoked_at,
              revoke_reason: row.s_revoke_reason,
              state_hash: row.s_state_hash as string,
            });
      return { token: toRefreshToken(row), session, subjectStamp: row.subject_stamp };
    });
  }

  async findRefreshToken(jti: string): Promise<RefreshTokenRecord | null> {
    return this.guarded(() => {
      const row = this.statements.findRefreshToken.get(jti);
      return row ? toRefreshToken(row) : null;
    });
  }

  /**
   * Rotations are committed in groups: every consume asked for during one turn of the event
   * loop runs in one transaction at the end of that turn (setImmediate), so a burst of refreshes
   * pays for one lock, one commit and one write of the shared pages instead of one each. Each
   * caller still gets its own outcome, in call order, only after the commit.
   */
  consumeRefreshToken(input: ConsumeRefreshTokenInput): Promise<ConsumeRefreshTokenResult> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    if (input.successor.parentJti !== input.jti) {
      return Promise.reject(new Error('the successor must name the consumed token as its parent'));
    }
    return new Promise((resolve, reject) => {
      this.pendingConsumes.push({ input, resolve, reject });
      if (this.pendingConsumes.length === 1) setImmediate(this.flushConsumes);
    });
  }

  private readonly flushConsumes = (): Promise<void> => {
    const group = this.pendingConsumes;
    if (group.length === 0) return Promise.resolve();
    this.pendingConsumes = [];
    const flushed = this.commitGroup(group).finally(() => this.flushing.delete(flushed));
    this.flushing.add(flushed);
    return flushed;
  };

  private async commitGroup(group: PendingConsume[]): Promise<void> {
    try {
      const outcomes = await this.guarded(() => this.consumeGroupTransaction.immediate(group.map((pending) => pending.input)));
      group.forEach((pending, index) => pending.resolve(outcomes[index]));
      return;
    } catch (error) {
      if (group.length === 1 || error instanceof StoreUnavailableError) {
        for (const pending of group) pending.reject(error);
        return;
      }
    }
    // One failing rotation must not fail the others of its group: each again, alone.
    for (const pending of group) {
      await this.guarded(() => this.consumeTransaction.immediate(pending.input)).then(pending.resolve, pending.reject);
    }
  }

  async revokeSession(sessionId: string, nowMs: number, reason: SessionRevokeReason): Promise<boolean> {
    return this.guarded(() => {
      return this.statements.revokeSession.run(nowMs, reason, sessionId).changes === 1;
    });
  }

  async findSubjectStamp(sub: string): Promise<string | null> {
    return this.guarded(() => {
      return this.statements.findStamp.get(sub)?.state_hash ?? null;
    });
  }

  async ensureSubjectStamp(sub: string, candidate: string, nowMs: number): Promise<string> {
    return this.guarded(() => {
      this.statements.insertStampIfAbsent.run(sub, candidate, nowMs);
      const row = this.statements.findStamp.get(sub);
      if (!row) throw new Error('subject stamp vanished after insert');
      return row.state_hash;
    });
  }

  async revokeSubject(sub: string, newStamp: string, nowMs: number): Promise<number> {
    return this.guarded(() => {
      return this.revokeSubjectTransaction.immediate(sub, newStamp, nowMs);
    });
  }

  async listSessions(filter: SessionFilter = {}): Promise<SessionRecord[]> {
    return this.guarded(() => {
      return this.statements.listSessions.all({ api: filter.api ?? null, sub: filter.sub ?? null }).map(toSession);
    });
  }

  async purgeExpired(nowMs: number): Promise<PurgeResult> {
    return this.guarded(() => {
      return this.purgeTransaction.immediate(nowMs);
    });
  }

  async recordSigningKey(kid: string, nowMs: number): Promise<void> {
    return this.guarded(() => {
      this.statements.upsertSigningKey.run(kid, nowMs, nowMs);
    });
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.guarded(() =>
      this.statements.listSigningKeys.all().map((row) => ({ kid: row.kid, firstUsedAtMs: row.first_used_at, lastUsedAtMs: row.last_used_at })),
    );
  }

  async ping(): Promise<void> {
    return this.guarded(() => {
      this.statements.ping.get();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Rotations already asked for are committed (or refused) before the connection goes.
    void this.flushConsumes();
    await Promise.all(this.flushing);
    this.closed = true;
    if (this.checkpointer) {
      const stopped = new Promise((resolve) => this.checkpointer?.once('exit', resolve));
      // Unreferenced while it runs, so it never holds the process open; referenced while awaited, so the wait is not cut short.
      this.checkpointer.ref();
      this.checkpointer.postMessage('stop');
      await stopped;
    }
    this.db.close();
  }
}

/**
 * Opens (creating it and its directory if needed) a SQLite store and migrates it. `':memory:'` gives
 * a private in-memory database, for tests.
 */
export function openSqliteStore(filePath: string, options: SqliteStoreOptions = {}): TokenStore {
  const inMemory = filePath === ':memory:' || filePath === '';
  if (options.mustExist && !inMemory && !existsSync(filePath)) throw new StoreNotFoundError(`no refreshd store at ${filePath}`);
  if (!inMemory) {
    ensurePrivateDirectory(dirname(filePath));
    ensurePrivateFile(filePath);
  }
  const db = new Database(filePath, { fileMustExist: options.mustExist === true && !inMemory });
  try {
    if (options.mustExist && db.pragma('user_version', { simple: true }) === 0) {
      throw new StoreNotFoundError(`${filePath} is not a refreshd store (it has no refreshd schema)`);
    }
    const busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000));
    // Opening and migrating are synchronous, before any request: they may wait on the lock there.
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    const background = options.backgroundCheckpoints === true && filePath !== ':memory:' && filePath !== '';
    // 10000 pages (~40 MB of WAL) instead of SQLite's 1000: a checkpoint on the event loop fsyncs there,
    // and fewer, larger ones stall it less in sum.
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    migrateSqlite(db);
    db.pragma('busy_timeout = 0');
    return new SqliteTokenStore(db, busyTimeoutMs, background ? startCheckpointer(filePath) : undefined);
  } catch (error) {
    db.close();
    throw error;
  }
}
