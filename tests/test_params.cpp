// The parameter layer: parsing, clamping, rejection of bad values, and the URL
// state round trip.  Every value from a slider, the URL, the CLI, the JS API or
// postMessage passes through this code.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "web/session.h"
#include "lessons/strings.h"
#include "web/api.h"

using namespace pg;

TEST_CASE("parse_number accepts finite decimals only") {
  double v = 0;
  CHECK(parse_number("42", v));
  CHECK(v == 42);
  CHECK(parse_number("-1.5e-3", v));
  CHECK(v == -1.5e-3);
  CHECK(parse_number("1e308", v));
  for (const char* bad : {"", "nan", "NaN", "inf", "-Infinity", "1e999", "0x10", "12abc", " 1", "<b>1</b>",
                          "1,5", "--1"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_number(bad, v));
  }
  CHECK_FALSE(parse_number(std::string(100, '1'), v));
}

TEST_CASE("format_number round-trips exactly") {
  for (double v : {0.1, 1e-5, 65536.0, 3.14159, 1.0 / 3.0, -2.5, 1e300}) {
    double back = 0;
    REQUIRE(parse_number(format_number(v), back));
    CHECK(back == v);
  }
  CHECK(format_number(65536) == "65536");
  CHECK(format_number(0.1) == "0.1");
}

TEST_CASE("percent encoding and JSON strings") {
  CHECK(percent_decode("a%20b%3C") == "a b<");
  CHECK(percent_decode("100%") == "100%");
  CHECK(percent_decode("%zz") == "%zz");
  CHECK(percent_encode("a b<") == "a%20b%3C");
  CHECK(percent_decode(percent_encode("x=1&y=<script>")) == "x=1&y=<script>");
  // Markup never survives as markup: quotes and angle brackets are escaped.
  CHECK(json_string("<img src=x onerror=alert(1)>\"") == "\"\\u003cimg src=x onerror=alert(1)\\u003e\\\"\"");
  CHECK(json_number(NAN) == "null");
  CHECK(json_number(INFINITY) == "null");
}

namespace {
struct Knobs {
  int n = 0;
  double rate = 0;
  int head = 0;
  bool flag = false;
  ParamList list;
  Knobs() {
    list.integer("n", "N", &n, 16, 4096, 256, "length", true);
    list.real("rate", "rate", &rate, 1e-4, 1.0, 0.01, "a rate", true);
    list.choice("head", "head", &head, {"softmax", "svm"}, 0, "which head");
    list.toggle("flag", "flag", &flag, false, "a switch");
  }
};
}  // namespace

TEST_CASE("declared defaults are stored in the bound members") {
  Knobs k;
  CHECK(k.n == 256);
  CHECK(k.rate == doctest::Approx(0.01));
  CHECK(k.head == 0);
  CHECK_FALSE(k.flag);
}

TEST_CASE("set_text clamps out-of-range values with a message") {
  Knobs k;
  std::string msg;
  CHECK(k.list.set_text("n", "1e9", msg));
  CHECK(k.n == 4096);
  CHECK(msg.find("above the maximum") != std::string::npos);
  CHECK(k.list.set_text("n", "-5", msg));
  CHECK(k.n == 16);
  CHECK(k.list.set_text("n", "100.4", msg));
  CHECK(k.n == 100);
  CHECK(msg.empty());
  CHECK(k.list.set_text("rate", "1e308", msg));
  CHECK(k.rate == 1.0);
}

TEST_CASE("set_text rejects malformed values and keeps the old one") {
  Knobs k;
  std::string msg;
  for (const char* bad : {"nan", "inf", "abc", "", "<script>alert(1)</script>", "1e999"}) {
    CAPTURE(bad);
    CHECK_FALSE(k.list.set_text("n", bad, msg));
    CHECK(k.n == 256);
    CHECK_FALSE(msg.empty());
  }
  CHECK_FALSE(k.list.set_text("n", std::string(1000, '9'), msg));
  CHECK(msg.find("too long") != std::string::npos);
  CHECK_FALSE(k.list.set_text("nope", "1", msg));
  CHECK(msg.find("unknown parameter") != std::string::npos);
  CHECK_FALSE(k.list.set_value("rate", NAN, msg));
  CHECK_FALSE(k.list.set_value("rate", INFINITY, msg));
  CHECK(k.rate == doctest::Approx(0.01));
}

TEST_CASE("choices by name, toggles by word") {
  Knobs k;
  std::string msg;
  CHECK(k.list.set_text("head", "svm", msg));
  CHECK(k.head == 1);
  CHECK(k.list.text(*k.list.find("head")) == "svm");
  CHECK_FALSE(k.list.set_text("head", "hinge", msg));
  CHECK(msg.find("softmax, svm") != std::string::npos);
  CHECK(k.list.set_value("head", 7, msg));  // an index is clamped like any number
  CHECK(k.head == 1);
  CHECK(k.list.set_text("flag", "on", msg));
  CHECK(k.flag);
  CHECK(k.list.set_text("flag", "0", msg));
  CHECK_FALSE(k.flag);
  CHECK_FALSE(k.list.set_text("flag", "maybe", msg));
}

TEST_CASE("seeds are whole numbers in [0, 2^32)") {
  uint64_t seed = 0;
  std::string msg;
  CHECK(Session::parse_seed("7", seed, msg));
  CHECK(seed == 7);
  CHECK(Session::parse_seed("4294967295", seed, msg));
  for (const char* bad : {"-1", "1.5", "4294967296", "abc", "", "nan"}) {
    CAPTURE(bad);
    CHECK_FALSE(Session::parse_seed(bad, seed, msg));
  }
}

TEST_CASE("URL state round trip reproduces lesson, knobs and seed") {
  Session a;
  std::string msg;
  REQUIRE(a.open("two-pass-softmax", msg));
  REQUIRE(a.set("n", "4096", msg));
  REQUIRE(a.set("range", "250", msg));
  REQUIRE(a.set("simd", "0", msg));
  a.reset(99);
  a.embed = true;
  a.hidden_keys = {"simd"};
  const std::string state = a.state_string();
  CHECK(state == "two-pass-softmax?n=4096&range=250&simd=0&seed=99&embed=1&hide=simd");

  Session b;
  CHECK(b.apply_state("#" + state).empty());
  CHECK(b.state_string() == state);
  CHECK(b.seed() == 99);
  CHECK(b.embed);
  CHECK(b.is_hidden("simd"));
  CHECK(b.params_json() == a.params_json());
  // Default knobs are left out of the URL.
  Session c;
  CHECK(c.state_string() == std::string(c.info().id) + "?seed=1");
}

TEST_CASE("apply_state reports every bad part and keeps a safe state") {
  Session s;
  const std::string before = s.info().id;
  auto problems = s.apply_state("no-such-lesson?seed=3");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("unknown lesson") != std::string::npos);
  CHECK(std::string(s.info().id) == before);
  problems = s.apply_state("two-pass-softmax?n=abc&bogus=1&range=1e999&seed=x&hide=n,zzz&n=%3Cscript%3E");
  CHECK(problems.size() == 6);
  CHECK(s.params().text(*s.params().find("n")) == "65536");
  CHECK(s.is_hidden("n"));
  problems = s.apply_state(std::string(5000, 'a'));
  CHECK(problems.size() == 1);
}

TEST_CASE("JS API answers bad input with ok:false and a message, never a crash") {
  std::string r = pg_open("two-pass-softmax");
  CHECK(r.find("\"ok\":true") != std::string::npos);
  r = pg_open("<img src=x>");
  CHECK(r.find("\"ok\":false") != std::string::npos);
  CHECK(r.find("<img") == std::string::npos);  // escaped
  r = pg_set("n", "NaN");
  CHECK(r.find("\"ok\":false") != std::string::npos);
  r = pg_set("range", "1e308");  // clamped (not n: its maximum, 64M elements, is a slow reset)
  CHECK(r.find("\"ok\":true") != std::string::npos);
  CHECK(r.find("\"value\":\"10000\"") != std::string::npos);
  r = pg_set("range", "10");
  r = pg_set("n", "65536");
  r = pg_set("nonexistent", "1");
  CHECK(r.find("unknown parameter") != std::string::npos);
  r = pg_set(nullptr, nullptr);
  CHECK(r.find("\"ok\":false") != std::string::npos);
  r = pg_get("seed");
  CHECK(r.find("\"ok\":true") != std::string::npos);
  r = pg_reset("-3");
  CHECK(r.find("\"ok\":false") != std::string::npos);
  r = pg_step(-1);
  CHECK(r.find("\"ok\":false") != std::string::npos);
  r = pg_apply_state("two-pass-softmax?n=999999999");
  CHECK(r.find("maximum") != std::string::npos);
  r = pg_take_messages();
  CHECK(r.size() > 2);
  CHECK(std::string(pg_take_messages()) == "[]");
}
