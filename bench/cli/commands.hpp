// The gdlab command-line tool: one function per subcommand, each adding itself to the app.
#pragma once
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace gd {
struct Dataset;
}

namespace gd::cli {

// For an option whose empty value would otherwise quietly mean "not given" (a file name,
// layer sizes): `--save ''` is a mistake to report, not a request to skip saving.
inline const CLI::Validator kNotEmpty(
    [](std::string& v) { return v.empty() ? std::string("must not be empty") : std::string(); }, "");

// For --seed: a whole number from 0 to `max`, in decimal digits. CLI11 alone takes "-1", which
// wraps around in an unsigned option, and numbers too large for the option's type.
CLI::Validator seed_range(std::uint64_t max);

// --kernels NAME: the backend of the step's matrix products for this run (train/gemm.hpp).
// add_kernels_option adds it to `cmd`; apply_kernels switches to it ("" keeps the one the
// build starts with) or throws a UsageError naming the backends this build has.
void add_kernels_option(CLI::App* cmd, std::string* value);
void apply_kernels(const std::string& value);

// "a,b,,c" -> {"a", "b", "c"}: a comma-separated option value, empty items dropped.
std::vector<std::string> split(const std::string& s);
// A comma-separated list of distinct integers in [lo, hi] ("auto" -> 0 where allowed), or
// a UsageError naming `option`.
std::vector<int> int_list(const std::string& s, const char* option, int lo, int hi, bool allow_auto = false);

// --blocks N for a model of these layers: a UsageError naming the most it takes.
void check_blocks(const std::vector<int>& layers, int blocks);

// The layers a command uses for `d` when --layers is not given: input = its features,
// output = its classes (or targets), hidden layers by the kind of data.
std::string default_layers(const Dataset& d);
// `layers` with its first and last sizes replaced by d's features and outputs: what a
// --layers that does not fit the data should have been, for the error message.
std::string layers_fitting(std::vector<int> layers, const Dataset& d);

// Ctrl-C as a request to stop. While a CtrlC is alive, the first SIGINT only sets a flag
// (and writes `notice` to stderr, if given), which a long job polls where stopping is
// safe: between steps, cells or charts. SA_RESETHAND restores the default action, so a
// second Ctrl-C kills the process at once. The destructor puts the previous action back,
// unless `restore` is false: then a Ctrl-C until the process ends still only sets the
// flag, for a job whose last act (putting its output in place) must not be cut short.
// One at a time: a second CtrlC would take over the first one's flag.
class CtrlC {
 public:
  explicit CtrlC(const char* notice = nullptr, bool restore = true);
  ~CtrlC();
  CtrlC(const CtrlC&) = delete;
  CtrlC& operator=(const CtrlC&) = delete;
  static bool pressed();

 private:
  struct sigaction old_ {};
  bool restore_;
};

// The tool's own command line as main() received it: gdlab train --ranks N starts the same
// command again in every rank.
void set_program_args(int argc, char** argv);
const std::vector<std::string>& program_args();

void add_train(CLI::App& app);
void add_patterns(CLI::App& app);
void add_matrix(CLI::App& app);
void add_report(CLI::App& app);
void add_soak(CLI::App& app);

}  // namespace gd::cli
