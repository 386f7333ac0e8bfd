// Helpers shared by the subcommands: option lists and Ctrl-C.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <sstream>

#include "commands.hpp"
#include "train/data.hpp"
#include "train/error.hpp"
#include "train/gemm.hpp"
#include "train/model.hpp"

namespace gd::cli {

void add_kernels_option(CLI::App* cmd, std::string* value) {
  std::string names;
  for (Kernels k : available_kernels()) names += std::string(names.empty() ? "" : " | ") + std::string(kernels_name(k));
  cmd->add_option("--kernels", *value,
                  "Backend of the step's matrix products: " + names + " (default " +
                      std::string(kernels_name(available_kernels().front())) + ")")
      ->check(kNotEmpty);
}

void apply_kernels(const std::string& value) {
  if (value.empty()) return;
  std::string names;
  for (Kernels k : available_kernels())
    names += std::string(names.empty() ? "" : " or ") + std::string(kernels_name(k));
  try {
    use_kernels(kernels_from_name(value));
  } catch (const std::invalid_argument&) {
    throw UsageError("--kernels " + value + ": this build has " + names);
  }
}

CLI::Validator seed_range(std::uint64_t max) {
  return CLI::Validator(
      [max](std::string& v) {
        std::uint64_t n = 0;
        const char* end = v.data() + v.size();
        const auto [at, ec] = std::from_chars(v.data(), end, n);
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || ec != std::errc() || at != end ||
            n > max)
          return fmt::format("'{}' is not a seed: use a whole number from 0 to {}", v, max);
        return std::string();
      },
      "UINT");
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

void check_blocks(const std::vector<int>& layers, int blocks) {
  if (blocks < 1) throw UsageError("--blocks must be at least 1 (1: every layer in one block)");
  if (blocks > max_blocks(layers))
    throw UsageError(fmt::format("--blocks {} is more than the {} neurons of the narrowest layer of {}: use at most {}",
                                 blocks, max_blocks(layers), layers_string(layers), max_blocks(layers)));
}

std::vector<int> int_list(const std::string& s, const char* option, int lo, int hi, bool allow_auto) {
  std::vector<int> out;
  for (const std::string& item : split(s)) {
    if (allow_auto && item == "auto") {
      out.push_back(0);
      continue;
    }
    std::size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || v < lo || v > hi)
      throw UsageError(fmt::format("{} '{}': expected a comma-separated list of integers in {}..{}{}", option, s, lo,
                                   hi, allow_auto ? " or 'auto'" : ""));
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  if (out.empty()) throw UsageError(fmt::format("{} is empty", option));
  return out;
}

std::string default_layers(const Dataset& d) {
  if (d.name == "xor") return "2-8-2";
  if (d.name == "spirals") return "2-32-32-2";
  if (!d.classification) return fmt::format("{}-16-{}", d.features, d.outputs);
  return fmt::format("{}-256-128-{}", d.features, d.outputs);
}

std::string layers_fitting(std::vector<int> layers, const Dataset& d) {
  layers.front() = d.features;
  layers.back() = d.outputs;
  return layers_string(layers);
}

namespace {
// Only what a signal handler may touch: lock-free atomics, set before the handler is
// installed (it may run on any thread).
std::atomic<bool> g_pressed{false};
std::atomic<const char*> g_notice{nullptr};

extern "C" void on_sigint(int) {
  g_pressed.store(true);
  if (const char* notice = g_notice.load()) {
    ssize_t ignored = ::write(2, notice, std::strlen(notice));  // write(2) is async-signal-safe
    (void)ignored;
  }
}
}  // namespace

CtrlC::CtrlC(const char* notice, bool restore) : restore_(restore) {
  g_pressed.store(false);
  g_notice.store(notice);
  // The handler runs on a stack of its own, not below the interrupted code's stack pointer:
  // the kernel writes a signal's frame there, and oneDNN's generated kernels keep data
  // below the stack pointer, which that frame would overwrite (a corrupted heap, later).
  // The kernel gives a signal sent to the process to its main thread, this one, first.
  static std::vector<char> own_stack(std::size_t(64) << 10);
  stack_t ss{};
  ss.ss_sp = own_stack.data();
  ss.ss_size = own_stack.size();
  sigaltstack(&ss, nullptr);
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_);
}

CtrlC::~CtrlC() {
  if (restore_) sigaction(SIGINT, &old_, nullptr);
}

bool CtrlC::pressed() { return g_pressed.load(); }

namespace {
std::vector<std::string> g_program_args;
}
void set_program_args(int argc, char** argv) { g_program_args.assign(argv, argv + argc); }
const std::vector<std::string>& program_args() { return g_program_args; }

}  // namespace gd::cli
