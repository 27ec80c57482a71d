// gl_images.h - the GPU image path for plot widgets (heatmaps, decision regions).
#pragma once
#include "ui/plots.h"

namespace pg {
// Creates the GL resources (needs a current GL context); null on failure, in
// which case the plots fall back to rectangles.
plot::ImageBackend* create_gl_image_backend();
void destroy_gl_image_backend(plot::ImageBackend* backend);
}  // namespace pg
