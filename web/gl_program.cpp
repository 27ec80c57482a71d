// gl_program.cpp - see gl.h.
#include <cstdio>

#include "web/gl.h"

namespace pg {

#if defined(__EMSCRIPTEN__)
const char* const kGlslVersion = "#version 300 es\nprecision highp float;\nprecision highp int;\n";
#else
const char* const kGlslVersion = "#version 330 core\n";
#endif

namespace {
// Whether a shader compiled or a program linked; if not, its log goes to
// stderr.  The shader and program calls differ only in name, so they come
// in as arguments.
template <typename GetIv, typename GetLog>
bool succeeded(GLuint object, GLenum status, GetIv get_iv, GetLog get_log, const char* what, const char* kind) {
  GLint ok = 0;
  get_iv(object, status, &ok);
  if (ok) return true;
  char log[1024];
  get_log(object, GLsizei(sizeof log), nullptr, log);
  std::fprintf(stderr, "%s %s: %s\n", what, kind, log);
  return false;
}

GLuint start_shader(GLenum type, const char* body) {
  const GLuint shader = glCreateShader(type);
  const char* parts[2] = {kGlslVersion, body};
  glShaderSource(shader, 2, parts, nullptr);
  glCompileShader(shader);
  return shader;
}

bool shader_ok(GLuint shader, const char* what) {
  auto get_iv = [](GLuint s, GLenum e, GLint* v) { glGetShaderiv(s, e, v); };
  auto get_log = [](GLuint s, GLsizei n, GLsizei* len, char* log) { glGetShaderInfoLog(s, n, len, log); };
  return succeeded(shader, GL_COMPILE_STATUS, get_iv, get_log, what, "shader");
}
}  // namespace

GlProgram::GlProgram(const char* vertex_body, const char* fragment_body, const char* what) : what_(what) {
  vs_ = start_shader(GL_VERTEX_SHADER, vertex_body);
  fs_ = start_shader(GL_FRAGMENT_SHADER, fragment_body);
  program_ = glCreateProgram();
  glAttachShader(program_, vs_);
  glAttachShader(program_, fs_);
  glLinkProgram(program_);  // no status asked here: see gl.h
}

GLuint GlProgram::get() {
  if (checked_ || !program_) return program_;
  checked_ = true;
  auto get_iv = [](GLuint p, GLenum e, GLint* v) { glGetProgramiv(p, e, v); };
  auto get_log = [](GLuint p, GLsizei n, GLsizei* len, char* log) { glGetProgramInfoLog(p, n, len, log); };
  const bool ok = succeeded(program_, GL_LINK_STATUS, get_iv, get_log, what_, "program");
  if (!ok) {
    shader_ok(vs_, what_), shader_ok(fs_, what_);  // the compile logs say why
    glDeleteProgram(program_);
    program_ = 0;
  }
  glDeleteShader(vs_);
  glDeleteShader(fs_);
  vs_ = fs_ = 0;
  return program_;
}

void GlProgram::destroy() {
  if (vs_) glDeleteShader(vs_);
  if (fs_) glDeleteShader(fs_);
  if (program_) glDeleteProgram(program_);
  *this = GlProgram();
}

}  // namespace pg
