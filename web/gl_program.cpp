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
GLuint compile(GLenum type, const char* body, const char* what) {
  const GLuint shader = glCreateShader(type);
  const char* parts[2] = {kGlslVersion, body};
  glShaderSource(shader, 2, parts, nullptr);
  glCompileShader(shader);
  GLint ok = 0;
  glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
  if (!ok) {
    char log[1024];
    glGetShaderInfoLog(shader, sizeof log, nullptr, log);
    std::fprintf(stderr, "%s shader: %s\n", what, log);
    glDeleteShader(shader);
    return 0;
  }
  return shader;
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
  GLint ok = 0;
  glGetProgramiv(program, GL_LINK_STATUS, &ok);
  if (!ok) {
    char log[1024];
    glGetProgramInfoLog(program, sizeof log, nullptr, log);
    std::fprintf(stderr, "%s program: %s\n", what, log);
    glDeleteProgram(program);
    return 0;
  }
  return program;
}

}  // namespace pg
