// simd.h - one portable 4-lane float vector used by every hand-written kernel.
//
// Backends: WebAssembly SIMD128 (-msimd128), SSE2 on native x86-64, and plain
// scalar code (also used for the "scalar" wasm build of the benchmark, and
// selectable with -DPG_SIMD_SCALAR).  All three are 4 lanes wide and every
// operation is defined so that the three give bit-identical results:
//   * max(a, b) = a > b ? a : b   (SSE maxps order; wasm pmax with swapped args)
//   * hsum(v)  = (v0 + v1) + (v2 + v3)
//   * round-to-nearest-even through the 1.5 * 2^23 "magic number" add, not
//     a conversion instruction, so ties and rounding modes cannot differ
//   * no fused multiply-add anywhere (wasm SIMD has none; build with
//     -ffp-contract=off so the compiler does not fuse scalar code either).
// That is what makes "same seed, same numbers" hold between the native tests
// and the browser.
#pragma once
#include <cstdint>
#include <cmath>
#include <cstring>

#if defined(PG_SIMD_SCALAR)
#define PG_SIMD_BACKEND_SCALAR 1
#elif defined(__wasm_simd128__)
#define PG_SIMD_BACKEND_WASM 1
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#define PG_SIMD_BACKEND_SSE 1
#include <emmintrin.h>
#include <xmmintrin.h>  // _MM_TRANSPOSE4_PS
#else
#define PG_SIMD_BACKEND_SCALAR 1
#endif

namespace simd {

inline const char* backend_name() {
#if defined(PG_SIMD_BACKEND_WASM)
  return "wasm-simd128";
#elif defined(PG_SIMD_BACKEND_SSE)
  return "sse2";
#else
  return "scalar";
#endif
}

constexpr int kLanes = 4;

#if defined(PG_SIMD_BACKEND_WASM)
struct f32x4 { v128_t v; };
struct i32x4 { v128_t v; };
inline f32x4 load(const float* p) { return {wasm_v128_load(p)}; }
inline void store(float* p, f32x4 a) { wasm_v128_store(p, a.v); }
inline f32x4 set1(float x) { return {wasm_f32x4_splat(x)}; }
inline f32x4 set4(float a, float b, float c, float d) { return {wasm_f32x4_make(a, b, c, d)}; }
inline f32x4 add(f32x4 a, f32x4 b) { return {wasm_f32x4_add(a.v, b.v)}; }
inline f32x4 sub(f32x4 a, f32x4 b) { return {wasm_f32x4_sub(a.v, b.v)}; }
inline f32x4 mul(f32x4 a, f32x4 b) { return {wasm_f32x4_mul(a.v, b.v)}; }
inline f32x4 div(f32x4 a, f32x4 b) { return {wasm_f32x4_div(a.v, b.v)}; }
inline f32x4 max(f32x4 a, f32x4 b) { return {wasm_f32x4_pmax(b.v, a.v)}; }  // a > b ? a : b
inline f32x4 min(f32x4 a, f32x4 b) { return {wasm_f32x4_pmin(b.v, a.v)}; }  // a < b ? a : b
inline f32x4 sqrt(f32x4 a) { return {wasm_f32x4_sqrt(a.v)}; }
inline f32x4 cmpgt(f32x4 a, f32x4 b) { return {wasm_f32x4_gt(a.v, b.v)}; }
inline f32x4 cmplt(f32x4 a, f32x4 b) { return {wasm_f32x4_lt(a.v, b.v)}; }
inline f32x4 bit_and(f32x4 a, f32x4 b) { return {wasm_v128_and(a.v, b.v)}; }
inline f32x4 bit_andnot(f32x4 mask, f32x4 b) { return {wasm_v128_andnot(b.v, mask.v)}; }  // ~mask & b
inline f32x4 bit_or(f32x4 a, f32x4 b) { return {wasm_v128_or(a.v, b.v)}; }
inline f32x4 select(f32x4 mask, f32x4 a, f32x4 b) { return {wasm_v128_bitselect(a.v, b.v, mask.v)}; }
inline i32x4 as_i32(f32x4 a) { return {a.v}; }
inline f32x4 as_f32(i32x4 a) { return {a.v}; }
inline i32x4 i32_add(i32x4 a, i32x4 b) { return {wasm_i32x4_add(a.v, b.v)}; }
inline i32x4 i32_sub(i32x4 a, i32x4 b) { return {wasm_i32x4_sub(a.v, b.v)}; }
inline i32x4 i32_set1(int32_t x) { return {wasm_i32x4_splat(x)}; }
inline i32x4 i32_shl(i32x4 a, int n) { return {wasm_i32x4_shl(a.v, n)}; }
inline i32x4 i32_max(i32x4 a, i32x4 b) { return {wasm_i32x4_max(a.v, b.v)}; }
inline i32x4 i32_min(i32x4 a, i32x4 b) { return {wasm_i32x4_min(a.v, b.v)}; }
inline f32x4 i32_to_f32(i32x4 a) { return {wasm_f32x4_convert_i32x4(a.v)}; }
#elif defined(PG_SIMD_BACKEND_SSE)
struct f32x4 { __m128 v; };
struct i32x4 { __m128i v; };
inline f32x4 load(const float* p) { return {_mm_loadu_ps(p)}; }
inline void store(float* p, f32x4 a) { _mm_storeu_ps(p, a.v); }
inline f32x4 set1(float x) { return {_mm_set1_ps(x)}; }
inline f32x4 set4(float a, float b, float c, float d) { return {_mm_setr_ps(a, b, c, d)}; }
inline f32x4 add(f32x4 a, f32x4 b) { return {_mm_add_ps(a.v, b.v)}; }
inline f32x4 sub(f32x4 a, f32x4 b) { return {_mm_sub_ps(a.v, b.v)}; }
inline f32x4 mul(f32x4 a, f32x4 b) { return {_mm_mul_ps(a.v, b.v)}; }
inline f32x4 div(f32x4 a, f32x4 b) { return {_mm_div_ps(a.v, b.v)}; }
inline f32x4 max(f32x4 a, f32x4 b) { return {_mm_max_ps(a.v, b.v)}; }
inline f32x4 min(f32x4 a, f32x4 b) { return {_mm_min_ps(a.v, b.v)}; }
inline f32x4 sqrt(f32x4 a) { return {_mm_sqrt_ps(a.v)}; }
inline f32x4 cmpgt(f32x4 a, f32x4 b) { return {_mm_cmpgt_ps(a.v, b.v)}; }
inline f32x4 cmplt(f32x4 a, f32x4 b) { return {_mm_cmplt_ps(a.v, b.v)}; }
inline f32x4 bit_and(f32x4 a, f32x4 b) { return {_mm_and_ps(a.v, b.v)}; }
inline f32x4 bit_andnot(f32x4 mask, f32x4 b) { return {_mm_andnot_ps(mask.v, b.v)}; }
inline f32x4 bit_or(f32x4 a, f32x4 b) { return {_mm_or_ps(a.v, b.v)}; }
inline f32x4 select(f32x4 mask, f32x4 a, f32x4 b) {
  return {_mm_or_ps(_mm_and_ps(mask.v, a.v), _mm_andnot_ps(mask.v, b.v))};
}
inline i32x4 as_i32(f32x4 a) { return {_mm_castps_si128(a.v)}; }
inline f32x4 as_f32(i32x4 a) { return {_mm_castsi128_ps(a.v)}; }
inline i32x4 i32_add(i32x4 a, i32x4 b) { return {_mm_add_epi32(a.v, b.v)}; }
inline i32x4 i32_sub(i32x4 a, i32x4 b) { return {_mm_sub_epi32(a.v, b.v)}; }
inline i32x4 i32_set1(int32_t x) { return {_mm_set1_epi32(x)}; }
inline i32x4 i32_shl(i32x4 a, int n) { return {_mm_slli_epi32(a.v, n)}; }
inline i32x4 i32_max(i32x4 a, i32x4 b) {  // SSE2 has no pmaxsd
  __m128i gt = _mm_cmpgt_epi32(a.v, b.v);
  return {_mm_or_si128(_mm_and_si128(gt, a.v), _mm_andnot_si128(gt, b.v))};
}
inline i32x4 i32_min(i32x4 a, i32x4 b) {
  __m128i lt = _mm_cmplt_epi32(a.v, b.v);
  return {_mm_or_si128(_mm_and_si128(lt, a.v), _mm_andnot_si128(lt, b.v))};
}
inline f32x4 i32_to_f32(i32x4 a) { return {_mm_cvtepi32_ps(a.v)}; }
#else
struct f32x4 { float v[4]; };
struct i32x4 { int32_t v[4]; };
#define PG_LANEWISE(expr) \
  for (int i = 0; i < 4; ++i) { r.v[i] = (expr); } \
  return r
inline f32x4 load(const float* p) { f32x4 r; std::memcpy(r.v, p, 16); return r; }
inline void store(float* p, f32x4 a) { std::memcpy(p, a.v, 16); }
inline f32x4 set1(float x) { f32x4 r; PG_LANEWISE(x); }
inline f32x4 set4(float a, float b, float c, float d) { return {{a, b, c, d}}; }
inline f32x4 add(f32x4 a, f32x4 b) { f32x4 r; PG_LANEWISE(a.v[i] + b.v[i]); }
inline f32x4 sub(f32x4 a, f32x4 b) { f32x4 r; PG_LANEWISE(a.v[i] - b.v[i]); }
inline f32x4 mul(f32x4 a, f32x4 b) { f32x4 r; PG_LANEWISE(a.v[i] * b.v[i]); }
inline f32x4 div(f32x4 a, f32x4 b) { f32x4 r; PG_LANEWISE(a.v[i] / b.v[i]); }
inline f32x4 max(f32x4 a, f32x4 b) { f32x4 r; PG_LANEWISE(a.v[i] > b.v[i] ? a.v[i] : b.v[i]); }
inline f32x4 min(f32x4 a, f32x4 b) { f32x4 r; PG_LANEWISE(a.v[i] < b.v[i] ? a.v[i] : b.v[i]); }
inline f32x4 sqrt(f32x4 a) { f32x4 r; PG_LANEWISE(std::sqrt(a.v[i])); }
inline float mask_bits(bool b) { uint32_t u = b ? 0xffffffffu : 0u; float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float from_bits(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline f32x4 cmpgt(f32x4 a, f32x4 b) { f32x4 r; PG_LANEWISE(mask_bits(a.v[i] > b.v[i])); }
inline f32x4 cmplt(f32x4 a, f32x4 b) { f32x4 r; PG_LANEWISE(mask_bits(a.v[i] < b.v[i])); }
inline f32x4 bit_and(f32x4 a, f32x4 b) { f32x4 r; PG_LANEWISE(from_bits(bits(a.v[i]) & bits(b.v[i]))); }
inline f32x4 bit_andnot(f32x4 m, f32x4 b) { f32x4 r; PG_LANEWISE(from_bits(~bits(m.v[i]) & bits(b.v[i]))); }
inline f32x4 bit_or(f32x4 a, f32x4 b) { f32x4 r; PG_LANEWISE(from_bits(bits(a.v[i]) | bits(b.v[i]))); }
inline f32x4 select(f32x4 m, f32x4 a, f32x4 b) { return bit_or(bit_and(m, a), bit_andnot(m, b)); }
inline i32x4 as_i32(f32x4 a) { i32x4 r; std::memcpy(r.v, a.v, 16); return r; }
inline f32x4 as_f32(i32x4 a) { f32x4 r; std::memcpy(r.v, a.v, 16); return r; }
inline i32x4 i32_add(i32x4 a, i32x4 b) { i32x4 r; PG_LANEWISE((int32_t)((uint32_t)a.v[i] + (uint32_t)b.v[i])); }
inline i32x4 i32_sub(i32x4 a, i32x4 b) { i32x4 r; PG_LANEWISE((int32_t)((uint32_t)a.v[i] - (uint32_t)b.v[i])); }
inline i32x4 i32_set1(int32_t x) { i32x4 r; PG_LANEWISE(x); }
inline i32x4 i32_shl(i32x4 a, int n) { i32x4 r; PG_LANEWISE((int32_t)((uint32_t)a.v[i] << n)); }
inline i32x4 i32_max(i32x4 a, i32x4 b) { i32x4 r; PG_LANEWISE(a.v[i] > b.v[i] ? a.v[i] : b.v[i]); }
inline i32x4 i32_min(i32x4 a, i32x4 b) { i32x4 r; PG_LANEWISE(a.v[i] < b.v[i] ? a.v[i] : b.v[i]); }
inline f32x4 i32_to_f32(i32x4 a) { f32x4 r; PG_LANEWISE((float)a.v[i]); }
#undef PG_LANEWISE
#endif

// 4x4 transpose in registers: rows r0..r3 become the columns.
#if defined(PG_SIMD_BACKEND_WASM)
inline void transpose4(f32x4& r0, f32x4& r1, f32x4& r2, f32x4& r3) {
  const v128_t t0 = wasm_i32x4_shuffle(r0.v, r1.v, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0.v, r1.v, 2, 6, 3, 7);
  const v128_t t2 = wasm_i32x4_shuffle(r2.v, r3.v, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2.v, r3.v, 2, 6, 3, 7);
  r0.v = wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5);
  r1.v = wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7);
  r2.v = wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5);
  r3.v = wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7);
}
#elif defined(PG_SIMD_BACKEND_SSE)
inline void transpose4(f32x4& r0, f32x4& r1, f32x4& r2, f32x4& r3) { _MM_TRANSPOSE4_PS(r0.v, r1.v, r2.v, r3.v); }
#else
inline void transpose4(f32x4& r0, f32x4& r1, f32x4& r2, f32x4& r3) {
  f32x4* r[4] = {&r0, &r1, &r2, &r3};
  for (int i = 0; i < 4; ++i)
    for (int j = i + 1; j < 4; ++j) {
      const float t = r[i]->v[j];
      r[i]->v[j] = r[j]->v[i];
      r[j]->v[i] = t;
    }
}
#endif

// ---- derived operations, identical on every backend -----------------------
inline f32x4 zero() { return set1(0.0f); }
inline float lane(f32x4 a, int i) { float t[4]; store(t, a); return t[i]; }
// (v0 + v1) + (v2 + v3): the one summation order every backend uses.
inline float hsum(f32x4 a) { float t[4]; store(t, a); return (t[0] + t[1]) + (t[2] + t[3]); }
inline float hmax(f32x4 a) {
  float t[4]; store(t, a);
  float m01 = t[0] > t[1] ? t[0] : t[1], m23 = t[2] > t[3] ? t[2] : t[3];
  return m01 > m23 ? m01 : m23;
}
// a * b + c without fusion (wasm SIMD has no FMA; keep native identical).
inline f32x4 madd(f32x4 a, f32x4 b, f32x4 c) { return add(mul(a, b), c); }
// x where |x| >= threshold, else +0 (NaN is kept: the compare is false).
// Training code calls this where values would otherwise drift into the
// subnormal range (|x| < 2^-126): x86 CPUs take a ~100-cycle microcode assist
// for every operation that reads or makes a subnormal, and WebAssembly cannot
// switch on the CPU's flush-to-zero mode as native code could.
inline f32x4 flush_below(f32x4 x, f32x4 threshold) {
  const f32x4 magnitude = bit_andnot(set1(-0.0f), x);
  return bit_andnot(cmplt(magnitude, threshold), x);
}
// Round to nearest even for |x| < 2^22 by adding and subtracting 1.5 * 2^23.
inline f32x4 round_nearest(f32x4 x) {
  const f32x4 magic = set1(12582912.0f);
  return sub(add(x, magic), magic);
}
// 2^n for integer-valued float n in [-126, 127], built in the exponent bits.
inline f32x4 exp2_int(f32x4 n) {
  const f32x4 magic = set1(12582912.0f);  // n + magic puts n in the low mantissa bits
  i32x4 bits = i32_sub(as_i32(add(n, magic)), as_i32(magic));
  return as_f32(i32_shl(i32_add(bits, i32_set1(127)), 23));
}

}  // namespace simd
