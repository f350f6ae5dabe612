// svault refs|validate|render FILE: the references of a workflow definition. `refs` works
// offline; `validate` asks the server whether each reference exists (never a value); `render`
// writes the definition with values put in, to stdout or a new 0600 file.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/secret_file.h"
#include "cli/session.h"
#include "refs/document.h"

namespace svault::cli {
namespace {

namespace json = boost::json;

constexpr size_t kMaxDocumentBytes = 64 * 1024 * 1024;

struct RefsArgs {
  std::string file;
  std::string env;
  std::string format;
  std::string dialect = "standard";
  std::string output;
};

struct Document {
  std::string bytes;
  refs::Format format = refs::Format::kText;
  refs::Dialect dialect = refs::Dialect::kStandard;
  std::string format_name;
};

// Reads FILE and settles its format (--format, else the extension) and dialect.
Result<Document> LoadDocument(const RefsArgs& args) {
  Document doc;
  doc.format_name = args.format;
  if (doc.format_name.empty()) {
    const std::optional<refs::Format> by_name = refs::FormatForFileName(args.file);
    if (!by_name) {
      return BadRequest("cannot tell the format of " + args.file +
                        " from its extension: give --format text|json|xml|bpmn|url|env");
    }
    doc.format_name = *by_name == refs::Format::kXml    ? "xml"
                      : *by_name == refs::Format::kJson ? "json"
                      : *by_name == refs::Format::kEnv  ? "env"
                                                        : "text";
  }
  doc.format = *refs::ParseFormat(doc.format_name);  // checked by CLI11
  doc.dialect = *refs::ParseDialect(args.dialect);

  std::error_code ec;
  if (!std::filesystem::exists(args.file, ec)) return BadRequest("cannot read " + args.file);
  if (!std::filesystem::is_regular_file(args.file, ec)) {
    return BadRequest(args.file + " is not a regular file");
  }
  std::ifstream in(args.file, std::ios::binary);
  if (!in) return BadRequest("cannot read " + args.file);
  std::ostringstream content;
  content << in.rdbuf();
  doc.bytes = std::move(content).str();
  if (doc.bytes.size() > kMaxDocumentBytes) return BadRequest(args.file + " is too large");
  return doc;
}

std::string ToUpper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string Location(const json::object& ref) {
  return FieldText(ref, "line") + ":" + FieldText(ref, "column");
}

std::string KeyText(const json::object& ref) {
  std::string key = FieldText(ref, "key");
  if (const auto* v = ref.if_contains("version"); v && !v->is_null()) key += "@" + ValueText(*v);
  return key;
}

// A table per element, in order of first appearance; `extra` columns follow the location.
std::string FormatReferences(const json::array& references, const std::vector<std::string>& extra) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::vector<std::string>>> rows;
  for (const json::value& v : references) {
    if (!v.is_object()) continue;
    const json::object& ref = v.get_object();
    const std::string element = FieldText(ref, "element");
    if (!rows.contains(element)) order.push_back(element);
    std::vector<std::string> row{KeyText(ref), Location(ref), FieldText(ref, "pointer")};
    for (const std::string& name : extra) row.push_back(FieldText(ref, name));
    rows[element].push_back(std::move(row));
  }
  std::vector<std::string> headers{"KEY", "LINE:COL", "POINTER"};
  for (const std::string& name : extra) headers.push_back(ToUpper(name));
  std::string out;
  for (const std::string& element : order) {
    out +=
        (element == "-" ? std::string("(process level)") : "element " + Printable(element)) + "\n";
    out += FormatTable(headers, rows[element]) + "\n";
  }
  if (references.empty()) out += "no references\n";
  return out;
}

std::string FormatProblems(const json::array& problems) {
  if (problems.empty()) return "";
  std::vector<std::vector<std::string>> rows;
  for (const json::value& v : problems) {
    if (!v.is_object()) continue;
    const json::object& p = v.get_object();
    rows.push_back({Location(p), KeyText(p), FieldText(p, "element"), FieldText(p, "pointer"),
                    FieldText(p, "reason")});
  }
  return "problems\n" + FormatTable({"LINE:COL", "KEY", "ELEMENT", "POINTER", "REASON"}, rows);
}

json::value Optional(const auto& v) {
  if (v) return json::value_from(*v);
  return nullptr;
}

json::object LocalReferenceJson(const std::string& key, std::optional<uint64_t> version,
                                std::optional<refs::Location> location,
                                const std::optional<std::string>& element,
                                const std::optional<std::string>& pointer) {
  return {{"key", key},
          {"version", Optional(version)},
          {"line", location ? json::value(location->line) : json::value(nullptr)},
          {"column", location ? json::value(location->column) : json::value(nullptr)},
          {"element", Optional(element)},
          {"pointer", Optional(pointer)}};
}

// The same shape the API answers with.
json::object ScanJson(const refs::Scan& scan) {
  json::array references;
  for (const refs::Reference& r : scan.references) {
    references.push_back(LocalReferenceJson(r.key, r.version, r.location, r.element, r.pointer));
  }
  json::array problems;
  for (const refs::Problem& p : scan.problems) {
    json::object o = LocalReferenceJson(p.key, p.version, p.location, p.element, p.pointer);
    o["reason"] = refs::ReasonName(p.reason);
    problems.push_back(std::move(o));
  }
  return {{"references", std::move(references)}, {"problems", std::move(problems)}};
}

// `answer[name]` when it is an array, else an empty one (an answer of another shape).
const json::array& ArrayField(const json::object& answer, std::string_view name) {
  static const json::array kEmpty;
  const json::value* v = answer.if_contains(name);
  return v != nullptr && v->is_array() ? v->get_array() : kEmpty;
}

int Report(const json::object& answer, const std::vector<std::string>& extra, bool failed,
           Session& session) {
  if (session.json()) {
    session.PrintJson(json::serialize(answer));
  } else {
    session.out() << FormatReferences(ArrayField(answer, "references"), extra)
                  << FormatProblems(ArrayField(answer, "problems"));
  }
  return failed ? kExitProblems : kExitOk;
}

int RunRefs(const RefsArgs& args, Session& session) {
  Result<Document> doc = LoadDocument(args);
  if (!doc.ok()) {
    session.PrintError(doc.status().message());
    return kExitUsage;
  }
  Result<refs::Scan> scan = refs::ScanDocument(doc->bytes, doc->format, doc->dialect);
  if (!scan.ok()) {
    session.PrintError(scan.status().message());
    return kExitProblems;
  }
  return Report(ScanJson(*scan), {}, !scan->problems.empty(), session);
}

Request DocumentRequest(const RefsArgs& args, const Document& doc, std::string_view action) {
  Request request = MakeRequest(
      "POST", EnvironmentPath(args.env) + "/" + std::string(action) +
                  Query().Add("format", doc.format_name).Add("dialect", args.dialect).ToString());
  request.content_type = std::string(refs::MediaType(doc.format));
  request.body = SecretBytes(std::string_view(doc.bytes));
  return request;
}

int RunValidate(const RefsArgs& args, Session& session) {
  Result<Document> doc = LoadDocument(args);
  if (!doc.ok()) {
    session.PrintError(doc.status().message());
    return kExitUsage;
  }
  std::optional<Response> response = session.Call(DocumentRequest(args, *doc, "validate"));
  if (!response) return kExitServer;
  std::optional<json::object> answer = session.ParseObject(*response);
  if (!answer) return kExitServer;
  bool failed = !ArrayField(*answer, "problems").empty();
  for (const json::value& ref : ArrayField(*answer, "references")) {
    const json::value* exists = ref.is_object() ? ref.get_object().if_contains("exists") : nullptr;
    failed = failed || exists == nullptr || !exists->is_bool() || !exists->get_bool();
  }
  return Report(*answer, {"exists", "resolvable"}, failed, session);
}

int RunRender(const RefsArgs& args, Session& session) {
  Result<Document> doc = LoadDocument(args);
  if (!doc.ok()) {
    session.PrintError(doc.status().message());
    return kExitUsage;
  }
  Result<std::optional<SecretFile>> output = SecretFile::CreateIfNamed(args.output);
  if (!output.ok()) {
    session.PrintError(output.status().message());
    return kExitUsage;
  }
  std::optional<Response> response = session.Call(DocumentRequest(args, *doc, "render"));
  if (!response) return kExitServer;
  if (output->has_value()) {
    const Status written = (*output)->Commit(response->body);
    WipeString(response->body);
    if (!written.ok()) {
      session.PrintError(written.message());
      return kExitUsage;
    }
    if (!session.json())
      session.out() << "rendered " << Printable(args.file) << " to " << Printable((*output)->path())
                    << "\n";
    return kExitOk;
  }
  session.out() << response->body;
  session.out().flush();
  WipeString(response->body);
  return kExitOk;
}

CLI::App* AddDocumentCommand(CLI::App& root, const std::string& name, const std::string& help,
                             RefsArgs& args, bool with_env) {
  CLI::App* cmd = root.add_subcommand(name, help);
  cmd->add_option("file", args.file, "the definition (BPMN/XML, JSON, .env, text)")->required();
  if (with_env) cmd->add_option("--env", args.env, "the environment")->required();
  cmd->add_option("--format", args.format,
                  "text, json, xml (or bpmn), url, env (default: from the extension)")
      ->check(CLI::IsMember({"text", "json", "xml", "bpmn", "url", "env"}));
  cmd->add_option("--dialect", args.dialect,
                  "camunda also finds the bare form secrets.KEY in attributes")
      ->check(CLI::IsMember({"standard", "camunda"}));
  return cmd;
}

void OnParsed(CLI::App* cmd, Action& action, std::shared_ptr<RefsArgs> args,
              int (*run)(const RefsArgs&, Session&)) {
  cmd->callback([&action, args, run] {
    action = [args, run](Session& session) { return run(*args, session); };
  });
}

}  // namespace

void AddRefsCommands(CLI::App& root, Action& action) {
  auto args = std::make_shared<RefsArgs>();
  OnParsed(
      AddDocumentCommand(root, "refs", "list a definition's references (offline)", *args, false),
      action, args, RunRefs);
  OnParsed(
      AddDocumentCommand(root, "validate", "check that a definition's references exist (no values)",
                         *args, true),
      action, args, RunValidate);
  CLI::App* render = AddDocumentCommand(
      root, "render", "write a definition with its references' values put in", *args, true);
  render->add_option("-o,--output", args->output,
                     "write to FILE instead of stdout (created 0600; never overwrites)");
  OnParsed(render, action, args, RunRender);
}

}  // namespace svault::cli
