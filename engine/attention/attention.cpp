// attention.cpp - materialized and recurrent attention operators (see attention.h).
// q, k are (n, d), v is (n, dv), Phi is (n, n), Y is (n, dv).
#include "engine/attention/attention.h"

#include <cmath>
#include <limits>
#include <vector>

#include "engine/kernels/gemm.h"
#include "engine/kernels/softmax.h"
#include "engine/kernels/vexp.h"
#include "engine/simd.h"

namespace attn {

const char* op_name(Op op) {
  switch (op) {
    case Op::softmax: return "softmax";
    case Op::linear: return "linear";
    case Op::normalized: return "normalized";
    case Op::lssa: return "lssa";
    case Op::lssar: return "lssar";
    case Op::gaussian: return "gaussian";
  }
  return "?";
}
const char* feature_map_name(FeatureMap map) {
  switch (map) {
    case FeatureMap::identity: return "identity";
    case FeatureMap::elu_plus_one: return "elu+1";
    case FeatureMap::random_positive: return "random features";
  }
  return "?";
}

RandomFeatures make_random_features(int d, int m, pg::Rng& rng) {
  RandomFeatures rf;
  rf.d = d, rf.m = m;
  rf.W.resize(size_t(d) * m);
  for (auto& w : rf.W) w = float(rng.normal());
  return rf;
}

// ---- elementwise pieces: a 4-lane version and its scalar twin, same operations ----
// log(1 + e) for e in [0, 1] as 2 atanh(s), s = e / (2 + e) in [0, 1/3]: the
// odd series to s^15 leaves < 3e-9 relative, below float rounding.
namespace {
constexpr int kLog1pTerms = 7;  // 1/15, 1/13, ..., 1/3 then 1
inline float log1p_unit(float e) {
  const float s = e / (2.0f + e), s2 = s * s;
  float series = 1.0f / 15.0f;
  for (int odd = 13; odd >= 1; odd -= 2) series = series * s2 + 1.0f / float(odd);
  return 2.0f * s * series;
}
inline simd::f32x4 log1p_unit4(simd::f32x4 e) {
  const simd::f32x4 s = simd::div(e, simd::add(simd::set1(2.0f), e)), s2 = simd::mul(s, s);
  simd::f32x4 series = simd::set1(1.0f / 15.0f);
  for (int odd = 13; odd >= 1; odd -= 2) series = simd::madd(series, s2, simd::set1(1.0f / float(odd)));
  return simd::mul(simd::mul(simd::set1(2.0f), s), series);
}
static_assert(kLog1pTerms == 7, "series length is written out above");

inline simd::f32x4 softplus4(simd::f32x4 x) {
  const simd::f32x4 ax = simd::bit_andnot(simd::set1(-0.0f), x);
  const simd::f32x4 e = kern::exp_f32x4(simd::sub(simd::zero(), ax));
  return simd::add(simd::max(x, simd::zero()), log1p_unit4(e));
}
}  // namespace

float softplus(float x) {
  const float ax = std::fabs(x);
  const float e = kern::exp_scalar(0.0f - ax);
  return (x > 0.0f ? x : 0.0f) + log1p_unit(e);
}

float lssa_row_scale(int d, int visible) {
  if (d < 1 || visible < 1) return 0.0f;
  return float(detmath::log(double(d)) * detmath::log(double(visible)));
}

int feature_dim(const OpSpec& spec, int d) {
  if (spec.op == Op::linear && spec.map == FeatureMap::random_positive && spec.features) return spec.features->m;
  return d;
}

namespace {

inline int visible_keys(const OpSpec& spec, int i, int n) { return spec.causal ? i + 1 : n; }

// phi(x) rows; fast = exponent dots by gemm and 4-lane exp, else plain loops.
void feature_map_impl(const OpSpec& spec, const float* x, float* phi, int n, int d, bool is_query, bool fast) {
  if (spec.map == FeatureMap::identity) {
    for (size_t i = 0; i < size_t(n) * d; ++i) phi[i] = x[i];
    return;
  }
  if (spec.map == FeatureMap::elu_plus_one) {
    for (size_t i = 0; i < size_t(n) * d; ++i) phi[i] = x[i] > 0.0f ? x[i] + 1.0f : kern::exp_scalar(x[i]);
    return;
  }
  const RandomFeatures& rf = *spec.features;
  const int m = rf.m;
  const float root_scale = std::sqrt(spec.scale > 0.0f ? spec.scale : 0.0f);
  const float inv_sqrt_m = 1.0f / std::sqrt(float(m));
  // exponent_ir = sqrt(s) w_r.x_i - s |x_i|^2 / 2
  if (fast) {
    kern::gemm(false, true, n, m, d, root_scale, x, d, rf.W.data(), d, 0.0f, phi, m);
  } else {
    for (int i = 0; i < n; ++i)
      for (int r = 0; r < m; ++r) {
        float dot = 0.0f;
        for (int c = 0; c < d; ++c) dot += rf.W[size_t(r) * d + c] * x[size_t(i) * d + c];
        phi[size_t(i) * m + r] = root_scale * dot;
      }
  }
  const bool shift = is_query && spec.row_normalize;
  for (int i = 0; i < n; ++i) {
    float sq = 0.0f;
    for (int c = 0; c < d; ++c) sq += x[size_t(i) * d + c] * x[size_t(i) * d + c];
    const float half_norm = 0.5f * spec.scale * sq;
    float* row = phi + size_t(i) * m;
    float top = 0.0f;
    if (shift) {
      top = row[0];
      for (int r = 1; r < m; ++r) top = row[r] > top ? row[r] : top;
    }
    const float offset = shift ? top : half_norm;  // shifted rows drop |x|^2/2 too: it cancels
    int r = 0;
    if (fast)
      for (; r + 4 <= m; r += 4) {
        const simd::f32x4 e = kern::exp_f32x4(simd::sub(simd::load(row + r), simd::set1(offset)));
        simd::store(row + r, simd::mul(e, simd::set1(inv_sqrt_m)));
      }
    for (; r < m; ++r) row[r] = kern::exp_scalar(row[r] - offset) * inv_sqrt_m;
  }
}

// x / |x| per row (a zero row stays zero).
void unit_rows(const float* x, float* y, int n, int d) {
  for (int i = 0; i < n; ++i) {
    float sq = 0.0f;
    for (int c = 0; c < d; ++c) sq += x[size_t(i) * d + c] * x[size_t(i) * d + c];
    const float inv = sq > 0.0f ? 1.0f / std::sqrt(sq) : 0.0f;
    for (int c = 0; c < d; ++c) y[size_t(i) * d + c] = x[size_t(i) * d + c] * inv;
  }
}

// row[0, len) *= c
void scale_row(float* row, int len, float c, bool fast) {
  int j = 0;
  if (fast)
    for (; j + 4 <= len; j += 4) simd::store(row + j, simd::mul(simd::load(row + j), simd::set1(c)));
  for (; j < len; ++j) row[j] *= c;
}
float sum_row(const float* row, int len, bool fast) {
  int j = 0;
  float s = 0.0f;
  if (fast && len >= 4) {
    simd::f32x4 acc = simd::zero();
    for (; j + 4 <= len; j += 4) acc = simd::add(acc, simd::load(row + j));
    s = simd::hsum(acc);
  }
  for (; j < len; ++j) s += row[j];
  return s;
}
// row[0, len) /= its sum; a row summing to 0 (or not finite) becomes 0.
void normalize_row(float* row, int len, bool fast) {
  const float s = sum_row(row, len, fast);
  const float inv = (s != 0.0f && std::isfinite(s)) ? 1.0f / s : 0.0f;
  scale_row(row, len, inv, fast);
}

// LSSAR re-weighting of one LSSA row (already normalized), in place.
//   x_j = relu(N A_j - O), B_j = (x_j / max x)^p, row = B / sum B.
void lssar_reweight_row(const OpSpec& spec, float* row, int len, int i, bool fast) {
  const float offset = i < 3 ? 0.0f : 1.0f;
  const float count = float(len);
  float top = 0.0f;
  for (int j = 0; j < len; ++j) {
    const float x = count * row[j] - offset;
    top = x > top ? x : top;
  }
  if (!(top > 0.0f)) {  // nothing beat uniform: keep the LSSA row, or zero it
    if (spec.lssar_fallback == LssarFallback::zero_row)
      for (int j = 0; j < len; ++j) row[j] = 0.0f;
    return;
  }
  for (int j = 0; j < len; ++j) {
    const float x = count * row[j] - offset;
    row[j] = x > 0.0f ? x : 0.0f;
  }
  const float inv_top = 1.0f / top;
  const int p = spec.power < 1 ? 1 : spec.power;
  int j = 0;
  if (fast)
    for (; j + 4 <= len; j += 4) {
      const simd::f32x4 b = simd::mul(simd::load(row + j), simd::set1(inv_top));
      simd::f32x4 acc = b;
      for (int e = 1; e < p; ++e) acc = simd::mul(acc, b);
      simd::store(row + j, acc);
    }
  for (; j < len; ++j) {
    const float b = row[j] * inv_top;
    float acc = b;
    for (int e = 1; e < p; ++e) acc = acc * b;
    row[j] = acc;
  }
  normalize_row(row, len, fast);
}

float dot(const float* a, const float* b, int d) {
  float s = 0.0f;
  for (int c = 0; c < d; ++c) s += a[c] * b[c];
  return s;
}

// Rows first_row .. first_row + n_q - 1 of Phi against n_k keys: q is (n_q, d),
// k is (n_k, d), Phi is (n_q, n_k).  Row r is query index i = first_row + r.
void weights_impl(const OpSpec& spec, const float* q, int n_q, const float* k, int n_k, int first_row, int d,
                  float* Phi, bool fast) {
  if (n_q <= 0 || n_k <= 0) return;
  std::vector<float> fq, fk;  // feature maps or unit vectors
  const float* qa = q;
  const float* ka = k;
  int width = d;
  if (spec.op == Op::linear) {
    width = feature_dim(spec, d);
    fq.resize(size_t(n_q) * width), fk.resize(size_t(n_k) * width);
    feature_map_impl(spec, q, fq.data(), n_q, d, true, fast);
    feature_map_impl(spec, k, fk.data(), n_k, d, false, fast);
    qa = fq.data(), ka = fk.data();
  } else if (spec.op == Op::lssa || spec.op == Op::lssar) {
    fq.resize(size_t(n_q) * d), fk.resize(size_t(n_k) * d);
    unit_rows(q, fq.data(), n_q, d);
    unit_rows(k, fk.data(), n_k, d);
    qa = fq.data(), ka = fk.data();
  }
  // Raw scores qa_i . ka_j (the gaussian kernel's cross term too).
  const float score_scale = spec.op == Op::softmax ? spec.scale : 1.0f;
  if (fast) {
    kern::gemm(false, true, n_q, n_k, width, score_scale, qa, width, ka, width, 0.0f, Phi, n_k);
  } else {
    for (int i = 0; i < n_q; ++i)
      for (int j = 0; j < n_k; ++j)
        Phi[size_t(i) * n_k + j] = score_scale * dot(qa + size_t(i) * width, ka + size_t(j) * width, width);
  }
  std::vector<float> knorm;
  if (spec.op == Op::gaussian && fast) {
    knorm.resize(n_k);
    for (int j = 0; j < n_k; ++j) knorm[j] = dot(k + size_t(j) * d, k + size_t(j) * d, d);
  }
  for (int r = 0; r < n_q; ++r) {
    const int i = first_row + r;
    float* row = Phi + size_t(r) * n_k;
    int vis = visible_keys(spec, i, n_k);
    vis = vis > n_k ? n_k : vis;
    for (int j = vis; j < n_k; ++j) row[j] = 0.0f;
    switch (spec.op) {
      case Op::softmax:
        if (fast) kern::softmax_three_pass_reload(row, row, size_t(vis));
        else kern::softmax_three_pass_reload_ref(row, row, size_t(vis));
        break;
      case Op::linear:
        if (spec.row_normalize) normalize_row(row, vis, fast);
        break;
      case Op::normalized: {
        const float eta = kern::exp_scalar(spec.log_eta ? spec.log_eta[r] : 0.0f);
        for (int j = 0; j < vis; ++j) row[j] = row[j] / eta;
        break;
      }
      case Op::lssa:
      case Op::lssar: {
        const float c = spec.lssa_scale ? lssa_row_scale(d, vis) : spec.scale;
        int j = 0;
        if (fast)
          for (; j + 4 <= vis; j += 4) simd::store(row + j, softplus4(simd::mul(simd::load(row + j), simd::set1(c))));
        for (; j < vis; ++j) row[j] = softplus(row[j] * c);
        normalize_row(row, vis, fast);
        if (spec.op == Op::lssar) lssar_reweight_row(spec, row, vis, i, fast);
        break;
      }
      case Op::gaussian: {
        // exp(-s |q_i - k_j|^2 / 2); the fast path expands the distance as
        // |q|^2 + |k|^2 - 2 q.k, which can round below 0: clamp (LESSONS #2 pitfall).
        const float half = -0.5f * spec.scale;
        if (fast) {
          const float qn = dot(q + size_t(r) * d, q + size_t(r) * d, d);
          int j = 0;
          for (; j + 4 <= vis; j += 4) {
            simd::f32x4 dist = simd::sub(simd::add(simd::set1(qn), simd::load(&knorm[j])),
                                         simd::mul(simd::set1(2.0f), simd::load(row + j)));
            dist = simd::max(dist, simd::zero());
            simd::store(row + j, kern::exp_f32x4(simd::mul(simd::set1(half), dist)));
          }
          for (; j < vis; ++j) {
            float dist = (qn + knorm[j]) - 2.0f * row[j];
            dist = dist > 0.0f ? dist : 0.0f;
            row[j] = kern::exp_scalar(half * dist);
          }
        } else {
          for (int j = 0; j < vis; ++j) {
            float dist = 0.0f;
            for (int c = 0; c < d; ++c) {
              const float diff = q[size_t(r) * d + c] - k[size_t(j) * d + c];
              dist += diff * diff;
            }
            row[j] = kern::exp_scalar(half * dist);
          }
        }
        break;
      }
    }
  }
}

}  // namespace

void feature_map_forward(const OpSpec& spec, const float* x, float* phi, int n, int d, bool is_query) {
  feature_map_impl(spec, x, phi, n, d, is_query, true);
}

void attention_weights(const OpSpec& spec, const float* q, const float* k, int n, int d, float* Phi) {
  weights_impl(spec, q, n, k, n, 0, d, Phi, true);
}
void attention_weights_ref(const OpSpec& spec, const float* q, const float* k, int n, int d, float* Phi) {
  weights_impl(spec, q, n, k, n, 0, d, Phi, false);
}
void attention_row(const OpSpec& spec, const float* q_row, const float* k, int n_k, int row, int d, float* out) {
  weights_impl(spec, q_row, 1, k, n_k, row, d, out, true);
}

void weights_apply(const float* Phi, const float* v, int n, int dv, float* Y) {
  if (n <= 0 || dv <= 0) return;
  kern::gemm(false, false, n, dv, n, 1.0f, Phi, n, v, dv, 0.0f, Y, dv);
}
void weights_apply_ref(const float* Phi, const float* v, int n, int dv, float* Y) {
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < dv; ++c) {
      float s = 0.0f;
      for (int j = 0; j < n; ++j) s += Phi[size_t(i) * n + j] * v[size_t(j) * dv + c];
      Y[size_t(i) * dv + c] = s;
    }
}

// ============================================================================
// Linear attention, O(n r dv).
// ============================================================================
namespace {
struct LinearScratch {
  std::vector<float> fq, fk, S, z, G, den;
};
thread_local LinearScratch t_linear;
template <typename T>
void grow_to(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}
}  // namespace

void linear_attention_forward(const OpSpec& spec, const float* q, const float* k, const float* v, int n, int d,
                              int dv, float* Y) {
  if (n <= 0 || dv <= 0) return;
  constexpr int kChunk = 64;
  LinearScratch& sc = t_linear;
  const int r = feature_dim(spec, d);
  grow_to(sc.fq, size_t(n) * r), grow_to(sc.fk, size_t(n) * r), grow_to(sc.S, size_t(r) * dv), grow_to(sc.z, size_t(r));
  grow_to(sc.G, size_t(kChunk) * kChunk), grow_to(sc.den, size_t(n));
  float* fq = sc.fq.data();
  float* fk = sc.fk.data();
  float* S = sc.S.data();
  float* z = sc.z.data();
  float* den = sc.den.data();
  feature_map_impl(spec, q, fq, n, d, true, true);
  feature_map_impl(spec, k, fk, n, d, false, true);
  if (!spec.causal) {
    kern::gemm(true, false, r, dv, n, 1.0f, fk, r, v, dv, 0.0f, S, dv);  // S = phi(K)^T V
    for (int a = 0; a < r; ++a) z[a] = 0.0f;
    for (int j = 0; j < n; ++j)
      for (int a = 0; a < r; ++a) z[a] += fk[size_t(j) * r + a];
    kern::gemm(false, false, n, dv, r, 1.0f, fq, r, S, dv, 0.0f, Y, dv);  // phi(Q) S
    for (int i = 0; i < n; ++i) den[i] = dot(fq + size_t(i) * r, z, r);
  } else {
    for (size_t i = 0; i < size_t(r) * dv; ++i) S[i] = 0.0f;
    for (int a = 0; a < r; ++a) z[a] = 0.0f;
    float* G = sc.G.data();
    for (int c0 = 0; c0 < n; c0 += kChunk) {
      const int b = n - c0 < kChunk ? n - c0 : kChunk;
      const float* fqc = fq + size_t(c0) * r;
      const float* fkc = fk + size_t(c0) * r;
      // Within the chunk: G = phi(Q_c) phi(K_c)^T, masked above the diagonal.
      kern::gemm(false, true, b, b, r, 1.0f, fqc, r, fkc, r, 0.0f, G, kChunk);
      for (int i = 0; i < b; ++i) {
        float rowsum = 0.0f;
        for (int j = 0; j < b; ++j) {
          if (j > i) G[size_t(i) * kChunk + j] = 0.0f;
          rowsum += G[size_t(i) * kChunk + j];
        }
        den[c0 + i] = dot(fqc + size_t(i) * r, z, r) + rowsum;
      }
      float* Yc = Y + size_t(c0) * dv;
      kern::gemm(false, false, b, dv, r, 1.0f, fqc, r, S, dv, 0.0f, Yc, dv);               // earlier chunks
      kern::gemm(false, false, b, dv, b, 1.0f, G, kChunk, v + size_t(c0) * dv, dv, 1.0f, Yc, dv);  // this chunk
      kern::gemm(true, false, r, dv, b, 1.0f, fkc, r, v + size_t(c0) * dv, dv, 1.0f, S, dv);  // S += phi(K_c)^T V_c
      for (int j = 0; j < b; ++j)
        for (int a = 0; a < r; ++a) z[a] += fkc[size_t(j) * r + a];
    }
  }
  if (!spec.row_normalize) return;
  for (int i = 0; i < n; ++i) {
    const float inv = (den[i] != 0.0f && std::isfinite(den[i])) ? 1.0f / den[i] : 0.0f;
    for (int c = 0; c < dv; ++c) Y[size_t(i) * dv + c] *= inv;
  }
}

// ============================================================================
// Recurrent forms.  Each step t reads only tokens 0..t.
// ============================================================================
void attention_recurrent(const OpSpec& spec, const float* q, const float* k, const float* v, int n, int d,
                         int dv, float* Y) {
  if (n <= 0) return;
  std::vector<float> acc(dv);
  switch (spec.op) {
    case Op::softmax: {
      // The state is the cache of every (k_j, v_j); y_t by the online softmax:
      // m' = max(m, s_j), l = l e^(m - m') + e^(s_j - m'), acc likewise.
      for (int t = 0; t < n; ++t) {
        float m = -std::numeric_limits<float>::infinity(), l = 0.0f;
        for (auto& a : acc) a = 0.0f;
        for (int j = 0; j <= t; ++j) {
          const float s = spec.scale * dot(q + size_t(t) * d, k + size_t(j) * d, d);
          const float m_new = s > m ? s : m;
          const float rescale = kern::exp_scalar(m - m_new), w = kern::exp_scalar(s - m_new);
          l = l * rescale + w;
          for (int c = 0; c < dv; ++c) acc[c] = acc[c] * rescale + w * v[size_t(j) * dv + c];
          m = m_new;
        }
        for (int c = 0; c < dv; ++c) Y[size_t(t) * dv + c] = acc[c] / l;
      }
      break;
    }
    case Op::linear: {
      // S (r, dv) and z (r): a finite state, the same size at every step.
      const int r = feature_dim(spec, d);
      std::vector<float> S(size_t(r) * dv, 0.0f), z(r, 0.0f), fq(r), fk(r);
      for (int t = 0; t < n; ++t) {
        feature_map_impl(spec, k + size_t(t) * d, fk.data(), 1, d, false, false);
        feature_map_impl(spec, q + size_t(t) * d, fq.data(), 1, d, true, false);
        for (int a = 0; a < r; ++a) {
          z[a] += fk[a];
          for (int c = 0; c < dv; ++c) S[size_t(a) * dv + c] += fk[a] * v[size_t(t) * dv + c];
        }
        float den = 0.0f;
        for (int a = 0; a < r; ++a) den += fq[a] * z[a];
        const float inv = !spec.row_normalize ? 1.0f : (den != 0.0f && std::isfinite(den)) ? 1.0f / den : 0.0f;
        for (int c = 0; c < dv; ++c) {
          float s = 0.0f;
          for (int a = 0; a < r; ++a) s += fq[a] * S[size_t(a) * dv + c];
          Y[size_t(t) * dv + c] = s * inv;
        }
      }
      break;
    }
    case Op::normalized: {
      std::vector<float> S(size_t(d) * dv, 0.0f);
      for (int t = 0; t < n; ++t) {
        for (int a = 0; a < d; ++a)
          for (int c = 0; c < dv; ++c) S[size_t(a) * dv + c] += k[size_t(t) * d + a] * v[size_t(t) * dv + c];
        const float eta = kern::exp_scalar(spec.log_eta ? spec.log_eta[t] : 0.0f);
        for (int c = 0; c < dv; ++c) {
          float s = 0.0f;
          for (int a = 0; a < d; ++a) s += q[size_t(t) * d + a] * S[size_t(a) * dv + c];
          Y[size_t(t) * dv + c] = s / eta;
        }
      }
      break;
    }
    case Op::lssa:
    case Op::lssar: {
      // Cache of unit keys; y_t = sum_j w_j v_j / sum_j w_j accumulated on the
      // fly (LSSA), or in a second pass over the cache once the row's sum and
      // largest weight are known (LSSAR's re-weighting needs both).
      std::vector<float> qhat(d), khat(size_t(n) * d), w(n);
      unit_rows(k, khat.data(), n, d);
      for (int t = 0; t < n; ++t) {
        unit_rows(q + size_t(t) * d, qhat.data(), 1, d);
        const int count = t + 1;
        const float c = spec.lssa_scale ? lssa_row_scale(d, count) : spec.scale;
        float den = 0.0f, top = 0.0f;
        for (auto& a : acc) a = 0.0f;
        for (int j = 0; j < count; ++j) {
          w[j] = softplus(c * dot(qhat.data(), khat.data() + size_t(j) * d, d));
          den += w[j];
          top = w[j] > top ? w[j] : top;
          for (int e = 0; e < dv; ++e) acc[e] += w[j] * v[size_t(j) * dv + e];
        }
        float* y = Y + size_t(t) * dv;
        const float inv = den > 0.0f ? 1.0f / den : 0.0f;
        if (spec.op == Op::lssa) {
          for (int e = 0; e < dv; ++e) y[e] = acc[e] * inv;
          continue;
        }
        // LSSAR: x_j = relu(N w_j / den - O), scaled by the largest x (which
        // belongs to the largest w), raised to p.
        const float offset = t < 3 ? 0.0f : 1.0f;
        const float xtop = float(count) * (top * inv) - offset;
        for (int e = 0; e < dv; ++e) y[e] = 0.0f;
        if (!(xtop > 0.0f)) {
          if (spec.lssar_fallback == LssarFallback::lssa_row)
            for (int e = 0; e < dv; ++e) y[e] = acc[e] * inv;
          continue;
        }
        float bsum = 0.0f;
        for (auto& a : acc) a = 0.0f;
        const int p = spec.power < 1 ? 1 : spec.power;
        for (int j = 0; j < count; ++j) {
          float x = float(count) * (w[j] * inv) - offset;
          x = x > 0.0f ? x / xtop : 0.0f;
          float b = x;
          for (int e = 1; e < p; ++e) b = b * x;
          bsum += b;
          for (int e = 0; e < dv; ++e) acc[e] += b * v[size_t(j) * dv + e];
        }
        const float binv = bsum > 0.0f ? 1.0f / bsum : 0.0f;
        for (int e = 0; e < dv; ++e) y[e] = acc[e] * binv;
      }
      break;
    }
    case Op::gaussian: {
      const float half = -0.5f * spec.scale;
      for (int t = 0; t < n; ++t) {
        for (auto& a : acc) a = 0.0f;
        for (int j = 0; j <= t; ++j) {
          float dist = 0.0f;
          for (int c = 0; c < d; ++c) {
            const float diff = q[size_t(t) * d + c] - k[size_t(j) * d + c];
            dist += diff * diff;
          }
          const float w = kern::exp_scalar(half * dist);
          for (int e = 0; e < dv; ++e) acc[e] += w * v[size_t(j) * dv + e];
        }
        for (int e = 0; e < dv; ++e) Y[size_t(t) * dv + e] = acc[e];
      }
      break;
    }
  }
}

int64_t recurrent_state_floats(const OpSpec& spec, int t, int d, int dv) {
  switch (spec.op) {
    case Op::linear: {
      const int64_t r = feature_dim(spec, d);
      return r * dv + (spec.row_normalize ? r : 0);
    }
    case Op::normalized: return int64_t(d) * dv;
    default: return int64_t(t) * (d + dv);  // the key/value cache
  }
}

}  // namespace attn
