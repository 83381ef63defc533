/** Markdown for the sparse-attention section (bench/sparse-attention.ts). */
import type { Profile } from "./profile.js";
import { CONFIGS, fraction, gib, type Kind, type SparseAttentionReport, type SparseCase } from "./sparse-attention.js";
import { ms, table } from "./table.js";

const TITLE: Record<Kind, string> = { attention: "Attention alone", encoder: "Whole bert-base-shaped encoder" };

/** `number`: the section's number in a larger report ("6. "). */
export function renderSparseSection(report: SparseAttentionReport, options: { readonly number?: string } = {}): string {
  const heading = "##";
  const out: string[] = [];
  const seqs = report.options.seqs.join(", ");
  out.push(`${heading} ${options.number ?? ""}Sparse attention: dense vs window 256 + global [0] (whole and chunked) vs BigBird (ORT CPU, batch 1, fp32)`, "");
  out.push(
    `Sequences ${seqs}. Specs: \`${report.specFile}\` (bert-base shape: 12 layers, width 768, 12 heads × 64, ffn 3072 gelu, post-norm; ` +
      `\`attention { default : <pattern> }\` in every layer); *attention alone* is q, k, v [1, S, 768] → one attention node with ` +
      `layer 0's layout of the same model, through the \`sparse-attention\` pass. Every session runs in a child process: ` +
      `*peak RSS* is that process's VmHWM (session creation and runs), *run +* the peak during the runs minus the RSS with the model ` +
      `loaded and inputs made (the watermark is reset in between); *plan estimate* is plan.json's activation peak (the encoder's ` +
      `\`activationMemory.peakBytes\`; for attention alone layer 0's \`attention.peakBytes\` and the result), which run + should match. ` +
      `Sessions: CPU provider, 2 threads, all graph optimizations, ONNX Runtime's memory pattern off (with symbolic lengths its one ` +
      `pre-planned block held up to 1.7× the live set), idle worker threads ${report.options.ortSpinning ? "spinning (ONNX Runtime's default)" : "sleeping (`allow_spinning` 0; TFC_BENCH_ORT_SPINNING=1 for ONNX Runtime's default)"}, ` +
      `${report.options.pauseMs} ms idle before each timed run (each session's threads spin after its run). *Speed-up* is the median of per-round dense ÷ sparse times, ` +
      `dense and the sparse models timed round-robin in one process; *FLOP ratio* is dense ÷ sparse FLOPs from graphStats at ` +
      `{ batch: 1, seq: S }. Machine memory ${gib(report.machine.memTotalBytes)}. Section took ${ms(report.elapsedMs)}` +
      `${report.options.quick ? " (--quick: fewer runs)" : ""}.`,
  );
  if (report.notes.length > 0) {
    out.push("");
    for (const note of report.notes) out.push(`> ⚠ ${note}`);
  }
  for (const kind of ["attention", "encoder"] as const) {
    const rows = report.cases.filter((c) => c.kind === kind);
    if (rows.length === 0) continue;
    out.push("", `${heading}# ${TITLE[kind]}`, "");
    out.push(caseTable(rows));
  }

  out.push("", `${heading}# Run-time memory by length (bytes per token)`, "");
  out.push(memoryTable(report));

  out.push("", `${heading}# Targets (issue 3, point 7)`, "");
  if (report.targets.length === 0) out.push("None measurable at these lengths (the targets are at 4096 and 16384).");
  for (const t of report.targets) out.push(`- ${t.met === undefined ? "➖" : t.met ? "✅" : "❌"} ${t.what}: ${t.detail}`);

  for (const p of report.profiles) {
    out.push("", `${heading}# Where the time goes: ${TITLE[p.kind].toLowerCase()} at ${p.seq} (ORT profiler, ms per run by op type)`, "");
    out.push(profileTable(p.profiles));
  }
  out.push("");
  return out.join("\n");
}

function caseTable(rows: readonly SparseCase[]): string {
  const body = rows.map((c) => {
    const lowering = c.lowering === "block-sparse" ? `block-sparse, computes ${pct(c.computedFraction)}` : c.lowering === "dense-masked" ? "dense + −∞ mask (pass: not sparse enough)" : "dense";
    const density = c.config === "dense" ? "1" : c.density[0] === c.density[1] ? fraction(c.density[0]) : `${fraction(c.density[0])} – ${fraction(c.density[1])}`;
    const flopRatio = c.config === "dense" ? "1" : `${c.flopRatio.toFixed(2)}×`;
    if (c.status !== "measured") {
      const what = c.status === "not run" ? "**not run**" : "**failed**";
      return [`${c.seq}`, label(c), lowering, density, `${what}: ${c.reason ?? ""}`, "–", flopRatio, "–", "–", "–", `${gib(c.planActivationBytes)}`, "–"];
    }
    const lat = c.latency ? `${ms(c.latency.medianMs)} (${ms(c.latency.p10Ms)}–${ms(c.latency.p90Ms)}), ${c.latency.runs} run${c.latency.runs === 1 ? "" : "s"}${c.latencySource === "memory-process" ? " †" : ""}` : `– ${c.reason ?? ""}`;
    const speedup =
      c.config === "dense" ? "reference" : c.speedup ? `**${c.speedup.median.toFixed(2)}×** (${c.speedup.p10.toFixed(2)}–${c.speedup.p90.toFixed(2)})` : "dense not runnable";
    const m = c.memory!;
    return [
      `${c.seq}`,
      label(c),
      lowering,
      density,
      lat,
      speedup,
      flopRatio,
      ms(m.createMs),
      gib(m.peakBytes),
      `+${gib(m.runIncreaseBytes)}`,
      `${gib(c.planActivationBytes)} (${(m.runIncreaseBytes / c.planActivationBytes).toFixed(2)}×)`,
      `${(m.runIncreasePerToken / 1024).toFixed(1)} KiB`,
    ];
  });
  const lines = [
    table(
      ["seq", "attention", "lowering", "density", "latency median (p10–p90)", "speed-up vs dense (p10–p90)", "FLOP ratio", "session created in", "peak RSS", "run +", "plan estimate (run + ÷ it)", "run + per token"],
      body,
      ["r", "l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    ),
  ];
  if (rows.some((c) => c.latencySource === "memory-process")) {
    lines.push("", "† dense did not run at this length: the latency is the timed runs (after one warm-up) of the model's own fresh process, not interleaved with anything.");
  }
  return lines.join("\n");
}

function memoryTable(report: SparseAttentionReport): string {
  const seqs = report.options.seqs;
  const rows: string[][] = [];
  for (const kind of ["attention", "encoder"] as const) {
    for (const { config } of CONFIGS) {
      const cells = seqs.map((s) => {
        const c = report.cases.find((x) => x.kind === kind && x.config === config && x.seq === s);
        if (!c) return "–";
        if (!c.memory) return c.status === "not run" ? `not run (plan: ${gib(c.planNeedBytes)})` : "failed";
        return `+${gib(c.memory.runIncreaseBytes)} (${(c.memory.runIncreasePerToken / 1024).toFixed(1)} KiB/token)`;
      });
      const g = report.growth.filter((e) => e.kind === kind && e.config === config).map((e) => `S^${e.exponent.toFixed(2)} (${e.from}→${e.to})`);
      rows.push([kind === "attention" ? "attention alone" : "encoder", config, ...cells, g.join(", ") || "–"]);
    }
  }
  return table(["", "attention", ...seqs.map((s) => `run + at ${s}`), "growth"], rows, ["l", "l", ...seqs.map(() => "r" as const), "l"]);
}

function profileTable(profiles: readonly Profile[]): string {
  const ops = [...new Set(profiles.flatMap((p) => p.byOp.map((o) => o.op)))];
  const get = (p: Profile, op: string) => p.byOp.find((o) => o.op === op);
  const total = (op: string) => profiles.reduce((s, p) => s + (get(p, op)?.ms ?? 0), 0);
  ops.sort((a, b) => total(b) - total(a));
  const rows = ops.map((op) => [op, ...profiles.map((p) => {
    const o = get(p, op);
    return o ? `${ms(o.ms)} (${(100 * o.share).toFixed(0)}%, ${o.calls}×)` : "–";
  })]);
  rows.push(["*sum of kernels*", ...profiles.map((p) => ms(p.kernelMs))]);
  return table(["op", ...profiles.map((p) => `${p.name} (${p.runs} runs)`)], rows, ["l", ...profiles.map(() => "r" as const)]);
}

function label(c: SparseCase): string {
  if (c.config === "dense") return "dense";
  const chunks = CONFIGS.find((x) => x.config === c.config)?.chunkBytes;
  return `\`${c.pattern}\`${chunks ? `, chunks of ${chunks / 2 ** 20} MiB` : ""}`;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
