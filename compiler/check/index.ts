import type { ModelDeclaration, SourceFile } from "../../grammar/ast.js";
import { Codes, error, hasErrors, type Diagnostic } from "../../grammar/diagnostics.js";
import type { ModelSpec } from "../spec.js";
import { LayoutFiles, type LoadFile } from "./attention/files.js";
import { CheckpointFiles, type LoadCheckpoint } from "./checkpoint.js";
import { resolveLineages } from "./extends.js";
import { NUMERIC_FIELDS } from "./fields.js";
import { LetScope } from "./lets.js";
import { loadProgram, type LoadImport } from "./program.js";
import { readModelMembers, type ModelMembers } from "./read-model.js";
import { Reporter } from "./report.js";
import { resolveModel } from "./resolve-model.js";
import { selectModel } from "./select.js";

export { countParameters, type ParameterCount } from "./count.js";
export { LIMITS } from "./limits.js";
export type { LoadImport } from "./program.js";
export type { LoadFile } from "./attention/files.js";
export type { LoadCheckpoint } from "./checkpoint.js";

export interface CheckOptions {
  /** The model to compile (`--model`); needed when the file declares more than one. */
  readonly model?: string;
  /** Reads an imported file; without it, an `import` is an error. */
  readonly loadImport?: LoadImport;
  /** Reads a layout file (`layout "FILE.json"`); without it, such a pattern is an error. */
  readonly loadFile?: LoadFile;
  /** Reads a checkpoint's header (`weights "FILE" layout …`); without it, such weights are an error. */
  readonly loadCheckpoint?: LoadCheckpoint;
}

export interface CheckResult {
  /** The selected model, when the whole program checked without errors. */
  readonly spec?: ModelSpec;
  /** The models declared in the root file, in order. */
  readonly models: string[];
  /** Every problem found, imported files' parse diagnostics included, in source order. */
  readonly diagnostics: Diagnostic[];
}

/**
 * Checks a parsed file and turns the chosen model into a ModelSpec. Every model of the program is
 * checked and all problems are reported in one run; nothing is thrown on user input.
 */
export function check(ast: SourceFile, options: CheckOptions = {}): CheckResult {
  const reporter = new Reporter();
  let models: string[] = [];
  let files: readonly SourceFile[] = [ast];
  try {
    models = [...new Set(ast.items.flatMap((item) => (item.kind === "Model" ? [item.name.name] : [])))];
    const report = reporter.report;
    const program = loadProgram(ast, options.loadImport, report);
    files = program.files;

    const lets = new LetScope(program.lets, report);
    lets.checkAll();

    const referenceNames = new Set<string>([...NUMERIC_FIELDS, ...program.lets.keys()]);
    const members = new Map<ModelDeclaration, ModelMembers>();
    for (const declaration of program.declarations) {
      members.set(declaration, readModelMembers(declaration, referenceNames, report));
    }

    const lineages = resolveLineages(program, report);
    const selected = selectModel(program, options.model, report);
    const parents = new Set<ModelDeclaration>();
    for (const lineage of lineages.values()) lineage.chain.slice(0, -1).forEach((parent) => parents.add(parent));

    // Parents first, so a problem in an inherited field is reported at the parent, without a
    // "while checking" label, when it does not depend on the child.
    const specs = new Map<ModelDeclaration, ModelSpec | undefined>();
    const layoutFiles = new LayoutFiles(options.loadFile);
    const checkpoints = new CheckpointFiles(options.loadCheckpoint);
    const resolve = (model: ModelDeclaration): void => {
      if (specs.has(model)) return;
      specs.set(model, undefined); // a cyclic `extends` comes back here
      const lineage = lineages.get(model)!;
      for (const ancestor of lineage.chain.slice(0, -1)) resolve(ancestor);
      specs.set(
        model,
        resolveModel(model, {
          lineage,
          members: (declaration) => members.get(declaration)!,
          lets,
          concrete: !parents.has(model) || model === selected,
          layoutFiles,
          checkpoints,
          loadFile: options.loadFile,
          report,
        }),
      );
    };
    for (const model of program.models.values()) resolve(model);

    const spec = selected && !hasErrors(reporter.diagnostics) ? specs.get(selected) : undefined;
    return { spec, models, diagnostics: inSourceOrder(reporter.diagnostics, files) };
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    const start = ast?.span?.start ?? { offset: 0, line: 1, column: 1 };
    reporter.report(
      error(Codes.Internal, `internal error in the checker: ${message}`, { file: String(ast?.file), start, end: start }, {
        help: "this is a bug in tfc; please report it with the file that caused it",
      }),
    );
    return { models, diagnostics: inSourceOrder(reporter.diagnostics, files) };
  }
}

function inSourceOrder(diagnostics: readonly Diagnostic[], files: readonly SourceFile[]): Diagnostic[] {
  const fileIndex = (file: string): number => {
    const index = files.findIndex((source) => source.file === file);
    return index < 0 ? files.length : index;
  };
  return diagnostics
    .map((diagnostic, order) => ({ diagnostic, order }))
    .sort(
      (a, b) =>
        fileIndex(a.diagnostic.span.file) - fileIndex(b.diagnostic.span.file) ||
        a.diagnostic.span.start.offset - b.diagnostic.span.start.offset ||
        a.order - b.order,
    )
    .map(({ diagnostic }) => diagnostic);
}
