// Full-screen triangle for rendering a heatmap into its own texture.
// The #version line is prepended at run time ("300 es" on the web,
// "330 core" on the desktop), so the same source serves both.
out vec2 uv;
void main() {
  // Vertices (-1,-1), (3,-1), (-1,3) cover the viewport; no vertex buffer needed.
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  uv = p;
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
