import * as ort from "onnxruntime-node";
import { describe, expect, test } from "vitest";
import { GraphBuilder, computed, fill, literal, materialize, normal, registerOp, type Graph } from "../ir/index.js";
import { emitOnnx } from "./emit.js";
import { OnnxEmitError } from "./errors.js";
import { MAX_MODEL_BYTES } from "./layout.js";
import { onnxSchema, TENSOR_DATA_TYPE } from "./schema.js";

type Message = any;

function decode(bytes: Uint8Array): Message {
  const { ModelProto } = onnxSchema();
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number });
}

/** A small encoder layer: every naming rule shows up in it. */
function smallGraph(metadata: Record<string, unknown> = {}): Graph {
  const b = new GraphBuilder("tiny", { model: "tiny-encoder", dimBounds: { seq: 16 }, ...metadata });
  const ids = b.input("input_ids", "int64", ["batch", "seq"]);
  let h = b.withScope("embed", () => b.op("embedding", [b.param("embed.tokens", "float32", [11, 8], normal(3, "embed.tokens", 0.02)), ids]));
  for (const layer of [0, 1]) {
    h = b.withScope(`layers.${layer}.attn`, () => {
      const proj = (name: string) =>
        b.op("linear", [h, b.param(`layers.${layer}.attn.${name}.weight`, "float32", [8, 8], normal(3, `layers.${layer}.attn.${name}.weight`, 0.02))], {
          transposed: false,
        });
      const a = b.op("attention", [proj("q"), proj("k"), proj("v")], { heads: 2, kvHeads: 2, headDim: 4, causal: false });
      return b.op("add", [h, a]);
    });
  }
  b.output("hidden_states", h);
  b.output("pooled", b.withScope("head", () => b.op("tanh", [b.op("take_token", [h], { position: "first" })])));
  return b.build();
}

describe("ModelProto fields", () => {
  test("header, opset, inputs and outputs with symbolic dims", () => {
    const model = decode(emitOnnx(smallGraph(), { producerVersion: "0.1.0", docString: "a test model" }));
    expect(model.ir_version).toBe(8);
    expect(model.opset_import).toEqual([{ domain: "", version: 17 }]);
    expect(model.producer_name).toBe("tfc");
    expect(model.producer_version).toBe("0.1.0");
    expect(model.doc_string).toBe("a test model");
    expect(model.graph.name).toBe("tiny");
    expect(model.graph.input).toEqual([
      { name: "input_ids", type: { tensor_type: { elem_type: TENSOR_DATA_TYPE.int64, shape: { dim: [{ dim_param: "batch" }, { dim_param: "seq" }] } } } },
    ]);
    expect(model.graph.output.map((o: Message) => [o.name, o.type.tensor_type.elem_type, o.type.tensor_type.shape.dim])).toEqual([
      ["hidden_states", 1, [{ dim_param: "batch" }, { dim_param: "seq" }, { dim_value: 8 }]],
      ["pooled", 1, [{ dim_param: "batch" }, { dim_value: 8 }]],
    ]);
  });

  test("the IR version follows the opset; unsupported opsets are refused", () => {
    const irVersion = (opset: number) => decode(emitOnnx(smallGraph(), { opset })).ir_version;
    expect([17, 18, 19, 20, 21, 22, 23].map(irVersion)).toEqual([8, 8, 9, 9, 10, 10, 11]);
    expect(() => emitOnnx(smallGraph(), { opset: 16 })).toThrow(/opset 16 is not supported: tfc emits opsets 17 to 23/);
    expect(() => emitOnnx(smallGraph(), { opset: 17.5 })).toThrow(OnnxEmitError);
  });

  test("metadata: tfc.model first, then scalar fields by key, one level of records flattened", () => {
    const model = decode(emitOnnx(smallGraph({ kind: "encoder", vocab: 11, tied: true, shapes: [1, 2], deep: { a: { b: 1 } } })));
    expect(model.metadata_props).toEqual([
      { key: "tfc.model", value: "tiny-encoder" },
      { key: "tfc.dimBounds.seq", value: "16" },
      { key: "tfc.kind", value: "encoder" },
      { key: "tfc.tied", value: "true" },
      { key: "tfc.vocab", value: "11" },
    ]);
  });

  test("parameters are initializers with little-endian raw_data; shapes and dtypes kept", () => {
    const b = new GraphBuilder("dtypes", { model: "dtypes", dimBounds: {} });
    const x = b.input("x", "float32", [2]);
    b.param("f32", "float32", [2, 3], normal(1, "f32", 1));
    b.param("i64", "int64", [3], literal(BigInt64Array.of(-1n, 2n, 1n << 40n)));
    b.param("i32", "int32", [2], literal(Int32Array.of(-5, 7)));
    b.param("i8", "int8", [2], literal(Int8Array.of(-128, 127)));
    b.param("u8", "uint8", [1], literal(Uint8Array.of(200)));
    b.output("y", b.op("relu", [x]));
    const graph = b.build();
    const initializers = new Map<string, Message>(decode(emitOnnx(graph)).graph.initializer.map((t: Message) => [t.name, t]));
    for (const p of graph.params) {
      const tensor = initializers.get(p.name);
      expect(tensor.dims).toEqual(p.value.type.shape);
      expect(tensor.data_type).toBe(TENSOR_DATA_TYPE[p.value.type.dtype]);
      const data = materialize(p.init, p.value.type);
      expect(Buffer.from(tensor.raw_data)).toEqual(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
    expect(Buffer.from(initializers.get("i64").raw_data).toString("hex")).toBe("ffffffffffffffff" + "0200000000000000" + "0000000000010000");
  });

  test("float16 parameters are written from their bit patterns; float32 data for them is refused", () => {
    const b = new GraphBuilder("half", { model: "half", dimBounds: {} });
    b.output("w", b.param("w", "float16", [2], literal(Uint16Array.of(0x3c00, 0xc000))));
    const bytes = emitOnnx(b.build());
    const model = onnxSchema().ModelProto.decode(bytes) as unknown as { graph: { initializer: { raw_data: Uint8Array }[] } };
    expect(Buffer.from(model.graph.initializer[0].raw_data).toString("hex")).toBe("003c00c0");
    const wrong = new GraphBuilder("half", { model: "half", dimBounds: {} });
    wrong.output("w", wrong.param("w", "float16", [2], fill(0)));
    expect(() => emitOnnx(wrong.build())).toThrow(/float16 data must be a Uint16Array/);
  });
});

describe("names", () => {
  const model = decode(emitOnnx(smallGraph()));
  const nodes: Message[] = model.graph.node;

  test("nodes are named by scope and op type; IR results by scope, op and printer number", () => {
    expect(nodes.slice(0, 3).map((n) => [n.name, n.op_type, n.input, n.output])).toEqual([
      ["embed/Gather_0", "Gather", ["embed.tokens", "input_ids"], ["embed/embedding_0"]],
      ["layers.0.attn/MatMul_0", "MatMul", ["embed/embedding_0", "layers.0.attn.q.weight"], ["layers.0.attn/linear_1"]],
      ["layers.0.attn/MatMul_1", "MatMul", ["embed/embedding_0", "layers.0.attn.k.weight"], ["layers.0.attn/linear_2"]],
    ]);
    expect(new Set(nodes.map((n) => n.name)).size).toBe(nodes.length);
    const produced = nodes.flatMap((n) => n.output);
    expect(new Set(produced).size).toBe(produced.length);
  });

  test("graph outputs are written under their own names, with no Identity", () => {
    expect(nodes.filter((n) => n.op_type === "Identity")).toEqual([]);
    expect(nodes.filter((n) => n.output.includes("hidden_states")).map((n) => n.name)).toEqual(["layers.1.attn/Add_0"]);
    expect(nodes.filter((n) => n.output.includes("pooled")).map((n) => n.name)).toEqual(["head/Tanh_0"]);
  });

  test("constants are shared by value and named by it", () => {
    const names = model.graph.initializer.map((t: Message) => t.name);
    expect(names).toContain("const.i64.[0,0,2,4]");
    expect(names).toContain("const.f32.2");
    expect(names).toContain("const.i64.0");
    expect(new Set(names).size).toBe(names.length);
    const users = nodes.filter((n) => n.input.includes("const.i64.[0,0,2,4]"));
    expect(users.length).toBe(6); // q, k, v reshapes in both layers
  });

  test("float constants keep -0, infinities and NaN apart", () => {
    registerOp({
      name: "test_float_constants",
      summary: "adds several float constants",
      inputs: ["x"],
      attrs: [],
      infer: ([x]) => [x],
      flops: () => 0,
      lower(b, [x], [y]) {
        let v = x;
        for (const c of [0, -0, -Infinity, Infinity, NaN, 0.5, 0.5]) [v] = b.node("Add", [v, b.float(c)], 1);
        b.node("Identity", [v], [y]);
      },
    });
    const b = new GraphBuilder("floats", { model: "floats", dimBounds: {} });
    b.output("y", b.op("test_float_constants", [b.input("x", "float32", [1])]));
    const names = decode(emitOnnx(b.build())).graph.initializer.map((t: Message) => t.name);
    expect(names).toEqual(["const.f32.0", "const.f32.-0", "const.f32.-Infinity", "const.f32.Infinity", "const.f32.NaN", "const.f32.0.5"]);
  });

  test("an output that is an input, a parameter, or another output's value goes through Identity", async () => {
    const b = new GraphBuilder("passthrough", { model: "passthrough", dimBounds: {} });
    const x = b.input("x", "float32", ["n"]);
    const w = b.param("w", "float32", [2], literal(Float32Array.of(1.5, -2)));
    const y = b.op("relu", [x]);
    b.output("y", y);
    b.output("y_again", y);
    b.output("x_copy", x);
    b.output("weights", w);
    b.output("x", x); // returned under its own name: no node needed
    const bytes = emitOnnx(b.build());
    const identities = decode(bytes).graph.node.filter((n: Message) => n.op_type === "Identity");
    expect(identities.map((n: Message) => [n.input[0], n.output[0]])).toEqual([
      ["y", "y_again"],
      ["x", "x_copy"],
      ["w", "weights"],
    ]);
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor("float32", Float32Array.of(-1, 3), [2]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([0, 3]);
    expect(Array.from(out.y_again.data as Float32Array)).toEqual([0, 3]);
    expect(Array.from(out.x_copy.data as Float32Array)).toEqual([-1, 3]);
    expect(Array.from(out.weights.data as Float32Array)).toEqual([1.5, -2]);
    expect(Array.from(out.x.data as Float32Array)).toEqual([-1, 3]);
  });

  test("an output may not take an input's or parameter's name", () => {
    const b = new GraphBuilder("clash", { model: "clash", dimBounds: {} });
    const x = b.input("x", "float32", [2]);
    b.param("w", "float32", [2], fill(1));
    b.output("w", b.op("relu", [x]));
    expect(() => emitOnnx(b.build())).toThrow(/graph output `w`: the name `w` is already used/);
  });

  test("generated names step around user names", () => {
    const b = new GraphBuilder("taken", { model: "taken", dimBounds: {} });
    const x = b.input("relu_0", "float32", [2]); // what the relu's result would be called
    b.param("const.f32.0.5", "float32", [1], fill(0.5));
    const y = b.op("relu", [x]);
    b.output("out", b.op("gelu", [y], { approximate: "none" }));
    const model = decode(emitOnnx(b.build()));
    expect(model.graph.node[0].output).toEqual(["relu_0__2"]);
    expect(model.graph.initializer.map((t: Message) => t.name)).toContain("const.f32.0.5__2");
  });
});

describe("deterministic bytes", () => {
  test("the same graph emits the same bytes, built twice or emitted twice", () => {
    const first = emitOnnx(smallGraph());
    expect(Buffer.from(emitOnnx(smallGraph())).equals(Buffer.from(first))).toBe(true);
    const graph = smallGraph();
    expect(Buffer.from(emitOnnx(graph)).equals(Buffer.from(emitOnnx(graph)))).toBe(true);
  });

  test("the spliced tensors give exactly protobufjs's encoding of the whole message", () => {
    const bytes = emitOnnx(smallGraph(), { producerVersion: "1", docString: "d" });
    const { ModelProto } = onnxSchema();
    expect(Buffer.from(ModelProto.encode(ModelProto.decode(bytes)).finish()).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe("lowering contract", () => {
  const define = (name: string, lower: Parameters<typeof registerOp>[0]["lower"]) =>
    registerOp({ name, summary: "a broken lowering", inputs: ["x"], attrs: [], infer: ([x]) => [x], flops: () => 0, lower });
  define("test_reads_undefined", (b, _inputs, [y]) => void b.node("Relu", ["nowhere"], [y]));
  define("test_forgets_result", (b, [x]) => void b.node("Relu", [x], 1));
  define("test_microsoft_gelu", (b, inputs, outputs) => void b.node("Gelu", inputs, outputs, {}, "com.microsoft"));
  define("test_unknown_domain", (b, inputs, outputs) => void b.node("Foo", inputs, outputs, {}, "org.example"));

  const graphWith = (op: string) => {
    const b = new GraphBuilder("contract", { model: "contract", dimBounds: {} });
    b.output("y", b.withScope("layers.0", () => b.op(op, [b.input("x", "float32", [2])])));
    return b.build();
  };

  test("an undefined input or an unwritten result is reported against the IR op", () => {
    expect(() => emitOnnx(graphWith("test_reads_undefined"))).toThrow(/lowering of `test_reads_undefined` in layers.0: Relu reads `nowhere`/);
    expect(() => emitOnnx(graphWith("test_forgets_result"))).toThrow(/lowering of `test_forgets_result` did not write its result `y`/);
    expect(() => emitOnnx(graphWith("test_unknown_domain"))).toThrow(/unknown domain `org.example`/);
  });

  test("com.microsoft is imported only when a node uses it, and runs", async () => {
    expect(decode(emitOnnx(smallGraph())).opset_import).toEqual([{ domain: "", version: 17 }]);
    const bytes = emitOnnx(graphWith("test_microsoft_gelu"));
    const model = decode(bytes);
    expect(model.opset_import).toEqual([
      { domain: "", version: 17 },
      { domain: "com.microsoft", version: 1 },
    ]);
    expect(model.graph.node[0].domain).toBe("com.microsoft");
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor("float32", Float32Array.of(0, 1), [2]) });
    expect((out.y.data as Float32Array)[1]).toBeCloseTo(0.8413447, 6);
  });
});

describe("the 2 GiB limit", () => {
  test("is checked from parameter sizes before anything is lowered or materialized", () => {
    const b = new GraphBuilder("huge", { model: "huge", dimBounds: {} });
    const x = b.input("x", "float32", [4096]);
    const never = () => {
      throw new Error("materialized");
    };
    const w = b.param("w", "float32", [4096, 131072], computed("never", never));
    b.output("y", b.op("linear", [x, w], { transposed: false }));
    expect(() => emitOnnx(b.build())).toThrow(/needs 2147483648 bytes .* over the 2 GiB limit .*Store its weights as ONNX external data/);
  });

  test("counts the whole message, not only parameters", () => {
    // Parameters alone fit; with the graph and tensor headers the message does not.
    const b = new GraphBuilder("edge", { model: "edge", dimBounds: {} });
    const x = b.input("x", "uint8", [1]);
    b.param("w", "uint8", [MAX_MODEL_BYTES - 10], computed("never", () => new Float32Array(0)));
    b.output("y", x);
    expect(() => emitOnnx(b.build())).toThrow(/over the 2 GiB limit/);
  });
});

describe("shared nodes", () => {
  /** Int8 linears: `count` of them read x, one reads relu(x); or only linear `only`. */
  function quantizedLinears(only?: number): Graph {
    const b = new GraphBuilder("shared_quantization", { model: "shared-quantization", dimBounds: { seq: 8 } });
    const x = b.input("x", "float32", ["batch", "seq", 6]);
    const weight = (i: number) => b.param(`w${i}`, "int8", [6, 5], literal(Int8Array.from({ length: 30 }, (_, j) => ((j * 37 + i * 11) % 255) - 127)));
    const scale = (i: number) => b.param(`s${i}`, "float32", [5], literal(Float32Array.from({ length: 5 }, (_, j) => 0.01 + 0.003 * ((i + j) % 4))));
    const readers = [x, x, x, b.op("relu", [x])];
    readers.forEach((input, i) => {
      if (only === undefined || only === i) b.output(`y${i}`, b.op("dynamic_quantized_linear", [input, weight(i), scale(i)], { transposed: false, perChannel: true }));
    });
    return b.build();
  }

  test("linears reading one activation share its DynamicQuantizeLinear; the numbers are those of each linear alone", async () => {
    const bytes = emitOnnx(quantizedLinears());
    const quantizations = decode(bytes).graph.node.filter((n: Message) => n.op_type === "DynamicQuantizeLinear");
    // One for the three linears reading x, one for the linear reading relu(x).
    expect(quantizations.length).toBe(2);
    expect(quantizations[0].input).toEqual(["x"]);
    expect(quantizations[1].input[0]).not.toBe("x");
    const feeds = { x: new ort.Tensor("float32", Float32Array.from({ length: 2 * 3 * 6 }, (_, i) => Math.sin(i * 1.7) * 3), [2, 3, 6]) };
    const together = await (await ort.InferenceSession.create(bytes)).run(feeds);
    for (let i = 0; i < 4; i++) {
      const alone = await (await ort.InferenceSession.create(emitOnnx(quantizedLinears(i)))).run(feeds);
      expect(Array.from(together[`y${i}`].data as Float32Array)).toEqual(Array.from(alone[`y${i}`].data as Float32Array));
    }
    expect(emitOnnx(quantizedLinears())).toEqual(bytes);
  });
});
