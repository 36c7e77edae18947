// The OpenAI HTTP routes: POST /v1/chat/completions (JSON or SSE) and GET /v1/models[/{id}].
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "api/openai/chat_request.hpp"
#include "api/openai/models.hpp"
#include "net/http_server.hpp"
#include "relay/chat_relay.hpp"
#include "relay/model_catalog.hpp"

namespace obs {
class Logger;
}

namespace api::openai {

struct EndpointContext {
  relay::ChatRelay& relay;
  relay::ModelCatalog& catalog;
  obs::Logger& logger;
  std::string default_model;
  ParseLimits limits;
  // The OpenAI ids and aliases of the catalog's current model list, rebuilt only when the
  // catalog hands out a new list.
  struct {
    relay::ModelCatalog::ModelList source;
    std::vector<ModelEntry> entries;
  } model_entries = {};
  // Where a stream's delta chunks are rendered on their way to its connection (SseSink::TakeNow),
  // between two awaits: one buffer, warm in the cache, for every stream instead of one each.
  std::string chunk_scratch;
};

// Headers every response of this request carries (request id, CORS), set by the router.
using Headers = std::vector<std::pair<std::string, std::string>>;

// `scope`: the caller's API key fingerprint (session reuse never crosses keys). Adds the
// `X-Lingma-Session: hit|miss|fork|off` header; `report` receives what happened (for logs).
boost::asio::awaitable<net::HttpResponse> HandleChatCompletions(
    EndpointContext& context, const net::HttpRequest& request, net::ResponseStream& stream,
    const Headers& headers, std::string_view scope, relay::TurnReport& report);

// GET /v1/models and GET /v1/models/{id}.
boost::asio::awaitable<net::HttpResponse> HandleModels(EndpointContext& context,
                                                       const net::HttpRequest& request);

// An ApiError as an HTTP response (adds Retry-After to 503 and 429).
net::HttpResponse ErrorResponse(const ApiError& error);

}  // namespace api::openai
