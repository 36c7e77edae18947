// OpenAI error bodies; see errors.hpp.
#include "api/openai/errors.hpp"

#include <utility>

#include "text/json_text.hpp"

namespace api::openai {
namespace {

void AppendStringOrNull(std::string& out, const std::string& value) {
  if (value.empty()) {
    out.append("null");
  } else {
    json_text::AppendString(out, value);
  }
}

}  // namespace

void AppendErrorJson(std::string& out, const ApiError& error) {
  out.append(R"({"error":{"message":)");
  json_text::AppendString(out, error.message);
  out.append(R"(,"type":)");
  json_text::AppendString(out, error.type);
  out.append(R"(,"param":)");
  AppendStringOrNull(out, error.param);
  out.append(R"(,"code":)");
  AppendStringOrNull(out, error.code);
  out.append("}}");
}

std::string RenderError(const ApiError& error) {
  std::string out;
  AppendErrorJson(out, error);
  return out;
}

ApiError BadRequest(std::string message, std::string param, std::string code) {
  ApiError error;
  error.http_status = 400;
  error.message = std::move(message);
  error.param = std::move(param);
  error.code = std::move(code);
  return error;
}

}  // namespace api::openai
