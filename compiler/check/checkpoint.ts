import { Codes, error } from "../../grammar/diagnostics.js";
import type { Span } from "../../grammar/span.js";
import type { ModelSpec, WeightsSpec } from "../spec.js";
import type { HfLayoutDefinition } from "../weights/hf-layout.js";
import { HF_LAYOUT_DEFINITIONS } from "../weights/hf-layouts.js";
import { READABLE_DTYPES, formatShape, matchCheckpoint, type CheckpointProblem, type HeaderTensor } from "../weights/hf-match.js";
import { listOf, quote } from "./format.js";
import type { Report } from "./report.js";

/**
 * Reads a checkpoint's header (`weights "FILE" layout …`): `path` as written, relative to
 * `fromFile`. Returns the absolute path and every tensor's dtype and shape; no tensor data.
 */
export type LoadCheckpoint = (
  path: string,
  fromFile: string,
) =>
  | { readonly file: string; readonly tensors: ReadonlyMap<string, HeaderTensor> }
  | { readonly error: string; readonly notFound?: boolean };

/** Problems of one checkpoint beyond this many are summed up in one more diagnostic. */
const SHOWN_PROBLEMS = 8;

/** Where a `weights "FILE" layout …` field was written: the string and the layout name. */
export interface WeightsSpans {
  readonly file: Span;
  readonly layout: Span;
}

/** Checkpoint headers of one check() run, each read once. */
export class CheckpointFiles {
  private readonly cache = new Map<string, ReturnType<LoadCheckpoint>>();

  constructor(private readonly load: LoadCheckpoint | undefined) {}

  /**
   * Checks the spec against its checkpoint's header: the layout's architecture, then every tensor.
   * Returns the weights with the absolute path and the detected prefix, or undefined after reporting.
   */
  bind(spec: ModelSpec, spans: WeightsSpans, report: Report): WeightsSpec | undefined {
    const weights = spec.weights;
    if (weights.kind !== "checkpoint") return weights;
    const layout = HF_LAYOUT_DEFINITIONS[weights.layout];
    const shown = quote(JSON.stringify(weights.file));

    const mismatches = layout.architecture(spec);
    for (const mismatch of mismatches) {
      report(
        error(Codes.CheckpointArchitecture, `layout ${quote(layout.name)} stores ${mismatch.expected}, but this model has ${mismatch.found}`, spec.spans[mismatch.field] ?? spans.layout, {
          label: `not what ${quote(layout.name)} stores`,
          labels: [{ span: spans.layout, message: `the checkpoint layout (${layout.classes})` }],
          help: `write ${mismatch.expected.startsWith(mismatch.field) ? quote(mismatch.expected) : mismatch.expected}, or choose the layout of the checkpoint's architecture; \`tfc import config.json\` writes the spec of a Hugging Face config`,
        }),
      );
    }
    if (mismatches.length > 0) return undefined;

    if (!this.load) {
      report(
        error(Codes.FileNotFound, `cannot read the checkpoint ${shown}: no checkpoint loader was given`, spans.file, {
          label: "not loaded",
          help: "pass `loadCheckpoint` to check() to read checkpoints (the tfc command does)",
        }),
      );
      return undefined;
    }
    const key = `${spans.file.file}\0${weights.file}`;
    let loaded = this.cache.get(key);
    if (!loaded) {
      try {
        loaded = this.load(weights.file, spans.file.file);
      } catch (thrown) {
        loaded = { error: thrown instanceof Error ? thrown.message : String(thrown) };
      }
      this.cache.set(key, loaded);
    }
    if ("error" in loaded) {
      report(
        error(loaded.notFound ? Codes.FileNotFound : Codes.InvalidCheckpoint, `cannot read the checkpoint ${shown}`, spans.file, {
          label: loaded.error,
          help: loaded.notFound
            ? "checkpoint paths are relative to the spec file that names them"
            : "checkpoints are safetensors files (an 8-byte header length, a JSON header, the data), as Hugging Face's `save_pretrained` writes them",
        }),
      );
      return undefined;
    }

    const match = matchCheckpoint(layout, spec, loaded.tensors);
    const problems = match.problems;
    for (const problem of problems.slice(0, SHOWN_PROBLEMS)) report(problemDiagnostic(problem, layout, shown, spans));
    if (problems.length > SHOWN_PROBLEMS) {
      const rest = problems.slice(SHOWN_PROBLEMS);
      const counts = (["missing", "shape", "dtype", "extra"] as const)
        .map((kind) => ({ kind, n: rest.filter((problem) => problem.kind === kind).length }))
        .filter(({ n }) => n > 0)
        .map(({ kind, n }) => `${n} ${{ missing: "missing", shape: "mis-shaped", dtype: "unreadable", extra: "unexpected" }[kind]}`);
      report(
        error(problemCode(rest[0]), `checkpoint ${shown}: ${rest.length} more tensors do not match (${listOf(counts)})`, spans.file, {
          label: `does not fit the model as layout ${quote(layout.name)}`,
          help: "`tfc import config.json` writes the spec that matches a Hugging Face checkpoint's config",
        }),
      );
    }
    return problems.length > 0 ? undefined : { ...weights, file: loaded.file, prefix: match.prefix };
  }
}

function problemCode(problem: CheckpointProblem) {
  switch (problem.kind) {
    case "missing":
      return Codes.CheckpointMissingTensor;
    case "extra":
      return Codes.CheckpointExtraTensor;
    case "shape":
      return Codes.CheckpointTensorShape;
    case "dtype":
      return Codes.CheckpointTensorDtype;
  }
}

function problemDiagnostic(problem: CheckpointProblem, layout: HfLayoutDefinition, shown: string, spans: WeightsSpans) {
  // Each names the tensor and the layout in words; a second caret under the layout would repeat on every one.
  const tensor = quote(problem.tensor);
  switch (problem.kind) {
    case "missing":
      return error(Codes.CheckpointMissingTensor, `checkpoint ${shown} has no tensor ${tensor} (expected shape ${formatShape(problem.expected)})`, spans.file, {
        label: `missing ${tensor}`,
        help: `the model reads it into ${listOf(problem.params.map(quote))}; check that the spec's sizes and \`output\` are the checkpoint's (\`tfc import config.json\` writes them)`,
      });
    case "shape":
      return error(
        Codes.CheckpointTensorShape,
        `checkpoint tensor ${tensor} has shape ${formatShape(problem.found)}, expected ${formatShape(problem.expected)}`,
        spans.file,
        {
          label: `${tensor} is ${formatShape(problem.found)}`,
          help: "the expected shape follows from the spec's width, heads, ffn, vocab and context; make them the checkpoint's (`tfc import config.json` writes them)",
        },
      );
    case "dtype":
      return error(Codes.CheckpointTensorDtype, `checkpoint tensor ${tensor} is stored as ${problem.dtype}`, spans.file, {
        label: `${tensor} is ${problem.dtype}`,
        help: `tfc reads ${listOf(READABLE_DTYPES, "or")} weights; convert the checkpoint (e.g. \`model.float()\` before saving)`,
      });
    case "extra":
      return error(
        Codes.CheckpointExtraTensor,
        `checkpoint tensor ${tensor} (${problem.dtype} ${formatShape(problem.found)}) is not part of the model as layout ${quote(layout.name)} maps it`,
        spans.file,
        {
          label: `unexpected ${tensor}`,
          help: `every tensor of the file must be read: check that the spec's \`layers\` and \`output\` are the checkpoint's, or save the checkpoint without this tensor (layout ${quote(layout.name)} reads ${layout.classes})`,
        },
      );
  }
}
