/** Small dense linear algebra on row-major Float64Array matrices (n x n, n ~ batch size). */

/** log |det A| by LU with partial pivoting; -Infinity for a singular matrix. `a` is not modified. */
export function logAbsDet(a: Float64Array, n: number): number {
  const m = a.slice(0, n * n);
  let logDet = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    let best = Math.abs(m[c * n + c]!);
    for (let r = c + 1; r < n; r++) {
      const v = Math.abs(m[r * n + c]!);
      if (v > best) {
        best = v;
        p = r;
      }
    }
    if (best === 0) return Number.NEGATIVE_INFINITY;
    if (p !== c)
      for (let j = 0; j < n; j++) {
        const t = m[c * n + j]!;
        m[c * n + j] = m[p * n + j]!;
        m[p * n + j] = t;
      }
    const piv = m[c * n + c]!;
    logDet += Math.log(Math.abs(piv));
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c]! / piv;
      if (f === 0) continue;
      for (let j = c + 1; j < n; j++) m[r * n + j]! -= f * m[c * n + j]!;
    }
  }
  return logDet;
}

/** Eigenvalues of a symmetric matrix (cyclic Jacobi rotations), ascending. */
export function symmetricEigenvalues(a: Float64Array, n: number, sweeps = 50): number[] {
  const m = a.slice(0, n * n);
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p]!;
          const akq = m[k * n + q]!;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k]!;
          const aqk = m[q * n + k]!;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const ev: number[] = [];
  for (let i = 0; i < n; i++) ev.push(m[i * n + i]!);
  return ev.sort((x, y) => x - y);
}

/**
 * Pearson correlation matrix of the n rows (each of length d) of `x` (as numpy.corrcoef).
 * A constant row has no defined correlation: its entries are NaN.
 */
export function correlationMatrix(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const centred = new Float64Array(n * d);
  const norm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x[i * d + j]!;
    mean /= d;
    let ss = 0;
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j]! - mean;
      centred[i * d + j] = v;
      ss += v * v;
    }
    norm[i] = Math.sqrt(ss);
  }
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = i; k < n; k++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += centred[i * d + j]! * centred[k * d + j]!;
      const v = dot / (norm[i]! * norm[k]!);
      c[i * n + k] = v;
      c[k * n + i] = v;
    }
  }
  return c;
}
