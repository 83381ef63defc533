import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { SourceFile } from "./ast.js";
import { formatSource, hyphenatedName } from "./format.js";
import { parse } from "./parse.js";
import { syntheticSpan } from "./span.js";

const fixtures = new URL("../test/fixtures/grammar/", import.meta.url);
const examples = readFileSync(new URL("examples.tfx", fixtures), "utf8");
const sketch = readFileSync(new URL("design-sketch.tfx", fixtures), "utf8");

function format(text: string): string {
  const { ast, diagnostics } = parse(text, "t.tfx");
  expect(diagnostics).toEqual([]);
  return formatSource(ast);
}

/** The AST without spans or comments: what formatting must preserve. */
function shape(ast: SourceFile): unknown {
  return JSON.parse(JSON.stringify(ast.items, (key, value) => (key === "span" ? undefined : value)));
}

describe("formatSource", () => {
  it("prints the examples canonically (golden)", () => {
    const golden = new URL("examples.formatted.tfx", fixtures);
    const formatted = format(examples);
    if (process.env.UPDATE_GOLDEN === "1" || (!existsSync(golden) && !process.env.CI)) writeFileSync(golden, formatted);
    expect(formatted).toBe(readFileSync(golden, "utf8"));
  });

  it.each([
    ["examples", examples],
    ["design sketch", sketch],
  ])("is idempotent and keeps the AST (%s)", (_name, text) => {
    const once = format(text);
    expect(format(once)).toBe(once);
    expect(shape(parse(once, "t.tfx").ast)).toEqual(shape(parse(text, "t.tfx").ast));
  });

  it("puts one field per line with two-space indent and blocks on their own lines", () => {
    expect(format("model m { kind encoder vocab 3 attention { default : dense } target onnx { opset 17 device cuda, cpu } }")).toBe(
      `model m {
  kind encoder
  vocab 3
  attention {
    default : dense
  }
  target onnx {
    opset 17
    device cuda cpu
  }
}
`,
    );
  });

  it("keeps comments where they were, and at most one blank line", () => {
    const text = `// header

let block = 64 // trailing on let
model m { // after brace
  kind encoder   vocab 3 // end of line


  /* before width */
  width 768
  // before the end
}
// at the end
`;
    const once = format(text);
    expect(once).toBe(`// header

let block = 64 // trailing on let

model m {
  // after brace
  kind encoder
  vocab 3 // end of line

  /* before width */
  width 768
  // before the end
}

// at the end
`);
    expect(format(once)).toBe(once);
  });

  it("writes values so that they read back the same", () => {
    const tricky = `model m {
  x a, -1 (2)  y 1 - (2 - 3) -4
  context 1 (width)
  weights "C:\\\\models\\\\x.bin" "q\\"uote" layout hf-gpt2 llama-2
  attention {
    layers 0..n-1 : window -1 dilation (2 + 3), heads [0] : f(a, b c, d -2) + g(w 3) + h (x) + k(1 + 2)
    default : dense
  }
}`;
    const once = format(tricky);
    expect(format(once)).toBe(once);
    expect(shape(parse(once, "t.tfx").ast)).toEqual(shape(parse(tricky, "t.tfx").ast));
    expect(once).toContain("layout hf-gpt2 llama-2");
  });

  it("formats an AST built in code, adding the parentheses precedence needs", () => {
    const span = syntheticSpan();
    const n = (value: number) => ({ kind: "NumberLiteral" as const, value, text: String(value), isInteger: true, span });
    const ast: SourceFile = {
      kind: "SourceFile",
      file: "x",
      span,
      items: [
        {
          kind: "Let",
          span,
          name: { kind: "Identifier", name: "k", span },
          value: { kind: "Binary", operator: "*", span, left: { kind: "Binary", operator: "+", left: n(1), right: n(2), span }, right: n(3) },
        },
      ],
    };
    expect(formatSource(ast)).toBe("let k = (1 + 2) * 3\n");
  });
});

describe("hyphenatedName", () => {
  it("reads names written with `-` and no spaces as one word", () => {
    const value = (text: string) => {
      const item = parse(`let v = ${text}`, "t.tfx").ast.items[0];
      if (item.kind !== "Let") throw new Error("no let");
      return item.value;
    };
    expect(hyphenatedName(value("hf-gpt2"))).toBe("hf-gpt2");
    expect(hyphenatedName(value("a-b-c"))).toBe("a-b-c");
    expect(hyphenatedName(value("llama-2"))).toBe("llama-2");
    expect(hyphenatedName(value("hf - gpt2"))).toBeUndefined();
    expect(hyphenatedName(value("2-x"))).toBeUndefined();
    expect(hyphenatedName(value("width"))).toBeUndefined();
  });
});
