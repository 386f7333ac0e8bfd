// Shared by the libFuzzer targets: the readers under test take file names, so each
// input is written to a private temporary file first.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace gdfuzz {

// A file under $TMPDIR (or /tmp) holding the bytes; removed by the destructor.
class TempFile {
 public:
  TempFile(const std::uint8_t* data, std::size_t size, const char* tag) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir ? dir : "/tmp") + "/gdlab-fuzz-" + tag + "-" + std::to_string(::getpid());
    FILE* f = std::fopen(path_.c_str(), "wb");
    if (f) {
      if (size) std::fwrite(data, 1, size, f);
      std::fclose(f);
    }
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace gdfuzz
