// gl.h - the OpenGL headers for both builds (WebGL2 through GLES3 on the web,
// GL 3.3 core on the desktop), and a shader-program helper.  The shaders in
// shaders/*.glsl have no #version line: kGlslVersion is prepended, so one
// source serves both.
#pragma once
#if defined(__EMSCRIPTEN__)
#include <GLES3/gl3.h>
#else
#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>
#endif

namespace pg {
extern const char* const kGlslVersion;

// A shader program whose compile and link results are asked for on first
// use, not when it is made.  In WebGL every status query (and
// glGetUniformLocation) waits until the browser's GPU process has compiled
// the program: about 130 ms at start-up in headless Chromium, where GL is
// software.  Asked at the first draw instead, that wait has overlapped the
// app's own start (fonts, the first frame's layout).
class GlProgram {
 public:
  GlProgram() = default;
  // Compiles and links the two sources (`what` names it in the log).
  GlProgram(const char* vertex_body, const char* fragment_body, const char* what);
  // The linked program, or 0 when it failed (its logs on stderr, once).
  GLuint get();
  void destroy();

 private:
  GLuint program_ = 0, vs_ = 0, fs_ = 0;
  const char* what_ = "";
  bool checked_ = false;
};
}  // namespace pg
