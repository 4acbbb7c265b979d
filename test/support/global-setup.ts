import { TEST_DATABASE_URL_ENV } from './postgres';

/**
 * `DATABASE_URL` given to `npm test` names the PostgreSQL server the suite uses instead of its
 * embedded ones. It is moved out of `DATABASE_URL` before any test runs: a `refreshd serve` that a
 * test starts for SQLite must not inherit it and silently run on PostgreSQL.
 */
export default function globalSetup(): void {
  if (!process.env.DATABASE_URL) return;
  process.env[TEST_DATABASE_URL_ENV] = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL;
}
