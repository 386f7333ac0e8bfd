#include "train/files.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "train/error.hpp"

namespace gd {

std::string read_file_limited(const std::string& path, std::uintmax_t max_bytes, const std::string& kind,
                              const std::string& too_large) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) throw UsageError(path + ": no such " + kind);
  if (!fs::is_regular_file(path, ec)) throw UsageError(path + ": not a regular file");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw UsageError(path + ": cannot read it (" + ec.message() + ")");
  if (size > max_bytes) throw UsageError(path + ": " + too_large);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(path + ": cannot read it (" + std::strerror(errno) + ")");
  std::string bytes(std::size_t(size), '\0');  // one copy, read in place
  in.read(bytes.data(), std::streamsize(bytes.size()));
  if (std::size_t(in.gcount()) != bytes.size()) throw UsageError(path + ": cannot read it (it changed while read)");
  return bytes;
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw UsageError(path + ": cannot write (does the folder exist?)");
    out.write(bytes.data(), std::streamsize(bytes.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw UsageError(path + ": write failed (disk full?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw UsageError(path + ": cannot replace (" + ec.message() + ")");
  }
}

}  // namespace gd
