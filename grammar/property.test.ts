import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SourceFile } from "./ast.js";
import type { Diagnostic } from "./diagnostics.js";
import { formatSource } from "./format.js";
import { parse } from "./parse.js";
import { renderDiagnostic, renderDiagnostics } from "./render.js";
import { LineIndex } from "./source-text.js";
import type { Span } from "./span.js";

/**
 * Whatever text comes in, `parse` returns; every diagnostic and every AST node has a real span inside
 * the text whose line/column agree with its offset; every diagnostic renders. And whenever a text parses
 * cleanly, its formatted form parses cleanly to the same AST and formats to itself.
 */

const examples = readFileSync(new URL("../test/fixtures/grammar/examples.tfx", import.meta.url), "utf8");
const sketch = readFileSync(new URL("../test/fixtures/grammar/design-sketch.tfx", import.meta.url), "utf8");
const seeds = [examples, sketch, ...examples.split(/\n(?=\/\/|let|model)/)];

/** Plain checks (not `expect`): they run for every node of every generated input. */
function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

function samePosition(a: { offset: number; line: number; column: number }, b: typeof a): boolean {
  return a.offset === b.offset && a.line === b.line && a.column === b.column;
}

function checkSpan(span: Span, lines: LineIndex, what: string): void {
  const { start, end } = span;
  const where = () => `${what} has a bad span ${JSON.stringify(span)} in ${JSON.stringify(lines.text)}`;
  check(start.offset >= 0 && start.offset <= end.offset && end.offset <= lines.text.length, where);
  check(start.line >= 1 && start.column >= 1, where);
  check(samePosition(lines.positionAt(start.offset), start) && samePosition(lines.positionAt(end.offset), end), where);
}

function checkAstSpans(node: unknown, lines: LineIndex): void {
  if (Array.isArray(node)) {
    for (const child of node) checkAstSpans(child, lines);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const record = node as Record<string, unknown>;
  if (typeof record.kind === "string" && record.span) checkSpan(record.span as Span, lines, `${record.kind} node`);
  // After recovery, nodes are complete or absent (build-ast.ts).
  const incomplete = () => `incomplete ${String(record.kind)} node in ${JSON.stringify(lines.text)}`;
  if (record.kind === "Identifier") check(typeof record.name === "string" && record.name.length > 0, incomplete);
  if (record.kind === "Pattern") check((record.terms as unknown[]).length > 0, incomplete);
  if (record.kind === "AttentionRule") check((record.assignments as unknown[]).length > 0, incomplete);
  if (record.kind === "PatternArgument") check(record.value !== undefined, incomplete);
  for (const [key, value] of Object.entries(record)) if (key !== "span") checkAstSpans(value, lines);
}

function checkParse(text: string): { ast: SourceFile; diagnostics: Diagnostic[] } {
  const { ast, diagnostics } = parse(text, "fuzz.tfx");
  const lines = new LineIndex(text, "fuzz.tfx");
  for (const d of diagnostics) {
    check(d.code !== "E0901", () => `internal error: ${d.message}`);
    checkSpan(d.span, lines, `diagnostic ${d.code} ${d.message}`);
    for (const label of d.labels ?? []) checkSpan(label.span, lines, `label of ${d.code}`);
    if (d.fix) checkSpan(d.fix.span, lines, `fix of ${d.code}`);
    renderDiagnostic(d, text);
  }
  const offsets = diagnostics.map((d) => d.span.start.offset);
  check(
    offsets.every((offset, i) => i === 0 || offsets[i - 1] <= offset),
    () => "diagnostics out of order",
  );
  renderDiagnostics(diagnostics, new Map([["fuzz.tfx", text]]), { color: true });
  checkAstSpans(ast, lines);
  return { ast, diagnostics };
}

/** The AST without spans: what formatting must keep. */
function shape(ast: SourceFile): unknown {
  return JSON.parse(JSON.stringify(ast.items, (key, value) => (key === "span" ? undefined : value)));
}

function checkFormatRoundTrip(text: string): void {
  const { ast, diagnostics } = parse(text, "fuzz.tfx");
  if (diagnostics.length > 0) return;
  const once = formatSource(ast);
  const reparsed = parse(once, "fuzz.tfx");
  expect(reparsed.diagnostics.map((d) => d.message), once).toEqual([]);
  expect(shape(reparsed.ast), once).toEqual(shape(ast));
  expect(formatSource(reparsed.ast)).toBe(once);
}

// ---- generators -------------------------------------------------------------------------------------

const SNIPPETS = [
  "model", "extends", "let", "import", "attention", "optimize", "target", "default", "layers", "heads",
  "kind", "width", "ffn", "window", "global", "bigbird", "gelu", "x", "0", "12", "1e-6", "0.5", "..",
  "{", "}", "(", ")", "[", "]", ",", ":", "+", "-", "*", "/", "%", "=", '"a.json"', '"', "//", "/*", "*/",
  "\n", " ", "\t", "@", ";", "é", "\u2028", "\r\n",
];

const snippetSoup = fc.array(fc.constantFrom(...SNIPPETS), { maxLength: 60 }).map((parts) => parts.join(" "));
const snippetSoupTight = fc.array(fc.constantFrom(...SNIPPETS), { maxLength: 60 }).map((parts) => parts.join(""));

type Mutation = { op: "delete" | "insert" | "swap" | "replace"; at: number; length: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom("delete", "insert", "swap", "replace"),
  at: fc.nat(),
  length: fc.integer({ min: 1, max: 8 }),
  text: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 4 })),
});

function mutateCharacters(text: string, mutations: readonly Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    switch (m.op) {
      case "delete":
        out = out.slice(0, at) + out.slice(at + m.length);
        break;
      case "insert":
        out = out.slice(0, at) + m.text + out.slice(at);
        break;
      case "replace":
        out = out.slice(0, at) + m.text + out.slice(at + m.length);
        break;
      case "swap": {
        const other = Math.min(out.length, at + m.length);
        if (at < other) out = out.slice(0, at) + out[other - 1] + out.slice(at + 1, other - 1) + out[at] + out.slice(other);
        break;
      }
    }
  }
  return out;
}

const TOKEN = /\s+|[A-Za-z_]\w*|\d+(?:\.\d+)?(?:e-?\d+)?|"[^"\n]*"|\/\/[^\n]*|\.\.|[^]/g;

function mutateTokens(text: string, mutations: readonly Mutation[]): string {
  const tokens = text.match(TOKEN) ?? [];
  for (const m of mutations) {
    const at = tokens.length === 0 ? 0 : m.at % tokens.length;
    switch (m.op) {
      case "delete":
        tokens.splice(at, Math.min(m.length, 3));
        break;
      case "insert":
        tokens.splice(at, 0, m.text);
        break;
      case "replace":
        tokens.splice(at, 1, m.text);
        break;
      case "swap": {
        const other = (at + m.length) % Math.max(1, tokens.length);
        [tokens[at], tokens[other]] = [tokens[other], tokens[at]];
        break;
      }
    }
  }
  return tokens.join("");
}

const seed = fc.constantFrom(...seeds);
const mutatedByCharacters = fc
  .tuple(seed, fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([text, mutations]) => mutateCharacters(text, mutations));
const mutatedByTokens = fc
  .tuple(seed, fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([text, mutations]) => mutateTokens(text, mutations));

/** Mostly-valid source text, built from the grammar with random layout, commas and comments. */
const NAMES = ["w", "block", "gelu", "pre", "all", "odd", "hf", "x1", "_t", "width", "heads", "layers", "kind", "opset"];
const space = fc.constantFrom(" ", "  ", "\n", "\n\n  ", " /* c */ ", " // note\n");
const name = fc.constantFrom(...NAMES);
const number = fc.constantFrom("0", "7", "64", "1e-6", "0.5", "12");
const { expression } = fc.letrec<{ expression: string; atom: string }>((tie) => ({
  atom: fc.oneof(
    { weight: 4, arbitrary: number },
    { weight: 3, arbitrary: name },
    { weight: 1, arbitrary: tie("expression").map((e) => `(${e})`) },
    { weight: 1, arbitrary: tie("atom").map((a) => `-${a}`) },
  ),
  expression: fc.oneof(
    { weight: 3, arbitrary: tie("atom") },
    {
      weight: 1,
      arbitrary: fc.tuple(tie("atom"), fc.constantFrom(" + ", " - ", " * ", " / ", "-", "*"), tie("atom")).map((p) => p.join("")),
    },
  ),
}));
const value: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: expression },
  { weight: 1, arbitrary: fc.constantFrom('"a.json"', '"q\\"x"', '"C:\\m"') },
  { weight: 1, arbitrary: expression.map((e) => `${e}%`) },
  { weight: 1, arbitrary: fc.tuple(expression, expression).map(([a, b]) => `${a}..${b}`) },
  { weight: 1, arbitrary: fc.array(expression, { maxLength: 3 }).map((items) => `[${items.join(", ")}]`) },
);
const values = fc
  .array(fc.tuple(value, fc.constantFrom(" ", ", ", "\n  ")), { maxLength: 4 })
  .map((vs) => vs.map(([v, sep]) => v + sep).join(""));
const field = fc.tuple(name, space, values).map(([n, sp, vs]) => `${n}${sp}${vs}`);
const argument = fc.oneof(value, fc.tuple(name, value).map(([n, v]) => `${n} ${v}`));
const term = fc.oneof(
  fc.tuple(fc.constantFrom("window", "global", "dense"), fc.array(argument, { maxLength: 2 })).map(([n, as]) => [n, ...as].join(" ")),
  fc.tuple(fc.constantFrom("bigbird", "fixed"), fc.array(argument, { maxLength: 4 })).map(([n, as]) => `${n}(${as.join(", ")})`),
);
const selector = fc.oneof(
  fc.constant("default"),
  value.map((v) => `layers ${v}`),
  value.map((v) => `heads ${v}`),
  fc.tuple(value, value).map(([l, h]) => `layers ${l} heads ${h}`),
);
const assignment = fc.tuple(selector, fc.array(term, { minLength: 1, maxLength: 3 })).map(([sel, ts]) => `${sel} : ${ts.join(" + ")}`);
const rule = fc.array(assignment, { minLength: 1, maxLength: 2 }).map((as) => as.join(", "));
const member = fc.oneof(
  { weight: 6, arbitrary: field },
  { weight: 1, arbitrary: fc.array(rule, { maxLength: 3 }).map((rs) => `attention {\n${rs.join("\n")}\n}`) },
  { weight: 1, arbitrary: fc.array(field, { maxLength: 3 }).map((ds) => `optimize { ${ds.join("\n")} }`) },
  { weight: 1, arbitrary: fc.array(field, { maxLength: 3 }).map((fs) => `target onnx { ${fs.join(" ")} }`) },
);
const item = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(name, fc.boolean(), fc.array(fc.tuple(member, space), { maxLength: 6 })).map(
      ([n, ext, ms]) => `model m_${n}${ext ? " extends base" : ""} {\n${ms.map(([m, sp]) => m + sp).join("")}\n}`,
    ) },
  { weight: 1, arbitrary: fc.tuple(name, expression).map(([n, e]) => `let ${n} = ${e}`) },
  { weight: 1, arbitrary: fc.constant('import "common.tfx"') },
);
const program = fc.array(fc.tuple(space, item), { maxLength: 4 }).map((items) => items.map(([sp, it]) => sp + it).join("\n"));

// ---- properties ---------------------------------------------------------------------------------------

describe("parse on any input", () => {
  it("handles random strings", () => {
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: "binary" }), (text) => void checkParse(text)), { numRuns: Number(process.env.FUZZ_RUNS ?? 300) });
  });

  it("handles random sequences of the language's own tokens", () => {
    fc.assert(fc.property(fc.oneof(snippetSoup, snippetSoupTight), (text) => void checkParse(text)), { numRuns: Number(process.env.FUZZ_RUNS ?? 400) });
  });

  it("handles the examples with characters deleted, inserted and swapped", () => {
    fc.assert(fc.property(mutatedByCharacters, (text) => void checkParse(text)), { numRuns: Number(process.env.FUZZ_RUNS ?? 250) });
  });

  it("handles the examples with tokens deleted, inserted and swapped", () => {
    fc.assert(fc.property(mutatedByTokens, (text) => void checkParse(text)), { numRuns: Number(process.env.FUZZ_RUNS ?? 250) });
  });
});

describe("format on any text that parses cleanly", () => {
  it("round-trips mutated examples", () => {
    fc.assert(fc.property(fc.oneof(mutatedByTokens, mutatedByCharacters, seed), checkFormatRoundTrip), { numRuns: Number(process.env.FUZZ_RUNS ?? 300) });
  });

  it("round-trips generated programs", () => {
    let clean = 0;
    fc.assert(
      fc.property(program, (text) => {
        checkParse(text);
        if (parse(text, "fuzz.tfx").diagnostics.length === 0) clean++;
        checkFormatRoundTrip(text);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
    // The generator is meant to produce valid text; if it mostly did not, this test would prove little.
    expect(clean).toBeGreaterThan(Number(process.env.FUZZ_RUNS ?? 300) / 2);
  });
});
