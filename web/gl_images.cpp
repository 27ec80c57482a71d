// gl_images.cpp - heatmaps through GL textures.  A scalar field is uploaded as
// an R32F texture and drawn through shaders/heatmap_*.glsl into an RGBA
// texture of its own (one per plot id), which ImGui then shows as an image.
// Doing the colormap on the GPU keeps large fields (e.g. a 256x256 attention
// map) cheap, and the image is crisp at any zoom because cells are texels
// sampled with NEAREST.
#include "web/gl_images.h"

#include <unordered_map>

#include "shader_sources.h"
#include "web/gl.h"
#include "web/redraw.h"

namespace pg {
namespace {

class GlImages : public plot::ImageBackend {
 public:
  bool init() {
    program_ = GlProgram(kShader_heatmap_vert, kShader_heatmap_frag, "heatmap");  // checked at first use
    glGenVertexArrays(1, &vao_);
    glGenFramebuffers(1, &fbo_);
    return true;
  }

  ~GlImages() override {
    for (auto& [id, img] : images_) {
      glDeleteTextures(1, &img.data);
      glDeleteTextures(1, &img.color);
    }
    program_.destroy();
    if (vao_) glDeleteVertexArrays(1, &vao_);
    if (fbo_) glDeleteFramebuffers(1, &fbo_);
  }

  ImTextureID scalar_image(ImGuiID id, const float* values, int w, int h, float vmin, float vmax,
                           plot::Colormap map) override {
    const GLuint program = ready_program();
    if (!program) return ImTextureID(0);  // plot.h: no texture, the plot draws its cells itself
    Image& img = image(id, w, h, true);
    // The same field and colours as the last frame: the texture already shows it.
    const float scale[2] = {vmin, vmax};
    const uint64_t key = hash_words(scale, sizeof scale, hash_words(values, size_t(w) * h * sizeof(float), uint64_t(map)));
    if (img.have_key && img.key == key) return (ImTextureID)(intptr_t)img.color;
    img.key = key, img.have_key = true;
    note_texture_upload();
    glBindTexture(GL_TEXTURE_2D, img.data);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, w, h, GL_RED, GL_FLOAT, values);

    // Render into the image's color texture.  Nothing is saved and restored:
    // this runs while the UI is built, before anything is drawn, and the UI
    // renderer (web/gl_renderer.cpp) sets every piece of state it needs.
    // Only the framebuffer goes back to the canvas.  (A glGet* here can be a
    // synchronous round trip to the browser's GPU process.)
    glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, img.color, 0);
    glViewport(0, 0, w, h);
    glDisable(GL_BLEND);
    glDisable(GL_SCISSOR_TEST);
    glUseProgram(program);
    glUniform1f(loc_vmin_, vmin);
    glUniform1f(loc_vmax_, vmax);
    glUniform1i(loc_diverging_, map == plot::Colormap::diverging ? 1 : 0);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, img.data);
    glUniform1i(loc_values_, 0);
    glBindVertexArray(vao_);
    glDrawArrays(GL_TRIANGLES, 0, 3);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    return (ImTextureID)(intptr_t)img.color;
  }

  ImTextureID rgba_image(ImGuiID id, const uint32_t* rgba, int w, int h) override {
    Image& img = image(id, w, h, false);
    const uint64_t key = hash_words(rgba, size_t(w) * h * sizeof(uint32_t), 0);
    if (img.have_key && img.key == key) return (ImTextureID)(intptr_t)img.color;
    img.key = key, img.have_key = true;
    note_texture_upload();
    glBindTexture(GL_TEXTURE_2D, img.color);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
    return (ImTextureID)(intptr_t)img.color;
  }

 private:
  struct Image {
    GLuint data = 0, color = 0;
    int w = 0, h = 0;
    uint64_t key = 0;  // hash of what the texture shows (web/redraw.h)
    bool have_key = false;
  };

  static GLuint new_texture(GLint internal, int w, int h, GLenum format, GLenum type) {
    GLuint tex;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexImage2D(GL_TEXTURE_2D, 0, internal, w, h, 0, format, type, nullptr);
    return tex;
  }

  // One pair of textures per plot id, recreated when the size changes.
  Image& image(ImGuiID id, int w, int h, bool scalar) {
    Image& img = images_[id];
    if (img.w != w || img.h != h || (scalar && !img.data)) {
      if (img.data) glDeleteTextures(1, &img.data);
      if (img.color) glDeleteTextures(1, &img.color);
      img = Image();
      img.w = w, img.h = h;
      if (scalar) img.data = new_texture(GL_R32F, w, h, GL_RED, GL_FLOAT);
      img.color = new_texture(GL_RGBA8, w, h, GL_RGBA, GL_UNSIGNED_BYTE);
    }
    return img;
  }

  // The program, its uniforms looked up at first use (web/gl.h).
  GLuint ready_program() {
    const GLuint program = program_.get();
    if (program && !have_locations_) {
      loc_vmin_ = glGetUniformLocation(program, "vmin");
      loc_vmax_ = glGetUniformLocation(program, "vmax");
      loc_diverging_ = glGetUniformLocation(program, "diverging");
      loc_values_ = glGetUniformLocation(program, "values");
      have_locations_ = true;
    }
    return program;
  }

  GlProgram program_;
  bool have_locations_ = false;
  GLuint vao_ = 0, fbo_ = 0;
  GLint loc_vmin_ = -1, loc_vmax_ = -1, loc_diverging_ = -1, loc_values_ = -1;
  std::unordered_map<ImGuiID, Image> images_;
};

}  // namespace

plot::ImageBackend* create_gl_image_backend() {
  auto* backend = new GlImages();
  if (!backend->init()) {
    delete backend;
    return nullptr;
  }
  return backend;
}

void destroy_gl_image_backend(plot::ImageBackend* backend) { delete backend; }

}  // namespace pg
