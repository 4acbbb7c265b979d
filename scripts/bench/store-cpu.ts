/**
 * The store's own CPU per rotation, in process, without HTTP: `chains` token chains rotated
 * concurrently (one rotation in flight per chain, as the bench's connections keep one request
 * each), `rotations` in all after a warm-up, on SQLite (a file, as `serve` opens it) and on an
 * embedded PostgreSQL. Prints process CPU (user + system, every thread) per rotation and, for
 * PostgreSQL, the statements it took per rotation (what the database received).
 *
 *   npx tsx scripts/bench/store-cpu.ts [--rotations 20000] [--chains 50] [--repeat 3] [--only sqlite|postgres]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { NewRefreshToken, RotateRefreshTokenInput, TokenStore } from '../../src/store/contract';
import { openStore, storeConfig } from '../../src/store/factory';
import { startEmbeddedPostgres } from '../embedded-postgres';

const { values: args } = parseArgs({
  options: {
    rotations: { type: 'string', default: '20000' },
    chains: { type: 'string', default: '50' },
    repeat: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const ROTATIONS = Number(args.rotations);
const CHAINS = Number(args.chains);
const WARMUP = Math.min(2000, ROTATIONS / 4);
const DAY_MS = 24 * 3600 * 1000;

let counter = 0;
/** Time-ordered ids, as refreshd's UUIDv7 jtis are. */
const nextJti = () => `${Date.now().toString(16)}-${(counter++).toString(16).padStart(10, '0')}`;

function token(jti: string, sessionId: string, parentJti: string | null, nowMs: number): NewRefreshToken {
  return { jti, sessionId, parentJti, issuedAtMs: nowMs, expiresAtMs: nowMs + 30 * DAY_MS, kid: 'k1', claims: { token_type: 'refresh', jti, sid: sessionId } };
}

/** Rotates `count` times over `CHAINS` chains, one in flight per chain; the CPU it took. */
async function rotate(store: TokenStore, heads: string[], sessions: string[], count: number): Promise<NodeJS.CpuUsage> {
  let left = count;
  const started = process.cpuUsage();
  await Promise.all(
    heads.map(async (_, chain) => {
      while (left > 0) {
        left -= 1;
        const nowMs = Date.now();
        const successor = token(nextJti(), sessions[chain], heads[chain], nowMs);
        const expiresAtMs = successor.expiresAtMs;
        const input: RotateRefreshTokenInput = {
          jti: heads[chain],
          nowMs,
          successor,
          expected: { sessionId: sessions[chain], api: 'watchr', sub: `user-${chain}`, stateHash: 'stamp', organizationId: null, requestedOrganizationId: null, uncappedExpiresAtMs: expiresAtMs },
        };
        const { consumed } = await store.rotateRefreshToken(input);
        if (!consumed) throw new Error(`rotation of chain ${chain} not consumed`);
        heads[chain] = successor.jti;
      }
    }),
  );
  return process.cpuUsage(started);
}

async function measure(name: string, store: TokenStore, statements?: () => Promise<number>): Promise<void> {
  const nowMs = Date.now();
  const sessions = Array.from({ length: CHAINS }, (_, chain) => `session-${nowMs}-${chain}`);
  const heads = sessions.map(() => nextJti());
  for (let chain = 0; chain < CHAINS; chain++) {
    await store.ensureSubjectStamp(`user-${chain}`, 'stamp', nowMs);
    await store.createSession(
      { id: sessions[chain], api: 'watchr', sub: `user-${chain}`, organizations: [], organizationId: null, createdAtMs: nowMs, absoluteExpiresAtMs: nowMs + 365 * DAY_MS, stateHash: 'stamp' },
      token(heads[chain], sessions[chain], null, nowMs),
    );
  }
  await rotate(store, heads, sessions, WARMUP);
  const before = (await statements?.()) ?? 0;
  const wall = performance.now();
  const cpu = await rotate(store, heads, sessions, ROTATIONS);
  const seconds = (performance.now() - wall) / 1000;
  const perRotation = (cpu.user + cpu.system) / ROTATIONS;
  const counted = statements ? ` · ${(((await statements()) - before) / ROTATIONS).toFixed(3)} statements per rotation` : '';
  console.log(`${name}: ${perRotation.toFixed(1)} CPU µs per rotation (user ${(cpu.user / ROTATIONS).toFixed(1)}, system ${(cpu.system / ROTATIONS).toFixed(1)}) · ${Math.round(ROTATIONS / seconds)} rotations/s${counted}`);
}

async function main(): Promise<void> {
  const repeat = Number(args.repeat);
  if (args.only !== 'postgres') {
    for (let run = 0; run < repeat; run++) {
      const dir = mkdtempSync(join(tmpdir(), 'refreshd-store-cpu-'));
      const store = await openStore(storeConfig({ dataDir: dir }));
      try {
        await measure('sqlite', store);
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  if (args.only !== 'sqlite') {
    const database = await startEmbeddedPostgres({ flags: ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'synchronous_commit=off'] });
    try {
      const admin = new pg.Client({ connectionString: database.url() });
      await admin.connect();
      await admin.query('CREATE EXTENSION pg_stat_statements');
      const statements = async () =>
        Number((await admin.query("SELECT coalesce(sum(calls), 0) AS calls FROM pg_stat_statements WHERE query LIKE '%refresh_tokens%' AND query NOT LIKE '%pg_stat_statements%'")).rows[0].calls);
      for (let run = 0; run < repeat; run++) {
        const store = await openStore(storeConfig({ dataDir: tmpdir(), databaseUrl: database.url() }));
        try {
          await measure('postgres', store, statements);
        } finally {
          await store.close();
        }
      }
      await admin.end();
    } finally {
      await database.shutdown();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
