/** Number formatting for reports people read; plan.json keeps the exact numbers. */

/** 109482240 → "109,482,240". */
export function withSeparators(n: number): string {
  if (!Number.isSafeInteger(n)) return String(n);
  return n.toLocaleString("en-US");
}

/** 109482240 → "109.5 M"; below a thousand the number itself. */
export function shortCount(n: number): string {
  const units: [number, string][] = [
    [1e12, "T"],
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "K"],
  ];
  for (const [scale, unit] of units) if (Math.abs(n) >= scale) return `${(n / scale).toFixed(1)} ${unit}`;
  return String(n);
}

/** Bytes in MiB: two decimals below 10 MiB, one above. */
export function mebibytes(bytes: number): string {
  const mib = bytes / 2 ** 20;
  return `${mib >= 10 ? mib.toFixed(1) : mib.toFixed(2)} MiB`;
}

/** File sizes: bytes, KiB or MiB, whichever reads best. */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 2 ** 20) return `${(bytes / 1024).toFixed(1)} KiB`;
  return mebibytes(bytes);
}

/** FLOPs in GFLOP to three significant digits (whole numbers from 1000 GFLOP up). */
export function gigaflops(flops: number): string {
  const g = flops / 1e9;
  if (g === 0) return "0";
  if (Math.abs(g) >= 1000) return withSeparators(Math.round(g));
  return g.toPrecision(3);
}

/** Six significant digits, as checksums are compared by eye. */
export function significant6(x: number): string {
  if (x === 0) return "0";
  if (!Number.isFinite(x)) return String(x);
  return x.toPrecision(6);
}

export function milliseconds(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

export function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

/**
 * Rows as a table with two spaces between columns. Columns are right-aligned (numbers line up)
 * except those named in `leftAligned` (text such as output names).
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: { readonly leftAligned?: readonly number[]; readonly indent?: string } = {},
): string[] {
  const left = new Set(options.leftAligned ?? []);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    (options.indent ?? "  ") +
    cells
      .map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
