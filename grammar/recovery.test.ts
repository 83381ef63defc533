import { describe, expect, it } from "vitest";
import type { Diagnostic } from "./diagnostics.js";
import { parse } from "./parse.js";

function diagnose(text: string): Diagnostic[] {
  return parse(text, "t.tfx").diagnostics;
}

/** `code line:col message` per diagnostic: the shape most tests compare. */
function summary(text: string): string[] {
  return diagnose(text).map((d) => `${d.code} ${d.span.start.line}:${d.span.start.column} ${d.message}`);
}

describe("recovery", () => {
  it("reports three separate syntax errors in one run", () => {
    const text = `model a {
  width (768
  layers 12
}
model b {
  kind encoder ]
}
modle c { kind decoder }
`;
    expect(summary(text)).toEqual([
      "E0105 2:13 expected `)`, found `layers`",
      "E0102 6:16 unexpected `]` in the body of model `b`",
      "E0102 8:1 unknown keyword `modle`",
    ]);
    // Every model is still read, with the fields around the errors.
    const { ast } = parse(text, "t.tfx");
    expect(ast.items.map((i) => (i.kind === "Model" ? `${i.name.name}:${i.members.length}` : i.kind))).toEqual([
      "a:2",
      "b:1",
      "c:1",
    ]);
  });

  it("reports several errors inside one model", () => {
    expect(
      summary(`model a {
  kind encoder )
  width 768 *
  attention { lyers 0..5 : window 256 }
  heads 12
}`),
    ).toEqual([
      "E0102 2:16 unexpected `)` in the body of model `a`",
      "E0102 3:14 expected an expression after `*`, found `attention`",
      "E0102 4:15 unexpected `lyers` in the `attention` block",
    ]);
  });

  it("suggests `model` for a misspelt keyword, with a fix, and still reads the model", () => {
    const { ast, diagnostics } = parse("modle gpt {\n  kind decoder\n}\n", "t.tfx");
    expect(diagnostics).toHaveLength(1);
    const [d] = diagnostics;
    expect(d.help).toBe("did you mean `model`?");
    expect(d.fix).toMatchObject({ replacement: "model", span: { start: { line: 1, column: 1 }, end: { column: 6 } } });
    expect(ast.items[0]).toMatchObject({ kind: "Model", name: { name: "gpt" } });
  });

  it("repairs misspelt block keywords inside a model", () => {
    expect(diagnose("model a { atention { default : dense } optimise { share layers all } targt onnx { opset 17 } }").map((d) => d.help)).toEqual([
      "did you mean `attention`?",
      "did you mean `optimize`?",
      "did you mean `target`?",
    ]);
  });

  it("says where an unclosed block was opened", () => {
    const [d] = diagnose("let w = 768\n\nmodel gpt {\n  width w\n\nmodel next { kind decoder }\n");
    expect(d.code).toBe("E0105");
    expect(d.message).toBe("expected `}`, found `model`");
    expect(d.help).toBe("add `}` to close the block of model `gpt` opened at 3:1");
    expect(d.span.start).toMatchObject({ line: 4, column: 10 });
    expect(d.labels?.[0]).toMatchObject({ message: "this `{` is never closed", span: { start: { line: 3, column: 11 } } });
  });

  it("reports an unclosed block at the end of the file", () => {
    expect(summary("model a {\n  attention {\n    default : dense\n  }\n")).toEqual(["E0105 4:4 expected `}`, found end of file"]);
  });

  it("points at the `}` that closed a model too early", () => {
    const [d] = diagnose("model a {\n  kind encoder }\n  width 768\n}\n");
    expect(d.message).toBe("expected `model`, `let` or `import`, found `width`");
    expect(d.labels?.[0]).toMatchObject({ message: "model `a` ends here", span: { start: { line: 2, column: 16 } } });
    expect(d.help).toMatch(/remove the `}` that closes it early/);
  });

  it("accepts `kind: encoder`, reports the colon once, and offers a fix", () => {
    const { ast, diagnostics } = parse("model a { kind: encoder width:768 }", "t.tfx");
    expect(diagnostics.map((d) => [d.message, d.help, d.fix?.replacement])).toEqual([
      ["unexpected `:` after `kind`", "write the values right after the name: `kind encoder`", ""],
      ["unexpected `:` after `width`", "write the values right after the name: `width 768`", " "],
    ]);
    const model = ast.items[0];
    expect(model.kind === "Model" && model.members.map((m) => m.kind === "Field" && m.values.length)).toEqual([1, 1]);
  });

  it("skips an unknown block as a whole", () => {
    expect(summary("model a {\n  training { steps 10 { x } }\n  width 768\n}")).toEqual(["E0102 2:3 unknown block `training`"]);
  });

  it("reports a selector without a range, and a missing `:`", () => {
    expect(summary("model a { attention { layers : dense\n layers 0..5 window 256 } }")).toEqual([
      "E0105 1:23 `layers` needs a range",
      "E0105 2:14 expected `:` between the selector and the pattern, found `window`",
    ]);
  });

  it("reports lexical errors beside syntax errors", () => {
    expect(summary('model a { weights "x.bin\n  width 768; }')).toEqual([
      "E0103 1:19 unterminated string",
      "E0101 2:12 unexpected character `;`",
    ]);
  });

  it("reports stray tokens at the top level once per run", () => {
    expect(summary("width 768 heads 12\nmodel a { kind encoder }\n} }")).toEqual([
      "E0102 1:1 expected `model`, `let` or `import`, found `width`",
      "E0102 3:1 unexpected `}`",
    ]);
  });

  it("reports incomplete lets and imports", () => {
    expect(summary("let = 3\nlet x 3\nlet y =\nimport\nimport common")).toEqual([
      "E0105 1:5 expected a name after `let`, found `=`",
      "E0105 2:7 expected `=` after the constant's name, found `3`",
      "E0102 3:8 expected an expression after `=`, found `import`",
      "E0105 4:7 expected a file name in double quotes after `import`, found `import`",
      "E0105 5:8 expected a file name in double quotes after `import`, found `common`",
    ]);
  });

  it("refuses absurd nesting instead of overflowing the stack", () => {
    const deep = `model a { width ${"(".repeat(5000)}1${")".repeat(5000)} }\nmodel b { width ${"-".repeat(5000)}1 }`;
    expect(summary(deep).map((s) => s.split(" ").slice(0, 2).join(" "))).toEqual(["E0401 1:80", "E0401 2:81"]);
  });

  it("never leaves a node with a missing part in the AST", () => {
    const { ast } = parse("model { x 1 }\nmodel b extends { }\nlet = 2\ntarget", "t.tfx");
    expect(ast.items.map((i) => i.kind === "Model" && i.name.name)).toEqual(["b"]);
  });
});
