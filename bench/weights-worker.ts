/**
 * One step of the weights bench in a fresh process, so its peak resident memory is its own
 * (`process.resourceUsage().maxRSS`, worker threads included). Prints one JSON line (`WeightsStep`).
 *
 *   node dist/bench/weights-worker.js compile SPEC OUT.onnx [--external-data]
 *   node dist/bench/weights-worker.js export SPEC OUT.safetensors --names hf-gpt2
 *   node dist/bench/weights-worker.js plan SPEC
 *   node dist/bench/weights-worker.js run MODEL.onnx --seq N
 */
import { statSync } from "node:fs";
import { printGraph } from "../compiler/ir/index.js";
import { writeOnnxFile } from "../compiler/onnx/index.js";
import { checkFile, compileSpec } from "../compiler/pipeline.js";
import type { HfLayout } from "../compiler/spec.js";
import { exportWeights, namingFor } from "../compiler/weights/export.js";

export interface WeightsStep {
  readonly step: string;
  /** Phase → milliseconds, in order. */
  readonly phases: Record<string, number>;
  /** Peak resident set of the whole process, in bytes. */
  readonly maxRssBytes: number;
  readonly parameters?: number;
  readonly weightBytes?: number;
  /** Files written → bytes. */
  readonly files?: Record<string, number>;
  readonly error?: string;
}

async function timed<T>(phases: Record<string, number>, name: string, body: () => T | Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await body();
  phases[name] = performance.now() - start;
  return result;
}

function checked(spec: string) {
  const front = checkFile(spec);
  if (!front.spec) throw new Error(`${spec} does not check: ${front.diagnostics.map((d) => d.message).join("; ")}`);
  return front.spec;
}

async function step(argv: readonly string[]): Promise<Omit<WeightsStep, "maxRssBytes">> {
  const [kind, input, output] = argv;
  const flag = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const phases: Record<string, number> = {};
  if (kind === "run") {
    const ort = await import("onnxruntime-node");
    const seq = Number(flag("--seq") ?? 8);
    const session = await timed(phases, "session", () => ort.InferenceSession.create(input, { executionProviders: ["cpu"] }));
    const ids = new ort.Tensor("int64", BigInt64Array.from({ length: seq }, (_, i) => BigInt((i * 7919) % 50257)), [1, seq]);
    await timed(phases, "first run", () => session.run({ input_ids: ids }));
    await timed(phases, "second run", () => session.run({ input_ids: ids }));
    await session.release();
    return { step: `run seq ${seq}`, phases };
  }
  const spec = await timed(phases, "check", () => checked(input));
  const { graph, plan } = await timed(phases, "lower+plan", () => compileSpec(spec));
  const facts = { parameters: plan.graphs[0].parameters, weightBytes: plan.graphs[0].weightBytes };
  if (kind === "plan") {
    await timed(phases, "explain", () => printGraph(graph));
    return { step: "check+explain+plan", phases, ...facts };
  }
  if (kind === "compile") {
    const externalData = argv.includes("--external-data");
    const written = await timed(phases, "emit", () => writeOnnxFile(graph, output, externalData ? { externalData } : {}));
    const files = Object.fromEntries([written.model, written.externalData].filter((f): f is string => !!f).map((f) => [f, statSync(f).size]));
    return { step: written.externalData ? "compile (external data)" : "compile", phases, files, ...facts };
  }
  if (kind === "export") {
    const names = flag("--names") as HfLayout | "tfc" | undefined;
    await timed(phases, "export", () => exportWeights(graph, spec, output, { naming: namingFor(spec, names) }));
    return { step: `export-weights${names ? ` --names ${names}` : ""}`, phases, files: { [output]: statSync(output).size }, ...facts };
  }
  throw new Error(`unknown step \`${kind}\``);
}

step(process.argv.slice(2)).then(
  (result) => process.stdout.write(JSON.stringify({ ...result, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + "\n"),
  (e: unknown) => {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    process.stdout.write(JSON.stringify({ step: process.argv[2], phases: {}, maxRssBytes: process.resourceUsage().maxRSS * 1024, error }) + "\n");
    process.exitCode = 1;
  },
);
