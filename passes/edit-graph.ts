import { IrError, type Attrs, type Graph, type Node, type Parameter, type Value } from "../compiler/ir/graph.js";
import type { Initializer } from "../compiler/ir/initializer.js";
import { getOp } from "../compiler/ir/ops/registry.js";
import { sameType, tensorType, type DType } from "../compiler/ir/types.js";
import { verifyGraph } from "../compiler/ir/verify.js";

/** A parameter's new shape and data (a pruned slice, a merged mean, a factor). */
export interface ParamDefinition {
  readonly shape: readonly number[];
  readonly init: Initializer;
  readonly dtype?: DType;
  readonly trainable?: boolean;
}

/** Adds nodes while a node is rewritten; inputs are values of the new graph. */
export type Emit = (op: string, inputs: readonly Value[], attrs?: Attrs) => Value;

/** What a rewrite may use: `emit` adds a node, `param` finds a parameter of the new graph by name. */
export interface RewriteTools {
  readonly emit: Emit;
  readonly param: (name: string) => Value;
}

/**
 * What a pass changes. Everything not named stays as it was; results whose shapes change are
 * re-inferred by their op's rule, so a narrower weight narrows everything downstream.
 */
export interface GraphEdits {
  /** Parameters whose shape or data change, by name. */
  readonly params?: ReadonlyMap<string, ParamDefinition>;
  /** New parameters, by name (a factorized embedding's projection). */
  readonly newParams?: ReadonlyMap<string, ParamDefinition>;
  /** Uses of parameter `key` read parameter `value` instead (sharing); the unused one is dropped. */
  readonly aliases?: ReadonlyMap<string, string>;
  /** Nodes left out. Each value they define that is still used needs a substitute. */
  readonly removed?: ReadonlySet<Node>;
  /** Uses of a value read another instead (a removed layer's output → its input). */
  readonly substitutes?: ReadonlyMap<Value, Value>;
  /** A node's new attributes (fewer heads, a smaller layout). */
  readonly attrs?: (node: Node) => Attrs | undefined;
  /** Replaces a node by the nodes `emit` adds; returns the values that stand for its results, or undefined to keep it. */
  readonly rewrite?: (node: Node, inputs: readonly Value[], tools: RewriteTools) => readonly Value[] | undefined;
}

/**
 * Applies `edits` to `graph` and returns the new graph (the old one is untouched). Value and node ids
 * are kept where a thing survives, so printed graphs stay comparable. Parameters no node reads any
 * more are dropped. Throws an IrError if the result does not verify.
 */
export function editGraph(graph: Graph, edits: GraphEdits): Graph {
  let nextId = maxId(graph) + 1;
  const mapped = new Map<Value, Value>();
  const params: Parameter[] = [];
  const byName = new Map<string, Parameter>();
  for (const p of graph.params) {
    const change = edits.params?.get(p.name);
    if (!change) {
      params.push(p);
      byName.set(p.name, p);
      continue;
    }
    const value: Value = { id: p.value.id, type: tensorType(change.dtype ?? p.value.type.dtype, change.shape), name: p.name };
    const param: Parameter = { name: p.name, value, init: change.init, trainable: change.trainable ?? p.trainable };
    params.push(param);
    byName.set(p.name, param);
    mapped.set(p.value, value);
  }
  for (const [name, change] of edits.newParams ?? []) {
    if (byName.has(name)) throw new IrError(`parameter \`${name}\` already exists`);
    const value: Value = { id: nextId++, type: tensorType(change.dtype ?? "float32", change.shape), name };
    const param: Parameter = { name, value, init: change.init, trainable: change.trainable ?? true };
    params.push(param);
    byName.set(name, param);
  }
  for (const [from, to] of edits.aliases ?? []) {
    const source = graph.params.find((p) => p.name === from);
    const target = byName.get(to);
    if (!source || !target) throw new IrError(`cannot share \`${from}\` with \`${to}\`: no such parameter`);
    mapped.set(source.value, target.value);
  }
  for (const [from, to] of edits.substitutes ?? []) mapped.set(from, to);
  const use = (v: Value): Value => {
    let current = v;
    for (let hops = 0; mapped.has(current); hops++) {
      if (hops > 64) throw new IrError("substitution cycle");
      current = mapped.get(current)!;
    }
    return current;
  };

  const nodes: Node[] = [];
  let scope = "";
  const emit: Emit = (op, inputs, attrs = {}) => {
    const def = getOp(op);
    if (!def) throw new IrError(`unknown op \`${op}\``);
    const types = def.infer(inputs.map((v) => v.type), attrs);
    const outputs = types.map((type): Value => ({ id: nextId++, type }));
    nodes.push({ id: nextId++, op, inputs, outputs, attrs, scope });
    if (outputs.length !== 1) throw new IrError(`${op} has ${outputs.length} results; emit takes one`);
    return outputs[0];
  };
  const param = (name: string): Value => {
    const found = byName.get(name);
    if (!found) throw new IrError(`no parameter \`${name}\``);
    return found.value;
  };
  for (const node of graph.nodes) {
    if (edits.removed?.has(node)) continue;
    const inputs = node.inputs.map(use);
    scope = node.scope;
    const rewritten = edits.rewrite?.(node, inputs, { emit, param });
    if (rewritten) {
      node.outputs.forEach((old, i) => mapped.set(old, rewritten[i]));
      continue;
    }
    const attrs = edits.attrs?.(node) ?? node.attrs;
    const unchanged = attrs === node.attrs && inputs.every((v, i) => v === node.inputs[i]);
    if (unchanged) {
      nodes.push(node);
      continue;
    }
    const def = getOp(node.op);
    if (!def) throw new IrError(`node ${node.id}: unknown op \`${node.op}\``);
    const types = def.infer(inputs.map((v) => v.type), attrs);
    const outputs = node.outputs.map((old, i): Value => {
      if (sameType(old.type, types[i])) return old;
      const value: Value = { ...old, type: types[i] };
      mapped.set(old, value);
      return value;
    });
    nodes.push({ ...node, inputs, outputs, attrs });
  }

  const used = new Set<Value>(nodes.flatMap((n) => n.inputs));
  const outputs = graph.outputs.map((o) => ({ name: o.name, value: use(o.value) }));
  for (const o of outputs) used.add(o.value);
  const result: Graph = { ...graph, params: params.filter((p) => used.has(p.value)), nodes, outputs };
  const problems = verifyGraph(result);
  if (problems.length > 0) throw new IrError(`graph edit left a malformed graph:\n  ${problems.join("\n  ")}`);
  return result;
}

function maxId(graph: Graph): number {
  let most = -1;
  for (const v of graph.inputs) most = Math.max(most, v.id);
  for (const p of graph.params) most = Math.max(most, p.value.id);
  for (const n of graph.nodes) {
    most = Math.max(most, n.id);
    for (const v of n.outputs) most = Math.max(most, v.id);
  }
  return most;
}
