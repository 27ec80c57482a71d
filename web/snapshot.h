// snapshot.h - what a Web Worker that trains a lesson sends the page: the
// run's progress, its metrics and problem, and every declared output.  The
// page's own instance of the lesson takes the outputs (Lesson::replace_outputs)
// and draws them; the host shows the metrics and the progress (Session::
// apply_snapshot).  See web/worker_link.h for the protocol around it.
//
// Encoding: little-endian binary (both ends are the same wasm module), in
// this order; a string is a u32 length and its bytes.
//   "PGS1"  u64 generation  i64 steps  u8 done  u8 working  string problem
//   u32 metrics    { string key, f64 value, u8 timing }
//   u32 series     { string key, u32 columns { string name }, u32 rows, f32 values[columns][rows] }
//   u32 arrays     { string key, u8 f64, u32 ndim, i64 shape[ndim], u64 count, f32|f64 data[count] }
//                  (count = prod(shape), or 0 for an array not set yet)
// UI-free; part of the host (web/).
#pragma once
#include <cstdint>
#include <string>

#include "lessons/lesson.h"

namespace pg {

struct Snapshot {
  uint64_t generation = 0;  // the page's run it belongs to (Session::generation)
  int64_t steps = 0;        // units done
  bool done = false;
  bool working = false;     // false: the worker has stopped (paused, at its target, finished)
  std::string problem;
  MetricList metrics;
  Outputs outputs;
};

// The lesson's state as a snapshot's bytes (appended to `out`, which is cleared first).
void encode_snapshot(uint64_t generation, int64_t steps, bool working, const Lesson& lesson, std::string& out);
// Parses bytes from encode_snapshot.  False with a message when they are
// malformed (truncated, a count past the end, an unknown tag).
bool decode_snapshot(const uint8_t* bytes, size_t size, Snapshot& out, std::string& error);

}  // namespace pg
