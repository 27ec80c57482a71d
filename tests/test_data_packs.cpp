// test_data_packs.cpp - the binary data-pack format: round trip, checksum, and
// rejection (with a message) of truncated, padded and corrupt packs.  The
// packs are built in memory; the real ones in build/data are checked when present.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/data/pack.h"
#include "lessons/packs.h"

static data::Pack tiny_pack() {
  data::Pack p;
  p.name = "tiny";
  p.count = 5;
  p.train_count = 3;
  p.rows = 2;
  p.cols = 3;
  p.classes = 3;
  p.value_max = 255;
  for (int i = 0; i < p.count * p.rows * p.cols; ++i) p.pixels.push_back(uint8_t(i * 37));
  p.labels = {0, 1, 2, 2, 1};
  return p;
}

static bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

TEST_CASE("FNV-1a 64 reference values") {
  CHECK(data::fnv1a64(nullptr, 0) == 0xcbf29ce484222325ull);
  CHECK(data::fnv1a64(reinterpret_cast<const uint8_t*>("a"), 1) == 0xaf63dc4c8601ec8cull);
  CHECK(data::fnv1a64(reinterpret_cast<const uint8_t*>("foobar"), 6) == 0x85944171f73967e8ull);
}

TEST_CASE("pack round trip: header, pixels, labels, checksum") {
  const data::Pack p = tiny_pack();
  const std::vector<uint8_t> bytes = data::encode_pack(p);
  REQUIRE(bytes.size() == data::kPackHeaderSize + 30 + 5);
  data::Pack q;
  std::string error;
  REQUIRE_MESSAGE(data::load_pack(bytes.data(), bytes.size(), q, error), error);
  CHECK(error.empty());
  CHECK(q.name == "tiny");
  CHECK(q.count == 5);
  CHECK(q.train_count == 3);
  CHECK(q.rows == 2);
  CHECK(q.cols == 3);
  CHECK(q.classes == 3);
  CHECK(q.value_max == 255);
  CHECK(q.pixels == p.pixels);
  CHECK(q.labels == p.labels);
  CHECK(q.checksum == data::pack_checksum(bytes.data(), bytes.size()));

  data::Dataset train, test;
  data::pack_to_datasets(q, train, test);
  CHECK(train.n == 3);
  CHECK(test.n == 2);
  CHECK(train.dim == 6);
  CHECK(train.height == 2);
  CHECK(train.width == 3);
  CHECK(test.y == std::vector<int>{2, 1});
  std::vector<float> row(6);
  test.row(1, row.data());  // image 4: pixels 24..29
  CHECK(row[0] == doctest::Approx(uint8_t(24 * 37) / 255.0f));
}

TEST_CASE("truncated packs are rejected with a message") {
  const std::vector<uint8_t> bytes = data::encode_pack(tiny_pack());
  data::Pack q;
  std::string error;
  for (size_t n : {size_t(0), size_t(10), data::kPackHeaderSize - 1, data::kPackHeaderSize, bytes.size() - 1}) {
    CAPTURE(n);
    CHECK_FALSE(data::load_pack(bytes.data(), n, q, error));
    CHECK(contains(error, "truncated"));
    CHECK(contains(error, "make_data_packs"));
  }
  CHECK_FALSE(data::load_pack(nullptr, 0, q, error));
}

TEST_CASE("corrupt packs are rejected with a message") {
  const std::vector<uint8_t> good = data::encode_pack(tiny_pack());
  data::Pack q;
  std::string error;

  SUBCASE("one flipped pixel fails the checksum") {
    std::vector<uint8_t> bad = good;
    bad[data::kPackHeaderSize + 7] ^= 0x01;
    CHECK_FALSE(data::load_pack(bad.data(), bad.size(), q, error));
    CHECK(contains(error, "checksum"));
  }
  SUBCASE("a changed label fails the checksum") {
    std::vector<uint8_t> bad = good;
    bad.back() = 0;
    CHECK_FALSE(data::load_pack(bad.data(), bad.size(), q, error));
    CHECK(contains(error, "checksum"));
  }
  SUBCASE("wrong magic") {
    std::vector<uint8_t> bad = good;
    bad[0] = 'X';
    CHECK_FALSE(data::load_pack(bad.data(), bad.size(), q, error));
    CHECK(contains(error, "not a data pack"));
  }
  SUBCASE("unsupported version") {
    std::vector<uint8_t> bad = good;
    bad[4] = 9;
    CHECK_FALSE(data::load_pack(bad.data(), bad.size(), q, error));
    CHECK(contains(error, "version 9"));
  }
  SUBCASE("absurd header fields") {
    std::vector<uint8_t> bad = good;
    bad[8] = 0xff, bad[9] = 0xff, bad[10] = 0xff, bad[11] = 0xff;  // count 4 billion
    CHECK_FALSE(data::load_pack(bad.data(), bad.size(), q, error));
    CHECK(contains(error, "header is corrupt"));
    bad = good;
    bad[12] = 6;  // train_count > count
    CHECK_FALSE(data::load_pack(bad.data(), bad.size(), q, error));
    CHECK(contains(error, "header is corrupt"));
  }
  SUBCASE("a changed header field fails the checksum (version 2 covers the header)") {
    std::vector<uint8_t> bad = good;
    bad[12] = 4;  // train_count 3 -> 4: still a valid split, so only the checksum can tell
    CHECK_FALSE(data::load_pack(bad.data(), bad.size(), q, error));
    CHECK(contains(error, "checksum"));
    bad = good;
    bad[40] = 'X';  // the name
    CHECK_FALSE(data::load_pack(bad.data(), bad.size(), q, error));
    CHECK(contains(error, "checksum"));
  }
  SUBCASE("a split a lesson cannot train on is rejected, even with a matching checksum") {
    for (int train : {0, 5}) {  // no training images; no test images
      CAPTURE(train);
      data::Pack p = tiny_pack();
      p.train_count = train;
      const std::vector<uint8_t> bad = data::encode_pack(p);
      CHECK_FALSE(data::load_pack(bad.data(), bad.size(), q, error));
      CHECK(contains(error, "header is corrupt"));
    }
    data::Pack p = tiny_pack();
    p.classes = 1;
    p.labels.assign(5, 0);
    const std::vector<uint8_t> bad = data::encode_pack(p);
    CHECK_FALSE(data::load_pack(bad.data(), bad.size(), q, error));
  }
  SUBCASE("trailing bytes") {
    std::vector<uint8_t> bad = good;
    bad.push_back(0);
    CHECK_FALSE(data::load_pack(bad.data(), bad.size(), q, error));
    CHECK(contains(error, "trailing"));
  }
  SUBCASE("a label outside the classes, with a matching checksum") {
    data::Pack p = tiny_pack();
    p.labels[2] = 7;
    const std::vector<uint8_t> bad = data::encode_pack(p);
    CHECK_FALSE(data::load_pack(bad.data(), bad.size(), q, error));
    CHECK(contains(error, "label 7"));
  }
  CHECK(q.count == 0);  // a rejected load leaves an empty pack
}

TEST_CASE("missing pack file gives a message naming the file and the fix") {
  data::Pack q;
  std::string error;
  CHECK_FALSE(data::load_pack_file("build/data/no-such.pack", q, error));
  CHECK(contains(error, "no-such.pack"));
  CHECK(contains(error, "make_data_packs"));
}

// scripts/build makes the packs before scripts/test runs: a missing pack is a
// failure here, not a skipped check.
TEST_CASE("the converted packs in pack_directory() load and have the documented shapes") {
  struct Expected {
    const char* name;
    int rows, classes, count, value_max;
  };
  const Expected packs[] = {
      {"digits", 8, 10, 1797, 16},
      {"mnist", 28, 10, 10000, 255},
      {"fashion-mnist", 28, 10, 10000, 255},
  };
  for (const Expected& e : packs) {
    const std::string path = pg::pack_directory() + "/" + e.name + ".pack";
    CAPTURE(path);
    std::FILE* f = std::fopen(path.c_str(), "rb");
    REQUIRE_MESSAGE(f != nullptr, path << " is missing; scripts/build makes it (node scripts/make_data_packs.mjs)");
    std::fclose(f);
    data::Pack p;
    std::string error;
    REQUIRE_MESSAGE(data::load_pack_file(path, p, error), error);
    CHECK(p.rows == e.rows);
    CHECK(p.cols == e.rows);
    CHECK(p.classes == e.classes);
    CHECK(p.count == e.count);
    CHECK(p.value_max == e.value_max);
    CHECK(p.train_count * 5 >= p.count * 4 - 10);  // about 80% train
    data::Dataset train, test;
    data::pack_to_datasets(p, train, test);
    for (int c : test.class_counts()) CHECK(c > 0);
  }
}

TEST_CASE("a pack the page delivers twice, or after a failure, is ignored safely") {
  pg::clear_pack_cache();
  static std::string fetched;
  pg::set_pack_fetcher([](const std::string& name) { fetched = name; });
  pg::PackStatus st = pg::request_pack("digits");
  CHECK(st.state == pg::PackState::loading);
  CHECK(fetched == "digits");
  pg::pack_progress("digits", 500, 1000);
  CHECK(pg::request_pack("digits").progress == doctest::Approx(0.5));
  CHECK(pg::request_pack("digits").received_bytes == 500);
  CHECK(pg::request_pack("digits").total_bytes == 1000);
  // Whatever the page says, the numbers stay sane: unknown size, NaN, received > total.
  pg::pack_progress("digits", 300, 0);
  CHECK(pg::request_pack("digits").progress == 0);
  CHECK(pg::request_pack("digits").received_bytes == 300);
  pg::pack_progress("digits", NAN, -5);
  CHECK(pg::request_pack("digits").received_bytes == 0);
  pg::pack_progress("digits", 2000, 1000);
  CHECK(pg::request_pack("digits").received_bytes == 1000);
  CHECK(pg::request_pack("digits").progress == 1);
  const uint8_t garbage[10] = {1, 2, 3};
  pg::pack_arrived("digits", garbage, sizeof garbage, "");
  CHECK(pg::request_pack("digits").state == pg::PackState::failed);
  // A second delivery for the failed entry (the old code dereferenced a null pack).
  const std::vector<uint8_t> good = data::encode_pack(tiny_pack());
  pg::pack_arrived("digits", good.data(), good.size(), "");
  pg::pack_arrived("digits", nullptr, 0, "network error");
  pg::pack_arrived("never-asked", good.data(), good.size(), "");
  CHECK(pg::request_pack("digits").state == pg::PackState::failed);
  pg::pack_progress("never-asked", 2.0, 1.0);
  pg::set_pack_fetcher(nullptr);
  pg::clear_pack_cache();
}
