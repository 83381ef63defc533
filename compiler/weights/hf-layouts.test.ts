import { describe, expect, test } from "vitest";
import { lowerModel } from "../lower/lower.js";
import type { ModelSpec } from "../spec.js";
import { tinySpec } from "../../test/specs.js";
import type { TensorTransform } from "./hf-layout.js";
import { HF_LAYOUT_DEFINITIONS } from "./hf-layouts.js";
import { checkpointBindings } from "./hf-match.js";
import { applyTransforms } from "./transform.js";

const bert = tinySpec({ kind: "encoder", tokenTypes: 2, norm: { kind: "layernorm", placement: "post", eps: 1e-12 }, output: { kind: "pooler" } });
const gpt2 = tinySpec({ ffn: { size: 80, activation: "gelu_tanh" } });
const llama = tinySpec({
  kvHeads: 2,
  headDim: 12,
  ffn: { size: 48, activation: "swiglu" },
  norm: { kind: "rmsnorm", placement: "pre", eps: 1e-6 },
  position: { kind: "rotary", theta: 10000 },
  bias: false,
  output: { kind: "lm", tied: false },
});

const cases: [string, ModelSpec][] = [
  ["hf-bert", bert],
  ["hf-bert", { ...bert, output: { kind: "classifier", classes: 3 } }],
  ["hf-bert", { ...bert, output: { kind: "none" } }],
  ["hf-gpt2", gpt2],
  ["hf-gpt2", { ...gpt2, output: { kind: "lm", tied: false } }],
  ["hf-llama", llama],
  ["hf-llama", { ...llama, bias: true, output: { kind: "lm", tied: true } }],
];

/** The shape a transform chain turns `shape` into. */
function transformedShape(shape: readonly number[], transforms: readonly TensorTransform[]): number[] {
  return transforms.reduce<number[]>(
    (current, t) => (t.kind === "transpose" ? [current[1], current[0]] : [...current.slice(0, -1), t.end - t.start]),
    [...shape],
  );
}

describe.each(cases)("%s name map", (layout, spec) => {
  const definition = HF_LAYOUT_DEFINITIONS[layout as keyof typeof HF_LAYOUT_DEFINITIONS];

  test("fits the spec's architecture", () => {
    expect(definition.architecture(spec)).toEqual([]);
  });

  test("fills every learned parameter lowering creates, once, with its shape", () => {
    const graph = lowerModel(spec);
    const learned = graph.params.filter((p) => p.init.kind !== "computed");
    const tensors = definition.tensors(spec);
    const filled = new Map<string, number[]>();
    for (const tensor of tensors) {
      for (const target of tensor.targets) {
        expect(filled.has(target.param), `${target.param} filled twice`).toBe(false);
        filled.set(target.param, transformedShape(tensor.shape, target.transforms));
      }
    }
    expect([...filled.keys()].sort()).toEqual(learned.map((p) => p.name).sort());
    for (const p of learned) expect(filled.get(p.name), p.name).toEqual(p.value.type.shape);
    expect(checkpointBindings(definition, spec, definition.basePrefix).size).toBe(learned.length);
  });

  test("names tensors uniquely", () => {
    const names = definition.tensors(spec).map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("transforms", () => {
  const matrix = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] };

  test("transpose turns nn.Linear's [out, in] into [in, out]", () => {
    const out = applyTransforms(matrix, [{ kind: "transpose" }]);
    expect(out.shape).toEqual([3, 2]);
    expect(Array.from(out.data)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  test("columns split a fused [in, 3·out] matrix and its [3·out] bias", () => {
    expect(Array.from(applyTransforms(matrix, [{ kind: "columns", start: 1, end: 3 }]).data)).toEqual([2, 3, 5, 6]);
    const bias = applyTransforms({ data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [6] }, [{ kind: "columns", start: 2, end: 4 }]);
    expect(bias.shape).toEqual([2]);
    expect(Array.from(bias.data)).toEqual([3, 4]);
  });

  test("a slice outside the axis is a bug, thrown", () => {
    expect(() => applyTransforms(matrix, [{ kind: "columns", start: 2, end: 4 }])).toThrow(/outside a last axis of 3/);
  });
});
