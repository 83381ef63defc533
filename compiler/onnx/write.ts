import { availableParallelism } from "node:os";
import { basename, dirname } from "node:path";
import { statfs, type FileHandle } from "node:fs/promises";
import { writeFilesAtomically } from "../atomic-file.js";
import type { Graph } from "../ir/graph.js";
import type { Initializer } from "../ir/initializer.js";
import { OnnxEmitError } from "./errors.js";
import { FileWriter } from "./file-writer.js";
import { layoutModel, tensorBytes, type DataPlacement, type InitializerSlot, type ModelLayout } from "./layout.js";
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
  /**
   * Store the weights as ONNX external data, in `<path>.data` beside the model: `true` always, `false`
   * never (a model over the 2 GiB protobuf limit is then refused), unset only past that limit.
   */
  readonly externalData?: boolean;
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
 * model is. Past the 2 GiB protobuf limit (or when asked) the weights go to `<path>.data` as ONNX
 * external data; both files are written under temporary names and renamed, the data file first.
 */
export async function writeOnnxFile(graph: Graph, path: string, options: WriteOptions = {}): Promise<WrittenOnnx> {
  const layout = layoutModel(graph, resolveOptions(options), placementFor(path, options.externalData));
  const lookahead = options.lookaheadBytes ?? DEFAULT_LOOKAHEAD_BYTES;
  if (!(lookahead >= 0)) throw new OnnxEmitError(`lookaheadBytes must be a byte count, got ${lookahead}`);
  const threads = poolThreads(layout, options.threads);
  await checkFreeSpace(path, layout.totalBytes + (layout.externalData?.totalBytes ?? 0));
  const paths = layout.externalData ? [externalDataPath(path), path] : [path];
  await writeFilesAtomically(paths, async (handles) => {
    const pool = threads > 1 ? NormalPool.shared(threads) : undefined;
    const [model, data] = layout.externalData ? [handles[1], handles[0]] : [handles[0], undefined];
    await writeLayout(layout, model, data, pool, lookahead);
  });
  return layout.externalData ? { model: path, externalData: paths[0] } : { model: path };
}

/** The files `writeOnnxFile` wrote: the model, and its external data file when it has one. */
export interface WrittenOnnx {
  readonly model: string;
  readonly externalData?: string;
}

/** Where `writeOnnxFile(graph, path)` puts external data: `model.onnx` → `model.onnx.data`. */
export function externalDataPath(path: string): string {
  return `${path}.data`;
}

/** Refuses a write the disk cannot hold before anything is drawn (a 7B model is 27 GB). */
async function checkFreeSpace(path: string, bytes: number): Promise<void> {
  let free: number;
  try {
    const fs = await statfs(dirname(path));
    free = fs.bavail * fs.bsize;
  } catch {
    return; // no statfs here, or no directory: the write itself reports that
  }
  if (bytes > free) {
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;
    throw new OnnxEmitError(`writing ${path} needs ${gib(bytes)} but only ${gib(free)} is free on its disk`);
  }
}

function placementFor(path: string, externalData: boolean | undefined): DataPlacement {
  if (externalData === false) return { kind: "embedded" };
  return { kind: "external", location: basename(externalDataPath(path)), when: externalData ? "always" : "over-limit" };
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

/** Zero bytes that pad external tensors to their aligned offsets (never changed, so shared by writes in flight). */
const PADDING = new Uint8Array(1 << 16);

async function writeLayout(layout: ModelLayout, modelFile: FileHandle, dataFile: FileHandle | undefined, pool: NormalPool | undefined, lookaheadBytes: number): Promise<void> {
  const out = new FileWriter(modelFile, WRITE_AHEAD_BYTES);
  const data = dataFile ? new FileWriter(dataFile, WRITE_AHEAD_BYTES) : undefined;
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
      if (slot.external) {
        if (!data) throw new OnnxEmitError("internal: an external tensor without a data file");
        if (slot.external.padding > 0) await data.write(PADDING.subarray(0, slot.external.padding));
        await data.write(bytes);
      } else {
        await out.write(bytes);
      }
    }
    await out.write(layout.tail);
    await out.finish();
    await data?.finish();
  } catch (error) {
    await out.abandon();
    await data?.abandon();
    throw error;
  }
  if (out.length !== layout.totalBytes) throw new OnnxEmitError(`internal: wrote ${out.length} of ${layout.totalBytes} bytes`);
  const expectedData = layout.externalData?.totalBytes ?? 0;
  if ((data?.length ?? 0) !== expectedData) throw new OnnxEmitError(`internal: wrote ${data?.length} of ${expectedData} external data bytes`);
}
