import { IrError, type Graph } from "./graph.js";
import { graphStats, type GraphStats } from "./stats.js";
import { verifyGraph } from "./verify.js";

/** What a pass says it did. `before`/`after` are filled in by the pass manager from the graphs. */
export interface PassReport {
  readonly pass: string;
  /** The `optimize` directive the pass carried out, in canonical text (`prune heads 25% by l2 per_layer`). */
  readonly directive?: string;
  readonly changed: boolean;
  /** One line per notable thing done or declined ("layer 3: 2 heads pruned", "no linear to quantize"). */
  readonly notes: readonly string[];
  /** Pass-specific figures (sparsity per layer, deviation …). */
  readonly statistics: Readonly<Record<string, number>>;
  /** The pass changed what the model computes (pruning, merged weights): its deviation is worth measuring. */
  readonly lossy?: boolean;
  readonly before?: GraphStats;
  readonly after?: GraphStats;
}

export interface PassContext {
  /** Dim bindings for statistics: { batch: 1, seq: context }. */
  readonly bindings: Readonly<Record<string, number>>;
}

export interface PassResult {
  readonly graph: Graph;
  readonly changed: boolean;
  readonly notes?: readonly string[];
  readonly statistics?: Readonly<Record<string, number>>;
  /** True when the new graph computes something else than the old one (see PassReport.lossy). */
  readonly lossy?: boolean;
}

/** A graph transformation: a pure function from a graph to a new graph, with a name and options. */
export interface Pass<Options = unknown> {
  readonly name: string;
  readonly summary: string;
  run(graph: Graph, options: Options, context: PassContext): PassResult;
}

interface Scheduled {
  readonly pass: Pass<never>;
  readonly options: unknown;
}

export interface PassManagerOptions {
  /** Verify the IR after every pass (on in tests; cheap enough to leave on). */
  readonly verify?: boolean;
}

/** Runs passes in order, verifying the IR after each and collecting reports. */
export class PassManager {
  private readonly scheduled: Scheduled[] = [];

  constructor(private readonly options: PassManagerOptions = { verify: true }) {}

  add<O>(pass: Pass<O>, options: O): this {
    this.scheduled.push({ pass: pass as Pass<never>, options });
    return this;
  }

  get passes(): readonly string[] {
    return this.scheduled.map((s) => s.pass.name);
  }

  run(graph: Graph, context: PassContext): { graph: Graph; reports: PassReport[] } {
    const reports: PassReport[] = [];
    const ran: string[] = [];
    let current = graph;
    for (const { pass, options } of this.scheduled) {
      const before = graphStats(current, context.bindings);
      const result = (pass as Pass<unknown>).run(current, options, context);
      ran.push(pass.name);
      if (this.options.verify !== false) {
        const problems = verifyGraph(result.graph);
        if (problems.length > 0) {
          throw new IrError(
            `the IR is malformed after pass \`${pass.name}\` (passes run: ${ran.join(" → ")}):\n  ${problems.join("\n  ")}`,
          );
        }
      }
      reports.push({
        pass: pass.name,
        changed: result.changed,
        notes: result.notes ?? [],
        statistics: result.statistics ?? {},
        ...(result.lossy ? { lossy: true } : {}),
        before,
        after: graphStats(result.graph, context.bindings),
      });
      current = result.graph;
    }
    return { graph: current, reports };
  }
}
