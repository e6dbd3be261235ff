/** http/write-batching.ts: the writes of one turn of the event loop run together, at its end. */
import { describe, expect, it } from 'vitest';
import { writeBatcher } from '../../src/http/write-batching.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('writeBatcher', () => {
  it('runs the writes of a turn after it, in the order they came', async () => {
    const batcher = writeBatcher((error) => {
      throw error;
    });
    const written: number[] = [];
    for (let i = 0; i < 5; i++) batcher.add(() => written.push(i));
    expect(written).toEqual([]);
    expect(batcher.pending).toBe(5);
    await nextTurn();
    expect(written).toEqual([0, 1, 2, 3, 4]);
    expect(batcher.pending).toBe(0);
  });

  it('writes a full batch at once, and the rest at the end of the turn', async () => {
    const batcher = writeBatcher(() => {}, 3);
    const written: number[] = [];
    for (let i = 0; i < 4; i++) batcher.add(() => written.push(i));
    expect(written).toEqual([0, 1, 2]);
    await nextTurn();
    expect(written).toEqual([0, 1, 2, 3]);
  });

  it('a write that throws is reported, and the others of its batch still run', async () => {
    const errors: unknown[] = [];
    const batcher = writeBatcher((error) => errors.push(error));
    const written: string[] = [];
    batcher.add(() => written.push('a'));
    batcher.add(() => {
      throw new Error('socket gone');
    });
    batcher.add(() => written.push('c'));
    await nextTurn();
    expect(written).toEqual(['a', 'c']);
    expect(errors).toEqual([new Error('socket gone')]);
  });

  it('writes added while a batch is written wait for the next one', async () => {
    const batcher = writeBatcher(() => {});
    const written: string[] = [];
    batcher.add(() => {
      written.push('first');
      batcher.add(() => written.push('added during the write'));
    });
    await nextTurn();
    expect(written).toEqual(['first']);
    await nextTurn();
    expect(written).toEqual(['first', 'added during the write']);
  });
});
