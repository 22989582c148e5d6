// models::Token: what a timer, a job, a lock owner or a timeout entry is about, packed into
// the one 64-bit word the kernel carries (a timer's payload, a job's token, a key).
//
// Fields, from the top bit down:
//   txn   40 bits  the transaction (ledger ids are dense from 0: 10^12 transactions)
//   part  12 bits  a part of the step: a nested call, an input topic; 0 for the step itself
//   step   6 bits  the workflow step (or the behavior's own index of it)
//   kind   6 bits  what the word is for: the behavior's own enumeration
// Every pattern packs and unpacks through here, so the widths are checked in one place.
// A timeout queue's tag is a Token of its own kind (txn, part and step 0), so a behavior
// tells its timers from its queues by kind alone.
#pragma once

#include <cstdint>

#include "models/limits.hpp"
#include "sim/assert.hpp"

namespace models {

struct Token {
  static constexpr unsigned kKindBits = 6, kStepBits = 6, kPartBits = 12, kTxnBits = 40;
  static_assert(kKindBits + kStepBits + kPartBits + kTxnBits == 64, "a Token fills one word");
  static_assert(kMaxSteps <= (1u << kStepBits), "every step index fits a Token");
  static constexpr uint64_t kMaxTxn = (uint64_t{1} << kTxnBits) - 1;
  static constexpr uint32_t kMaxPart = (1u << kPartBits) - 1;
  static constexpr uint32_t kMaxKind = (1u << kKindBits) - 1;

  uint64_t txn = 0;
  uint32_t step = 0;
  uint32_t kind = 0;
  uint32_t part = 0;

  constexpr uint64_t pack() const {
    SIM_ASSERT(txn <= kMaxTxn && step < (1u << kStepBits) && part <= kMaxPart && kind <= kMaxKind,
               "a Token field is out of range");
    return (txn << (kPartBits + kStepBits + kKindBits)) |
           (uint64_t{part} << (kStepBits + kKindBits)) | (uint64_t{step} << kKindBits) | kind;
  }
  static constexpr Token unpack(uint64_t w) {
    Token t;
    t.kind = static_cast<uint32_t>(w & kMaxKind);
    t.step = static_cast<uint32_t>((w >> kKindBits) & ((1u << kStepBits) - 1));
    t.part = static_cast<uint32_t>((w >> (kStepBits + kKindBits)) & kMaxPart);
    t.txn = w >> (kPartBits + kStepBits + kKindBits);
    return t;
  }
  // The tag of a timeout queue (or any word that names only a kind).
  static constexpr uint64_t tag(uint32_t kind) { return Token{0, 0, kind, 0}.pack(); }
};

constexpr uint64_t pack(uint64_t txn, uint32_t step, uint32_t kind, uint32_t part = 0) {
  return Token{txn, step, kind, part}.pack();
}

// A job's subject (sim::Job::subject, shown to observers): the transaction, and the step it
// works on or kNoStep (an entry's request, a participant's commit work).
constexpr uint32_t kNoStep = (1u << Token::kStepBits) - 1;
static_assert(kMaxSteps < kNoStep, "kNoStep is no step index");
constexpr uint64_t subject(uint64_t txn, uint32_t step = kNoStep) {
  return Token{txn, step, 0, 0}.pack();
}

static_assert(Token::unpack(pack(Token::kMaxTxn, 31, 63, 4095)).txn == Token::kMaxTxn);
static_assert(Token::unpack(pack(12345, 7, 3, 99)).step == 7);
static_assert(Token::unpack(pack(12345, 7, 3, 99)).part == 99);
static_assert(Token::unpack(pack(12345, 7, 3, 99)).kind == 3);

}  // namespace models
