// fuzz_params.cpp - knob values from untrusted text: ParamList::set_text and
// set_value on every knob type, and the text helpers under them (number
// parsing, percent coding, JSON strings).  Invariants: a stored value is
// always inside its declared range; percent_decode(percent_encode(s)) == s;
// json_string always yields a valid JSON string.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "lessons/lesson.h"
#include "lessons/strings.h"
#include "tests/fuzz/json_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const std::string in(reinterpret_cast<const char*>(data), size);
  static double real = 0;
  static int integer = 0, choice = 0;
  static bool toggle = false;
  static pg::ParamList* params = [] {
    auto* p = new pg::ParamList();
    p->real("r", "real", &real, 1e-4, 1e4, 1, "a log-scale real knob", true);
    p->integer("i", "integer", &integer, -5, 1 << 22, 16, "an integer knob");
    p->choice("c", "choice", &choice, {"a", "b", "c"}, 1, "a choice");
    p->toggle("t", "toggle", &toggle, true, "a toggle");
    return p;
  }();
  const size_t cut = in.find('=');
  const std::string key = in.substr(0, cut), value = cut == std::string::npos ? in : in.substr(cut + 1);
  std::string message;
  params->set_text(key, value, message);
  double v;
  if (pg::parse_number(value, v)) {
    if (!std::isfinite(v)) std::abort();
    params->set_value(key.empty() ? "r" : key, v, message);
  }
  for (const pg::ParamSpec& s : params->specs()) {
    const double x = params->value(s);
    if (!(x >= s.min && x <= s.max)) std::abort();
    std::string m2;
    if (!params->set_text(s.key, params->text(s), m2) || params->value(s) != x) std::abort();  // text round trip
  }
  if (pg::percent_decode(pg::percent_encode(in)) != in) std::abort();
  if (!fuzzcheck::valid_json(pg::json_string(in))) std::abort();
  if (pg::printable(in).size() > 43) std::abort();
  return 0;
}
