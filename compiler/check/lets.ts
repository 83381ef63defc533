import type { LetDeclaration, NameExpression } from "../../grammar/ast.js";
import { Codes, error } from "../../grammar/diagnostics.js";
import { evaluate } from "./evaluate.js";
import { isFieldName } from "./fields.js";
import { quote } from "./format.js";
import type { Report } from "./report.js";
import { didYouMean } from "./suggest.js";

/**
 * `let` constants: shared by every model of the program, so a `let` may use numbers and other
 * `let`s but no model field. Evaluated once, on first use, with cycles reported.
 */
export class LetScope {
  private readonly values = new Map<string, { readonly value: number | undefined }>();
  private readonly inProgress: string[] = [];

  constructor(
    private readonly lets: ReadonlyMap<string, LetDeclaration>,
    private readonly report: Report,
  ) {}

  has(name: string): boolean {
    return this.lets.has(name);
  }

  names(): string[] {
    return [...this.lets.keys()];
  }

  /** Evaluates every `let`, so errors in unused ones are reported too. */
  checkAll(): void {
    for (const name of this.lets.keys()) this.value(name);
  }

  value(name: string): number | undefined {
    const done = this.values.get(name);
    if (done) return done.value;
    const declaration = this.lets.get(name);
    if (!declaration) return undefined;
    if (this.inProgress.includes(name)) {
      this.reportCycle(name);
      return undefined;
    }
    this.inProgress.push(name);
    const result = evaluate(declaration.value, this.resolveName, this.report);
    this.inProgress.pop();
    // A `let` in a cycle was given its value while reporting the cycle; keep that.
    if (!this.values.has(name)) this.values.set(name, { value: result?.value });
    return this.values.get(name)!.value;
  }

  private readonly resolveName = (expr: NameExpression): number | undefined => {
    if (this.lets.has(expr.name)) return this.value(expr.name);
    if (isFieldName(expr.name)) {
      this.report(
        error(Codes.UnknownName, `${quote(expr.name)} is a model field, which a \`let\` cannot use`, expr.span, {
          label: "a model field",
          help: "a `let` is shared by all models, so it can use only numbers and other `let`s; write the expression in the model instead",
        }),
      );
      return undefined;
    }
    const suggestion = didYouMean(expr.name, this.lets.keys());
    this.report(
      error(Codes.UnknownName, `unknown name ${quote(expr.name)}`, expr.span, {
        label: "not a `let`",
        help: suggestion ? `did you mean ${quote(suggestion)}?` : "a `let` can use numbers and the `let`s of its program",
        fix: suggestion ? { span: expr.span, replacement: suggestion } : undefined,
      }),
    );
    return undefined;
  };

  private reportCycle(name: string): void {
    const cycle = [...this.inProgress.slice(this.inProgress.indexOf(name)), name];
    const first = this.lets.get(name)!;
    this.report(
      error(Codes.CyclicDefinition, `\`let ${name}\` is defined in terms of itself: ${cycle.join(" → ")}`, first.name.span, {
        label: "defined in terms of itself",
        labels: cycle.slice(1, -1).map((other) => ({ span: this.lets.get(other)!.name.span, message: `${quote(other)} is defined here` })),
        help: "give one of them a number",
      }),
    );
    for (const member of cycle) this.values.set(member, { value: undefined });
  }
}
