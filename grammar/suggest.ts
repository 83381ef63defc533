import { distance } from "fastest-levenshtein";

/**
 * The candidate closest to `word` by edit distance, if it is close enough to be a plausible slip:
 * at most max(1, ⌊len/3⌋) edits (so `gleu` → `gelu`, `modle` → `model`, but `x` suggests nothing far).
 * Swapping two adjacent letters counts as one edit: it is the commonest typo, and plain Levenshtein
 * would count it as two. Ties go to the earlier candidate. A candidate equal to `word` is never offered.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    // Lengths that differ by more than the limit cannot be within it.
    if (Math.abs(candidate.length - word.length) > limit) continue;
    const d = editDistance(word, candidate);
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, except that a single swap of adjacent characters costs 1. */
export function editDistance(a: string, b: string): number {
  const d = distance(a, b);
  return d === 2 && isAdjacentSwap(a, b) ? 1 : d;
}

function isAdjacentSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (first >= 0) return i === first + 1 && a[first] === b[i] && a[i] === b[first] && a.slice(i + 1) === b.slice(i + 1);
    first = i;
  }
  return false;
}
