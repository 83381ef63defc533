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
 * Profiles several models' runs, interleaved round by round like `timeInterleaved` so that drift in
 * the machine's speed does not land on one model's profile. Each session profiles `warmup + runs`
 * runs and the first `warmup` are dropped by count: ORT profiles from session creation on, so
 * warm-up runs cannot go unrecorded.
 */
export async function profileInterleaved(
  models: readonly { readonly name: string; readonly path: string }[],
  makeFeeds: (session: Session) => Feeds,
  workDir: string,
  options: { runs?: number; warmup?: number; session?: SessionOptions } = {},
): Promise<Profile[]> {
  const runs = options.runs ?? 5;
  const warmup = options.warmup ?? 2;
  const opened: { name: string; session: Session; feeds: Feeds }[] = [];
  for (const m of models) {
    const { session } = await openSession(m.path, {
      ...(options.session ?? cpuSessionOptions()),
      enableProfiling: true,
      profileFilePrefix: join(workDir, `profile-${m.name}`),
    });
    opened.push({ name: m.name, session, feeds: makeFeeds(session) });
  }
  for (let round = 0; round < warmup + runs; round++) {
    for (const o of round % 2 === 0 ? opened : [...opened].reverse()) await o.session.run(o.feeds);
  }
  const profiles: Profile[] = [];
  for (const o of opened) {
    o.session.endProfiling();
    await o.session.release();
    profiles.push(summarizeTrace(o.name, readTrace(workDir, o.name), warmup, runs));
  }
  return profiles;
}

/** Profiles one model on its own (see `profileInterleaved`). */
export async function profileModel(
  name: string,
  modelPath: string,
  makeFeeds: (session: Session) => Feeds,
  workDir: string,
  options: { runs?: number; warmup?: number; session?: SessionOptions } = {},
): Promise<Profile> {
  const [profile] = await profileInterleaved([{ name, path: modelPath }], makeFeeds, workDir, options);
  return profile;
}

function readTrace(workDir: string, name: string): TraceEvent[] {
  const file = readdirSync(workDir)
    .filter((f) => f.startsWith(`profile-${name}_`) && f.endsWith(".json"))
    .sort()
    .pop();
  if (!file) throw new Error(`no profile written for ${name} in ${workDir}`);
  const events = JSON.parse(readFileSync(join(workDir, file), "utf8")) as TraceEvent[];
  rmSync(join(workDir, file));
  return events;
}

function summarizeTrace(name: string, events: readonly TraceEvent[], warmup: number, runs: number): Profile {
  // Kernel events come in run order; keep those of the last `runs` runs.
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
  const totalUs = [...byOp.values()].reduce((sum, e) => sum + e.us, 0);
  return {
    name,
    runs,
    kernelMs: totalUs / runs / 1000,
    byOp: [...byOp]
      .map(([op, e]) => ({ op, calls: e.calls / runs, ms: e.us / runs / 1000, share: e.us / Math.max(1, totalUs) }))
      .sort((a, b) => b.ms - a.ms),
  };
}
