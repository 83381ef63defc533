import type { CompiledModel } from "../../compiler/pipeline.js";
import type { ExecutionPlan, PlannedDeviation, PlannedPass } from "../../compiler/plan.js";
import { gigaflops, mebibytes, shortCount, table } from "../format.js";

/**
 * The `optimize` block's part of `tfc compile`: the deviation of every lossy step from the
 * unoptimized model (measured in ONNX Runtime), and the table of what each pass changed.
 */

/** Models above this are not run twice in memory just to measure deviation. */
export const MAX_DEVIATION_WEIGHT_BYTES = 1 << 30;

/**
 * The plan with each lossy directive's deviation filled in: the baseline and the graph after each
 * lossy step are emitted in memory and run on the same seeded inputs. Returns the plan unchanged,
 * with a reason, when nothing is lossy or the model is too large to run twice here. When the last
 * step is lossy its bytes are the final model (`model`, emitted with `emit`'s options), so the
 * caller writes them instead of emitting (and quantizing) everything a third time.
 */
export async function withDeviations(
  compiled: CompiledModel,
  opset: number,
  emit: { readonly producerVersion?: string } = {},
): Promise<{ plan: ExecutionPlan; skipped?: string; model?: Uint8Array }> {
  const lossy = compiled.optimizations.filter((o) => o.report.lossy);
  if (lossy.length === 0) return { plan: compiled.plan };
  const bytes = compiled.plan.graphs[0].weightBytes;
  const baselineBytes = lossy[0].report.before?.weightBytes ?? bytes;
  if (baselineBytes > MAX_DEVIATION_WEIGHT_BYTES) {
    return { plan: compiled.plan, skipped: `deviation not measured: the model holds ${mebibytes(baselineBytes)} of weights, above the ${mebibytes(MAX_DEVIATION_WEIGHT_BYTES)} tfc runs twice during compile (\`tfc bench\` measures it)` };
  }
  const [{ emitOnnx }, { measureDeviation }] = await Promise.all([import("../../compiler/onnx/index.js"), import("../../runtime/deviation.js")]);
  const baseline = emitOnnx(compiled.baseline, { opset });
  const deviations = new Map<string, PlannedDeviation>();
  let model: Uint8Array | undefined;
  for (const step of lossy) {
    const bytes = emitOnnx(step.graph, { opset, ...emit });
    deviations.set(step.directive, await measureDeviation(baseline, bytes));
    if (step.graph === compiled.graph) model = bytes;
  }
  const graph = compiled.plan.graphs[0];
  const passes = graph.passes.map((p) => (p.directive && deviations.has(p.directive) ? { ...p, deviation: deviations.get(p.directive) } : p));
  return { plan: { ...compiled.plan, graphs: [{ ...graph, passes }, ...compiled.plan.graphs.slice(1)] }, ...(model ? { model } : {}) };
}

/** The lines `tfc compile` prints for the optimize directives (nothing without any). */
export function optimizationSummary(plan: ExecutionPlan, skipped?: string): string[] {
  const steps = plan.graphs[0].passes.filter((p) => p.directive !== undefined);
  if (steps.length === 0) return [];
  const rows = steps.map((p) => [
    p.directive!,
    change(p, (c) => shortCount(c.parameters)),
    change(p, (c) => mebibytes(c.weightBytes)),
    change(p, (c) => gigaflops(c.flops)),
    p.deviation ? deviationText(p.deviation) : p.lossy ? "not measured" : "exact",
  ]);
  return [
    "",
    "  optimize, in the order written (FLOPs per forward at batch 1 and full context):",
    ...table(["directive", "params", "weights", "GFLOP", "deviation from the unoptimized model"], rows, { leftAligned: [0, 4] }),
    ...steps.flatMap((p) => p.notes.slice(0, 4).map((n) => `    ${p.directive}: ${n}`).concat(p.notes.length > 4 ? [`    ${p.directive}: … ${p.notes.length - 4} more in the plan`] : [])),
    ...(skipped ? [`  ${skipped}`] : []),
  ];
}

function change(p: PlannedPass, show: (c: NonNullable<PlannedPass["before"]>) => string): string {
  return p.before && p.after ? `${show(p.before)} → ${show(p.after)}` : "-";
}

/** `max 0.41, rel 3.1%, cos 0.9990, top-1 97%` for the primary output. */
export function deviationText(d: PlannedDeviation): string {
  const o = d.outputs[d.primary];
  const parts = [`max ${o.maxAbs.toPrecision(3)}`, `rel ${(o.meanRelative * 100).toPrecision(3)}%`, `cos ${o.cosine.toFixed(4)}`];
  if (o.top1Agreement !== undefined) parts.push(`top-1 ${(o.top1Agreement * 100).toFixed(1)}%`);
  return `${d.primary}: ${parts.join(", ")}`;
}
