/**
 * The shared store: PostgreSQL through node-postgres (`pg`) with a pool, for any number of
 * refreshd instances on any number of machines. Every operation on the request path is one
 * statement, so one round trip, and the rotations asked for during one turn of the event loop
 * share one statement; a rotation decides its single winner under READ COMMITTED with a
 * conditional UPDATE inside that statement, never with SELECT … FOR UPDATE: of concurrent
 * statements on one token, the first to lock the row updates it, and the others, re-checking the
 * row once it commits, find it used.
 *
 * A database that cannot answer within the configured timeouts (stopped, unreachable, overloaded)
 * rejects with {@link StoreUnavailableError}: the api's 503. The pool replaces broken connections
 * by itself, so service resumes when the database does, without a restart.
 */
import { hostname } from 'node:os';
import pg from 'pg';
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
  RotationExpectations,
  SessionFilter,
  SessionRecord,
  SessionRevokeReason,
  SigningKidRecord,
  StoredClaims,
  TokenStore,
} from './contract';
import { StoreUnavailableError } from './contract';
import { describeDatabaseUrl } from './database-url';
import { TurnGroups } from './turn-groups';
import { POSTGRES_MIGRATIONS } from './migrations';
import {
  REFRESH_CONTEXT_SELECT,
  rowMappers,
  type RefreshContextRow as RefreshContextRowOf,
  type RefreshTokenRow as RefreshTokenRowOf,
  type SessionRow as SessionRowOf,
} from './rows';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`; libpq's query parameters (`sslmode`, …) as node-postgres reads them. */
  url: string;
  /** How long opening a connection, or waiting for a free one from the pool, may take, in ms. Default 2000. */
  connectTimeoutMs?: number;
  /** How long one statement may run, in ms: enforced by the server (`statement_timeout`) and by the client. Default 2000. */
  statementTimeoutMs?: number;
  /** Connections this process keeps at most. Default 10. */
  poolSize?: number;
  /**
   * `apply` (default): bring the schema up to date first, under an advisory lock. `require`:
   * refuse a database whose schema is not this refreshd's (and change nothing).
   */
  migrations?: 'apply' | 'require';
}

export const DEFAULT_POSTGRES_TIMEOUT_MS = 2000;
export const DEFAULT_POSTGRES_POOL_SIZE = 10;

/** Advisory lock keys (64-bit, refreshd's own): one for migrations, one for the purge. */
const MIGRATION_LOCK_KEY = '7412290017751103201';
const PURGE_LOCK_KEY = '7412290017751103202';

/** Migrations and the purge may run long; requests never do. */
const MAINTENANCE_TIMEOUT_MS = 10 * 60 * 1000;

/** A statement allowed to run as long as maintenance may (node-postgres reads `query_timeout` per query; its types omit it). */
function maintenance(text: string, values: unknown[] = []): pg.QueryConfig {
  return { text, values, query_timeout: MAINTENANCE_TIMEOUT_MS } as pg.QueryConfig;
}

/** Instance rows last seen this long before a purge are deleted by it. */
const INSTANCE_RECORD_RETENTION_MS = 24 * 3600 * 1000;

/**
 * Errors after which retrying later may succeed and nothing was written: no connection (refused,
 * reset, timed out), the server shutting down or cancelling on timeout, out of resources, a
 * conflict it rolled back. Everything else is a bug or bad data, and stays what it is.
 */
const UNAVAILABLE_SQLSTATE = /^(08|28|3D|40|53|57|58|55P03)/;
const UNAVAILABLE_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed)/;

function toStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError) return error;
  const code = String((error as { code?: unknown })?.code ?? '');
  const message = String((error as { message?: unknown })?.message ?? '');
  if (UNAVAILABLE_SQLSTATE.test(code) || /^E[A-Z]+$/.test(code) || UNAVAILABLE_MESSAGE.test(message)) {
    return new StoreUnavailableError(`postgres ${code || message}`.slice(0, 200));
  }
  return error;
}

/** PostgreSQL text cannot hold U+0000: no stored value can contain it. */
const holdsNul = (...values: (string | null | undefined)[]) => values.some((value) => typeof value === 'string' && value.includes('\u0000'));

type SessionRow = SessionRowOf<string[]>;
type RefreshTokenRow = RefreshTokenRowOf<StoredClaims>;
type RefreshContextRow = RefreshContextRowOf<string[], StoredClaims>;

/** Organizations come back as an array and claims parsed from `json`: nothing to decode. */
const { toSession, toRefreshToken, toRefreshContext } = rowMappers<string[], StoredClaims>({
  organizations: (value) => value,
  claims: (value) => value,
});

/**
 * The successor's insert and the session's scope change, for a statement whose CTE `consumed`
 * returns the consumed token's row when (and only when) this statement won it. Parameters $3–$8
 * are the successor's, $9 whether to write the scope, $10 the scope.
 */
const SUCCESSOR_CTES = `
  successor AS (
    INSERT INTO refresh_tokens (jti, session_id, parent_jti, issued_at, expires_at, kid, claims)
    SELECT $3::text, $4::text, $1::text, $5::bigint, $6::bigint, $7::text, $8::json FROM consumed
  ),
  scope AS (
    UPDATE sessions SET organization_id = $10::text
    WHERE $9::boolean AND id = $4::text AND EXISTS (SELECT 1 FROM consumed)
  )`;

/**
 * A rotation in one statement. `context` reads the token, its session and the subject's stamp;
 * `consumed` marks the token used only if it still is unused when its row is locked (READ
 * COMMITTED re-checks `used_at` on the newest version after waiting for a concurrent writer) and
 * the context meets every expectation ($11–$17, the same conditions as
 * `rotationExpectationsHold`); the successor and scope follow from `consumed`.
 */
const ROTATE_SQL = `
  WITH context AS (${REFRESH_CONTEXT_SELECT} WHERE t.jti = $1::text),
  consumed AS (
    UPDATE refresh_tokens t SET used_at = $2::bigint, successor_jti = $3::text
    FROM context c
    WHERE t.jti = $1::text AND t.used_at IS NULL
      AND c.session_id = $11::text AND c.s_id IS NOT NULL
      AND c.s_revoked_at IS NULL AND $2::bigint < c.s_absolute_expires_at
      AND c.s_api = $12::text AND c.s_sub = $13::text
      AND c.s_state_hash = $14::text AND c.subject_stamp = $14::text
      AND c.s_organization_id IS NOT DISTINCT FROM $15::text
      AND ($16::text IS NULL OR $16::text = ANY (c.s_organizations))
      AND $6::bigint = LEAST($17::bigint, c.s_absolute_expires_at - c.s_absolute_expires_at % 1000)
    RETURNING t.jti
  ),
  ${SUCCESSOR_CTES}
  SELECT EXISTS (SELECT 1 FROM consumed) AS consumed, c.* FROM context c`;

/**
 * The unconditional consume: the same conditional write as SQLite's (unused, session unrevoked,
 * stamp unchanged, checked on the row's newest version), successor and scope in the same
 * statement, and the token's row as this statement's snapshot saw it.
 */
const CONSUME_SQL = `
  WITH consumed AS (
    UPDATE refresh_tokens t SET used_at = $2::bigint, successor_jti = $3::text
    WHERE t.jti = $1::text AND t.used_at IS NULL
      AND EXISTS (
        SELECT 1 FROM sessions s
        WHERE s.id = t.session_id AND s.revoked_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM subject_stamps st WHERE st.sub = s.sub AND st.state_hash <> s.state_hash))
    RETURNING t.jti
  ),
  ${SUCCESSOR_CTES}
  SELECT EXISTS (SELECT 1 FROM consumed) AS consumed, t.* FROM refresh_tokens t WHERE t.jti = $1::text`;

/**
 * The rotations and consumes of one turn of the event loop in one statement: entry k is element k
 * of each array, $1–$17 as in {@link ROTATE_SQL} and $18 whether it is a rotation (false: a
 * consume, whose expectations are null). It reads every token's context; of the entries whose
 * conditions hold on it (a rotation's as in ROTATE_SQL, a consume's as in CONSUME_SQL) the first
 * in call order for each token is its `winner`, so two entries for one token never both consume
 * it; `consumed` is the same conditional UPDATE as the single statements' (re-checked on the
 * row's newest version), joined from the winners in jti order, so that two instances' groups
 * sharing tokens lock them in one order (the planner's nested loop keeps it; should a deadlock
 * still happen, the group is retried entry by entry). Only the winners that consumed store their
 * successor and change their session's scope (the last in call order, for a session changed
 * twice). One row per entry, in call order: whether it consumed, and its token's context as
 * the statement read it (all null for an unknown token).
 */
const ROTATE_GROUP_SQL = `
  WITH entry AS (
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::boolean[],
                         $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::bigint[], $18::boolean[])
      WITH ORDINALITY AS e(jti, now_ms, successor_jti, session_id, issued_at, expires_at, kid, claims, write_scope,
                           scope, expected_session_id, expected_api, expected_sub, expected_stamp, expected_scope, requested_scope,
                           uncapped_expires_at, rotation, ord)
  ),
  context AS (${REFRESH_CONTEXT_SELECT} WHERE t.jti = ANY ($1::text[])),
  winner AS (
    SELECT DISTINCT ON (e.jti) e.*
    FROM entry e JOIN context c ON c.jti = e.jti
    WHERE c.used_at IS NULL AND c.s_id IS NOT NULL AND c.s_revoked_at IS NULL
      AND CASE WHEN e.rotation THEN
            c.session_id = e.expected_session_id AND e.now_ms < c.s_absolute_expires_at
            AND c.s_api = e.expected_api AND c.s_sub = e.expected_sub
            AND c.s_state_hash = e.expected_stamp AND c.subject_stamp = e.expected_stamp
            AND c.s_organization_id IS NOT DISTINCT FROM e.expected_scope
            AND (e.requested_scope IS NULL OR e.requested_scope = ANY (c.s_organizations))
            AND e.expires_at = LEAST(e.uncapped_expires_at, c.s_absolute_expires_at - c.s_absolute_expires_at % 1000)
          ELSE c.subject_stamp IS NULL OR c.subject_stamp = c.s_state_hash END
    ORDER BY e.jti, e.ord
  ),
  consumed AS (
    UPDATE refresh_tokens t SET used_at = w.now_ms, successor_jti = w.successor_jti
    FROM winner w
    WHERE t.jti = w.jti AND t.used_at IS NULL
    RETURNING w.ord
  ),
  successor AS (
    INSERT INTO refresh_tokens (jti, session_id, parent_jti, issued_at, expires_at, kid, claims)
    SELECT e.successor_jti, e.session_id, e.jti, e.issued_at, e.expires_at, e.kid, e.claims::json
    FROM entry e JOIN consumed k ON k.ord = e.ord
  ),
  scope AS (
    UPDATE sessions s SET organization_id = latest.scope
    FROM (SELECT DISTINCT ON (e.session_id) e.session_id, e.scope
          FROM entry e JOIN consumed k ON k.ord = e.ord
          WHERE e.write_scope ORDER BY e.session_id, e.ord DESC) latest
    WHERE s.id = latest.session_id
  )
  SELECT k.ord IS NOT NULL AS consumed, c.*
  FROM entry e LEFT JOIN context c ON c.jti = e.jti LEFT JOIN consumed k ON k.ord = e.ord
  ORDER BY e.ord`;

/** What a rotation or consume statement returns for one entry: whether it consumed, and the token (with its context, for a rotation) as it read it. */
type RotationRow = RefreshContextRow & { consumed: boolean };

/** A consume or a rotation (with its expectations) waiting for its group's statement. */
interface PendingRotation {
  input: ConsumeRefreshTokenInput;
  expected: RotationExpectations | null;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/** Of a group statement's errors, those after which each entry alone may still succeed: a deadlock, a serialization failure. */
const RETRY_ALONE_SQLSTATE = /^40/;

const FIND_REFRESH_TOKEN_SQL = 'SELECT * FROM refresh_tokens WHERE jti = $1::text';

/** node-postgres returns bigint as a string (it may exceed 2^53); refreshd's are milliseconds, far below. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

class PostgresTokenStore implements TokenStore {
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly rotations = new TurnGroups<PendingRotation>((group) => this.tracked(this.commitGroup(group)));

  constructor(private readonly pool: pg.Pool) {}

  /** One statement on any pooled connection; named statements are prepared once per connection. */
  private query<R extends pg.QueryResultRow>(name: string | undefined, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    return this.tracked(this.send<R>(name, text, values));
  }

  /** A statement sent whether or not the store is closing: for work that `close` waits for. */
  private send<R extends pg.QueryResultRow>(name: string | undefined, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>({ name, text, values }).catch((error: unknown) => {
      throw toStoreError(error);
    });
  }

  /** `running`, which `close` waits for before the connections go. */
  private tracked<T>(running: Promise<T>): Promise<T> {
    const settled = running.finally(() => this.inFlight.delete(settled)).catch(() => undefined);
    this.inFlight.add(settled);
    return running;
  }

  /** Several statements in one transaction on one connection (maintenance only: never on the request path). */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    const running = (async () => {
      const client = await this.pool.connect();
      let broken: unknown;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        broken = error;
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release(broken instanceof Error ? broken : undefined);
      }
    })().catch((error: unknown) => {
      throw toStoreError(error);
    });
    return this.tracked(running);
  }

  async createSession(session: NewSession, firstToken: NewRefreshToken): Promise<void> {
    if (holdsNul(session.id, session.sub, session.api, session.stateHash, session.organizationId, ...session.organizations)) {
      throw new Error('PostgreSQL text cannot hold U+0000: refusing a session whose subject or organizations contain it');
    }
    await this.query(
      'refreshd_create_session',
      `WITH session AS (
         INSERT INTO sessions (id, api, sub, organizations, organization_id, created_at, absolute_expires_at, state_hash)
         VALUES ($1::text, $2::text, $3::text, $4::text[], $5::text, $6::bigint, $7::bigint, $8::text)
       )
       INSERT INTO refresh_tokens (jti, session_id, parent_jti, issued_at, expires_at, kid, claims)
       VALUES ($9::text, $10::text, $11::text, $12::bigint, $13::bigint, $14::text, $15::json)`,
      [
        session.id,
        session.api,
        session.sub,
        session.organizations,
        session.organizationId,
        session.createdAtMs,
        session.absoluteExpiresAtMs,
        session.stateHash,
        ...refreshTokenValues(firstToken),
      ],
    );
  }

  async findSession(sessionId: string): Promise<SessionRecord | null> {
    if (holdsNul(sessionId)) return null;
    const { rows } = await this.query<SessionRow>('refreshd_find_session', 'SELECT * FROM sessions WHERE id = $1::text', [sessionId]);
    return rows.length === 0 ? null : toSession(rows[0]);
  }

  async findRefreshToken(jti: string): Promise<RefreshTokenRecord | null> {
    if (holdsNul(jti)) return null;
    const { rows } = await this.query<RefreshTokenRow>('refreshd_find_refresh_token', FIND_REFRESH_TOKEN_SQL, [jti]);
    return rows.length === 0 ? null : toRefreshToken(rows[0]);
  }

  async findRefreshContext(jti: string): Promise<RefreshContext | null> {
    if (holdsNul(jti)) return null;
    const { rows } = await this.query<RefreshContextRow>('refreshd_find_refresh_context', `${REFRESH_CONTEXT_SELECT} WHERE t.jti = $1::text`, [jti]);
    return rows.length === 0 ? null : toRefreshContext(rows[0]);
  }

  async consumeRefreshToken(input: ConsumeRefreshTokenInput): Promise<ConsumeRefreshTokenResult> {
    assertSuccessorOf(input);
    if (holdsNul(input.jti)) return { outcome: 'not_found' };
    return this.enqueueRotation(input, null);
  }

  async rotateRefreshToken(input: RotateRefreshTokenInput): Promise<RotateRefreshTokenResult> {
    assertSuccessorOf(input);
    if (holdsNul(input.jti)) return { consumed: false, context: null };
    return this.enqueueRotation(input, input.expected);
  }

  /**
   * Rotations go to the database in groups: every consume or rotation asked for during one turn
   * of the event loop is sent at the end of that turn (setImmediate) as one statement, so a burst
   * of refreshes pays for one message, one round trip and one result instead of one each. Each
   * caller still gets the outcome its own statement would have given it.
   */
  private enqueueRotation<T>(input: ConsumeRefreshTokenInput, expected: RotationExpectations | null): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    return new Promise<T>((resolve, reject) => this.rotations.add({ input, expected, resolve: resolve as (result: unknown) => void, reject }));
  }

  /** Settles every entry of `group`; never rejects. */
  private async commitGroup(group: PendingRotation[]): Promise<void> {
    if (group.length > 1) {
      try {
        const { rows } = await this.pool.query<RotationRow>({ name: 'refreshd_rotate_group', text: ROTATE_GROUP_SQL, values: groupValues(group) });
        await Promise.all(group.map((pending, index) => this.outcome(pending, rows[index]).then(pending.resolve, pending.reject)));
        return;
      } catch (error) {
        // Nothing of a failed statement was written. Unavailable: so is each entry alone (the api's 503).
        const failure = toStoreError(error);
        if (failure instanceof StoreUnavailableError && !RETRY_ALONE_SQLSTATE.test(String((error as { code?: unknown }).code))) {
          for (const pending of group) pending.reject(failure);
          return;
        }
      }
    }
    // One entry that fails the statement (a successor that cannot be stored, a deadlock between two
    // instances' groups) must not fail the others: each alone, in call order, with its own statement.
    let unavailable: StoreUnavailableError | undefined;
    for (const pending of group) {
      if (unavailable) {
        pending.reject(unavailable);
        continue;
      }
      await this.alone(pending).then(pending.resolve, (error: unknown) => {
        if (error instanceof StoreUnavailableError) unavailable = error;
        pending.reject(error);
      });
    }
  }

  /** One entry in today's single statement: {@link CONSUME_SQL} or {@link ROTATE_SQL}. */
  private async alone(pending: PendingRotation): Promise<unknown> {
    const { input, expected } = pending;
    const { rows } =
      expected === null
        ? await this.send<RotationRow>('refreshd_consume', CONSUME_SQL, consumeValues(input))
        : await this.send<RotationRow>('refreshd_rotate', ROTATE_SQL, [...consumeValues(input), ...expectationValues(expected)]);
    return this.outcome(pending, rows[0]);
  }

  /** What the caller gets from its statement's row (undefined, or a null `jti` in a group: the token is unknown). */
  private async outcome(pending: PendingRotation, row: RotationRow | undefined): Promise<unknown> {
    const found = row !== undefined && row.jti !== null ? row : undefined;
    if (pending.expected !== null) {
      return found === undefined ? { consumed: false, context: null } : { consumed: found.consumed, context: toRefreshContext(found) };
    }
    return this.consumeOutcome(pending.input.jti, found);
  }

  private async consumeOutcome(jti: string, row: RotationRow | undefined): Promise<ConsumeRefreshTokenResult> {
    if (row === undefined) return { outcome: 'not_found' };
    if (row.consumed) return { outcome: 'consumed' };
    if (row.used_at !== null) return { outcome: 'already_used', token: toRefreshToken(row) };
    // Unused in this statement's snapshot, yet not consumed: either the session is inactive, or a
    // concurrent rotation (or an earlier entry of its group) consumed it. A new statement sees which.
    const { rows } = await this.send<RefreshTokenRow>('refreshd_find_refresh_token', FIND_REFRESH_TOKEN_SQL, [jti]);
    if (rows.length === 0) return { outcome: 'not_found' };
    const now = toRefreshToken(rows[0]);
    return now.usedAtMs !== null ? { outcome: 'already_used', token: now } : { outcome: 'session_inactive' };
  }

  async revokeSession(sessionId: string, nowMs: number, reason: SessionRevokeReason): Promise<boolean> {
    if (holdsNul(sessionId)) return false;
    const { rowCount } = await this.query(
      'refreshd_revoke_session',
      'UPDATE sessions SET revoked_at = $1::bigint, revoke_reason = $2::text WHERE id = $3::text AND revoked_at IS NULL',
      [nowMs, reason, sessionId],
    );
    return rowCount === 1;
  }

  async findSubjectStamp(sub: string): Promise<string | null> {
    if (holdsNul(sub)) return null;
    const { rows } = await this.query<{ state_hash: string }>('refreshd_find_stamp', 'SELECT state_hash FROM subject_stamps WHERE sub = $1::text', [sub]);
    return rows.length === 0 ? null : rows[0].state_hash;
  }

  async ensureSubjectStamp(sub: string, candidate: string, nowMs: number): Promise<string> {
    if (holdsNul(sub)) throw new Error('PostgreSQL text cannot hold U+0000: refusing a subject that contains it');
    // A stamp inserted by a concurrent call that committed after this statement's snapshot is
    // neither inserted again (the conflict waits for it) nor seen by the SELECT: the next statement sees it.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const { rows } = await this.query<{ state_hash: string }>(
        'refreshd_ensure_stamp',
        `WITH inserted AS (
           INSERT INTO subject_stamps (sub, state_hash, updated_at) VALUES ($1::text, $2::text, $3::bigint)
           ON CONFLICT (sub) DO NOTHING RETURNING state_hash
         )
         SELECT state_hash FROM inserted UNION ALL SELECT state_hash FROM subject_stamps WHERE sub = $1::text LIMIT 1`,
        [sub, candidate, nowMs],
      );
      if (rows.length > 0) return rows[0].state_hash;
    }
    throw new Error('subject stamp vanished after insert');
  }

  async revokeSubject(sub: string, newStamp: string, nowMs: number): Promise<number> {
    // No session of such a subject can exist here, nor its stamp: nothing to revoke or replace.
    if (holdsNul(sub)) return 0;
    const { rows } = await this.query<{ revoked: number }>(
      'refreshd_revoke_subject',
      `WITH stamp AS (
         INSERT INTO subject_stamps (sub, state_hash, updated_at) VALUES ($1::text, $2::text, $3::bigint)
         ON CONFLICT (sub) DO UPDATE SET state_hash = excluded.state_hash, updated_at = excluded.updated_at
       ),
       revoked AS (
         UPDATE sessions SET revoked_at = $3::bigint, revoke_reason = 'subject_revoked'
         WHERE sub = $1::text AND revoked_at IS NULL RETURNING 1
       )
       SELECT count(*)::int AS revoked FROM revoked`,
      [sub, newStamp, nowMs],
    );
    return rows[0].revoked;
  }

  async listSessions(filter: SessionFilter = {}): Promise<SessionRecord[]> {
    if (holdsNul(filter.api, filter.sub)) return [];
    const { rows } = await this.query<SessionRow>(
      'refreshd_list_sessions',
      // COLLATE "C": ids in byte order, as SQLite sorts them, whatever the database's collation.
      `SELECT * FROM sessions
       WHERE ($1::text IS NULL OR api = $1::text) AND ($2::text IS NULL OR sub = $2::text)
       ORDER BY created_at, id COLLATE "C"`,
      [filter.api ?? null, filter.sub ?? null],
    );
    return rows.map(toSession);
  }

  /** On one instance at a time: the others, finding the advisory lock taken, skip this round. */
  async purgeExpired(nowMs: number): Promise<PurgeResult> {
    return this.transaction(async (client) => {
      const { rows: lock } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS locked', [PURGE_LOCK_KEY]);
      if (!lock[0].locked) return { sessions: 0, refreshTokens: 0 };
      await client.query(`SET LOCAL statement_timeout = ${MAINTENANCE_TIMEOUT_MS}`);
      // The tokens of a deleted session are deleted here, not by the cascade, so that they are counted.
      const { rows } = await client.query<{ sessions: number; refresh_tokens: number }>(
        maintenance(
          `WITH doomed_sessions AS (
                 DELETE FROM sessions s
                 WHERE s.absolute_expires_at <= $1::bigint
                    OR NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = s.id AND t.expires_at > $1::bigint)
                 RETURNING s.id
               ),
               doomed_tokens AS (
                 DELETE FROM refresh_tokens t
                 WHERE t.expires_at <= $1::bigint OR t.session_id IN (SELECT id FROM doomed_sessions)
                 RETURNING 1
               ),
               stale_instances AS (DELETE FROM instances WHERE last_seen_at <= $2::bigint)
               SELECT (SELECT count(*) FROM doomed_sessions)::int AS sessions, (SELECT count(*) FROM doomed_tokens)::int AS refresh_tokens`,
          [nowMs, nowMs - INSTANCE_RECORD_RETENTION_MS],
        ),
      );
      return { sessions: rows[0].sessions, refreshTokens: rows[0].refresh_tokens };
    });
  }

  async recordSigningKid(kid: string, nowMs: number): Promise<void> {
    await this.query(
      'refreshd_record_signing_kid',
      `INSERT INTO signing_kids (kid, first_recorded_at, last_recorded_at) VALUES ($1::text, $2::bigint, $2::bigint)
       ON CONFLICT (kid) DO UPDATE SET last_recorded_at = GREATEST(signing_kids.last_recorded_at, excluded.last_recorded_at)`,
      [kid, nowMs],
    );
  }

  async knownSigningKids(): Promise<SigningKidRecord[]> {
    const { rows } = await this.query<{ kid: string; first_recorded_at: number; last_recorded_at: number }>(
      'refreshd_known_signing_kids',
      'SELECT * FROM signing_kids ORDER BY first_recorded_at, kid COLLATE "C"',
    );
    return rows.map((row) => ({ kid: row.kid, firstRecordedAtMs: row.first_recorded_at, lastRecordedAtMs: row.last_recorded_at }));
  }

  async announceInstance(instance: InstanceKeys, nowMs: number): Promise<void> {
    await this.query(
      'refreshd_announce_instance',
      `INSERT INTO instances (instance_id, description, signing_kid, verifying_kids, started_at, last_seen_at)
       VALUES ($1::text, $2::text, $3::text, $4::text[], $5::bigint, $5::bigint)
       ON CONFLICT (instance_id) DO UPDATE SET description = excluded.description, signing_kid = excluded.signing_kid,
         verifying_kids = excluded.verifying_kids, last_seen_at = excluded.last_seen_at`,
      [instance.instanceId, instance.description, instance.signingKid, instance.verifyingKids, nowMs],
    );
  }

  async listInstances(seenSinceMs: number): Promise<InstanceRecord[]> {
    const { rows } = await this.query<{
      instance_id: string;
      description: string;
      signing_kid: string;
      verifying_kids: string[];
      started_at: number;
      last_seen_at: number;
    }>('refreshd_list_instances', 'SELECT * FROM instances WHERE last_seen_at >= $1::bigint ORDER BY started_at, instance_id COLLATE "C"', [seenSinceMs]);
    return rows.map((row) => ({
      instanceId: row.instance_id,
      description: row.description,
      signingKid: row.signing_kid,
      verifyingKids: row.verifying_kids,
      startedAtMs: row.started_at,
      lastSeenAtMs: row.last_seen_at,
    }));
  }

  async withdrawInstance(instanceId: string): Promise<void> {
    await this.query('refreshd_withdraw_instance', 'DELETE FROM instances WHERE instance_id = $1::text', [instanceId]);
  }

  async ping(): Promise<void> {
    await this.query(undefined, 'SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // What was asked for before close is answered (committed or refused) before the connections go.
    this.rotations.flush();
    this.closed = true;
    await Promise.all(this.inFlight);
    await this.pool.end();
  }
}

function assertSuccessorOf(input: ConsumeRefreshTokenInput): void {
  if (input.successor.parentJti !== input.jti) throw new Error('the successor must name the consumed token as its parent');
}

function refreshTokenValues(token: NewRefreshToken): unknown[] {
  return [token.jti, token.sessionId, token.parentJti, token.issuedAtMs, token.expiresAtMs, token.kid, JSON.stringify(token.claims)];
}

/** $11–$17 of {@link ROTATE_SQL}; nulls for a consume in a group. */
function expectationValues(expected: RotationExpectations | null): unknown[] {
  if (expected === null) return [null, null, null, null, null, null, null];
  return [
    expected.sessionId,
    expected.api,
    expected.sub,
    expected.stateHash,
    expected.organizationId,
    expected.requestedOrganizationId,
    expected.uncappedExpiresAtMs,
  ];
}

/** The arrays of {@link ROTATE_GROUP_SQL}: each entry's values of the single statements, and whether it is a rotation. */
function groupValues(group: PendingRotation[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 18 }, () => []);
  for (const { input, expected } of group) {
    const values = [...consumeValues(input), ...expectationValues(expected), expected !== null];
    values.forEach((value, index) => columns[index].push(value));
  }
  return columns;
}

/** $1–$10 of {@link CONSUME_SQL} and {@link ROTATE_SQL}. */
function consumeValues(input: ConsumeRefreshTokenInput): unknown[] {
  const { successor } = input;
  return [
    input.jti,
    input.nowMs,
    successor.jti,
    successor.sessionId,
    successor.issuedAtMs,
    successor.expiresAtMs,
    successor.kid,
    JSON.stringify(successor.claims),
    input.organizationId !== undefined,
    input.organizationId ?? null,
  ];
}

/**
 * Applies the migrations this database lacks, in one transaction under an advisory lock: of N
 * instances starting together one migrates, the others wait for it and find nothing left to do.
 * With `require`, changes nothing and refuses a schema that is not this refreshd's.
 */
export async function migratePostgres(pool: pg.Pool, mode: 'apply' | 'require' = 'apply'): Promise<{ from: number; to: number }> {
  const newest = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1].version;
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL statement_timeout = ${MAINTENANCE_TIMEOUT_MS}`);
    if (mode === 'apply') {
      await client.query(maintenance('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]));
      await client.query(
        `CREATE TABLE IF NOT EXISTS refreshd_migrations (
           version     integer PRIMARY KEY,
           description text NOT NULL,
           applied_at  timestamptz NOT NULL DEFAULT now()
         )`,
      );
    }
    const { rows: table } = await client.query<{ present: boolean }>("SELECT to_regclass('refreshd_migrations') IS NOT NULL AS present");
    const { rows } = table[0].present
      ? await client.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM refreshd_migrations')
      : { rows: [{ version: 0 }] };
    const current = rows[0].version;
    if (current > newest) throw new Error(`database schema version ${current} is newer than this refreshd supports (${newest})`);
    if (mode === 'require' && current < newest) {
      throw new Error(`database schema is at version ${current}, this refreshd needs ${newest}: run \`refreshd migrate\` first`);
    }
    for (const migration of POSTGRES_MIGRATIONS) {
      if (migration.version <= current) continue;
      await client.query(maintenance(migration.sql));
      await client.query('INSERT INTO refreshd_migrations (version, description) VALUES ($1, $2)', [migration.version, migration.description]);
    }
    await client.query('COMMIT');
    return { from: current, to: Math.max(current, newest) };
  } catch (error) {
    broken = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release(broken);
  }
}

/** `refreshd migrate` on PostgreSQL: applies what the database lacks, under the advisory lock. */
export async function migratePostgresUrl(options: Omit<PostgresStoreOptions, 'migrations'>): Promise<{ from: number; to: number }> {
  const pool = createPool(options);
  try {
    return await migratePostgres(pool, 'apply');
  } catch (error) {
    throw openingError(options.url, error);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/**
 * Why a database could not be opened, for the operator: the driver's or the server's own words
 * (they name the user, never the password) with the URL stripped of its password.
 */
function openingError(url: string, error: unknown): Error {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const detail = [typeof code === 'string' ? code : '', typeof message === 'string' ? message : ''].filter(Boolean).join(' ');
  return new Error(`PostgreSQL at ${describeDatabaseUrl(url)}: ${detail || 'cannot connect'}`);
}

/** The pool for `options`, with refreshd's timeouts; it never throws on a broken idle connection. */
function createPool(options: PostgresStoreOptions): pg.Pool {
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_POSTGRES_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? DEFAULT_POSTGRES_POOL_SIZE,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_POSTGRES_TIMEOUT_MS,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout: MAINTENANCE_TIMEOUT_MS,
    keepAlive: true,
    application_name: `refreshd ${hostname()}:${process.pid}`.slice(0, 63),
    types,
  });
  // An idle connection the server closed (a restart, an outage) is dropped from the pool, which
  // opens a new one when next asked; the error needs a listener, or it would end the process.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Opens a PostgreSQL store: a pool, then the migrations (applied or required, see
 * {@link PostgresStoreOptions.migrations}). Rejects with the reason if the database cannot be
 * reached or its schema is not usable; the error never contains the password.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<TokenStore> {
  const pool = createPool(options);
  try {
    await migratePostgres(pool, options.migrations ?? 'apply');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw openingError(options.url, error);
  }
  return new PostgresTokenStore(pool);
}
