import { startEmbeddedPostgres } from './scripts/embedded-postgres';
import { openPostgresStore } from './src/store/postgres';
import { openSqliteStore } from './src/store/sqlite';
import { TokenService } from './src/tokens/service';
import { generateSigningKey, KeySet } from './src/tokens/keys';
import type { TokenStore } from './src/store/contract';
import pg from 'pg';
import { mkdtempSync } from 'node:fs';
async function measure(label: string, store: TokenStore) {
  const tokens = new TokenService({ store, keys: new KeySet([generateSigningKey('HS256')]), clock: { nowMs: () => Date.now() }, issuer: 'x' });
  const minted = [];
  for (let i = 0; i < 4000; i++) minted.push(await tokens.mintSession({ api: 'session', sub: 'u' + i }));
  for (let k = 0; k < 1000; k += 20) await Promise.all(minted.slice(k, k + 20).map((m) => tokens.rotateRefreshToken({ api: 'session', refreshToken: m.refreshToken })));
  const cpu0 = process.cpuUsage(); const t0 = performance.now();
  for (let k = 1000; k < 4000; k += 20) await Promise.all(minted.slice(k, k + 20).map((m) => tokens.rotateRefreshToken({ api: 'session', refreshToken: m.refreshToken })));
  const cpu = process.cpuUsage(cpu0);
  console.log(label, 'cpu us per rotation', ((cpu.user + cpu.system) / 3000).toFixed(0), 'sys', (cpu.system / 3000).toFixed(0), 'wall us', ((performance.now() - t0) * 1000 / 3000).toFixed(0));
  await store.close();
}
(async () => {
  const db = await startEmbeddedPostgres({ flags: ['-c', 'synchronous_commit=off'] });
  for (let round = 0; round < 2; round++) {
    await measure('sqlite', openSqliteStore(mkdtempSync('/tmp/scratch13/sq') + '/x.sqlite', { synchronous: 'NORMAL', backgroundCheckpoints: true }));
    const c = new pg.Client({ connectionString: db.url() }); await c.connect(); await c.query(`CREATE DATABASE b${round}`); await c.end();
    await measure('postgres', await openPostgresStore({ url: db.url(`b${round}`) }));
  }
  await db.shutdown();
})();
