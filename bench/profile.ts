/**
 * Where the time goes inside one ONNX Runtime run: the session's own profiler (`enableProfiling`),
 * kernel times summed by op type and averaged over the profiled runs.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { cpuSessionOptions, openSession, type Feeds, type Session, type SessionOptions } from "./latency.js";

export interface OpTime {
  readonly op: string;
  /** Kernel executions per run. */
  readonly calls: number;
  /** Milliseconds per run. */
  readonly ms: number;
  readonly share: number;
}

export interface Profile {
  readonly name: string;
  readonly runs: number;
  /** Sum of kernel times per run (excludes framework overhead between kernels). */
  readonly kernelMs: number;
  readonly byOp: readonly OpTime[];
}

interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string };
}

/**
 * Profiles `warmup + runs` runs and keeps the last `runs`: ORT profiles from session creation on,
 * so warm-up runs cannot go unrecorded and are dropped from the trace by count instead.
 */
export async function profileModel(
  name: string,
  modelPath: string,
  makeFeeds: (session: Session) => Feeds,
  workDir: string,
  options: { runs?: number; warmup?: number; session?: SessionOptions } = {},
): Promise<Profile> {
  const runs = options.runs ?? 5;
  const warmup = options.warmup ?? 2;
  const prefix = join(workDir, `profile-${name}`);
  const { session } = await openSession(modelPath, { ...(options.session ?? cpuSessionOptions()), enableProfiling: true, profileFilePrefix: prefix });
  const feeds = makeFeeds(session);
  for (let i = 0; i < warmup + runs; i++) await session.run(feeds);
  session.endProfiling();
  await session.release();
  const file = readdirSync(workDir)
    .filter((f) => f.startsWith(`profile-${name}`) && f.endsWith(".json"))
    .sort()
    .pop();
  if (!file) throw new Error(`no profile written for ${name} in ${workDir}`);
  const events = JSON.parse(readFileSync(join(workDir, file), "utf8")) as TraceEvent[];
  rmSync(join(workDir, file));
  // Model runs appear as `model_run` events; keep kernel events from the last `runs` runs only.
  const runEvents = events.filter((e) => e.cat === "Session" && e.name === "model_run");
  const kernels = events.filter((e) => e.cat === "Node" && e.name?.endsWith("_kernel_time") && e.args?.op_name);
  const perRun = kernels.length / Math.max(1, runEvents.length);
  const timed = kernels.slice(Math.round(perRun * warmup));
  const byOp = new Map<string, { calls: number; us: number }>();
  for (const e of timed) {
    const op = e.args!.op_name!;
    const entry = byOp.get(op) ?? { calls: 0, us: 0 };
    entry.calls += 1;
    entry.us += e.dur ?? 0;
    byOp.set(op, entry);
  }
  const totalUs = [...byOp.values()].reduce((s, e) => s + e.us, 0);
  return {
    name,
    runs,
    kernelMs: totalUs / runs / 1000,
    byOp: [...byOp]
      .map(([op, e]) => ({ op, calls: e.calls / runs, ms: e.us / runs / 1000, share: e.us / Math.max(1, totalUs) }))
      .sort((a, b) => b.ms - a.ms),
  };
}
