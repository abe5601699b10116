/**
 * Bit-exact float helpers so simulated detectors give the same floats as ophyd.sim under
 * numpy: `npExp` re-expresses numpy 1.24's AVX512F float64 exp, plus exact FMA and rounding.
 * Pure functions; no device state.
 * @module
 */

/*
 * Why not Math.exp: V8's exp and numpy's differ in the last bit for about 1 value in 5
 * (e.g. exp(-0.125)). The Python reference recordings were made with Debian 12's numpy
 * 1.24.2 on an AVX512 machine, where float64 `np.exp` runs Intel's SVML `__svml_exp8`
 * (the "la" variant numpy vendors under BSD-3-Clause): N = x*log2(e) truncated to 1/16,
 * 2^N = 2^floor(N) * 2^(j/16) from a 16-entry table, exp(r) by a degree-6 polynomial with
 * fused multiply-adds. Re-expressed here step by step; the FMAs are emulated exactly with
 * BigInt (including the one SVML runs in round-toward-zero mode).
 */

const view = new DataView(new ArrayBuffer(8));

function fromBits(bits: bigint): number {
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}

/** Exact value of a finite double as `m * 2^e` (m a signed BigInt). */
function decompose(x: number): { m: bigint; e: number } {
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  if (biased === 0) return { m: sign * frac, e: -1074 };
  return { m: sign * (frac | 0x10000000000000n), e: biased - 1075 };
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** `s * 2^e` rounded to a double: 'rn' nearest, ties to even; 'rz' toward zero. */
function roundToDouble(s: bigint, e: number, mode: 'rn' | 'rz'): number {
  if (s === 0n) return 0;
  const negative = s < 0n;
  const mag = negative ? -s : s;
  const lsb = Math.max(e + bitLength(mag) - 53, -1074);
  const shift = lsb - e;
  let result: number;
  if (shift <= 0) {
    result = Number(mag) * 2 ** e;
  } else {
    const big = BigInt(shift);
    let q = mag >> big;
    const rem = mag & ((1n << big) - 1n);
    const half = 1n << (big - 1n);
    if (mode === 'rn' && (rem > half || (rem === half && (q & 1n) === 1n))) q += 1n;
    result = Number(q) * 2 ** lsb;
  }
  return negative ? -result : result;
}

/** Fused multiply-add `a*b + c` with a single rounding (C `fma`), for finite inputs. */
export function fma(a: number, b: number, c: number, mode: 'rn' | 'rz' = 'rn'): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) return a * b + c;
  const pa = decompose(a);
  const pb = decompose(b);
  const pc = decompose(c);
  const pm = pa.m * pb.m;
  const pe = pa.e + pb.e;
  if (pm === 0n) return a * b + c; // exact: keeps IEEE signed-zero rules
  const e = Math.min(pe, pc.e);
  const sum = (pm << BigInt(pe - e)) + (pc.m << BigInt(pc.e - e));
  return roundToDouble(sum, e, mode);
}

/** `x * 2^n` for integer n with one rounding (AVX512 scalef), also when subnormal. */
function scale(x: number, n: number): number {
  if (n >= -1022 && n <= 1023) return x * 2 ** n;
  const { m, e } = decompose(x);
  return roundToDouble(m, e + n, 'rn');
}

/** SVML exp8 constants, by bit pattern (numpy 1.24.2 `__svml_dexp_data_internal_avx512`). */
const L2E = fromBits(0x3ff71547652b82fen); // log2(e)
const SHIFTER = fromBits(0x42f8000000003ff0n); // 1.5*2^48 + 1023: leaves N in 1/16 steps
const L2H = fromBits(0x3fe62e42fefa39efn); // ln(2), high part
const L2L = fromBits(0x3c7abc9e3b39803fn); // ln(2), low part
const C2 = fromBits(0x3fe0000000002622n);
const C3 = fromBits(0x3fc5555554b508a2n);
const C4 = fromBits(0x3fa555564bb4f5f0n);
const C5 = fromBits(0x3f81106603d97c00n);
const C6 = fromBits(0x3f572eb5ef0d213dn);
/** Above this |x| SVML leaves the vector path for a scalar one (overflow, underflow). */
const SPECIAL = fromBits(0x40861da04cbafe44n);
/** 2^(j/16), j = 0..15. */
const TABLE = [
  0x3ff0000000000000n, 0x3ff0b5586cf9890fn, 0x3ff172b83c7d517bn, 0x3ff2387a6e756238n,
  0x3ff306fe0a31b715n, 0x3ff3dea64c123422n, 0x3ff4bfdad5362a27n, 0x3ff5ab07dd485429n,
  0x3ff6a09e667f3bcdn, 0x3ff7a11473eb0187n, 0x3ff8ace5422aa0dbn, 0x3ff9c49182a3f090n,
  0x3ffae89f995ad3adn, 0x3ffc199bdd85529cn, 0x3ffd5818dcfba487n, 0x3ffea4afa2a490dan,
].map(fromBits);

/**
 * `np.exp(x)` for a float64 as numpy 1.24.2 computes it on AVX512 hardware (SVML exp8),
 * bit for bit when |x| < 707.7; beyond that (overflow/underflow range) it falls back to
 * Math.exp.
 * @example npExp(-0.125) // 0.8824969025845953 (Math.exp gives ...955)
 */
export function npExp(x: number): number {
  if (!(Math.abs(x) < SPECIAL)) return Math.exp(x);
  // The exact path costs ~2 µs (BigInt FMAs); detectors often see the same argument
  // many times in a row (count at a fixed position), so remember the last one.
  if (x === lastIn) return lastOut;
  lastIn = x;
  lastOut = exactExp(x);
  return lastOut;
}

let lastIn = Number.NaN;
let lastOut = Number.NaN;

function exactExp(x: number): number {
  // N = x*log2(e) to 1/16, truncated: the FMA runs in round-toward-zero mode.
  const shifted = fma(x, L2E, SHIFTER, 'rz');
  const n = shifted - SHIFTER;
  const j = Math.round((n - Math.floor(n)) * 16);
  // r = x - N*ln2, in two fused steps.
  const r = fma(-n, L2L, fma(-n, L2H, x));
  const r2 = r * r;
  const r3 = r2 * r;
  const high = fma(r2, fma(C6, r, C5), fma(C4, r, C3));
  const p = fma(r3, high, fma(r2, C2, r));
  const th = TABLE[j] ?? 1;
  return scale(fma(th, p, th), Math.floor(n));
}

/** numpy's `np.round` (half to even) for a float. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
