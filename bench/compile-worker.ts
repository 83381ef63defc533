/**
 * One compile, timed from inside a fresh process (spawned by bench/compile-time.ts, so no compile
 * warms the next): read+parse+check, lower+plan, then emit (random weights drawn + file written).
 * Prints one JSON line (`WorkerResult`) on stdout.
 *
 *   node dist/bench/compile-worker.js spec.tfx --out model.onnx [--model name] [--no-emit] [--emit-limit-bytes N]
 *
 * Emitting is skipped (check+plan only) with --no-emit or when the weights exceed the byte limit
 * (default 2 GiB − 1: a single-file ONNX protobuf cannot be larger anyway).
 */
import { statSync, unlinkSync } from "node:fs";
import { checkFile, compileSpec } from "../compiler/pipeline.js";
import { writeOnnxFile } from "../compiler/onnx/index.js";

/** Milliseconds since the process started, once every module above is loaded. */
const loadedAt = performance.now();

export interface WorkerResult {
  readonly spec: string;
  readonly model?: string;
  /** Process start → modules loaded (node startup and imports). */
  readonly startupMs: number;
  /** Read, parse and check. */
  readonly checkMs: number;
  /** Lowering to the IR graph and the execution plan. */
  readonly lowerPlanMs: number;
  /** Weights generated and the ONNX file written; absent with --no-emit. */
  readonly emitMs?: number;
  readonly bytes?: number;
  readonly parameters: number;
  readonly weightBytes: number;
  /** Why emit was skipped, when it was. */
  readonly skipped?: string;
  readonly error?: string;
}

async function main(argv: readonly string[]): Promise<WorkerResult> {
  const spec = argv[0];
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const out = flag("--out");
  const model = flag("--model");
  const emitLimit = Number(flag("--emit-limit-bytes") ?? 2 ** 31 - 1);
  const empty = { spec, model, startupMs: loadedAt, checkMs: 0, lowerPlanMs: 0, parameters: 0, weightBytes: 0 };

  let start = performance.now();
  const front = checkFile(spec, model ? { model } : {});
  const checkMs = performance.now() - start;
  const errors = front.diagnostics.filter((d) => d.severity === "error");
  if (!front.spec || errors.length > 0) {
    return { ...empty, checkMs, error: errors.map((d) => d.message).join("; ") || "no model checked" };
  }

  start = performance.now();
  const compiled = compileSpec(front.spec, out ? { onnxFile: out } : {});
  const lowerPlanMs = performance.now() - start;
  const planned = compiled.plan.graphs[0];
  const result = { ...empty, model: front.spec.name, checkMs, lowerPlanMs, parameters: planned.parameters, weightBytes: planned.weightBytes };
  if (argv.includes("--no-emit") || !out) return { ...result, skipped: "check+plan only, as asked" };
  if (planned.weightBytes > emitLimit) {
    return { ...result, skipped: `check+plan only: ${(planned.weightBytes / 2 ** 30).toFixed(1)} GiB of weights` };
  }

  try {
    unlinkSync(out); // a fresh file each run, not an overwrite of the last one's pages
  } catch {
    // not there yet
  }
  start = performance.now();
  await writeOnnxFile(compiled.graph, out, { opset: front.spec.target.opset });
  const emitMs = performance.now() - start;
  return { ...result, emitMs, bytes: statSync(out).size };
}

main(process.argv.slice(2)).then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + "\n");
  },
  (e: unknown) => {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    process.stdout.write(JSON.stringify({ spec: process.argv[2], error: message }) + "\n");
    process.exitCode = 1;
  },
);
