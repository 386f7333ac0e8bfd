// Reading and writing whole files: every file gdlab reads or writes goes through these
// two, so each one fails the same way (a UsageError naming the file) and none is ever
// left half-written.
#pragma once
#include <cstdint>
#include <string>

namespace gd {

// The bytes of `path`, which must be an existing regular file of at most max_bytes.
// `kind` names what it should be ("results file"), `too_large` why a larger one is
// refused ("larger than the 256 MiB limit for a results file"). Throws UsageError:
// "PATH: no such KIND", "PATH: not a regular file", "PATH: TOO_LARGE", "PATH: cannot read it (...)".
std::string read_file_limited(const std::string& path, std::uintmax_t max_bytes, const std::string& kind,
                              const std::string& too_large);

// Writes `bytes` to path atomically: a temporary file beside it, then rename. A crash
// leaves the old file or the new one, never a mix. Throws UsageError.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace gd
