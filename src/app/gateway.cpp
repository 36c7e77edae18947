// Gateway wiring and the HTTP router; see gateway.hpp.
#include "app/gateway.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "api/openai/endpoint.hpp"
#include "api/openai/errors.hpp"
#include "app/api_keys.hpp"
#include "app/child_env.hpp"
#include "app/readiness.hpp"
#include "lingma/instance.hpp"
#include "net/http_server.hpp"
#include "obs/log.hpp"
#include "relay/chat_relay.hpp"
#include "relay/model_catalog.hpp"

namespace app {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<lingma::Instance*> Pointers(const std::vector<std::unique_ptr<lingma::Instance>>& v) {
  std::vector<lingma::Instance*> out;
  for (const auto& i : v) out.push_back(i.get());
  return out;
}

std::vector<std::unique_ptr<lingma::Instance>> MakeInstances(
    asio::any_io_executor executor, const Config& config, const fs::path& binary,
    const std::map<std::string, std::string>& env, obs::Logger& logger) {
  std::vector<std::unique_ptr<lingma::Instance>> instances;
  const bool attach = config.lingma_mode == LingmaMode::kAttach;
  const auto child_env = ChildEnvironment(env);
  for (int i = 0; i < config.pool_size; ++i) {
    lingma::InstanceOptions options;
    options.index = i;
    options.mode = attach ? lingma::LaunchMode::kAttach : lingma::LaunchMode::kSpawn;
    options.binary = binary;
    options.work_dir = attach ? fs::path(config.work_dir)
                              : fs::path(config.work_dir) / ("inst-" + std::to_string(i));
    options.socket_port = config.socket_port;
    options.child_env = child_env;
    options.startup_timeout = config.startup_timeout;
    options.rpc_timeout = config.rpc_timeout;
    options.heartbeat_interval = config.heartbeat_interval;
    options.backoff.initial = config.reconnect_initial;
    options.backoff.max = config.reconnect_max;
    options.client_version = LGW_VERSION;
    instances.push_back(std::make_unique<lingma::Instance>(executor, std::move(options), logger));
  }
  return instances;
}

std::string NewRequestId(std::mt19937_64& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "req_";
  for (int i = 0; i < 24; ++i) id.push_back(kHex[random() % 16]);
  return id;
}

}  // namespace

struct GatewayState {
  GatewayState(asio::any_io_executor executor_in, Config config_in, fs::path binary,
               const std::map<std::string, std::string>& env, obs::Logger& logger_in)
      : executor(executor_in),
        config(std::move(config_in)),
        logger(logger_in),
        instances(MakeInstances(executor_in, config, binary, env, logger_in)),
        relay(Pointers(instances),
              relay::RelayOptions{.idle_timeout = config.chat_idle_timeout,
                                  .silence_interval = config.sse_keepalive_interval,
                                  .ask_mode = config.default_ask_mode},
              logger_in),
        catalog(Pointers(instances), "chat"),
        keys(config.api_keys),
        openai{relay, catalog, logger_in, config.default_model, {}},
        random(std::random_device{}()) {}

  asio::awaitable<net::HttpResponse> Route(const net::HttpRequest& request,
                                           net::ResponseStream& stream);
  std::vector<std::pair<std::string, std::string>> CorsHeaders(const net::HttpRequest& request) const;

  asio::any_io_executor executor;
  Config config;
  obs::Logger& logger;
  std::vector<std::unique_ptr<lingma::Instance>> instances;
  relay::ChatRelay relay;
  relay::ModelCatalog catalog;
  ApiKeys keys;
  api::openai::EndpointContext openai;
  std::unique_ptr<net::HttpServer> server;
  std::mt19937_64 random;
};

std::vector<std::pair<std::string, std::string>> GatewayState::CorsHeaders(
    const net::HttpRequest& request) const {
  std::vector<std::pair<std::string, std::string>> headers;
  const std::string_view origin = request.Header("origin");
  if (origin.empty() || config.cors_allow_origins.empty()) return headers;
  bool allowed = false;
  for (const auto& o : config.cors_allow_origins) allowed |= o == "*" || o == origin;
  if (!allowed) return headers;
  headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  headers.emplace_back("Vary", "Origin");
  headers.emplace_back("Access-Control-Expose-Headers", "X-Request-Id, Retry-After");
  return headers;
}

asio::awaitable<net::HttpResponse> GatewayState::Route(const net::HttpRequest& request,
                                                       net::ResponseStream& stream) {
  const auto started = Clock::now();
  const std::string request_id = NewRequestId(random);
  api::openai::Headers headers = CorsHeaders(request);
  const bool cors_allowed = !headers.empty();
  headers.emplace_back("X-Request-Id", request_id);
  net::HttpResponse response;
  std::string key_fingerprint = "-";

  const std::string& path = request.path;
  if (request.method == "OPTIONS" && cors_allowed) {
    // CORS preflight of an allowed origin.
    response.status = 204;
    response.content_type = "text/plain";
    headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    headers.emplace_back("Access-Control-Allow-Headers",
                         "Authorization, Content-Type, x-api-key, X-Request-Id, "
                         "X-Claude-Code-Session-Id, X-Claude-Code-Agent-Id");
    headers.emplace_back("Access-Control-Max-Age", "600");
  } else if (path == "/health" && request.method == "GET") {
    response.body = "{\"status\":\"ok\"}";
  } else if (path == "/ready" && request.method == "GET") {
    std::vector<lingma::InstanceSnapshot> snapshots;
    for (const auto& i : instances) snapshots.push_back(i->Snapshot());
    auto readiness = RenderReadiness(snapshots, config.simulator);
    response.status = readiness.http_status;
    response.body = std::move(readiness.body);
    if (response.status != 200) response.headers.emplace_back("Retry-After", "2");
  } else if (path.starts_with("/v1/")) {
    auto who = keys.Authenticate(request.Header("authorization"), request.Header("x-api-key"));
    if (!who) {
      response = api::openai::ErrorResponse(api::openai::ApiError{
          401,
          "Incorrect or missing API key. Send it as 'Authorization: Bearer <key>' or "
          "'x-api-key: <key>'.",
          "invalid_request_error", "", "invalid_api_key"});
    } else {
      key_fingerprint = *who;
      if (path == "/v1/chat/completions") {
        if (request.method != "POST") {
          response = api::openai::ErrorResponse(
              {405, "Use POST for /v1/chat/completions.", "invalid_request_error", "",
               "method_not_allowed"});
        } else {
          response = co_await api::openai::HandleChatCompletions(openai, request, stream, headers);
        }
      } else if (path == "/v1/models" || path.starts_with("/v1/models/")) {
        if (request.method != "GET") {
          response = api::openai::ErrorResponse(
              {405, "Use GET for /v1/models.", "invalid_request_error", "", "method_not_allowed"});
        } else {
          response = co_await api::openai::HandleModels(openai, request);
        }
      } else {
        response = api::openai::ErrorResponse(
            {404, "Unknown endpoint: " + request.method + " " + path, "invalid_request_error", "",
             "unknown_endpoint"});
      }
    }
  } else {
    response = api::openai::ErrorResponse({404, "Unknown endpoint: " + request.method + " " + path,
                                           "invalid_request_error", "", "unknown_endpoint"});
  }
  for (auto& h : headers) response.headers.push_back(h);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count();
  logger.Info("http.request", {{"request_id", request_id},
                               {"method", request.method},
                               {"path", path},
                               {"status", stream.begun() ? 200 : response.status},
                               {"streamed", stream.begun()},
                               {"key", key_fingerprint},
                               {"latency_us", static_cast<std::int64_t>(micros)}});
  co_return response;
}

Gateway::Gateway(asio::any_io_executor executor, Config config, fs::path binary,
                 const std::map<std::string, std::string>& env, obs::Logger& logger)
    : state_(std::make_unique<GatewayState>(executor, std::move(config), std::move(binary), env,
                                            logger)) {}

Gateway::~Gateway() = default;

void Gateway::Start() {
  for (auto& instance : state_->instances) instance->Start();
  net::HttpServerOptions http;
  http.host = state_->config.host;
  http.port = static_cast<std::uint16_t>(state_->config.port);
  http.max_body_bytes = state_->config.max_body_bytes;
  auto* state = state_.get();
  state_->server = net::HttpServer::Start(
      state_->executor, http,
      [state](const net::HttpRequest& r, net::ResponseStream& s) { return state->Route(r, s); });
}

std::uint16_t Gateway::port() const { return state_->server ? state_->server->port() : 0; }

asio::awaitable<void> Gateway::Shutdown() {
  if (state_->server) state_->server->StopAccepting();
  for (auto& instance : state_->instances) co_await instance->Stop();
}

}  // namespace app
