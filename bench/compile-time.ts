/**
 * Compile time per example spec: each compile in its own fresh `node` process (bench/compile-worker),
 * repeated, medians reported. Phases are timed inside the worker; the process's wall time (node
 * startup and module loading included) is timed from outside.
 */
import { mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runJsonChild } from "./child.js";
import { percentile } from "./latency.js";
import type { WorkerResult } from "./compile-worker.js";

const WORKER = fileURLToPath(new URL("./compile-worker.js", import.meta.url));

export interface CompileRun extends WorkerResult {
  /** Spawn → exit, measured by the parent. */
  readonly wallMs: number;
}

export interface CompileTiming {
  readonly example: string;
  readonly path: string;
  readonly model?: string;
  /** `emit`: the full compile; `check-plan`: emit skipped (see `skipped`). */
  readonly mode: "emit" | "check-plan";
  readonly skipped?: string;
  readonly parameters: number;
  readonly weightBytes: number;
  /** Medians over the runs (ms). */
  readonly startupMs: number;
  readonly checkMs: number;
  readonly lowerPlanMs: number;
  readonly checkLowerPlanMs: number;
  readonly emitMs?: number;
  /** check + lower + plan + emit, inside the process. */
  readonly endToEndMs: number;
  /** The whole `node` process, startup included. */
  readonly wallMs: number;
  readonly bytes?: number;
  /** Where the last run's ONNX file is (kept only for `keep`). */
  readonly onnxPath?: string;
  readonly runs: readonly CompileRun[];
  readonly error?: string;
}

export interface CompileBenchOptions {
  readonly repeats?: number;
  /** Specs to compile without emitting (checked and planned only). */
  readonly checkOnly?: (specPath: string) => boolean;
  readonly onProgress?: (line: string) => void;
}

export async function benchCompileTimes(specs: readonly string[], outDir: string, options: CompileBenchOptions = {}): Promise<CompileTiming[]> {
  mkdirSync(outDir, { recursive: true });
  const repeats = options.repeats ?? 3;
  const results: CompileTiming[] = [];
  for (const spec of specs) {
    const name = basename(spec, ".tfx");
    const out = join(outDir, `${name}.onnx`);
    const args = [spec, "--out", out, ...(options.checkOnly?.(spec) ? ["--no-emit"] : [])];
    const runs: CompileRun[] = [];
    for (let i = 0; i < repeats; i++) {
      const run = await runWorker(args);
      runs.push(run);
      options.onProgress?.(`compile ${name} #${i + 1}: ${run.error ? `error: ${run.error}` : `${Math.round(run.wallMs)} ms wall`}`);
      if (run.error) break;
    }
    results.push(summarizeRuns(name, spec, out, runs));
  }
  return results;
}

function summarizeRuns(example: string, path: string, out: string, runs: readonly CompileRun[]): CompileTiming {
  const failed = runs.find((r) => r.error);
  const med = (pick: (r: CompileRun) => number | undefined): number | undefined => {
    const values = runs.map(pick).filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : percentile([...values].sort((a, b) => a - b), 0.5);
  };
  const last = runs[runs.length - 1];
  const emitted = last?.emitMs !== undefined;
  return {
    example,
    path,
    model: last?.model,
    mode: emitted ? "emit" : "check-plan",
    skipped: last?.skipped,
    parameters: last?.parameters ?? 0,
    weightBytes: last?.weightBytes ?? 0,
    startupMs: med((r) => r.startupMs) ?? NaN,
    checkMs: med((r) => r.checkMs) ?? NaN,
    lowerPlanMs: med((r) => r.lowerPlanMs) ?? NaN,
    checkLowerPlanMs: med((r) => r.checkMs + r.lowerPlanMs) ?? NaN,
    emitMs: med((r) => r.emitMs),
    endToEndMs: med((r) => r.checkMs + r.lowerPlanMs + (r.emitMs ?? 0)) ?? NaN,
    wallMs: med((r) => r.wallMs) ?? NaN,
    bytes: last?.bytes,
    onnxPath: emitted ? out : undefined,
    runs,
    error: failed?.error,
  };
}

async function runWorker(args: readonly string[]): Promise<CompileRun> {
  const outcome = await runJsonChild<WorkerResult>(WORKER, args);
  if ("value" in outcome) return { ...outcome.value, wallMs: outcome.wallMs };
  return { spec: args[0], startupMs: NaN, checkMs: NaN, lowerPlanMs: NaN, parameters: 0, weightBytes: 0, error: outcome.failure, wallMs: outcome.wallMs };
}
