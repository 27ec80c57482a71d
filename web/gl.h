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
// Compiles and links a program from the two sources; 0 (with the log on
// stderr, `what` naming it) on failure.
GLuint gl_program(const char* vertex_body, const char* fragment_body, const char* what);
}  // namespace pg
