import type { Graph, Value } from "../ir/graph.js";
import { getOp } from "../ir/ops/registry.js";
import type { TensorType } from "../ir/types.js";
import { ConstantPool, type ConstantTensor } from "./constants.js";
import { OnnxEmitError } from "./errors.js";
import { NameTable } from "./names.js";
import { OnnxGraphBuilder } from "./onnx-graph-builder.js";
import { TENSOR_DATA_TYPE, type NodeProto, type TypeProto, type ValueInfoProto } from "./schema.js";

/** An IR graph as ONNX nodes and value infos; parameters stay lazy (see layout.ts). */
export interface LoweredGraph {
  readonly name: string;
  readonly nodes: readonly NodeProto[];
  readonly inputs: readonly ValueInfoProto[];
  readonly outputs: readonly ValueInfoProto[];
  /**
   * The IR's type of every other node result. ONNX shape inference loses symbolic dims at ops such as
   * a Slice to a run-time length; without them ONNX Runtime cannot prove two tensors the same size and
   * computes in-place ops (Softmax over the S×S scores) into a second buffer.
   */
  readonly valueInfo: readonly ValueInfoProto[];
  readonly constants: readonly ConstantTensor[];
  /** Non-default domains the nodes use, with their opset versions. */
  readonly customDomains: ReadonlyMap<string, number>;
}

/**
 * Runs every IR node's ONNX lowering, in node order. Names: graph inputs and parameters keep theirs;
 * a graph output's value takes the output's name; other results are `${scope}/${op}_${k}`, where
 * `%k` is the value's number in `printGraph`'s text. An output that is an input, a parameter, or a
 * value already given to another output goes through an Identity node.
 */
export function lowerGraph(graph: Graph, opset: number): LoweredGraph {
  const values = new NameTable();
  const constants = new ConstantPool(values);
  const b = new OnnxGraphBuilder(opset, values, constants);
  const names = new Map<Value, string>();
  const typed: ValueInfoProto[] = [];

  for (const input of graph.inputs) {
    const name = input.name ?? "";
    values.reserve(name, `graph input %${input.id}`);
    names.set(input, name);
    b.define(name);
  }
  for (const p of graph.params) {
    values.reserve(p.name, `parameter \`${p.name}\``);
    names.set(p.value, p.name);
    b.define(p.name);
  }

  const identities: { readonly from: Value; readonly to: string }[] = [];
  for (const output of graph.outputs) {
    const own = names.get(output.value);
    if (own === output.name) continue; // an input or parameter returned under its own name
    values.reserve(output.name, `graph output \`${output.name}\``);
    if (own === undefined) names.set(output.value, output.name);
    else identities.push({ from: output.value, to: output.name });
  }

  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  let counter = 0;
  for (const node of graph.nodes) {
    const def = getOp(node.op);
    if (!def) throw new OnnxEmitError(`node ${node.id}: unknown op \`${node.op}\``);
    const prefix = node.scope ? `${node.scope}/` : "";
    const outputs = node.outputs.map((v) => {
      const k = counter++;
      let name = names.get(v);
      if (name === undefined) {
        name = values.fresh(`${prefix}${node.op}_${k}`);
        names.set(v, name);
      }
      return name;
    });
    const inputs = node.inputs.map((v) => {
      const name = names.get(v);
      if (name === undefined) throw new OnnxEmitError(`node ${node.id} (${node.op}) reads %${v.id}, which is not defined before it`);
      return name;
    });
    b.scope = node.scope;
    b.irOp = node.op;
    def.lower(b, inputs, outputs, node.attrs);
    outputs.forEach((name, i) => {
      if (!b.isDefined(name)) throw new OnnxEmitError(`lowering of \`${node.op}\` did not write its result \`${name}\``);
      if (!graphOutputs.has(name)) typed.push(valueInfo(name, node.outputs[i].type));
    });
  }

  b.scope = "";
  b.irOp = "output";
  for (const { from, to } of identities) b.node("Identity", [names.get(from) as string], [to]);

  return {
    name: graph.name,
    nodes: b.nodes,
    inputs: graph.inputs.map((v) => valueInfo(v.name ?? "", v.type)),
    outputs: graph.outputs.map((o) => valueInfo(o.name, o.value.type)),
    valueInfo: typed,
    constants: constants.tensors,
    customDomains: b.customDomains,
  };
}

function valueInfo(name: string, type: TensorType): ValueInfoProto {
  return { name, type: typeProto(type) };
}

export function typeProto(type: TensorType): TypeProto {
  return {
    tensor_type: {
      elem_type: TENSOR_DATA_TYPE[type.dtype],
      shape: { dim: type.shape.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d })) },
    },
  };
}
