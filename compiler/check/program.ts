import type { ImportDeclaration, LetDeclaration, ModelDeclaration, SourceFile } from "../../grammar/ast.js";
import { Codes, error, type Diagnostic } from "../../grammar/diagnostics.js";
import { isFieldName } from "./fields.js";
import { quote } from "./format.js";
import type { Report } from "./report.js";

/** Reads an imported file: `path` as written, relative to `fromFile`. */
export type LoadImport = (
  path: string,
  fromFile: string,
) => { ast: SourceFile; diagnostics: Diagnostic[] } | { error: string };

/** Everything visible to the checker: the root file and what it imports, with one namespace for each kind of name. */
export interface Program {
  readonly root: SourceFile;
  /** Root first, then imported files in the order they were found (for sorting diagnostics). */
  readonly files: readonly SourceFile[];
  /** Every model declaration, imported files' before the importer's (duplicates included). */
  readonly declarations: readonly ModelDeclaration[];
  /** The first declaration of each model name. */
  readonly models: ReadonlyMap<string, ModelDeclaration>;
  readonly lets: ReadonlyMap<string, LetDeclaration>;
}

/**
 * Follows imports (reporting missing files and cycles) and gathers models and `let`s. An import
 * makes the imported file's models and `let`s visible as if declared above the importer's.
 */
export function loadProgram(root: SourceFile, loadImport: LoadImport | undefined, report: Report): Program {
  const files: SourceFile[] = [root];
  const declarations: ModelDeclaration[] = [];
  const models = new Map<string, ModelDeclaration>();
  const lets = new Map<string, LetDeclaration>();
  const loaded = new Set<string>([root.file]);

  const visit = (file: SourceFile, stack: readonly string[]): void => {
    for (const item of file.items) {
      if (item.kind === "Import") follow(item, file, stack);
    }
    for (const item of file.items) {
      if (item.kind === "Model") addModel(item);
      else if (item.kind === "Let") addLet(item);
    }
  };

  const follow = (item: ImportDeclaration, from: SourceFile, stack: readonly string[]): void => {
    const path = item.path.value;
    if (!loadImport) {
      report(
        error(Codes.FileNotFound, `cannot import ${quote(path)}: no file loader was given`, item.path.span, {
          label: "not loaded",
          help: "pass `loadImport` to check() to follow imports (the tfc command does)",
        }),
      );
      return;
    }
    let result: ReturnType<LoadImport>;
    try {
      result = loadImport(path, from.file);
    } catch (thrown) {
      result = { error: thrown instanceof Error ? thrown.message : String(thrown) };
    }
    if ("error" in result) {
      report(
        error(Codes.FileNotFound, `cannot import ${quote(path)}`, item.path.span, {
          label: result.error,
          help: "import paths are relative to the file that imports them",
        }),
      );
      return;
    }
    const imported = result.ast;
    if (stack.includes(imported.file)) {
      const cycle = [...stack.slice(stack.indexOf(imported.file)), imported.file];
      report(
        error(Codes.ImportCycle, `import cycle: ${cycle.join(" → ")}`, item.path.span, {
          label: "imports a file that imports this one",
          help: "move what both files need into a third file that each imports",
        }),
      );
      return;
    }
    if (loaded.has(imported.file)) return; // already visible through another import
    loaded.add(imported.file);
    files.push(imported);
    for (const diagnostic of result.diagnostics) report(diagnostic);
    visit(imported, [...stack, imported.file]);
  };

  const addModel = (model: ModelDeclaration): void => {
    declarations.push(model);
    const first = models.get(model.name.name);
    if (first) {
      report(
        error(Codes.DuplicateModel, `model ${quote(model.name.name)} is declared twice`, model.name.span, {
          label: "declared again",
          labels: [{ span: first.name.span, message: "first declared here" }],
          help: "rename one of them; a variant of a model can `extends` it",
        }),
      );
      return;
    }
    models.set(model.name.name, model);
  };

  const addLet = (item: LetDeclaration): void => {
    const name = item.name.name;
    if (isFieldName(name)) {
      report(
        error(Codes.DuplicateName, `${quote(name)} is a model field and cannot be a \`let\``, item.name.span, {
          label: "a model field",
          help: `in a model, ${quote(name)} means the field; rename the \`let\`, for example \`base_${name}\``,
        }),
      );
      return;
    }
    const first = lets.get(name);
    if (first) {
      report(
        error(Codes.DuplicateName, `\`let ${name}\` is declared twice`, item.name.span, {
          label: "declared again",
          labels: [{ span: first.name.span, message: "first declared here" }],
          help: "a `let` is set once; rename one of them",
        }),
      );
      return;
    }
    lets.set(name, item);
  };

  visit(root, [root.file]);
  return { root, files, declarations, models, lets };
}
