// normgrad.cpp - Lesson: "There and Back Again: Revisiting Backpropagation
// Saliency Methods" (Rebuffi, Fong, Ji & Vedaldi, CVPR 2020, arXiv:2004.02866),
// NormGrad as TorchRay's attribution/norm_grad.py computes it.
//
// A small CNN is trained on the UCI 8x8 digits (or MNIST).  Then, for a fixed
// set of test images, one backward pass from the explained class's score gives
// the activation x_u and the gradient g_u at every layer, and engine/nn/
// saliency turns them into maps: the gradient ||g_u||, gradient x input
// sum_c g x, Grad-CAM, NormGrad ||g_u|| ||x_u||, and any phase-1 x phase-2
// choice of the paper's virtual-identity frame.  The checks: the pointing game
// against the digit's ink, a deletion test (remove the top pixels, watch the
// class probability fall), a model-randomization sanity check (maps of the
// trained network against its untrained initialization), and finite
// differences through an inserted identity 1x1 convolution (Model's forward
// hook) for the frame's gradient and for Grad-CAM.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "engine/nn/losses_softmax.h"
#include "engine/nn/saliency.h"
#include "engine/rng.h"
#include "lessons/trainer_lesson.h"
#include "ui/panel.h"
#include "ui/plots.h"

namespace pg {
namespace {

const LessonInfo kInfo = {
    "normgrad",
    "Revisiting backpropagation saliency: NormGrad",
    "Rebuffi, Fong, Ji & Vedaldi",
    2020,
    "2004.02866",
    "https://github.com/facebookresearch/TorchRay",
    "E. Looking inside trained networks",
    LessonKind::analysis,
    Stepping::on_play,
    "Gradient, gradient x input, Grad-CAM and NormGrad on a small CNN, in one frame, with the pointing game, "
    "deletion and sanity checks.",
};

// The maps, in this order everywhere (arrays, series, metric suffixes).
enum Method { kGradient, kGradInput, kGradCam, kNormGrad, kFrame, kMethods };
const char* const kMethodKeys[kMethods] = {"gradient", "gradxinput", "gradcam", "normgrad", "frame"};
const char* const kMethodNames[kMethods] = {"gradient", "gradient x input", "Grad-CAM", "NormGrad", "frame choice"};
constexpr int kLayers = 3;  // the input, conv block 1, conv block 2 (after their ReLUs)
const char* const kLayerNames[kLayers] = {"input", "conv1", "conv2"};

constexpr int kShow = 6;             // images in the main view
constexpr int kChunk = 64;           // analysis batch
constexpr double kDeleteFrac = 0.2;  // share of the pixels the deletion test removes
constexpr float kInk = 0.5f;         // object mask: pixels >= kInk (the digit's strokes)
constexpr int kTolerance = 1;        // pointing game: a hit within this many pixels of the mask
constexpr double kFdStep = 3e-4;     // central-difference step on the virtual layer's parameters
constexpr double kProbeNoise = 0.05;
constexpr int kFdEntries = 64;       // entries of the C x C identity-convolution gradient compared  // uniform noise on the finite-difference probe image
constexpr int kConv1 = 8, kConv2 = 16, kHidden = 64;

class NormGrad : public TrainerLesson {
 public:
  bool views_draw_from_outputs() const override { return true; }  // tests/test_worker_mirror.cpp
  const LessonInfo& info() const override { return kInfo; }

  void declare(Declaration& d) override {
    declare_training(d, kDigits, 800, 0.01, kDigits, kMnist);
    d.params.choice("placement", "digit placement", &placement_, {"centred", "random"}, 1,
                    "random: every image is pasted at a random position on an empty canvas (16x16 for the 8x8 "
                    "digits, 36x36 for MNIST), so the object's place varies and pointing at the centre stops "
                    "working; centred: the data set's own images, where the digit always fills the middle.");
    d.params.choice("layer", "saliency layer", &layer_, {"input", "conv1", "conv2"}, 1,
                    "Where the virtual identity layer is inserted: the image itself, or the ReLU output "
                    "of the first or second convolution block (conv2 is the last convolution, where "
                    "Grad-CAM is meant to be used).  Maps are resampled to the image.").restarts = false;
    d.params.choice("target", "explained class", &target_, {"predicted", "label", "runner-up"}, 0,
                    "Whose score is backpropagated: the network's top class, the true label, or its "
                    "second most likely class (does the map change with the class?).").restarts = false;
    d.params.choice("phase1", "frame: virtual layer", &phase1_, {"bias", "scale", "conv1x1"}, 1,
                    "Phase 1 of the frame, for the fifth map: the parameter gradient of a virtual bias "
                    "(g_u), scale (g_u (.) x_u) or identity 1x1 convolution (g_u x_u^T) at location u.").restarts = false;
    d.params.choice("phase2", "frame: aggregation", &phase2_, {"norm", "sum", "max"}, 0,
                    "Phase 2, for the fifth map: reduce the contribution at u by its norm, the sum or "
                    "the max of its entries.  conv1x1 + norm is NormGrad, bias + norm the gradient, "
                    "scale + sum gradient x input.").restarts = false;
    d.preset("MNIST digits on a 36x36 canvas", "dataset=mnist");
    d.preset("the last convolution (Grad-CAM's usual layer)", "layer=conv2");
    d.preset("at the image itself (Grad-CAM's weights become one number)", "layer=input");
    d.preset("centred digits: the centre pixel wins the pointing game", "placement=centred");
    d.preset("explain the runner-up class", "target=runner-up");
    d.preset("the frame: conv1x1 + max at conv2", "layer=conv2&phase1=conv1x1&phase2=max");
    declare_text(d.text);
    d.view("maps", "Saliency maps at the chosen layer (first row: the test images; red frame: the map's maximum "
                   "misses the ink)", [this](const ViewContext& v) { draw_maps(v); });
    d.view("checks", "Pointing game by layer; deletion and sanity checks by method",
           [this](const ViewContext& v) { draw_checks(v); });
    declare_curves_view(d);
    declare_summary_view(d);
    char key[64], meaning[256];
    for (int m = 0; m < kMethods; ++m) {
      std::snprintf(key, sizeof key, "pointing_acc_%s", kMethodKeys[m]);
      std::snprintf(meaning, sizeof meaning,
                    "pointing game with %s at the chosen layer: fraction of the evaluated test images whose map "
                    "maximum lies within 1 pixel of the digit's ink (pixels >= 0.5)", kMethodNames[m]);
      d.metric(key, meaning);
    }
    d.metric("pointing_acc_center", "the same game for a fixed guess, the image's centre pixel (baseline)");
    d.metric("pointing_acc_random", "a uniformly random point's expected hit rate (mean share of the pixels within "
                                    "the tolerance of ink; baseline)");
    for (int m = 0; m < kMethods; ++m) {
      std::snprintf(key, sizeof key, "deletion_drop_%s", kMethodKeys[m]);
      std::snprintf(meaning, sizeof meaning,
                    "mean drop of the explained class's probability when the 20%% most salient pixels by %s are "
                    "set to 0", kMethodNames[m]);
      d.metric(key, meaning);
    }
    d.metric("deletion_drop_random", "the same drop for 20% of the pixels chosen at random (baseline)");
    for (int m = 0; m < kMethods; ++m) {
      std::snprintf(key, sizeof key, "sanity_corr_%s", kMethodKeys[m]);
      std::snprintf(meaning, sizeof meaning,
                    "mean Pearson correlation between %s maps of the trained network and of its untrained "
                    "initialization (high = the map hardly depends on what was learned)",
                    kMethodNames[m]);
      d.metric(key, meaning);
    }
    d.metric("identity_frame_max_abs", "max |sum_u g_u x_u^T - finite differences| over the entries of the "
                                       "inserted identity 1x1 convolution's weight gradient (first image, after "
                                       "the run)");
    d.metric("identity_frame_max_grad", "max |sum_u g_u x_u^T| over those entries (the scale of the check)");
    d.metric("identity_frame_rows_checked", "share of the C rows of that check compared: a row whose step "
                                            "would cross the ReLU's kink (the score has no derivative there) "
                                            "is skipped");
    d.metric("gradcam_frame_max_abs", "max over locations of |Grad-CAM from the finite-difference gradient of a "
                                      "shared virtual bias - Grad-CAM by its direct formula| (first image)");
    d.metric("test_acc", "test accuracy of the CNN (fraction; whole test set after the run)");
    d.metric("train_loss", "smoothed mini-batch cross-entropy");
    d.metric("images_evaluated", "test images the saliency checks use");

    images_ = &outputs_.array("eval_images");
    labels_ = &outputs_.array("eval_labels");
    targets_ = &outputs_.array("eval_targets");
    maps_ = &outputs_.array("saliency");
    peaks_ = &outputs_.array("saliency_peak");
    hit_ = &outputs_.array("pointing_hit");
    frame_check_ = &outputs_.array("identity_frame");
    by_layer_ = &outputs_.series("pointing_by_layer", {"layer", "gradient", "gradxinput", "gradcam", "normgrad",
                                                       "frame", "center"});
    by_method_ = &outputs_.series("checks_by_method", {"method", "pointing", "deletion_drop", "sanity_corr"});
  }

  void prepare_data(data::Dataset& train, data::Dataset& test) override {
    if (placement_ == 0 || !train.is_image()) return;
    const int side = train.height <= 16 ? 2 * train.height : train.height + 8;  // MNIST: 36x36 (compute)
    train = data::place_on_canvas(train, side, side, seed_ * 7919 + 1);
    test = data::place_on_canvas(test, side, side, seed_ * 7919 + 2);
  }

  nn::ModelSpec model_for(const data::Dataset& d) const override {
    // 8x8 digits: 3x3 'same' convolutions (8x8 -> 4x4 -> 2x2 after pooling);
    // MNIST: 5x5 'valid' ones as cnn-svm (28 -> 24 -> 12 -> 8 -> 4).
    if (d.height >= 28) return nn::cnn(d.channels, d.height, d.width, {kConv1, kConv2}, 5, nn::Padding::valid, kHidden, d.classes);
    return nn::cnn(d.channels, d.height, d.width, {kConv1, kConv2}, 3, nn::Padding::same, kHidden, d.classes);
  }

  void add_runs(const nn::ModelSpec& spec, const nn::OptimizerConfig& adam) override {
    trainer_.add_run("CNN", spec, std::make_unique<nn::SoftmaxCrossEntropy>(), adam);
  }

  int view_refresh_steps() const override { return H_ >= 28 ? 100 : 50; }  // MNIST: a refresh costs ~10x more

  void after_reset() override {
    const data::Dataset& test = trainer_.test_data();
    const nn::Model& trained = trainer_.run(0).model;
    const nn::ModelSpec spec = model_for(trainer_.train_data());
    pg::Rng unused(1);
    analysis_.init(spec, kChunk, unused);
    untrained_.init(spec, kChunk, unused);
    untrained_.copy_params_from(trained);  // the initialization, kept for the sanity check
    analysis_.copy_params_from(trained);
    // The layers whose output is explained: -1 (the image), then the ReLU after each convolution.
    int k = 0;
    layer_index_[k++] = -1;
    for (int i = 0; i + 1 < trained.num_layers() && k < kLayers; ++i)
      if (trained.layer_spec(i).kind == nn::LayerKind::conv2d && trained.layer_spec(i + 1).kind == nn::LayerKind::relu)
        layer_index_[k++] = i + 1;
    H_ = test.height, W_ = test.width, P_ = test.height * test.width;
    N_ = std::min(test.n, H_ >= 28 ? 64 : 128);
    idx_.resize(size_t(N_));
    data::SpreadRows(N_, test.n).fill(idx_.data(), N_);  // spread over the set
    x_.assign(size_t(N_) * test.dim, 0.0f);
    y_.assign(size_t(N_), 0);
    test.gather(idx_.data(), N_, x_.data(), y_.data());
    target_of_.assign(size_t(N_), 0);
    p_before_.assign(size_t(N_), 0.0);
    int max_act = P_;
    for (int i = 0; i < trained.num_layers(); ++i) max_act = std::max(max_act, trained.layer_output_shape(i).size());
    dx_.assign(size_t(kChunk) * P_, 0.0f);
    dlogits_.assign(size_t(kChunk) * test.classes, 0.0f);
    batch_x_.assign(size_t(kChunk) * test.dim, 0.0f);
    layer_map_.assign(size_t(max_act), 0.0f);
    image_map_.assign(size_t(P_), 0.0f);
    other_map_.assign(size_t(P_), 0.0f);
    act_copy_.assign(size_t(max_act), 0.0f);
    order_.assign(size_t(P_), 0);
    hits_.assign(size_t(kLayers) * (kMethods + 1), 0);
    ink_ = 0;
    center_hit_ = 0;
    const int center = (H_ / 2) * W_ + W_ / 2;
    for (int i = 0; i < N_; ++i) {
      const float* img = x_.data() + size_t(i) * P_;
      int ink = 0;
      for (int p = 0; p < P_; ++p) ink += on_object(img, p);
      ink_ += double(ink) / P_;
      center_hit_ += on_object(img, center);
    }
    ink_ /= std::max(1, N_);
    const int C_max = std::max(kConv1, kConv2);
    frame_analytic_.assign(size_t(C_max) * C_max, 0.0);
    frame_fd_.assign(size_t(C_max) * C_max, 0.0);
    both_.assign(size_t(2) * C_max * C_max, 0.0);
    cam_.assign(size_t(max_act), 0.0f);
    relu_copy_.assign(size_t(max_act), 0.0f);
    probe_x_.assign(size_t(P_), 0.0f);
    probe_.reserve(P_, max_act);
    images_->set({N_, H_, W_}, x_.data());
    std::vector<float> labels(y_.begin(), y_.end());
    labels_->set({N_}, labels.data());
    targets_->set({N_}, labels.data());
    std::vector<float> zeros(size_t(kMethods) * N_ * P_, 0.0f);
    maps_->set({kMethods, N_, H_, W_}, zeros.data());
    peaks_->set({kMethods, N_}, zeros.data());
    hit_->set({kMethods, N_}, zeros.data());
    by_layer_->resize(kLayers);
    by_method_->resize(kMethods + 1);
    for (int l = 0; l < kLayers; ++l) by_layer_->col(0)[l] = float(l);
    for (int m = 0; m <= kMethods; ++m) by_method_->col(0)[m] = float(m);
    clear_final();
  }

  // Every refresh (every 50 or 100 steps and after the run): the maps and the
  // pointing game (one batched backward), deletion (six forwards), sanity
  // (one backward of the untrained network) and the frame checks (at most
  // 2 x kFdEntries single-image forwards).
  void refresh_views() override {
    if (!data_ready()) return;
    analysis_.copy_params_from(trainer_.run(0).model);
    compute_maps(analysis_);
    compute_checks();
  }

  void live_param_changed(const ParamSpec& spec) override {
    TrainerLesson::live_param_changed(spec);
    if (spec.key != "lr") refresh_views();  // the analysis knobs: recompute from the current network
  }

  void metrics(MetricList& out) const override {
    char key[64];
    const Series& s = *by_method_;
    const bool ready = data_ready() && s.rows() == kMethods + 1;
    for (int m = 0; m < kMethods; ++m) {
      std::snprintf(key, sizeof key, "pointing_acc_%s", kMethodKeys[m]);
      out.add(key, ready ? s.col(1)[m] : NAN);
    }
    out.add("pointing_acc_center", ready ? center_hit_ / std::max(1, N_) : NAN);
    out.add("pointing_acc_random", ready ? ink_ : NAN);
    for (int m = 0; m <= kMethods; ++m) {
      std::snprintf(key, sizeof key, "deletion_drop_%s", m < kMethods ? kMethodKeys[m] : "random");
      out.add(key, ready ? deletion_[m] : NAN);
    }
    for (int m = 0; m < kMethods; ++m) {
      std::snprintf(key, sizeof key, "sanity_corr_%s", kMethodKeys[m]);
      out.add(key, ready ? sanity_[m] : NAN);
    }
    out.add("identity_frame_max_abs", ready ? frame_max_abs_ : NAN);
    out.add("identity_frame_max_grad", ready ? frame_max_grad_ : NAN);
    out.add("identity_frame_rows_checked", ready ? frame_rows_frac_ : NAN);
    out.add("gradcam_frame_max_abs", ready ? gradcam_max_abs_ : NAN);
    out.add("test_acc", test_accuracy(0));
    out.add("train_loss", data_ready() ? trainer_.run(0).smoothed_loss : NAN);
    out.add("images_evaluated", data_ready() ? N_ : 0);
  }

 private:
  void declare_text(Walkthrough& t);
  void draw_maps(const ViewContext& v) const;
  void draw_checks(const ViewContext& v) const;

  // ----------------------------------------------------------- the analysis
  // Activation (C, positions) of sample b at explained layer l of m, and its gradient.
  // (backward_chunk must have run on m: the input layer reads its batch and dx.)
  const float* act_of(const nn::Model& m, int l, int b, int& C, int& h, int& w, const float*& grad) const {
    const int i = layer_index_[l];
    if (i < 0) {
      C = 1, h = H_, w = W_;
      grad = dx_.data() + size_t(b) * P_;
      return batch_x_.data() + size_t(b) * P_;  // the chunk backward_chunk fed to m
    }
    const nn::Shape s = m.layer_output_shape(i);
    C = s.channels, h = s.height, w = s.width;
    grad = m.layer_output_grad(i) + size_t(b) * s.size();
    return m.layer_output(i) + size_t(b) * s.size();
  }

  // Method `method`'s map of sample b at layer l of m (after a backward), on the image grid.
  void map_of(const nn::Model& m, int l, int b, int method, float* out) {
    int C, h, w;
    const float* g;
    const float* x = act_of(m, l, b, C, h, w, g);
    float* map = layer_map_.data();
    switch (method) {
      case kGradient: nn::frame_saliency(map, x, g, C, h * w, nn::VirtualLayer::bias, nn::Aggregate::norm); break;
      case kGradInput: nn::frame_saliency(map, x, g, C, h * w, nn::VirtualLayer::scale, nn::Aggregate::sum); break;
      case kGradCam: nn::gradcam_saliency(map, x, g, C, h * w); break;
      case kNormGrad: nn::frame_saliency(map, x, g, C, h * w, nn::VirtualLayer::conv1x1, nn::Aggregate::norm); break;
      default:
        nn::frame_saliency(map, x, g, C, h * w, nn::VirtualLayer(phase1_), nn::Aggregate(phase2_));
        break;
    }
    nn::resample_to_input(out, H_, W_, map, h, w, nn::layer_grid_map(m, layer_index_[l]));
  }

  bool on_object(const float* img, int point) const { return nn::pointing_hit(img, H_, W_, point, kInk, kTolerance); }

  // The explained class of row b from its logits (C,).
  int pick_target(const float* logits, int C, int label) const {
    if (target_ == 1) return label;
    int best = 0;
    for (int k = 1; k < C; ++k) if (logits[k] > logits[best]) best = k;
    if (target_ == 0) return best;
    int second = best == 0 ? 1 : 0;
    for (int k = 0; k < C; ++k) if (k != best && logits[k] > logits[second]) second = k;
    return second;
  }

  static double softmax_prob(const float* logits, int C, int k) {
    double mx = logits[0], sum = 0;
    for (int j = 1; j < C; ++j) mx = std::max(mx, double(logits[j]));
    for (int j = 0; j < C; ++j) sum += detmath::exp(double(logits[j]) - mx);
    return detmath::exp(double(logits[k]) - mx) / sum;
  }

  // Forward + backward of one chunk from the one-hot of each row's target.
  // fix_targets: choose the targets from m's logits (else reuse target_of_).
  void backward_chunk(nn::Model& m, int start, int B, bool fix_targets) {
    const int C = trainer_.test_data().classes;
    std::copy(x_.begin() + size_t(start) * P_, x_.begin() + size_t(start + B) * P_, batch_x_.begin());
    const float* logits = m.forward(batch_x_.data(), B);
    std::fill(dlogits_.begin(), dlogits_.end(), 0.0f);
    for (int b = 0; b < B; ++b) {
      const int i = start + b;
      if (fix_targets) {
        target_of_[size_t(i)] = pick_target(logits + b * C, C, y_[size_t(i)]);
        p_before_[size_t(i)] = softmax_prob(logits + b * C, C, target_of_[size_t(i)]);
      }
      dlogits_[size_t(b) * C + target_of_[size_t(i)]] = 1.0f;  // d(score of the target) / d logits
    }
    std::fill(dx_.begin(), dx_.end(), 0.0f);
    m.zero_grad();
    m.backward(dlogits_.data(), dx_.data());
  }

  // Every method's map at every layer of every evaluated image; the chosen
  // layer's maps into the output, the pointing game for all layers.
  void compute_maps(nn::Model& m) {
    std::fill(hits_.begin(), hits_.end(), 0);
    float* maps = maps_->f.data();
    for (int start = 0; start < N_; start += kChunk) {
      const int B = std::min(kChunk, N_ - start);
      backward_chunk(m, start, B, true);
      for (int b = 0; b < B; ++b) {
        const float* img = x_.data() + size_t(start + b) * P_;
        for (int l = 0; l < kLayers; ++l)
          for (int method = 0; method < kMethods; ++method) {
            float* out = l == layer_ ? maps + (size_t(method) * N_ + start + b) * P_ : image_map_.data();
            map_of(m, l, b, method, out);
            const int peak = nn::argmax_index(out, P_);
            const bool hit = on_object(img, peak);
            hits_[size_t(l) * (kMethods + 1) + method] += hit;
            if (l == layer_) {
              peaks_->f[size_t(method) * N_ + start + b] = float(peak);
              hit_->f[size_t(method) * N_ + start + b] = hit ? 1.0f : 0.0f;
            }
          }
      }
    }
    for (int i = 0; i < N_; ++i) targets_->f[size_t(i)] = float(target_of_[size_t(i)]);
    for (int l = 0; l < kLayers; ++l) {
      for (int method = 0; method < kMethods; ++method)
        by_layer_->col(1 + method)[l] = float(double(hits_[size_t(l) * (kMethods + 1) + method]) / N_);
      by_layer_->col(1 + kMethods)[l] = float(center_hit_ / N_);
    }
    for (int method = 0; method < kMethods; ++method) by_method_->col(1)[method] = by_layer_->col(1 + method)[layer_];
    by_method_->col(1)[kMethods] = float(center_hit_ / N_);
  }

  void clear_final() {
    for (double& v : deletion_) v = NAN;
    for (double& v : sanity_) v = NAN;
    frame_max_abs_ = frame_max_grad_ = gradcam_max_abs_ = frame_rows_frac_ = NAN;
    for (int m = 0; m <= kMethods; ++m) by_method_->col(2)[m] = by_method_->col(3)[m] = NAN;
    frame_check_->set({0}, static_cast<const double*>(nullptr));
  }

  void compute_checks() {
    deletion_check();
    sanity_check();
    frame_checks();
    for (int m = 0; m <= kMethods; ++m) {
      by_method_->col(2)[m] = float(deletion_[m]);
      by_method_->col(3)[m] = m < kMethods ? float(sanity_[m]) : NAN;
    }
  }

  // Deletion: zero the top kDeleteFrac pixels of each image by each map (ties
  // broken by pixel index, so the set is the same in every build) and by a
  // seeded random draw; the mean fall of the target's probability.
  void deletion_check() {
    const int C = trainer_.test_data().classes, k = int(kDeleteFrac * P_ + 0.5);
    pg::Rng rng(seed_ * 2654435761u + 17);
    for (int method = 0; method <= kMethods; ++method) {
      double drop = 0;
      for (int start = 0; start < N_; start += kChunk) {
        const int B = std::min(kChunk, N_ - start);
        for (int b = 0; b < B; ++b) {
          const int i = start + b;
          float* row = batch_x_.data() + size_t(b) * P_;
          std::copy(x_.begin() + size_t(i) * P_, x_.begin() + size_t(i + 1) * P_, row);
          if (method < kMethods) {
            nn::top_k_indices(maps_->f.data() + (size_t(method) * N_ + i) * P_, P_, k, order_.data());
          } else {  // k pixels drawn without replacement
            for (int p = 0; p < P_; ++p) order_[size_t(p)] = p;
            for (int j = 0; j < k; ++j) std::swap(order_[size_t(j)], order_[size_t(j + int(rng.below(uint32_t(P_ - j))))]);
          }
          for (int j = 0; j < k; ++j) row[order_[size_t(j)]] = 0.0f;
        }
        const float* logits = analysis_.forward(batch_x_.data(), B);
        for (int b = 0; b < B; ++b)
          drop += p_before_[size_t(start + b)] - softmax_prob(logits + b * C, C, target_of_[size_t(start + b)]);
      }
      deletion_[method] = drop / N_;
    }
  }

  // Model randomization (Adebayo et al. 2018): the same images and classes
  // explained by the untrained initialization.
  void sanity_check() {
    for (double& v : sanity_) v = 0;
    for (int start = 0; start < N_; start += kChunk) {
      const int B = std::min(kChunk, N_ - start);
      backward_chunk(untrained_, start, B, false);
      for (int b = 0; b < B; ++b)
        for (int method = 0; method < kMethods; ++method) {
          map_of(untrained_, layer_, b, method, other_map_.data());
          sanity_[method] += nn::pearson_correlation(maps_->f.data() + (size_t(method) * N_ + start + b) * P_, other_map_.data(), P_);
        }
    }
    for (double& v : sanity_) v /= N_;
  }

  // sum_u g_u x_u^T against central differences of an identity 1x1
  // convolution's weights, and Grad-CAM from a shared virtual bias's
  // differences against the direct formula - first image, chosen layer.
  void frame_checks() {
    // The probe: the first image plus a little seeded noise.  Digits have
    // exact ties (flat zero backgrounds: equal values in a pooling window,
    // pre-activations exactly at a ReLU's kink) where the score has no
    // derivative and central differences average two one-sided slopes; the
    // noise moves the point off them (the identity holds wherever the score
    // is differentiable).
    pg::Rng noise(seed_ * 31 + 7);
    for (int p = 0; p < P_; ++p) probe_x_[size_t(p)] = x_[size_t(p)] + float(noise.uniform(-kProbeNoise, kProbeNoise));
    std::copy(probe_x_.begin(), probe_x_.end(), batch_x_.begin());
    const int target = target_of_[0];
    analysis_.forward(batch_x_.data(), 1);
    std::fill(dlogits_.begin(), dlogits_.end(), 0.0f);
    dlogits_[size_t(target)] = 1.0f;
    std::fill(dx_.begin(), dx_.end(), 0.0f);
    analysis_.zero_grad();
    analysis_.backward(dlogits_.data(), dx_.data());
    const bool on_input = layer_index_[layer_] < 0;
    int C, h, w;
    const float* g;
    const float* x = act_of(analysis_, layer_, 0, C, h, w, g);
    const int positions = h * w;
    // Grad-CAM's direct formula and the chosen layer's x, before the probes'
    // forwards overwrite the activations.
    nn::gradcam_saliency(other_map_.data(), x, g, C, positions);
    std::copy(x, x + size_t(C) * positions, relu_copy_.begin());
    // The identity 1x1 convolution goes in just before the chosen ReLU, on the
    // convolution's output: after the ReLU, max pooling over windows of zeros
    // has ties where the score has no derivative.
    const int conv_layer = on_input ? -1 : layer_index_[layer_] - 1;
    if (!on_input) x = analysis_.layer_output(conv_layer), g = analysis_.layer_output_grad(conv_layer);
    std::copy(x, x + size_t(C) * positions, act_copy_.begin());
    nn::identity_conv_gradient(frame_analytic_.data(), x, g, C, positions);
    probe_.attach(analysis_, conv_layer, probe_x_.data(), target);
    frame_max_abs_ = frame_max_grad_ = 0;
    int rows = 0;
    for (int i = 0; i < C; ++i) {
      // A row whose step could cross the ReLU's kink (a pre-activation within
      // 2h of 0 relative to the largest there, e.g. the exact zeros of a dead
      // channel on an empty patch) has no derivative in that direction: skipped.
      bool near_kink = false;
      for (int u = 0; u < positions && !on_input; ++u) {
        double biggest = 0;
        for (int j = 0; j < C; ++j) biggest = std::max(biggest, std::fabs(double(act_copy_[size_t(j) * positions + u])));
        near_kink = near_kink || std::fabs(double(act_copy_[size_t(i) * positions + u])) <= 2 * kFdStep * biggest;
      }
      for (int j = 0; j < C; ++j) frame_fd_[size_t(i) * C + j] = NAN;
      if (near_kink) continue;
      ++rows;
      const int stride = std::max(1, C * C / kFdEntries);  // at most kFdEntries entries in all
      for (int j = i % stride; j < C; j += stride) {
        const double fd = probe_.identity_conv(i, j, kFdStep), exact = frame_analytic_[size_t(i) * C + j];
        frame_fd_[size_t(i) * C + j] = fd;
        frame_max_abs_ = std::max(frame_max_abs_, std::fabs(fd - exact));
        frame_max_grad_ = std::max(frame_max_grad_, std::fabs(exact));
      }
    }
    frame_rows_frac_ = double(rows) / C;
    // Grad-CAM through the frame: a_c = (d score / d b_c) / positions, b a
    // virtual bias shared by all locations, right after the chosen ReLU.
    probe_.attach(analysis_, layer_index_[layer_], probe_x_.data(), target);
    float* cam = cam_.data();
    std::fill(cam, cam + positions, 0.0f);
    for (int c = 0; c < C; ++c) {
      const double a = probe_.shared_bias(c, kFdStep) / positions;
      for (int u = 0; u < positions; ++u) cam[u] += float(a * relu_copy_[size_t(c) * positions + u]);
    }
    probe_.detach();
    gradcam_max_abs_ = 0;
    for (int u = 0; u < positions; ++u)
      gradcam_max_abs_ = std::max(gradcam_max_abs_, std::fabs(double(std::max(cam[u], 0.0f)) - other_map_[size_t(u)]));
    std::copy(frame_analytic_.begin(), frame_analytic_.begin() + size_t(C) * C, both_.begin());
    std::copy(frame_fd_.begin(), frame_fd_.begin() + size_t(C) * C, both_.begin() + size_t(C) * C);
    frame_check_->set({2, C, C}, both_.data());
  }

  // Knobs (beyond the training ones).
  int placement_ = 1, layer_ = 1, target_ = 0, phase1_ = 1, phase2_ = 0;

  nn::Model analysis_;   // a copy of the trained network, analysed
  nn::Model untrained_;  // the network's initialization
  int layer_index_[kLayers] = {-1, 1, 4};
  int H_ = 0, W_ = 0, P_ = 0, N_ = 0;
  std::vector<int> idx_, y_, target_of_, order_, hits_;
  std::vector<double> p_before_, frame_analytic_, frame_fd_, both_;
  std::vector<float> x_, dx_, dlogits_, batch_x_, layer_map_, image_map_, other_map_, act_copy_, relu_copy_, cam_, probe_x_;
  double ink_ = 0, center_hit_ = 0;
  double deletion_[kMethods + 1] = {}, sanity_[kMethods] = {};
  double frame_max_abs_ = NAN, frame_max_grad_ = NAN, gradcam_max_abs_ = NAN;
  double frame_rows_frac_ = NAN;
  nn::VirtualLayerProbe probe_;  // finite differences through a virtual layer (analysis_'s forward hook)

  Array *images_ = nullptr, *labels_ = nullptr, *targets_ = nullptr, *maps_ = nullptr, *peaks_ = nullptr, *hit_ = nullptr;
  Array* frame_check_ = nullptr;
  Series *by_layer_ = nullptr, *by_method_ = nullptr;
};

// ------------------------------------------------------------------- the panel
void NormGrad::declare_text(Walkthrough& t) {
  t.section("The problem")
      .paragraph("A saliency map says which parts of an image a network's decision rests on.  The popular ones "
                 "backpropagate the class score and look at the gradient: the gradient itself, gradient times "
                 "input, Grad-CAM.  They disagree, and it is hard to say why.  Rebuffi et al. put them in one "
                 "frame and derive a new one, NormGrad, from it.");
  t.section("The method")
      .paragraph("Pick a layer.  At spatial location u it has an activation vector x_u (one entry per channel), "
                 "and the backward pass from the explained class's score s_c gives g_u = ds_c / dx_u.  Insert a "
                 "virtual layer that does nothing, right after it, and ask how the score's gradient with respect "
                 "to that layer's parameters is spread over the locations.  Phase 1 picks the virtual layer:")
      .equation("bias  x_u + b:  g_u        scale  s (.) x_u:  g_u (.) x_u        1x1 conv  W x_u, W = I:  g_u x_u^T")
      .paragraph("Summed over u, each is the true parameter gradient (for the 1x1 convolution: ds_c/dW = "
                 "Σ_u g_u x_u^T).  Phase 2 reduces the contribution at u to a number: its norm, sum or max.  "
                 "NormGrad is the 1x1 convolution with the norm, which needs no C x C matrix:")
      .equation("NormGrad(u) = ||g_u x_u^T||_F = ||g_u|| · ||x_u||")
      .paragraph("The bias with the norm is the gradient map ||g_u||; the scale with the sum is gradient x input "
                 "Σ_c g_{{u,c} x_{{u,c}.  Grad-CAM uses the shared bias's gradient Σ_u g_u (one number per "
                 "channel), divided by the number of locations, as channel weights:")
      .equation("Grad-CAM(u) = max(0, Σ_c a_c x_{{u,c}),   a_c = (1/|U|) Σ_v g_{{v,c}")
      .paragraph("Here the network is a small CNN (two 3x3 convolutions with ReLU and 2x2 max pooling on the "
                 "digits, 5x5 ones on MNIST, then 64 hidden units), trained with Adam; test accuracy "
                 "{test_acc:%.3f}.  By default each 8x8 digit is pasted at a random place on a 16x16 canvas, so "
                 "the object is somewhere different in every image.  Every 50 steps (100 on MNIST) one batched backward gives "
                 "x and g at the image and after each convolution block's ReLU for {images_evaluated:%.0f} fixed "
                 "test images; maps on the coarser grids are resampled bilinearly to the image.")
      .paragraph("The checks.  Pointing game: a map scores a hit when its maximum lies within 1 pixel of the "
                 "digit's ink (pixels >= 0.5); the centre pixel scores {pointing_acc_center:%.2f} and a random "
                 "point {pointing_acc_random:%.2f}.  Deletion: set the 20% most salient pixels to 0 and measure "
                 "how much the explained class's probability falls, against 20% chosen at random.  Sanity: "
                 "correlate each map with the same map of the untrained initialization; a map that barely "
                 "changes was not explaining the network.")
      .paragraph("Frame: on the first image (plus a little noise, to step off the exact ties of flat "
                 "backgrounds, where the score has no derivative), Σ_u g_u x_u^T against central differences of "
                 "an identity 1x1 convolution really inserted into the network, just before the chosen ReLU: "
                 "largest gap {identity_frame_max_abs:%.2g} for entries up to {identity_frame_max_grad:%.3g} "
                 "(rows whose step would cross the ReLU's kink are skipped: {identity_frame_rows_checked:%.2f} "
                 "of them compared).  Grad-CAM rebuilt from a real shared bias's differences differs from the "
                 "direct formula by at most {gradcam_frame_max_abs:%.2g}.")
      .note("Following TorchRay's norm_grad.py: channel norms at each location of the layer's output (the "
            "virtual-identity version); its 'proper' variant for a real convolution uses the norm of the "
            "unfolded input patch instead.  The explained score is the class's logit: TorchRay backpropagates a "
            "one-hot from the output.")
      .warning("Not the paper's setting: a 2-layer CNN on 8x8 digits instead of VGG16 / ResNet50 on PASCAL VOC "
               "and COCO.  The objects are digits pasted on an empty canvas (not the synthetic shapes the "
               "lesson plan mentions) and the mask is their ink, not a bounding box; the tolerance is 1 pixel "
               "(TorchRay: 15 pixels at 224x224).  On MNIST the canvas is only 36x36 (compute), so the centre "
               "pixel still often hits.  Deletion and model randomization are standard checks from other "
               "papers (Samek et al. 2017; Adebayo et al. 2018), added here; the sanity score is a Pearson "
               "correlation, not Adebayo's rank correlation.  The paper's class-sensitivity metric and its "
               "meta-learning step are not reproduced.");
  t.section("Try this")
      .bullet("Compare the rows of the main view: gradient x input and NormGrad follow the strokes; the plain "
              "gradient also lights up empty canvas where ink would change the class.")
      .bullet("Set layer = conv2, the last convolution: the grid is 8x8 and every map gets coarser.  Then set "
              "layer = input: Grad-CAM's channel weight becomes a single number and its map is just the image.")
      .bullet("Set placement = centred: the digit fills the middle and the centre pixel beats most maps at the "
              "pointing game - why the game needs a baseline.")
      .bullet("Set target = runner-up: does the map move when the explained class changes?")
      .bullet("Try phase1 / phase2 (the fifth row): scale + norm, conv1x1 + max, bias + sum.  Which ones have a "
              "low correlation with the untrained network in the checks view?");
  t.section("What the paper reports")
      .paper("Grad-CAM at layers other than the last convolution", "fails (abstract; layer study)",
             "pointing_acc_gradcam", "%.1f%% pointing at the chosen layer",
             "Paper: ImageNet-trained VGG16 / ResNet50, pointing game on VOC and COCO.  Live: the toy CNN on "
             "pasted digits, at the layer knob's layer; the checks view has every layer.", 100)
      .paper("NormGrad across layers", "meaningful maps at every layer", "pointing_acc_normgrad",
             "%.1f%% pointing at the chosen layer", "Same settings.", 100)
      .note("The paper's pointing-game tables are not quoted: no numbers from them could be checked against "
            "the paper's text, so only its qualitative claims appear.  Measured at the defaults (seed 1): "
            "NormGrad points at the ink at the input and at conv1 nearly always, Grad-CAM fails at the input "
            "(its map there is the image scaled by one number) but not at conv1 of this tiny network, so the "
            "paper's 'fails below the last layer' is reproduced only at the input; at conv2 every method falls "
            "to or below the centre-pixel baseline.");
}

void NormGrad::draw_maps(const ViewContext& v) const {
  if (!draw_data_status()) return;
  if (maps_->shape.size() != 4 || N_ < 1) return;
  const int show = std::min(kShow, N_);
  const float label_w = v.font_size * 7.5f;
  const float cell = std::max(16.0f, std::min((v.width - label_w) / show - 4.0f, v.font_size * 6));
  plot::HeatmapStyle image_style;
  image_style.colorbar = false;
  image_style.vmin = 0, image_style.vmax = 1;
  plot::HeatmapStyle map_style;
  map_style.colorbar = false;
  ImDrawList* draw = ImGui::GetWindowDrawList();
  for (int row = 0; row <= kMethods; ++row) {
    ImGui::PushID(row);
    const float y0 = ImGui::GetCursorPosY();
    if (row == 0) ImGui::TextUnformatted("image");
    else if (row == kFrame + 1) ImGui::Text("%s + %s", phase1_ == 0 ? "bias" : phase1_ == 1 ? "scale" : "conv1x1",
                                            phase2_ == 0 ? "norm" : phase2_ == 1 ? "sum" : "max");
    else ImGui::TextUnformatted(kMethodNames[row - 1]);
    for (int i = 0; i < show; ++i) {
      ImGui::SameLine(label_w + i * (cell + 4.0f));
      ImGui::SetCursorPosY(y0);
      ImGui::PushID(i);
      const float* img = images_->f.data() + size_t(i) * P_;
      if (row == 0) {
        plot::heatmap("##img", ImVec2(cell, cell), img, H_, W_, image_style);
        if (ImGui::IsItemHovered())
          ImGui::SetTooltip("label %d, explained class %d", int(labels_->f[size_t(i)]), int(targets_->f[size_t(i)]));
      } else {
        const int m = row - 1;
        plot::heatmap("##map", ImVec2(cell, cell), maps_->f.data() + (size_t(m) * N_ + i) * P_, H_, W_, map_style);
        const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        const int peak = int(peaks_->f[size_t(m) * N_ + i]);
        if (peak >= 0 && peak < P_) {
          const float px = a.x + (b.x - a.x) * ((peak % W_) + 0.5f) / W_, py = a.y + (b.y - a.y) * ((peak / W_) + 0.5f) / H_;
          draw->AddCircle(ImVec2(px, py), std::max(2.0f, 0.35f * cell / W_), IM_COL32(255, 255, 255, 230), 0, 1.5f);
          if (hit_->f[size_t(m) * N_ + i] == 0.0f) draw->AddRect(a, b, IM_COL32(230, 60, 60, 255), 0.0f, 0, 2.0f);
        }
      }
      ImGui::PopID();
    }
    ImGui::PopID();
  }
  ImGui::TextDisabled("white ring: the map's maximum; the explained class is the %s; layer %s",
                      target_ == 0 ? "predicted one" : target_ == 1 ? "true label" : "runner-up", kLayerNames[layer_]);
}

void NormGrad::draw_checks(const ViewContext&) const {
  if (!draw_data_status()) return;
  const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp;
  auto cell = [](float value, const char* fmt) {
    if (std::isfinite(value)) ImGui::Text(fmt, double(value));
    else ImGui::TextDisabled("-");
  };
  ImGui::PushTextWrapPos(-1.0f);
  if (by_layer_->rows() == kLayers && ImGui::BeginTable("##layers", kMethods + 2, flags)) {
    ImGui::TableSetupColumn("pointing game");
    for (int m = 0; m < kMethods; ++m) ImGui::TableSetupColumn(kMethodNames[m]);
    ImGui::TableSetupColumn("centre pixel");
    ImGui::TableHeadersRow();
    for (int l = 0; l < kLayers; ++l) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::Text("%s%s", kLayerNames[l], l == layer_ ? " (chosen)" : "");
      for (int c = 1; c <= kMethods + 1; ++c) {
        ImGui::TableSetColumnIndex(c);
        cell(100.0f * by_layer_->col(c)[l], "%.1f%%");
      }
    }
    ImGui::EndTable();
  }
  ImGui::Spacing();
  if (by_method_->rows() == kMethods + 1 && ImGui::BeginTable("##methods", 4, flags)) {
    ImGui::TableSetupColumn("at the chosen layer");
    ImGui::TableSetupColumn("pointing game");
    ImGui::TableSetupColumn("deletion: probability drop");
    ImGui::TableSetupColumn("sanity: corr. with untrained");
    ImGui::TableHeadersRow();
    for (int m = 0; m <= kMethods; ++m) {
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(0);
      ImGui::TextUnformatted(m < kMethods ? kMethodNames[m] : "baseline (centre / random)");
      for (int c = 1; c <= 3; ++c) {
        ImGui::TableSetColumnIndex(c);
        cell(c == 1 ? 100.0f * by_method_->col(c)[m] : by_method_->col(c)[m], c == 1 ? "%.1f%%" : "%.3f");
      }
    }
    ImGui::EndTable();
  }
  ImGui::PopTextWrapPos();
  ImGui::TextDisabled("refreshed every %d steps; %d test images", view_refresh_steps(), N_);
}

}  // namespace

PG_REGISTER_LESSON(NormGrad, 30);

}  // namespace pg
