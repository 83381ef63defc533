/**
 * The best rank-r factorization of a [rows, cols] matrix (Eckart–Young): A ≈ (A V_r) V_rᵀ, where V_r
 * holds the top r eigenvectors of the Gram matrix AᵀA (cols × cols), found by cyclic Jacobi
 * rotations in float64. Used by the factorized-embedding pass, where cols is the model width.
 */
export interface LowRank {
  /** A V_r: [rows, rank]. */
  readonly left: Float32Array;
  /** V_rᵀ: [rank, cols]. */
  readonly right: Float32Array;
  /** Fraction of ‖A‖²_F the rank-r part keeps (Σ of the top r eigenvalues / Σ of all). */
  readonly energyKept: number;
}

export function lowRank(a: Float32Array, rows: number, cols: number, rank: number): LowRank {
  const gram = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let i = 0; i < cols; i++) {
      const ai = a[base + i];
      if (ai === 0) continue;
      const row = i * cols;
      for (let j = i; j < cols; j++) gram[row + j] += ai * a[base + j];
    }
  }
  for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) gram[i * cols + j] = gram[j * cols + i];
  const { values, vectors } = jacobiEigen(gram, cols);
  const order = Array.from({ length: cols }, (_, i) => i).sort((x, y) => values[y] - values[x] || x - y);
  const top = order.slice(0, rank);
  const total = values.reduce((s, v) => s + Math.max(v, 0), 0);
  const kept = top.reduce((s, i) => s + Math.max(values[i], 0), 0);
  const right = new Float32Array(rank * cols);
  top.forEach((e, k) => {
    // Fix each eigenvector's sign (largest component positive) so the result is deterministic.
    let largest = 0;
    for (let j = 0; j < cols; j++) if (Math.abs(vectors[j * cols + e]) > Math.abs(largest)) largest = vectors[j * cols + e];
    const sign = largest < 0 ? -1 : 1;
    for (let j = 0; j < cols; j++) right[k * cols + j] = sign * vectors[j * cols + e];
  });
  const left = new Float32Array(rows * rank);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < rank; k++) {
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += a[r * cols + j] * right[k * cols + j];
      left[r * rank + k] = sum;
    }
  }
  return { left, right, energyKept: total > 0 ? kept / total : 1 };
}

/** Eigen-decomposition of a symmetric n×n matrix (destroyed): eigenvalues and column eigenvectors. */
function jacobiEigen(m: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += m[i] * m[i];
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] * m[p * n + q];
    if (off <= 1e-22 * scale) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i];
  return { values, vectors: v };
}
