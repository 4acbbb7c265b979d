import request from 'supertest';
import type { BuiltApp } from '../../src/app/app';
import { buildMockApp } from '../../src/app/mock-server';
import type { ResponseViolation } from '../../src/app/response-validation';

export interface MockHarness {
  built: BuiltApp;
  violations: ResponseViolation[];
  http: ReturnType<typeof request>;
}

export async function startMock(): Promise<MockHarness> {
  const violations: ResponseViolation[] = [];
  const built = await buildMockApp({ onResponseViolation: (v) => violations.push(v) });
  return { built, violations, http: request(built.handler) };
}
