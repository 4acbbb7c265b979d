import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { attributeStalls, readStallEvents, type StallEvent } from '../../scripts/bench/stalls';

const ROOT = path.resolve(__dirname, '..', '..');
const PROBE = path.join(ROOT, 'scripts', 'bench', 'stall-probe.js');

describe('attributeStalls', () => {
  const event = (kind: string, start: number, ms: number, extra: Partial<StallEvent> = {}): StallEvent => ({ kind, start, ms, ...extra });

  it('puts each slow request down to the first kind in its order that overlaps its wait, and counts each once', () => {
    const events = [
      event('checkpoint-restart', 1000, 20),
      event('gc-scavenge', 1005, 2),
      event('gc-scavenge', 2000, 2),
      event('checkpoint-passive', 3000, 15),
      event('gc-major', 3010, 8),
    ];
    const requests: Array<[number, number]> = [
      [995, 30], // waits through the RESTART and a scavenge: the RESTART
      [1999, 6], // the lone scavenge
      [3005, 9], // PASSIVE and major GC: major GC comes first in the order
      [5000, 7], // nothing recorded
      [6000, 1], // fast: not counted at all
      [1000, 4], // under the budget although it overlaps the RESTART
    ];
    const report = attributeStalls(requests, events, 5);
    const slow = Object.fromEntries(report.kinds.map((kind) => [kind.kind, kind.slowRequests]));
    expect(report.requests).toBe(6);
    expect(report.slowRequests).toBe(4);
    expect(slow).toEqual({
      'checkpoint-restart': 1,
      'gc-major': 1,
      'checkpoint-passive': 0,
      'gc-scavenge': 1,
      'loop-gap-waiting': 0,
      'loop-gap': 0,
    });
    expect(report.unexplained).toBe(1);
  });

  it('counts only the events of the run, and sums their durations per kind', () => {
    const events = [event('gc-scavenge', 10, 3), event('gc-scavenge', 1200, 1), event('gc-scavenge', 1210, 2), event('gc-scavenge', 99999, 4)];
    const report = attributeStalls([[1190, 30]], events, 5);
    const scavenges = report.kinds.find((kind) => kind.kind === 'gc-scavenge');
    expect(scavenges).toMatchObject({ events: 2, totalMs: 3, maxMs: 2, slowRequests: 1 });
  });

  it('sees an event that began long before the request and still ran, however long ago', () => {
    // A short RESTART between the two, more than 5 s before the slow request: the search must look past it.
    const events = [event('checkpoint-restart', 1_000, 9_003), event('checkpoint-restart', 2_500, 1), event('gc-scavenge', 9_990, 1)];
    const report = attributeStalls(
      [
        [2_000, 1],
        [10_000, 6],
      ],
      events,
      5,
    );
    expect(report.kinds.find((kind) => kind.kind === 'checkpoint-restart')?.slowRequests).toBe(1);
  });
});

describe('readStallEvents', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-stalls-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('calls a gap the main thread spent mostly waiting for its core "descheduled", and reads nothing from a missing file', () => {
    const file = path.join(dir, 'events.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ kind: 'loop-gap', start: 1, ms: 10, cpuMs: 2, waitMs: 8 }),
        JSON.stringify({ kind: 'loop-gap', start: 2, ms: 10, cpuMs: 9, waitMs: 1 }),
        '',
      ].join('\n'),
    );
    expect(readStallEvents(file).map((e) => e.kind)).toEqual(['loop-gap-waiting', 'loop-gap']);
    expect(readStallEvents(path.join(dir, 'absent.jsonl'))).toEqual([]);
  });

  it('stall-probe.js records checkpoints (in a worker thread too), GC and event-loop gaps of the process it is preloaded into', () => {
    const file = path.join(dir, 'probe.jsonl');
    const database = JSON.stringify(path.join(dir, 'a.db'));
    const worker = JSON.stringify(`const D = require('better-sqlite3'); const d = new D(${database}); d.pragma('wal_checkpoint(RESTART)'); d.close();`);
    const script = `
      const { Worker } = require('node:worker_threads');
      const Database = require('better-sqlite3');
      const db = new Database(${database});
      db.pragma('journal_mode = WAL');
      db.exec('create table t (x)');
      db.prepare('insert into t values (1)').run();
      db.pragma('wal_checkpoint(PASSIVE)');
      const w = new Worker(${worker}, { eval: true });
      w.on('exit', () => {
        global.gc();
        const until = Date.now() + 30; while (Date.now() < until); // one turn of the loop held 30 ms
        setTimeout(() => db.close(), 20);
      });
    `;
    const run = spawnSync(process.execPath, ['--expose-gc', '--require', PROBE, '-e', script], {
      cwd: ROOT,
      env: { ...process.env, REFRESHD_BENCH_STALLS: file },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const kinds = readStallEvents(file).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['checkpoint-passive', 'checkpoint-restart', 'gc-major', 'loop-gap']));
    const gap = readStallEvents(file).find((e) => e.kind === 'loop-gap' && e.ms >= 30);
    expect(gap).toBeDefined();
  });
});

test('the report gives the run length, so a kind of event reads against its share of the time', () => {
  const report = attributeStalls(
    [
      [1000, 2],
      [1500, 500],
    ],
    [{ kind: 'checkpoint-passive', start: 1100, ms: 250 }],
    5,
  );
  expect(report.runMs).toBe(1000);
  expect(report.kinds.find((kind) => kind.kind === 'checkpoint-passive')?.totalMs).toBe(250);
});
