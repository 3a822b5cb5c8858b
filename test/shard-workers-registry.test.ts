/**
 * A shard on worker threads needs the registries loaded, as a whole search does
 * (workers-registry.test.ts): `checkShardAsync` loads them itself, as `checkDesignAsync` does.
 * This file loads nothing before its test, so that the loading is the function's own.
 */
import { expect, it } from 'vitest';
import { invariant as noMixed } from '../invariants/no-mixed-dma';
import { design as v7 } from '../machines/v7';
import { checkShard, checkShardAsync } from '../src/swarm/checkShard';

it('checkShardAsync loads the registries for its worker threads', async () => {
  const o = { shards: 2, index: 1 };
  expect(() => checkShard(v7, 3, [noMixed], { ...o, workers: 2 })).toThrow(/load those first/);
  const two = await checkShardAsync(v7, 3, [noMixed], { ...o, workers: 2 });
  expect(two.dc.result.workers).toBe(2);
  const one = checkShard(v7, 3, [noMixed], o);
  expect(two.dc.result.states).toBe(one.dc.result.states);
  expect(two.dc.verdicts).toEqual(one.dc.verdicts);
  expect(two.shard).toEqual(one.shard);
});
