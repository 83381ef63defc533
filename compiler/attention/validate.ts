import { Codes, error, type Diagnostic, type DiagnosticLabel } from "../../grammar/diagnostics.js";
import type { Span } from "../../grammar/span.js";
import { nearestDivisors, nearestMultiples } from "./block-size.js";
import { visibleBlocks, type BlockGrid } from "./grid.js";
import type { TermInstance, PatternInstance } from "./instance.js";
import type { HeadLayout } from "./layout.js";
import { ATTENTION_LIMITS } from "./limits.js";
import type { Parameter } from "./terms.js";

/**
 * The attention validator. Before generation, `checkTerm` checks each term's arguments against its
 * layer (block size, context, encoder or decoder); after, `RowChecker` checks every head's rows.
 * Diagnostics point at the spec: the argument, the term or the pattern, with the selector as a label.
 */

export type ReportDiagnostic = (diagnostic: Diagnostic) => void;

/** What a term is checked against. */
export interface LayerFrame {
  readonly grid: BlockGrid;
  readonly context: number;
  /** Where `context` is set, for labels. */
  readonly contextSpan?: Span;
  /** Where the layer's block size was set, when a term set it (undefined: the default rule). */
  readonly blockSpan?: Span;
  /** The model's name, for messages. */
  readonly model: string;
}

function list(items: readonly (string | number)[]): string {
  const shown = items.map(String);
  return shown.length <= 1 ? shown.join("") : `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
}

/** Checks a block size a term sets: it must divide the context, and give at most the block limit. */
export function checkBlockSize(size: number, span: Span, frame: Pick<LayerFrame, "context" | "contextSpan">, report: ReportDiagnostic): boolean {
  const { context } = frame;
  const contextLabel: DiagnosticLabel[] = frame.contextSpan ? [{ span: frame.contextSpan, message: `context ${context} set here` }] : [];
  if (context % size !== 0) {
    const divisors = nearestDivisors(context, size);
    report(
      error(Codes.BlockSizeDoesNotDivideContext, `the block size ${size} does not divide the context (${context})`, span, {
        label: "does not divide the context",
        labels: contextLabel,
        help: `the nearest block sizes that divide ${context} are ${list(divisors)}`,
      }),
    );
    return false;
  }
  if (context / size > ATTENTION_LIMITS.blocks) {
    report(
      error(Codes.TooLarge, `a block size of ${size} cuts the context into ${context / size} blocks, above the limit of ${ATTENTION_LIMITS.blocks}`, span, {
        label: "too small for this context",
        labels: contextLabel,
        help: `use a block size of at least ${Math.ceil(context / ATTENTION_LIMITS.blocks)} (\`block N\`)`,
      }),
    );
    return false;
  }
  return true;
}

/** Checks one term's arguments in one layer. Returns false when it reported a problem. */
export function checkTerm(term: TermInstance, frame: LayerFrame, report: ReportDiagnostic): boolean {
  const { definition, args } = term;
  const { grid } = frame;
  const b = grid.blockSize;
  let ok = true;
  const fail = (diagnostic: Diagnostic): void => {
    ok = false;
    report(diagnostic);
  };
  const at = (name: string): Span => args.span(name) ?? term.span;

  for (const parameter of definition.parameters) {
    if (!args.has(parameter.name)) continue;
    switch (parameter.kind) {
      case "tokens": {
        const value = args.number(parameter.name)!;
        if (value % b !== 0) fail(notAMultiple(parameter, value, at(parameter.name), frame));
        break;
      }
      case "global": {
        const global = args.global(parameter.name)!;
        if ("positions" in global) {
          const spans = args.itemSpans.get(parameter.name) ?? [];
          global.positions.forEach((position, index) => {
            if (position < frame.context) return;
            fail(
              error(Codes.OutOfRange, `global position ${position} is outside the context (0..${frame.context - 1})`, spans[index] ?? at(parameter.name), {
                label: "past the last token",
                help: `token positions are numbered 0 to ${frame.context - 1}`,
              }),
            );
          });
        } else if (global.leadingBlocks > grid.blocks) {
          fail(tooManyBlocks(`\`${definition.name}\` asks for ${global.leadingBlocks} leading global blocks`, at(parameter.name), frame));
        }
        break;
      }
      default:
        break;
    }
  }

  switch (definition.name) {
    case "random": {
      const count = args.number("count")!;
      if (count > grid.blocks) fail(tooManyBlocks(`\`random ${count}\` asks for ${count} key blocks per query block`, at("count"), frame));
      break;
    }
    case "bigbird": {
      const window = args.number("window") ?? 3;
      const global = args.number("global") ?? 2;
      if (!grid.causal && window % 2 === 0) {
        fail(
          error(Codes.BadValue, `BigBird's window must be an odd number of blocks in an encoder, got ${window}`, at("window"), {
            label: "even",
            help: `the window is the query block and as many blocks on each side: ${window - 1} or ${window + 1}`,
          }),
        );
      }
      if (global > grid.blocks) fail(tooManyBlocks(`\`bigbird\` asks for ${global} global blocks`, at("global"), frame));
      break;
    }
    case "fixed": {
      const stride = args.number("stride")!;
      const summary = args.number("summary");
      if (summary !== undefined && summary > stride) {
        fail(
          error(Codes.BadValue, `the summary (${summary} tokens) is longer than the chunk (${stride} tokens)`, at("summary"), {
            label: "longer than the chunk",
            help: `the summary is the last tokens of each chunk: at most ${stride}`,
          }),
        );
      }
      break;
    }
    case "layout": {
      const file = args.file("file");
      if (file && file.file.context !== frame.context) {
        fail(
          error(
            Codes.LayoutFileMismatch,
            `${JSON.stringify(file.path)} is a layout for a context of ${file.file.context}, but \`${frame.model}\` has a context of ${frame.context}`,
            at("file"),
            {
              label: `context ${file.file.context}`,
              labels: frame.contextSpan ? [{ span: frame.contextSpan, message: `context ${frame.context} set here` }] : [],
              help: `write the layout for ${frame.context} tokens (${frame.context / file.file.blockSize} rows of ${file.file.blockSize}-token blocks)`,
            },
          ),
        );
      }
      break;
    }
  }
  return ok;
}

function notAMultiple(parameter: Parameter, value: number, span: Span, frame: LayerFrame): Diagnostic {
  const b = frame.grid.blockSize;
  const multiples = nearestMultiples(value, b);
  return error(Codes.NotAMultipleOfBlockSize, `${parameter.what} (${value} tokens) is not a multiple of the block size (${b})`, span, {
    label: `not a multiple of ${b}`,
    labels: frame.blockSpan ? [{ span: frame.blockSpan, message: `block size ${b} set here` }] : [],
    help: frame.blockSpan
      ? `the nearest multiples of ${b} are ${list(multiples)}`
      : `the nearest multiples of ${b} are ${list(multiples)}; or set the block size with \`block N\` for a block that divides ${value}`,
  });
}

function tooManyBlocks(what: string, span: Span, frame: LayerFrame): Diagnostic {
  const { grid } = frame;
  return error(Codes.OutOfRange, `${what}, but the context has ${grid.blocks} blocks`, span, {
    label: `more than ${grid.blocks}`,
    help: `the context of ${frame.context} tokens is ${grid.blocks} blocks of ${grid.blockSize} tokens`,
  });
}

/** Where a head sits and which pattern made it, for row diagnostics. */
export interface HeadSite {
  readonly layer: number;
  readonly head: number;
  readonly pattern: PatternInstance;
}

type RowIssueKind = "order" | "future" | "empty" | "nothingBefore";

interface RowIssue {
  readonly first: { readonly layer: number; readonly head: number; readonly row: number; readonly key?: number };
  rows: number;
  readonly heads: Set<string>;
}

/** A problem row of one layout, before it is placed at a (layer, head). */
interface RowFinding {
  readonly kind: RowIssueKind;
  readonly row: number;
  readonly key?: number;
}

/**
 * Checks rows of generated layouts and reports each kind of problem once per pattern, naming the first
 * (layer, head, query block) and counting the rest:
 * - rows must be ascending, without repeats, within 0 … blocks − 1 (a generator bug otherwise);
 * - a decoder row may not list a key block after its query block (only layout files can);
 * - every row needs a key block at or before its own: at a run-time length that ends with that
 *   query block, later blocks do not exist, and a query with nothing to attend to has no softmax.
 */
export class RowChecker {
  private readonly issues = new Map<PatternInstance, Map<RowIssueKind, RowIssue>>();
  /** Findings per layout object: a layout shared by many heads is scanned once. */
  private readonly scanned = new Map<HeadLayout, readonly RowFinding[]>();

  check(layout: HeadLayout, grid: BlockGrid, site: HeadSite): void {
    let findings = this.scanned.get(layout);
    if (!findings) this.scanned.set(layout, (findings = scan(layout, grid)));
    for (const finding of findings) this.note(site, finding);
  }

  private note(site: HeadSite, { kind, row, key }: RowFinding): void {
    let kinds = this.issues.get(site.pattern);
    if (!kinds) this.issues.set(site.pattern, (kinds = new Map()));
    let issue = kinds.get(kind);
    if (!issue) kinds.set(kind, (issue = { first: { layer: site.layer, head: site.head, row, key }, rows: 0, heads: new Set() }));
    issue.rows++;
    issue.heads.add(`${site.layer}/${site.head}`);
  }

  /** Reports what was found; returns false when anything was. */
  report(grid: (layer: number) => BlockGrid, report: ReportDiagnostic): boolean {
    for (const [pattern, kinds] of this.issues) {
      for (const [kind, issue] of kinds) {
        const { layer, head, row, key } = issue.first;
        const b = grid(layer).blockSize;
        const where = `query block ${row} (tokens ${row * b}..${row * b + b - 1}) of layer ${layer}, head ${head}`;
        const more = issue.rows > 1 ? `, and ${issue.rows - 1} more query ${issue.rows === 2 ? "block" : "blocks"}${issue.heads.size > 1 ? ` in ${issue.heads.size} heads` : ""}` : "";
        const labels: DiagnosticLabel[] = [{ span: pattern.selectorSpan, message: "for the layers and heads selected here" }];
        switch (kind) {
          case "order":
            report(
              error(Codes.Internal, `the layout of \`${pattern.text}\` is malformed at ${where} (key block ${key})`, pattern.span, {
                labels,
                help: "this is a bug in tfc; please report it with the spec",
              }),
            );
            break;
          case "future":
            report(
              error(Codes.FutureKeyBlock, `\`${pattern.text}\` lets ${where} attend to key block ${key}, after it, in a decoder`, pattern.span, {
                label: `reaches future blocks${more}`,
                labels,
                help: "in a decoder a query block may attend only to key blocks at or before its own; remove the later blocks from those rows",
              }),
            );
            break;
          case "empty":
            report(
              error(Codes.QueryWithoutKeys, `\`${pattern.text}\` leaves ${where} with no key block to attend to`, pattern.span, {
                label: `attends to nothing${more}`,
                labels,
                help: "every query block needs a key block; add a pattern that covers each query's own block, such as `+ blocked` or a window",
              }),
            );
            break;
          case "nothingBefore":
            report(
              error(Codes.QueryWithoutKeys, `\`${pattern.text}\` leaves ${where} with no key block at or before its own`, pattern.span, {
                label: `attends only to later blocks${more}`,
                labels,
                help:
                  `at a run-time length of ${(row + 1) * b} tokens the later blocks do not exist and that query would attend to nothing; ` +
                  "add a pattern that covers each query's own block, such as `+ blocked` or a window",
              }),
            );
            break;
        }
      }
    }
    return this.issues.size === 0;
  }
}

function scan(layout: HeadLayout, grid: BlockGrid): RowFinding[] {
  const findings: RowFinding[] = [];
  layout.keys.forEach((row, i) => {
    for (let k = 0; k < row.length; k++) {
      const j = row[k];
      if (!Number.isInteger(j) || j < 0 || j >= grid.blocks || (k > 0 && j <= row[k - 1])) {
        findings.push({ kind: "order", row: i, key: j });
        return;
      }
    }
    if (grid.causal && row.length > 0 && row[row.length - 1] > i) findings.push({ kind: "future", row: i, key: row.find((j) => j > i) });
    if (row.length === 0) findings.push({ kind: "empty", row: i });
    else if (row[0] > i) findings.push({ kind: "nothingBefore", row: i, key: row[0] });
  });
  return findings;
}

/** True when every row of `layout` holds every key block it may see: dense attention. */
export function isDenseLayout(layout: HeadLayout, grid: BlockGrid): boolean {
  return layout.keys.every((row, i) => row.length === visibleBlocks(grid, i));
}
