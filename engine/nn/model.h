// model.h - a small network (MLP or small CNN) built from a layer list.
//
// Layout, llm.c style: all parameters live in ONE contiguous float array and all
// their gradients in another of the same size, so nn::Optimizer updates the
// whole model in one call and two models can be compared or copied with
// memcpy.  Activation buffers are sized once in init() for a maximum batch, so
// forward/backward never allocate.
//
//   nn::ModelSpec spec = nn::ModelSpec::vectors(2).linear(64).relu().linear(64).relu().linear(3);
//   nn::ModelSpec cnn  = nn::ModelSpec::images(1, 28, 28)
//                            .conv2d(8, 5, nn::Padding::same).relu().maxpool2x2()
//                            .conv2d(16, 3, nn::Padding::same).relu().maxpool2x2()
//                            .linear(10);
//   nn::Model model;
//   pg::Rng rng(seed);
//   model.init(spec, /*max_batch=*/64, rng);
//   const float* logits = model.forward(x, B);      // x (B, 2) -> logits (B, 3)
//   model.zero_grad();
//   model.backward(dlogits);                        // grads() += d loss / d params
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "engine/nn/conv.h"
#include "engine/rng.h"

namespace nn {

enum class LayerKind {
  linear,         // units = output features; bias optional
  cosine_linear,  // unit-norm weight rows, no bias: outputs cosines for unit-norm inputs
  relu, gelu, tanh, sigmoid,
  conv2d,         // units = output channels; kernel, padding
  maxpool2x2,
  embedding,      // input token ids; vocab, units = embedding dimension
  layernorm,
  l2norm,
};
const char* layer_kind_name(LayerKind kind);

// Per-sample shape: (channels, height, width) for images, (features, 1, 1) for vectors.
struct Shape {
  int channels = 1, height = 1, width = 1;
  int size() const { return channels * height * width; }
};

struct LayerSpec {
  LayerKind kind = LayerKind::linear;
  int units = 0;
  int kernel = 3;
  Padding padding = Padding::same;
  bool bias = true;
  int vocab = 0;
};

class ModelSpec {
 public:
  static ModelSpec vectors(int features);
  static ModelSpec images(int channels, int height, int width);
  static ModelSpec tokens(int tokens_per_sample);  // input = token ids as floats (first layer: embedding)

  ModelSpec& linear(int units, bool bias = true);
  ModelSpec& cosine_linear(int classes);
  ModelSpec& relu();
  ModelSpec& gelu();
  ModelSpec& tanh();
  ModelSpec& sigmoid();
  ModelSpec& activation(LayerKind kind);  // one of relu / gelu / tanh / sigmoid
  ModelSpec& conv2d(int out_channels, int kernel, Padding padding = Padding::same);
  ModelSpec& maxpool2x2();
  ModelSpec& embedding(int vocab, int dim);
  ModelSpec& layernorm();
  ModelSpec& l2norm();

  Shape input;
  std::vector<LayerSpec> layers;
};

// inputs -> [linear(h) -> activation] for each h in hidden -> linear(outputs)
ModelSpec mlp(int inputs, const std::vector<int>& hidden, int outputs,
              LayerKind activation = LayerKind::relu);

// (channels, height, width) -> [conv2d(c, kernel, padding) -> ReLU -> maxpool2x2]
// for each c in conv_channels -> linear(hidden) -> ReLU -> linear(outputs).
// Agarap's CNN (after the TensorFlow tutorial) is cnn(1, 28, 28, {32, 64}, 5,
// Padding::same, 1024, 10), with dropout before the last layer.
ModelSpec cnn(int channels, int height, int width, const std::vector<int>& conv_channels, int kernel,
              Padding padding, int hidden, int outputs);

class Model {
 public:
  // Checks the layer list, sizes every buffer for batches up to max_batch and
  // initializes the parameters from rng: He normal (std sqrt(2 / fan_in)) for a
  // layer followed by ReLU/GELU, Xavier normal (std sqrt(2 / (fan_in + fan_out)))
  // otherwise, biases 0, layer-norm gains 1.  Returns false with error() set
  // when the layers do not fit (e.g. a 5x5 'valid' convolution on a 3x3 map).
  bool init(const ModelSpec& spec, int max_batch, pg::Rng& rng);
  const std::string& error() const { return error_; }

  // x is (B, input_size()), B <= max_batch().  Returns the output (B, output_size()),
  // valid until the next forward.  The model keeps a pointer to x for backward.
  const float* forward(const float* x, int B);

  void zero_grad();
  // dout is (B, output_size()) for the batch of the last forward.  Accumulates
  // d loss / d params into grads() and, when dx is given, into dx (B, input_size()).
  void backward(const float* dout, float* dx = nullptr);

  float* params() { return params_.data(); }
  const float* params() const { return params_.data(); }
  float* grads() { return grads_.data(); }
  const float* grads() const { return grads_.data(); }
  int num_params() const { return int(params_.size()); }

  // Same layer list and sizes: then copy_params_from() gives an identical start
  // (returns false and copies nothing when the architectures differ).
  bool same_architecture(const Model& other) const;
  bool copy_params_from(const Model& other);

  int input_size() const { return input_.size(); }
  int output_size() const { return layers_.empty() ? input_.size() : layers_.back().out.size(); }
  int max_batch() const { return max_batch_; }
  int last_batch() const { return batch_; }
  int num_layers() const { return int(layers_.size()); }
  const LayerSpec& layer_spec(int i) const { return layers_[i].spec; }
  Shape layer_input_shape(int i) const { return layers_[i].in; }
  Shape layer_output_shape(int i) const { return layers_[i].out; }
  // Output of layer i for the last forward, (last_batch(), layer_output_shape(i).size()).
  const float* layer_output(int i) const { return layers_[i].act.data(); }
  // d loss / d (output of layer i) for the last backward, same shape as
  // layer_output(i); for the last layer it is the dout that backward was given
  // (nullptr before any backward).  Saliency methods read activations and
  // their gradients at a hidden layer through this and layer_output().
  const float* layer_output_grad(int i) const {
    return i == int(layers_.size()) - 1 ? last_dout_ : layers_[i].dact.data();
  }

  // Called after every layer's forward with (layer index, its output (B,
  // layer_output_shape(i).size()), B); it may edit the output in place, which
  // the later layers then see - a virtual layer inserted after layer i (e.g.
  // a perturbed identity 1x1 convolution for a finite-difference check).
  // A backward after such a forward treats the edited values as layer i's
  // output (the edit itself is not differentiated).  Must not allocate.
  using ForwardHook = std::function<void(int, float*, int)>;
  void set_forward_hook(ForwardHook hook) { forward_hook_ = std::move(hook); }
  // Parameters of layer i: weights first, then the bias (or beta), inside params()/grads().
  int param_offset(int i) const { return layers_[i].param_offset; }
  int param_count(int i) const { return layers_[i].param_count; }
  // Of those, the weights (the first weight_count(i)); the rest is the bias / beta.
  int weight_count(int i) const { return layers_[i].weight_count; }

 private:
  struct Layer {
    LayerSpec spec;
    Shape in, out;
    int param_offset = 0, param_count = 0, weight_count = 0;
    std::vector<float> act, dact;  // output and its gradient, (max_batch, out.size())
    std::vector<float> scratch_a, scratch_b, scratch_c;  // per-kind caches (see model.cpp)
    std::vector<int> argmax;                            // max pooling only
  };
  bool plan(const ModelSpec& spec);
  void init_params(pg::Rng& rng);
  ConvShape conv_shape(const Layer& layer, int B) const;
  const float* layer_input(int i) const { return i == 0 ? input_ptr_ : layers_[i - 1].act.data(); }

  Shape input_;
  std::vector<Layer> layers_;
  std::vector<float> params_, grads_;
  const float* input_ptr_ = nullptr;
  const float* last_dout_ = nullptr;
  ForwardHook forward_hook_;
  int max_batch_ = 0, batch_ = 0;
  std::string error_;
};

}  // namespace nn
