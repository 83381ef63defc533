import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Helpers for running the built CLI (`npm test` builds first). */

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const cliPath = join(repoRoot, "dist", "cli", "main.js");
export const examplesDir = join(repoRoot, "examples");

export interface TfcResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function tfc(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): TfcResult {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
  // Plain output whatever the environment running the tests asks for; a test opts back in via `env`.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["TFC_DEBUG", "FORCE_COLOR", "NO_COLOR"]) delete env[name];
  Object.assign(env, options.env);
  const result = spawnSync(process.execPath, [cliPath, ...args], { cwd: options.cwd ?? repoRoot, env, encoding: "utf8", timeout: 120_000 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `tfc-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A stack frame line as Node prints them: no user should ever see one. */
export const STACK_LINE = /^\s{4}at /m;

export function example(name: string): string {
  return join(examplesDir, name);
}
