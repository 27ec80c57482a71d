// export.cpp - see export.h.
#include "web/export.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "engine/simd.h"
#include "lessons/strings.h"

namespace pg {
namespace {

bool write_file(const std::string& path, const std::string& bytes, std::string& error) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) error = "cannot write " + path;
  return ok && closed;
}

// mkdir -p: every missing parent too.
bool make_dir(const std::string& dir, std::string& error) {
  for (size_t slash = dir.find('/', 1); slash != std::string::npos; slash = dir.find('/', slash + 1)) {
    const std::string parent = dir.substr(0, slash);
    struct stat st;
    if (stat(parent.c_str(), &st) != 0 && mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
      error = "cannot create " + parent + ": " + std::strerror(errno);
      return false;
    }
  }
  struct stat st;
  if (stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return true;
    error = dir + " exists and is not a directory";
    return false;
  }
  if (mkdir(dir.c_str(), 0755) != 0) {
    error = "cannot create " + dir + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

// Keys are the lesson's own snake_case names, but a file name must never
// climb out of DIR: anything outside [A-Za-z0-9_-] becomes '_'.
std::string file_stem(const std::string& key) {
  std::string out;
  for (char c : key) out += (std::isalnum((unsigned char)c) || c == '_' || c == '-') ? c : '_';
  return out.empty() ? "_" : out;
}

std::string csv(const Series& s) {
  std::string out;
  for (size_t c = 0; c < s.columns.size(); ++c) out += (c ? "," : "") + s.columns[c];
  out += "\n";
  char buf[40];
  for (int r = 0; r < s.rows(); ++r) {
    for (int c = 0; c < s.cols(); ++c) {
      const float v = size_t(r) < s.values[size_t(c)].size() ? s.values[size_t(c)][size_t(r)] : NAN;
      if (std::isfinite(v)) std::snprintf(buf, sizeof buf, "%.9g", double(v));
      else std::snprintf(buf, sizeof buf, "%s", std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
      out += (c ? "," : "") + std::string(buf);
    }
    out += "\n";
  }
  return out;
}

void put_le(std::string& out, const void* p, size_t n) {
  // Every platform this builds for (x86-64, wasm32) is little-endian, as NPY's '<' says.
  out.append(static_cast<const char*>(p), n);
}

}  // namespace

std::string npy_bytes(const Array& a) {
  std::string shape = "(";
  for (size_t i = 0; i < a.shape.size(); ++i) shape += std::to_string(a.shape[i]) + (a.shape.size() == 1 ? "," : i + 1 < a.shape.size() ? ", " : "");
  shape += ")";
  std::string header = std::string("{'descr': '") + (a.f64 ? "<f8" : "<f4") + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + header length (2) + header, padded with spaces
  // and ended by '\n' to a multiple of 64 bytes (NPY 1.0).
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  const uint16_t len = uint16_t(header.size());
  put_le(out, &len, 2);
  out += header;
  if (a.f64) put_le(out, a.d.data(), a.d.size() * sizeof(double));
  else put_le(out, a.f.data(), a.f.size() * sizeof(float));
  return out;
}

std::string run_export_json(Session& s) {
  std::string out = s.run_json(/*exact=*/true);
  out.pop_back();
  out += std::string(",\"engine\":{\"platform\":") +
#if defined(__EMSCRIPTEN__)
         "\"wasm\""
#else
         "\"native\""
#endif
         + ",\"simd\":" + json_string(simd::backend_name()) + "},\"series\":{";
  bool first = true;
  char buf[40];
  for (const Series& se : s.lesson().outputs().all_series()) {
    out += (first ? "" : ",") + json_string(se.key) + ":{";
    first = false;
    for (int c = 0; c < se.cols(); ++c) {
      out += (c ? "," : "") + json_string(se.columns[size_t(c)]) + ":[";
      for (int r = 0; r < se.rows(); ++r) {
        const float v = se.values[size_t(c)][size_t(r)];
        if (std::isfinite(v)) std::snprintf(buf, sizeof buf, "%.9g", double(v));
        else std::snprintf(buf, sizeof buf, "null");
        out += (r ? "," : "") + std::string(buf);
      }
      out += "]";
    }
    out += "}";
  }
  return out + "}}";
}

bool export_run(Session& s, const std::string& dir, std::string& error) {
  if (dir.empty()) {
    error = "--export: missing directory";
    return false;
  }
  if (!make_dir(dir, error)) return false;
  const Outputs& o = s.lesson().outputs();
  std::string run = s.run_json(/*exact=*/true);
  run.pop_back();  // the closing brace: add the platform and the file lists
  run += std::string(",\"platform\":") + json_string(std::string(
#if defined(__EMSCRIPTEN__)
                                             "wasm"
#else
                                             "native"
#endif
                                             ) + " " + simd::backend_name());
  run += ",\"series\":[";
  bool first = true;
  for (const Series& se : o.all_series()) run += (first ? "" : ",") + json_string(file_stem(se.key)), first = false;
  run += "],\"arrays\":[";
  first = true;
  for (const Array& a : o.all_arrays())
    if (a.size() > 0) run += (first ? "" : ",") + json_string(file_stem(a.key)), first = false;
  run += "],\"timing_outputs\":[";  // wall-clock measurements: differ run to run
  first = true;
  for (const Series& se : o.all_series())
    if (se.timing) run += (first ? "" : ",") + json_string(file_stem(se.key)), first = false;
  for (const Array& a : o.all_arrays())
    if (a.timing && a.size() > 0) run += (first ? "" : ",") + json_string(file_stem(a.key)), first = false;
  run += "]}\n";
  if (!write_file(dir + "/run.json", run, error)) return false;
  for (const Series& se : o.all_series())
    if (!write_file(dir + "/" + file_stem(se.key) + ".csv", csv(se), error)) return false;
  for (const Array& a : o.all_arrays())  // an array this setting does not fill (e.g. grids for images) is left out
    if (a.size() > 0 && !write_file(dir + "/" + file_stem(a.key) + ".npy", npy_bytes(a), error)) return false;
  return true;
}

}  // namespace pg
