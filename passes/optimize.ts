import type { OptimizeDirective, PruneDirective, QuantizeDirective, ShareDirective } from "../compiler/check/optimize/index.js";
import type { CalibrationSamples } from "../compiler/check/optimize/quantize.js";
import type { RangeMethod } from "../compiler/ir/quant/math.js";
import type { Pass } from "../compiler/ir/pass.js";
import { pruneFfn } from "./prune-ffn.js";
import { quantizeEmbeddings } from "./quantize-embeddings.js";
import { quantizeFp16 } from "./quantize-fp16.js";
import { quantizeMatmul } from "./quantize-matmul.js";
import { pruneHeads } from "./prune-heads.js";
import { pruneLayers } from "./prune-layers.js";
import { pruneWeights } from "./prune-weights.js";
import { shareEmbeddingsFactorized } from "./share-embeddings-factorized.js";
import { shareEmbeddingsTied } from "./share-embeddings-tied.js";
import { shareLayers } from "./share-layers.js";

/** One directive of an `optimize` block as the pass that carries it out, with its options. */
export interface PlannedOptimization {
  readonly pass: Pass<never>;
  readonly options: unknown;
  /** The directive in canonical text (`prune heads 25% by l2`), for reports. */
  readonly directive: string;
  /**
   * Static quantization: the pass needs activation ranges observed by running the graph it will
   * rewrite on these samples (compileSpecAsync does; calibration.ts), passed as `ranges`.
   */
  readonly calibration?: { readonly method: RangeMethod; readonly samples: CalibrationSamples; readonly directive: QuantizeDirective };
}

type Planner<D> = (directive: D) => PlannedOptimization;

function planned<O>(pass: Pass<O>, options: O, directive: string): PlannedOptimization {
  return { pass: pass as Pass<never>, options, directive };
}

const planShare: Planner<ShareDirective> = (d) => {
  if (d.part !== "embeddings") {
    const grouping = d.all ? "all" : `groups of ${d.groupSize}`;
    return planned(shareLayers, { part: d.part, groupSize: d.groupSize }, `share ${d.part} ${grouping}`);
  }
  return d.mode === "tied"
    ? planned(shareEmbeddingsTied, {}, "share embeddings tied")
    : planned(shareEmbeddingsFactorized, { size: d.size }, `share embeddings factorized ${d.size}`);
};

const planPrune: Planner<PruneDirective> = (d) => {
  const share = (fraction: number) => `${Number((fraction * 100).toPrecision(6))}%`;
  switch (d.part) {
    case "heads":
      if ("explicit" in d) {
        const text = [...d.explicit].map(([layer, heads]) => `layers ${layer} [${heads.join(", ")}]`).join(" ");
        return planned(pruneHeads, { explicit: d.explicit }, `prune heads ${text}`);
      }
      return planned(pruneHeads, { fraction: d.fraction, norm: d.norm, scope: d.scope }, `prune heads ${share(d.fraction)} by ${d.norm} ${d.scope}`);
    case "ffn":
      return planned(pruneFfn, { fraction: d.fraction, norm: d.norm, scope: d.scope }, `prune ffn ${share(d.fraction)} by ${d.norm} ${d.scope}`);
    case "layers":
      return planned(pruneLayers, { layers: d.layers }, `prune layers [${d.layers.join(", ")}]`);
    case "weights":
      return planned(pruneWeights, { fraction: d.fraction, scope: d.scope }, `prune weights ${share(d.fraction)} magnitude ${d.scope}`);
  }
};

const planQuantize: Planner<QuantizeDirective> = (d) => {
  const symmetry = (symmetric: boolean) => (symmetric ? "symmetric" : "asymmetric");
  if (d.target === "fp16") return planned(quantizeFp16, {}, "quantize fp16");
  if (d.target === "embeddings") {
    return d.bits === 8
      ? planned(quantizeEmbeddings, { bits: 8, perRow: d.perRow, symmetric: d.symmetric }, `quantize embeddings int8 ${d.perRow ? "per_row" : "per_tensor"} ${symmetry(d.symmetric)}`)
      : planned(quantizeEmbeddings, { bits: 4, blockSize: d.blockSize, symmetric: d.symmetric }, `quantize embeddings int4 block ${d.blockSize} ${symmetry(d.symmetric)}`);
  }
  const layout = (d: { perChannel: boolean; symmetric: boolean }) => `${d.perChannel ? "per_channel" : "per_tensor"} ${symmetry(d.symmetric)}`;
  if (d.bits === 8 && d.mode === "static") {
    const method = d.method.kind === "minmax" ? "minmax" : `percentile ${Number(d.method.percentile.toPrecision(8))}%`;
    const samples = d.calibration.kind === "file" ? `calibrate ${JSON.stringify(d.calibration.path)}` : `samples ${d.calibration.samples} seq ${d.calibration.seq} seed ${d.calibration.seed}`;
    const step = planned(quantizeMatmul, { bits: 8, mode: "static", perChannel: d.perChannel, symmetric: d.symmetric }, `quantize matmul int8 static ${method} ${layout(d)} ${samples}`);
    return { ...step, calibration: { method: d.method, samples: d.calibration, directive: d } };
  }
  return d.bits === 8
    ? planned(quantizeMatmul, { bits: 8, mode: d.mode, perChannel: d.perChannel, symmetric: d.symmetric }, `quantize matmul int8 ${d.mode} ${layout(d)}`)
    : planned(quantizeMatmul, { bits: 4, blockSize: d.blockSize, symmetric: d.symmetric, accuracyLevel: d.accuracyLevel }, `quantize matmul int4 block ${d.blockSize} ${symmetry(d.symmetric)} accuracy ${d.accuracyLevel === 0 ? "fp32" : "int8"}`);
};

/** The passes an `optimize` block asks for, in the order written. */
export function planOptimizations(directives: readonly OptimizeDirective[]): PlannedOptimization[] {
  return directives.map((d) => {
    switch (d.kind) {
      case "share":
        return planShare(d);
      case "prune":
        return planPrune(d);
      case "quantize":
        return planQuantize(d);
    }
  });
}
