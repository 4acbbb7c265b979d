import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, startCli, until, type LogRecord, type RunningCli } from '../support/cli';

/** `serve --workers 2` as a user runs it (tsx on the sources): shared port and store, one /metrics, restart on crash, clean drain. */
interface Cluster extends RunningCli {
  workerPids: number[];
}

async function startCluster(dataDir: string): Promise<Cluster> {
  const allListening = (records: LogRecord[]) => records.find((record) => record.msg === 'all workers listening');
  const running = await startCli(['serve', '--workers', '2', '--port', '0', '--data-dir', dataDir, '--insecure-cookies'], {}, (records) => Boolean(allListening(records)));
  return { ...running, workerPids: allListening(running.records())?.pids as number[] };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

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
    const minted = runCli(['sessions', 'create', '--api', 'session', '--sub', 'alice', '--data-dir', dataDir]);
    const { refresh_token } = JSON.parse(minted.stdout) as { refresh_token: string };
    const res = await fetch(`${cluster.url}/session/token/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token }) });
    return res.status;
  };

  it('generates the data dir key once, in the primary, and every worker serves real refreshes from the shared store', async () => {
    expect(cluster.records().filter((record) => /generated an HS256 key/.test(record.msg))).toHaveLength(1);
    const statuses = await Promise.all(Array.from({ length: 8 }, refreshOnce));
    expect(statuses).toEqual(Array(8).fill(200));
  }, 60_000);

  it('/metrics is one view of the server: every scrape, whichever worker answers it, counts the refreshes of both', async () => {
    const rotated = async () => {
      const text = await (await fetch(`${cluster.url}/metrics`)).text();
      return Number(/^refreshd_refreshes_total\{api="session",outcome="rotated"\} (\d+)/m.exec(text)?.[1]);
    };
    const before = await rotated();
    const statuses = await Promise.all(Array.from({ length: 6 }, refreshOnce));
    expect(statuses).toEqual(Array(6).fill(200));
    // Connections are spread over the workers round-robin: six fresh scrapes reach both.
    const scrapes = await Promise.all(Array.from({ length: 6 }, rotated));
    expect(scrapes).toEqual(Array(6).fill(before + 6));
    expect(before).toBe(8);
  }, 60_000);

  it('when a worker crashes, the primary logs it and starts another; the port keeps answering', async () => {
    const [victim] = cluster.workerPids;
    process.kill(victim, 'SIGKILL');
    await until(() => cluster.records().some((record) => record.msg === 'worker restarted'));
    expect(cluster.records()).toContainEqual(expect.objectContaining({ signal: 'SIGKILL', msg: 'worker crashed: restarting it' }));
    expect(await refreshOnce()).toBe(200);
  }, 60_000);

  it('SIGTERM to the primary drains every worker and exits 0', async () => {
    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
    expect(cluster.records()).toContainEqual(expect.objectContaining({ msg: 'stopped: all workers exited' }));
    await until(() => cluster.workerPids.every((pid) => !alive(pid)));
  }, 60_000);
});
