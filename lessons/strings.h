// strings.h - small text utilities shared by the parameter layer, the URL state,
// the CLI and the JSON the JS API returns.  Everything that turns untrusted
// text into values, or values into text that a page will show, is here.
#pragma once
#include <string>
#include <vector>

namespace pg {

// Shortest round-trip-ish text for a parameter or metric ("0.1", "65536", "1e-05").
std::string format_number(double v);
// Strict: the whole string must be a finite decimal number.  "1e308" passes,
// "1e999", "nan", "inf", "0x10", "" and "12abc" do not.
bool parse_number(const std::string& text, double& out);
std::string trim(const std::string& s);
// For messages: control characters and non-ASCII replaced by '?', cut at 40.
std::string printable(const std::string& s);
// %XX decoding for URL components ('+' stays '+').  Invalid escapes kept as is.
std::string percent_decode(const std::string& s);
// Percent-encode everything outside [A-Za-z0-9._~-].
std::string percent_encode(const std::string& s);
std::vector<std::string> split(const std::string& s, char sep);

// A minimal JSON writer: enough for the CLI and the JS API, with correct
// string escaping (so a message containing quotes or markup stays a string).
std::string json_string(const std::string& s);
std::string json_number(double v);        // %.9g; non-finite numbers become null
std::string json_number_exact(double v);  // %.17g: reads back to the same double

}  // namespace pg
