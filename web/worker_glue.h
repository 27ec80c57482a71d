// worker_glue.h - the page's WorkerLink (web/worker_glue.cpp; web builds only).
#pragma once
#include "web/worker_link.h"

namespace pg {
WorkerLink& page_worker_link();
}  // namespace pg
