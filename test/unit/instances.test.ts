import { InstanceRegistry, LIVENESS_WINDOW_MS } from '../../src/app/instances';
import { openSqliteStore } from '../../src/store/sqlite';
import { generateSigningKey, KeySet } from '../../src/tokens/keys';
import { FakeClock } from '../support/harness';

describe('instances sharing a store compare their keys', () => {
  const clock = new FakeClock();
  const store = openSqliteStore(':memory:');
  const registry = new InstanceRegistry(store, new KeySet([generateSigningKey('HS256', 'old'), generateSigningKey('HS256', 'new')]), clock);

  beforeAll(() => registry.start());
  afterAll(async () => {
    await registry.stop();
    await store.close();
  });

  test('starting records the kid it signs with, and itself with every kid it verifies', async () => {
    expect((await store.knownSigningKids()).map((record) => record.kid)).toEqual(['new']);
    expect(await store.listInstances(0)).toEqual([expect.objectContaining({ signingKid: 'new', verifyingKids: ['old', 'new'] })]);
  });

  test('an instance that verifies this one and signs with a kid this one verifies is no problem', async () => {
    await store.announceInstance({ instanceId: 'peer', description: 'peer-host pid 1', signingKid: 'old', verifyingKids: ['old', 'new'] }, clock.nowMs());
    expect(await registry.keyProblems()).toEqual([]);
  });

  test('an instance that cannot verify this one, or signs with a kid this one cannot verify, is named', async () => {
    await store.announceInstance({ instanceId: 'stray', description: 'stray-host pid 2', signingKid: 'other', verifyingKids: ['other', 'old'] }, clock.nowMs());
    expect(await registry.keyProblems()).toEqual([
      'instance stray-host pid 2 cannot verify kid "new" that this instance signs with: its tokens fail there',
      'instance stray-host pid 2 signs with kid "other" that this instance cannot verify: its tokens fail here',
    ]);
  });

  test('an instance not seen within the liveness window no longer counts, nor does a withdrawn one', async () => {
    clock.advanceSeconds(LIVENESS_WINDOW_MS / 1000 + 1);
    await store.announceInstance(registry.self, clock.nowMs());
    expect(await registry.keyProblems()).toEqual([]);
    await registry.stop();
    expect((await store.listInstances(0)).map((instance) => instance.instanceId).sort()).toEqual(['peer', 'stray']);
  });
});
