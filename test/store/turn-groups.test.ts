import { HELD_GROUP_LIMIT, TurnGroups } from '../../src/store/turn-groups';

/** Collects the groups handed to `commit`, in order. */
function recorder(holdMs?: number): { groups: number[][]; turns: TurnGroups<number> } {
  const groups: number[][] = [];
  const turns = new TurnGroups<number>(async (group) => {
    groups.push(group);
  }, { holdMs });
  return { groups, turns };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('TurnGroups', () => {
  it("hands a turn's items over together at the end of that turn", async () => {
    const { groups, turns } = recorder();
    turns.add(1);
    turns.add(2);
    await nextTurn();
    turns.add(3);
    await nextTurn();
    expect(groups).toEqual([[1, 2], [3]]);
  });

  it('without a hold, an item that follows a hand-over closely is still handed over in its own turn', async () => {
    const { groups, turns } = recorder(0);
    turns.add(1);
    await nextTurn();
    turns.add(2);
    await nextTurn();
    expect(groups).toEqual([[1], [2]]);
  });

  describe('with a hold', () => {
    it('commits the first item after a pause in its own turn: a lone request never waits', async () => {
      const { groups, turns } = recorder(20);
      turns.add(1);
      await nextTurn();
      expect(groups).toEqual([[1]]);
    });

    it('under steady load gathers items of several turns, for at most the hold', async () => {
      // A hold far longer than a turn, so a stalled machine cannot end it before the last add.
      const { groups, turns } = recorder(500);
      turns.add(1);
      await nextTurn();
      turns.add(2);
      await nextTurn();
      turns.add(3);
      await nextTurn();
      expect(groups).toEqual([[1]]);
      await sleep(1000);
      expect(groups).toEqual([[1], [2, 3]]);
    });

    it(`hands a held group over at the end of the turn in which it reaches ${HELD_GROUP_LIMIT} items`, async () => {
      const { groups, turns } = recorder(10_000);
      turns.add(0);
      await nextTurn();
      for (let i = 1; i <= HELD_GROUP_LIMIT; i++) turns.add(i);
      await nextTurn();
      expect(groups.map((group) => group.length)).toEqual([1, HELD_GROUP_LIMIT]);
    });

    it('drain hands a held group over at once and waits for its commit', async () => {
      const { groups, turns } = recorder(10_000);
      turns.add(1);
      await nextTurn();
      turns.add(2);
      await turns.drain();
      expect(groups).toEqual([[1], [2]]);
    });
  });
});
