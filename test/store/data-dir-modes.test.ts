import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTokenEngine } from '../../src/app/real-server';

/**
 * Everything refreshd creates under --data-dir holds secrets (the generated signing key) or
 * token records (the SQLite database, its WAL and shared-memory files): directories 0700 and
 * files 0600, whatever the umask of the process that starts it.
 */
describe.each([0o000, 0o022, 0o277])('with umask %o', (umask) => {
  let root: string;
  let previous: number;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'refreshd-modes-'));
    previous = process.umask(umask);
  });
  afterEach(() => {
    process.umask(previous);
    rmSync(root, { recursive: true, force: true });
  });

  it('the data dir (and any parent it creates) is 0700; the key, the database, its -wal and -shm are 0600', async () => {
    const dataDir = join(root, 'nested', 'data');
    const engine = await openTokenEngine({ dataDir, keys: [], production: false, issuer: 'modes-test', secureCookies: true });
    try {
      await engine.tokens.mintSession({ api: 'watchr', sub: 'alice' });
      const created = readdirSync(dataDir).sort();
      expect(created).toEqual(expect.arrayContaining(['refreshd.sqlite', 'refreshd.sqlite-shm', 'refreshd.sqlite-wal', 'signing-key.jwk.json']));
      const modes = Object.fromEntries([
        ['nested/', join(root, 'nested')],
        ['nested/data/', dataDir],
        ...created.map((name) => [name, join(dataDir, name)]),
      ].map(([name, path]) => [name, (statSync(path).mode & 0o777).toString(8)]));
      expect(modes).toEqual(Object.fromEntries(Object.keys(modes).map((name) => [name, name.endsWith('/') ? '700' : '600'])));
    } finally {
      await engine.store.close();
    }
  });
});
