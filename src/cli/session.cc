#include "cli/session.h"

#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/output.h"
#include "cli/value_input.h"

namespace svault::cli {
namespace {

namespace json = boost::json;

constexpr std::string_view kPageLimit = "1000";

// The next_cursor of a list page: nullopt at the end (null or missing).
std::optional<std::string> NextCursor(const json::object& page) {
  const json::value* cursor = page.if_contains("next_cursor");
  if (cursor == nullptr || cursor->is_null()) return std::nullopt;
  if (cursor->is_string()) return std::string(cursor->get_string());
  return json::serialize(*cursor);
}

}  // namespace

Io StandardIo() {
  Io io;
  io.in = &std::cin;
  io.out = &std::cout;
  io.err = &std::cerr;
  io.in_is_terminal = isatty(STDIN_FILENO) == 1;
  io.out_is_terminal = isatty(STDOUT_FILENO) == 1;
  io.prompt = PromptNoEcho;
  io.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  io.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  return io;
}

Session::Session(Io& io, Transport& transport, bool json, bool has_token)
    : io_(io), transport_(transport), json_(json), has_token_(has_token) {}

void Session::AddSensitive(std::string_view bytes) { sensitive_.emplace_back(bytes); }

void Session::PrintError(std::string_view message) { PrintNote("error", message); }

void Session::PrintNote(std::string_view prefix, std::string_view message) {
  *io_.err << prefix << ": " << Printable(Redact(message, sensitive_)) << "\n";
  io_.err->flush();
}

std::optional<Response> Session::Call(const Request& request) {
  auto response = transport_.Send(request);
  if (!response.ok()) {
    PrintError(response.status().message());
    return std::nullopt;
  }
  if (response->status >= 200 && response->status < 300) return std::move(response).value();

  *io_.err << FormatApiError(*response, sensitive_);
  if (response->status == 401 && !has_token_) {
    *io_.err << "hint: no token given: set SVAULT_TOKEN or pass --token-file FILE\n";
  }
  io_.err->flush();
  return std::nullopt;
}

std::optional<json::object> Session::ParseObject(const Response& response) {
  boost::system::error_code ec;
  json::value body = json::parse(response.body, ec);
  if (ec || !body.is_object()) {
    PrintError("the server's answer is not a JSON object (HTTP " + std::to_string(response.status) +
               ")");
    return std::nullopt;
  }
  return std::move(body.get_object());
}

std::optional<json::array> Session::CallList(const std::string& path, const Query& query) {
  json::array items;
  std::optional<std::string> cursor;
  do {
    Query page_query = query;
    page_query.Add("limit", kPageLimit);
    if (cursor) page_query.Add("cursor", *cursor);
    auto response = Call(MakeRequest("GET", path + page_query.ToString()));
    if (!response) return std::nullopt;
    auto page = ParseObject(*response);
    if (!page) return std::nullopt;

    const json::value* page_items = page->if_contains("items");
    if (page_items == nullptr || !page_items->is_array()) {
      PrintError("the server's list answer has no items array");
      return std::nullopt;
    }
    for (const auto& item : page_items->get_array()) items.push_back(item);

    auto next = NextCursor(*page);
    if (next && next == cursor) {
      PrintError("the server returned the same cursor twice; stopping");
      return std::nullopt;
    }
    cursor = std::move(next);
  } while (cursor);
  return items;
}

int Session::Show(const Request& request, const ObjectFormatter& human) {
  auto response = Call(request);
  if (!response) return kExitServer;
  if (json_) {
    PrintJson(response->body);
    return kExitOk;
  }
  auto object = ParseObject(*response);
  if (!object) return kExitServer;
  out() << human(*object);
  return kExitOk;
}

int Session::ShowList(const std::string& path, const Query& query,
                      const std::vector<std::string>& columns) {
  auto items = CallList(path, query);
  if (!items) return kExitServer;
  if (json_) {
    PrintItems(*items);
  } else {
    out() << FormatItems(*items, columns);
  }
  return kExitOk;
}

int Session::Do(const Request& request, std::string_view done) {
  if (!Call(request)) return kExitServer;
  if (!json_) out() << Printable(done) << "\n";
  return kExitOk;
}

void Session::PrintJson(std::string_view text) {
  out() << text;
  if (text.empty() || text.back() != '\n') out() << "\n";
  out().flush();
}

void Session::PrintItems(const json::array& items) {
  json::object wrapper;
  wrapper["items"] = items;
  PrintJson(json::serialize(wrapper));
}

}  // namespace svault::cli
