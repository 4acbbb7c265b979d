/**
 * SQLite schema migrations, applied in order. The database's `user_version`
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
    description: 'the kids servers signed with (sessions CLI refuses a key no server uses)',
    sql: `
      CREATE TABLE signing_keys (
        kid           TEXT PRIMARY KEY,
        first_used_at INTEGER NOT NULL,
        last_used_at  INTEGER NOT NULL
      ) STRICT;
    `,
  },
];

export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1].version;
