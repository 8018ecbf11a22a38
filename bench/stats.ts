/** A growable list of float samples that sorts once, when percentiles are asked for. */
export class Samples {
  private values: Float64Array;
  private size = 0;
  private sorted = true;

  constructor(initialCapacity = 1024) {
    this.values = new Float64Array(initialCapacity);
  }

  static from(values: Float64Array): Samples {
    const samples = new Samples(Math.max(1, values.length));
    samples.values.set(values);
    samples.size = values.length;
    samples.sorted = false;
    return samples;
  }

  get count(): number {
    return this.size;
  }

  add(value: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size++] = value;
    this.sorted = false;
  }

  toArray(): Float64Array {
    return this.values.slice(0, this.size);
  }

  /** Nearest-rank percentile, `fraction` in [0, 1]; NaN when empty. */
  percentile(fraction: number): number {
    if (this.size === 0) return Number.NaN;
    if (!this.sorted) {
      this.values.subarray(0, this.size).sort();
      this.sorted = true;
    }
    const rank = Math.min(this.size - 1, Math.max(0, Math.ceil(fraction * this.size) - 1));
    return this.values[rank] as number;
  }
}

export interface Quantiles {
  p50: number;
  p99: number;
  count: number;
}

export function quantilesOf(values: Float64Array): Quantiles {
  const samples = Samples.from(values);
  return { p50: samples.percentile(0.5), p99: samples.percentile(0.99), count: samples.count };
}
