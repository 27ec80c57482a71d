// export.h - `playground-cli run <id> ... --export DIR`: what an outside reader
// needs to recompute a lesson's headline.
//
//   DIR/run.json      {"id","seed","steps","params","metrics","timing","platform",
//                      "series":[names],"arrays":[names],"timing_outputs":[names]};
//                      numbers as %.17g
//   DIR/<series>.csv  one per declared series: a header row naming the
//                     columns, then one row per point (%.9g: float32 round trip)
//   DIR/<array>.npy   one per declared array: NPY format 1.0, little-endian
//                     float32 ('<f4') or float64 ('<f8'), C order
//
// Native and wasm CLIs write identical files for the same lesson, knobs, seed
// and steps, except run.json's "platform", the timing metrics and the
// timing outputs (wall-clock measurements).
#pragma once
#include <string>

#include "web/session.h"

namespace pg {

// Writes the files (creating DIR if needed).  False with a message on failure.
bool export_run(Session& session, const std::string& dir, std::string& error);

// The run as one JSON document, for the page's "Download run",
// playground.export() and postMessage op "export": run.json's fields plus
// "engine": {"platform", "simd"} and "series": {name: {column: [values...]}}
// (arrays are left out: they are for --export).
std::string run_export_json(Session& session);

// The bytes of an NPY file for one array (tests parse it back).
std::string npy_bytes(const Array& array);

}  // namespace pg
