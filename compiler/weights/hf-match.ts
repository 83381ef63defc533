import type { ModelSpec } from "../spec.js";
import type { HfLayoutDefinition, TensorTransform } from "./hf-layout.js";

/**
 * A checkpoint's header against what a layout expects of a spec: pure, so the checker reports the
 * result as diagnostics and lowering reads the same bindings.
 */

/** What the header says of one tensor (the safetensors reader's entry, or any other source). */
export interface HeaderTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
}

/** The stored dtypes tfc reads as float32. */
export const READABLE_DTYPES: readonly string[] = ["F32", "F16", "BF16"];

export type CheckpointProblem =
  | { readonly kind: "missing"; readonly tensor: string; readonly expected: readonly number[]; readonly params: readonly string[] }
  | { readonly kind: "shape"; readonly tensor: string; readonly expected: readonly number[]; readonly found: readonly number[] }
  | { readonly kind: "dtype"; readonly tensor: string; readonly dtype: string }
  | { readonly kind: "extra"; readonly tensor: string; readonly found: readonly number[]; readonly dtype: string };

export interface CheckpointMatch {
  /** Where the base model's tensors are in this file: `layout.basePrefix` or `""`. */
  readonly prefix: string;
  /** Missing, mis-shaped, unreadable and unexpected tensors, in the layout's order then the file's. */
  readonly problems: readonly CheckpointProblem[];
  /** Tensors present and deliberately not read (buffers, tied copies). */
  readonly ignored: readonly string[];
}

/** The full name of an expected tensor in a file whose base model sits under `prefix`. */
export function fullName(name: string, inBase: boolean, prefix: string): string {
  return inBase ? `${prefix}${name}` : name;
}

/** A task model's checkpoint (`transformer.h.0…`) keeps the base under a prefix; a base model's does not. */
export function detectPrefix(layout: HfLayoutDefinition, names: Iterable<string>): string {
  for (const name of names) if (name.startsWith(layout.basePrefix)) return layout.basePrefix;
  return "";
}

export function matchCheckpoint(layout: HfLayoutDefinition, spec: ModelSpec, header: ReadonlyMap<string, HeaderTensor>): CheckpointMatch {
  const prefix = detectPrefix(layout, header.keys());
  const problems: CheckpointProblem[] = [];
  const expected = new Set<string>();
  for (const tensor of layout.tensors(spec)) {
    const name = fullName(tensor.name, tensor.inBase, prefix);
    expected.add(name);
    const found = header.get(name);
    if (!found) {
      problems.push({ kind: "missing", tensor: name, expected: tensor.shape, params: tensor.targets.map((target) => target.param) });
    } else if (!sameShape(found.shape, tensor.shape)) {
      problems.push({ kind: "shape", tensor: name, expected: tensor.shape, found: found.shape });
    } else if (!READABLE_DTYPES.includes(found.dtype)) {
      problems.push({ kind: "dtype", tensor: name, dtype: found.dtype });
    }
  }
  const ignoredPatterns = layout.ignored(spec);
  const ignored: string[] = [];
  for (const [name, found] of header) {
    if (expected.has(name)) continue;
    const relative = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    if (ignoredPatterns.some((ignore) => ignore.pattern.test(relative))) ignored.push(name);
    else problems.push({ kind: "extra", tensor: name, found: found.shape, dtype: found.dtype });
  }
  return { prefix, problems, ignored };
}

export interface TensorBinding {
  readonly tensor: string;
  readonly transforms: readonly TensorTransform[];
}

/** Which checkpoint tensor (and how) fills each tfc parameter. */
export function checkpointBindings(layout: HfLayoutDefinition, spec: ModelSpec, prefix: string): Map<string, TensorBinding> {
  const bindings = new Map<string, TensorBinding>();
  for (const tensor of layout.tensors(spec)) {
    const name = fullName(tensor.name, tensor.inBase, prefix);
    for (const target of tensor.targets) bindings.set(target.param, { tensor: name, transforms: target.transforms });
  }
  return bindings;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, index) => dim === b[index]);
}
