// models::TxnArray: entries by transaction id, dropped below the ledger's release point.
#include <catch2/catch.hpp>

#include <cstdint>
#include <utility>

#include "models/txn_array.hpp"

TEST_CASE("TxnArray: entries below the release point are dropped, chunk by chunk", "[models][memory]") {
  constexpr uint64_t kChunk = models::TxnArray<uint32_t>::kChunk;
  uint64_t released = 0;
  models::TxnArray<uint32_t> a(7);
  a.follow(&released);
  CHECK(a.get(5) == 7);  // never made: the fill
  CHECK(a.find(5) == nullptr);
  a.at(5) = 1;
  a.at(kChunk + 1) = 2;
  CHECK(a.get(5) == 1);
  CHECK(a.get(kChunk + 1) == 2);
  CHECK(a.get(kChunk + 2) == 7);  // made with its chunk, not written
  CHECK(a.chunks_held() == 2);
  // Released up to the middle of the second chunk: the first chunk goes when a chunk is
  // next made; the second stays (ids above the release point live in it).
  released = kChunk + kChunk / 2;
  a.at(2 * kChunk) = 3;
  CHECK(a.chunks_held() == 2);
  CHECK(a.get(5) == 7);
  CHECK(a.find(5) == nullptr);
  CHECK(a.get(kChunk + 1) == 2);
  // A write to a released id goes nowhere.
  a.at(6) = 9;
  CHECK(a.get(6) == 7);
  // A long run: memory and the index stay bounded by what is not released.
  for (uint64_t id = 0; id < 1000 * kChunk; id += kChunk / 4) {
    a.at(id) = 1;
    released = id > 3 * kChunk ? id - 3 * kChunk : 0;
  }
  CHECK(a.chunks_held() <= 5);
  CHECK(a.index_size() <= 200);
  // Without a release point everything is kept.
  models::TxnArray<uint32_t> all;
  for (uint64_t id = 0; id < 10 * kChunk; id += kChunk) all.at(id) = 1;
  CHECK(all.chunks_held() == 10);
}

TEST_CASE("TxnArray: the chunk kept at hand never outlives its release or a move", "[models][memory]") {
  constexpr uint64_t kChunk = models::TxnArray<uint32_t>::kChunk;
  uint64_t released = 0;
  models::TxnArray<uint32_t> a(7);
  a.follow(&released);
  a.at(1) = 1;            // chunk 0, now at hand
  a.at(kChunk + 1) = 2;   // chunk 1
  CHECK(a.get(1) == 1);   // back to chunk 0 through the index
  CHECK(a.get(kChunk + 1) == 2);
  CHECK(*a.find(1) == 1);
  // Chunk 0 is at hand when it is released and freed (by the making of chunk 2): reads of
  // it give the fill, and a write goes nowhere, as for any released id.
  CHECK(a.get(2) == 7);
  released = kChunk;
  a.at(2 * kChunk) = 3;
  CHECK(a.chunks_held() == 2);
  a.at(1) = 5;
  CHECK(a.get(1) == 7);
  CHECK(a.find(1) == nullptr);
  CHECK(a.get(kChunk + 1) == 2);
  // A moved array keeps its entries; the moved-from one holds none, at hand or not.
  CHECK(a.get(2 * kChunk) == 3);  // chunk 2 at hand
  models::TxnArray<uint32_t> b(std::move(a));
  CHECK(b.get(2 * kChunk) == 3);
  CHECK(b.get(kChunk + 1) == 2);
  CHECK(a.chunks_held() == 0);  // NOLINT(bugprone-use-after-move): checked on purpose
  CHECK(a.find(2 * kChunk) == nullptr);
  models::TxnArray<uint32_t> c;
  c.at(3) = 4;
  c = std::move(b);
  CHECK(c.get(2 * kChunk) == 3);
  CHECK(c.get(3) == 7);  // c's own chunk went with the assignment
}
