import type { AttrValue, Graph, Value } from "./graph.js";
import { describeInitializer } from "./initializer.js";
import { formatType } from "./types.js";

/**
 * The graph as stable text: values renumbered %0, %1, … in node order, attributes sorted, one line
 * per node with its scope. Used by `tfc explain` and as the golden output of pass tests.
 */
export function printGraph(graph: Graph): string {
  const names = new Map<Value, string>();
  for (const v of graph.inputs) names.set(v, `%${v.name}`);
  for (const p of graph.params) names.set(p.value, `%${p.name}`);
  let counter = 0;
  for (const node of graph.nodes) for (const out of node.outputs) names.set(out, `%${counter++}`);
  const ref = (v: Value) => names.get(v) ?? `%?${v.id}`;

  const lines: string[] = [`graph ${graph.name} {`];
  for (const v of graph.inputs) lines.push(`  input ${ref(v)}: ${formatType(v.type)}`);
  for (const p of graph.params) {
    const kind = p.trainable ? "param" : "const";
    lines.push(`  ${kind} ${ref(p.value)}: ${formatType(p.value.type)} = ${describeInitializer(p.init)}`);
  }
  let scope: string | undefined;
  for (const node of graph.nodes) {
    if (node.scope !== scope) {
      scope = node.scope;
      lines.push(`  // ${scope || "(top)"}`);
    }
    const results = node.outputs.map((o) => `${ref(o)}: ${formatType(o.type)}`).join(", ");
    const attrs = Object.keys(node.attrs)
      .sort()
      .map((k) => `${k}=${formatAttr(node.attrs[k])}`);
    const attrText = attrs.length > 0 ? ` {${attrs.join(", ")}}` : "";
    lines.push(`  ${results} = ${node.op}(${node.inputs.map(ref).join(", ")})${attrText}`);
  }
  for (const out of graph.outputs) lines.push(`  output ${out.name} = ${ref(out.value)}`);
  lines.push("}");
  return lines.join("\n") + "\n";
}

/** Lists longer than this print as their length and a hash (block layouts hold thousands of values). */
const MAX_PRINTED_VALUES = 16;

function formatAttr(v: AttrValue): string {
  if (Array.isArray(v)) {
    const list = v as readonly number[];
    return list.length <= MAX_PRINTED_VALUES ? `[${list.join(",")}]` : `[…${list.length} values, fnv ${fnv1a(list)}]`;
  }
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

/** FNV-1a (32 bits, 8 hex digits) over the list's decimal text: equal lists print alike, different ones almost never do. */
function fnv1a(values: readonly number[]): string {
  const text = values.join(",");
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}
