import type { OpDef } from "./op.js";
import { elementwiseOps } from "./elementwise.js";
import { linearOps } from "./linear.js";
import { normOps } from "./norm.js";
import { embeddingOps } from "./embedding.js";
import { attentionOps } from "./attention.js";
import { blockSparseAttentionOps } from "./block-sparse-attention.js";
import { quantLinearOps } from "./quant-linear.js";
import { quantNBitsOps } from "./quant-nbits.js";
import { quantEmbeddingOps } from "./quant-embedding.js";
import { quantCastOps } from "./quant-cast.js";

const table = new Map<string, OpDef>();

/** Adds an op to the table. User code may register its own ops for custom passes. */
export function registerOp(def: OpDef): void {
  if (table.has(def.name)) throw new Error(`op \`${def.name}\` is already registered`);
  table.set(def.name, def);
}

export function getOp(name: string): OpDef | undefined {
  return table.get(name);
}

export function registeredOps(): string[] {
  return [...table.keys()].sort();
}

for (const def of [...elementwiseOps, ...linearOps, ...normOps, ...embeddingOps, ...attentionOps, ...blockSparseAttentionOps]) registerOp(def);
for (const def of [...quantLinearOps, ...quantNBitsOps, ...quantEmbeddingOps, ...quantCastOps]) registerOp(def);
