// gl_images.cpp - heatmaps through GL textures.  A scalar field is uploaded as
// an R32F texture and drawn through shaders/heatmap_*.glsl into an RGBA
// texture of its own (one per plot id), which ImGui then shows as an image.
// Doing the colormap on the GPU keeps large fields (e.g. a 256x256 attention
// map) cheap, and the image is crisp at any zoom because cells are texels
// sampled with NEAREST.
#include "web/gl_images.h"

#include <cstdio>
#include <unordered_map>

#if defined(__EMSCRIPTEN__)
#include <GLES3/gl3.h>
static const char* kGlslVersion = "#version 300 es\nprecision highp float;\nprecision highp int;\n";
#else
#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>
static const char* kGlslVersion = "#version 330 core\n";
#endif

#include "shader_sources.h"

namespace pg {
namespace {

GLuint compile(GLenum type, const char* body) {
  const GLuint shader = glCreateShader(type);
  const char* parts[2] = {kGlslVersion, body};
  glShaderSource(shader, 2, parts, nullptr);
  glCompileShader(shader);
  GLint ok = 0;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char log[1024];
    glGetShaderInfoLog(shader, sizeof log, nullptr, log);
    std::fprintf(stderr, "heatmap shader: %s\n", log);
    glDeleteShader(shader);
    return 0;
  }
  return shader;
}

class GlImages : public plot::ImageBackend {
 public:
  bool init() {
    const GLuint vs = compile(GL_VERTEX_SHADER, kShader_heatmap_vert);
    const GLuint fs = compile(GL_FRAGMENT_SHADER, kShader_heatmap_frag);
    if (!vs || !fs) return false;
    program_ = glCreateProgram();
    glAttachShader(program_, vs);
    glAttachShader(program_, fs);
    glLinkProgram(program_);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = 0;
    glGetProgramiv(program_, GL_LINK_STATUS, &ok);
    if (!ok) return false;
    loc_vmin_ = glGetUniformLocation(program_, "vmin");
    loc_vmax_ = glGetUniformLocation(program_, "vmax");
    loc_diverging_ = glGetUniformLocation(program_, "diverging");
    loc_values_ = glGetUniformLocation(program_, "values");
    glGenVertexArrays(1, &vao_);
    glGenFramebuffers(1, &fbo_);
    return true;
  }

  ~GlImages() override {
    for (auto& [id, img] : images_) {
      glDeleteTextures(1, &img.data);
      glDeleteTextures(1, &img.color);
    }
    if (program_) glDeleteProgram(program_);
    if (vao_) glDeleteVertexArrays(1, &vao_);
    if (fbo_) glDeleteFramebuffers(1, &fbo_);
  }

  ImTextureID scalar_image(ImGuiID id, const float* values, int w, int h, float vmin, float vmax,
                           plot::Colormap map) override {
    Image& img = image(id, w, h, true);
    glBindTexture(GL_TEXTURE_2D, img.data);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, w, h, GL_RED, GL_FLOAT, values);

    // Render into the image's color texture, then restore what ImGui's
    // backend expects (it sets its own state again when it renders).
    GLint prev_fbo = 0, prev_program = 0, prev_vao = 0, prev_viewport[4];
    glGetIntegerv(GL_FRAMEBUFFER_BINDING, &prev_fbo);
    glGetIntegerv(GL_CURRENT_PROGRAM, &prev_program);
    glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &prev_vao);
    glGetIntegerv(GL_VIEWPORT, prev_viewport);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, img.color, 0);
    glViewport(0, 0, w, h);
    glDisable(GL_BLEND);
    glDisable(GL_SCISSOR_TEST);
    glUseProgram(program_);
    glUniform1f(loc_vmin_, vmin);
    glUniform1f(loc_vmax_, vmax);
    glUniform1i(loc_diverging_, map == plot::Colormap::diverging ? 1 : 0);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, img.data);
    glUniform1i(loc_values_, 0);
    glBindVertexArray(vao_);
    glDrawArrays(GL_TRIANGLES, 0, 3);
    glBindVertexArray(GLuint(prev_vao));
    glUseProgram(GLuint(prev_program));
    glBindFramebuffer(GL_FRAMEBUFFER, GLuint(prev_fbo));
    glViewport(prev_viewport[0], prev_viewport[1], prev_viewport[2], prev_viewport[3]);
    return (ImTextureID)(intptr_t)img.color;
  }

  ImTextureID rgba_image(ImGuiID id, const uint32_t* rgba, int w, int h) override {
    Image& img = image(id, w, h, false);
    glBindTexture(GL_TEXTURE_2D, img.color);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
    return (ImTextureID)(intptr_t)img.color;
  }

 private:
  struct Image {
    GLuint data = 0, color = 0;
    int w = 0, h = 0;
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

  GLuint program_ = 0, vao_ = 0, fbo_ = 0;
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
