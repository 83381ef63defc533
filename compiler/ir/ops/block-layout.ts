import { IrError, type AttrValue, type Attrs } from "../graph.js";
import { headDensity } from "../../attention/layout.js";

/**
 * A block layout as the IR carries it on `attention` and `block_sparse_attention` nodes: for block
 * size b, per head, the key blocks each query block attends to (the canonical form of
 * compiler/attention/layout.ts; a `LayerLayout` is one). Decoders add the in-block causal mask on
 * the diagonal block.
 *
 * Attributes (all four or none):
 *   blockSize     b
 *   blockHeads    [heads]: head h uses distinct layout blockHeads[h] (heads with equal key lists share one)
 *   blockOffsets  CSR row pointers over (distinct layout, query block): length layouts·blocks + 1
 *   blockKeys     the key blocks of every row, concatenated, ascending within a row
 */
export interface BlockLayout {
  readonly blockSize: number;
  /** context / blockSize: query blocks and key blocks. */
  readonly blocks: number;
  readonly causal: boolean;
  readonly heads: readonly { readonly keys: readonly (readonly number[])[] }[];
}

/** A decoded layout, with heads that share a key list grouped. */
export interface SharedBlockLayout extends BlockLayout {
  /** distinct[headLayout[h]] is head h's key lists. */
  readonly headLayout: readonly number[];
  readonly distinct: readonly (readonly (readonly number[])[])[];
}

export const BLOCK_LAYOUT_ATTRS = ["blockSize", "blockHeads", "blockOffsets", "blockKeys"] as const;

/** The attributes that put `layout` on an attention node. */
export function blockLayoutAttrs(layout: BlockLayout): Record<string, AttrValue> {
  const index = new Map<string, number>();
  const blockHeads: number[] = [];
  const blockOffsets: number[] = [0];
  const blockKeys: number[] = [];
  for (const head of layout.heads) {
    const key = head.keys.map((row) => row.join(",")).join(";");
    let id = index.get(key);
    if (id === undefined) {
      id = index.size;
      index.set(key, id);
      for (const row of head.keys) {
        blockKeys.push(...row);
        blockOffsets.push(blockKeys.length);
      }
    }
    blockHeads.push(id);
  }
  return { blockSize: layout.blockSize, blockHeads, blockOffsets, blockKeys };
}

export function hasBlockLayout(attrs: Attrs): boolean {
  return BLOCK_LAYOUT_ATTRS.some((key) => key in attrs);
}

const decoded = new WeakMap<Attrs, SharedBlockLayout>();

/**
 * The layout on a node's attributes, checked against the node's `heads` and `causal`: undefined when
 * it carries none. Throws an IrError naming `op` when the encoding is malformed or the layout breaks
 * the canonical form's rules (empty rows, unsorted rows, a decoder reaching a future block).
 */
export function readBlockLayout(op: string, attrs: Attrs): SharedBlockLayout | undefined {
  if (!hasBlockLayout(attrs)) return undefined;
  const cached = decoded.get(attrs);
  if (cached) return cached;
  const bad = (message: string): never => {
    throw new IrError(`${op}: block layout: ${message}`);
  };
  for (const key of BLOCK_LAYOUT_ATTRS) if (!(key in attrs)) bad(`attribute \`${key}\` is missing (a layout needs ${BLOCK_LAYOUT_ATTRS.join(", ")})`);
  const { blockSize, heads, causal } = attrs;
  if (typeof blockSize !== "number" || !Number.isInteger(blockSize) || blockSize < 1) return bad(`blockSize must be a positive integer, got ${String(blockSize)}`);
  if (typeof heads !== "number") return bad("the node has no `heads`");
  const blockHeads = intList("blockHeads", attrs.blockHeads, bad);
  const offsets = intList("blockOffsets", attrs.blockOffsets, bad);
  const keys = intList("blockKeys", attrs.blockKeys, bad);
  if (blockHeads.length !== heads) bad(`blockHeads has ${blockHeads.length} entries for ${String(heads)} heads`);
  const layouts = blockHeads.reduce((m, id) => Math.max(m, id + 1), 0);
  if (blockHeads.some((id) => id < 0)) bad("blockHeads holds a negative layout index");
  const rows = offsets.length - 1;
  if (rows < 1 || rows % layouts !== 0) bad(`blockOffsets has ${offsets.length} entries, not layouts·blocks + 1 for ${layouts} layouts`);
  const blocks = rows / layouts;
  if (offsets[0] !== 0 || offsets[rows] !== keys.length) bad("blockOffsets must start at 0 and end at the number of keys");
  const distinct: number[][][] = [];
  for (let l = 0; l < layouts; l++) {
    const lists: number[][] = [];
    for (let i = 0; i < blocks; i++) {
      const r = l * blocks + i;
      if (offsets[r + 1] < offsets[r]) bad("blockOffsets must not decrease");
      const row = keys.slice(offsets[r], offsets[r + 1]);
      const where = `layout ${l}, query block ${i}`;
      if (row.length === 0) bad(`${where} attends to no key block`);
      row.forEach((j, k) => {
        if (j < 0 || j >= blocks) bad(`${where}: key block ${j} is outside 0..${blocks - 1}`);
        if (k > 0 && j <= row[k - 1]) bad(`${where}: key blocks must be ascending without repeats`);
      });
      if (causal === true && row[row.length - 1] > i) bad(`${where} reaches key block ${row[row.length - 1]}, after it, in a causal layout`);
      lists.push(row);
    }
    distinct.push(lists);
  }
  const layout: SharedBlockLayout = {
    blockSize,
    blocks,
    causal: causal === true,
    heads: blockHeads.map((id) => ({ keys: distinct[id] })),
    headLayout: blockHeads,
    distinct,
  };
  decoded.set(attrs, layout);
  return layout;
}

function intList(name: string, value: AttrValue | undefined, bad: (m: string) => never): readonly number[] {
  if (!Array.isArray(value)) return bad(`\`${name}\` must be a list of integers`);
  const list = value as readonly number[];
  for (const v of list) if (!Number.isInteger(v)) bad(`\`${name}\` holds ${v}, not an integer`);
  return list;
}

/** Fraction of (query, key) token pairs head `head` attends to: the canonical layout's formula. */
export const blockLayoutDensity: (layout: BlockLayout, head: number) => number = headDensity;
