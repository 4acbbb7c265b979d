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
  InstanceKeys,
  InstanceRecord,
  NewRefreshToken,
  NewSession,
  PurgeResult,
  RefreshContext,
  RefreshTokenRecord,
  RotateRefreshTokenInput,
  RotateRefreshTokenResult,
  SessionFilter,
  SessionRecord,
  SessionRevokeReason,
  SigningKidRecord,
  StoredClaims,
  TokenStore,
} from './contract';
import { rotationExpectationsHold, StoreNotFoundError, StoreUnavailableError } from './contract';
import {
  REFRESH_CONTEXT_SELECT,
  rowMappers,
  type RefreshContextRow as RefreshContextRowOf,
  type RefreshTokenRow as RefreshTokenRowOf,
  type SessionRow as SessionRowOf,
} from './rows';
import { SQLITE_MIGRATIONS } from './migrations';
import { TurnGroups } from './turn-groups';

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
  /** WAL frames after which the background checkpointer restarts the log. Default 16000 (about 64 MB). */
  walRestartFrames?: number;
  /**
   * `apply` (default): create the file if needed and bring its schema up to date. `require`:
   * change nothing, and refuse a missing file or one whose schema is not this refreshd's.
   */
  migrations?: 'apply' | 'require';
}

/**
 * How often the background checkpointer copies the WAL into the database. A pass copies each page
 * once, however many commits rewrote it since the last pass: the pages every rotation touches (the
 * right edges of the indexes, the table's last page) are copied once per pass rather than once per
 * commit, so a longer interval costs the checkpointer less CPU on the server's core.
 */
const BACKGROUND_CHECKPOINT_INTERVAL_MS = 200;

/**
 * A commit of one rotation costs about twice the CPU per rotation of a commit of four (WAL frames
 * written, the commit's own work): at a steady moderate rate, when requests arrive one per turn of
 * the event loop, holding a lone rotation up to 1 ms for company keeps the commits shared.
 */
const ROTATION_HOLD_MS = 1;

/**
 * The checkpointer thread's nice value (Linux nice values are per thread): when it and the event
 * loop both want the core, the event loop gets about three quarters of it, so a request waits less
 * behind a checkpoint pass. The checkpointer still runs whenever the event loop is idle.
 */
const CHECKPOINTER_NICE = 5;

/**
 * WAL frames after which the checkpointer also restarts the log (about 64 MB of WAL at 4 KiB
 * pages). SQLite starts the WAL over from its beginning only when a writer finds it wholly copied,
 * which a checkpointer racing a steady stream of commits never achieves, so without a RESTART the
 * WAL would grow for as long as the load lasts. A RESTART holds writers off while it copies the
 * frames committed since the last pass and syncs the database file: measured here at 8 ms median,
 * 13 ms at the 90th percentile, 34–68 ms at worst. Every rotation asked for meanwhile waits (the
 * event loop goes on serving). At 1000 frames that was a stall every ~150 ms at half of peak rate,
 * the largest part of that rate's 99th percentile latency; at 16000 it is one every few seconds.
 */
const RESTART_AFTER_FRAMES = 16000;

/**
 * Pages of WAL after which the event loop checkpoints itself, when no checkpointer thread runs.
 * With one, 2.5× its restart threshold: only if the thread stopped, so the WAL stays bounded either way.
 */
const WAL_AUTOCHECKPOINT_PAGES = 10000;

/**
 * The checkpointer thread's program. Inline rather than a file of its own, so the same code runs
 * from the compiled build and under ts-jest. PASSIVE never waits for the writer nor takes its
 * lock; a checkpoint already running elsewhere (another process's) makes either mode return
 * early, which is fine: the next turn catches up. While its RESTART holds writers off, the
 * shared `restarting` flag is 1, so this process's writer waits for it to end instead of
 * meeting SQLITE_BUSY and polling.
 */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.filePath, { fileMustExist: true });
const restarting = new Int32Array(workerData.restarting);
try { require('node:os').setPriority(workerData.nice); } catch {}
// Never sleep on a lock: a RESTART that cannot have the write lock at once (the event loop is
// committing) gives up, and the next pass tries again, instead of holding the writer's flag up while it waits.
db.pragma('busy_timeout = 0');
let timer;
const checkpoint = () => {
  try {
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)');
    if (log >= workerData.restartAfterFrames) {
      Atomics.store(restarting, 0, 1);
      try {
        db.pragma('wal_checkpoint(RESTART)');
      } finally {
        Atomics.store(restarting, 0, 0);
        Atomics.notify(restarting, 0);
      }
    }
  } catch {}
  timer = setTimeout(checkpoint, workerData.intervalMs);
};
timer = setTimeout(checkpoint, workerData.intervalMs);
parentPort.once('message', () => { clearTimeout(timer); db.close(); parentPort.close(); });
`;

/** The checkpointer thread, and the flag it raises while its RESTART holds this process's writer off. */
interface Checkpointer {
  worker: Worker;
  restarting: Int32Array;
  /** Settles when the thread has ended, whether asked to or not. */
  exited: Promise<void>;
}

function startCheckpointer(filePath: string, restartAfterFrames: number): Checkpointer {
  const restarting = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const worker = new Worker(CHECKPOINTER_SOURCE, {
    eval: true,
    workerData: {
      driverPath: require.resolve('better-sqlite3'),
      filePath,
      intervalMs: BACKGROUND_CHECKPOINT_INTERVAL_MS,
      restartAfterFrames,
      nice: CHECKPOINTER_NICE,
      restarting: restarting.buffer,
    },
  });
  worker.unref();
  // A checkpointer that dies leaves the event loop's own checkpoints in charge: slower, never wrong.
  // A thread's 'error' is followed by its 'exit', which lets a waiting writer go; listening keeps the error from throwing here.
  worker.on('error', () => {});
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      Atomics.store(restarting, 0, 0);
      Atomics.notify(restarting, 0);
      resolve();
    }),
  );
  return { worker, restarting, exited };
}

/** The longest a writer waits for the checkpointer's RESTART before trying anyway (SQLite's BUSY then says if it may). */
const RESTART_WAIT_BOUND_MS = 500;

/**
 * Resolves when the checkpointer's RESTART, if one is running, has let writers in again: at once
 * when none is. A timer bounds the wait (and keeps the process alive meanwhile, which
 * `Atomics.waitAsync` alone does not).
 */
function restartEnded(checkpointer: Checkpointer | undefined): Promise<void> | undefined {
  if (!checkpointer || Atomics.load(checkpointer.restarting, 0) === 0) return undefined;
  const waited = Atomics.waitAsync(checkpointer.restarting, 0, 1);
  if (!waited.async) return undefined;
  return new Promise((resolve) => {
    const bound = setTimeout(resolve, RESTART_WAIT_BOUND_MS);
    void waited.value.then(() => {
      clearTimeout(bound);
      resolve();
    });
  });
}

type SessionRow = SessionRowOf<string>;
type RefreshTokenRow = RefreshTokenRowOf<string>;
type RefreshContextRow = RefreshContextRowOf<string, string>;

/** Organizations and claims are JSON text in SQLite. */
const { toSession, toRefreshToken, toRefreshContext } = rowMappers<string, string>({
  organizations: (value) => JSON.parse(value) as string[],
  claims: (value) => JSON.parse(value) as StoredClaims,
});

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

interface InstanceRow {
  instance_id: string;
  description: string;
  signing_kid: string;
  verifying_kids: string;
  started_at: number;
  last_seen_at: number;
}

/** A rotation waiting for its group's transaction: `apply` runs inside it. */
interface PendingRotation {
  apply: () => unknown;
  resolve: (result: never) => void;
  reject: (error: unknown) => void;
}

/** Instance rows last seen this long before a purge are deleted by it. */
const INSTANCE_RECORD_RETENTION_MS = 24 * 3600 * 1000;

/**
 * Brings the schema to the newest version; refuses a database written by a newer refreshd. With
 * `require`, changes nothing and refuses a schema older than this refreshd's.
 */
export function migrateSqlite(db: Database.Database, mode: 'apply' | 'require' = 'apply'): { from: number; to: number } {
  const current = db.pragma('user_version', { simple: true }) as number;
  const newest = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1].version;
  if (current > newest) {
    throw new Error(`database schema version ${current} is newer than this refreshd supports (${newest})`);
  }
  if (mode === 'require' && current < newest) {
    throw new Error(`database schema is at version ${current}, this refreshd needs ${newest}: run \`refreshd migrate\` first`);
  }
  for (const migration of SQLITE_MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return { from: current, to: Math.max(current, newest) };
}

/** `refreshd migrate` on a SQLite file: creates it if needed and applies what it lacks. */
export function migrateSqliteFile(filePath: string): { from: number; to: number } {
  ensurePrivateDirectory(dirname(filePath));
  ensurePrivateFile(filePath);
  const db = new Database(filePath);
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    return migrateSqlite(db);
  } finally {
    db.close();
  }
}

class SqliteTokenStore implements TokenStore {
  private readonly db: Database.Database;
  private closed = false;
  private readonly statements;
  private readonly createSessionTransaction;
  private readonly rotationTransaction;
  private readonly rotationGroupTransaction;
  private readonly consumeOne;
  private readonly rotateOne;
  private readonly rotations: TurnGroups<PendingRotation>;
  private readonly revokeSubjectTransaction;
  private readonly purgeTransaction;

  constructor(
    db: Database.Database,
    private readonly busyTimeoutMs: number,
    private readonly checkpointer?: Checkpointer,
  ) {
    this.db = db;
    this.rotations = new TurnGroups<PendingRotation>((group) => this.commitGroup(group), { holdMs: ROTATION_HOLD_MS });
    // A checkpointer that stops before the store closes (its thread crashed, or ran out of memory)
    // leaves the checkpoints to the event loop: at the size it uses without one, not at the safety
    // net far past the checkpointer's restarts (a checkpoint of that size would stall it for seconds).
    void checkpointer?.exited.then(() => {
      if (!this.closed) db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    });
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
      findRefreshContext: db.prepare<[string], RefreshContextRow>(`${REFRESH_CONTEXT_SELECT} WHERE t.jti = ?`),
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
      // For a rotation that has just read the token, its session and the stamp in the same write transaction: nothing can have changed since.
      markReadTokenUsed: db.prepare<[number, string, string]>('UPDATE refresh_tokens SET used_at = ?, successor_jti = ? WHERE jti = ? AND used_at IS NULL'),
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
      purgeInstances: db.prepare<[number]>('DELETE FROM instances WHERE last_seen_at <= ?'),
      recordSigningKid: db.prepare<[string, number, number]>(
        `INSERT INTO signing_kids (kid, first_recorded_at, last_recorded_at) VALUES (?, ?, ?)
         ON CONFLICT (kid) DO UPDATE SET last_recorded_at = max(last_recorded_at, excluded.last_recorded_at)`,
      ),
      knownSigningKids: db.prepare<[], { kid: string; first_recorded_at: number; last_recorded_at: number }>(
        'SELECT * FROM signing_kids ORDER BY first_recorded_at, kid',
      ),
      announceInstance: db.prepare<{ instance_id: string; description: string; signing_kid: string; verifying_kids: string; now: number }>(
        `INSERT INTO instances (instance_id, description, signing_kid, verifying_kids, started_at, last_seen_at)
         VALUES (@instance_id, @description, @signing_kid, @verifying_kids, @now, @now)
         ON CONFLICT (instance_id) DO UPDATE SET description = excluded.description, signing_kid = excluded.signing_kid,
           verifying_kids = excluded.verifying_kids, last_seen_at = excluded.last_seen_at`,
      ),
      listInstances: db.prepare<[number], InstanceRow>('SELECT * FROM instances WHERE last_seen_at >= ? ORDER BY started_at, instance_id'),
      withdrawInstance: db.prepare<[string]>('DELETE FROM instances WHERE instance_id = ?'),
      ping: db.prepare('SELECT 1'),
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

    const storeSuccessor = (input: ConsumeRefreshTokenInput) => {
      statements.insertRefreshToken.run(refreshTokenParams(input.successor));
      if (input.organizationId !== undefined) {
        statements.setSessionScope.run(input.organizationId, input.successor.sessionId);
      }
    };
    const consumeOne = (input: ConsumeRefreshTokenInput): ConsumeRefreshTokenResult => {
      const { changes } = statements.markUsed.run(input.nowMs, input.successor.jti, input.jti);
      if (changes === 1) {
        storeSuccessor(input);
        return { outcome: 'consumed' };
      }
      const row = statements.findRefreshToken.get(input.jti);
      if (!row) return { outcome: 'not_found' };
      return row.used_at !== null ? { outcome: 'already_used', token: toRefreshToken(row) } : { outcome: 'session_inactive' };
    };
    // Runs inside a write transaction (IMMEDIATE): what it reads cannot change before it writes.
    const rotateOne = (input: RotateRefreshTokenInput): RotateRefreshTokenResult => {
      const row = statements.findRefreshContext.get(input.jti);
      const context = row ? toRefreshContext(row) : null;
      if (!context || !rotationExpectationsHold(context, input)) return { consumed: false, context };
      const consumed = statements.markReadTokenUsed.run(input.nowMs, input.successor.jti, input.jti).changes === 1;
      if (consumed) storeSuccessor(input);
      return { consumed, context };
    };
    this.consumeOne = consumeOne;
    this.rotateOne = rotateOne;
    this.rotationTransaction = db.transaction((pending: PendingRotation) => pending.apply());
    this.rotationGroupTransaction = db.transaction((group: PendingRotation[]) => group.map((pending) => pending.apply()));

    this.revokeSubjectTransaction = db.transaction((sub: string, newStamp: string, nowMs: number): number => {
      statements.upsertStamp.run(sub, newStamp, nowMs);
      return statements.revokeSessionsOfSubject.run(nowMs, 'subject_revoked', sub).changes;
    });

    this.purgeTransaction = db.transaction((nowMs: number): PurgeResult => {
      const before = statements.countRefreshTokens.get()?.n ?? 0;
      const sessions = statements.purgeSessions.run({ now: nowMs }).changes;
      statements.purgeRefreshTokens.run({ now: nowMs });
      statements.purgeInstances.run(nowMs - INSTANCE_RECORD_RETENTION_MS);
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
            // Our own checkpointer's RESTART says when it ends; another process's lock is polled for.
            await (restartEnded(this.checkpointer) ?? lockBackoff(attempt));
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
      return row ? toRefreshContext(row) : null;
    });
  }

  async findRefreshToken(jti: string): Promise<RefreshTokenRecord | null> {
    return this.guarded(() => {
      const row = this.statements.findRefreshToken.get(jti);
      return row ? toRefreshToken(row) : null;
    });
  }

  consumeRefreshToken(input: ConsumeRefreshTokenInput): Promise<ConsumeRefreshTokenResult> {
    return this.enqueueRotation(input, () => this.consumeOne(input));
  }

  rotateRefreshToken(input: RotateRefreshTokenInput): Promise<RotateRefreshTokenResult> {
    return this.enqueueRotation(input, () => this.rotateOne(input));
  }

  /**
   * Rotations are committed in groups: every consume or rotation asked for during one turn of
   * the event loop runs in one transaction at the end of that turn (setImmediate), so a burst of
   * refreshes pays for one lock, one commit and one write of the shared pages instead of one
   * each. Each caller still gets its own outcome, in call order, only after the commit.
   */
  private enqueueRotation<T>(input: ConsumeRefreshTokenInput, apply: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    if (input.successor.parentJti !== input.jti) {
      return Promise.reject(new Error('the successor must name the consumed token as its parent'));
    }
    return new Promise<T>((resolve, reject) => this.rotations.add({ apply, resolve: resolve as (result: never) => void, reject }));
  }

  private async commitGroup(group: PendingRotation[]): Promise<void> {
    // While the checkpointer restarts the WAL the write lock is its: wait for it rather than be refused.
    const restart = restartEnded(this.checkpointer);
    if (restart) await restart;
    try {
      const outcomes = await this.guarded(() => this.rotationGroupTransaction.immediate(group));
      group.forEach((pending, index) => pending.resolve(outcomes[index] as never));
      return;
    } catch (error) {
      if (group.length === 1 || error instanceof StoreUnavailableError) {
        for (const pending of group) pending.reject(error);
        return;
      }
    }
    // One failing rotation must not fail the others of its group: each again, alone.
    for (const pending of group) {
      await this.guarded(() => this.rotationTransaction.immediate(pending)).then(pending.resolve as (result: unknown) => void, pending.reject);
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

  async recordSigningKid(kid: string, nowMs: number): Promise<void> {
    return this.guarded(() => {
      this.statements.recordSigningKid.run(kid, nowMs, nowMs);
    });
  }

  async knownSigningKids(): Promise<SigningKidRecord[]> {
    return this.guarded(() =>
      this.statements.knownSigningKids.all().map((row) => ({
        kid: row.kid,
        firstRecordedAtMs: row.first_recorded_at,
        lastRecordedAtMs: row.last_recorded_at,
      })),
    );
  }

  async announceInstance(instance: InstanceKeys, nowMs: number): Promise<void> {
    return this.guarded(() => {
      this.statements.announceInstance.run({
        instance_id: instance.instanceId,
        description: instance.description,
        signing_kid: instance.signingKid,
        verifying_kids: JSON.stringify(instance.verifyingKids),
        now: nowMs,
      });
    });
  }

  async listInstances(seenSinceMs: number): Promise<InstanceRecord[]> {
    return this.guarded(() =>
      this.statements.listInstances.all(seenSinceMs).map((row) => ({
        instanceId: row.instance_id,
        description: row.description,
        signingKid: row.signing_kid,
        verifyingKids: JSON.parse(row.verifying_kids) as string[],
        startedAtMs: row.started_at,
        lastSeenAtMs: row.last_seen_at,
      })),
    );
  }

  async withdrawInstance(instanceId: string): Promise<void> {
    return this.guarded(() => {
      this.statements.withdrawInstance.run(instanceId);
    });
  }

  async ping(): Promise<void> {
    return this.guarded(() => {
      this.statements.ping.get();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Rotations already asked for are committed (or refused) before the connection goes.
    await this.rotations.drain();
    this.closed = true;
    if (this.checkpointer) {
      const { worker, exited } = this.checkpointer;
      // Unreferenced while it runs, so it never holds the process open; referenced while awaited, so
      // the wait is not cut short. A thread that has already ended (crashed) is not waited for again.
      worker.ref();
      worker.postMessage('stop');
      await exited;
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
  const mustExist = options.migrations === 'require' && !inMemory;
  // `require` (the sessions CLI) never creates a store: a missing file is refused, not created.
  if (mustExist && !existsSync(filePath)) throw new StoreNotFoundError(`no refreshd store at ${filePath}`);
  if (!inMemory) {
    ensurePrivateDirectory(dirname(filePath));
    ensurePrivateFile(filePath);
  }
  const db = new Database(filePath, { fileMustExist: mustExist });
  try {
    if (mustExist && db.pragma('user_version', { simple: true }) === 0) {
      throw new StoreNotFoundError(`${filePath} is not a refreshd store (it has no refreshd schema)`);
    }
    const busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000));
    // Opening and migrating are synchronous, before any request: they may wait on the lock there.
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    const background = options.backgroundCheckpoints === true && !inMemory;
    const restartAfterFrames = options.walRestartFrames ?? RESTART_AFTER_FRAMES;
    // Without the checkpointer, 10000 pages (~40 MB of WAL) instead of SQLite's 1000: a checkpoint on the
    // event loop fsyncs there, and fewer, larger ones stall it less in sum. With it, a safety net far past its restarts.
    db.pragma(`wal_autocheckpoint = ${background ? Math.round(2.5 * restartAfterFrames) : WAL_AUTOCHECKPOINT_PAGES}`);
    migrateSqlite(db, options.migrations);
    db.pragma('busy_timeout = 0');
    const checkpointer = background ? startCheckpointer(filePath, restartAfterFrames) : undefined;
    return new SqliteTokenStore(db, busyTimeoutMs, checkpointer);
  } catch (error) {
    db.close();
    throw error;
  }
}
