// fuzz_state.cpp - the URL hash: Session::apply_state on any text, then the
// round trip: the state string it produces, applied to a fresh session, must
// give the same state string back (a pasted URL reproduces the state).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "web/session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8192) return 0;
  static pg::Session* a = new pg::Session();  // reused: opening lessons is the slow part
  static pg::Session* b = new pg::Session();
  a->apply_state(std::string(reinterpret_cast<const char*>(data), size));
  a->clear_messages();
  const std::string state = a->state_string();
  b->apply_state(state);
  b->clear_messages();
  if (b->state_string() != state) std::abort();  // the round trip must be exact
  return 0;
}
