import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { NormalJob, NormalResult } from "./normal-worker.js";

interface Pending {
  readonly resolve: (data: Float32Array) => void;
  readonly reject: (error: Error) => void;
  readonly bytes: number;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  queuedBytes: number;
}

let shared: NormalPool | undefined;

/**
 * Worker threads drawing normal(mean, std) parameter streams. Streams are independent by design
 * (compiler/ir/random.ts), so the numbers do not depend on which thread draws them; results come
 * back as transferred buffers, never copied.
 *
 * One pool is kept per process and reused by later writes (starting workers is cheap from dist/,
 * but not when they transpile TypeScript under the tests). Idle workers are unref'd, so they never
 * keep the process alive; a worker with work pending is ref'd, so the process waits for it.
 */
export class NormalPool {
  private nextId = 0;
  private broken = false;

  private constructor(private readonly slots: readonly Slot[]) {
    for (const slot of slots) {
      slot.worker.unref();
      slot.worker.on("message", (message: NormalResult) => this.settle(slot, message));
      slot.worker.on("error", (error) => this.fail(error));
      slot.worker.on("exit", (code) => this.fail(new Error(`random-weights worker exited with code ${code}`)));
    }
  }

  /** The process's pool with `threads` workers, started (or restarted with another size) on demand. */
  static shared(threads: number): NormalPool {
    if (!shared || shared.broken || shared.slots.length !== threads) {
      void shared?.close();
      const { url, execArgv } = workerEntry();
      shared = new NormalPool(Array.from({ length: threads }, () => ({ worker: new Worker(url, { execArgv }), pending: new Map(), queuedBytes: 0 })));
    }
    return shared;
  }

  /** Draws one stream on the least busy worker. */
  draw(seed: number, key: string, mean: number, std: number, count: number): Promise<Float32Array> {
    if (this.broken) return Promise.reject(new Error("the random-weights workers have stopped"));
    const slot = this.slots.reduce((best, s) => (s.queuedBytes < best.queuedBytes ? s : best));
    const id = this.nextId++;
    const bytes = count * 4;
    return new Promise((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject, bytes });
      slot.queuedBytes += bytes;
      slot.worker.postMessage({ id, seed, key, mean, std, count } satisfies NormalJob);
    });
  }

  async close(): Promise<void> {
    this.broken = true;
    if (shared === this) shared = undefined;
    for (const slot of this.slots) this.rejectAll(slot, new Error("the random-weights workers were stopped"));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private settle(slot: Slot, message: NormalResult): void {
    const pending = slot.pending.get(message.id);
    if (!pending) return;
    slot.pending.delete(message.id);
    slot.queuedBytes -= pending.bytes;
    if (slot.pending.size === 0) slot.worker.unref();
    if ("error" in message) pending.reject(new Error(`random-weights worker failed: ${message.error}`));
    else pending.resolve(new Float32Array(message.buffer));
  }

  /** A worker died: every pending draw fails with its error and the pool is replaced on next use. */
  private fail(error: Error): void {
    if (this.broken) return;
    for (const slot of this.slots) this.rejectAll(slot, error);
    void this.close();
  }

  private rejectAll(slot: Slot, error: Error): void {
    for (const pending of slot.pending.values()) pending.reject(error);
    slot.pending.clear();
    slot.queuedBytes = 0;
    slot.worker.unref();
  }
}

/** Stops the shared pool's workers (they are unref'd, so this is only needed to free them early). */
export async function stopNormalPool(): Promise<void> {
  await shared?.close();
}

/**
 * The compiled worker beside this module; when tfc runs from TypeScript sources (tests), the `.ts`
 * worker with module hooks that transpile it.
 */
function workerEntry(): { url: URL; execArgv: string[] } {
  const compiled = new URL("./normal-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return { url: compiled, execArgv: [] };
  const source = new URL("./normal-worker.ts", import.meta.url);
  return { url: source, execArgv: ["--import", new URL("./dev/register-ts.mjs", import.meta.url).href] };
}
