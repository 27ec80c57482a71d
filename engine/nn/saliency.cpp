// saliency.cpp - see saliency.h.
#include "engine/nn/saliency.h"

#include <algorithm>
#include <cmath>

#include "engine/nn/model.h"

namespace nn {

void frame_saliency(float* out, const float* x, const float* g, int C, int positions, VirtualLayer layer,
                    Aggregate aggregate) {
  for (int u = 0; u < positions; ++u) {
    double norm2_g = 0, norm2_x = 0, norm2_gx = 0, sum_g = 0, sum_x = 0, sum_gx = 0;
    double g_max = -INFINITY, g_min = INFINITY, x_max = -INFINITY, x_min = INFINITY, gx_max = -INFINITY;
    for (int c = 0; c < C; ++c) {
      const double gc = g[c * positions + u], xc = x[c * positions + u];
      norm2_g += gc * gc, norm2_x += xc * xc, norm2_gx += gc * xc * gc * xc;
      sum_g += gc, sum_x += xc, sum_gx += gc * xc;
      if (gc > g_max) g_max = gc;
      if (gc < g_min) g_min = gc;
      if (xc > x_max) x_max = xc;
      if (xc < x_min) x_min = xc;
      if (gc * xc > gx_max) gx_max = gc * xc;
    }
    double v = 0;
    switch (layer) {
      case VirtualLayer::bias:  // contribution g_u
        v = aggregate == Aggregate::norm ? std::sqrt(norm2_g) : aggregate == Aggregate::sum ? sum_g : g_max;
        break;
      case VirtualLayer::scale:  // g_u (.) x_u
        v = aggregate == Aggregate::norm ? std::sqrt(norm2_gx) : aggregate == Aggregate::sum ? sum_gx : gx_max;
        break;
      case VirtualLayer::conv1x1:  // g_u x_u^T: ||.||_F = ||g|| ||x||
        if (aggregate == Aggregate::norm) {
          v = std::sqrt(norm2_g) * std::sqrt(norm2_x);
        } else if (aggregate == Aggregate::sum) {
          v = sum_g * sum_x;
        } else {
          const double p[4] = {g_max * x_max, g_max * x_min, g_min * x_max, g_min * x_min};
          v = p[0];
          for (double q : p) v = q > v ? q : v;
        }
        break;
    }
    out[u] = C > 0 ? float(v) : 0.0f;
  }
}

void gradcam_saliency(float* out, const float* x, const float* g, int C, int positions) {
  for (int u = 0; u < positions; ++u) out[u] = 0.0f;
  if (positions <= 0) return;
  for (int c = 0; c < C; ++c) {
    double a = 0;  // sum_u g_{c,u}: the shared virtual bias's gradient
    for (int u = 0; u < positions; ++u) a += g[c * positions + u];
    a /= positions;
    for (int u = 0; u < positions; ++u) out[u] += float(a * x[c * positions + u]);
  }
  for (int u = 0; u < positions; ++u) out[u] = out[u] > 0.0f ? out[u] : 0.0f;
}

void identity_conv_gradient(double* out, const float* x, const float* g, int C, int positions) {
  for (int i = 0; i < C; ++i)
    for (int j = 0; j < C; ++j) {
      double s = 0;
      for (int u = 0; u < positions; ++u) s += double(g[i * positions + u]) * x[j * positions + u];
      out[i * C + j] = s;
    }
}

GridMap layer_grid_map(const Model& m, int layer) {
  GridMap grid;
  for (int i = 0; i <= layer && i < m.num_layers(); ++i) {
    const LayerSpec& s = m.layer_spec(i);
    if (s.kind == LayerKind::conv2d && s.padding == Padding::valid) {
      grid.offset += grid.scale * 0.5 * (s.kernel - 1);
    } else if (s.kind == LayerKind::maxpool2x2) {
      grid.offset += 0.5 * grid.scale;
      grid.scale *= 2;
    }
  }
  return grid;
}

// Cell coordinate of input pixel p on a grid of n cells: lower cell and weight of the upper one.
static void locate(int p, int n, const GridMap& grid, int& lo, double& t) {
  double c = (p - grid.offset) / grid.scale;
  if (c < 0) c = 0;
  if (c > n - 1) c = n - 1;
  lo = int(c);
  if (lo > n - 2) lo = n > 1 ? n - 2 : 0;
  t = n > 1 ? c - lo : 0.0;
}

void resample_to_input(float* out, int H, int W, const float* map, int h, int w, const GridMap& grid) {
  for (int y = 0; y < H; ++y) {
    int r;
    double ty;
    locate(y, h, grid, r, ty);
    const int r1 = h > 1 ? r + 1 : r;
    for (int x = 0; x < W; ++x) {
      int c;
      double tx;
      locate(x, w, grid, c, tx);
      const int c1 = w > 1 ? c + 1 : c;
      const double top = (1 - tx) * map[r * w + c] + tx * map[r * w + c1];
      const double bottom = (1 - tx) * map[r1 * w + c] + tx * map[r1 * w + c1];
      out[y * W + x] = float((1 - ty) * top + ty * bottom);
    }
  }
}

int argmax_index(const float* values, int n) {
  int best = n > 0 ? 0 : -1;
  for (int i = 1; i < n; ++i)
    if (values[i] > values[best]) best = i;
  return best;
}

bool pointing_hit(const float* image, int H, int W, int point, float threshold, int tolerance) {
  if (point < 0 || point >= H * W) return false;
  const int py = point / W, px = point % W;
  for (int dy = -tolerance; dy <= tolerance; ++dy)
    for (int dx = -tolerance; dx <= tolerance; ++dx) {
      const int y = py + dy, x = px + dx;
      if (dy * dy + dx * dx > tolerance * tolerance || y < 0 || y >= H || x < 0 || x >= W) continue;
      if (image[y * W + x] >= threshold) return true;
    }
  return false;
}

void top_k_indices(const float* values, int n, int k, int* order) {
  for (int i = 0; i < n; ++i) order[i] = i;
  k = std::max(0, std::min(k, n));
  std::partial_sort(order, order + k, order + n,
                    [values](int a, int b) { return values[a] > values[b] || (values[a] == values[b] && a < b); });
}

double pearson_correlation(const float* a, const float* b, int n) {
  if (n <= 0) return 0.0;
  double ma = 0, mb = 0;
  for (int i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= n, mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (int i = 0; i < n; ++i) {
    const double da = a[i] - ma, db = b[i] - mb;
    sab += da * db, saa += da * da, sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

void VirtualLayerProbe::reserve(int input_size, int max_act) {
  x_.reserve(size_t(input_size));
  input_.reserve(size_t(input_size));
  act_.reserve(size_t(max_act));
}

void VirtualLayerProbe::attach(Model& m, int layer, const float* x, int k) {
  model_ = &m, layer_ = layer, k_ = k, mode_ = kNone;
  const Shape s = layer < 0 ? m.layer_input_shape(0) : m.layer_output_shape(layer);
  channels_ = s.channels, positions_ = s.height * s.width;
  x_.assign(x, x + m.input_size());
  input_.assign(x, x + m.input_size());
  m.set_forward_hook(nullptr);
  m.forward(x_.data(), 1);
  const float* a = layer < 0 ? x_.data() : m.layer_output(layer);
  act_.assign(a, a + s.size());
  m.set_forward_hook([this](int i, float* out, int) {
    if (i == layer_ && mode_ != kNone) perturb(out);
  });
}

void VirtualLayerProbe::detach() {
  if (model_) model_->set_forward_hook(nullptr);
  model_ = nullptr;
}

void VirtualLayerProbe::perturb(float* out) const {
  const float w = float(step_);
  for (int u = 0; u < positions_; ++u)
    out[i_ * positions_ + u] += mode_ == kConv ? w * act_[size_t(j_) * positions_ + u] : w;  // y_i += w x_j, or += b
}

double VirtualLayerProbe::score(Mode mode, int i, int j, double step) {
  mode_ = mode, i_ = i, j_ = j, step_ = step;
  std::copy(x_.begin(), x_.end(), input_.begin());
  if (layer_ < 0) perturb(input_.data());  // the virtual layer on the input itself
  const double s = model_->forward(input_.data(), 1)[k_];
  mode_ = kNone;
  return s;
}

double VirtualLayerProbe::identity_conv(int i, int j, double h) {
  return (score(kConv, i, j, h) - score(kConv, i, j, -h)) / (2 * h);
}

double VirtualLayerProbe::shared_bias(int c, double h) {
  return (score(kBias, c, 0, h) - score(kBias, c, 0, -h)) / (2 * h);
}

}  // namespace nn
