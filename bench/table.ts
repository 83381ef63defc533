/** Markdown rendering of a `BenchReport` (bench/results/latest.md and the console). */
import type { RatioStats } from "./latency.js";
import type { BenchReport, LatencyPoint } from "./report.js";
import type { OpCounts } from "./optimized-ops.js";
import type { Profile } from "./profile.js";

export function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 100) return `${value.toFixed(0)} ms`;
  if (value >= 10) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(2)} ms`;
}

export function bytes(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  if (value >= 2 ** 30) return `${(value / 2 ** 30).toFixed(2)} GiB`;
  if (value >= 2 ** 20) return `${(value / 2 ** 20).toFixed(1)} MiB`;
  if (value >= 2 ** 10) return `${(value / 2 ** 10).toFixed(1)} KiB`;
  return `${value} B`;
}

export function count(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)} B`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return `${value}`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ("l" | "r")[]): string {
  const rule = header.map((_, i) => ((align?.[i] ?? "l") === "r" ? "---:" : "---"));
  return [header, rule, ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

const mark = (ok: boolean) => (ok ? "✅" : "❌");

/** ✅ at or under 1; "≈" when over by less than 3% with a p10 under 1 (a coin flip on this machine); else ❌. */
function ratioVerdict(r: RatioStats): string {
  if (r.median <= 1) return "✅";
  if (r.median <= 1.03 && r.p10 < 1) return "≈ (parity within noise)";
  return "❌";
}

export function renderMarkdown(report: BenchReport): string {
  const out: string[] = [];
  const m = report.machine;
  out.push(`# tfc bench — ${m.date}`);
  out.push("");
  out.push(
    `Machine: ${m.cpu}${m.cpuId ? ` (${m.cpuId})` : ""}, ${m.logicalCpus} logical CPUs${m.physicalCores ? ` (${m.physicalCores} cores)` : ""}, ` +
      `${m.memoryGiB.toFixed(0)} GiB, SIMD ${m.simd.join("/") || "?"}; ${m.os}; node ${m.node}, onnxruntime-node ${m.onnxruntime}` +
      `${m.torch ? `, torch ${m.torch}` : ""}${m.onnx ? `, onnx ${m.onnx}` : ""}. Bench took ${ms(report.elapsedMs)}.`,
  );
  if (report.notes.length > 0) {
    out.push("");
    for (const note of report.notes) out.push(`> ⚠ ${note}`);
  }

  out.push("", "## 1. Compile time per example", "");
  if (report.compile.length === 0) out.push("(not measured in this run)", "");
  out.push("Each compile in a fresh `node` process; median of the runs. *check+lower+plan* = read, parse, check, lower to IR, plan; *emit* = random weights generated and the ONNX file written; *in-process* = their sum; *startup* = node start and module loading before any of it; *process* = the whole child process as the parent saw it.");
  out.push("");
  const compileRows = report.compile.map((c) => [
    c.model && c.model !== c.example ? `${c.example} (\`${c.model}\`)` : c.example,
    count(c.parameters),
    c.error ? `error: ${c.error}` : ms(c.checkLowerPlanMs),
    c.mode === "emit" ? ms(c.emitMs) : (c.skipped ?? "skipped"),
    c.error ? "–" : ms(c.endToEndMs),
    ms(c.startupMs),
    ms(c.wallMs),
    c.mode === "emit" ? bytes(c.bytes) : "–",
    `${c.runs.length}`,
  ]);
  out.push(
    table(
      ["example", "params", "check+lower+plan", "emit", "in-process", "startup", "process", "ONNX size", "runs"],
      compileRows,
      ["l", "r", "r", "r", "r", "r", "r", "r", "r"],
    ),
  );
  const bert = report.compile.find((c) => c.example === "bert-base");
  if (bert && !bert.error) {
    out.push("");
    out.push(
      `Target: bert-base end to end under ${ms(report.compileTargetMs)} — in-process ${ms(bert.endToEndMs)} ${mark(bert.endToEndMs < report.compileTargetMs)}, ` +
        `whole process ${ms(bert.wallMs)} ${mark(bert.wallMs < report.compileTargetMs)}.`,
    );
  }

  out.push("", "## 2. ORT CPU latency, bert-base, batch 1: tfc vs PyTorch peer", "");
  if (report.models) {
    const { tfc, peer } = report.models;
    out.push(
      `Both fp32 with identical parameter shapes (random weights), same inputs, one process, one onnxruntime-node build, ` +
        `session options ${inlineOptions(report.sessionOptions)}; runs interleaved (A B, B A, …) after warm-up. ` +
        `tfc: \`${tfc.path}\` (${bytes(tfc.bytes)}, session created in ${ms(tfc.sessionCreateMs)}); ` +
        `peer: \`bench/python/bert_peer.py\` → torch.onnx.export opset 17, dynamic batch/seq, constant folding ` +
        `(${bytes(peer.bytes)}, session created in ${ms(peer.sessionCreateMs)}).`,
    );
    out.push("");
  }
  out.push(latencyTable(report.latency));
  if (report.latency.length > 0) {
    out.push("");
    out.push(
      `Target tfc/peer ≤ 1.00: ${report.latency.map((p) => `seq ${p.seq} ${p.pairedRatio.median.toFixed(3)} ${ratioVerdict(p.pairedRatio)}`).join(", ")} ` +
        `(paired: the median of per-round ratios, each tfc run against the peer run next to it, which cancels the machine's drift; ` +
        `*of medians* divides the two columns' medians).`,
    );
  }

  out.push("", "## 3. Achieved GFLOP/s", "");
  if (report.gemm) {
    const g = report.gemm;
    out.push(
      `Machine ceiling: one fp32 MatMul ${g.m}×${g.k} @ ${g.k}×${g.n} (${(g.flops / 1e9).toFixed(1)} GFLOP, weights an initializer, same session options), ` +
        `timed as a third contender in the same interleaved rounds: median ${ms(g.latency.medianMs)} → **${g.gflops.toFixed(1)} GFLOP/s** ` +
        `(best run ${g.peakGflops.toFixed(1)}). *tfc / GEMM* is the median of per-round fractions.`,
    );
    out.push("");
  }
  out.push(
    table(
      ["seq", "FLOPs (graphStats)", "tfc median", "tfc GFLOP/s", "peer GFLOP/s", "GEMM GFLOP/s (same rounds)", "tfc / GEMM (p10–p90)", "best tfc / best GEMM"],
      report.latency.map((p) => [
        `${p.seq}`,
        `${(p.flops / 1e9).toFixed(2)} G`,
        ms(p.tfc.medianMs),
        p.tfcGflops.toFixed(1),
        p.peerGflops.toFixed(1),
        p.gemm ? p.gemm.gflops.toFixed(1) : "–",
        p.fractionOfGemm ? `${pct(p.fractionOfGemm.median)} (${pct(p.fractionOfGemm.p10)}–${pct(p.fractionOfGemm.p90)})` : "–",
        p.fractionOfGemmBest !== undefined && p.gemm
          ? `${pct(p.fractionOfGemmBest)} (${(p.flops / p.tfc.minMs / 1e6).toFixed(0)} / ${p.gemm.peakGflops.toFixed(0)})`
          : "–",
      ]),
      ["r", "r", "r", "r", "r", "r", "r", "r"],
    ),
  );

  if (report.opCounts) {
    out.push("", "## 4. What ONNX Runtime made of each graph", "");
    out.push("Op types in the graph ORT actually runs (`optimizedModelFilePath`, level `all`), and in the file as written. `com.microsoft.*` are ORT's fused contrib kernels.");
    out.push("");
    out.push(opCountTable(report.opCounts.tfc, report.opCounts.peer));
  }

  if (report.profiles && report.profiles.length > 0) {
    out.push("", `## 5. Kernel time by op type (ORT profiler, both models in interleaved rounds)`);
    for (const { tfc, peer, seq } of report.profiles) {
      out.push("", `seq ${seq}, mean of ${tfc.runs} runs:`, "");
      out.push(profileTable(tfc, peer));
    }
  }
  out.push("");
  return out.join("\n");
}

function latencyTable(points: readonly LatencyPoint[]): string {
  const cell = (s: LatencyPoint["tfc"]) => `${ms(s.medianMs)} (${ms(s.p10Ms)}–${ms(s.p90Ms)})`;
  const r = points.map((p) => p.pairedRatio);
  return table(
    ["seq", "tfc median (p10–p90)", "peer median (p10–p90)", "tfc / peer paired (p10–p90)", "tfc / peer of medians", "runs each"],
    points.map((p, i) => [
      `${p.seq}`,
      cell(p.tfc),
      cell(p.peer),
      `**${r[i].median.toFixed(3)}** (${r[i].p10.toFixed(2)}–${r[i].p90.toFixed(2)}); tfc faster in ${r[i].below1}/${r[i].rounds}`,
      p.ratio.toFixed(3),
      `${Math.min(p.tfc.runs, p.peer.runs)}`,
    ]),
    ["r", "r", "r", "r", "r", "r"],
  );
}

function pct(x: number): string {
  return `${(100 * x).toFixed(0)}%`;
}

function opCountTable(tfc: OpCounts, peer: OpCounts): string {
  const types = [...new Set([...Object.keys(tfc.byType), ...Object.keys(peer.byType)])].sort(
    (a, b) => (peer.byType[b] ?? 0) + (tfc.byType[b] ?? 0) - ((peer.byType[a] ?? 0) + (tfc.byType[a] ?? 0)) || a.localeCompare(b),
  );
  const rows = types.map((t) => {
    const a = tfc.byType[t] ?? 0;
    const b = peer.byType[t] ?? 0;
    return [a === b ? t : `**${t}**`, `${a}`, `${b}`];
  });
  rows.push(["*nodes after / before optimization*", `${tfc.nodes} / ${total(tfc.beforeByType)}`, `${peer.nodes} / ${total(peer.beforeByType)}`]);
  return table(["op (after ORT optimization)", "tfc", "peer"], rows, ["l", "r", "r"]);
}

function total(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((s, n) => s + n, 0);
}

function profileTable(tfc: Profile, peer: Profile): string {
  const ops = [...new Set([...tfc.byOp.map((o) => o.op), ...peer.byOp.map((o) => o.op)])];
  const get = (p: Profile, op: string) => p.byOp.find((o) => o.op === op);
  ops.sort((a, b) => (get(tfc, b)?.ms ?? 0) + (get(peer, b)?.ms ?? 0) - (get(tfc, a)?.ms ?? 0) - (get(peer, a)?.ms ?? 0));
  const cell = (o: ReturnType<typeof get>) => (o ? `${ms(o.ms)} (${(100 * o.share).toFixed(1)}%, ${o.calls}×)` : "–");
  const rows = ops.map((op) => [op, cell(get(tfc, op)), cell(get(peer, op))]);
  rows.push(["*sum of kernels*", ms(tfc.kernelMs), ms(peer.kernelMs)]);
  return table(["op", "tfc ms/run (share, calls)", "peer ms/run (share, calls)"], rows, ["l", "r", "r"]);
}

function inlineOptions(options: Record<string, unknown>): string {
  return Object.entries(options)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(", ");
}
