// saliency.h - backpropagation saliency maps in the frame of Rebuffi et al.,
// "There and Back Again: Revisiting Backpropagation Saliency Methods" (CVPR
// 2020), as TorchRay's attribution/norm_grad.py computes NormGrad.
//
// At a chosen layer, x_u (C,) is the activation at spatial location u and g_u
// (C,) the gradient of the explained class score there (Model::layer_output
// and Model::layer_output_grad after a backward from a one-hot dlogits).
// Phase 1 inserts a virtual identity layer after that layer and takes its
// parameter gradient's contribution at u:
//   bias     b + x:        g_u
//   scale    s (.) x:      g_u (.) x_u
//   conv1x1  W x (W = I):  g_u x_u^T          (C x C; summed over u it is dL/dW)
// Phase 2 reduces that contribution to one number: its norm, sum or max.
// NormGrad is conv1x1 + norm: ||g_u x_u^T||_F = ||g_u|| ||x_u||.  Grad-CAM is
// the shared virtual bias's gradient (sum_u g_u) spread back over locations
// through x_u; see gradcam_saliency.
//
// Maps live on the layer's grid; resample_to_input puts them on the image's.
#pragma once
#include <vector>

namespace nn {

class Model;

enum class VirtualLayer { bias, scale, conv1x1 };
enum class Aggregate { norm, sum, max };

// x, g are (C, positions), channel-major as a model stores one sample; out is
// (positions,).  conv1x1's sum and max use (sum g)(sum x) and the largest of
// the four products of g's and x's extremes, exactly the sum and max over the
// C x C entries of g_u x_u^T.
void frame_saliency(float* out, const float* x, const float* g, int C, int positions, VirtualLayer layer,
                    Aggregate aggregate);

// Grad-CAM (Selvaraju et al. 2017): out_u = max(0, sum_c a_c x_{c,u}) with
// a_c = (1/positions) sum_u g_{c,u}, the gradient of a virtual bias shared by
// every location of channel c, divided by the number of locations.
void gradcam_saliency(float* out, const float* x, const float* g, int C, int positions);

// out (C, C): out[i][j] = sum_u g_{i,u} x_{j,u}, the gradient of the weight of a
// virtual identity 1x1 convolution inserted after the layer (in double).
void identity_conv_gradient(double* out, const float* x, const float* g, int C, int positions);

// Where a layer's output grid sits on the input image: the cell with index i
// (row or column) is centred on input pixel  scale * i + offset.
struct GridMap {
  double scale = 1, offset = 0;
};
// For the output of layer `layer` of m (-1: the input itself): 'same'
// convolutions keep the grid, a 'valid' K x K one shifts it by (K-1)/2 cells,
// 2x2 pooling doubles the cell and shifts it by half a cell.
GridMap layer_grid_map(const Model& m, int layer);

// out (H, W) = map (h, w) sampled bilinearly at every input pixel's position
// on the layer grid (clamped at the border).
void resample_to_input(float* out, int H, int W, const float* map, int h, int w, const GridMap& grid);

// Index of the largest entry (the first on ties); -1 when n <= 0.
int argmax_index(const float* values, int n);

// The pointing game's hit test (Zhang et al. 2016, as TorchRay): is a pixel
// of the object mask - image (H, W) >= threshold - within `tolerance` pixels
// (Euclidean) of `point` (a row-major index)?
bool pointing_hit(const float* image, int H, int W, int point, float threshold, int tolerance);

// order (n,) gets a permutation of 0..n-1 whose first k entries are the k
// largest values, largest first, ties broken by index: the same set in every
// build (std::sort alone may order ties differently between standard libraries).
void top_k_indices(const float* values, int n, int k, int* order);

// Pearson correlation of a and b (n,) in double; 0 when either is constant.
double pearson_correlation(const float* a, const float* b, int n);

// Central differences of output k of a model, at one input, with respect to
// the parameters of a virtual layer really inserted after layer `layer`
// (through Model::set_forward_hook; layer -1: on the input itself).  They
// check that the frame's contributions, summed over locations, are those
// parameters' gradients.  The probe must not move while attached.
//
//   probe.reserve(model.input_size(), largest_activation);   // once
//   probe.attach(model, layer, x, k);
//   double dW_ij = probe.identity_conv(i, j, 1e-3);  // vs sum_u g_{i,u} x_{j,u}
//   double db_c = probe.shared_bias(c, 1e-3);        // vs sum_u g_{c,u}
//   probe.detach();
class VirtualLayerProbe {
 public:
  // Buffers for inputs of input_size floats and activations of up to max_act.
  void reserve(int input_size, int max_act);
  // Installs the hook on m and records layer's unperturbed output at x (one sample).
  void attach(Model& m, int layer, const float* x, int k);
  void detach();
  // W = I + w E_ij, a 1x1 convolution: (score(w = h) - score(w = -h)) / 2h.
  double identity_conv(int i, int j, double h);
  // A bias b_c added at every location of channel c: the same difference.
  double shared_bias(int c, double h);

 private:
  enum Mode { kNone, kConv, kBias };
  double score(Mode mode, int i, int j, double step);
  void perturb(float* out) const;
  Model* model_ = nullptr;
  int layer_ = -1, k_ = 0, channels_ = 0, positions_ = 0;
  Mode mode_ = kNone;
  int i_ = 0, j_ = 0;
  double step_ = 0;
  std::vector<float> x_, act_, input_;
};

}  // namespace nn
