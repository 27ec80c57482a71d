// headless_imgui.h - an ImGui context for the tests: its own context (made
// current), a built font atlas and a display size; no window, no GPU (draw
// lists are built, nothing is rasterized).  Shared by the plot, lesson and
// worker-mirror tests.
#pragma once
#include "imgui.h"
#include "web/redraw.h"

namespace test_ui {

struct HeadlessContext {
  ImGuiContext* ctx;
  explicit HeadlessContext(float w = 1366, float h = 768) {
    ctx = ImGui::CreateContext();
    ImGui::SetCurrentContext(ctx);  // CreateContext keeps an existing current context
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(w, h);
    io.DeltaTime = 1.0f / 60.0f;
    unsigned char* pixels;
    int tw, th;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &tw, &th);
  }
  ~HeadlessContext() {
    ImGui::DestroyContext(ctx);
    ImGui::SetCurrentContext(nullptr);
  }
  HeadlessContext(const HeadlessContext&) = delete;
  HeadlessContext& operator=(const HeadlessContext&) = delete;
  void make_current() { ImGui::SetCurrentContext(ctx); }

  // One frame: a window over the whole display, filled by body(); returns
  // the hash of the picture it would draw (web/redraw.h).
  template <class Body>
  uint64_t frame(Body&& body) {
    make_current();
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
    ImGui::Begin("##page", nullptr, ImGuiWindowFlags_NoDecoration);
    body();
    ImGui::End();
    ImGui::Render();
    return pg::picture_hash(ImGui::GetDrawData(), 0);
  }
};

}  // namespace test_ui
