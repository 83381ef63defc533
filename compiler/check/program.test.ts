import { describe, expect, test } from "vitest";
import type { SourceFile } from "../../grammar/ast.js";
import { parse } from "../../grammar/index.js";
import { check } from "./index.js";
import { checkSource, textAt } from "./testing.js";

const SMALL = "kind decoder vocab 100 context 16 width 32 layers 2 heads 4";

describe("imports", () => {
  test("an imported model can be extended, and its lets used", () => {
    const checked = checkSource(`import "lib/base.tfx"\nmodel mine extends base { width 2 * unit }\n`, {
      files: { "lib/base.tfx": `let unit = 32\nmodel base { ${SMALL} }\n` },
    });
    expect(checked.brief).toEqual([]);
    expect(checked.models).toEqual(["mine"]);
    expect(checked.spec).toMatchObject({ name: "mine", width: 64 });
  });

  test("imports are relative to the importing file", () => {
    const checked = checkSource(`import "lib/a.tfx"\nmodel m extends b { }\n`, {
      files: { "lib/a.tfx": 'import "b.tfx"\n', "lib/b.tfx": `model b { ${SMALL} }\n` },
    });
    expect(checked.brief).toEqual([]);
  });

  test("a missing file is reported at the import's string", () => {
    const source = `import "nowhere.tfx"\nmodel m { ${SMALL} }\n`;
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0601 1:8 cannot import `nowhere.tfx`"]);
    expect(checked.diagnostics[0].label).toBe("file not found");
    expect(textAt(source, checked.diagnostics[0])).toBe('"nowhere.tfx"');
    expect(checked.spec).toBeUndefined();
  });

  test("without a loader an import is an error, not a crash", () => {
    const { ast } = parse(`import "x.tfx"\nmodel m { ${SMALL} }\n`, "main.tfx");
    expect(check(ast).diagnostics.map((d) => d.code)).toEqual(["E0601"]);
  });

  test("import cycles", () => {
    const checked = checkSource(`import "a.tfx"\nmodel m { ${SMALL} }\n`, {
      files: { "a.tfx": 'import "main.tfx"\n' },
    });
    expect(checked.brief).toEqual(["E0603 1:8 import cycle: main.tfx → a.tfx → main.tfx"]);
    expect(checked.diagnostics[0].span.file).toBe("a.tfx");
  });

  test("errors in imported files are reported, parse errors included", () => {
    const checked = checkSource(`import "a.tfx"\nmodel m extends a { }\n`, {
      files: { "a.tfx": `model a { ${SMALL} ffn 3072 gleu }\nmodel broken {\n` },
    });
    const inA = checked.diagnostics.filter((d) => d.span.file === "a.tfx").map((d) => d.code);
    expect(inA).toContain("E0204");
    expect(inA.some((code) => code.startsWith("E01"))).toBe(true);
  });

  test("a loader that throws is reported as a missing file", () => {
    const { ast } = parse(`import "x.tfx"\nmodel m { ${SMALL} }\n`, "main.tfx");
    const result = check(ast, {
      loadImport: () => {
        throw new Error("EACCES: permission denied");
      },
    });
    expect(result.diagnostics.map((d) => [d.code, d.label])).toEqual([["E0601", "EACCES: permission denied"]]);
  });

  test("the same model declared twice", () => {
    const checked = checkSource(`model m { ${SMALL} }\nmodel m { ${SMALL} }\n`, { model: "m" });
    expect(checked.brief).toEqual(["E0209 2:7 model `m` is declared twice"]);
  });
});

describe("choosing the model", () => {
  const TWO = `model a { ${SMALL} }\nmodel b extends a { }\n`;

  test("one model needs no name", () => {
    expect(checkSource(`model only { ${SMALL} }`).spec?.name).toBe("only");
  });

  test("several models need --model, and the error lists them", () => {
    const checked = checkSource(TWO);
    expect(checked.brief).toEqual(["E0604 1:7 main.tfx declares 2 models; choose one with --model"]);
    expect(checked.diagnostics[0].help).toBe("the models are `a` and `b`");
    expect(checked.models).toEqual(["a", "b"]);
    expect(checked.spec).toBeUndefined();
    expect(checkSource(TWO, { model: "b" }).spec?.name).toBe("b");
  });

  test("an unknown --model, with a suggestion", () => {
    const checked = checkSource(TWO, { model: "bb" });
    expect(checked.brief).toEqual(["E0202 1:1 no model named `bb` in main.tfx"]);
    expect(checked.diagnostics[0].help).toBe("did you mean `b`?");
  });

  test("a file without models", () => {
    expect(checkSource("let x = 1\n").brief).toEqual(["E0605 1:1 main.tfx declares no model"]);
  });

  test("check() never throws: a malformed AST becomes an internal error", () => {
    const bogus = { kind: "SourceFile", file: "x.tfx", items: [{ kind: "Model" }], span: parse("", "x.tfx").ast.span } as unknown as SourceFile;
    const result = check(bogus);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0901"]);
  });
});

describe("one run reports every problem", () => {
  test("a file with many mistakes", () => {
    const source = [
      "let block = 64 / 0",
      "model gpt {",
      "  kind decoder  vocab 50257  context 1024",
      "  width 770   layers 12   heads 12   kv_heads 5",
      "  ffn 4 * width gleu",
      "  norm layernorm pre eps 1e-5 tied",
      "  position alibi",
      "  hedas 3",
      "  attention { default : window block }",
      "  optimize { recompute every 2 layers }",
      "  target onnx { opset 12  precision fp16 }",
      "}",
      "",
    ].join("\n");
    const checked = checkSource(source);
    expect(checked.parseDiagnostics).toEqual([]);
    expect(checked.brief).toEqual([
      "E0211 1:13 division by zero in `64 / 0`",
      "E0310 4:3 `width` (770) is not divisible by `heads` (12)",
      "E0311 4:38 `heads` (12) is not divisible by `kv_heads` (5)",
      "E0204 5:17 unknown activation `gleu`",
      "E0207 6:31 unexpected value `tied` in `norm`",
      "E0501 7:12 `position alibi` is not supported yet",
      "E0201 8:3 unknown field `hedas`",
      "E0501 10:14 `recompute` is not supported yet",
      "E0205 11:23 opset 12 is not supported",
      "E0501 11:37 precision `fp16` is not supported yet",
    ]);
    expect(checked.spec).toBeUndefined();
  });
});
