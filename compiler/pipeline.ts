import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse } from "../grammar/index.js";
import { Codes, error, hasErrors, type Diagnostic } from "../grammar/diagnostics.js";
import type { SourceFile } from "../grammar/ast.js";
import { check } from "./check/index.js";
import type { Graph } from "./ir/graph.js";
import { lowerModel } from "./lower/lower.js";
import { buildPlan, type ExecutionPlan } from "./plan.js";
import type { ModelSpec } from "./spec.js";

/** Spec files are text a person writes; anything larger is a mistake, refused before reading. */
export const MAX_SOURCE_BYTES = 1 << 20;

export interface FrontEndResult {
  readonly spec?: ModelSpec;
  /** Every model declared in the file (for `--model` hints). */
  readonly models: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
  /** Text of every file read (the root and its imports), for rendering diagnostics. */
  readonly sources: ReadonlyMap<string, string>;
}

export type ReadResult = { readonly text: string } | { readonly problem: string };

/** Reads a spec file with the size limit checked first. Never throws. */
export function readSource(path: string): ReadResult {
  try {
    const size = statSync(path).size;
    if (size > MAX_SOURCE_BYTES) {
      return { problem: `${path} is ${size} bytes; spec files are limited to ${MAX_SOURCE_BYTES} bytes` };
    }
    return { text: readFileSync(path, "utf8") };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (e as Error).message;
    return { problem: `cannot read ${path}: ${reason}` };
  }
}

/** Parses and checks `text` (named `file`), resolving `import`s relative to it on disk. */
export function checkSource(text: string, file: string, options: { model?: string } = {}): FrontEndResult {
  const sources = new Map<string, string>([[file, text]]);
  const parsed = parse(text, file);
  if (hasErrors(parsed.diagnostics)) return { models: [], diagnostics: parsed.diagnostics, sources };
  const loadImport = (path: string, fromFile: string): { ast: SourceFile; diagnostics: Diagnostic[] } | { error: string } => {
    const target = resolve(dirname(fromFile), path);
    const read = readSource(target);
    if ("problem" in read) return { error: read.problem };
    sources.set(target, read.text);
    const result = parse(read.text, target);
    return { ast: result.ast, diagnostics: [...result.diagnostics] };
  };
  const checked = check(parsed.ast, { model: options.model, loadImport });
  return {
    spec: checked.spec,
    models: checked.models,
    diagnostics: [...parsed.diagnostics, ...checked.diagnostics],
    sources,
  };
}

/** Reads, parses and checks a spec file. File problems come back as diagnostics too. */
export function checkFile(path: string, options: { model?: string } = {}): FrontEndResult {
  const read = readSource(path);
  if ("problem" in read) {
    const origin = { offset: 0, line: 1, column: 1 };
    const diagnostic = error(Codes.FileNotFound, read.problem, { file: path, start: origin, end: origin }, {
      help: "check the path; spec files end in .tfx",
    });
    return { models: [], diagnostics: [diagnostic], sources: new Map() };
  }
  return checkSource(read.text, path, options);
}

export interface CompiledModel {
  readonly spec: ModelSpec;
  readonly graph: Graph;
  readonly plan: ExecutionPlan;
}

/** Spec → IR graph → plan. Allocates no weights: those are produced when the graph is emitted. */
export function compileSpec(spec: ModelSpec, options: { onnxFile?: string } = {}): CompiledModel {
  const graph = lowerModel(spec);
  return { spec, graph, plan: buildPlan(spec, graph, options.onnxFile) };
}
