// Small file helpers shared by the report tests.
#pragma once
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace gdtest {

inline std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// A fresh folder under the system's temp folder, removed when the object goes away.
struct Scratch {
  std::filesystem::path dir;
  explicit Scratch(const std::string& tag = "test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / ("gdlab-" + tag + "-XXXXXX")).string();
    dir = mkdtemp(tmpl.data());
  }
  ~Scratch() { std::filesystem::remove_all(dir); }
};

}  // namespace gdtest
