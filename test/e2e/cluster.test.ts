import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `serve --workers 2` as a user runs it (tsx on the sources): shared port and store, restart on crash, clean drain. */
const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = path.join(ROOT, 'src', 'cli', 'run.ts');

interface Cluster {
  child: ChildProcess;
  url: string;
  workerPids: number[];
  output: () => string;
}

function startCluster(dataDir: string): Promise<Cluster> {
  const child = spawn(TSX, [CLI, 'serve', '--workers', '2', '--port', '0', '--data-dir', dataDir, '--insecure-cookies'], {
    cwd: ROOT,
    env: { ...process.env, REFRESHD_LOG_LEVEL: 'info' },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const url = /listening on (http:\/\/[^\s]+)/.exec(output)?.[1];
      const ready = /"pids":\[(\d+),(\d+)\][^\n]*"all workers listening"/.exec(output);
      if (url && ready) resolve({ child, url, workerPids: [Number(ready[1]), Number(ready[2])], output: () => output });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('refreshd serve --workers 2', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-cluster-'));
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster(dataDir);
  }, 60_000);

  afterAll(() => {
    if (cluster.child.exitCode === null) cluster.child.kill('SIGKILL');
    for (const pid of cluster.workerPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  const refreshOnce = async () => {
    const minted = spawnSync(TSX, [CLI, 'sessions', 'create', '--api', 'session', '--sub', 'alice', '--data-dir', dataDir], { cwd: ROOT, encoding: 'utf8' });
    const { refresh_token } = JSON.parse(minted.stdout) as { refresh_token: string };
    const res = await fetch(`${cluster.url}/session/token/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token }) });
    return res.status;
  };

  it('generates the data dir key once, in the primary, and every worker serves real refreshes from the shared store', async () => {
    expect(cluster.output().match(/generated an HS256 key/g)).toHaveLength(1);
    const statuses = await Promise.all(Array.from({ length: 8 }, refreshOnce));
    expect(statuses).toEqual(Array(8).fill(200));
  }, 60_000);

  it('when a worker crashes, the primary logs it and starts another; the port keeps answering', async () => {
    const [victim] = cluster.workerPids;
    process.kill(victim, 'SIGKILL');
    await until(() => /worker restarted/.test(cluster.output()));
    expect(cluster.output()).toMatch(/"signal":"SIGKILL"[^\n]*"worker crashed: restarting it"/);
    expect(await refreshOnce()).toBe(200);
  }, 60_000);

  it('SIGTERM to the primary drains every worker and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => cluster.child.once('exit', (code) => resolve(code)));
    cluster.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(cluster.output()).toMatch(/"stopped: all workers exited"/);
    await until(() => cluster.workerPids.every((pid) => !alive(pid)));
  }, 60_000);
});
