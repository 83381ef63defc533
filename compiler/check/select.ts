import type { ModelDeclaration } from "../../grammar/ast.js";
import { Codes, error } from "../../grammar/diagnostics.js";
import type { Span } from "../../grammar/span.js";
import { listOf, quote } from "./format.js";
import type { Program } from "./program.js";
import type { Report } from "./report.js";
import { didYouMean } from "./suggest.js";

/**
 * Picks the model to compile: the one named by `--model` (any model in scope, imported ones too),
 * else the only model of the root file. Several models and no name is an error that lists them.
 */
export function selectModel(program: Program, requested: string | undefined, report: Report): ModelDeclaration | undefined {
  const root = program.root;
  const start: Span = { file: root.file, start: root.span.start, end: root.span.start };
  const own = program.declarations.filter((model) => model.span.file === root.file);
  const ownNames = [...new Set(own.map((model) => model.name.name))];

  if (requested !== undefined) {
    const model = program.models.get(requested);
    if (model) return model;
    const names = [...program.models.keys()];
    const suggestion = didYouMean(requested, names);
    report(
      error(Codes.UnknownModel, `no model named ${quote(requested)} in ${root.file}`, start, {
        label: "asked for by --model",
        help: suggestion
          ? `did you mean ${quote(suggestion)}?`
          : names.length > 0
            ? `the models are ${listOf(names.map(quote))}`
            : "the file declares no model",
      }),
    );
    return undefined;
  }

  if (ownNames.length === 1) return program.models.get(ownNames[0]);
  if (ownNames.length === 0) {
    const imported = [...program.models.keys()];
    report(
      error(Codes.NoModel, `${root.file} declares no model`, start, {
        label: "no model here",
        help:
          imported.length > 0
            ? `choose an imported model with --model: ${listOf(imported.map(quote), "or")}`
            : "declare one: `model NAME { kind decoder vocab … }`",
      }),
    );
    return undefined;
  }
  const [first, ...others] = ownNames.map((name) => program.models.get(name)!);
  report(
    error(Codes.ModelNotChosen, `${root.file} declares ${ownNames.length} models; choose one with --model`, first.name.span, {
      label: "one of the models",
      labels: others.map((model) => ({ span: model.name.span, message: "another model" })),
      help: `the models are ${listOf(ownNames.map(quote))}`,
    }),
  );
  return undefined;
}
