// OpenAI error bodies: the ApiError value every OpenAI-facing failure is reported as.
#pragma once

#include <string>

namespace api::openai {

struct ApiError {
  int http_status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // "" = null
  std::string code;   // "" = null
};

// {"error":{"message":…,"type":…,"param":…|null,"code":…|null}}; validates against the spec's
// ErrorResponse (all four fields are required there, so null is written, never omitted).
std::string RenderError(const ApiError& error);

// Appends the error object's text to `out`; shared by RenderError and the mid-stream error event.
void AppendErrorJson(std::string& out, const ApiError& error);

ApiError BadRequest(std::string message, std::string param = "", std::string code = "");

}  // namespace api::openai
