import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createChunkVectors, createVectorCache, findNearestChunks, type StoredVector } from '../../packages/server/src/retrieval/vector-index.ts';

function stored(documentId: string, values: number[]): StoredVector {
  return { documentId, chunkIndex: 0, embedding: new Uint8Array(Float32Array.from(values).buffer) };
}

describe('findNearestChunks', () => {
  it('returns the chunks with the largest dot product, best first, ties in load order', () => {
    const vectors = createChunkVectors(2, [stored('a', [1, 0]), stored('b', [0, 1]), stored('c', [0.6, 0.8]), stored('d', [0, 1])]);
    assert.deepEqual(
      findNearestChunks(vectors, Float32Array.from([0, 1]), 3).map(({ documentId, score }) => [documentId, Math.round(score * 100) / 100]),
      [
        ['b', 1],
        ['d', 1],
        ['c', 0.8],
      ],
    );
    assert.deepEqual(findNearestChunks(createChunkVectors(2, []), Float32Array.from([0, 1]), 3), []);
  });

  it('reads embeddings from unaligned buffers', () => {
    const bytes = new Uint8Array(9);
    bytes.set(new Uint8Array(Float32Array.from([0.5, 0.25]).buffer), 1);
    const vectors = createChunkVectors(2, [{ documentId: 'a', chunkIndex: 3, embedding: bytes.subarray(1) }]);
    assert.deepEqual(findNearestChunks(vectors, Float32Array.from([2, 4]), 1), [{ documentId: 'a', chunkIndex: 3, score: 2 }]);
  });
});

describe('createVectorCache', () => {
  const vectorsOf = (count: number) =>
    createChunkVectors(
      1,
      Array.from({ length: count }, (_, index) => stored(`d${index}`, [index])),
    );

  it('loads once per revision and reloads when the revision changes', async () => {
    const cache = createVectorCache(1024);
    let loads = 0;
    const load = async () => {
      loads += 1;
      return vectorsOf(2);
    };
    const first = await cache.get('c', '1', 1, load);
    assert.equal(await cache.get('c', '1', 1, load), first);
    assert.equal(loads, 1);
    await cache.get('c', '2', 1, load);
    await cache.get('c', '2', 4, load);
    assert.equal(loads, 3, 'a new revision or vector length reloads');
  });

  it('drops the least recently used collections past its budget, and never keeps one larger than it', async () => {
    const cache = createVectorCache(16);
    const loaded: string[] = [];
    const get = (collection: string, count: number) =>
      cache.get(collection, '1', 1, async () => {
        loaded.push(collection);
        return vectorsOf(count);
      });
    await get('a', 2);
    await get('b', 2);
    await get('a', 2);
    await get('c', 2);
    await get('a', 2);
    await get('b', 2);
    assert.deepEqual(loaded, ['a', 'b', 'c', 'b'], 'b was the least recently used when c came');
    await get('huge', 5);
    await get('huge', 5);
    assert.deepEqual(loaded.slice(4), ['huge', 'huge']);
  });
});
