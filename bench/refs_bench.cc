// Speed of listing and rendering references (DESIGN.md §3) on a dense BPMN: 50 references in
// about 60 KB, generated from a real Camunda blueprint by bench/make_dense_bpmn.py. Two
// baselines run in the same process, so results can be given as ratios that carry over between
// machines: copying the document (BM_Memcpy60KB) and counting "{{" in it with
// std::string_view::find (BM_FindBraces).
//
//   refs_bench [--data=PATH] [benchmark flags]
//   refs_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// The document defaults to bench/data/servicenow-dense.bpmn under SVAULT_SOURCE_DIR. Before
// any benchmark runs, the document is checked to scan to exactly 50 references with no problems
// and to render; otherwise the program fails (this is what the ctest smoke run checks).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/secret.h"
#include "refs/document.h"

namespace {

using svault::SecretBytes;
using svault::refs::Dialect;
using svault::refs::Format;

constexpr size_t kExpectedReferences = 50;

#ifdef SVAULT_SOURCE_DIR
constexpr const char* kDefaultData = SVAULT_SOURCE_DIR "/bench/data/servicenow-dense.bpmn";
#else
constexpr const char* kDefaultData = "bench/data/servicenow-dense.bpmn";
#endif

std::string g_document;
std::vector<SecretBytes> g_values;
std::vector<const SecretBytes*> g_value_ptrs;

// 32 bytes each, with what the XML, JSON and FEEL contexts must escape: quotes of both
// kinds, ampersands (one already spelling an entity), angle brackets, a backslash, a non-ASCII
// letter. No control characters, so every context can carry them.
std::string AwkwardValue(size_t i) {
  char index[8];
  std::snprintf(index, sizeof index, "%02zu", i % 100);
  return std::string("p\"ss&w0rd'") + index + "<&amp;>\\\"x&y'z\xC3\xA9&\"!\"";
}

std::string ContextName(svault::refs::Context context) {
  using svault::refs::Context;
  switch (context) {
    case Context::kXmlAttribute: return "attribute";
    case Context::kXmlText: return "text";
    case Context::kXmlCdata: return "cdata";
    case Context::kXmlJsonAttribute: return "json_in_attribute";
    case Context::kXmlFeelString: return "feel_string";
    case Context::kXmlFeelCode: return "feel_code";
    default: return "other";
  }
}

bool Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "refs_bench: cannot read %s (use --data=PATH)\n", path.c_str());
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  g_document = buffer.str();
  return true;
}

// The document must hold exactly the references the benchmark is about, in both dialects, and
// render with the values.
bool Check(const std::string& path) {
  for (Dialect dialect : {Dialect::kStandard, Dialect::kCamunda}) {
    auto scan = svault::refs::ScanDocument(g_document, Format::kXml, dialect);
    if (!scan.ok()) {
      std::fprintf(stderr, "refs_bench: %s does not scan: %s\n", path.c_str(),
                   scan.status().ToString().c_str());
      return false;
    }
    if (scan->references.size() != kExpectedReferences || !scan->problems.empty()) {
      std::fprintf(stderr, "refs_bench: %s holds %zu references and %zu problems, not %zu and 0\n",
                   path.c_str(), scan->references.size(), scan->problems.size(),
                   kExpectedReferences);
      return false;
    }
  }
  for (size_t i = 0; i < kExpectedReferences; ++i) g_values.emplace_back(AwkwardValue(i));
  for (const SecretBytes& v : g_values) g_value_ptrs.push_back(&v);
  auto scan = svault::refs::ScanDocument(g_document, Format::kXml, Dialect::kStandard);
  auto rendered = svault::refs::RenderDocument(g_document, *scan, g_value_ptrs);
  if (!rendered.ok()) {
    std::fprintf(stderr, "refs_bench: %s does not render: %s\n", path.c_str(),
                 rendered.status().ToString().c_str());
    return false;
  }

  std::map<svault::refs::Context, int> contexts;
  for (const auto& r : scan->references) ++contexts[r.context];
  std::string mix;
  for (const auto& [context, n] : contexts) {
    mix += (mix.empty() ? "" : " ") + ContextName(context) + "=" + std::to_string(n);
  }
  benchmark::AddCustomContext("document", path);
  benchmark::AddCustomContext("document_bytes", std::to_string(g_document.size()));
  benchmark::AddCustomContext("references", std::to_string(kExpectedReferences));
  benchmark::AddCustomContext("reference_contexts", mix);
  benchmark::AddCustomContext("value_bytes", std::to_string(g_values[0].size()));
  benchmark::AddCustomContext("rendered_bytes", std::to_string(rendered->size()));
  return true;
}

void SetBytes(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g_document.size()));
}

// Listing: every reference with its location, element and pointer (what GET .../references
// does), dialect=standard (the API's default).
void BM_ListReferences(benchmark::State& state) {
  for (auto _ : state) {
    auto scan = svault::refs::ScanDocument(g_document, Format::kXml, Dialect::kStandard);
    benchmark::DoNotOptimize(scan);
  }
  SetBytes(state);
}
BENCHMARK(BM_ListReferences);

// The same with dialect=camunda, which also looks for the bare form `secrets.KEY`.
void BM_ListReferencesCamunda(benchmark::State& state) {
  for (auto _ : state) {
    auto scan = svault::refs::ScanDocument(g_document, Format::kXml, Dialect::kCamunda);
    benchmark::DoNotOptimize(scan);
  }
  SetBytes(state);
}
BENCHMARK(BM_ListReferencesCamunda);

// Rendering as a request does it: scan, then render with one value per reference. The values
// are not secret, so the output is not wiped.
void BM_RenderDense(benchmark::State& state) {
  for (auto _ : state) {
    auto scan = svault::refs::ScanDocument(g_document, Format::kXml, Dialect::kStandard);
    auto out = svault::refs::RenderDocument(g_document, *scan, g_value_ptrs);
    benchmark::DoNotOptimize(out);
  }
  SetBytes(state);
}
BENCHMARK(BM_RenderDense);

// The render step alone, on a scan made once.
void BM_RenderOnly(benchmark::State& state) {
  const auto scan = svault::refs::ScanDocument(g_document, Format::kXml, Dialect::kStandard);
  for (auto _ : state) {
    auto out = svault::refs::RenderDocument(g_document, *scan, g_value_ptrs);
    benchmark::DoNotOptimize(out);
  }
  SetBytes(state);
}
BENCHMARK(BM_RenderOnly);

// Baseline: copying the document into a buffer allocated once.
void BM_Memcpy60KB(benchmark::State& state) {
  std::unique_ptr<char[]> buffer(new char[g_document.size()]);
  for (auto _ : state) {
    std::memcpy(buffer.get(), g_document.data(), g_document.size());
    benchmark::DoNotOptimize(buffer.get());
    benchmark::ClobberMemory();
  }
  SetBytes(state);
}
BENCHMARK(BM_Memcpy60KB);

// Baseline: the least a scanner must do, finding every "{{".
void BM_FindBraces(benchmark::State& state) {
  const std::string_view doc = g_document;
  for (auto _ : state) {
    size_t count = 0;
    for (size_t at = doc.find("{{"); at != std::string_view::npos; at = doc.find("{{", at + 2)) {
      ++count;
    }
    benchmark::DoNotOptimize(count);
  }
  SetBytes(state);
}
BENCHMARK(BM_FindBraces);

}  // namespace

int main(int argc, char** argv) {
  // Our own flag first, so that the benchmark library does not see it.
  std::string path = kDefaultData;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--data=")) {
      path = std::string(arg.substr(7));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!Load(path) || !Check(path)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
