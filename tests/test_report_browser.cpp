// The report's index.html in a real browser: headless Chromium (Debian's chromium package,
// which ./gdlab test installs) loads it with no console message, every chart is laid out
// with a size and drawn shapes, nothing is fetched from outside, a screenshot is not blank
// and printing gives A4 pages.
//
// Each check is first run against a page made to fail it, so a check that silently
// passes everything would itself fail here.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "file_helpers.hpp"
#include "report/report.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kSource = GDLAB_SOURCE_DIR;

using gdtest::read;
using gdtest::write;

struct Scratch : gdtest::Scratch {
  Scratch() : gdtest::Scratch("test-browser") {}
};

std::string find_chromium() {
  if (const char* c = std::getenv("GDLAB_CHROMIUM")) return c;
  for (const char* name : {"chromium", "chromium-browser"})
    for (const char* dir : {"/usr/bin", "/usr/local/bin", "/snap/bin"})
      if (fs::exists(fs::path(dir) / name)) return (fs::path(dir) / name).string();
  return "";
}

struct Browser {
  int status = -1;
  std::string out, err;
};

// Runs headless Chromium once, as root-safe as the project needs it: no sandbox (root), no GPU,
// no network features, a fresh profile every time. `what` is the action, e.g. "--dump-dom".
Browser chromium(const Scratch& s, const std::vector<std::string>& what, const fs::path& page) {
  const std::string exe = find_chromium();
  const fs::path profile = s.dir / ("profile-" + std::to_string(std::rand()));
  fs::create_directories(profile);
  std::string cmd = "timeout 120 " + exe +
                    " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                    " --disable-background-networking --disable-component-update --disable-sync"
                    " --user-data-dir=" +
                    profile.string() + " --enable-logging=stderr --v=0";
  for (const auto& w : what) cmd += " " + w;
  cmd += " file://" + page.string() + " >" + (s.dir / "out.txt").string() + " 2>" + (s.dir / "err.txt").string();
  const int raw = std::system(cmd.c_str());
  Browser b{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read(s.dir / "out.txt"), read(s.dir / "err.txt")};
  fs::remove_all(profile);
  return b;
}

// Chromium logs every console message of the page (log, warning, error, uncaught exception,
// failed load) on stderr as "...:CONSOLE:<line>] "message", source: ...". The report has
// no scripts, so any such line is a problem.
std::vector<std::string> console_lines(const std::string& err) {
  std::vector<std::string> out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);)
    if (line.find(":CONSOLE") != std::string::npos) out.push_back(line);
  return out;
}

// A script put at the top of a copy of the page: it records errors (including failed loads of
// images or styles) and, once the page has loaded, the laid-out size and the drawn shapes of
// every chart, and every resource the page fetched, as JSON in <pre id="gdlab-probe">.
constexpr const char* kProbe = R"(<script>
window.gdlabErrors = [];
addEventListener('error', e => gdlabErrors.push(String(e.message || ('cannot load ' + (e.target.src || e.target.href)))), true);
addEventListener('load', () => {
  const charts = [...document.querySelectorAll('figure svg')].map(svg => {
    const box = svg.getBoundingClientRect();
    const drawn = [...svg.querySelectorAll('path, use, rect, circle, polyline, line')]
        .filter(e => { const b = e.getBBox(); return b.width > 0 || b.height > 0; }).length;
    return {width: box.width, height: box.height, drawn, texts: svg.querySelectorAll('text').length};
  });
  const pre = document.createElement('pre');
  pre.id = 'gdlab-probe';
  pre.textContent = JSON.stringify({figures: document.querySelectorAll('figure').length, charts,
    errors: gdlabErrors, resources: performance.getEntriesByType('resource').map(r => r.name)});
  document.body.appendChild(pre);
});
</script>)";

nlohmann::json probe(const Scratch& s, const fs::path& page) {
  std::string html = read(page);
  const auto head = html.find("<head>");
  if (head == std::string::npos) throw std::runtime_error("no <head> in " + page.string());
  html.insert(head + 6, kProbe);
  const fs::path probed = page.parent_path() / "probed.html";
  write(probed, html);
  const Browser b = chromium(s, {"--virtual-time-budget=10000", "--dump-dom"}, probed);
  fs::remove(probed);
  const std::regex pre(R"(<pre id="gdlab-probe">([^<]*)</pre>)");
  std::smatch m;
  if (b.status != 0 || !std::regex_search(b.out, m, pre))
    throw std::runtime_error("chromium printed no probe (status " + std::to_string(b.status) +
                             "): " + b.err.substr(0, 2000));
  std::string text = m[1];
  for (auto [from, to] : {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&amp;", "&"}})
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + 1))
      text.replace(at, std::strlen(from), to);
  return nlohmann::json::parse(text);
}

// A minimal PNG reader (8-bit greyscale, RGB or RGBA, not interlaced: what Chromium writes):
// returns the pixels as 0xRRGGBB values.
std::vector<std::uint32_t> decode_png(const std::string& png, int& width, int& height) {
  if (png.size() < 8 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) throw std::runtime_error("not a PNG");
  auto be32 = [&](std::size_t at) {
    return std::uint32_t(std::uint8_t(png[at])) << 24 | std::uint32_t(std::uint8_t(png[at + 1])) << 16 |
           std::uint32_t(std::uint8_t(png[at + 2])) << 8 | std::uint32_t(std::uint8_t(png[at + 3]));
  };
  std::string idat;
  int depth = 0, colour = 0, interlace = 0;
  for (std::size_t at = 8; at + 8 <= png.size();) {
    const std::uint32_t len = be32(at);
    const std::string type = png.substr(at + 4, 4);
    if (type == "IHDR") {
      width = int(be32(at + 8)), height = int(be32(at + 12));
      depth = std::uint8_t(png[at + 16]), colour = std::uint8_t(png[at + 17]), interlace = std::uint8_t(png[at + 20]);
    } else if (type == "IDAT") {
      idat += png.substr(at + 8, len);
    }
    at += 12 + len;
  }
  const int channels = colour == 0 ? 1 : colour == 2 ? 3 : colour == 6 ? 4 : 0;
  if (depth != 8 || channels == 0 || interlace != 0) throw std::runtime_error("unsupported PNG layout");
  const std::size_t stride = std::size_t(width) * channels;
  std::vector<unsigned char> raw((stride + 1) * height);
  uLongf raw_len = raw.size();
  if (uncompress(raw.data(), &raw_len, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) != Z_OK ||
      raw_len != raw.size())
    throw std::runtime_error("corrupt PNG data");
  // Undo the per-row filters (PNG specification, section 9).
  std::vector<unsigned char> img(stride * height), zero(stride, 0);
  for (int y = 0; y < height; ++y) {
    const unsigned char filter = raw[y * (stride + 1)];
    const unsigned char* in = &raw[y * (stride + 1) + 1];
    unsigned char* out = &img[y * stride];
    const unsigned char* up = y ? &img[(y - 1) * stride] : zero.data();
    for (std::size_t i = 0; i < stride; ++i) {
      const int a = i >= std::size_t(channels) ? out[i - channels] : 0, b = up[i],
                c = i >= std::size_t(channels) ? up[i - channels] : 0;
      int pred = 0;
      switch (filter) {
        case 0:
          pred = 0;
          break;
        case 1:
          pred = a;
          break;
        case 2:
          pred = b;
          break;
        case 3:
          pred = (a + b) / 2;
          break;
        case 4: {
          const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          pred = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
          break;
        }
        default:
          throw std::runtime_error("bad PNG filter");
      }
      out[i] = static_cast<unsigned char>(in[i] + pred);
    }
  }
  std::vector<std::uint32_t> px(std::size_t(width) * height);
  for (std::size_t i = 0; i < px.size(); ++i) {
    const unsigned char* p = &img[i * channels];
    px[i] = channels < 3 ? (p[0] * 0x010101u) : (std::uint32_t(p[0]) << 16 | std::uint32_t(p[1]) << 8 | p[2]);
  }
  return px;
}

struct Variety {
  std::size_t colours = 0;
  double non_background = 0;  // share of pixels that differ from the most common colour
};
Variety screenshot_variety(const Scratch& s, const fs::path& page) {
  const fs::path shot = s.dir / "shot.png";
  fs::remove(shot);
  const Browser b =
      chromium(s, {"--hide-scrollbars", "--window-size=1200,2400", "--screenshot=" + shot.string()}, page);
  if (b.status != 0 || !fs::exists(shot)) throw std::runtime_error("no screenshot: " + b.err.substr(0, 2000));
  int w = 0, h = 0;
  const auto px = decode_png(read(shot), w, h);
  EXPECT_EQ(w, 1200);
  EXPECT_EQ(h, 2400);
  std::map<std::uint32_t, std::size_t> count;
  for (auto p : px) ++count[p];
  std::size_t most = 0;
  for (auto [c, n] : count) most = std::max(most, n);
  return {count.size(), 1.0 - double(most) / double(px.size())};
}

class ReportBrowser : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(find_chromium().empty())
        << "headless Chromium is needed: install Debian's chromium package (./gdlab test does), "
           "or point GDLAB_CHROMIUM at the browser";
  }
};

}  // namespace

TEST_F(ReportBrowser, ReportLoadsWithoutConsoleMessages) {
  Scratch s;
  // The check itself: a page with a script error and a missing image must be caught.
  write(s.dir / "bad.html",
        "<!DOCTYPE html><html><head><title>t</title></head><body>"
        "<script>console.error('boom'); undefinedFunction();</script></body></html>");
  EXPECT_FALSE(
      console_lines(chromium(s, {"--virtual-time-budget=5000", "--dump-dom"}, s.dir / "bad.html").err).empty());

  gd::write_report({(kSource / "tests/data/results-2core.json").string(),
                    (kSource / "tests/data/results-2core-after.json").string()},
                   (s.dir / "report").string());
  const Browser b = chromium(s, {"--virtual-time-budget=10000", "--dump-dom"}, s.dir / "report" / "index.html");
  ASSERT_EQ(b.status, 0) << b.err.substr(0, 2000);
  EXPECT_NE(b.out.find("Runs compared"), std::string::npos);
  const auto lines = console_lines(b.err);
  EXPECT_TRUE(lines.empty()) << "console: " << (lines.empty() ? "" : lines.front());
}

TEST_F(ReportBrowser, EveryChartRendersAndNothingIsFetched) {
  Scratch s;
  // The probe itself: a figure whose chart is an empty SVG, and a missing image.
  write(s.dir / "bad.html",
        "<!DOCTYPE html><html><head><title>t</title></head><body>"
        "<figure><svg width=\"0\" height=\"0\"></svg></figure><img src=\"missing.png\"></body></html>");
  const auto bad = probe(s, s.dir / "bad.html");
  EXPECT_EQ(bad["charts"][0]["drawn"], 0);
  EXPECT_EQ(bad["errors"].size(), 1u) << bad.dump();

  gd::write_report({(kSource / "tests/data/results-2core.json").string()}, (s.dir / "report").string());
  const auto j = probe(s, s.dir / "report" / "index.html");
  EXPECT_EQ(j["figures"], 7) << j.dump();
  ASSERT_EQ(j["charts"].size(), 7u) << j.dump();
  for (const auto& c : j["charts"]) {
    EXPECT_GT(c["width"].get<double>(), 300) << c.dump();
    EXPECT_GT(c["height"].get<double>(), 150) << c.dump();
    EXPECT_GT(c["drawn"].get<int>(), 20) << c.dump();  // axes, ticks, lines, points, legend samples
    EXPECT_GT(c["texts"].get<int>(), 8) << c.dump();   // title, labels, ticks, legend
  }
  EXPECT_TRUE(j["errors"].empty()) << j.dump();
  EXPECT_TRUE(j["resources"].empty()) << "the page fetched: " << j["resources"].dump();
}

TEST_F(ReportBrowser, ScreenshotIsNotBlank) {
  Scratch s;
  // The measure itself: an empty page is one colour.
  write(s.dir / "blank.html", "<!DOCTYPE html><html><head><title>t</title></head><body></body></html>");
  const Variety blank = screenshot_variety(s, s.dir / "blank.html");
  EXPECT_LE(blank.colours, 2u);
  EXPECT_LT(blank.non_background, 0.001);

  gd::write_report({(kSource / "tests/data/results-2core.json").string()}, (s.dir / "report").string());
  const Variety v = screenshot_variety(s, s.dir / "report" / "index.html");
  // Text, table shading and the first chart's coloured series: many colours, much ink.
  EXPECT_GT(v.colours, 100u);
  EXPECT_GT(v.non_background, 0.05);
}

TEST_F(ReportBrowser, PrintsOnA4) {
  Scratch s;
  gd::write_report({(kSource / "tests/data/results-2core.json").string()}, (s.dir / "report").string());
  const fs::path pdf = s.dir / "report.pdf";
  const Browser b =
      chromium(s, {"--no-pdf-header-footer", "--print-to-pdf=" + pdf.string()}, s.dir / "report" / "index.html");
  ASSERT_TRUE(fs::exists(pdf)) << b.err.substr(0, 2000);
  const std::string text = read(pdf);
  EXPECT_EQ(text.rfind("%PDF", 0), 0u);
  // Every page an A4 sheet: 210 × 297 mm is 595 × 842 points.
  const std::regex box(R"(/MediaBox \[0 0 (\d+)(\.\d+)? (\d+)(\.\d+)?\])");
  int pages = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), box); it != std::sregex_iterator(); ++it, ++pages) {
    const int w = std::stoi((*it)[1]), h = std::stoi((*it)[3]);
    EXPECT_NEAR(w, 595, 1);
    EXPECT_NEAR(h, 842, 1);
  }
  EXPECT_GE(pages, 3);
}
