// gl_renderer.cpp - see gl_renderer.h.
#include "web/gl_renderer.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>

#if defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>
#endif

#include "shader_sources.h"
#include "web/gl.h"

namespace pg {
namespace {

struct Renderer {
  GlProgram program;  // its status and uniforms asked for at the first draw (web/gl.h)
  GLuint vao = 0, vbo = 0, ibo = 0, font = 0;
  bool have_locations = false;
  GLint loc_projection = -1, loc_tex = -1;
};
Renderer g_r;

// The page shows why nothing is drawn (web/shell.js's onAbort message);
// the desktop window says it on stderr.
void ui_renderer_failed(const char* why) {
#if defined(__EMSCRIPTEN__)
  EM_ASM({ if (Module.onAbort) Module.onAbort(UTF8ToString($0)); }, why);
#else
  std::fprintf(stderr, "playground: %s\n", why);
#endif
}

void create_font_texture() {
  ImGuiIO& io = ImGui::GetIO();
  unsigned char* pixels = nullptr;
  int w = 0, h = 0;
  io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
  glGenTextures(1, &g_r.font);
  glBindTexture(GL_TEXTURE_2D, g_r.font);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
  io.Fonts->SetTexID((ImTextureID)(intptr_t)g_r.font);
}

void destroy_font_texture() {
  if (!g_r.font) return;
  glDeleteTextures(1, &g_r.font);
  g_r.font = 0;
  ImGui::GetIO().Fonts->SetTexID(0);
}

}  // namespace

bool ui_renderer_init() {
  ImGuiIO& io = ImGui::GetIO();
  io.BackendRendererName = "pg_gl_renderer";
  // No RendererHasVtxOffset: WebGL2 has no glDrawElementsBaseVertex, and with
  // 32-bit indices (ImDrawIdx, set in CMakeLists.txt) ImGui never needs it.
  g_r.program = GlProgram(kShader_ui_vert, kShader_ui_frag, "ui");
  glGenVertexArrays(1, &g_r.vao);
  glGenBuffers(1, &g_r.vbo);
  glGenBuffers(1, &g_r.ibo);
  // The vertex layout is fixed, so the VAO is set up once: ImDrawVert is
  // {ImVec2 pos, ImVec2 uv, ImU32 col}.
  glBindVertexArray(g_r.vao);
  glBindBuffer(GL_ARRAY_BUFFER, g_r.vbo);
  glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, g_r.ibo);  // part of the VAO's state
  glEnableVertexAttribArray(0);
  glEnableVertexAttribArray(1);
  glEnableVertexAttribArray(2);
  glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert), (void*)offsetof(ImDrawVert, pos));
  glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert), (void*)offsetof(ImDrawVert, uv));
  glVertexAttribPointer(2, 4, GL_UNSIGNED_BYTE, GL_TRUE, sizeof(ImDrawVert), (void*)offsetof(ImDrawVert, col));
  glBindVertexArray(0);
  create_font_texture();
  return true;
}

void ui_renderer_shutdown() {
  destroy_font_texture();
  if (g_r.vbo) glDeleteBuffers(1, &g_r.vbo);
  if (g_r.ibo) glDeleteBuffers(1, &g_r.ibo);
  if (g_r.vao) glDeleteVertexArrays(1, &g_r.vao);
  g_r.program.destroy();
  g_r = Renderer();
}

void ui_renderer_rebuild_fonts() {
  destroy_font_texture();
  create_font_texture();
}

void ui_renderer_draw(const ImDrawData* dd) {
  // Framebuffer size in pixels; nothing to draw when minimized.
  const int fb_w = int(dd->DisplaySize.x * dd->FramebufferScale.x);
  const int fb_h = int(dd->DisplaySize.y * dd->FramebufferScale.y);
  if (fb_w <= 0 || fb_h <= 0) return;
  const GLuint program = g_r.program.get();
  if (!program) {
    static bool reported = false;
    if (!reported) ui_renderer_failed("the UI shaders did not compile"), reported = true;
    return;
  }
  if (!g_r.have_locations) {
    g_r.loc_projection = glGetUniformLocation(program, "projection");
    g_r.loc_tex = glGetUniformLocation(program, "tex");
    g_r.have_locations = true;
  }

  // The whole state this renderer depends on, set every frame.
  glViewport(0, 0, fb_w, fb_h);
  glEnable(GL_BLEND);
  glBlendEquation(GL_FUNC_ADD);
  glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
  glDisable(GL_CULL_FACE);
  glDisable(GL_DEPTH_TEST);
  glDisable(GL_STENCIL_TEST);
  glEnable(GL_SCISSOR_TEST);
  glUseProgram(program);
  glUniform1i(g_r.loc_tex, 0);
  glActiveTexture(GL_TEXTURE0);
  glBindVertexArray(g_r.vao);
  glBindBuffer(GL_ARRAY_BUFFER, g_r.vbo);

  // Orthographic projection of the display rectangle, y down (column-major).
  const float L = dd->DisplayPos.x, R = dd->DisplayPos.x + dd->DisplaySize.x;
  const float T = dd->DisplayPos.y, B = dd->DisplayPos.y + dd->DisplaySize.y;
  const float projection[16] = {
      2.0f / (R - L), 0, 0, 0,  //
      0, 2.0f / (T - B), 0, 0,  //
      0, 0, -1.0f, 0,           //
      (R + L) / (L - R), (T + B) / (B - T), 0, 1.0f,
  };
  glUniformMatrix4fv(g_r.loc_projection, 1, GL_FALSE, projection);

  const ImVec2 clip_off = dd->DisplayPos, clip_scale = dd->FramebufferScale;
  for (int n = 0; n < dd->CmdListsCount; ++n) {
    const ImDrawList* list = dd->CmdLists[n];
    glBufferData(GL_ARRAY_BUFFER, GLsizeiptr(list->VtxBuffer.Size) * GLsizeiptr(sizeof(ImDrawVert)),
                 list->VtxBuffer.Data, GL_STREAM_DRAW);
    glBufferData(GL_ELEMENT_ARRAY_BUFFER, GLsizeiptr(list->IdxBuffer.Size) * GLsizeiptr(sizeof(ImDrawIdx)),
                 list->IdxBuffer.Data, GL_STREAM_DRAW);
    for (int c = 0; c < list->CmdBuffer.Size; ++c) {
      const ImDrawCmd& cmd = list->CmdBuffer[c];
      if (cmd.UserCallback) {
        // Not used by this app; honour the protocol anyway.
        if (cmd.UserCallback != ImDrawCallback_ResetRenderState) cmd.UserCallback(list, &cmd);
        continue;
      }
      // The clip rectangle in framebuffer pixels (GL's scissor origin is bottom-left).
      const float x0 = (cmd.ClipRect.x - clip_off.x) * clip_scale.x, y0 = (cmd.ClipRect.y - clip_off.y) * clip_scale.y;
      const float x1 = (cmd.ClipRect.z - clip_off.x) * clip_scale.x, y1 = (cmd.ClipRect.w - clip_off.y) * clip_scale.y;
      if (x1 <= x0 || y1 <= y0) continue;
      glScissor(int(x0), int(float(fb_h) - y1), int(x1 - x0), int(y1 - y0));
      glBindTexture(GL_TEXTURE_2D, GLuint(intptr_t(cmd.GetTexID())));
      glDrawElements(GL_TRIANGLES, GLsizei(cmd.ElemCount), sizeof(ImDrawIdx) == 2 ? GL_UNSIGNED_SHORT : GL_UNSIGNED_INT,
                     (void*)(intptr_t)(cmd.IdxOffset * sizeof(ImDrawIdx)));
    }
  }
  glBindVertexArray(0);
  glDisable(GL_SCISSOR_TEST);  // the next frame's glClear must cover the whole canvas
}

}  // namespace pg
