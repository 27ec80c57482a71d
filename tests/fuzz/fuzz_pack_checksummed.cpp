// fuzz_pack_checksummed.cpp - fuzz_pack with the checksum rewritten after
// mutation (see fuzz_pack.cpp).
#define PG_FUZZ_FIX_CHECKSUM 1
#include "tests/fuzz/fuzz_pack.cpp"
