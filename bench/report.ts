/** The shape of bench/results/latest.json: everything one `npm run bench` measured. */
import type { CompileTiming } from "./compile-time.js";
import type { GemmResult } from "./gemm.js";
import type { LatencyStats, RatioStats } from "./latency.js";
import type { OpCounts } from "./optimized-ops.js";
import type { Profile } from "./profile.js";
import type { SparseAttentionReport } from "./sparse-attention.js";

export interface MachineFacts {
  /** `model name` from /proc/cpuinfo (hypervisors often mask it: "AMD EPYC"). */
  readonly cpu: string;
  /** Vendor, family, model, stepping and clock, which identify the microarchitecture when the name does not. */
  readonly cpuId?: string;
  /** Logical CPUs the OS reports, and the physical cores per socket /proc/cpuinfo names. */
  readonly logicalCpus: number;
  readonly physicalCores?: number;
  /** SIMD extensions that matter to MLAS's GEMM kernels. */
  readonly simd: readonly string[];
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly onnxruntime: string;
  readonly torch?: string;
  readonly onnx?: string;
  readonly date: string;
}

export interface LatencyPoint {
  readonly seq: number;
  readonly batch: number;
  readonly tfc: LatencyStats;
  readonly peer: LatencyStats;
  /** tfc median / peer median. */
  readonly ratio: number;
  /** Median (p10, p90) of the per-round ratios tfc[i] / peer[i]: robust to the machine's drift. */
  readonly pairedRatio: RatioStats;
  /** tfc's graphStats FLOPs at {batch, seq}. */
  readonly flops: number;
  readonly tfcGflops: number;
  readonly peerGflops: number;
  /** The GEMM, timed in the same interleaved rounds. */
  readonly gemm?: GemmResult;
  /** Per-round (tfc GFLOP/s) / (GEMM GFLOP/s), summarized. */
  readonly fractionOfGemm?: RatioStats;
  /** tfc's fastest run against the GEMM's fastest run: the quiet-machine estimate. */
  readonly fractionOfGemmBest?: number;
}

export interface ModelFile {
  readonly path: string;
  readonly bytes: number;
  readonly sessionCreateMs: number;
  readonly nodes: number;
}

export interface BenchReport {
  readonly machine: MachineFacts;
  readonly sessionOptions: Record<string, unknown>;
  readonly compile: readonly CompileTiming[];
  /** The end-to-end target for bert-base (ms). */
  readonly compileTargetMs: number;
  readonly models?: { readonly tfc: ModelFile; readonly peer: ModelFile & { readonly builtWith: Record<string, unknown> } };
  readonly latency: readonly LatencyPoint[];
  /** The GEMM over every round of every sequence length. */
  readonly gemm?: GemmResult;
  readonly opCounts?: { readonly tfc: OpCounts; readonly peer: OpCounts };
  readonly profiles?: readonly { readonly seq: number; readonly tfc: Profile; readonly peer: Profile }[];
  /** Section 6: dense vs sparse attention at long sequences (bench/sparse-attention.ts). */
  readonly sparseAttention?: SparseAttentionReport;
  /** Things that went wrong or differ from the brief, shown at the top of the markdown. */
  readonly notes: readonly string[];
  readonly elapsedMs: number;
}
