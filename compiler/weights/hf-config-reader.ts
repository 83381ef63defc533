import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from "jsonc-parser";
import { Codes, error, type Diagnostic, type DiagnosticCode } from "../../grammar/diagnostics.js";
import { LineIndex } from "../../grammar/source-text.js";
import type { Span } from "../../grammar/span.js";
import { didYouMean } from "../../grammar/suggest.js";

/** A field's class default, or how to compute it from other fields (`n_inner` = 4 · `n_embd`). */
export type Fallback<T> = T | (() => T | undefined);

/**
 * Reads the fields of a Hugging Face config.json with the position of each, so a problem is
 * reported at its key like any spec error. Absent fields take the Hugging Face class's default,
 * as `from_pretrained` does; which ones did is recorded for the written spec's header.
 */
export class ConfigReader {
  readonly diagnostics: Diagnostic[] = [];
  /** Fields read from their class default because the file does not set them. */
  readonly defaulted: string[] = [];
  private readonly lines: LineIndex;
  private readonly root: Node | undefined;

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    this.lines = new LineIndex(text, file);
    const errors: ParseError[] = [];
    const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
    if (errors.length > 0) {
      // The first error is the cause; the parser's later ones are mostly its echoes.
      for (const problem of errors.slice(0, 1)) {
        this.diagnostics.push(
          error(Codes.InvalidConfig, `${file} is not valid JSON: ${describeParseError(problem)}`, this.lines.span(problem.offset, problem.offset + problem.length), {
            label: "here",
            help: "a config.json is one JSON object, as Hugging Face's `save_pretrained` writes it",
          }),
        );
      }
    } else if (root?.type !== "object") {
      this.diagnostics.push(
        error(Codes.InvalidConfig, `${file} is not a JSON object`, this.lines.span(root?.offset ?? 0, (root?.offset ?? 0) + (root?.length ?? 0)), {
          label: "expected `{ … }`",
          help: "a config.json is one JSON object, as Hugging Face's `save_pretrained` writes it",
        }),
      );
    } else {
      this.root = root;
    }
  }

  get ok(): boolean {
    return this.root !== undefined;
  }

  /** The keys the file sets. */
  keys(): string[] {
    return (this.root?.children ?? []).map((property) => String(property.children?.[0]?.value));
  }

  has(key: string): boolean {
    return this.valueNode(key) !== undefined && this.raw(key) !== null;
  }

  /** Where `key` is written (its key and value), or the file's first character. */
  span(key?: string): Span {
    const property = key === undefined ? undefined : this.valueNode(key)?.parent;
    if (property) return this.lines.span(property.offset, property.offset + property.length);
    const at = this.root?.offset ?? 0;
    return this.lines.span(at, at + 1);
  }

  /** A positive integer (`hidden_size`); the class default when absent. */
  integer(key: string, fallback?: Fallback<number>, options: { readonly min?: number } = {}): number | undefined {
    const value = this.value(key, fallback, "a whole number");
    if (value === undefined) return undefined;
    const min = options.min ?? 1;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      this.bad(key, `\`${key}\` must be a whole number ≥ ${min}, not ${JSON.stringify(value)}`, `write a whole number ≥ ${min}`);
      return undefined;
    }
    return value;
  }

  /** A positive number (`layer_norm_eps`). */
  positive(key: string, fallback?: Fallback<number>): number | undefined {
    const value = this.value(key, fallback, "a number");
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
      this.bad(key, `\`${key}\` must be a positive number, not ${JSON.stringify(value)}`, "write a positive number");
      return undefined;
    }
    return value;
  }

  string(key: string, fallback?: Fallback<string>): string | undefined {
    const value = this.value(key, fallback, "a string");
    if (value === undefined) return undefined;
    if (typeof value !== "string") {
      this.bad(key, `\`${key}\` must be a string, not ${JSON.stringify(value)}`, "write a string");
      return undefined;
    }
    return value;
  }

  boolean(key: string, fallback?: Fallback<boolean>): boolean | undefined {
    const value = this.value(key, fallback, "true or false");
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") {
      this.bad(key, `\`${key}\` must be true or false, not ${JSON.stringify(value)}`, "write true or false");
      return undefined;
    }
    return value;
  }

  /** The JSON value as written (null when written as null); undefined when absent. */
  raw(key: string): unknown {
    const node = this.valueNode(key);
    return node === undefined ? undefined : getNodeValue(node);
  }

  /** A value tfc cannot express: reported at the field, with what tfc supports. */
  unsupported(key: string, message: string, help: string): void {
    this.diagnostics.push(error(Codes.UnsupportedConfig, message, this.span(key), { label: "not supported", help }));
  }

  /** A string field that must be one of `choices` (`hidden_act`), with a did-you-mean. */
  choice<T extends string>(key: string, fallback: string, choices: Readonly<Record<string, T>>, what: string): T | undefined {
    const value = this.string(key, fallback);
    if (value === undefined) return undefined;
    const known = Object.keys(choices);
    if (Object.prototype.hasOwnProperty.call(choices, value)) return choices[value];
    const suggestion = didYouMean(value, known);
    this.unsupported(
      key,
      `${what} ${JSON.stringify(value)} is not supported`,
      suggestion ? `did you mean ${JSON.stringify(suggestion)}?` : `tfc supports ${known.map((k) => JSON.stringify(k)).join(", ")}`,
    );
    return undefined;
  }

  fail(code: DiagnosticCode, key: string | undefined, message: string, help: string): void {
    this.diagnostics.push(error(code, message, this.span(key), { label: key === undefined ? "in this config" : "here", help }));
  }

  private value<T>(key: string, fallback: Fallback<T> | undefined, what: string): unknown {
    const written = this.raw(key);
    if (written !== undefined && written !== null) return written;
    const value = typeof fallback === "function" ? (fallback as () => T | undefined)() : fallback;
    if (value === undefined) {
      this.fail(Codes.MissingField, undefined, `the config has no \`${key}\``, `add \`"${key}": …\` (${what})`);
      return undefined;
    }
    this.defaulted.push(key);
    return value;
  }

  private bad(key: string, message: string, help: string): void {
    this.diagnostics.push(error(Codes.BadValue, message, this.span(key), { label: "here", help }));
  }

  private valueNode(key: string): Node | undefined {
    return this.root ? findNodeAtLocation(this.root, [key]) : undefined;
  }
}

function describeParseError(problem: ParseError): string {
  const words = printParseErrorCode(problem.error)
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
  return words;
}
