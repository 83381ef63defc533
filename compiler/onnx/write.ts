import { availableParallelism } from "node:os";
import { basename, dirname, join } from "node:path";
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import type { Graph } from "../ir/graph.js";
import type { Initializer } from "../ir/initializer.js";
import { OnnxEmitError } from "./errors.js";
import { FileWriter } from "./file-writer.js";
import { layoutModel, tensorBytes, type InitializerSlot, type ModelLayout } from "./layout.js";
import { NormalPool } from "./normal-pool.js";
import { resolveOptions, type EmitOptions } from "./options.js";
import { rawBytes } from "./tensor-bytes.js";

export interface WriteOptions extends EmitOptions {
  /**
   * Worker threads drawing random weights. By default one per CPU (at most 4), used only when the
   * model holds over 16 MB of random weights; 0 or 1 draws them on the calling thread. The bytes
   * written never depend on this.
   */
  readonly threads?: number;
  /** Bytes of random weights drawn ahead of the writer (default 128 MiB): bounds memory, not output. */
  readonly lookaheadBytes?: number;
}

const POOL_THRESHOLD_BYTES = 16 << 20;
/** Random weights drawn ahead of the writer: enough to keep the workers busy, bounded in memory. */
const DEFAULT_LOOKAHEAD_BYTES = 128 << 20;
/** Bytes being written to the file while the next tensors are produced. */
const WRITE_AHEAD_BYTES = 64 << 20;

/**
 * Writes the graph as an ONNX file, atomically: the model streams into `path.tmp-<pid>` beside
 * `path`, is fsynced, and is renamed onto `path`. On any failure the temporary file is removed and
 * `path` is left as it was. Parameters are materialized one at a time while writing, so memory
 * stays near the largest parameter (plus the bounded lookahead and write-ahead) however big the
 * model is. Models over the 2 GiB protobuf limit are refused before anything is materialized or
 * written.
 */
export async function writeOnnxFile(graph: Graph, path: string, options: WriteOptions = {}): Promise<void> {
  const layout = layoutModel(graph, resolveOptions(options));
  const lookahead = options.lookaheadBytes ?? DEFAULT_LOOKAHEAD_BYTES;
  if (!(lookahead >= 0)) throw new OnnxEmitError(`lookaheadBytes must be a byte count, got ${lookahead}`);
  const temp = join(dirname(path), `${basename(path)}.tmp-${process.pid}`);
  const threads = poolThreads(layout, options.threads);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, "w");
    const pool = threads > 1 ? NormalPool.shared(threads) : undefined;
    await writeLayout(handle, layout, pool, lookahead);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

function poolThreads(layout: ModelLayout, requested: number | undefined): number {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 0) throw new OnnxEmitError(`threads must be a whole number, got ${requested}`);
    return layout.initializers.some((slot) => randomInit(slot)) ? requested : 0;
  }
  const randomBytes = layout.initializers.filter((slot) => randomInit(slot)).reduce((n, slot) => n + slot.source.byteLength, 0);
  return randomBytes > POOL_THRESHOLD_BYTES ? Math.min(availableParallelism(), 4) : 0;
}

type NormalInit = Extract<Initializer, { kind: "normal" }>;

/** The normal(mean, std) initializer of a random float32 parameter: what the pool draws. */
function randomInit(slot: InitializerSlot): NormalInit | undefined {
  const { source } = slot;
  if (source.kind !== "param" || source.param.value.type.dtype !== "float32") return undefined;
  return source.param.init.kind === "normal" ? source.param.init : undefined;
}

async function writeLayout(handle: FileHandle, layout: ModelLayout, pool: NormalPool | undefined, lookaheadBytes: number): Promise<void> {
  const out = new FileWriter(handle, WRITE_AHEAD_BYTES);
  const slots = layout.initializers;
  // Random parameters are requested from the pool in file order, a bounded distance ahead.
  const drawn = new Map<number, Promise<Float32Array>>();
  let next = 0;
  let aheadBytes = 0;
  const drawAhead = (pool: NormalPool) => {
    for (; next < slots.length; next++) {
      const init = randomInit(slots[next]);
      if (!init) continue;
      const bytes = slots[next].source.byteLength;
      if (drawn.size > 0 && aheadBytes + bytes > lookaheadBytes) break;
      const stream = pool.draw(init.seed, init.key, init.mean, init.std, bytes / 4);
      stream.catch(() => undefined); // observed below, or abandoned when an earlier write fails
      drawn.set(next, stream);
      aheadBytes += bytes;
    }
  };

  try {
    await out.write(layout.head);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      if (pool) drawAhead(pool);
      await out.write(slot.prefix);
      const pending = drawn.get(i);
      let bytes: Uint8Array;
      if (pending) {
        drawn.delete(i);
        bytes = rawBytes(await pending, "float32", "random parameter");
        aheadBytes -= slot.source.byteLength;
      } else {
        bytes = tensorBytes(slot.source);
      }
      if (bytes.length !== slot.source.byteLength) throw new OnnxEmitError(`internal: tensor ${i} has ${bytes.length} bytes, expected ${slot.source.byteLength}`);
      await out.write(bytes);
    }
    await out.write(layout.tail);
    await out.finish();
  } catch (error) {
    await out.abandon();
    throw error;
  }
  if (out.length !== layout.totalBytes) throw new OnnxEmitError(`internal: wrote ${out.length} of ${layout.totalBytes} bytes`);
}

/** Makes the rename itself durable. Some platforms cannot fsync a directory; that is not an error. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, "r");
    await handle.sync();
  } catch {
    // EISDIR / EPERM / EINVAL on platforms without directory fsync
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
