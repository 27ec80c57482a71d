// worker_glue.h - the page's WorkerLink (web/worker_glue.cpp; web builds only).
#pragma once
#include "web/worker_link.h"

namespace pg {
WorkerLink& page_worker_link();
// Applies the newest snapshot from the worker that the page has not shown
// yet (web/redraw.h: at the start of a frame built for data or input).
void apply_pending_snapshot();
}  // namespace pg
