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
// stderr and the object is deleted.  The shader and program calls differ
// only in name, so they come in as arguments.
template <typename GetIv, typename GetLog, typename Delete>
bool succeeded(GLuint object, GLenum status, GetIv get_iv, GetLog get_log, Delete del, const char* what, const char* kind) {
  GLint ok = 0;
  get_iv(object, status, &ok);
  if (ok) return true;
  char log[1024];
  get_log(object, GLsizei(sizeof log), nullptr, log);
  std::fprintf(stderr, "%s %s: %s\n", what, kind, log);
  del(object);
  return false;
}

GLuint compile(GLenum type, const char* body, const char* what) {
  const GLuint shader = glCreateShader(type);
  const char* parts[2] = {kGlslVersion, body};
  glShaderSource(shader, 2, parts, nullptr);
  glCompileShader(shader);
  auto del = [](GLuint s) { glDeleteShader(s); };
  auto get_iv = [](GLuint s, GLenum e, GLint* v) { glGetShaderiv(s, e, v); };
  auto get_log = [](GLuint s, GLsizei n, GLsizei* len, char* log) { glGetShaderInfoLog(s, n, len, log); };
  return succeeded(shader, GL_COMPILE_STATUS, get_iv, get_log, del, what, "shader") ? shader : 0;
}
}  // namespace

GLuint gl_program(const char* vertex_body, const char* fragment_body, const char* what) {
  const GLuint vs = compile(GL_VERTEX_SHADER, vertex_body, what);
  const GLuint fs = compile(GL_FRAGMENT_SHADER, fragment_body, what);
  if (!vs || !fs) {
    if (vs) glDeleteShader(vs);
    if (fs) glDeleteShader(fs);
    return 0;
  }
  const GLuint program = glCreateProgram();
  glAttachShader(program, vs);
  glAttachShader(program, fs);
  glLinkProgram(program);
  glDeleteShader(vs);
  glDeleteShader(fs);
  auto del = [](GLuint p) { glDeleteProgram(p); };
  auto get_iv = [](GLuint p, GLenum e, GLint* v) { glGetProgramiv(p, e, v); };
  auto get_log = [](GLuint p, GLsizei n, GLsizei* len, char* log) { glGetProgramInfoLog(p, n, len, log); };
  return succeeded(program, GL_LINK_STATUS, get_iv, get_log, del, what, "program") ? program : 0;
}

}  // namespace pg
