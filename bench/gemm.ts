/**
 * The machine's large-GEMM ceiling in ONNX Runtime: one fp32 MatMul (x [M, K] @ w [K, N], w an
 * initializer so it is pre-packed like a model's weights), under the same session options as the
 * models being compared. A model's achieved GFLOP/s is read against this number; on a machine whose
 * speed drifts, time it as one more contender interleaved with the models (`openGemm`), so both
 * numbers come from the same minutes.
 */
import { join } from "node:path";
import ort from "onnxruntime-node";
import { buildWithPython } from "./python.js";
import { cpuSessionOptions, openSession, summarize, type Contender, type LatencyStats, type SessionOptions } from "./latency.js";

export interface GemmModel {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly flops: number;
  readonly contender: Contender;
  release(): Promise<void>;
}

export interface GemmResult {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly flops: number;
  readonly latency: LatencyStats;
  /** At the median latency. */
  readonly gflops: number;
  /** At the fastest run (the ceiling the machine reached at all). */
  readonly peakGflops: number;
}

/** Builds (once; cached under `modelDir`) and opens the GEMM model; `contender` is ready to time. */
export async function openGemm(modelDir: string, options: { size?: number; session?: SessionOptions } = {}): Promise<GemmModel> {
  const size = options.size ?? 2048;
  const [m, k, n] = [size, size, size];
  const script = join(process.cwd(), "bench/python/gemm_model.py");
  const built = buildWithPython(script, join(modelDir, `gemm-${m}x${k}x${n}.onnx`), ["--m", `${m}`, "--k", `${k}`, "--n", `${n}`]);
  const { session } = await openSession(built.path, options.session ?? cpuSessionOptions());
  const x = new Float32Array(m * k);
  for (let i = 0; i < x.length; i++) x[i] = ((Math.imul(i, 2654435761) >>> 0) % 1000) / 1000 - 0.5;
  return {
    m,
    k,
    n,
    flops: 2 * m * k * n,
    contender: { name: "gemm", session, feeds: { x: new ort.Tensor("float32", x, [m, k]) } },
    release: () => session.release(),
  };
}

export function gemmResult(model: Pick<GemmModel, "m" | "k" | "n" | "flops">, latency: LatencyStats): GemmResult {
  const { m, k, n, flops } = model;
  return { m, k, n, flops, latency, gflops: flops / latency.medianMs / 1e6, peakGflops: flops / latency.minMs / 1e6 };
}

/** The GEMM on its own: warm-up, then `runs` timed runs. */
export async function measureGemm(
  modelDir: string,
  options: { size?: number; warmup?: number; runs?: number; session?: SessionOptions } = {},
): Promise<GemmResult> {
  const model = await openGemm(modelDir, options);
  try {
    const { session, feeds } = model.contender;
    for (let i = 0; i < (options.warmup ?? 3); i++) await session.run(feeds);
    const samples: number[] = [];
    for (let i = 0; i < (options.runs ?? 10); i++) {
      const start = performance.now();
      await session.run(feeds);
      samples.push(performance.now() - start);
    }
    return gemmResult(model, summarize("gemm", samples));
  } finally {
    await model.release();
  }
}
