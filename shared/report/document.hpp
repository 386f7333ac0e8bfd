// The document: a list of blocks (headings, paragraphs, tables, figures) rendered twice,
// as index.html and as report.md, so the two always hold the same tables and sentences.
#pragma once
#include <string>
#include <vector>

namespace gd::report {

struct Row {
  std::vector<std::string> cells;
  std::string mark;  // "" plain, "flag" (noisy/oversubscribed cell: ⚠), "differs" (≠)
};
struct Table {
  std::vector<std::string> header;
  std::vector<Row> rows;
  bool words = false;  // a table of words (left-aligned), not of numbers
};
struct Figure {
  std::string file;  // the SVG file beside report.md
  std::string title;
  std::string svg;   // gnuplot's output
  std::string text;  // the paragraph computed from the numbers
};
struct Block {
  enum class Kind { H2, H3, Para, Bullets, Tab, Fig } kind;
  std::string text, id;
  std::vector<std::string> items;
  Table table;
  Figure figure;
};

class Doc {
 public:
  void h2(const std::string& text, const std::string& id) {
    blocks_.push_back({Block::Kind::H2, text, id, {}, {}, {}});
  }
  void h3(const std::string& text, const std::string& id) {
    blocks_.push_back({Block::Kind::H3, text, id, {}, {}, {}});
  }
  void para(const std::string& text) { blocks_.push_back({Block::Kind::Para, text, "", {}, {}, {}}); }
  void bullets(std::vector<std::string> items) {
    blocks_.push_back({Block::Kind::Bullets, "", "", std::move(items), {}, {}});
  }
  void table(Table t) { blocks_.push_back({Block::Kind::Tab, "", "", {}, std::move(t), {}}); }
  void figure(Figure f) { blocks_.push_back({Block::Kind::Fig, "", "", {}, {}, std::move(f)}); }
  const std::vector<Block>& blocks() const { return blocks_; }

  std::string html(const std::string& title, const std::string& subtitle) const;
  std::string markdown(const std::string& title, const std::string& subtitle) const;

 private:
  std::vector<Block> blocks_;
};

}  // namespace gd::report
