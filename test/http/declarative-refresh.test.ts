import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Response } from 'supertest';
import { DRIVERS, mint, type ApiDriver } from '../support/drivers';
import { startReal, type RealHarness } from '../support/harness';

/**
 * Each api's overlay declares its refresh (`x-refreshd.refresh`), which serves the operation
 * when `handlers/<operationId>.ts` does not exist. The five apis keep their handler files; here
 * the same requests go to a server with them and to one whose handlers folder is empty, and
 * the answers must be the same but for token values and correlation ids.
 */

const JWT = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** What a client sees, tokens and correlation ids replaced by placeholders. */
function seen(res: Response): unknown {
  const text = (value: unknown) => JSON.stringify(value ?? null).replace(JWT, '<jwt>').replace(UUID, '<uuid>');
  return {
    status: res.status,
    contentType: res.headers['content-type'],
    cacheControl: res.headers['cache-control'],
    pragma: res.headers.pragma,
    setCookie: text(res.headers['set-cookie']),
    correlationId: res.headers['x-correlation-id'] === undefined ? undefined : '<uuid>',
    body: text(res.body),
  };
}

let withHandlers: RealHarness;
let declaredOnly: RealHarness;

beforeAll(async () => {
  withHandlers = await startReal();
  declaredOnly = await startReal({ handlersDir: mkdtempSync(path.join(tmpdir(), 'refreshd-no-handlers-')) });
});
afterAll(async () => {
  await withHandlers.close();
  await declaredOnly.close();
});

/** Runs `steps` against both servers, step by step, and compares what each step answered. */
async function sameAnswers(steps: (h: RealHarness) => Array<() => Promise<Response>>): Promise<void> {
  const answers = await Promise.all(
    [withHandlers, declaredOnly].map(async (h) => {
      const out: unknown[] = [];
      for (const step of steps(h)) out.push(seen(await step()));
      return out;
    }),
  );
  expect(withHandlers.violations).toEqual([]);
  expect(declaredOnly.violations).toEqual([]);
  expect(answers[1]).toEqual(answers[0]);
  expect(answers[0]).toContainEqual(expect.objectContaining({ status: 200 }));
}

describe.each(DRIVERS)('$api: the declared refresh answers as the handler does', (driver) => {
  test('rotation, a grace replay, reuse after the window, a garbage token', async () => {
    await sameAnswers((h) => {
      let session: Awaited<ReturnType<typeof mint>>;
      return [
        async () => {
          session = await mint(h, driver, ['org-a']);
          return driver.refresh(h, session, session.refreshToken);
        },
        () => driver.refresh(h, session, session.refreshToken),
        async () => {
          h.clock.advanceSeconds(60);
          return driver.refresh(h, session, session.refreshToken);
        },
        () => driver.refresh(h, session, 'not-a-token'),
      ];
    });
  });
});

test('pathstack: a sub that is not the token subject is refused alike', async () => {
  const driver = DRIVERS.find((d) => d.api === 'pathstack') as ApiDriver;
  await sameAnswers((h) => {
    let session: Awaited<ReturnType<typeof mint>>;
    return [
      async () => {
        session = await mint(h, driver);
        return h.http.post('/refresh').send({ sub: '0b9f3a52-1c2d-4e5f-8a6b-7c8d9e0f1a2b', refresh_token: session.refreshToken });
      },
      // Another spelling of the subject's UUID names the same subject.
      () => h.http.post('/refresh').send({ sub: session.sub.toUpperCase(), refresh_token: session.refreshToken }),
    ];
  });
});

test('almanac: the Bearer credential and the organization scope are read alike', async () => {
  const driver = DRIVERS.find((d) => d.api === 'almanac') as ApiDriver;
  await sameAnswers((h) => {
    let session: Awaited<ReturnType<typeof mint>>;
    let other: Awaited<ReturnType<typeof mint>>;
    const post = (bearer: string, body: object) => h.http.post('/v1/auth/token/refresh').set('Authorization', `Bearer ${bearer}`).send(body);
    return [
      async () => {
        session = await mint(h, driver, ['org-a', 'org-b']);
        other = await mint(h, driver);
        return post(other.accessToken, { refresh_token: session.refreshToken });
      },
      () => post(session.accessToken, { refresh_token: session.refreshToken, organization_id: 'org-c' }),
      () => post(session.accessToken, { refresh_token: session.refreshToken, organization_id: 'org-b' }),
    ];
  });
});
