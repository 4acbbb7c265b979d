import { budgetLines, type Row } from '../../scripts/bench/report';

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
