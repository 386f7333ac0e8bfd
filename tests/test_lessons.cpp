// The lessons never drift from the code: every block quoted in lessons/ must equal its
// marked source region verbatim. Also tests the checker itself on a scratch tree.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "quotes.hpp"

namespace fs = std::filesystem;

TEST(Lessons, EveryQuoteMatchesItsSource) {
  const auto r = lesson::check_quotes(GDLAB_SOURCE_DIR);
  for (const auto& i : r.issues) ADD_FAILURE() << i.where << ": " << i.message;
  EXPECT_GT(r.quotes, 0) << "no quotes found under lessons/";
}

namespace {
struct Scratch {
  fs::path root = fs::temp_directory_path() / ("gdlab_quotes_" + std::to_string(::getpid()) + "_" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  Scratch() {
    fs::remove_all(root);
    fs::create_directories(root / "lessons/01-x");
    fs::create_directories(root / "src");
    write("src/a.cpp", "int a;\n// [lesson:r]\nint b = 1;\nint c = 2;\n// [/lesson:r]\nint d;\n");
    write("lessons/01-x/README.md", "# x\n<!-- quote: src/a.cpp#r -->\n```cpp\nint b = 1;\nint c = 2;\n```\ntext\n");
  }
  ~Scratch() { fs::remove_all(root); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(root / rel) << text; }
  std::string read(const std::string& rel) {
    std::ifstream in(root / rel);
    return {std::istreambuf_iterator<char>(in), {}};
  }
};
}  // namespace

TEST(Lessons, QuoteCheckerAcceptsAMatchingQuote) {
  Scratch s;
  const auto r = lesson::check_quotes(s.root);
  EXPECT_EQ(r.quotes, 1);
  EXPECT_TRUE(r.issues.empty());
}

TEST(Lessons, QuoteCheckerReportsAChangedSource) {
  Scratch s;
  s.write("src/a.cpp", "int a;\n// [lesson:r]\nint b = 1;\nint c = 3;\n// [/lesson:r]\n");
  const auto r = lesson::check_quotes(s.root);
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_NE(r.issues[0].message.find("no longer matches"), std::string::npos);
  EXPECT_EQ(r.issues[0].where, "lessons/01-x/README.md:2");
}

TEST(Lessons, QuoteCheckerReportsAMissingFileOrRegion) {
  Scratch s;
  s.write("src/a.cpp", "int a;\n");
  auto r = lesson::check_quotes(s.root);
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_NE(r.issues[0].message.find("no region 'r'"), std::string::npos);
  fs::remove(s.root / "src/a.cpp");
  r = lesson::check_quotes(s.root);
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_NE(r.issues[0].message.find("does not exist"), std::string::npos);
}

TEST(Lessons, QuoteCheckerReportsAnUnclosedRegionOrBlock) {
  Scratch s;
  s.write("src/a.cpp", "// [lesson:r]\nint b;\n");
  auto r = lesson::check_quotes(s.root);
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_NE(r.issues[0].message.find("no closing marker"), std::string::npos);
  s.write("lessons/01-x/README.md", "<!-- quote: src/a.cpp#r -->\nno fence\n");
  r = lesson::check_quotes(s.root);
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_NE(r.issues[0].message.find("fenced block"), std::string::npos);
}

TEST(Lessons, SyncRefreshesTheBlock) {
  Scratch s;
  s.write("src/a.cpp", "// [lesson:r]\nint b = 9;\n// [/lesson:r]\n");
  auto r = lesson::check_quotes(s.root, true);
  EXPECT_EQ(r.synced, 1);
  EXPECT_EQ(s.read("lessons/01-x/README.md"), "# x\n<!-- quote: src/a.cpp#r -->\n```cpp\nint b = 9;\n```\ntext\n");
  EXPECT_TRUE(lesson::check_quotes(s.root).issues.empty());
}
