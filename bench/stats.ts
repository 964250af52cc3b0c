export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** (max − min) / median: how much the rounds disagree, to judge whether a ratio is noise. */
export function spread(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  return (Math.max(...xs) - Math.min(...xs)) / median(xs);
}

/**
 * The median of the per-round ratios numerator[i] / denominator[i]. Each round measures both
 * sides close in time, so pairing them cancels drift that a ratio of two medians would keep.
 */
export function pairedRatio(numerator: readonly number[], denominator: readonly number[]): number {
  const n = Math.min(numerator.length, denominator.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) ratios.push(numerator[i]! / denominator[i]!);
  return median(ratios);
}
