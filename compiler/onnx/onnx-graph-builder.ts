import type { TensorData } from "../ir/initializer.js";
import type { OnnxAttribute, OnnxBuilder } from "../ir/onnx-builder.js";
import type { DType } from "../ir/types.js";
import type { ConstantPool } from "./constants.js";
import { OnnxEmitError } from "./errors.js";
import { NameTable } from "./names.js";
import { ATTRIBUTE_TYPE, type AttributeProto, type NodeProto } from "./schema.js";

/** Domains a node may use, with the opset version imported for each (the default domain is `""`). */
const CUSTOM_DOMAIN_VERSIONS: Readonly<Record<string, number>> = { "com.microsoft": 1 };

/**
 * The `OnnxBuilder` op lowerings write through. Nodes are named `${scope}/${OpType}_${n}` (n counts
 * per scope and op type) and their fresh results `${nodeName}_output_${i}`; every input must already
 * be defined, so a lowering bug is reported here, naming the IR op, rather than by ONNX Runtime.
 */
export class OnnxGraphBuilder implements OnnxBuilder {
  readonly nodes: NodeProto[] = [];
  /** Non-default domains used by some node, with their versions. */
  readonly customDomains = new Map<string, number>();
  private readonly nodeNames = new NameTable();
  private readonly nodeCounts = new Map<string, number>();
  private readonly defined = new Set<string>();
  /** Outputs of nodes added through `sharedNode`, by op, domain, inputs and attributes. */
  private readonly sharedNodes = new Map<string, string[]>();
  /** Set by the graph lowering before each IR node's `lower` call, for names and messages. */
  scope = "";
  irOp = "";

  constructor(
    readonly opset: number,
    private readonly values: NameTable,
    private readonly constants: ConstantPool,
  ) {}

  /** Marks names as defined outside of nodes (graph inputs, initializers). */
  define(name: string): void {
    this.defined.add(name);
  }

  isDefined(name: string): boolean {
    return this.defined.has(name);
  }

  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[] | number,
    attributes: Readonly<Record<string, OnnxAttribute>> = {},
    domain = "",
  ): string[] {
    const where = `lowering of \`${this.irOp}\`${this.scope ? ` in ${this.scope}` : ""}: ${opType}`;
    if (domain === "ai.onnx") domain = "";
    if (domain !== "" && !(domain in CUSTOM_DOMAIN_VERSIONS)) throw new OnnxEmitError(`${where} uses the unknown domain \`${domain}\``);
    for (const input of inputs) {
      // "" is ONNX's spelling of an omitted optional input.
      if (input !== "" && !this.defined.has(input)) throw new OnnxEmitError(`${where} reads \`${input}\`, which is not defined yet`);
    }
    const prefix = this.scope ? `${this.scope}/` : "";
    const countKey = `${prefix}${opType}`;
    const n = this.nodeCounts.get(countKey) ?? 0;
    this.nodeCounts.set(countKey, n + 1);
    const name = this.nodeNames.fresh(`${countKey}_${n}`);

    let outputNames: string[];
    if (typeof outputs === "number") {
      if (!Number.isInteger(outputs) || outputs < 1) throw new OnnxEmitError(`${where} asks for ${outputs} outputs`);
      outputNames = Array.from({ length: outputs }, (_, i) => this.values.fresh(`${name}_output_${i}`));
    } else {
      outputNames = [...outputs];
      for (const output of outputNames) if (!this.values.has(output)) this.values.reserve(output, where);
    }
    for (const output of outputNames) {
      if (this.defined.has(output)) throw new OnnxEmitError(`${where} writes \`${output}\`, which is already defined`);
      this.defined.add(output);
    }
    if (domain !== "") this.customDomains.set(domain, CUSTOM_DOMAIN_VERSIONS[domain]);

    const attribute = Object.keys(attributes)
      .sort()
      .map((key) => attributeProto(key, attributes[key], where));
    this.nodes.push({ name, op_type: opType, ...(domain ? { domain } : {}), input: [...inputs], output: outputNames, attribute });
    return [...outputNames];
  }

  sharedNode(
    opType: string,
    inputs: readonly string[],
    outputs: number,
    attributes: Readonly<Record<string, OnnxAttribute>> = {},
    domain = "",
  ): string[] {
    const sortedAttributes = Object.keys(attributes)
      .sort()
      .map((key) => [key, attributes[key]]);
    const key = JSON.stringify([domain, opType, inputs, outputs, sortedAttributes]);
    const known = this.sharedNodes.get(key);
    if (known) return [...known];
    const made = this.node(opType, inputs, outputs, attributes, domain);
    this.sharedNodes.set(key, made);
    return [...made];
  }

  int64s(values: readonly number[]): string {
    return this.constant(this.constants.int64s(values));
  }

  int64(value: number): string {
    return this.constant(this.constants.int64(value));
  }

  float(value: number): string {
    return this.constant(this.constants.float(value));
  }

  floats(values: Float32Array, dims: readonly number[]): string {
    return this.constant(this.constants.floats(values, dims));
  }

  tensor(dtype: DType, data: TensorData, dims: readonly number[]): string {
    return this.constant(this.constants.tensor(dtype, data, dims));
  }

  private constant(name: string): string {
    this.defined.add(name);
    return name;
  }
}

function attributeProto(name: string, value: OnnxAttribute, where: string): AttributeProto {
  if ("int" in value) {
    checkInt(value.int, name, where);
    return { name, type: ATTRIBUTE_TYPE.INT, i: value.int };
  }
  if ("float" in value) return { name, type: ATTRIBUTE_TYPE.FLOAT, f: value.float };
  if ("ints" in value) {
    for (const v of value.ints) checkInt(v, name, where);
    return { name, type: ATTRIBUTE_TYPE.INTS, ints: [...value.ints] };
  }
  if ("floats" in value) return { name, type: ATTRIBUTE_TYPE.FLOATS, floats: [...value.floats] };
  return { name, type: ATTRIBUTE_TYPE.STRING, s: new TextEncoder().encode(value.string) };
}

function checkInt(v: number, name: string, where: string): void {
  if (!Number.isSafeInteger(v)) throw new OnnxEmitError(`${where}: attribute \`${name}\` = ${v} is not an integer`);
}
