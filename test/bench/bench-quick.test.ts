import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COLD_START_IDS, rowIds, type BenchReport } from '../../scripts/bench/report';
import { catalogueOf } from '../../src/spec/catalogue';

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs `npm run bench -- --quick [flags]` (its script, directly) and collects what it prints. */
function runQuickBench(out: string, flags: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'scripts', 'bench', 'run.ts'), '--quick', '--out', out, ...flags], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Proves the bench runs end to end; it asserts nothing about speed (a shared CI machine is not a benchmark rig).
describe('npm run bench -- --quick', () => {
  let dir: string;
  let run: { code: number | null; stdout: string; stderr: string };
  let report: BenchReport;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-bench-test-'));
    run = await runQuickBench(path.join(dir, 'bench.json'), ['--stalls']);
    report = JSON.parse(readFileSync(path.join(dir, 'bench.json'), 'utf8')) as BenchReport;
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('completes with exit code 0', () => {
    if (run.code !== 0) throw new Error(`bench exited ${run.code}:\n${run.stderr.slice(-4000)}`);
    expect(run.code).toBe(0);
  });

  it('prints one table with a line for every scenario, the cold starts and the budget', () => {
    expect(run.stdout).toContain('| scenario | req/s | p50 ms | p99 ms |');
    for (const row of report.rows) expect(run.stdout).toContain(`| ${row.label} |`);
    expect(run.stdout).toContain('| cold start (spawn → first 200) |');
    expect(run.stdout).toContain('| budget | measured | holds |');
  });

  it('writes JSON with every row, measured or skipped with a reason, never failed', () => {
    // One serve row per api the project's documents declare, between the reference rows and the session document's.
    expect(report.rows.map((row) => row.id)).toEqual(rowIds(catalogueOf(path.join(ROOT, 'specs')).names));
    expect(report.rows.find((row) => row.id === 'serve-watchr')?.label).toBe('serve: watchr refresh (cookie)');
    expect(report.coldStarts.map((cold) => cold.id)).toEqual([...COLD_START_IDS]);
    for (const row of report.rows) {
      expect({ id: row.id, status: row.status }).toEqual({ id: row.id, status: expect.stringMatching(/^(ok|skipped)$/) });
      if (row.status === 'ok') {
        expect(row.peak?.responses).toBeGreaterThan(0);
        expect(typeof row.peak?.requestsPerSecond).toBe('number');
      } else {
        expect(row.note).toEqual(expect.any(String));
      }
    }
    expect(report.budget.length).toBeGreaterThan(0);
    expect(report.config.quick).toBe(true);
  });

  it('with --stalls, sets every request of a run at half of peak against what stall-probe.js saw in serve, and in the bare Express route', () => {
    type StallRun = { half: { responses: number }; report: { requests: number; kinds: Array<{ kind: string; events: number }> } };
    const stalls = report.stalls as { api: string; serve: StallRun; baseline: StallRun; error?: string };
    expect(stalls.error).toBeUndefined();
    expect(stalls.api).toBe('session');
    const events = (stallRun: StallRun) => Object.fromEntries(stallRun.report.kinds.map((kind) => [kind.kind, kind.events]));
    for (const stallRun of [stalls.serve, stalls.baseline]) {
      expect(stallRun.report.requests).toBe(stallRun.half.responses);
      expect(stallRun.report.requests).toBeGreaterThan(0);
      expect(events(stallRun)['gc-scavenge']).toBeGreaterThan(0);
    }
    // The checkpointer passes every 200 ms and the probe sees them from its thread; the Express route has no database.
    expect(events(stalls.serve)['checkpoint-passive']).toBeGreaterThan(0);
    expect(events(stalls.baseline)['checkpoint-passive']).toBe(0);
    expect(run.stdout).toContain('stalls: serve session at ');
    expect(run.stdout).toContain('stalls: the bare Express 5 POST route at ');
  });

  it("reports refreshd's event-loop delay over each run of a serve row, and none for the references", () => {
    const delay = { p50: expect.any(Number), p90: expect.any(Number), p99: expect.any(Number), p999: expect.any(Number), max: expect.any(Number) };
    const session = report.rows.find((row) => row.id === 'serve-session');
    expect(session?.peak?.eventLoopDelayMs).toEqual(delay);
    expect(session?.half?.eventLoopDelayMs).toEqual(delay);
    expect(session?.half?.eventLoopDelayMs?.max).toBeGreaterThanOrEqual(session?.half?.eventLoopDelayMs?.p50 ?? Infinity);
    expect(report.rows.find((row) => row.id === 'node-http')?.half?.eventLoopDelayMs).toBeUndefined();
    expect(run.stdout).toContain('event-loop delay ms at ½ peak: p50 / p99 / max');
  });
});

describe('npm run bench -- --quick --specs-dir <a folder holding the sixth api>', () => {
  let dir: string;
  let run: { code: number | null; stdout: string; stderr: string };
  let report: BenchReport;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-bench-sixth-'));
    const specsDir = path.join(dir, 'specs');
    mkdirSync(path.join(specsDir, 'overlays'), { recursive: true });
    const fixture = path.join(ROOT, 'test', 'fixtures', 'sixth-api');
    copyFileSync(path.join(fixture, 'widgets.yaml'), path.join(specsDir, 'widgets.yaml'));
    copyFileSync(path.join(fixture, 'overlays', 'widgets.overlay.yaml'), path.join(specsDir, 'overlays', 'widgets.overlay.yaml'));
    run = await runQuickBench(path.join(dir, 'bench.json'), ['--specs-dir', specsDir, '--only', 'serve-widgets']);
    if (run.code === 0) report = JSON.parse(readFileSync(path.join(dir, 'bench.json'), 'utf8')) as BenchReport;
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("benches the api the folder's documents declare, every refresh answered 200", () => {
    if (run.code !== 0) throw new Error(`bench exited ${run.code}:\n${run.stderr.slice(-4000)}`);
    const row = report.rows.find((r) => r.id === 'serve-widgets');
    expect(row).toEqual(expect.objectContaining({ status: 'ok', api: 'widgets', label: 'serve: widgets refresh (form, + api key)' }));
    expect(row?.peak?.statusCounts['200']).toBeGreaterThan(0);
    expect({ peak: row?.peak?.non200, half: row?.half?.non200, errors: row?.peak?.errors }).toEqual({ peak: 0, half: 0, errors: 0 });
    expect(report.rows.filter((r) => r.api !== undefined).map((r) => r.id)).toEqual(['serve-widgets']);
  });
});
