import type { ModelDeclaration } from "../../grammar/ast.js";
import { Codes, error } from "../../grammar/diagnostics.js";
import { quote } from "./format.js";
import type { Program } from "./program.js";
import type { Report } from "./report.js";
import { didYouMean } from "./suggest.js";

export interface Lineage {
  /** The oldest ancestor first, the model itself last. */
  readonly chain: readonly ModelDeclaration[];
  /** An ancestor is unknown or the chain loops: the model's fields are incomplete for reasons already reported. */
  readonly broken: boolean;
}

/** Resolves `extends` for every model: unknown parents (with a suggestion) and cycles are reported once. */
export function resolveLineages(program: Program, report: Report): Map<ModelDeclaration, Lineage> {
  const lineages = new Map<ModelDeclaration, Lineage>();
  const reportedCycles = new Set<string>();
  const names = [...program.models.keys()];

  for (const model of program.models.values()) {
    const parent = model.parent;
    if (parent && !program.models.has(parent.name)) {
      const suggestion = didYouMean(parent.name, names.filter((name) => name !== model.name.name));
      report(
        error(Codes.UnknownModel, `unknown model ${quote(parent.name)}`, parent.span, {
          label: "no model has this name",
          help: suggestion
            ? `did you mean ${quote(suggestion)}?`
            : names.length > 1
              ? `models in scope: ${names.filter((name) => name !== model.name.name).join(", ")}`
              : "declare the parent model in this file or import the file that declares it",
          fix: suggestion ? { span: parent.span, replacement: suggestion } : undefined,
        }),
      );
    }
  }

  for (const model of program.models.values()) {
    const chain: ModelDeclaration[] = [model];
    let broken = false;
    let current = model;
    while (current.parent) {
      const parent = program.models.get(current.parent.name);
      if (!parent) {
        broken = true;
        break;
      }
      const loopStart = chain.indexOf(parent);
      if (loopStart >= 0) {
        broken = true;
        reportCycle(chain.slice(0, loopStart + 1).reverse(), program, reportedCycles, report);
        break;
      }
      chain.unshift(parent);
      current = parent;
    }
    lineages.set(model, { chain, broken });
  }
  return lineages;
}

/** `members` in `extends` order, each extending the next and the last extending the first. */
function reportCycle(
  members: readonly ModelDeclaration[],
  program: Program,
  reported: Set<string>,
  report: Report,
): void {
  const key = members.map((member) => member.name.name).sort().join(" ");
  if (reported.has(key)) return;
  reported.add(key);
  // Start the story at the member declared first.
  const order = program.declarations;
  const start = members.reduce((best, member) => (order.indexOf(member) < order.indexOf(best) ? member : best));
  const index = members.indexOf(start);
  const rotated = [...members.slice(index), ...members.slice(0, index)];
  const path = [...rotated, rotated[0]].map((member) => member.name.name).join(" → ");
  report(
    error(Codes.CyclicDefinition, `model ${quote(start.name.name)} extends itself: ${path}`, start.parent!.span, {
      label: "extends itself",
      labels: rotated.slice(1).map((member) => ({
        span: member.parent!.span,
        message: `${quote(member.name.name)} extends ${quote(member.parent!.name)}`,
      })),
      help: "one model of the chain must not extend another",
    }),
  );
}
