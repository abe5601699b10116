/**
 * Random draws for simulated noise: uniform, standard normal and Poisson (numpy's
 * algorithms), from an injectable uniform source so tests can be deterministic.
 * @module
 */

/** A source of uniform floats in [0, 1), like `Math.random` (ophyd's `random_state`). */
export type RandomSource = () => number;

/** A float in [low, high) (numpy `uniform(low, high)`). */
export function uniform(random: RandomSource, low: number, high: number): number {
  return low + (high - low) * random();
}

/** A standard normal draw (Box-Muller). */
export function standardNormal(random: RandomSource): number {
  let u = random();
  while (u <= 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** log(Gamma(x)) for x > 0 (the Stirling series numpy's `random_loggam` uses). */
function logGamma(x: number): number {
  const a = [
    8.333333333333333e-2, -2.777777777777778e-3, 7.936507936507937e-4, -5.952380952380952e-4,
    8.417508417508418e-4, -1.917526917526918e-3, 6.41025641025641e-3, -2.955065359477124e-2,
    1.796443723688307e-1, -1.3924322169059,
  ];
  if (x === 1 || x === 2) return 0;
  let x0 = x;
  let n = 0;
  if (x <= 7) {
    n = Math.floor(7 - x);
    x0 = x + n;
  }
  const x2 = 1 / (x0 * x0);
  let gl0 = a[9] ?? 0;
  for (let k = 8; k >= 0; k--) gl0 = gl0 * x2 + (a[k] ?? 0);
  let gl = gl0 / x0 + 0.5 * Math.log(2 * Math.PI) + (x0 - 0.5) * Math.log(x0) - x0;
  for (let k = 1; k <= n; k++) {
    gl -= Math.log(x0 - 1);
    x0 -= 1;
  }
  return gl;
}

/**
 * A Poisson draw with mean `lam` (numpy: multiplication method below 10, Hörmann's
 * PTRS transformed rejection from 10 up).
 * @throws RangeError if `lam` is negative or not finite.
 */
export function poisson(random: RandomSource, lam: number): number {
  if (!(lam >= 0) || !Number.isFinite(lam)) throw new RangeError(`poisson lam must be a finite number >= 0, got ${lam}`);
  if (lam === 0) return 0;
  if (lam < 10) {
    const limit = Math.exp(-lam);
    let k = 0;
    let prod = random();
    while (prod > limit) {
      k += 1;
      prod *= random();
    }
    return k;
  }
  const slam = Math.sqrt(lam);
  const loglam = Math.log(lam);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = random() - 0.5;
    const v = random();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lam + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lam + k * loglam - logGamma(k + 1)) return k;
  }
}
