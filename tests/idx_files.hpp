// Writes small MNIST-layout IDX files for tests, optionally gzip-compressed or damaged.
#pragma once
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "file_helpers.hpp"

namespace gdtest {

inline void put_be32(std::string& s, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(char((v >> shift) & 0xff));
}

inline std::string idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols, std::uint32_t magic = 0x803) {
  std::string s;
  put_be32(s, magic);
  put_be32(s, n);
  put_be32(s, rows);
  put_be32(s, cols);
  for (std::uint32_t i = 0; i < n * rows * cols; ++i) s.push_back(char((i * 37) % 256));
  return s;
}

// Labels 0, 1, ..., classes - 1, 0, 1, ...
inline std::string idx_labels(std::uint32_t n, std::uint32_t magic = 0x801, std::uint32_t classes = 10) {
  std::string s;
  put_be32(s, magic);
  put_be32(s, n);
  for (std::uint32_t i = 0; i < n; ++i) s.push_back(char(i % classes));
  return s;
}

// Writes the bytes plain, or gzip-compressed when gz (write(p, bytes) is file_helpers.hpp's).
inline void write(const std::filesystem::path& p, const std::string& bytes, bool gz) {
  if (!gz) return write(p, bytes);
  gzFile f = gzopen(p.c_str(), "wb");
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
}

// A fresh, empty folder under the system's temporary directory.
inline std::filesystem::path temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("gdlab-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

// A complete MNIST-layout folder: train n x rows x cols, test n/2, labels cycling through the classes.
inline std::filesystem::path mnist_dir(const std::string& name, std::uint32_t n, bool gz, std::uint32_t rows = 28,
                                       std::uint32_t cols = 28, std::uint32_t classes = 10) {
  auto d = temp_dir(name);
  std::string sfx = gz ? ".gz" : "";
  write(d / ("train-images-idx3-ubyte" + sfx), idx_images(n, rows, cols), gz);
  write(d / ("train-labels-idx1-ubyte" + sfx), idx_labels(n, 0x801, classes), gz);
  write(d / ("t10k-images-idx3-ubyte" + sfx), idx_images(n / 2, rows, cols), gz);
  write(d / ("t10k-labels-idx1-ubyte" + sfx), idx_labels(n / 2, 0x801, classes), gz);
  return d;
}

}  // namespace gdtest
