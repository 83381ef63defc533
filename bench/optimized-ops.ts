/**
 * What ONNX Runtime made of a model: the graph after its optimizers ran (`optimizedModelFilePath`),
 * counted by op type. Comparing two models' counts shows which fusions (Attention, SkipLayerNorm,
 * BiasGelu, FusedMatMul, …) one got and the other missed.
 */
import { readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import protobuf from "protobufjs";
import { cpuSessionOptions, openSession, type SessionOptions } from "./latency.js";

export interface OpCounts {
  readonly name: string;
  /** Nodes in the optimized graph. */
  readonly nodes: number;
  /** `MatMul`, `com.microsoft.FusedMatMul`, … → count; sorted by count, descending. */
  readonly byType: Readonly<Record<string, number>>;
  /** The same for the model as written, before ONNX Runtime optimized it. */
  readonly beforeByType: Readonly<Record<string, number>>;
}

interface NodeProto {
  opType: string;
  domain?: string;
}
interface ModelProto {
  graph: { node: NodeProto[] };
}

let modelType: protobuf.Type | undefined;
function decodeModel(bytes: Uint8Array): ModelProto {
  if (!modelType) {
    const root = protobuf.loadSync(join(process.cwd(), "compiler/onnx/onnx.proto"));
    modelType = root.lookupType("onnx.ModelProto");
  }
  return modelType.toObject(modelType.decode(bytes), { defaults: false }) as ModelProto;
}

export function countOps(model: ModelProto): Record<string, number> {
  const counts = new Map<string, number>();
  for (const node of model.graph.node) {
    const key = node.domain && node.domain !== "ai.onnx" ? `${node.domain}.${node.opType}` : node.opType;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/**
 * Opens `modelPath` with `options` plus `optimizedModelFilePath` (weights written to a side file so
 * the graph stays small to read back), and counts op types before and after.
 */
export async function optimizedOpCounts(
  name: string,
  modelPath: string,
  workDir: string,
  options: SessionOptions = cpuSessionOptions(),
): Promise<OpCounts> {
  const out = join(workDir, `${name}.optimized.onnx`);
  const data = `${basename(out)}.data`;
  const { session } = await openSession(modelPath, {
    ...options,
    optimizedModelFilePath: out,
    extra: {
      session: {
        optimized_model_external_initializers_file_name: data,
        optimized_model_external_initializers_min_size_in_bytes: "1024",
      },
    },
  });
  await session.release();
  const optimized = decodeModel(readFileSync(out));
  rmSync(join(workDir, data), { force: true });
  const before = decodeModel(readFileSync(modelPath));
  return { name, nodes: optimized.graph.node.length, byType: countOps(optimized), beforeByType: countOps(before) };
}
