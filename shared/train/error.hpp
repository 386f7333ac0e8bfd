// Error types every layer uses.
//
//   UsageError  - the user gave bad input (argument, file, option). The CLI prints
//                 its message on one line and exits with status 2.
//   Interrupted - Ctrl-C: the command stopped at a safe point; the CLI exits with 130.
//   ShardError  - a shard's forward/backward failed inside a worker. Patterns carry
//                 it back to the caller of Pattern::step; it names the shard.
#pragma once
#include <stdexcept>
#include <string>

namespace gd {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ShardError : std::runtime_error {
  ShardError(int shard, const std::string& what)
      : std::runtime_error("shard " + std::to_string(shard) + ": " + what), shard(shard) {}
  int shard;
};

// The user pressed Ctrl-C; the command stopped cleanly. The CLI exits with 130.
struct Interrupted : std::exception {
  const char* what() const noexcept override { return "interrupted"; }
};

}  // namespace gd
