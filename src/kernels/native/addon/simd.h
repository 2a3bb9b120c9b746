// The one vector type the kernels are written against. Each kernel source is compiled three times,
// with the instruction set chosen by the compiler flags of its build target (binding.gyp): AVX-512
// (16 lanes), AVX2 with FMA (8 lanes), and a portable build (4 lanes, GCC/Clang vector extensions,
// which become SSE on x86-64 and NEON on ARM). `RRM_ISA` names the namespace of that build.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(RRM_BUILD_AVX512)
#include <immintrin.h>
#define RRM_ISA avx512
#elif defined(RRM_BUILD_AVX2)
#include <immintrin.h>
#define RRM_ISA avx2
#else
#define RRM_ISA portable
#endif

namespace rrm {
namespace RRM_ISA {

#if defined(RRM_BUILD_AVX512)

constexpr int kLanes = 16;
using Vec = __m512;
inline Vec load(const float* p) { return _mm512_loadu_ps(p); }
inline void store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
inline Vec broadcast(float x) { return _mm512_set1_ps(x); }
inline Vec zero() { return _mm512_setzero_ps(); }
/** a·b + c, fused. */
inline Vec madd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
inline Vec sub(Vec a, Vec b) { return _mm512_sub_ps(a, b); }
inline Vec mul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
inline Vec max(Vec a, Vec b) { return _mm512_max_ps(a, b); }
inline Vec min(Vec a, Vec b) { return _mm512_min_ps(a, b); }
inline Vec abs(Vec a) { return _mm512_abs_ps(a); }
/** Any lane with !(a <= b): a above b, or a NaN. */
inline bool anyAboveOrNan(Vec a, Vec b) { return _mm512_cmp_ps_mask(a, b, _CMP_NLE_UQ) != 0; }
/** Any lane NaN. */
inline bool anyNan(Vec a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q) != 0; }
/** x >= 0 ? x : x·alpha, lane-wise. */
inline Vec leaky(Vec x, Vec alpha) { return _mm512_mask_mul_ps(x, _mm512_cmp_ps_mask(x, zero(), _CMP_LT_OQ), x, alpha); }
inline __mmask16 laneMask(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
/** The first `n` lanes (0 < n < kLanes) from memory, the others zero; touches no memory beyond them. */
inline Vec loadFirst(const float* p, int n) { return _mm512_maskz_loadu_ps(laneMask(n), p); }
inline void storeFirst(float* p, Vec v, int n) { _mm512_mask_storeu_ps(p, laneMask(n), v); }

#elif defined(RRM_BUILD_AVX2)

constexpr int kLanes = 8;
using Vec = __m256;
inline Vec load(const float* p) { return _mm256_loadu_ps(p); }
inline void store(float* p, Vec v) { _mm256_storeu_ps(p, v); }
inline Vec broadcast(float x) { return _mm256_set1_ps(x); }
inline Vec zero() { return _mm256_setzero_ps(); }
inline Vec madd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline Vec sub(Vec a, Vec b) { return _mm256_sub_ps(a, b); }
inline Vec mul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
inline Vec max(Vec a, Vec b) { return _mm256_max_ps(a, b); }
inline Vec min(Vec a, Vec b) { return _mm256_min_ps(a, b); }
inline Vec abs(Vec a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
inline bool anyAboveOrNan(Vec a, Vec b) { return _mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_NLE_UQ)) != 0; }
inline bool anyNan(Vec a) { return _mm256_movemask_ps(_mm256_cmp_ps(a, a, _CMP_UNORD_Q)) != 0; }
inline Vec leaky(Vec x, Vec alpha) { return _mm256_blendv_ps(x, _mm256_mul_ps(x, alpha), _mm256_cmp_ps(x, zero(), _CMP_LT_OQ)); }
inline __m256i laneMask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline Vec loadFirst(const float* p, int n) { return _mm256_maskload_ps(p, laneMask(n)); }
inline void storeFirst(float* p, Vec v, int n) { _mm256_maskstore_ps(p, laneMask(n), v); }

#else

constexpr int kLanes = 4;
typedef float Vec __attribute__((vector_size(16)));
typedef int32_t Mask __attribute__((vector_size(16)));
inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }
inline Vec broadcast(float x) { return Vec{x, x, x, x}; }
inline Vec zero() { return Vec{0, 0, 0, 0}; }
// Not fused: a portable build cannot assume an FMA instruction (and a library call would be slow).
inline Vec madd(Vec a, Vec b, Vec c) { return a * b + c; }
inline Vec add(Vec a, Vec b) { return a + b; }
inline Vec sub(Vec a, Vec b) { return a - b; }
inline Vec mul(Vec a, Vec b) { return a * b; }
inline Vec max(Vec a, Vec b) { return a > b ? a : b; }
inline Vec min(Vec a, Vec b) { return a < b ? a : b; }
inline Vec abs(Vec a) { return a < 0 ? -a : a; }
inline bool anyLane(Mask m) { return (m[0] | m[1] | m[2] | m[3]) != 0; }
inline bool anyAboveOrNan(Vec a, Vec b) { return anyLane(~(a <= b)); }
inline bool anyNan(Vec a) { return anyLane(a != a); }
inline Vec leaky(Vec x, Vec alpha) { return x < 0 ? x * alpha : x; }
inline Vec loadFirst(const float* p, int n) {
  Vec v = zero();
  for (int i = 0; i < n; i++) v[i] = p[i];
  return v;
}
inline void storeFirst(float* p, Vec v, int n) {
  for (int i = 0; i < n; i++) p[i] = v[i];
}

#endif

}  // namespace RRM_ISA
}  // namespace rrm
