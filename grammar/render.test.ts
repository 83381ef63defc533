import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Field, ModelDeclaration } from "./ast.js";
import { Codes, error, type Diagnostic } from "./diagnostics.js";
import { parse } from "./parse.js";
import { renderDiagnostic, renderDiagnostics } from "./render.js";
import { didYouMean } from "./suggest.js";

const goldenDir = new URL("../test/fixtures/grammar/render/", import.meta.url);

/**
 * Compares with test/fixtures/grammar/render/NAME.txt. `UPDATE_GOLDEN=1` rewrites the file; a missing file
 * is written on a developer's machine and fails under CI.
 */
function expectGolden(name: string, actual: string): void {
  const file = new URL(`${name}.txt`, goldenDir);
  if (process.env.UPDATE_GOLDEN === "1" || (!existsSync(file) && !process.env.CI)) {
    mkdirSync(goldenDir, { recursive: true });
    writeFileSync(file, `${actual}\n`);
  }
  expect(`${actual}\n`).toBe(readFileSync(file, "utf8"));
}

function renderAll(text: string, file = "models/gpt.tfx"): string {
  const { diagnostics } = parse(text, file);
  return renderDiagnostics(diagnostics, new Map([[file, text]]));
}

describe("rendered diagnostics (golden)", () => {
  it("an unclosed model block", () => {
    expectGolden("unclosed-block", renderAll("model gpt2 {\n  kind decoder\n  width 768\n\nmodel next {\n  kind encoder\n}\n"));
  });

  it("a misspelt keyword", () => {
    expectGolden("misspelt-keyword", renderAll("// GPT\nmodle gpt {\n  kind decoder\n}\n"));
  });

  it("several syntax errors of one file", () => {
    expectGolden(
      "several-errors",
      renderAll(`model a {
  width (768
  layers 12
  attention { lyers 0..5 : window 256 }
}
model b {
  kind: encoder ]
}
`),
    );
  });

  it("checker-style diagnostics with a suggestion and a secondary label", () => {
    // What the checker builds from the AST: spans of values, a did-you-mean, a note on another field.
    const text = `model gpt {
  kind decoder  vocab 50257  context 1024
  width 770   layers 12   heads 12
  ffn 4 * width gleu
}
`;
    const model = parse(text, "models/gpt.tfx").ast.items[0] as ModelDeclaration;
    const field = (name: string) => model.members.find((m): m is Field => m.kind === "Field" && m.name.name === name)!;
    const activation = field("ffn").values[1];
    const suggestion = didYouMean("gleu", ["relu", "gelu", "gelu_tanh", "silu", "swiglu", "geglu"]);
    const diagnostics: Diagnostic[] = [
      error(Codes.WidthNotDivisibleByHeads, "`width` (770) is not divisible by `heads` (12)", field("width").span, {
        label: "770 = 12 × 64 + 2",
        labels: [{ span: field("heads").span, message: "heads declared here" }],
        help: "the nearest widths that divide evenly are 768 and 780",
      }),
      error(Codes.UnknownKeyword, "unknown activation `gleu`", activation.span, {
        label: "not an activation",
        help: `did you mean \`${suggestion}\`?`,
      }),
    ];
    expectGolden("checker-style", renderDiagnostics(diagnostics, new Map([["models/gpt.tfx", text]])));
  });
});

describe("renderDiagnostic", () => {
  const text = "model a {\n  width 768\n}\n";
  const span = {
    file: "a.tfx",
    start: { offset: 12, line: 2, column: 3 },
    end: { offset: 17, line: 2, column: 8 },
  };

  it("draws no colour unless asked, and colour when asked", () => {
    const d = error(Codes.UnknownField, "unknown field", span, { label: "here", help: "fix it" });
    const ansi = /\x1b\[/;
    expect(renderDiagnostic(d, text)).not.toMatch(ansi);
    expect(renderDiagnostic(d, text, { color: true })).toMatch(ansi);
  });

  it("still names the place when the source text is missing", () => {
    const d = error(Codes.FileNotFound, "cannot read `x.tfx`", span, { label: "imported here" });
    expect(renderDiagnostic(d, undefined)).toBe("error[E0601]: cannot read `x.tfx`\n  --> a.tfx:2:3\n   = imported here");
  });

  it("draws a label in another file from the sources map", () => {
    const other = { file: "b.tfx", start: { offset: 0, line: 1, column: 1 }, end: { offset: 5, line: 1, column: 6 } };
    const d = error(Codes.DuplicateModel, "model `a` is defined twice", span, {
      labels: [{ span: other, message: "first defined here" }],
    });
    const out = renderDiagnostics([d], new Map([["a.tfx", text], ["b.tfx", "model a {}\n"]]));
    expect(out).toContain("note: first defined here\n  --> b.tfx:1:1\n> 1 | model a {}\n    | ^^^^^");
  });

  it("draws a zero-width span as one caret, and survives spans outside the text", () => {
    const point = { ...span, end: span.start };
    expect(renderDiagnostic(error(Codes.MissingToken, "expected `}`", point, { label: "here" }), text)).toContain(
      "> 2 |   width 768\n    |   ^ here",
    );
    const wild = {
      file: "a.tfx",
      start: { offset: 999, line: 99, column: 99 },
      end: { offset: 2, line: 1, column: -4 },
    };
    expect(() => renderDiagnostic(error(Codes.Internal, "odd", wild), text)).not.toThrow();
    expect(() => renderDiagnostic(error(Codes.Internal, "odd", wild), "")).not.toThrow();
  });

  it("turns a fix into help when there is no help", () => {
    const d = error(Codes.UnexpectedToken, "unexpected `:`", span, { fix: { span, replacement: "" } });
    expect(renderDiagnostic(d, text)).toMatch(/help: remove this$/);
  });
});
