// Maps a scalar field (an R32F texture, one texel per cell, row 0 at the top)
// through a perceptual colormap.  The anchors are the ones web/plots.cpp uses
// for its rectangle fallback and color bars: viridis, or red-blue diverging.
in vec2 uv;
out vec4 color;
uniform sampler2D values;     // R32F, NEAREST: one cell per texel
uniform float vmin;
uniform float vmax;
uniform int diverging;        // 0: viridis, 1: red-blue diverging

const vec3 VIRIDIS[9] = vec3[9](
  vec3(68, 1, 84), vec3(71, 45, 123), vec3(59, 82, 139), vec3(44, 114, 142), vec3(33, 145, 140),
  vec3(40, 174, 128), vec3(94, 201, 98), vec3(173, 220, 48), vec3(253, 231, 37));
const vec3 DIVERGING[9] = vec3[9](
  vec3(5, 48, 97), vec3(33, 102, 172), vec3(67, 147, 195), vec3(146, 197, 222), vec3(247, 247, 247),
  vec3(244, 165, 130), vec3(214, 96, 77), vec3(178, 24, 43), vec3(103, 0, 31));

vec3 colormap(float t) {
  t = clamp(t, 0.0, 1.0);
  float f = t * 8.0;
  int i = min(int(f), 7);
  float w = f - float(i);
  vec3 a = diverging == 1 ? DIVERGING[i] : VIRIDIS[i];
  vec3 b = diverging == 1 ? DIVERGING[i + 1] : VIRIDIS[i + 1];
  return mix(a, b, w) / 255.0;
}

void main() {
  // Data row 0 is texture row 0, and it lands in the target's row 0, which
  // ImGui's AddImage shows at the top (uv 0,0 is the top-left corner).
  float v = texture(values, uv).r;
  float t = (v - vmin) / (vmax - vmin);
  if (!(v == v)) t = 0.0;  // NaN cells take the bottom color, as on the CPU path
  color = vec4(colormap(t), 1.0);
}
