// Dear ImGui's vertices: position in display pixels, texture coordinate,
// colour (RGBA8, normalized).  The #version line is prepended at run time.
layout(location = 0) in vec2 position;
layout(location = 1) in vec2 uv;
layout(location = 2) in vec4 color;
uniform mat4 projection;  // display pixels -> clip space, y down
out vec2 frag_uv;
out vec4 frag_color;
void main() {
  frag_uv = uv;
  frag_color = color;
  gl_Position = projection * vec4(position, 0.0, 1.0);
}
