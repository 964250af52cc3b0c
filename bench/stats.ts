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
  return median(roundRatios(numerator, denominator));
}

/** numerator[i] / denominator[i] for each round both sides were measured in. */
export function roundRatios(numerator: readonly number[], denominator: readonly number[]): number[] {
  const n = Math.min(numerator.length, denominator.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) ratios.push(numerator[i]! / denominator[i]!);
  return ratios;
}

export interface MedianInterval {
  readonly low: number;
  readonly high: number;
  /** The probability that the interval holds the true median: at least the confidence asked for, when there are enough values. */
  readonly coverage: number;
}

/**
 * A distribution-free confidence interval for the median: the order statistics x(k) and
 * x(n+1−k), with the largest k whose interval still covers the median with at least
 * `confidence` (the count of values below the median is binomial, p = ½). Rounds on a shared
 * machine are far from normal, so no normal approximation. With too few values for the
 * confidence asked, it is [min, max] and its coverage says how much less it is.
 */
export function medianInterval(xs: readonly number[], confidence = 0.95): MedianInterval {
  const n = xs.length;
  if (n === 0) return { low: Number.NaN, high: Number.NaN, coverage: 0 };
  const sorted = [...xs].sort((a, b) => a - b);
  // below[j] = P(Binomial(n, ½) ≤ j)
  const below: number[] = [];
  let term = 2 ** -n;
  let sum = 0;
  for (let j = 0; j <= n; j++) {
    sum += term;
    below.push(sum);
    term = (term * (n - j)) / (j + 1);
  }
  const coverageOf = (k: number): number => 1 - 2 * below[k - 1]!;
  let k = 1;
  for (let candidate = Math.floor((n + 1) / 2); candidate >= 1; candidate--) {
    if (coverageOf(candidate) >= confidence) {
      k = candidate;
      break;
    }
  }
  return { low: sorted[k - 1]!, high: sorted[n - k]!, coverage: coverageOf(k) };
}
