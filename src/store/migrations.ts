/**
 * Schema migrations, versioned per backend: each backend's list is applied in order, and its
 * numbers count that backend's own history only.
 *
 * SQLite: applied in order. The database's `user_version`
 * pragma is the number of the last one applied; each migration runs in the same
 * transaction as the `user_version` bump, so a crash leaves either the old or
 * the new schema. Append new migrations; never edit an applied one.
 */
export interface SqliteMigration {
  version: number;
  description: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'sessions, refresh tokens, subject stamps',
    sql: `
      CREATE TABLE sessions (
        id                  TEXT PRIMARY KEY,
        api                 TEXT NOT NULL,
        sub                 TEXT NOT NULL,
        organizations       TEXT NOT NULL,           -- JSON array of strings
        organization_id     TEXT,
        created_at          INTEGER NOT NULL,        -- ms since epoch, like every time column
        absolute_expires_at INTEGER NOT NULL,
        revoked_at          INTEGER,
        revoke_reason       TEXT,
        state_hash          TEXT NOT NULL
      ) STRICT;
      CREATE INDEX sessions_by_sub ON sessions (sub);
      CREATE INDEX sessions_by_api ON sessions (api, created_at);
      CREATE INDEX sessions_by_absolute_expiry ON sessions (absolute_expires_at);

      CREATE TABLE refresh_tokens (
        jti           TEXT PRIMARY KEY,
        session_id    TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        parent_jti    TEXT,
        issued_at     INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL,
        used_at       INTEGER,
        successor_jti TEXT,
        kid           TEXT NOT NULL,
        claims        TEXT NOT NULL                  -- JSON of the signed claims; never the token string
      ) STRICT;
      CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id, expires_at);
      CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);

      CREATE TABLE subject_stamps (
        sub        TEXT PRIMARY KEY,
        state_hash TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: 'signing kids served with, running instances and their keys',
    sql: `
      CREATE TABLE signing_kids (
        kid               TEXT PRIMARY KEY,
        first_recorded_at INTEGER NOT NULL,
        last_recorded_at  INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE instances (
        instance_id    TEXT PRIMARY KEY,
        description    TEXT NOT NULL,
        signing_kid    TEXT NOT NULL,
        verifying_kids TEXT NOT NULL,                -- JSON array of strings
        started_at     INTEGER NOT NULL,
        last_seen_at   INTEGER NOT NULL
      ) STRICT;
    `,
  },
];

export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1].version;

/**
 * PostgreSQL: the table `refreshd_migrations` lists the versions applied. Every instance
 * applies what is missing at start, each under one advisory lock in one transaction, so N
 * instances starting together migrate once and a failure leaves the old schema. Time columns
 * are bigint milliseconds, as in SQLite; `claims` is `json`, not `jsonb`, because `json` keeps
 * the text as written and re-signing needs the claims' key order.
 */
export interface PostgresMigration {
  version: number;
  description: string;
  sql: string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'sessions, refresh tokens, subject stamps, signing kids, instances',
    sql: `
      CREATE TABLE sessions (
        id                  text PRIMARY KEY,
        api                 text NOT NULL,
        sub                 text NOT NULL,
        organizations       text[] NOT NULL,
        organization_id     text,
        created_at          bigint NOT NULL,
        absolute_expires_at bigint NOT NULL,
        revoked_at          bigint,
        revoke_reason       text,
        state_hash          text NOT NULL
      );
      CREATE INDEX sessions_by_sub ON sessions (sub);
      CREATE INDEX sessions_by_api ON sessions (api, created_at);
      CREATE INDEX sessions_by_absolute_expiry ON sessions (absolute_expires_at);

      CREATE TABLE refresh_tokens (
        jti           text PRIMARY KEY,
        session_id    text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        parent_jti    text,
        issued_at     bigint NOT NULL,
        expires_at    bigint NOT NULL,
        used_at       bigint,
        successor_jti text,
        kid           text NOT NULL,
        claims        json NOT NULL
      );
      CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id, expires_at);
      CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);

      CREATE TABLE subject_stamps (
        sub        text PRIMARY KEY,
        state_hash text NOT NULL,
        updated_at bigint NOT NULL
      );

      CREATE TABLE signing_kids (
        kid               text PRIMARY KEY,
        first_recorded_at bigint NOT NULL,
        last_recorded_at  bigint NOT NULL
      );

      CREATE TABLE instances (
        instance_id    text PRIMARY KEY,
        description    text NOT NULL,
        signing_kid    text NOT NULL,
        verifying_kids text[] NOT NULL,
        started_at     bigint NOT NULL,
        last_seen_at   bigint NOT NULL
      );
    `,
  },
];

export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1].version;
