// model.cpp - see model.h.  plan() walks the layer list once to compute shapes
// and parameter offsets; forward/backward are one switch per layer that calls
// the <op>_forward / <op>_backward functions.
#include "engine/nn/model.h"

#include <cmath>
#include <cstring>

#include "engine/nn/activations.h"
#include "engine/nn/conv.h"
#include "engine/nn/embedding.h"
#include "engine/nn/linear.h"
#include "engine/nn/norm.h"

namespace nn {

const char* layer_kind_name(LayerKind kind) {
  switch (kind) {
    case LayerKind::linear: return "linear";
    case LayerKind::cosine_linear: return "cosine_linear";
    case LayerKind::relu: return "relu";
    case LayerKind::gelu: return "gelu";
    case LayerKind::tanh: return "tanh";
    case LayerKind::sigmoid: return "sigmoid";
    case LayerKind::conv2d: return "conv2d";
    case LayerKind::maxpool2x2: return "maxpool2x2";
    case LayerKind::embedding: return "embedding";
    case LayerKind::layernorm: return "layernorm";
    case LayerKind::l2norm: return "l2norm";
  }
  return "?";
}

// ---------------------------------------------------------------- ModelSpec

ModelSpec ModelSpec::vectors(int features) {
  ModelSpec s;
  s.input = {features, 1, 1};
  return s;
}
ModelSpec ModelSpec::images(int channels, int height, int width) {
  ModelSpec s;
  s.input = {channels, height, width};
  return s;
}
ModelSpec ModelSpec::tokens(int tokens_per_sample) { return vectors(tokens_per_sample); }

static LayerSpec make_layer(LayerKind kind, int units = 0) {
  LayerSpec l;
  l.kind = kind;
  l.units = units;
  return l;
}
ModelSpec& ModelSpec::linear(int units, bool bias) {
  LayerSpec l = make_layer(LayerKind::linear, units);
  l.bias = bias;
  layers.push_back(l);
  return *this;
}
ModelSpec& ModelSpec::cosine_linear(int classes) {
  LayerSpec l = make_layer(LayerKind::cosine_linear, classes);
  l.bias = false;
  layers.push_back(l);
  return *this;
}
ModelSpec& ModelSpec::relu() { return activation(LayerKind::relu); }
ModelSpec& ModelSpec::gelu() { return activation(LayerKind::gelu); }
ModelSpec& ModelSpec::tanh() { return activation(LayerKind::tanh); }
ModelSpec& ModelSpec::sigmoid() { return activation(LayerKind::sigmoid); }
ModelSpec& ModelSpec::activation(LayerKind kind) {
  layers.push_back(make_layer(kind));
  return *this;
}
ModelSpec& ModelSpec::conv2d(int out_channels, int kernel, Padding padding) {
  LayerSpec l = make_layer(LayerKind::conv2d, out_channels);
  l.kernel = kernel;
  l.padding = padding;
  layers.push_back(l);
  return *this;
}
ModelSpec& ModelSpec::maxpool2x2() { return activation(LayerKind::maxpool2x2); }
ModelSpec& ModelSpec::embedding(int vocab, int dim) {
  LayerSpec l = make_layer(LayerKind::embedding, dim);
  l.vocab = vocab;
  l.bias = false;
  layers.push_back(l);
  return *this;
}
ModelSpec& ModelSpec::layernorm() { return activation(LayerKind::layernorm); }
ModelSpec& ModelSpec::l2norm() { return activation(LayerKind::l2norm); }

ModelSpec mlp(int inputs, const std::vector<int>& hidden, int outputs, LayerKind activation) {
  ModelSpec s = ModelSpec::vectors(inputs);
  for (int h : hidden) s.linear(h).activation(activation);
  s.linear(outputs);
  return s;
}

ModelSpec cnn(int channels, int height, int width, const std::vector<int>& conv_channels, int kernel,
              Padding padding, int hidden, int outputs) {
  ModelSpec s = ModelSpec::images(channels, height, width);
  for (int c : conv_channels) s.conv2d(c, kernel, padding).relu().maxpool2x2();
  s.linear(hidden).relu().linear(outputs);
  return s;
}

// -------------------------------------------------------------------- Model

bool Model::plan(const ModelSpec& spec) {
  input_ = spec.input;
  if (input_.size() <= 0) {
    error_ = "model input has no elements";
    return false;
  }
  layers_.assign(spec.layers.size(), Layer());
  Shape shape = input_;
  int offset = 0;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    Layer& L = layers_[i];
    L.spec = spec.layers[i];
    L.in = shape;
    const std::string where = "layer " + std::to_string(i) + " (" + layer_kind_name(L.spec.kind) + "): ";
    switch (L.spec.kind) {
      case LayerKind::linear:
      case LayerKind::cosine_linear:
        if (L.spec.units <= 0) { error_ = where + "needs at least one unit"; return false; }
        L.out = {L.spec.units, 1, 1};
        L.weight_count = L.spec.units * shape.size();
        L.param_count = L.weight_count + (L.spec.bias && L.spec.kind == LayerKind::linear ? L.spec.units : 0);
        break;
      case LayerKind::relu: case LayerKind::gelu: case LayerKind::tanh: case LayerKind::sigmoid:
      case LayerKind::l2norm:
        L.out = shape;
        break;
      case LayerKind::layernorm:
        L.out = shape;
        L.weight_count = shape.size();
        L.param_count = 2 * shape.size();  // gamma, then beta
        break;
      case LayerKind::conv2d: {
        const int K = L.spec.kernel, pad = padding_amount(L.spec.padding, K);
        if (L.spec.units <= 0 || K <= 0) { error_ = where + "needs output channels and a kernel size"; return false; }
        if (L.spec.padding == Padding::same && K % 2 == 0) { error_ = where + "'same' padding needs an odd kernel"; return false; }
        const int OH = shape.height + 2 * pad - K + 1, OW = shape.width + 2 * pad - K + 1;
        if (OH <= 0 || OW <= 0) {
          error_ = where + "a " + std::to_string(K) + "x" + std::to_string(K) + " kernel does not fit a " +
                   std::to_string(shape.height) + "x" + std::to_string(shape.width) + " map";
          return false;
        }
        L.out = {L.spec.units, OH, OW};
        L.weight_count = L.spec.units * shape.channels * K * K;
        L.param_count = L.weight_count + (L.spec.bias ? L.spec.units : 0);
        break;
      }
      case LayerKind::maxpool2x2:
        if (shape.height < 2 || shape.width < 2) { error_ = where + "needs a map of at least 2x2"; return false; }
        L.out = {shape.channels, shape.height / 2, shape.width / 2};
        break;
      case LayerKind::embedding:
        if (i != 0) { error_ = where + "must be the first layer (it reads token ids)"; return false; }
        if (L.spec.vocab <= 0 || L.spec.units <= 0) { error_ = where + "needs a vocabulary and a dimension"; return false; }
        L.out = {shape.size() * L.spec.units, 1, 1};
        L.weight_count = L.spec.vocab * L.spec.units;
        L.param_count = L.weight_count;
        break;
    }
    L.param_offset = offset;
    offset += L.param_count;
    shape = L.out;
  }
  params_.assign(offset, 0.0f);
  grads_.assign(offset, 0.0f);
  return true;
}

bool Model::init(const ModelSpec& spec, int max_batch, pg::Rng& rng) {
  error_.clear();
  input_ptr_ = nullptr;
  last_dout_ = nullptr;
  batch_ = 0;
  max_batch_ = max_batch > 0 ? max_batch : 1;
  if (!plan(spec)) {
    layers_.clear();
    params_.clear();
    grads_.clear();
    return false;
  }
  for (Layer& L : layers_) {
    const size_t act = size_t(max_batch_) * L.out.size();
    L.act.assign(act, 0.0f);
    L.dact.assign(act, 0.0f);
    switch (L.spec.kind) {
      case LayerKind::cosine_linear:
        L.scratch_a.assign(L.weight_count, 0.0f);  // w^ (O, I)
        L.scratch_b.assign(L.spec.units, 0.0f);    // ||w_k|| (O,)
        L.scratch_c.assign(L.weight_count, 0.0f);  // dw^ (O, I)
        break;
      case LayerKind::conv2d: {
        const int col = conv_shape(L, 1).col_size();
        L.scratch_a.assign(col, 0.0f);  // im2col
        L.scratch_b.assign(col, 0.0f);  // its gradient
        break;
      }
      case LayerKind::layernorm:
        L.scratch_a.assign(max_batch_, 0.0f);  // mean (B,)
        L.scratch_b.assign(max_batch_, 0.0f);  // rstd (B,)
        break;
      case LayerKind::l2norm:
        L.scratch_a.assign(max_batch_, 0.0f);  // ||x|| (B,)
        break;
      case LayerKind::maxpool2x2:
        L.argmax.assign(act, 0);
        break;
      default:
        break;
    }
  }
  init_params(rng);
  return true;
}

void Model::init_params(pg::Rng& rng) {
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& L = layers_[i];
    float* w = params_.data() + L.param_offset;
    const bool rectifier_next = i + 1 < layers_.size() && (layers_[i + 1].spec.kind == LayerKind::relu ||
                                                           layers_[i + 1].spec.kind == LayerKind::gelu);
    double std_dev = 0.0;
    switch (L.spec.kind) {
      case LayerKind::linear:
      case LayerKind::conv2d: {
        const int taps = L.spec.kind == LayerKind::conv2d ? L.spec.kernel * L.spec.kernel : 1;
        const double fan_in = double(L.in.channels) * taps * (L.spec.kind == LayerKind::linear ? L.in.height * L.in.width : 1);
        const double fan_out = double(L.spec.units) * taps;
        // He et al. 2015 for rectifiers, Glorot & Bengio 2010 otherwise.
        std_dev = rectifier_next ? std::sqrt(2.0 / fan_in) : std::sqrt(2.0 / (fan_in + fan_out));
        break;
      }
      case LayerKind::cosine_linear:
      case LayerKind::embedding:
        std_dev = 1.0;  // only directions matter (cosine) / unit-variance lookup (embedding)
        break;
      case LayerKind::layernorm:
        for (int k = 0; k < L.weight_count; ++k) w[k] = 1.0f;  // gamma = 1, beta = 0
        continue;
      default:
        continue;
    }
    for (int k = 0; k < L.weight_count; ++k) w[k] = float(rng.normal() * std_dev);
    for (int k = L.weight_count; k < L.param_count; ++k) w[k] = 0.0f;  // biases
  }
}

ConvShape Model::conv_shape(const Layer& L, int B) const {
  ConvShape s;
  s.batch = B;
  s.in_channels = L.in.channels;
  s.height = L.in.height;
  s.width = L.in.width;
  s.out_channels = L.spec.units;
  s.kernel = L.spec.kernel;
  s.pad = padding_amount(L.spec.padding, L.spec.kernel);
  return s;
}

const float* Model::forward(const float* x, int B) {
  if (B > max_batch_) B = max_batch_;  // callers chunk by max_batch(); never overrun the buffers
  input_ptr_ = x;
  batch_ = B;
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& L = layers_[i];
    const float* in = layer_input(int(i));
    float* out = L.act.data();
    const float* w = params_.data() + L.param_offset;
    const int I = L.in.size(), n = B * L.out.size();
    switch (L.spec.kind) {
      case LayerKind::linear:
        linear_forward(out, in, w, L.param_count > L.weight_count ? w + L.weight_count : nullptr, B, I, L.spec.units);
        break;
      case LayerKind::cosine_linear:
        cosine_linear_forward(out, L.scratch_a.data(), L.scratch_b.data(), in, w, B, I, L.spec.units);
        break;
      case LayerKind::relu: relu_forward(out, in, n); break;
      case LayerKind::gelu: gelu_forward(out, in, n); break;
      case LayerKind::tanh: tanh_forward(out, in, n); break;
      case LayerKind::sigmoid: sigmoid_forward(out, in, n); break;
      case LayerKind::conv2d:
        conv2d_forward(out, L.scratch_a.data(), in, w, L.param_count > L.weight_count ? w + L.weight_count : nullptr,
                       conv_shape(L, B));
        break;
      case LayerKind::maxpool2x2:
        maxpool2x2_forward(out, L.argmax.data(), in, B, L.in.channels, L.in.height, L.in.width);
        break;
      case LayerKind::embedding:
        embedding_forward(out, in, w, B, I, L.spec.vocab, L.spec.units);
        break;
      case LayerKind::layernorm:
        layernorm_forward(out, L.scratch_a.data(), L.scratch_b.data(), in, w, w + L.weight_count, B, I);
        break;
      case LayerKind::l2norm:
        l2norm_forward(out, L.scratch_a.data(), in, B, I);
        break;
    }
    if (forward_hook_) forward_hook_(int(i), out, B);
  }
  return layers_.empty() ? x : layers_.back().act.data();
}

void Model::zero_grad() { std::memset(grads_.data(), 0, grads_.size() * sizeof(float)); }

void Model::backward(const float* dout, float* dx) {
  const int B = batch_;
  const int L_count = int(layers_.size());
  last_dout_ = dout;
  // Activation gradients are accumulated into by each layer's backward, so
  // they start at zero every time.
  for (int i = 0; i + 1 < L_count; ++i) {
    std::memset(layers_[i].dact.data(), 0, sizeof(float) * size_t(B) * layers_[i].out.size());
  }
  for (int i = L_count - 1; i >= 0; --i) {
    Layer& L = layers_[i];
    const float* g = (i == L_count - 1) ? dout : L.dact.data();
    float* g_in = (i == 0) ? dx : layers_[i - 1].dact.data();
    const float* in = layer_input(i);
    const float* out = L.act.data();
    const float* w = params_.data() + L.param_offset;
    float* dw = grads_.data() + L.param_offset;
    const int I = L.in.size(), n = B * L.out.size();
    const bool has_bias = L.param_count > L.weight_count;
    switch (L.spec.kind) {
      case LayerKind::linear:
        linear_backward(g_in, dw, has_bias ? dw + L.weight_count : nullptr, g, in, w, B, I, L.spec.units);
        break;
      case LayerKind::cosine_linear:
        cosine_linear_backward(g_in, dw, L.scratch_c.data(), g, in, L.scratch_a.data(), L.scratch_b.data(), B, I,
                               L.spec.units);
        break;
      case LayerKind::relu: if (g_in) relu_backward(g_in, g, in, n); break;
      case LayerKind::gelu: if (g_in) gelu_backward(g_in, g, in, n); break;
      case LayerKind::tanh: if (g_in) tanh_backward(g_in, g, out, n); break;
      case LayerKind::sigmoid: if (g_in) sigmoid_backward(g_in, g, out, n); break;
      case LayerKind::conv2d:
        conv2d_backward(g_in, dw, has_bias ? dw + L.weight_count : nullptr, L.scratch_a.data(), L.scratch_b.data(), g,
                        in, w, conv_shape(L, B));
        break;
      case LayerKind::maxpool2x2:
        if (g_in) maxpool2x2_backward(g_in, g, L.argmax.data(), B, L.in.channels, L.in.height, L.in.width);
        break;
      case LayerKind::embedding:
        embedding_backward(dw, g, in, B, I, L.spec.vocab, L.spec.units);
        break;
      case LayerKind::layernorm:
        layernorm_backward(g_in, dw, dw + L.weight_count, g, in, L.scratch_a.data(), L.scratch_b.data(), w, B, I);
        break;
      case LayerKind::l2norm:
        if (g_in) l2norm_backward(g_in, g, out, L.scratch_a.data(), B, I);
        break;
    }
  }
}

bool Model::same_architecture(const Model& other) const {
  if (input_.channels != other.input_.channels || input_.height != other.input_.height ||
      input_.width != other.input_.width || layers_.size() != other.layers_.size() ||
      params_.size() != other.params_.size()) {
    return false;
  }
  for (size_t i = 0; i < layers_.size(); ++i) {
    const LayerSpec &a = layers_[i].spec, &b = other.layers_[i].spec;
    if (a.kind != b.kind || a.units != b.units || a.kernel != b.kernel || a.padding != b.padding ||
        a.bias != b.bias || a.vocab != b.vocab) {
      return false;
    }
  }
  return true;
}

bool Model::copy_params_from(const Model& other) {
  if (!same_architecture(other)) return false;
  std::memcpy(params_.data(), other.params_.data(), params_.size() * sizeof(float));
  return true;
}

}  // namespace nn
