import { spawn } from "node:child_process";

export type ChildOutcome<T> =
  | { readonly value: T; readonly wallMs: number }
  | { readonly failure: string; readonly wallMs: number };

/**
 * Runs a bench worker script in a fresh `node` process (so its timings and peak memory are its own)
 * and parses the last line it prints as JSON. A worker that dies or prints no JSON becomes a
 * `failure` naming its exit code and the first lines of its output.
 */
export function runJsonChild<T>(worker: string, args: readonly string[]): Promise<ChildOutcome<T>> {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(process.execPath, [worker, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => {
      const wallMs = performance.now() - start;
      try {
        resolve({ value: JSON.parse(stdout.trim().split("\n").pop() ?? "") as T, wallMs });
      } catch {
        resolve({ failure: `worker exited with ${code}: ${(stderr.trim() || stdout.trim()).split("\n").slice(0, 3).join(" | ")}`, wallMs });
      }
    });
  });
}
