// Bad input, surveyed: every subcommand and every file the tool reads or writes, given
// missing, empty, truncated, oversized and wrong-type input. Every case must end with
// exit status 2, one "gdlab: error:" line that names the problem, no crash, and the
// folder it ran in exactly as it was: no output file, no temporary file, nothing older
// overwritten. Then the good input next to the bad (an IDX folder of another shape
// trains; a --save target that refuses new files is found before training), and Ctrl-C
// during gdlab report (train and matrix: test_cli.cpp and test_matrix_cli.cpp).
//
// Each case runs the real tool in a fresh folder holding the fixtures below, under a
// 4 GiB address-space limit: an input that slips past a size check fails the case with
// an allocation error instead of exhausting the machine.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_helpers.hpp"
#include "file_helpers.hpp"
#include "idx_files.hpp"
#include "train/model.hpp"
#include "train/weights.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kSource = GDLAB_SOURCE_DIR;

// A file of `bytes` bytes that takes no disk space (a hole): the size checks must refuse
// it from its size alone, before reading it.
void sparse(const fs::path& p, std::uintmax_t bytes) {
  gdtest::write(p, "");
  fs::resize_file(p, bytes);
}

std::string cut(const std::string& s) { return s.substr(0, s.size() / 2); }

// A weights header that promises 784-65536-65536-10 (4.3 G parameters) and holds none.
std::string weights_huge_header() {
  std::string s = "GDLABW02";
  auto u32 = [&](std::uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); };
  u32(4);
  for (std::uint32_t l : {784u, 65536u, 65536u, 10u}) u32(l);
  u32(0);  // relu
  u32(0);  // cross-entropy
  const std::uint64_t count = 784ull * 65536 + 65536 + 65536ull * 65536 + 65536 + 65536ull * 10 + 10;
  s.append(reinterpret_cast<const char*>(&count), 8);
  return s;
}

// A valid MNIST-layout folder of 8 training and 4 test images; each fixture then damages one file.
fs::path idx_folder(const fs::path& dir) {
  fs::create_directories(dir);
  gdtest::write(dir / "train-images-idx3-ubyte", gdtest::idx_images(8, 28, 28));
  gdtest::write(dir / "train-labels-idx1-ubyte", gdtest::idx_labels(8));
  gdtest::write(dir / "t10k-images-idx3-ubyte", gdtest::idx_images(4, 28, 28));
  gdtest::write(dir / "t10k-labels-idx1-ubyte", gdtest::idx_labels(4));
  return dir;
}

// A valid MNIST-layout folder of 24 training and 12 test images of rows x cols, labels 0..classes-1.
fs::path idx_shape_folder(const fs::path& dir, std::uint32_t rows, std::uint32_t cols, std::uint32_t classes) {
  fs::create_directories(dir);
  gdtest::write(dir / "train-images-idx3-ubyte", gdtest::idx_images(24, rows, cols));
  gdtest::write(dir / "train-labels-idx1-ubyte", gdtest::idx_labels(24, 0x801, classes));
  gdtest::write(dir / "t10k-images-idx3-ubyte", gdtest::idx_images(12, rows, cols));
  gdtest::write(dir / "t10k-labels-idx1-ubyte", gdtest::idx_labels(12, 0x801, classes));
  return dir;
}

// Everything a case may name, made afresh in the folder it runs in.
void make_fixtures(const fs::path& d) {
  gdtest::write(d / "empty", "");
  gdtest::write(d / "notes.txt", "these are notes, not data\n");
  fs::create_directories(d / "folder");

  // Weights: a valid 2-8-2 model (it fits --data xor), then damaged copies.
  gd::Model m(gd::ModelSpec{{2, 8, 2}});
  m.init(1);
  gd::save_weights((d / "w.bin").string(), m);
  gdtest::write(d / "w-truncated.bin", cut(gdtest::read(d / "w.bin")));
  gdtest::write(d / "w-huge-header.bin", weights_huge_header());
  sparse(d / "w-huge.bin", (std::uintmax_t(1) << 30) + 1024);  // over 1 GiB of weights

  // Results files of gdlab matrix.
  const std::string results = gdtest::read(kSource / "tests" / "data" / "results-2core.json");
  gdtest::write(d / "r.json", results);
  gdtest::write(d / "r-truncated.json", cut(results));
  sparse(d / "r-huge.json", (std::uintmax_t(256) << 20) + 1);
  gdtest::write(d / "r-shape.json", R"({"schema": "gdlab-results", "version": 1, "environment": [1, 2]})");
  std::string no_cells = results;  // the cells moved under a key the reader ignores
  no_cells.replace(no_cells.find("\"cells\": ["), 10, "\"cells\": [], \"old_cells\": [");
  gdtest::write(d / "r-no-cells.json", no_cells);

  // Google Benchmark JSON for matrix --primitives.
  gdtest::write(d / "prims-truncated.json", R"({"benchmarks": [{"run_name": "BM_x", "real_t)");
  gdtest::write(d / "prims-shape.json", R"({"benchmarks": [{"run_name": 7, "real_time": 1.0}]})");
  sparse(d / "prims-huge.json", (std::uintmax_t(64) << 20) + 1);

  // IDX folders (train --data FOLDER), each with one problem.
  const std::string images = gdtest::idx_images(8, 28, 28);
  fs::remove(idx_folder(d / "idx-missing") / "t10k-labels-idx1-ubyte");
  gdtest::write(idx_folder(d / "idx-empty") / "train-images-idx3-ubyte", "");
  gdtest::write(idx_folder(d / "idx-truncated") / "train-images-idx3-ubyte", cut(images));
  const fs::path gz = idx_folder(d / "idx-gz-truncated") / "train-images-idx3-ubyte.gz";
  fs::remove(fs::path(gz).replace_extension());
  gdtest::write(gz, images, true);
  gdtest::write(gz, cut(gdtest::read(gz)));
  std::string huge_header = gdtest::idx_images(0, 28, 28);
  huge_header[4] = '\x7f';  // 2 G images of 28 x 28 promised, none present
  gdtest::write(idx_folder(d / "idx-huge-header") / "train-images-idx3-ubyte", huge_header);
  sparse(idx_folder(d / "idx-huge-file") / "train-labels-idx1-ubyte", (std::uintmax_t(256) << 20) + 9);
  gdtest::write(idx_folder(d / "idx-labels-as-images") / "train-images-idx3-ubyte", gdtest::idx_labels(8));
  fs::remove(idx_folder(d / "idx-folder") / "train-images-idx3-ubyte");
  fs::create_directories(d / "idx-folder" / "train-images-idx3-ubyte");
  const fs::path one_class = idx_folder(d / "idx-one-class");  // every label 0
  gdtest::write(one_class / "train-labels-idx1-ubyte", gdtest::idx_labels(8, 0x801, 1));
  gdtest::write(one_class / "t10k-labels-idx1-ubyte", gdtest::idx_labels(4, 0x801, 1));
  idx_shape_folder(d / "idx-3-classes", 12, 10, 3);

  // An older report, which a failed gdlab report must leave as it is.
  fs::create_directories(d / "old-report");
  gdtest::write(d / "old-report" / "index.html", "<html>the older report</html>\n");
  gdtest::write(d / "old-report" / "report.md", "# the older report\n");
}

// Every entry under `dir` with its kind, size and modification time: equal snapshots
// mean nothing was created, removed, replaced or written.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::ostringstream line;
    line << (e.is_directory() ? "folder" : "file " + std::to_string(e.file_size())) << " modified "
         << e.last_write_time().time_since_epoch().count();
    out[fs::relative(e.path(), dir).string()] = line.str();
  }
  return out;
}

struct Case {
  const char* input;    // what is given badly
  const char* problem;  // missing | empty | truncated | oversized | out of range | wrong type
  std::string args;     // gdlab's arguments, run in the fixtures' folder
  std::string says;     // a fragment of the one error line
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << "gdlab " << c.args; }

// clang-format off
const std::vector<Case> kSurvey = {
  // ---- the tool itself ---------------------------------------------------------------------------------
  {"subcommand",          "missing",   "",                                            "A subcommand is required"},
  {"subcommand",          "wrong type", "frobnicate",                                 "unknown subcommand 'frobnicate'"},

  // ---- train: numbers ----------------------------------------------------------------------------------
  {"train --threads",     "oversized", "train --data xor --threads 100000",           "--threads must be between 1 and 256"},
  {"train --prefetch",    "out of range", "train --data xor --prefetch -1",           "--prefetch must be between 0 and 1024"},
  {"train --prefetch",    "oversized", "train --data xor --prefetch 1025",            "--prefetch must be between 0 and 1024"},
  {"train --augment",     "wrong type", "train --data xor --augment shift",           "--augment shift needs images, and xor is not image data"},
  {"train --augment",     "wrong type", "train --augment tilt",                       "--augment must be none, shift or affine (got 'tilt')"},
  {"train --threads",     "wrong type", "train --data xor --threads two",             "Could not convert: --threads = two"},
  {"train --blocks",      "out of range", "train --data xor --blocks 0",              "--blocks must be at least 1"},
  {"train --blocks",      "oversized", "train --blocks 11",                           "--blocks 11 is more than the 10 neurons of the narrowest layer of 784-256-128-10: use at most 10"},
  {"train --blocks",      "wrong type", "train --data xor --blocks x",                "Could not convert: --blocks = x"},
  {"train --batch",       "oversized", "train --data xor --batch 1e12",               "Could not convert: --batch = 1e12"},
  {"train --batch",       "oversized", "train --data xor --batch 2000000000",         "--batch 2000000000 is larger than the 400 training samples"},
  {"train --layers",      "oversized", "train --layers 100000-100000-10",             "bad --layers '100000-100000-10'"},
  {"train --layers",      "oversized", "train --layers 784-65536-65536-10",           "GiB per step, over the 4 GiB limit"},
  {"train --layers",      "empty",     "train --layers ''",                           "--layers: must not be empty"},
  {"train --epochs",      "wrong type", "train --data xor --epochs abc",              "Could not convert: --epochs = abc"},
  {"train --epochs",      "missing",   "train --data xor --epochs",                   "--epochs: 1 required INT missing"},
  {"train --pattern",     "empty",     "train --data xor --pattern ''",               "unknown pattern ''"},
  {"train --pattern",     "wrong type", "train --data xor --pattern independent",    "not a pattern: train with --pattern sequential"},
  {"train --seed",        "out of range", "train --data xor --seed -1",               "--seed: '-1' is not a seed: use a whole number"},
  {"train --seed",        "wrong type", "train --data xor --seed abc",                "--seed: 'abc' is not a seed"},
  {"train --seed",        "wrong type", "train --data xor --seed 1.5",                "--seed: '1.5' is not a seed"},
  {"train --seed",        "oversized", "train --data xor --seed 18446744073709551616", "from 0 to 18446744073709551615"},
  {"train --layers",      "wrong type", "train --data idx-3-classes --batch 8 --layers 120-16-10", "3 classes but the model's output layer is 10; --layers 120-16-3 would"},
  {"train --layers",      "wrong type", "train --data idx-3-classes --batch 8 --layers 784-16-3", "120 features but the model's input layer is 784; --layers 120-16-3"},

  // ---- train --data FOLDER (IDX files) -----------------------------------------------------------------
  {"train --data",        "missing",   "train --data no-such-folder",                 "unknown --data 'no-such-folder'"},
  {"train --data",        "wrong type", "train --data notes.txt",                     "unknown --data 'notes.txt'"},
  {"IDX file",            "missing",   "train --data idx-missing",                    "missing t10k-labels-idx1-ubyte"},
  {"IDX file",            "empty",     "train --data idx-empty",                      "truncated header (0 bytes, need 16)"},
  {"IDX file",            "truncated", "train --data idx-truncated",                  "train-images-idx3-ubyte: truncated"},
  {"IDX file",            "truncated", "train --data idx-gz-truncated",               "train-images-idx3-ubyte.gz: truncated"},
  {"IDX file",            "oversized", "train --data idx-huge-header",                "absurd dimensions"},
  {"IDX file",            "oversized", "train --data idx-huge-file",                  "larger than the 256 MiB limit"},
  {"IDX file",            "wrong type", "train --data idx-labels-as-images",          "bad magic number 2049"},
  {"IDX file",            "wrong type", "train --data idx-folder",                    "train-images-idx3-ubyte: not a regular file"},
  {"IDX file",            "out of range", "train --data idx-one-class",               "idx-one-class: every label is 0; a classification set needs"},

  // ---- train --load WEIGHTS ----------------------------------------------------------------------------
  {"train --load",        "missing",   "train --data xor --load nothere.bin",         "nothere.bin: no such file"},
  {"train --load",        "empty",     "train --data xor --load empty",               "not a gdlab weights file"},
  {"train --load",        "empty",     "train --data xor --load ''",                  "--load: must not be empty"},
  {"train --load",        "truncated", "train --data xor --load w-truncated.bin",     "w-truncated.bin: truncated"},
  {"train --load",        "oversized", "train --data xor --load w-huge.bin",          "w-huge.bin: larger than 1 GiB, more weights than a training step can hold"},
  {"train --load",        "oversized", "train --data xor --load w-huge-header.bin",   "w-huge-header.bin: layers 784-65536-65536-10 are more than a training step can hold"},
  {"train --load",        "wrong type", "train --data xor --load folder",             "folder: not a regular file"},
  {"train --load",        "wrong type", "train --data xor --load r.json",             "not a gdlab weights file"},
  {"train --load",        "wrong type", "train --load w.bin",                         "features but the model's input layer is 2"},

  // ---- train --save TARGET (checked before training) ----------------------------------------------------
  {"train --save",        "missing",   "train --data xor --save no-such-folder/w.bin", "no-such-folder: no such folder"},
  {"train --save",        "empty",     "train --data xor --save ''",                  "--save: must not be empty"},
  {"train --save",        "wrong type", "train --data xor --save folder",             "--save folder: is a folder"},
  {"train --save",        "wrong type", "train --data xor --save notes.txt/w.bin",    "notes.txt is not a folder"},
  {"train --save",        "wrong type", "train --data xor --save /proc/self/w.bin",   "cannot create a file in /proc/self"},
  {"train --save",        "wrong type", "train --data xor --save /sys/kernel/w.bin",  "cannot create a file in /sys/kernel"},

  // ---- patterns ----------------------------------------------------------------------------------------
  {"patterns",            "wrong type", "patterns extra",                             "not expected: extra"},
  {"patterns",            "wrong type", "patterns --threads 2",                       "not expected: 2 --threads"},

  // ---- matrix: numbers ---------------------------------------------------------------------------------
  {"matrix --threads",    "oversized", "matrix --threads 1,100000",                   "--threads '1,100000'"},
  {"matrix --batch",      "oversized", "matrix --batch 1e12",                         "--batch '1e12'"},
  {"matrix --batch",      "empty",     "matrix --batch ,",                            "--batch is empty"},
  {"matrix --layers",     "oversized", "matrix --layers 100000-100000-10",            "bad --layers '100000-100000-10'"},
  {"matrix --layers",     "oversized", "matrix --layers 784-65536-65536-10 --batch 16", "GiB per step, over the 4 GiB limit"},
  {"matrix --shards",     "oversized", "matrix --layers 784-16384-10 --batch 16384 --shards 256", "GiB per step"},
  {"matrix --reps",       "wrong type", "matrix --reps five",                         "Could not convert: --reps = five"},
  {"matrix --patterns",   "wrong type", "matrix --patterns nosuch",                   "or independent, the machine's own ceiling"},
  {"matrix --reps",       "oversized", "matrix --reps 1001",                          "--reps 1001: use an odd number from 1 to 999"},
  {"matrix --steps",      "oversized", "matrix --steps 1000001",                      "--steps 1000001: use 0 (automatic) or 1..1000000"},
  {"matrix --warmup",     "oversized", "matrix --warmup 100001",                      "--warmup 100001: use 0..100000"},
  {"matrix --seed",       "out of range", "matrix --seed -1",                         "--seed: '-1' is not a seed: use a whole number"},
  {"matrix --target-accuracy", "out of range", "matrix --target-accuracy 0",          "--target-accuracy 0: use a test accuracy above 0 and at most 1"},
  {"matrix --target-accuracy", "out of range", "matrix --target-accuracy 1.5",        "--target-accuracy 1.5: use a test accuracy above 0"},
  {"matrix --target-accuracy", "wrong type", "matrix --target-accuracy high",         "Could not convert: --target-accuracy = high"},
  {"matrix --eval-every", "out of range", "matrix --target-accuracy 0.8 --eval-every 0", "--eval-every 0: use 1..1000000 steps"},
  {"matrix --eval-every", "wrong type", "matrix --eval-every 5",                      "--eval-every belongs to --target-accuracy"},
  {"matrix --epochs",     "out of range", "matrix --target-accuracy 0.8 --epochs 0",  "--epochs 0: use 1..10000 epochs"},
  {"matrix --seed",       "wrong type", "matrix --seed x1",                           "--seed: 'x1' is not a seed"},
  {"matrix --seed",       "oversized", "matrix --seed 9223372036854775808",           "use a whole number from 0 to 9223372036854775807"},
  {"matrix --layers",     "wrong type", "matrix --data idx-3-classes --layers 120-16-10 --batch 4", "idx-3-classes has 3; --layers 120-16-3 would fit"},

  // ---- matrix --resume / --out RESULTS -----------------------------------------------------------------
  {"matrix --resume",     "missing",   "matrix --resume --out nothere.json",          "nothere.json: no such results file"},
  {"matrix --resume",     "empty",     "matrix --resume --out empty",                 "empty: empty file"},
  {"matrix --resume",     "truncated", "matrix --resume --out r-truncated.json",      "r-truncated.json: corrupt JSON"},
  {"matrix --resume",     "oversized", "matrix --resume --out r-huge.json",           "larger than the 256 MiB limit"},
  {"matrix --resume",     "wrong type", "matrix --resume --out folder",               "folder: not a regular file"},
  {"matrix --resume",     "wrong type", "matrix --resume --out w.bin",                "not a valid gdlab results file"},
  {"matrix --resume",     "wrong type", "matrix --resume --out r-shape.json",         "environment: expected an object"},
  {"matrix --out",        "wrong type", "matrix --out notes.txt",                     "notes.txt: corrupt JSON"},
  {"matrix --out",        "wrong type", "matrix --out notes.txt/m.json",              "notes.txt is not a folder"},
  {"matrix --out",        "empty",     "matrix --out ''",                             "--out needs a file name"},

  // ---- matrix --primitives GOOGLE-BENCHMARK-JSON --------------------------------------------------------
  {"matrix --primitives", "missing",   "matrix --primitives nothere.json",            "nothere.json: no such file"},
  {"matrix --primitives", "empty",     "matrix --primitives empty",                   "empty: empty file"},
  {"matrix --primitives", "empty",     "matrix --primitives ''",                      "--primitives: must not be empty"},
  {"matrix --primitives", "truncated", "matrix --primitives prims-truncated.json",    "corrupt JSON"},
  {"matrix --primitives", "oversized", "matrix --primitives prims-huge.json",         "larger than the 64 MiB limit"},
  {"matrix --primitives", "wrong type", "matrix --primitives folder",                 "folder: not a regular file"},
  {"matrix --primitives", "wrong type", "matrix --primitives r.json",                 "not Google Benchmark JSON output"},
  {"matrix --primitives", "wrong type", "matrix --primitives prims-shape.json",       "not Google Benchmark JSON output"},

  // ---- report RESULTS... --out FOLDER ------------------------------------------------------------------
  {"report results",      "missing",   "report --out rep",                            "results is required"},
  {"report results",      "missing",   "report nothere.json --out rep",               "nothere.json: no such results file"},
  {"report results",      "empty",     "report empty --out rep",                      "empty: empty file"},
  {"report results",      "truncated", "report r-truncated.json --out rep",           "r-truncated.json: corrupt JSON"},
  {"report results",      "oversized", "report r-huge.json --out rep",                "larger than the 256 MiB limit"},
  {"report results",      "wrong type", "report folder --out rep",                    "folder: not a regular file"},
  {"report results",      "wrong type", "report w.bin --out rep",                     "not a valid gdlab results file"},
  {"report results",      "wrong type", "report r-shape.json --out rep",              "environment: expected an object"},
  {"report results",      "wrong type", "report r-no-cells.json --out rep",           "holds no cells"},
  {"report results",      "wrong type", "report r.json notes.txt --out old-report",   "notes.txt: corrupt JSON"},
  {"report --out",        "missing",   "report r.json",                               "--out is required"},
  {"report --out",        "empty",     "report r.json --out ''",                      "--out FOLDER is required"},
  {"report --out",        "wrong type", "report r.json --out notes.txt",              "exists and is not a folder"},
  {"report --out",        "wrong type", "report r.json --out idx-missing",            "is not a gdlab report"},
  {"report --out",        "wrong type", "report r.json --out notes.txt/rep",          "cannot create notes.txt (Not a directory)"},
  {"report --out",        "wrong type", "report r.json --out .",                      "name a folder for the report"},

  // ---- soak ---------------------------------------------------------------------------------------------
  {"soak --seconds",      "out of range", "soak --seconds 0",                         "--seconds must be between 0.1 and 86400"},
  {"soak --seconds",      "wrong type", "soak --seconds ten",                         "Could not convert: --seconds = ten"},
  {"soak --seconds",      "oversized", "soak --seconds 1e9",                          "--seconds must be between 0.1 and 86400"},
  {"soak --stall",        "out of range", "soak --stall 0",                           "--stall must be between 1 and 3600"},
  {"soak --delay-ms",     "out of range", "soak --delay-ms -5",                       "--delay-ms must be between 0 and 3600000"},
  {"soak --threads",      "oversized", "soak --threads 2,1000",                       "--threads '2,1000': expected a comma-separated list"},
  {"soak --patterns",     "wrong type", "soak --patterns tbb,nosuch",                 "unknown pattern 'nosuch'"},
  {"soak --patterns",     "wrong type", "soak --patterns independent",                "'independent' is the matrix's measure"},
  {"soak --patterns",     "empty",     "soak --patterns ,",                           "--patterns is empty"},
};
// clang-format on

class BadInput : public testing::TestWithParam<Case> {};

TEST_P(BadInput, ExitsWithStatus2AndOneClearLineAndWritesNothing) {
  const Case& c = GetParam();
  gdtest::Scratch s("bad-input");
  make_fixtures(s.dir);
  const auto before = snapshot(s.dir);

  const gdtest::CliRun r = gdtest::run_gdlab(c.args, s.dir, "ulimit -v 4194304; timeout 60 ");

  EXPECT_EQ(r.status, 2) << r.output;
  // The message is one line, starting "gdlab: error:", and names the problem.
  std::istringstream lines(r.output);
  std::string line, error_line;
  int error_lines = 0;
  while (std::getline(lines, line))
    if (line.rfind("gdlab: error: ", 0) == 0) ++error_lines, error_line = line;
  EXPECT_EQ(error_lines, 1) << r.output;
  EXPECT_NE(error_line.find(c.says), std::string::npos) << "expected \"" << c.says << "\" in:\n" << r.output;
  for (const char* crash : {"terminate", "Aborted", "bad_alloc", "Segmentation", "failed:"})
    EXPECT_EQ(r.output.find(crash), std::string::npos) << r.output;
  // Nothing written: no output, no temporary file or folder, no older file touched.
  const auto after = snapshot(s.dir);
  for (const auto& [path, what] : after) EXPECT_TRUE(before.count(path)) << path << " was left behind";
  for (const auto& [path, what] : before) {
    ASSERT_TRUE(after.count(path)) << path << " was removed";
    EXPECT_EQ(after.at(path), what) << path << " was changed";
  }
}

std::string case_name(const testing::TestParamInfo<Case>& info) {
  std::string name = std::to_string(info.index) + "_" + info.param.input + "_" + info.param.problem;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Survey, BadInput, testing::ValuesIn(kSurvey), case_name);

// Every subcommand and every kind of problem appears in the survey.
TEST(BadInputSurvey, CoversEverySubcommandAndEveryKindOfProblem) {
  for (const char* sub : {"train", "patterns", "matrix", "report", "soak"}) {
    bool found = false;
    for (const Case& c : kSurvey) found = found || c.args.rfind(sub, 0) == 0;
    EXPECT_TRUE(found) << sub;
  }
  for (const char* input : {"IDX file", "train --load", "matrix --resume", "matrix --primitives", "report results"})
    for (const char* problem : {"missing", "empty", "truncated", "oversized", "wrong type"}) {
      bool found = false;
      for (const Case& c : kSurvey)
        found = found || (c.input == std::string(input) && c.problem == std::string(problem));
      EXPECT_TRUE(found) << input << ": no '" << problem << "' case";
    }
}

// ---- the good input next to the bad --------------------------------------------------------

// Any valid MNIST-layout folder trains: the default layers take the images' pixels and
// give the labels' classes (3 classes of 12 x 10 images: 120-256-128-3), for train and
// for matrix; --layers that fit train too.
TEST(GoodInput, AnIdxFolderOfAnyShapeTrainsWithTheDefaultLayers) {
  gdtest::Scratch s("idx-shape");
  idx_shape_folder(s.dir / "tiny", 12, 10, 3);

  gdtest::CliRun r = gdtest::run_gdlab("train --data tiny --epochs 1 --batch 8 --save w.bin", s.dir, "timeout 60 ");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("on tiny (24 train / 12 test samples), layers 120-256-128-3 "), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("epoch 1/1  loss"), std::string::npos) << r.output;
  EXPECT_EQ(gd::load_weights((s.dir / "w.bin").string()).spec.layers, (std::vector<int>{120, 256, 128, 3}));

  r = gdtest::run_gdlab("train --data tiny --epochs 1 --batch 8 --layers 120-16-3", s.dir, "timeout 60 ");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("layers 120-16-3 "), std::string::npos) << r.output;

  r = gdtest::run_gdlab(
      "matrix --data tiny --patterns sequential --threads 1 --batch 8 --steps 1 --warmup 0 "
      "--reps 1 --out m.json",
      s.dir, "timeout 120 ");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(gdtest::read(s.dir / "m.json").find("\"layers\": \"120-256-128-3\""), std::string::npos)
      << gdtest::read(s.dir / "m.json");
}

// A --save target where no file can be created is refused before the data is loaded or a
// step is trained, and nothing is left beside it. /proc and /sys refuse new files even to
// root; a read-only folder refuses them to anyone else.
TEST(SaveTarget, AFolderThatRefusesNewFilesIsFoundBeforeTraining) {
  gdtest::Scratch s("save-target");
  std::vector<std::pair<std::string, fs::path>> targets{{"/proc/self/w.bin", "/proc/self"},
                                                        {"/sys/kernel/w.bin", "/sys/kernel"}};
  const fs::path read_only = s.dir / "read-only";
  fs::create_directories(read_only);
  fs::permissions(read_only, fs::perms::owner_read | fs::perms::owner_exec);
  if (::geteuid() != 0) targets.emplace_back((read_only / "w.bin").string(), read_only);
  for (const auto& [target, folder] : targets) {
    const gdtest::CliRun r =
        gdtest::run_gdlab("train --data synthetic --epochs 2 --save " + target, s.dir, "timeout 120 ");
    EXPECT_EQ(r.status, 2) << target << "\n" << r.output;
    EXPECT_NE(r.output.find("gdlab: error: --save " + target + ": cannot create a file in " + folder.string() + " ("),
              std::string::npos)
        << r.output;
    // The first line of a training run names the data; the check comes before it.
    EXPECT_EQ(r.output.find(" on synthetic ("), std::string::npos) << "training began before the check\n" << r.output;
    EXPECT_EQ(r.output.find("epoch"), std::string::npos) << "training ran before the check\n" << r.output;
    EXPECT_FALSE(fs::exists(target));
    if (folder == read_only) {
      EXPECT_TRUE(fs::is_empty(folder)) << "a file was left in " << folder;
    }
  }
  fs::permissions(read_only, fs::perms::owner_all);
}

// ---- Ctrl-C during gdlab report ---------------------------------------------------------

// Temporary entries gdlab report makes beside --out FOLDER (".FOLDER.tmp-*", ".FOLDER.old-*").
std::vector<std::string> temp_entries(const fs::path& parent, const std::string& folder) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(parent))
    if (e.path().filename().string().rfind("." + folder + ".", 0) == 0) out.push_back(e.path().filename().string());
  return out;
}

// Ctrl-C (SIGINT to the job's process group, gnuplot included) while gdlab report draws
// its charts: exit status 130, no temporary folder, the older report untouched. The
// interrupt comes at several delays after the report's temporary folder appears; a run
// that still completes first must leave a whole new report (status 0) and no temporary
// folder either, and at least one run must really be interrupted.
TEST(Interrupts, CtrlCDuringReportLeavesTheOlderReportAndNoTemporaryFolder) {
  gdtest::Scratch s("report-sigint");
  const fs::path results = kSource / "tests" / "data" / "results-2core.json";
  std::vector<std::string> args{"report"};
  for (const char* name : {"a.json", "b.json", "c.json", "d.json"}) {  // four runs side by side: many charts
    fs::copy_file(results, s.dir / name);
    args.push_back(name);
  }
  args.insert(args.end(), {"--out", "rep"});

  int interrupted = 0;
  for (int delay_ms : {0, 300, 1000}) {
    // The older report: a marker a new report would replace.
    fs::remove_all(s.dir / "rep");
    fs::create_directories(s.dir / "rep");
    gdtest::write(s.dir / "rep" / "index.html", "<html>the older report</html>\n");
    gdtest::write(s.dir / "rep" / "report.md", "# the older report\n");
    const auto before = snapshot(s.dir / "rep");

    const pid_t pid = gdtest::spawn_gdlab(args, s.dir, s.dir / "log.txt");
    ASSERT_GT(pid, 0);
    // The report is building once its temporary folder exists (about 2 s before it is done
    // on an idle machine; the limits below only matter on a starved one).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (temp_entries(s.dir, "rep").empty() && !gdtest::has_ended(pid) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (temp_entries(s.dir, "rep").empty()) {
      gdtest::wait_or_kill(pid, std::chrono::seconds(0));
      FAIL() << "the report never started building\n" << gdtest::read(s.dir / "log.txt");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(-pid, SIGINT);
    const auto status = gdtest::wait_or_kill(pid, std::chrono::seconds(60));
    const std::string log = gdtest::read(s.dir / "log.txt");
    ASSERT_TRUE(status.has_value()) << "still running 60 s after Ctrl-C\n" << log;
    ASSERT_TRUE(WIFEXITED(*status)) << "ended by signal " << WTERMSIG(*status) << "\n" << log;

    EXPECT_TRUE(temp_entries(s.dir, "rep").empty()) << "a temporary folder was left behind\n" << log;
    EXPECT_EQ(log.find("terminate"), std::string::npos) << log;
    if (WEXITSTATUS(*status) == 130) {
      ++interrupted;
      EXPECT_EQ(snapshot(s.dir / "rep"), before) << "the older report was changed\n" << log;
      EXPECT_NE(log.find("interrupted"), std::string::npos) << log;
    } else {
      ASSERT_EQ(WEXITSTATUS(*status), 0) << log;  // finished before the Ctrl-C landed: a whole new report
      const std::string html = gdtest::read(s.dir / "rep" / "index.html");
      EXPECT_NE(html.find("</html>"), std::string::npos);
      EXPECT_EQ(html.find("the older report"), std::string::npos);
      EXPECT_TRUE(fs::exists(s.dir / "rep" / "cells.csv"));
    }
  }
  EXPECT_GT(interrupted, 0) << "no run was interrupted: the test did not test Ctrl-C";
}

}  // namespace
