import { endianness } from "node:os";
import type { Graph } from "../ir/graph.js";
import { fillNormal } from "../ir/random.js";
import { OnnxEmitError } from "./errors.js";
import { layoutModel, tensorBytes, type TensorSource } from "./layout.js";
import { resolveOptions, type EmitOptions } from "./options.js";

/**
 * The graph as ONNX ModelProto bytes, in memory. Deterministic: the same graph and options give the
 * same bytes. Parameters are materialized one at a time straight into the result, so the peak is the
 * model plus its largest parameter. For files, `writeOnnxFile` streams instead and draws random
 * weights on worker threads.
 */
export function emitOnnx(graph: Graph, options: EmitOptions = {}): Uint8Array {
  const layout = layoutModel(graph, resolveOptions(options));
  const out = new Uint8Array(layout.totalBytes);
  const scratch = new Scratch();
  let offset = 0;
  const put = (bytes: Uint8Array) => {
    out.set(bytes, offset);
    offset += bytes.length;
  };
  put(layout.head);
  for (const slot of layout.initializers) {
    put(slot.prefix);
    if (drawNormalInto(slot.source, out, offset, scratch)) offset += slot.source.byteLength;
    else put(tensorBytes(slot.source));
  }
  put(layout.tail);
  if (offset !== out.length) throw new OnnxEmitError(`internal: wrote ${offset} of ${out.length} bytes`);
  return out;
}

const LITTLE_ENDIAN = endianness() === "LE";

/**
 * Draws a random float32 parameter (what `materialize` does for a `normal` initializer) straight
 * into `out` when its offset is 4-byte aligned, else into a reused scratch array and copies it: most
 * of a model's bytes skip a fresh allocation each.
 */
function drawNormalInto(source: TensorSource, out: Uint8Array, offset: number, scratch: Scratch): boolean {
  if (!LITTLE_ENDIAN || source.kind !== "param") return false;
  const { init, value } = source.param;
  if (init.kind !== "normal" || value.type.dtype !== "float32") return false;
  const count = source.byteLength / 4;
  const at = out.byteOffset + offset;
  if (at % 4 === 0) {
    fillNormal(new Float32Array(out.buffer, at, count), init.seed, init.key, init.mean, init.std);
  } else {
    const floats = scratch.floats(count);
    fillNormal(floats, init.seed, init.key, init.mean, init.std);
    out.set(new Uint8Array(floats.buffer, 0, source.byteLength), offset);
  }
  return true;
}

class Scratch {
  private buffer = new Float32Array(0);

  floats(count: number): Float32Array {
    if (this.buffer.length < count) this.buffer = new Float32Array(count);
    return this.buffer.subarray(0, count);
  }
}
