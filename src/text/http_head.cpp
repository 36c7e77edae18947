// HTTP/1.1 response heads; see http_head.hpp.
#include "text/http_head.hpp"

#include <cstdint>

#include "text/ascii.hpp"
#include "text/json_text.hpp"

namespace http_text {
namespace {

// RFC 9110 token characters.
bool IsToken(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool ServerOwned(std::string_view name) {
  return ascii::EqualsIgnoreCase(name, "content-length") ||
         ascii::EqualsIgnoreCase(name, "transfer-encoding") ||
         ascii::EqualsIgnoreCase(name, "connection");
}

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ");
  const std::size_t start = out.size();
  out.append(value);
  for (std::size_t i = start; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n' || out[i] == '\0') out[i] = ' ';
  }
  out.append("\r\n");
}

}  // namespace

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Entity";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

bool StatusHasNoBody(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

void AppendResponseHead(std::string& out, const ResponseHead& head) {
  out.append("HTTP/1.1 ");
  json_text::AppendInt(out, head.status);
  out.push_back(' ');
  out.append(ReasonPhrase(head.status)).append("\r\n");
  const Headers none;
  const Headers& headers = head.headers != nullptr ? *head.headers : none;
  // A caller's header replaces the gateway's field of the same name, and a later header an
  // earlier one: a field is written only when no later one has its name.
  const auto replaced = [&](std::string_view name, std::size_t from) {
    for (std::size_t i = from; i < headers.size(); ++i) {
      if (ascii::EqualsIgnoreCase(headers[i].first, name)) return true;
    }
    return false;
  };
  if (!head.server.empty() && !replaced("server", 0)) AppendField(out, "Server", head.server);
  if (!head.content_type.empty() && !replaced("content-type", 0)) {
    AppendField(out, "Content-Type", head.content_type);
  }
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = headers[i];
    if (!IsToken(name) || ServerOwned(name) || replaced(name, i + 1)) continue;
    AppendField(out, name, value);
  }
  if (!StatusHasNoBody(head.status)) {
    if (head.content_length) {
      out.append("Content-Length: ");
      json_text::AppendInt(out, static_cast<std::int64_t>(*head.content_length));
      out.append("\r\n");
    } else {
      out.append("Transfer-Encoding: chunked\r\n");
    }
  }
  if (!head.keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
}

}  // namespace http_text
