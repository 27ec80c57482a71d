// app.cpp - the playground's main loop, native (GLFW window) and web
// (emscripten_set_main_loop on the page's canvas).
//
// Each frame: match the canvas to its CSS size times devicePixelRatio (crisp
// text on HiDPI screens), advance the open lesson within a time budget (the
// page stays at 60 fps while a trainer runs), draw its panel, and tell the
// page when the URL state changed.  On the web the lesson gallery, the URL
// hash and the JS API live in web/shell.js; natively a lesson list is drawn here.
#include <GLFW/glfw3.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "lessons/packs.h"
#include "lessons/strings.h"
#include "ui/panel.h"
#include "ui/plots.h"
#include "web/api.h"
#include "web/frame_budget.h"
#include "web/gl_images.h"
#include "web/gl_renderer.h"
#include "web/layout.h"
#include "web/pointer_input.h"
#include "web/redraw.h"
#include "web/worker_glue.h"

#if defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>
#include <emscripten/html5.h>

// Sets the canvas's backing store and GLFW's window size to width x height.
// Emscripten's glfwSetWindowSize does this too, except when the size equals
// the screen's: then it requests fullscreen instead (its convention) and
// leaves the canvas at its old size.  A full-window canvas at
// devicePixelRatio 1 (an embedded lesson in a fullscreen frame, or any
// headless browser) hits exactly that case.
EM_JS(void, pg_set_canvas_size, (int width, int height), {
  Browser.setCanvasSize(width, height);
  if (GLFW.active) {
    GLFW.active.width = width;
    GLFW.active.height = height;
  }
});
#endif

namespace pg {
void install_pack_bridge();  // web/pack_bridge.cpp
namespace {
#if defined(__EMSCRIPTEN__)
// A plot the learner asked to save (ui/plots.h): done after this frame's
// rendering, when the plot's pixels are in the framebuffer.
struct PendingSave {
  bool active = false;
  plot::PlotSaveRequest request;
};
PendingSave g_save;

void finish_plot_save(int fb_w, int fb_h) {
  if (!g_save.active) return;
  g_save.active = false;
  const plot::PlotSaveRequest& r = g_save.request;
  const std::string name = std::string(app_session().info().id) + "-" + r.name + (r.png ? ".png" : ".csv");
  if (!r.png) {
    EM_ASM({ Module.pgSaveText(UTF8ToString($0), UTF8ToString($1)); }, r.csv.c_str(), name.c_str());
    return;
  }
  const int x0 = std::max(0, int(std::floor(r.min.x))), x1 = std::min(fb_w, int(std::ceil(r.max.x)));
  const int y0 = std::max(0, int(std::floor(r.min.y))), y1 = std::min(fb_h, int(std::ceil(r.max.y)));
  const int w = x1 - x0, h = y1 - y0;
  if (w <= 0 || h <= 0) return;
  std::vector<unsigned char> rgba(size_t(w) * h * 4), flipped(rgba.size());
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(x0, fb_h - y1, w, h, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());  // GL rows run bottom-up
  for (int y = 0; y < h; ++y)
    std::memcpy(&flipped[size_t(y) * w * 4], &rgba[size_t(h - 1 - y) * w * 4], size_t(w) * 4);
  EM_ASM({ Module.pgSavePng($0, $1, $2, UTF8ToString($3)); }, flipped.data(), w, h, name.c_str());
}
#endif

#if defined(__EMSCRIPTEN__)
// The page's pointer events (web/shell.js takes them before Emscripten's GLFW
// sees them), fed to ImGui one button transition per frame.
PointerInput g_pointer;
#endif

constexpr float kBaseFontPx = 15.0f;

struct App {
  GLFWwindow* window = nullptr;
  float ui_scale = 0;        // devicePixelRatio (web) or the monitor's content scale
  bool light_theme = false;
  bool applied_light = true;  // forces the first apply
  double last_callback_ms = 0;  // the previous requestAnimationFrame callback (built or not)
  double frame_ms = 16.7;        // the display's pace: the interval between callbacks, smoothed
  double shown_frame_ms = 0, shown_at_ms = -1e300;  // the header's figure, refreshed once a second
  double work_ms = 0;
  FrameBudget budget;  // the lesson's share of each frame (web/frame_budget.h)
  RecentWork recent_work;
  std::string last_state;
  std::string font_path;
  ImGuiTextFilter lesson_filter;  // native lesson list
};
App g_app;

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void load_fonts(float scale) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  ImFontConfig config;
  config.OversampleH = 2;
  config.OversampleV = 1;
  ImFont* font = nullptr;
  if (!g_app.font_path.empty())
    font = io.Fonts->AddFontFromFileTTF(g_app.font_path.c_str(), std::round(kBaseFontPx * scale), &config, ui::glyph_ranges());
  if (!font) {
    // ASCII-only fallback: the page still works, Greek letters show as '?'.
    ImFontConfig fallback;
    fallback.SizePixels = std::round(13.0f * scale);
    io.Fonts->AddFontDefault(&fallback);
  }
}

void apply_style(float scale, bool light) {
  ImGuiStyle& style = ImGui::GetStyle();
  style = ImGuiStyle();
  if (light) {
    ImGui::StyleColorsLight(&style);
    style.Colors[ImGuiCol_WindowBg] = ImVec4(0.97f, 0.97f, 0.96f, 1.0f);
  } else {
    ImGui::StyleColorsDark(&style);
    style.Colors[ImGuiCol_WindowBg] = ImVec4(0.09f, 0.10f, 0.12f, 1.0f);
  }
  style.WindowRounding = 0;
  style.FrameRounding = 4;
  style.GrabRounding = 4;
  style.FramePadding = ImVec2(8, 4);
  style.ItemSpacing = ImVec2(10, 7);
  style.WindowPadding = ImVec2(16, 12);
  style.ScrollbarSize = 16;
  style.ScaleAllSizes(scale);
}

// Sets ui_scale from the display and rebuilds fonts and style when it
// changed.  Returns whether the canvas, the scale or the theme changed.
#if defined(__EMSCRIPTEN__)
// The canvas's backing store follows its CSS box times devicePixelRatio.
// Returns devicePixelRatio and sets `changed` when the canvas was resized.
float match_canvas_to_css(bool& changed) {
  double css_w = 0, css_h = 0;
  emscripten_get_element_css_size("#canvas", &css_w, &css_h);
  float scale = float(emscripten_get_device_pixel_ratio());
  if (!(scale > 0.25f && scale < 8.0f)) scale = 1.0f;
  const int want_w = int(std::lround(css_w * scale)), want_h = int(std::lround(css_h * scale));
  int cur_w = 0, cur_h = 0;
  glfwGetWindowSize(g_app.window, &cur_w, &cur_h);
  if (want_w > 0 && want_h > 0 && (want_w != cur_w || want_h != cur_h)) pg_set_canvas_size(want_w, want_h), changed = true;
  return scale;
}
#endif

bool update_scale_and_theme() {
  bool changed = false;
  float scale = 1.0f;
#if defined(__EMSCRIPTEN__)
  scale = match_canvas_to_css(changed);
#else
  float sx = 1, sy = 1;
  glfwGetWindowContentScale(g_app.window, &sx, &sy);
  scale = sx > 0.25f ? sx : 1.0f;
#endif
  const bool light = app_session().light_theme;
  if (scale != g_app.ui_scale) {
    g_app.ui_scale = scale;
    load_fonts(scale);
    ui_renderer_rebuild_fonts();
    g_app.applied_light = !light;  // restyle below
  }
  if (light != g_app.applied_light) {
    apply_style(scale, light);
    g_app.applied_light = light;
    changed = true;
  }
  return changed;
}

void open_neighbour(int delta) {
  const auto& infos = lesson_infos();
  const int current = find_lesson(app_session().info().id);
  const int n = int(infos.size());
  std::string message;
  app_session().open(infos[size_t(((current + delta) % n + n) % n)].id, message);
}

#if !defined(__EMSCRIPTEN__)
// The desktop window has no HTML gallery: a filterable list on the left.
void draw_native_lesson_list(float width) {
  ImGui::BeginChild("##lessons", ImVec2(width, 0), true);
  ImGui::TextUnformatted("Lessons");
  g_app.lesson_filter.Draw("##filter", -1);
  const char* section = "";
  for (const LessonInfo& li : lesson_infos()) {
    if (!g_app.lesson_filter.PassFilter(li.title) && !g_app.lesson_filter.PassFilter(li.id)) continue;
    if (std::string(section) != li.section) {
      section = li.section;
      ImGui::Spacing();
      ImGui::TextDisabled("%s", section);
    }
    if (ImGui::Selectable(li.title, std::string(li.id) == app_session().info().id)) {
      std::string message;
      app_session().open(li.id, message);
    }
    if (ImGui::IsItemHovered()) {
      ImGui::BeginTooltip();
      ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
      ImGui::Text("%s\n%s, %d", li.title, li.authors, li.year);
      ImGui::TextDisabled("%s", li.summary);
      ImGui::PopTextWrapPos();
      ImGui::EndTooltip();
    }
  }
  ImGui::EndChild();
  ImGui::SameLine();
}

void handle_native_keys() {
  ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;
  if (ImGui::IsKeyPressed(GLFW_KEY_SPACE)) app_session().playing = !app_session().playing;
  if (ImGui::IsKeyPressed(GLFW_KEY_R)) app_session().reset();
  if (ImGui::IsKeyPressed(GLFW_KEY_LEFT)) open_neighbour(-1);
  if (ImGui::IsKeyPressed(GLFW_KEY_RIGHT)) open_neighbour(+1);
}
#endif

// Every GLFW input event asks for a frame (web/redraw.h).  Installed before
// ImGui's GLFW backend, which calls the callbacks it replaces.
void install_redraw_callbacks(GLFWwindow* w) {
  glfwSetKeyCallback(w, [](GLFWwindow*, int, int, int, int) { request_redraw(); });
  glfwSetCharCallback(w, [](GLFWwindow*, unsigned int) { request_redraw(); });
  glfwSetScrollCallback(w, [](GLFWwindow*, double, double) { request_redraw(); });
  glfwSetMouseButtonCallback(w, [](GLFWwindow*, int, int, int) { request_redraw(); });
  glfwSetCursorPosCallback(w, [](GLFWwindow*, double, double) { request_redraw(); });
  glfwSetCursorEnterCallback(w, [](GLFWwindow*, int) { request_redraw(); });
  glfwSetWindowFocusCallback(w, [](GLFWwindow*, int) { request_redraw(); });
  glfwSetWindowSizeCallback(w, [](GLFWwindow*, int, int) { request_redraw(); });
  glfwSetFramebufferSizeCallback(w, [](GLFWwindow*, int, int) { request_redraw(); });
}

// Whether the app needs frames whatever the input (web/redraw.h): a lesson
// stepping on this thread, a pointer gesture in progress, a text field's
// blinking caret, a plot save waiting for its pixels.
bool busy(const Session& s) {
  const ImGuiIO& io = ImGui::GetIO();
  bool b = (s.wants_steps() && !s.in_worker()) || s.pending_steps > 0 || io.WantTextInput || io.MouseDown[0] ||
           io.MouseDown[1];
#if defined(__EMSCRIPTEN__)
  b = b || !g_pointer.idle() || g_save.active;
#endif
  return b;
}

void build_frame(double t0, double dt_ms, bool step);

// One requestAnimationFrame callback: build a frame only when it may show
// something new, draw it only when it does (web/redraw.h).
void frame() {
  const double t0 = now_ms();
  const double dt_ms = g_app.last_callback_ms > 0 ? t0 - g_app.last_callback_ms : 0;
  if (dt_ms > 0) g_app.frame_ms = 0.9 * g_app.frame_ms + 0.1 * dt_ms;
  g_app.last_callback_ms = t0;

  RedrawPolicy& redraw = redraw_policy();
  glfwPollEvents();
  if (update_scale_and_theme()) redraw.request();
  Session& s = app_session();
  if (!redraw.should_build(t0, busy(s))) {
#if !defined(__EMSCRIPTEN__)
    glfwWaitEventsTimeout(RedrawPolicy::kHeartbeatMs / 1000.0);  // no swap to wait on: sleep until input
#endif
    return;
  }
  build_frame(t0, dt_ms, true);
}

// Builds a frame and draws it if its picture is new.  `step`: the lesson may
// step on this thread (false for a frame built at once for a mouse press).
void build_frame(double t0, double dt_ms, bool step) {
  RedrawPolicy& redraw = redraw_policy();
  Session& s = app_session();
  ImGui_ImplGlfw_NewFrame();
#if defined(__EMSCRIPTEN__)
  {
    // After the GLFW backend: its cursor and buttons never see the page's
    // pointer events, so these values replace what it set.
    ImGuiIO& io = ImGui::GetIO();
    GestureSettings g;
    const float font_px = ImGui::GetFontSize() > 0 ? ImGui::GetFontSize() : kBaseFontPx * g_app.ui_scale;
    g.slop_px = 10.0f * g_app.ui_scale;
    g.px_per_wheel = 5.0f * font_px;  // ImGui 1.86 scrolls five font heights per wheel unit
    const PointerFrame p = g_pointer.next_frame(emscripten_get_now(), g);
    if (p.has_position) io.MousePos = ImVec2(p.x, p.y);
    io.MouseDown[0] = p.button_down;
    io.MouseDown[1] = p.secondary_down;
    io.MouseWheel += p.wheel_y;
  }
#endif
  ImGui::NewFrame();

  // The lesson says how it steps: continuous ones measure until done,
  // on_play ones train while playing, in the page's training worker when
  // there is one (web/worker_link.h) and here otherwise.
  const double step_t0 = now_ms();
#if defined(__EMSCRIPTEN__)
  if (!step || redraw.take_data()) apply_pending_snapshot();  // input shows new data at once
  const bool in_worker = page_worker_link().drive(s);
#else
  const bool in_worker = false;
#endif
  const int units = step && !in_worker && s.wants_steps() ? s.advance(s.steps_for_frame(dt_ms), g_app.budget.budget_ms()) : 0;
  const double step_ms = units > 0 ? now_ms() - step_t0 : 0;
  s.refresh();

  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  // No background: glClear paints the window's colour below.  A full-window
  // blended rectangle is the dearest thing a frame draws where GL is
  // software (SwiftShader fills about 25 Mpixel/s: 40 ms of CPU at 1366x768).
  ImGui::Begin("##main", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoBackground);
#if !defined(__EMSCRIPTEN__)
  handle_native_keys();
  draw_native_lesson_list(ImGui::GetFontSize() * 17.0f);
#endif
  ImGui::BeginChild("##lesson");
  FrameOptions options;
  options.pixels_per_css_px = g_app.ui_scale;
  // The header's ms/frame changes once a second at most, and only while
  // something runs: an idle page keeps its picture (web/redraw.h).
  if (g_app.shown_frame_ms == 0 || ((s.playing || busy(s)) && t0 - g_app.shown_at_ms >= 1000))
    g_app.shown_frame_ms = g_app.frame_ms, g_app.shown_at_ms = t0;
  options.frame_ms = g_app.shown_frame_ms;
  draw_lesson(s, options);
  ImGui::EndChild();
  ImGui::End();
#if defined(__EMSCRIPTEN__)
  // What the panel changed this frame (Pause, Step, a live knob) reaches the
  // worker now, not at the next frame's drive.
  if (in_worker) page_worker_link().drive(s);
#endif

  ImGui::Render();
  int fb_w = 0, fb_h = 0;
  glfwGetFramebufferSize(g_app.window, &fb_w, &fb_h);
  const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
#if defined(__EMSCRIPTEN__)
  const bool save = g_save.active;
#else
  const bool save = false;
#endif
  if (redraw.should_draw(picture_hash(ImGui::GetDrawData(), ImGui::ColorConvertFloat4ToU32(bg)), save)) {
    glViewport(0, 0, fb_w, fb_h);
    glClearColor(bg.x, bg.y, bg.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ui_renderer_draw(ImGui::GetDrawData());
#if defined(__EMSCRIPTEN__)
    finish_plot_save(fb_w, fb_h);
#else
    glfwSwapBuffers(g_app.window);
#endif
  }
#if !defined(__EMSCRIPTEN__)
  else glfwWaitEventsTimeout(1.0 / 60);  // the same picture: pace the loop as a swap would
#endif
  g_app.work_ms = now_ms() - t0;
  if (step) g_app.budget.end_frame(dt_ms, g_app.work_ms, step_ms, units);
  g_app.recent_work.add(t0, g_app.work_ms);
#if defined(__EMSCRIPTEN__)
  static bool first_frame = true;
  if (first_frame) {  // cold start ends here: the bench reads this mark (bench/browser.mjs)
    first_frame = false;
    EM_ASM({ if (self.performance && performance.mark) performance.mark('playground-first-frame'); });
  }
#endif

  // Tell the page about a new URL state (lesson, knobs, seed).
  const std::string state = s.state_string();
  if (state != g_app.last_state) {
    g_app.last_state = state;
#if defined(__EMSCRIPTEN__)
    EM_ASM({ if (Module.onPlaygroundState) Module.onPlaygroundState(UTF8ToString($0)); }, state.c_str());
#endif
  }
}

}  // namespace
}  // namespace pg

#if defined(__EMSCRIPTEN__)
// type: 0 down, 1 move, 2 up, 3 cancel; x, y in the canvas's backing-store
// pixels from its top-left corner; touch: 1 for a finger, 2 for the mouse's
// secondary (right) button.
extern "C" EMSCRIPTEN_KEEPALIVE void pg_pointer_event(int type, double x, double y, int touch) {
  if (type < 0 || type > 3) return;
  pg::request_redraw();
  pg::g_pointer.push({pg::PointerType(type), float(x), float(y), touch == 1, emscripten_get_now(), touch == 2 ? 1 : 0});
  // A mouse press is built into a frame at once, not at the next animation
  // frame: while the GPU process is busy (software GL) that can be 50-80 ms
  // away, and Play/Pause act on the press (web/layout.cpp).  A finger's
  // press waits: it may become a scroll (web/pointer_input.h).
  if (type == 0 && touch == 0 && pg::g_app.window) pg::build_frame(pg::now_ms(), 0, false);
}

// The main loop's own measurements, for the browser bench and the curious:
// {"frames", "work_p95_ms" (over the frames built in the last 3 s), "draw_ms", "unit_ms", "budget_ms", "cap_ms",
//  "frame_ms", "steps_per_second", "worker_ready", and since the page opened
//  "callbacks", "built", "drawn", and "draw_cost_ms", "data_interval_ms"
//  (web/redraw.h)}.
extern "C" EMSCRIPTEN_KEEPALIVE const char* pg_frame_stats() {
  static char buf[448];
  const pg::FrameBudget& b = pg::g_app.budget;
  const pg::RedrawPolicy& r = pg::redraw_policy();
  std::snprintf(buf, sizeof buf,
                "{\"frames\":%d,\"work_p95_ms\":%.3f,\"draw_ms\":%.3f,\"unit_ms\":%.3f,\"budget_ms\":%.3f,"
                "\"cap_ms\":%.3f,\"frame_ms\":%.3f,\"steps_per_second\":%.3f,\"worker_ready\":%s,"
                "\"callbacks\":%ld,\"built\":%ld,\"drawn\":%ld,\"draw_cost_ms\":%.1f,\"data_interval_ms\":%.1f}",
                b.frames(), pg::g_app.recent_work.p95(pg::now_ms()), b.draw_ms(), b.unit_ms(), b.budget_ms(), b.cap_ms(), pg::g_app.frame_ms,
                pg::app_session().steps_per_second(), pg::page_worker_link().ready() ? "true" : "false",
                r.built() + r.skipped(), r.built(), r.drawn(), r.draw_cost_ms(), r.data_interval_ms());
  return buf;
}
#endif

int main(int argc, char** argv) {
  using namespace pg;
  if (!glfwInit()) {
    std::fprintf(stderr, "playground: cannot initialise GLFW\n");
    return 1;
  }
#if defined(__EMSCRIPTEN__)
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  // An opaque canvas with no depth or stencil buffer: ImGui uses neither,
  // and the compositor need not blend the canvas over the page.  web/shell.js
  // creates the context with these same attributes while the engine loads.
  glfwWindowHint(GLFW_ALPHA_BITS, 0);
  glfwWindowHint(GLFW_DEPTH_BITS, 0);
  glfwWindowHint(GLFW_STENCIL_BITS, 0);
  g_app.font_path = "/font.ttf";
  g_app.window = glfwCreateWindow(1280, 800, "Softmax Playground", nullptr, nullptr);
#else
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  g_app.font_path = std::string(PG_FONT_PATH);
  g_app.window = glfwCreateWindow(1400, 900, "Softmax Playground", nullptr, nullptr);
#endif
  if (!g_app.window) {
    std::fprintf(stderr, "playground: cannot create a window with OpenGL 3\n");
    return 1;
  }
  glfwMakeContextCurrent(g_app.window);
  glfwSwapInterval(1);
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // no settings file: the URL is the state
#if defined(__EMSCRIPTEN__)
  {
    // The canvas gets its size before the shaders are compiled: resizing it
    // waits on the GPU process, which is then busy compiling them (web/gl.h).
    bool resized = false;
    match_canvas_to_css(resized);
  }
#endif
  install_redraw_callbacks(g_app.window);  // before ImGui's backend, which chains to them
  ImGui_ImplGlfw_InitForOpenGL(g_app.window, true);
  if (!ui_renderer_init()) {
    std::fprintf(stderr, "playground: cannot compile the UI shaders\n");
    return 1;
  }
  plot::set_image_backend(create_gl_image_backend());
#if defined(__EMSCRIPTEN__)
  plot::set_save_handler([](const plot::PlotSaveRequest& r) { g_save.request = r, g_save.active = true; });
#endif
  install_pack_bridge();

#if defined(__EMSCRIPTEN__)
  EM_ASM({ if (Module.onPlaygroundReady) Module.onPlaygroundReady(); });
  emscripten_set_main_loop(frame, 0, true);
#else
  // Native: an optional state string, the same as the page's URL hash.
  if (argc > 1) {
    for (const std::string& m : app_session().apply_state(argv[1])) std::fprintf(stderr, "playground: %s\n", m.c_str());
  }
  while (!glfwWindowShouldClose(g_app.window)) frame();
  ui_renderer_shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(g_app.window);
  glfwTerminate();
#endif
  (void)argc, (void)argv;
  return 0;
}
