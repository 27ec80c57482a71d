// Vertex colour times the texture: the font atlas (white where there is no
// glyph) or a plot's image.
in vec2 frag_uv;
in vec4 frag_color;
uniform sampler2D tex;
layout(location = 0) out vec4 out_color;
void main() { out_color = frag_color * texture(tex, frag_uv); }
