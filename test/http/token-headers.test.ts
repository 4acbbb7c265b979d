import { claimsOf, DRIVERS, mint } from '../support/drivers';
import { expectConforms, useRealHarness } from '../support/harness';
import { REFUSED_HEADERS, signWithHeader } from '../tokens/helpers';

/**
 * RFC 7515 §4.1.11 and RFC 8725 §3.10–3.11 at the HTTP edge of every api: a token signed with
 * the server's own key is refused for its header alone (an unknown or misused `crit`, a key
 * carried or pointed to by the token, a `typ` other than the one refreshd mints), and the
 * refusal consumes nothing: the genuine token still refreshes afterwards.
 */
const h = useRealHarness();

describe.each(DRIVERS)('$api', (driver) => {
  it.each(REFUSED_HEADERS)('refuses a refresh token whose header has $name', async ({ header }) => {
    const session = await mint(h, driver);
    const forged = signWithHeader(header(h.key), claimsOf(session.refreshToken), h.key);

    const refused = await driver.refresh(h, session, forged);
    driver.expectUnauthorized(refused);
    expectConforms(h.built, driver.method, driver.path, refused);

    const genuine = await driver.refresh(h, session, session.refreshToken);
    expect(genuine.status).toBe(200);
  });
});

describe('almanac bearer', () => {
  const almanac = DRIVERS.find((driver) => driver.api === 'almanac')!;

  it.each(REFUSED_HEADERS)('refuses an access token whose header has $name', async ({ header }) => {
    const session = await mint(h, almanac);
    const forgedBearer = signWithHeader(header(h.key), claimsOf(session.accessToken), h.key);

    const refused = await almanac.refresh(h, { ...session, accessToken: forgedBearer }, session.refreshToken);
    almanac.expectUnauthorized(refused);
    expectConforms(h.built, almanac.method, almanac.path, refused);

    const genuine = await almanac.refresh(h, session, session.refreshToken);
    expect(genuine.status).toBe(200);
  });
});
