import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildMockApp } from '../../src/app/mock-server';
import type { ServeConfig } from '../../src/app/real-server';
import type { ContractClock } from '../../src/contract/runner';
import { ADMIN_TOKEN, startReal, type RealHarness } from '../support/harness';

export { ADMIN_TOKEN };

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Serves `listener` on an ephemeral port of 127.0.0.1. */
export async function listenOn(listener: RequestListener): Promise<Listening> {
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface RealTarget extends Listening {
  harness: RealHarness;
  /** The harness's fake clock as the contract run sees it: waiting moves it instead of sleeping. */
  clock: ContractClock;
}

/** refreshd serve: the real app on in-memory SQLite with a fake clock, admin api on, listening. */
export async function startRealTarget(overrides: Partial<ServeConfig> = {}): Promise<RealTarget> {
  const harness = await startReal(overrides);
  const listening = await listenOn(harness.built.handler);
  return {
    ...listening,
    harness,
    clock: {
      now: () => harness.clock.nowMs(),
      sleep: async (ms) => harness.clock.advanceSeconds(ms / 1000),
    },
    close: async () => {
      await listening.close();
      await harness.close();
    },
  };
}

/** refreshd mock (`buildMockApp`, what `refreshd mock` serves), listening; response violations collected. */
export async function startMockTarget(): Promise<Listening & { violations: unknown[] }> {
  const violations: unknown[] = [];
  const built = await buildMockApp({ onResponseViolation: (violation) => violations.push(violation) });
  const listening = await listenOn(built.handler);
  return { ...listening, violations };
}
