/**
 * `npm run bench`: compile times for every example, bert-base latency in ONNX Runtime against a
 * PyTorch-exported peer, achieved GFLOP/s against a large GEMM, what ORT's optimizer made of
 * both graphs, and sparse attention against dense at long sequences (bench/sparse-attention.ts).
 * Writes bench/results/latest.{md,json} and prints the markdown; the sparse-attention section is also
 * written on its own to bench/results/sparse-attention.{md,json}.
 *
 *   node dist/bench/run.js [--quick] [--no-profile] [--skip-compile] [--runs N] [--seqs 128,512]
 *     [--only sparse] [--skip-sparse] [--sparse-seqs 1024,4096,16384] [--sparse-max-run-s 300] [--sparse-profile-encoder]
 *     [--only weights] [--skip-weights] [--weights-xl]
 *
 * `--only optimize` runs the optimize-passes section alone (bench/optimize.ts: bert-base and gpt2-small
 * per configuration, written to bench/results/optimize.{md,json}; `--optimize-runs N`, default 10;
 * `--optimize-threads N`, default 2);
 * `--skip-optimize` leaves it out of the full run.
 *
 * `--only sparse` runs the sparse-attention section alone (~8 min, ~20 min when the dense encoder at 16384 fits in free memory; latest.{md,json} are left as they
 * are); `--skip-sparse` runs everything else. `--only weights` runs the weights section alone
 * (bench/weights.ts, written to bench/results/weights.{md,json}); `--weights-xl` adds its 1.5B rows.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { checkFile, compileSpec } from "../compiler/pipeline.js";
import { graphStats } from "../compiler/ir/stats.js";
import { writeOnnxFile } from "../compiler/onnx/index.js";
import type { ModelSpec } from "../compiler/spec.js";
import { benchCompileTimes, type CompileTiming } from "./compile-time.js";
import { gemmResult, openGemm, type GemmModel, type GemmResult } from "./gemm.js";
import {
  cpuSessionOptions,
  openSession,
  ortVersion,
  pairedRatio,
  ratioStats,
  summarize,
  timeInterleaved,
  tokenFeeds,
  type Contender,
  type Session,
} from "./latency.js";
import { optimizedOpCounts } from "./optimized-ops.js";
import { profileInterleaved, type Profile } from "./profile.js";
import { buildWithPython, pythonModuleVersion } from "./python.js";
import type { BenchReport, LatencyPoint, MachineFacts } from "./report.js";
import { renderMarkdown } from "./table.js";
import { runSparseSection, type SparseAttentionReport } from "./sparse-attention.js";
import { renderSparseSection } from "./sparse-table.js";
import { renderWeightsSection, runWeightsSection, type WeightsReport } from "./weights.js";
import { renderQuantizeSection, runQuantizeSection, writeQuantizeSection } from "./optimize-quantize.js";
import { renderOptimizeSection, runOptimizeSection, type OptimizeReport } from "./optimize.js";

const ROOT = process.cwd();
const RESULTS = join(ROOT, "bench/results");
const MODELS = join(RESULTS, "models");
const BERT_SPEC = join(ROOT, "examples/bert-base.tfx");
const COMPILE_TARGET_MS = 2000;

interface Args {
  readonly quick: boolean;
  readonly profile: boolean;
  readonly skipCompile: boolean;
  readonly runs: number;
  readonly seqs: readonly number[];
  /** `sparse` / `weights` / `optimize` / `quantize`: only that section. */
  readonly only?: "sparse" | "weights" | "optimize" | "quantize";
  readonly skipWeights: boolean;
  readonly weightsXl: boolean;
  readonly skipOptimize: boolean;
  readonly optimizeRuns: number;
  readonly optimizeThreads: number;
  readonly skipSparse: boolean;
  readonly sparseSeqs: readonly number[];
  readonly sparseMaxRunSeconds: number;
  readonly sparseProfileEncoder: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes("--quick");
  const only = value("--only");
  if (only !== undefined && only !== "sparse" && only !== "weights" && only !== "optimize" && only !== "quantize") {
    throw new Error(`--only: the sections that run alone are \`sparse\`, \`weights\`, \`optimize\` and \`quantize\`, got \`${only}\``);
  }
  const sparseSeqs = (value("--sparse-seqs") ?? "1024,4096,16384").split(",").map(Number);
  for (const s of sparseSeqs) if (!Number.isInteger(s) || s < 64 || s % 64 !== 0) throw new Error(`--sparse-seqs: ${s} is not a positive multiple of 64`);
  return {
    only: only as Args["only"],
    skipWeights: argv.includes("--skip-weights"),
    weightsXl: argv.includes("--weights-xl"),
    skipOptimize: argv.includes("--skip-optimize"),
    optimizeRuns: Number(value("--optimize-runs") ?? 10),
    optimizeThreads: Number(value("--optimize-threads") ?? 2),
    skipSparse: argv.includes("--skip-sparse"),
    sparseSeqs,
    sparseMaxRunSeconds: Number(value("--sparse-max-run-s") ?? 300), // dense encoder at 16384: ~2 min a run on a quiet machine
    sparseProfileEncoder: argv.includes("--sparse-profile-encoder"),
    quick,
    profile: !argv.includes("--no-profile"),
    skipCompile: argv.includes("--skip-compile"),
    runs: Number(value("--runs") ?? (quick ? 5 : 20)),
    seqs: (value("--seqs") ?? "128,512").split(",").map(Number),
  };
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function main(): Promise<void> {
  const started = performance.now();
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(MODELS, { recursive: true });
  if (args.only === "sparse") {
    const sparse = await sparseSection(args);
    process.stdout.write(renderSparseSection(sparse));
    log(`wrote ${rel(join(RESULTS, "sparse-attention.md"))} and .json in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    return;
  }
  if (args.only === "weights") {
    process.stdout.write(renderWeightsSection(await weightsSection(args)));
    log(`wrote ${rel(join(RESULTS, "weights.md"))} and .json in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    return;
  }
  if (args.only === "optimize") {
    process.stdout.write(renderOptimizeSection(await optimizeSection(args)));
    log(`wrote ${rel(join(RESULTS, "optimize.md"))} and .json in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    return;
  }
  if (args.only === "quantize") {
    // Issue 4's quantize rows (bench/optimize-quantize.ts): written to bench/results/optimize-quantize.{md,json}.
    const report = await runQuantizeSection({ root: ROOT, models: MODELS, seqs: args.seqs, runs: args.runs, log });
    writeQuantizeSection(RESULTS, report);
    process.stdout.write(renderQuantizeSection(report));
    return;
  }
  const notes: string[] = [];
  const sessionOptions = cpuSessionOptions();

  // 1. Compile time, every example in a fresh process.
  const examples = existsSync(join(ROOT, "examples"))
    ? readdirSync(join(ROOT, "examples"))
        .filter((f) => f.endsWith(".tfx"))
        .sort()
        .map((f) => join(ROOT, "examples", f))
    : [];
  if (examples.length === 0) notes.push("no examples/*.tfx found: compile-time section is empty");
  let compile: CompileTiming[] = [];
  if (!args.skipCompile) {
    compile = await benchCompileTimes(examples, join(MODELS, "tfc"), {
      repeats: args.quick ? 1 : 3,
      checkOnly: (path) => /7b/i.test(path),
      onProgress: log,
    });
    for (const c of compile) if (c.error) notes.push(`compile of ${c.example} failed: ${c.error}`);
    // Only bert-base's file is used again; the others were written to be timed.
    for (const c of compile) if (c.onnxPath && c.path !== BERT_SPEC) rmSync(c.onnxPath, { force: true });
  }

  // The bert-base spec, graph (for FLOPs) and ONNX file (from the compile bench, or compiled here).
  const front = checkFile(BERT_SPEC);
  if (!front.spec) throw new Error(`cannot check ${BERT_SPEC}: ${front.diagnostics.map((d) => d.message).join("; ")}`);
  const spec = front.spec;
  notes.push(...peerMismatches(spec));
  const compiled = compileSpec(spec);
  let tfcPath = compile.find((c) => c.path === BERT_SPEC)?.onnxPath;
  if (!tfcPath || !existsSync(tfcPath)) {
    tfcPath = join(MODELS, "tfc", "bert-base.onnx");
    log(`emitting ${tfcPath}`);
    await writeOnnxFile(compiled.graph, tfcPath, { opset: spec.target.opset });
  }

  // 2. The peer, exported from PyTorch with the spec's dimensions.
  log("building the PyTorch peer (cached while bench/python/bert_peer.py and its arguments are unchanged)");
  const peerBuild = buildWithPython(join(ROOT, "bench/python/bert_peer.py"), join(MODELS, "peer", "bert-peer.onnx"), peerArgs(spec));
  log(peerBuild.cached ? "peer: cached" : `peer: exported in ${(peerBuild.buildMs / 1000).toFixed(1)} s`);

  const tfcOpen = await openSession(tfcPath, sessionOptions);
  const peerOpen = await openSession(peerBuild.path, sessionOptions);
  checkSameInterface(tfcOpen.session, peerOpen.session, notes);

  // 2 and 3. Latency of both, with the GEMM ceiling as a third contender in the same rounds.
  let gemmModel: GemmModel | undefined;
  try {
    gemmModel = await openGemm(MODELS, { session: sessionOptions });
  } catch (e) {
    notes.push(`GEMM model unavailable: ${(e as Error).message}`);
  }
  const latency: LatencyPoint[] = [];
  const gemmSamples: number[] = [];
  for (const seq of args.seqs) {
    const shape = { batch: 1, seq, vocab: spec.vocab, seed: 7 };
    const flops = graphStats(compiled.graph, { batch: 1, seq }).flops;
    const contenders: Contender[] = [
      { name: "tfc", session: tfcOpen.session, feeds: tokenFeeds(tfcOpen.session, shape) },
      { name: "peer", session: peerOpen.session, feeds: tokenFeeds(peerOpen.session, shape) },
      ...(gemmModel ? [gemmModel.contender] : []),
    ];
    // Short sequences are cheap: take more rounds of them, within a time budget.
    const timing = seq <= 128 && !args.quick ? { runs: 2 * args.runs, minRuns: args.runs, budgetMs: 45_000 } : { runs: args.runs };
    log(`latency seq ${seq}: warm-up, then up to ${timing.runs} interleaved rounds (tfc, peer${gemmModel ? ", gemm" : ""})`);
    const [tfc, peer, gemmStats] = await timeInterleaved(contenders, { warmup: args.quick ? 1 : 3, ...timing });
    log(`  tfc ${tfc.medianMs.toFixed(1)} ms, peer ${peer.medianMs.toFixed(1)} ms${gemmStats ? `, gemm ${gemmStats.medianMs.toFixed(1)} ms` : ""}`);
    let gemm: GemmResult | undefined;
    let fractionOfGemm: LatencyPoint["fractionOfGemm"];
    if (gemmModel && gemmStats) {
      gemm = gemmResult(gemmModel, gemmStats);
      gemmSamples.push(...gemmStats.samplesMs);
      // tfc GFLOP/s ÷ GEMM GFLOP/s in round i = (flops / tfc[i]) / (gemmFlops / gemm[i]).
      const scale = flops / gemmModel.flops;
      fractionOfGemm = ratioStats(tfc.samplesMs.map((t, i) => (scale * gemmStats.samplesMs[i]) / t));
    }
    latency.push({
      seq,
      batch: 1,
      tfc,
      peer,
      ratio: tfc.medianMs / peer.medianMs,
      pairedRatio: pairedRatio(tfc, peer),
      flops,
      tfcGflops: flops / tfc.medianMs / 1e6,
      peerGflops: flops / peer.medianMs / 1e6,
      gemm,
      fractionOfGemm,
      fractionOfGemmBest: gemm ? flops / tfc.minMs / 1e6 / gemm.peakGflops : undefined,
    });
  }
  await tfcOpen.session.release();
  await peerOpen.session.release();
  await gemmModel?.release();
  const gemm = gemmModel && gemmSamples.length > 0 ? gemmResult(gemmModel, summarize("gemm", gemmSamples)) : undefined;
  if (gemm && gemm.latency.p90Ms / gemm.latency.p10Ms > 1.3) {
    notes.push(
      `the machine was noisy: the same GEMM took ${gemm.latency.p10Ms.toFixed(0)}–${gemm.latency.p90Ms.toFixed(0)} ms (p10–p90, ` +
        `${(gemm.latency.p90Ms / gemm.latency.p10Ms).toFixed(1)}×) across the rounds; absolute latencies and GFLOP/s swing with it, ` +
        `so read tfc vs peer from the paired ratios`,
    );
  }

  // 4. What ORT's optimizer did with each graph.
  log("optimized graphs");
  const work = join(MODELS, "optimized");
  mkdirSync(work, { recursive: true });
  const opCounts = {
    tfc: await optimizedOpCounts("tfc", tfcPath, work, sessionOptions),
    peer: await optimizedOpCounts("peer", peerBuild.path, work, sessionOptions),
  };

  // 5. Per-op kernel time, both models profiled in interleaved rounds.
  const profiles: { seq: number; tfc: Profile; peer: Profile }[] = [];
  if (args.profile) {
    for (const seq of args.seqs) {
      log(`profiling at seq ${seq}`);
      const feeds = (s: Session) => tokenFeeds(s, { batch: 1, seq, vocab: spec.vocab, seed: 7 });
      const [tfc, peer] = await profileInterleaved(
        [
          { name: "tfc", path: tfcPath },
          { name: "peer", path: peerBuild.path },
        ],
        feeds,
        work,
        { runs: args.quick ? 2 : 5, session: sessionOptions },
      );
      profiles.push({ seq, tfc, peer });
    }
  }

  // 6. Sparse attention against dense at long sequences, every session in a child process.
  let sparseAttention: SparseAttentionReport | undefined;
  if (!args.skipSparse) {
    try {
      sparseAttention = await sparseSection(args);
    } catch (e) {
      notes.push(`sparse-attention section failed: ${(e as Error).message}`);
    }
  }

  // 7. Compile time and peak memory against weight bytes, each step in a child process.
  let weights: WeightsReport | undefined;
  if (!args.skipWeights) {
    try {
      weights = await weightsSection(args);
    } catch (e) {
      notes.push(`weights section failed: ${(e as Error).message}`);
    }
  }

  // 8. The optimize passes (share, prune, quantize) on bert-base and gpt2-small.
  let optimize: OptimizeReport | undefined;
  if (!args.skipOptimize) {
    try {
      optimize = await optimizeSection(args);
    } catch (e) {
      notes.push(`optimize section failed: ${(e as Error).message}`);
    }
  }

  const report: BenchReport & { weights?: WeightsReport; optimize?: OptimizeReport } = {
    machine: machineFacts(),
    sessionOptions: { ...sessionOptions },
    compile,
    compileTargetMs: COMPILE_TARGET_MS,
    models: {
      tfc: { path: rel(tfcPath), bytes: statSync(tfcPath).size, sessionCreateMs: tfcOpen.createMs, nodes: opCounts.tfc.nodes },
      peer: {
        path: rel(peerBuild.path),
        bytes: statSync(peerBuild.path).size,
        sessionCreateMs: peerOpen.createMs,
        nodes: opCounts.peer.nodes,
        builtWith: peerBuild.info,
      },
    },
    latency,
    gemm,
    opCounts,
    profiles,
    sparseAttention,
    weights,
    notes,
    elapsedMs: performance.now() - started,
  };
  const markdown =
    renderMarkdown(report) +
    (sparseAttention ? `\n${renderSparseSection(sparseAttention, { number: "6. " })}` : "") +
    (weights ? `\n${renderWeightsSection(weights, { number: "7. " })}` : "") +
    (optimize ? `\n${renderOptimizeSection(optimize, "## 8. Optimize passes (share, prune, quantize)")}` : "");
  writeFileSync(join(RESULTS, "latest.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(RESULTS, "latest.md"), markdown);
  process.stdout.write(markdown);
  log(`wrote ${rel(join(RESULTS, "latest.md"))} and latest.json in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** Runs the optimize-passes section and writes bench/results/optimize.{md,json}. */
async function optimizeSection(args: Args): Promise<OptimizeReport> {
  const report = await runOptimizeSection({ dir: join(MODELS, "optimize"), seqs: args.seqs, runs: args.quick ? 3 : args.optimizeRuns, threads: args.optimizeThreads, log });
  writeFileSync(join(RESULTS, "optimize.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(RESULTS, "optimize.md"), renderOptimizeSection(report));
  return report;
}

/** Runs the sparse-attention section and writes bench/results/sparse-attention.{md,json}. */
async function sparseSection(args: Args): Promise<SparseAttentionReport> {
  const report = await runSparseSection({
    root: ROOT,
    seqs: args.sparseSeqs,
    quick: args.quick,
    maxRunSeconds: args.sparseMaxRunSeconds,
    profile: args.profile,
    profileEncoder: args.sparseProfileEncoder,
    log,
  });
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, "sparse-attention.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(RESULTS, "sparse-attention.md"), renderSparseSection(report));
  return report;
}

/** Runs the weights section and writes bench/results/weights.{md,json}. */
async function weightsSection(args: Args): Promise<WeightsReport> {
  const report = await runWeightsSection({ root: ROOT, work: join(MODELS, "weights"), xl: args.weightsXl, quick: args.quick, log });
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, "weights.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(RESULTS, "weights.md"), renderWeightsSection(report));
  return report;
}

/** bert_peer.py's arguments from the checked spec, so the two models have the same shapes. */
function peerArgs(spec: ModelSpec): string[] {
  return [
    ["--vocab", spec.vocab],
    ["--context", spec.context],
    ["--width", spec.width],
    ["--layers", spec.layers],
    ["--heads", spec.heads],
    ["--ffn", spec.ffn.size],
    ["--token-types", spec.tokenTypes],
    ["--eps", spec.norm.eps],
    ["--opset", 17],
  ].flatMap(([k, v]) => [`${k}`, `${v}`]);
}

/** The peer is BERT as written in bert_peer.py; anything in the spec it cannot mirror is noted. */
function peerMismatches(spec: ModelSpec): string[] {
  const problems: string[] = [];
  if (spec.kind !== "encoder") problems.push(`kind ${spec.kind}`);
  if (spec.ffn.activation !== "gelu") problems.push(`activation ${spec.ffn.activation}`);
  if (spec.norm.kind !== "layernorm" || spec.norm.placement !== "post") problems.push(`norm ${spec.norm.kind} ${spec.norm.placement}`);
  if (spec.position.kind !== "learned") problems.push(`positions ${spec.position.kind}`);
  if (spec.kvHeads !== spec.heads || spec.headDim * spec.heads !== spec.width) problems.push("heads/kv_heads/head_dim");
  if (!spec.bias) problems.push("bias false");
  if (spec.tokenTypes < 1) problems.push("no token types");
  if (spec.output.kind !== "pooler") problems.push(`output ${spec.output.kind}`);
  return problems.length === 0 ? [] : [`examples/bert-base.tfx differs from the BERT the peer builds: ${problems.join(", ")}; the comparison is not like for like`];
}

function checkSameInterface(tfc: Session, peer: Session, notes: string[]): void {
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(tfc.inputNames, peer.inputNames)) notes.push(`inputs differ: tfc [${tfc.inputNames}] vs peer [${peer.inputNames}]`);
  if (!same(tfc.outputNames, peer.outputNames)) notes.push(`outputs differ: tfc [${tfc.outputNames}] vs peer [${peer.outputNames}]`);
}

function machineFacts(): MachineFacts {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(cpuinfo)?.[1]?.trim();
  const flags = new Set((field("flags") ?? "").split(/\s+/));
  const simd = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"].filter((f) => flags.has(f));
  const cores = Number(field("cpu cores"));
  const family = field("cpu family");
  return {
    cpu: field("model name") ?? os.cpus()[0]?.model ?? "unknown",
    cpuId: family ? `${field("vendor_id")} family ${family} model ${field("model")} stepping ${field("stepping")}, ${field("cpu MHz")} MHz` : undefined,
    logicalCpus: os.availableParallelism(),
    physicalCores: Number.isFinite(cores) && cores > 0 ? cores : undefined,
    simd,
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()}${flags.has("hypervisor") ? " (virtual machine)" : ""}`,
    node: process.version,
    onnxruntime: ortVersion(),
    torch: pythonModuleVersion("torch"),
    onnx: pythonModuleVersion("onnx"),
    date: new Date().toISOString(),
  };
}

function rel(path: string): string {
  const r = resolve(path);
  return r.startsWith(ROOT + "/") ? r.slice(ROOT.length + 1) : r;
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
