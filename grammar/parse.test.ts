import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AttentionBlock, Field, ModelDeclaration, OptimizeBlock, SourceFile, TargetBlock, Value } from "./ast.js";
import { parse } from "./parse.js";

const examples = readFileSync(new URL("../test/fixtures/grammar/examples.tfx", import.meta.url), "utf8");
const sketch = readFileSync(new URL("../test/fixtures/grammar/design-sketch.tfx", import.meta.url), "utf8");

function parseClean(text: string): SourceFile {
  const { ast, diagnostics } = parse(text, "t.tfx");
  expect(diagnostics).toEqual([]);
  return ast;
}

function model(text: string, index = 0): ModelDeclaration {
  const item = parseClean(text).items.filter((i) => i.kind === "Model")[index];
  if (item?.kind !== "Model") throw new Error("no model");
  return item;
}

/** A value as short text: enough to compare shapes without spans. */
function show(value: Value): string {
  switch (value.kind) {
    case "NumberLiteral":
      return value.text;
    case "Name":
      return value.name;
    case "StringLiteral":
      return JSON.stringify(value.value);
    case "Binary":
      return `(${show(value.left)} ${value.operator} ${show(value.right)})`;
    case "Unary":
      return `(-${show(value.operand)})`;
    case "Paren":
      return `[paren ${show(value.inner)}]`;
    case "Percent":
      return `${show(value.value)}%`;
    case "List":
      return `[${value.items.map(show).join(", ")}]`;
    case "Range":
      return `${show(value.from)}..${show(value.to)}`;
  }
}

function fields(m: ModelDeclaration): string[] {
  return m.members
    .filter((member): member is Field => member.kind === "Field")
    .map((f) => [f.name.name, ...f.values.map(show)].join(" "));
}

function attention(m: ModelDeclaration): string[] {
  const block = m.members.find((member): member is AttentionBlock => member.kind === "AttentionBlock");
  return (block?.rules ?? []).map((rule) =>
    rule.assignments
      .map((a) => {
        const selector = a.selector.isDefault
          ? "default"
          : [a.selector.layers && `layers ${show(a.selector.layers)}`, a.selector.heads && `heads ${show(a.selector.heads)}`]
              .filter(Boolean)
              .join(" ");
        const pattern = a.pattern.terms
          .map((t) => `${t.name.name}(${t.args.map((arg) => (arg.name ? `${arg.name.name}=` : "") + show(arg.value!)).join(", ")})`)
          .join(" + ");
        return `${selector} : ${pattern}`;
      })
      .join(" | "),
  );
}

describe("the examples of language.md", () => {
  it("parse without diagnostics", () => {
    const ast = parseClean(examples);
    expect(ast.items.map((i) => (i.kind === "Let" ? `let ${i.name.name}` : i.kind === "Model" ? i.name.name : i.kind))).toEqual([
      "bert_base",
      "gpt2_small",
      "gpt2_long",
      "llama_tiny",
      "let block",
      "bigbird_albert",
      "gpt2_pruned",
    ]);
    parseClean(sketch);
  });

  it("split fields that share a line", () => {
    expect(fields(model(examples, 0))).toEqual([
      "kind encoder",
      "vocab 30522",
      "context 512",
      "token_types 2",
      "width 768",
      "layers 12",
      "heads 12",
      "ffn 3072 gelu",
      "norm layernorm post eps 1e-12",
      "output pooler",
    ]);
    expect(fields(model(examples, 1))).toContain("ffn (4 * width) gelu_tanh");
    expect(fields(model(examples, 3))).toEqual([
      "kind decoder",
      "vocab 32000",
      "context 2048",
      "width 512",
      "layers 8",
      "heads 8",
      "kv_heads 2",
      "ffn 1408 swiglu",
      "norm rmsnorm pre eps 1e-6",
      "position rotary theta 10000",
      "bias false",
      "output lm",
    ]);
  });

  it("read attention rules, including a later `heads` part of the same rule", () => {
    expect(attention(model(examples, 2))).toEqual([
      "layers 0..5 : window(256) + global([0])",
      "layers 6..11 heads 0..5 : strided(128) | heads 6..11 : window(128)",
    ]);
    expect(attention(model(examples, 4))).toEqual([
      "default : bigbird(block=block, window=3, global=2, random=3, seed=7)",
    ]);
  });

  it("read optimize directives and target fields", () => {
    const pruned = model(examples, 5);
    expect(pruned.parent?.name).toBe("gpt2_small");
    expect(fields(pruned)).toEqual(['weights "gpt2/model.safetensors" layout (hf - gpt2)']);
    const optimize = pruned.members.find((m): m is OptimizeBlock => m.kind === "OptimizeBlock")!;
    expect(optimize.directives.map((d) => [d.name.name, ...d.values.map(show)].join(" "))).toEqual([
      "prune heads 25% by l2",
      "prune ffn 30% by l2",
      "quantize matmul int4 block 32",
    ]);
    const target = pruned.members.find((m): m is TargetBlock => m.kind === "TargetBlock")!;
    expect(target.name.name).toBe("onnx");
    expect(target.fields.map((f) => [f.name.name, ...f.values.map(show)].join(" "))).toEqual(["opset 17", "device cuda cpu"]);
  });

  it("read every directive of the design sketch", () => {
    const sketchModel = model(sketch);
    const optimize = sketchModel.members.find((m): m is OptimizeBlock => m.kind === "OptimizeBlock")!;
    expect(optimize.directives.map((d) => d.name.name)).toEqual(["share", "prune", "quantize", "recompute"]);
    const target = sketchModel.members.find((m): m is TargetBlock => m.kind === "TargetBlock")!;
    expect(target.fields.map((f) => f.name.name)).toEqual(["opset", "device", "precision"]);
  });
});

describe("field boundaries", () => {
  it("keep a name that is a value when the field has no value yet", () => {
    expect(fields(model("model m { context width  head_dim width / heads  ffn 4 * width gelu }"))).toEqual([
      "context width",
      "head_dim (width / heads)",
      "ffn (4 * width) gelu",
    ]);
  });

  it("let an unknown name become a value (the checker reports it)", () => {
    expect(fields(model("model m { kind encoder widht 768 vocab 3 }"))).toEqual(["kind encoder widht 768", "vocab 3"]);
  });

  it("drop commas between values", () => {
    expect(fields(model("model m { device cuda, cpu  kind encoder }"))).toEqual(["device cuda cpu", "kind encoder"]);
  });

  it("read percents, lists, ranges, strings and negative numbers", () => {
    expect(fields(model('model m { x 20% [0, 1, 2..3] 0..5 "a\\"b" -1 (2 + 3) * 4 }'))).toEqual([
      'x 20% [0, 1, 2..3] 0..5 "a\\"b" (-1) ([paren (2 + 3)] * 4)',
    ]);
  });

  it("apply the usual precedence, left to right", () => {
    expect(fields(model("model m { x 1 - 2 - 3 * 4 / 5 + -6 }"))).toEqual(["x (((1 - 2) - ((3 * 4) / 5)) + (-6))"]);
  });

  it("use the target field names inside a target block", () => {
    const m = model("model m { target onnx { opset 17 device cuda, cpu precision fp16 threads 4 } }");
    const target = m.members[0] as TargetBlock;
    expect(target.fields.map((f) => f.name.name)).toEqual(["opset", "device", "precision", "threads"]);
  });
});

describe("attention rules", () => {
  it("read named and positional arguments in both forms", () => {
    expect(
      attention(
        model(`model m { attention {
          layers all : layout "l.json"
          layers odd : window 256 dilation 2
          heads [0, 3] : window(w), layers 1..2 heads 0 : fixed(128, stride 2) + random 3 seed 7
          default : dense
        } }`),
      ),
    ).toEqual([
      'layers all : layout("l.json")',
      "layers odd : window(256, dilation=2)",
      "heads [0, 3] : window(w) | layers 1..2 heads 0 : fixed(128, stride=2) + random(3, seed=7)",
      "default : dense()",
    ]);
  });

  it("keep `+` for terms in the space form and for sums in parentheses", () => {
    expect(attention(model("model m { attention { default : window 2 * b + global(n + 1) } }"))).toEqual([
      "default : window((2 * b)) + global((n + 1))",
    ]);
  });
});

describe("top-level items", () => {
  it("read imports and lets", () => {
    const ast = parseClean('import "common.tfx"\nlet block = 64 * 2\nlet neg = -block');
    expect(ast.items.map((i) => i.kind)).toEqual(["Import", "Let", "Let"]);
    const [imp, let1, let2] = ast.items;
    expect(imp.kind === "Import" && imp.path.value).toBe("common.tfx");
    expect(let1.kind === "Let" && show(let1.value)).toBe("(64 * 2)");
    expect(let2.kind === "Let" && show(let2.value)).toBe("(-block)");
  });

  it("accept an empty file and a file of comments", () => {
    expect(parseClean("").items).toEqual([]);
    const ast = parseClean("// nothing here\n/* at all */\n");
    expect(ast.comments?.map((c) => c.text)).toEqual(["// nothing here", "/* at all */"]);
  });
});

describe("spans", () => {
  const text = `let block = 64
model gpt {
  kind decoder  width 768
  ffn 4 * width gleu
  attention {
    layers 0..5 : window 256 + global [0]
  }
}
`;
  const ast = parseClean(text);
  const gpt = ast.items[1] as ModelDeclaration;

  it("cover the whole file, each item, and each field", () => {
    expect(ast.span.start).toEqual({ offset: 0, line: 1, column: 1 });
    expect(ast.span.end.offset).toBe(text.length);
    expect(gpt.span.start).toMatchObject({ line: 2, column: 1 });
    expect(gpt.span.end).toMatchObject({ line: 8, column: 2 });
    const width = gpt.members[1] as Field;
    expect(width.span.start).toMatchObject({ line: 3, column: 17 });
    expect(width.span.end).toMatchObject({ line: 3, column: 26 });
  });

  it("point at single values, so the checker can underline `gleu`", () => {
    const ffn = gpt.members[2] as Field;
    const activation = ffn.values[1];
    expect(activation.kind).toBe("Name");
    expect(activation.span.start).toMatchObject({ line: 4, column: 17 });
    expect(activation.span.end).toMatchObject({ line: 4, column: 21 });
    expect(text.slice(activation.span.start.offset, activation.span.end.offset)).toBe("gleu");
    const product = ffn.values[0];
    expect(text.slice(product.span.start.offset, product.span.end.offset)).toBe("4 * width");
  });

  it("cover attention selectors, terms and arguments", () => {
    const block = gpt.members[3] as AttentionBlock;
    const assignment = block.rules[0].assignments[0];
    const slice = (s: { span: { start: { offset: number }; end: { offset: number } } }) =>
      text.slice(s.span.start.offset, s.span.end.offset);
    expect(slice(assignment.selector)).toBe("layers 0..5");
    expect(slice(assignment.pattern)).toBe("window 256 + global [0]");
    expect(slice(assignment.pattern.terms[1])).toBe("global [0]");
    expect(slice(assignment.pattern.terms[1].args[0])).toBe("[0]");
    expect(block.keyword.span.start).toMatchObject({ line: 5, column: 3 });
    expect(slice(block)).toMatch(/^attention \{[\s\S]*\}$/);
  });
});
