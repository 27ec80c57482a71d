// gl_renderer.h - draws Dear ImGui's draw lists with WebGL2 (GLES 3) on the
// web and GL 3.3 on the desktop, in place of ImGui's own OpenGL3 backend.
//
// Why our own: that backend saves and restores about twenty pieces of GL state
// around every frame (glGetIntegerv, glIsEnabled), for apps that share their
// context with other renderers.  This app owns its context.  In a browser a
// query can be a synchronous round trip to the GPU process, which waits for
// the GPU to finish: measured in headless Chromium (software GL, page training),
// GL_SCISSOR_BOX took 59 ms a frame and the blend queries 4-11 ms each, most of
// the frame's time.  This renderer sets the state it needs each frame and
// queries none.
#pragma once
#include "imgui.h"

namespace pg {
// Program, buffers and the font texture; needs a current context.  A shader
// that fails to compile is found at the first draw (web/gl.h's GlProgram),
// which then draws nothing and says why.
bool ui_renderer_init();
void ui_renderer_shutdown();
void ui_renderer_rebuild_fonts();  // after the font atlas changed (a new UI scale)
void ui_renderer_draw(const ImDrawData* draw_data);
}  // namespace pg
