import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PlannedLayer } from "../../compiler/plan.js";
import { gigaflops, mebibytes } from "../../cli/format.js";
import { example, STACK_LINE, tempDir, tfc } from "./tfc.js";

describe("tfc compile", () => {
  const dir = tempDir("compile");
  afterAll(() => dir.remove());

  it("plans a 7B-parameter spec with --plan-only, allocating no weights", () => {
    const planPath = join(dir.path, "llama_7b.plan.json");
    const result = tfc(["compile", example("llama-7b.tfx"), "--plan-only", "--plan", planPath]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const plan = JSON.parse(readFileSync(planPath, "utf8"));
    expect(plan.graphs[0].parameters).toBe(6_738_415_616);
    expect(plan.graphs[0].file).toBeUndefined();
    expect(plan.graphs[0].layers).toHaveLength(32);
    expect(result.stdout).toContain("6,738,415,616");
    expect(readdirSync(dir.path).filter((f) => f.endsWith(".onnx"))).toEqual([]);
  });

  it("--external-data writes the weights beside the model and lists both files", () => {
    const out = join(dir.path, "external", "tiny.onnx");
    const result = tfc(["compile", example("tiny-gpt.tfx"), "-o", out, "--external-data"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(readdirSync(join(dir.path, "external")).sort()).toEqual(["tiny.onnx", "tiny.onnx.data", "tiny.plan.json"]);
    expect(result.stdout).toMatch(/wrote\s+\S+tiny\.onnx \(.*\)\n\s+\S+tiny\.onnx\.data \(.*\)\n\s+\S+tiny\.plan\.json/);
    const plan = JSON.parse(readFileSync(join(dir.path, "external", "tiny.plan.json"), "utf8"));
    expect(plan.graphs[0]).toMatchObject({ file: "tiny.onnx", externalData: "tiny.onnx.data" });

    // Rebuilt with the weights embedded, the old weights file would be read by nothing: it goes, and the summary says so.
    const again = tfc(["compile", example("tiny-gpt.tfx"), "-o", out]);
    expect(again.code).toBe(0);
    expect(readdirSync(join(dir.path, "external")).sort()).toEqual(["tiny.onnx", "tiny.plan.json"]);
    expect(again.stdout).toMatch(/removed\s+\S+tiny\.onnx\.data/);
    const embedded = JSON.parse(readFileSync(join(dir.path, "external", "tiny.plan.json"), "utf8"));
    expect(embedded.graphs[0].externalData).toBeUndefined();
  });

  it.each([
    ["tiny-gpt.tfx", "tiny_gpt", "decoder"],
    ["tiny-bert.tfx", "tiny_bert", "encoder"],
    ["tiny-llama.tfx", "tiny_llama", "decoder"],
  ])("compiles %s and reports what it costs", (file, model, kind) => {
    const out = join(dir.path, `${model}.onnx`);
    const result = tfc(["compile", example(file), "-o", out]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const planPath = join(dir.path, `${model}.plan.json`);
    expect(existsSync(planPath)).toBe(true);

    const plan = JSON.parse(readFileSync(planPath, "utf8"));
    expect(plan).toMatchObject({ format: "tfc-plan", model, kind });
    expect(plan.graphs[0].file).toBe(`${model}.onnx`);
    expect(plan.graphs[0].layers).toHaveLength(2);

    const text = result.stdout;
    expect(text).toContain(`compiled ${model} (${kind}) in `);
    expect(text).toMatch(/parameters\s+[\d,]+ \([\d.]+ K\)/);
    expect(text).toMatch(/weights\s+[\d.]+ MiB/);
    expect(text).toMatch(/FLOPs\/token\s+[\d.e-]+ GFLOP at full context \(32 tokens\)/);
    expect(text).toContain(out);
    expect(text).toContain(planPath);
    expect(text).toMatch(/layer\s+params\s+attn GFLOP\s+ffn GFLOP\s+density/);
    expect(text).toMatch(/^\s+0\s+[\d,]+\s+\S+\s+\S+\s+100%$/m);
    expect(text).toMatch(/^\s+1\s+[\d,]+\s+\S+\s+\S+\s+100%$/m);
    // The write is atomic: nothing temporary is left beside the outputs.
    expect(readdirSync(dir.path).filter((f) => f.includes("tmp"))).toEqual([]);
  });

  it("prints the parameter count with separators and a short form", () => {
    // tiny_gpt: 97·32 + 32·32 + 2 · (4·(32·32+32) + 4·32 + (32·128+128) + (128·32+32)) + 2·32
    const result = tfc(["compile", example("tiny-gpt.tfx"), "-o", join(dir.path, "count.onnx")]);
    expect(result.stdout).toMatch(/parameters\s+29,600 \(29\.6 K\)/);
  });

  it("writes out/<model>.onnx and out/<model>.plan.json by default", () => {
    const cwd = tempDir("default-out");
    try {
      const result = tfc(["compile", example("tiny-gpt.tfx")], { cwd: cwd.path });
      expect(result.code).toBe(0);
      expect(readdirSync(join(cwd.path, "out")).sort()).toEqual(["tiny_gpt.onnx", "tiny_gpt.plan.json"]);
      expect(result.stdout).toContain(join("out", "tiny_gpt.onnx"));
    } finally {
      cwd.remove();
    }
  });

  it("honours --plan and --opset, and --quiet prints nothing", () => {
    const out = join(dir.path, "opset.onnx");
    const plan = join(dir.path, "plans", "opset.json");
    const result = tfc(["compile", example("tiny-gpt.tfx"), "-o", out, "--plan", plan, "--opset", "18", "--quiet"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    const written = JSON.parse(readFileSync(plan, "utf8"));
    expect(written.graphs[0].opset).toBe(18);
    expect(written.graphs[0].file).toBe("../opset.onnx");
  });

  it("rejects an opset the emitter cannot write as a usage error", () => {
    const result = tfc(["compile", example("tiny-gpt.tfx"), "-o", join(dir.path, "x.onnx"), "--opset", "9"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error: option '--opset <n>' argument '9' is invalid/);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it("shows the first and last layers of a deep model with an ellipsis", () => {
    const spec = join(dir.path, "deep.tfx");
    writeFileSync(spec, "model deep {\n  kind decoder  vocab 16  context 8\n  width 8  layers 120  heads 2\n}\n");
    const result = tfc(["compile", spec, "-o", join(dir.path, "deep.onnx")]);
    expect(result.code).toBe(0);
    const rows = result.stdout.split("\n").filter((l) => /^\s+\d+\s+[\d,]+\s/.test(l));
    expect(rows.map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual([0, 1, 2, 3, 4, 115, 116, 117, 118, 119]);
    expect(result.stdout).toMatch(/…\s+\(110 more layers; every layer is in the plan\)/);
  });

  it("shows sparse attention against dense per layer and head group, as the plan has it", () => {
    const spec = join(dir.path, "mixed.tfx");
    writeFileSync(
      spec,
      [
        "model mixed {",
        "  kind decoder  vocab 64  context 256",
        "  width 64  layers 5  heads 4",
        "  attention {",
        "    layers 0..1 : window 32",
        "    layers 2 heads 0..1 : window 32, heads 2..3 : dense",
        "    layers 3 : window 160",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    const planPath = join(dir.path, "mixed.plan.json");
    const result = tfc(["compile", spec, "--plan-only", "--plan", planPath]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const layers: PlannedLayer[] = JSON.parse(readFileSync(planPath, "utf8")).graphs[0].layers;
    const lines = result.stdout.split("\n");
    const start = lines.findIndex((l) => /^\s+layer\s+heads\s+lowering\s+density\s+GFLOP\s+dense GFLOP\s+memory\s+dense memory$/.test(l));
    expect(start).toBeGreaterThan(0);
    const rows = lines.slice(start + 1).filter((l) => l.trim() !== "").map((l) => l.trim().split(/\s{2,}/));
    // The same figures in consecutive layers share a row; a layer whose heads differ gets one row per head group.
    const expected = (layer: PlannedLayer, first: number, last: number, label: string) => {
      const heads = layer.attention.heads.slice(first, last + 1);
      const sum = (pick: (h: PlannedLayer["attention"]["heads"][number]) => number) => heads.reduce((a, h) => a + pick(h), 0);
      const density = `${+(100 * heads[0].density).toFixed(1)}%`;
      return [label, first === last ? `${first}` : `${first}-${last}`, layer.attention.lowering, density, gigaflops(sum((h) => h.flops)), gigaflops(sum((h) => h.denseFlops)), mebibytes(sum((h) => h.memoryBytes)), mebibytes(sum((h) => h.denseMemoryBytes))].filter((c) => c !== "");
    };
    expect(rows).toEqual([
      expected(layers[0], 0, 3, "0-1"),
      expected(layers[2], 0, 1, "2"),
      expected(layers[2], 2, 3, ""),
      expected(layers[3], 0, 3, "3"),
      expected(layers[4], 0, 3, "4"),
    ]);
    expect(layers.map((l) => l.attention.lowering)).toEqual(["block-sparse", "block-sparse", "block-sparse", "dense-masked", "dense"]);
    expect(rows[0][5]).not.toBe(rows[0][4]); // block-sparse computes less than dense
  });

  it("--attention-chunks lowers block-sparse attention in chunks, and the plan says so", () => {
    const plan = (args: string[]) => {
      const planPath = join(dir.path, "chunks.plan.json");
      const result = tfc(["compile", example("sparse-gpt.tfx"), "--plan-only", "--plan", planPath, ...args]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      return JSON.parse(readFileSync(planPath, "utf8")).graphs[0].layers[0].attention as PlannedLayer["attention"];
    };
    const whole = plan([]);
    const chunked = plan(["--attention-chunks", "1"]);
    expect(whole.lowering).toBe("block-sparse");
    expect(whole.reason).not.toMatch(/chunks/);
    expect(chunked.reason).toMatch(/in \d+ chunks/);
    // The same work, held a chunk at a time.
    expect(chunked.flops).toBe(whole.flops);
    expect(chunked.peakBytes).toBeLessThan(whole.peakBytes);

    const bad = tfc(["compile", example("sparse-gpt.tfx"), "--plan-only", "--attention-chunks", "0"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--attention-chunks.*0\.0625/s);
  });

  it("prints no attention table for a dense model", () => {
    const result = tfc(["compile", example("tiny-gpt.tfx"), "--plan-only", "--plan", join(dir.path, "tiny.plan.json")]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain("dense GFLOP");
  });

  it("reports spec errors with exit 1 and writes nothing", () => {
    const spec = join(dir.path, "broken.tfx");
    writeFileSync(spec, "model broken {\n  kind decoder  vocab 97  context 32\n  width 30  layers 2  heads 4\n}\n");
    const out = join(dir.path, "broken.onnx");
    const result = tfc(["compile", spec, "-o", out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: could not compile `.*broken\.tfx` due to \d+ previous errors?/);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(existsSync(out)).toBe(false);
  });

  it("reports an unwritable output as a user error", () => {
    const blocker = join(dir.path, "a-file");
    writeFileSync(blocker, "");
    const result = tfc(["compile", example("tiny-gpt.tfx"), "-o", join(blocker, "model.onnx")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot write /m);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it("compiles a spec with static int8, calibrating on a file of token ids, and reports a bad file at its name", () => {
    const body = "  kind encoder  vocab 97  context 32  token_types 2\n  width 32  layers 2  heads 4\n  ffn 64 gelu  norm layernorm post\n";
    const spec = (file: string) => `model calibrated {\n${body}  optimize {\n    quantize matmul int8 static minmax calibrate "${file}"\n  }\n}\n`;
    writeFileSync(join(dir.path, "ids.json"), JSON.stringify([[1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 16]]));
    writeFileSync(join(dir.path, "static.tfx"), spec("ids.json"));
    const out = join(dir.path, "static.onnx");
    const result = tfc(["compile", join(dir.path, "static.tfx"), "-o", out]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(result.stdout).toMatch(/quantize matmul int8 static minmax per_channel symmetric calibrate "ids\.json".*cos (0\.99|1\.0000)/);
    const plan = JSON.parse(readFileSync(join(dir.path, "static.plan.json"), "utf8"));
    expect(plan.graphs[0].passes.at(-1)).toMatchObject({ lossy: true, statistics: { linearsQuantized: 12 } });
    // --plan-only allocates no weights, so it does not calibrate: same figures, and the plan says so.
    const planOnly = tfc(["compile", join(dir.path, "static.tfx"), "--plan-only", "--plan", join(dir.path, "static-only.plan.json")]);
    expect(planOnly.code).toBe(0);
    const unCalibrated = JSON.parse(readFileSync(join(dir.path, "static-only.plan.json"), "utf8")).graphs[0];
    expect(unCalibrated.weightBytes).toBe(plan.graphs[0].weightBytes);
    expect(unCalibrated.passes.at(-1).notes[0]).toMatch(/not calibrated/);

    writeFileSync(join(dir.path, "bad-ids.json"), "[[1, 2], [3, 400]]");
    writeFileSync(join(dir.path, "bad.tfx"), spec("bad-ids.json"));
    const bad = tfc(["compile", join(dir.path, "bad.tfx"), "-o", join(dir.path, "bad.onnx")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error\[E0607\]: calibration file "bad-ids\.json": \[1\]\[1\] is 400/);
    expect(bad.stderr).toMatch(/bad\.tfx:6:50/);
    expect(bad.stderr).toContain("^^^^^^^^^^^^^^");
    expect(bad.stderr).not.toMatch(STACK_LINE);
    expect(existsSync(join(dir.path, "bad.onnx"))).toBe(false);
  });

  it("runs an optimize block, reports each directive's cost and deviation, and records them in the plan", () => {
    const out = join(dir.path, "pruned.onnx");
    const result = tfc(["compile", example("tiny-bert-pruned.tfx"), "-o", out]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const text = result.stdout;
    expect(text).toMatch(/directive\s+params\s+weights\s+GFLOP\s+deviation from the unoptimized model/);
    expect(text).toMatch(/prune heads 25% by l2 per_layer\s+[\d.]+ K → [\d.]+ K.*logits: max [\d.e-]+, rel [\d.e-]+%, cos [\d.]+/);
    expect(text).toContain("prune layers [3]: layer 3 removed");
    const plan = JSON.parse(readFileSync(join(dir.path, "pruned.plan.json"), "utf8"));
    const passes = plan.graphs[0].passes;
    expect(passes.map((p: { directive: string }) => p.directive)).toEqual(["prune heads 25% by l2 per_layer", "prune ffn 50% by l1 per_layer", "prune layers [3]"]);
    expect(passes[0]).toMatchObject({ pass: "prune-heads", changed: true, lossy: true, deviation: { primary: "logits", inputs: { batch: 2, seq: 32, seed: 0 } } });
    expect(passes[0].after.parameters).toBeLessThan(passes[0].before.parameters);
    expect(passes[2].after.flops).toBeLessThan(passes[2].before.flops);
    expect(plan.graphs[0].layers.map((l: { layer: number }) => l.layer)).toEqual([0, 1, 2]);

    const quick = tfc(["compile", example("tiny-bert-pruned.tfx"), "-o", join(dir.path, "quick.onnx"), "--no-deviation"]);
    expect(quick.code).toBe(0);
    expect(quick.stdout).toContain("not measured");
    // Same spec, same seed: the same bytes, with or without measuring deviation.
    expect(readFileSync(join(dir.path, "quick.onnx")).equals(readFileSync(out))).toBe(true);
  });
});
