/**
 * Models the bench builds with the system Python (torch / onnx): run once, then reused while the
 * script and its arguments are unchanged (a sidecar `.key` holds their hash), since exporting
 * BERT-base from PyTorch takes longer than timing it.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export const PYTHON = process.env.TFC_BENCH_PYTHON ?? "/usr/bin/python3";

export interface PythonBuild {
  readonly path: string;
  /** The script's last stdout line, parsed as JSON (or `{}`). */
  readonly info: Record<string, unknown>;
  readonly cached: boolean;
  readonly buildMs: number;
}

/** Runs `python script --out <out> ...args` unless `out` was already built by the same script and args. */
export function buildWithPython(script: string, out: string, args: readonly string[] = []): PythonBuild {
  const key = createHash("sha256")
    .update(readFileSync(script))
    .update("\0" + args.join("\0"))
    .digest("hex");
  const keyFile = `${out}.key`;
  if (existsSync(out) && existsSync(keyFile)) {
    const saved = JSON.parse(readFileSync(keyFile, "utf8")) as { key: string; info: Record<string, unknown> };
    if (saved.key === key) return { path: out, info: saved.info, cached: true, buildMs: 0 };
  }
  mkdirSync(dirname(out), { recursive: true });
  rmSync(keyFile, { force: true });
  const start = performance.now();
  const stdout = execFileSync(PYTHON, [script, "--out", out, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 24 });
  const buildMs = performance.now() - start;
  const last = stdout.trim().split("\n").pop() ?? "";
  let info: Record<string, unknown> = {};
  try {
    info = JSON.parse(last) as Record<string, unknown>;
  } catch {
    // The script printed no JSON summary; nothing to record.
  }
  writeFileSync(keyFile, JSON.stringify({ key, info }));
  return { path: out, info, cached: false, buildMs };
}

/** `python -c` for a version string; undefined when the module is missing. */
export function pythonModuleVersion(module: string): string | undefined {
  try {
    return execFileSync(PYTHON, ["-c", `import ${module}; print(${module}.__version__)`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}
