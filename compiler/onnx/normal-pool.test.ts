import { afterAll, expect, test } from "vitest";
import { fillNormal } from "../ir/random.js";
import { NormalPool, stopNormalPool } from "./normal-pool.js";

afterAll(stopNormalPool);

test("workers draw exactly the main thread's streams, in any order", async () => {
  const pool = NormalPool.shared(2);
  const requests = [
    { key: "embed.tokens", count: 100_003, mean: 0, std: 0.02 },
    { key: "layers.0.attn.q.weight", count: 7, mean: 1, std: 3 },
    { key: "layers.0.ffn.up.weight", count: 50_000, mean: -0.5, std: 0.1 },
    { key: "", count: 0, mean: 0, std: 1 },
  ];
  const drawn = await Promise.all(requests.map((r) => pool.draw(42, r.key, r.mean, r.std, r.count)));
  requests.forEach((r, i) => {
    const expected = new Float32Array(r.count);
    fillNormal(expected, 42, r.key, r.mean, r.std);
    expect(Buffer.from(drawn[i].buffer).equals(Buffer.from(expected.buffer)), r.key).toBe(true);
  });
});

test("a failed draw is reported and the pool keeps working", async () => {
  const pool = NormalPool.shared(2);
  await expect(pool.draw(1, "bad", 0, 1, -1)).rejects.toThrow(/random-weights worker failed: RangeError/);
  expect((await pool.draw(1, "ok", 0, 1, 3)).length).toBe(3);
});

test("the pool is shared, and replaced when the thread count changes", () => {
  const pool = NormalPool.shared(2);
  expect(NormalPool.shared(2)).toBe(pool);
  expect(NormalPool.shared(3)).not.toBe(pool);
});
