import type { Graph, Value } from "./graph.js";
import { getOp } from "./ops/registry.js";
import { formatType, sameType } from "./types.js";

/**
 * Checks the graph's invariants and returns every violation found (empty when well formed):
 * known ops with their attributes, inputs defined before use (SSA, topological order), results
 * typed as the op's rule says, unique names, outputs defined.
 */
export function verifyGraph(graph: Graph): string[] {
  const problems: string[] = [];
  const defined = new Set<Value>();
  const ids = new Set<number>();
  const define = (v: Value, where: string) => {
    if (ids.has(v.id)) problems.push(`${where}: value id ${v.id} is defined twice`);
    ids.add(v.id);
    defined.add(v);
  };

  const inputNames = new Set<string>();
  for (const input of graph.inputs) {
    if (!input.name) problems.push(`graph input %${input.id} has no name`);
    else if (inputNames.has(input.name)) problems.push(`graph input \`${input.name}\` is declared twice`);
    else inputNames.add(input.name);
    define(input, `input ${input.name}`);
  }
  const paramNames = new Set<string>();
  for (const p of graph.params) {
    if (paramNames.has(p.name)) problems.push(`parameter \`${p.name}\` is declared twice`);
    paramNames.add(p.name);
    if (p.value.name !== p.name) problems.push(`parameter \`${p.name}\` has a value named \`${p.value.name}\``);
    if (!p.value.type.shape.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0)) {
      problems.push(`parameter \`${p.name}\` must have a static shape, got ${formatType(p.value.type)}`);
    }
    define(p.value, `parameter ${p.name}`);
  }

  for (const node of graph.nodes) {
    const where = `node ${node.id} (${node.op}${node.scope ? ` in ${node.scope}` : ""})`;
    const def = getOp(node.op);
    if (!def) {
      problems.push(`${where}: unknown op`);
      continue;
    }
    const required = def.inputs.filter((n) => !n.endsWith("?")).length;
    if (node.inputs.length < required || node.inputs.length > def.inputs.length) {
      problems.push(`${where}: takes ${required}..${def.inputs.length} inputs, got ${node.inputs.length}`);
    }
    for (const name of def.attrs) if (!(name in node.attrs)) problems.push(`${where}: missing attribute \`${name}\``);
    for (const input of node.inputs) {
      if (!defined.has(input)) problems.push(`${where}: uses %${input.name ?? input.id} before it is defined`);
    }
    try {
      const inferred = def.infer(
        node.inputs.map((v) => v.type),
        node.attrs,
      );
      if (inferred.length !== node.outputs.length) {
        problems.push(`${where}: has ${node.outputs.length} results, its rule gives ${inferred.length}`);
      } else {
        inferred.forEach((t, i) => {
          if (!sameType(t, node.outputs[i].type)) {
            problems.push(`${where}: result ${i} is ${formatType(node.outputs[i].type)}, its rule gives ${formatType(t)}`);
          }
        });
      }
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
    }
    for (const out of node.outputs) define(out, where);
  }

  const outputNames = new Set<string>();
  for (const out of graph.outputs) {
    if (outputNames.has(out.name)) problems.push(`graph output \`${out.name}\` is declared twice`);
    outputNames.add(out.name);
    if (!defined.has(out.value)) problems.push(`graph output \`${out.name}\` is not defined by the graph`);
  }
  if (graph.outputs.length === 0) problems.push("graph has no outputs");
  return problems;
}
