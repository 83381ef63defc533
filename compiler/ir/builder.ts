import { IrError, type Attrs, type Graph, type GraphMetadata, type GraphOutput, type Node, type Parameter, type Value } from "./graph.js";
import type { Initializer } from "./initializer.js";
import { getOp } from "./ops/registry.js";
import { tensorType, type DType, type Dim } from "./types.js";
import { verifyGraph } from "./verify.js";

/**
 * Builds a graph node by node; every `op` call runs the op's shape rule, so a badly typed graph
 * cannot be built. `GraphBuilder.from(graph)` starts a new graph with the old inputs and parameters,
 * which is how passes produce their results.
 */
export class GraphBuilder {
  private nextId = 0;
  private readonly inputs: Value[] = [];
  private readonly params: Parameter[] = [];
  private readonly nodes: Node[] = [];
  private readonly outputs: GraphOutput[] = [];
  private readonly paramNames = new Map<string, Parameter>();
  private scope = "";

  constructor(
    readonly name: string,
    private metadata: GraphMetadata,
  ) {}

  /** A builder holding `graph`'s inputs and parameters (same Value objects), but no nodes or outputs. */
  static from(graph: Graph): GraphBuilder {
    const b = new GraphBuilder(graph.name, graph.metadata);
    b.inputs.push(...graph.inputs);
    for (const p of graph.params) {
      b.params.push(p);
      b.paramNames.set(p.name, p);
    }
    // Node ids share the counter with values, so both are scanned (a loop: spreading 100k ids overflows).
    let maxId = -1;
    for (const v of [...graph.inputs, ...graph.params.map((p) => p.value)]) maxId = Math.max(maxId, v.id);
    for (const n of graph.nodes) {
      maxId = Math.max(maxId, n.id);
      for (const v of n.outputs) maxId = Math.max(maxId, v.id);
    }
    b.nextId = maxId + 1;
    return b;
  }

  input(name: string, dtype: DType, shape: readonly Dim[]): Value {
    const value: Value = { id: this.nextId++, type: tensorType(dtype, shape), name };
    this.inputs.push(value);
    return value;
  }

  param(
    name: string,
    dtype: DType,
    shape: readonly number[],
    init: Initializer,
    options: { trainable?: boolean; valuesPerElement?: number } = {},
  ): Value {
    if (this.paramNames.has(name)) throw new IrError(`parameter \`${name}\` is defined twice`);
    const value: Value = { id: this.nextId++, type: tensorType(dtype, shape), name };
    const param: Parameter = {
      name,
      value,
      init,
      trainable: options.trainable ?? true,
      ...(options.valuesPerElement !== undefined ? { valuesPerElement: options.valuesPerElement } : {}),
    };
    this.params.push(param);
    this.paramNames.set(name, param);
    return value;
  }

  /** The parameter's value if it exists (for tying and sharing). */
  existingParam(name: string): Value | undefined {
    return this.paramNames.get(name)?.value;
  }

  /** Removes parameters no node uses (a pass that drops nodes calls this before `build`). */
  dropUnusedParams(): void {
    const used = new Set(this.nodes.flatMap((n) => n.inputs));
    for (let i = this.params.length - 1; i >= 0; i--) {
      if (!used.has(this.params[i].value)) {
        this.paramNames.delete(this.params[i].name);
        this.params.splice(i, 1);
      }
    }
  }

  /** Adds a node with one result. `undefined` inputs are optional inputs left out. */
  op(op: string, inputs: readonly (Value | undefined)[], attrs: Attrs = {}): Value {
    const outputs = this.opMulti(op, inputs, attrs);
    if (outputs.length !== 1) throw new IrError(`${op} has ${outputs.length} results; use opMulti`);
    return outputs[0];
  }

  opMulti(op: string, inputs: readonly (Value | undefined)[], attrs: Attrs = {}): Value[] {
    const def = getOp(op);
    if (!def) throw new IrError(`unknown op \`${op}\``);
    const present = inputs.filter((v): v is Value => v !== undefined);
    const types = def.infer(
      inputs.map((v) => v?.type as never),
      attrs,
    );
    const outputs: Value[] = types.map((type) => ({ id: this.nextId++, type }));
    this.nodes.push({ id: this.nextId++, op, inputs: present, outputs, attrs, scope: this.scope });
    return outputs;
  }

  /** Runs `body` with nodes tagged by `scope` (`layers.3.attn`). */
  withScope<T>(scope: string, body: () => T): T {
    const saved = this.scope;
    this.scope = scope;
    try {
      return body();
    } finally {
      this.scope = saved;
    }
  }

  output(name: string, value: Value): void {
    this.outputs.push({ name, value });
  }

  setMetadata(metadata: GraphMetadata): void {
    this.metadata = metadata;
  }

  /** The finished graph; verified, so a builder bug surfaces here and not in ONNX Runtime. */
  build(): Graph {
    const graph: Graph = {
      name: this.name,
      inputs: [...this.inputs],
      params: [...this.params],
      nodes: [...this.nodes],
      outputs: [...this.outputs],
      metadata: this.metadata,
    };
    const problems = verifyGraph(graph);
    if (problems.length > 0) throw new IrError(`graph \`${this.name}\` is malformed:\n  ${problems.join("\n  ")}`);
    return graph;
  }
}
