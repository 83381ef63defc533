/** Constant tables that are computed, not learned (see docs/model-conventions.md). */

/** PE[p, 2i] = sin(p / 10000^(2i/W)), PE[p, 2i+1] = cos(p / 10000^(2i/W)). */
export function sinusoidalTable(context: number, width: number): Float32Array {
  const table = new Float32Array(context * width);
  for (let p = 0; p < context; p++) {
    for (let i = 0; i < width; i += 2) {
      const angle = p / Math.pow(10000, i / width);
      table[p * width + i] = Math.sin(angle);
      if (i + 1 < width) table[p * width + i + 1] = Math.cos(angle);
    }
  }
  return table;
}

/**
 * Rotary cos or sin table [context, headDim] in Hugging Face LLaMA's layout: angle[p, j] =
 * p * theta^(-2(j mod D/2)/D), the half-length frequency vector repeated twice.
 */
export function rotaryTable(context: number, headDim: number, theta: number, fn: (x: number) => number): Float32Array {
  const half = headDim / 2;
  const table = new Float32Array(context * headDim);
  for (let p = 0; p < context; p++) {
    for (let j = 0; j < headDim; j++) {
      const inverseFrequency = Math.pow(theta, -(2 * (j % half)) / headDim);
      table[p * headDim + j] = fn(p * inverseFrequency);
    }
  }
  return table;
}
