#include "cli/request.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace svault::cli {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool IsAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

void AppendEscaped(std::string& out, char c) {
  const auto byte = static_cast<unsigned char>(c);
  out += '%';
  out += kHex[byte >> 4];
  out += kHex[byte & 0xf];
}

void AppendSegment(std::string& out, std::string_view segment) {
  const bool dots_only = segment == "." || segment == "..";
  for (char c : segment) {
    const bool plain = IsAlnum(c) || c == '-' || c == '_' || (c == '.' && !dots_only);
    if (plain) {
      out += c;
    } else {
      AppendEscaped(out, c);
    }
  }
}

}  // namespace

std::string EncodeQueryValue(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (IsAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += c;
    } else {
      AppendEscaped(out, c);
    }
  }
  return out;
}

std::string EncodePathSegment(std::string_view segment) {
  std::string out;
  AppendSegment(out, segment);
  return out;
}

std::string EncodeKeyPath(std::string_view key) {
  std::string out;
  size_t start = 0;
  while (true) {
    const size_t slash = key.find('/', start);
    AppendSegment(out, key.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

Query& Query::Add(std::string_view name, std::string_view value) {
  params_.emplace_back(std::string(name), EncodeQueryValue(value));
  return *this;
}

std::string Query::ToString() const {
  std::string out;
  for (const auto& [name, value] : params_) {
    out += out.empty() ? '?' : '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string EnvironmentPath(std::string_view env) {
  return "/api/v1/environments/" + EncodePathSegment(env);
}

std::string KeyPath(std::string_view env, std::string_view collection, std::string_view key) {
  return EnvironmentPath(env) + "/" + std::string(collection) + "/" + EncodeKeyPath(key);
}

Request MakeRequest(std::string method, std::string target) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  return request;
}

Request MakeJsonRequest(std::string method, std::string target, const boost::json::object& body) {
  Request request = MakeRequest(std::move(method), std::move(target));
  request.content_type = "application/json";
  request.body = SecretBytes::Adopt(boost::json::serialize(body));
  return request;
}

}  // namespace svault::cli
