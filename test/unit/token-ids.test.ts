import { timeOrderedUuid } from '../../src/tokens/ids';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('token ids (jti): RFC 9562 UUIDv7', () => {
  it('carry version 7, the RFC variant and the time in ms in their first 48 bits', () => {
    const nowMs = Date.UTC(2026, 11, 2, 11, 30);
    const id = timeOrderedUuid(nowMs);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(nowMs);
  });

  it('sort by issue time, so a later id never sorts before an earlier one of another millisecond', () => {
    const ids = Array.from({ length: 50 }, (_, i) => timeOrderedUuid(1_700_000_000_000 + i * 7));
    expect([...ids].sort()).toEqual(ids);
  });

  it('are unique within one millisecond (74 random bits each), across the random pool refills', () => {
    const ids = new Set(Array.from({ length: 20_000 }, () => timeOrderedUuid(1_700_000_000_000)));
    expect(ids.size).toBe(20_000);
    const randomParts = new Set([...ids].map((id) => id.slice(14)));
    expect(randomParts.size).toBe(20_000);
  });
});
