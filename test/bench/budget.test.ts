import { budgetLines, type Row, type RowId } from '../../scripts/bench/report';

/** A PostgreSQL row of the bench as the peak run leaves it, with `statements` per refresh counted by the database. */
const postgresRow = (id: 'serve-pg-workers-1' | 'serve-pg-workers-2', statements: number): Row => ({
  id,
  label: id,
  status: 'ok',
  serverCores: 'any',
  storeRoundTripsPerRequest: statements,
});

const roundTripLine = (rows: Row[]) => budgetLines(rows, []).find((line) => line.line === 'one database round trip per refresh (PostgreSQL)');

test('one database round trip per refresh holds at one statement per refresh or fewer (grouped rotations share one), and prints the figure', () => {
  expect(roundTripLine([postgresRow('serve-pg-workers-1', 0.21), postgresRow('serve-pg-workers-2', 1)])).toEqual({
    line: 'one database round trip per refresh (PostgreSQL)',
    measured: 'serve-pg-workers-1 0.210, serve-pg-workers-2 1.000',
    holds: true,
  });
  expect(roundTripLine([postgresRow('serve-pg-workers-1', 0.21), postgresRow('serve-pg-workers-2', 1.2)])?.holds).toBe(false);
  expect(roundTripLine([])).toMatchObject({ measured: 'not measured', holds: null });
});

test('the p99 line holds at 5 ms or less at half of peak, and names what the references measured the same way', () => {
  const half = (p99: number) => ({ rate: 100, latencyMs: { p50: 1, p90: 2, p99, max: p99, mean: 1 } }) as unknown as Row['half'];
  const row = (id: RowId, p99: number, api?: string): Row => ({ id, label: id, status: 'ok', serverCores: '0', api, half: half(p99) });
  const p99Line = (rows: Row[]) => budgetLines(rows, []).find((line) => line.line === 'p99 ≤ 5 ms at half of peak rate (serve)');
  expect(p99Line([row('serve-session', 4.5, 'session'), row('node-http', 1.64), row('baseline', 26.7)])).toEqual({
    line: 'p99 ≤ 5 ms at half of peak rate (serve)',
    measured: 'worst 4.50 ms (same method: bare node:http 1.64 ms, bare Express route 26.7 ms)',
    holds: true,
  });
  expect(p99Line([row('serve-session', 4.5, 'session'), row('serve-watchr', 5.2, 'watchr')])).toMatchObject({ measured: 'worst 5.20 ms', holds: false });
});
