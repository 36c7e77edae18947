// Gateway wiring and the HTTP router; see gateway.hpp.
#include "app/gateway.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <random>

#include "api/openai/endpoint.hpp"
#include "api/openai/errors.hpp"
#include "app/api_keys.hpp"
#include "app/child_env.hpp"
#include "app/gateway_metrics.hpp"
#include "app/memory.hpp"
#include "app/rate_limiter.hpp"
#include "app/readiness.hpp"
#include "app/stats.hpp"
#include "chat/session_cache.hpp"
#include "lingma/instance.hpp"
#include "lingma/pool.hpp"
#include "net/http_server.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
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
    options.turn_buffer = static_cast<std::size_t>(config.turn_buffer);
    options.backoff.initial = config.reconnect_initial;
    options.backoff.max = config.reconnect_max;
    options.client_version = LGW_VERSION;
    instances.push_back(std::make_unique<lingma::Instance>(executor, std::move(options), logger));
  }
  return instances;
}

bool IsLoopback(std::string_view address) {
  return address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
}

}  // namespace

struct GatewayState {
  GatewayState(asio::any_io_executor executor_in, Config config_in, fs::path binary,
               const std::map<std::string, std::string>& env, obs::Logger& logger_in)
      : executor(executor_in),
        config(std::move(config_in)),
        logger(logger_in),
        instances(MakeInstances(executor_in, config, binary, env, logger_in)),
        pool(executor_in, Pointers(instances),
             lingma::PoolOptions{
                 .max_turns_per_instance = static_cast<std::size_t>(config.max_turns_per_instance),
                 .acquire_timeout = config.acquire_timeout,
                 .max_waiters = static_cast<std::size_t>(config.max_waiting)}),
        cache(chat::SessionCacheOptions{.enabled = config.session_reuse,
                                        .max_entries = static_cast<std::size_t>(
                                            config.session_cache_max_entries),
                                        .ttl = config.session_cache_ttl},
              [] { return std::chrono::steady_clock::now(); }),
        relay(pool, cache,
              relay::RelayOptions{.idle_timeout = config.chat_idle_timeout,
                                  .silence_interval = config.sse_keepalive_interval,
                                  .ask_mode = config.default_ask_mode},
              logger_in),
        catalog(Pointers(instances), "chat"),
        keys(config.api_keys),
        limiter(RateLimits{.max_concurrent = config.max_concurrent_per_key,
                           .requests_per_second = config.rate_limit_rps,
                           .burst = config.rate_limit_burst},
                [] { return std::chrono::steady_clock::now(); }),
        openai{relay, catalog, logger_in, config.default_model, {}},
        metrics(registry,
                GatewayMetrics::Sources{
                    .instances = [this] { return Snapshots(); },
                    .cache = [this] { return cache.stats(); },
                    .waiting = [this] { return pool.waiting(); },
                    .open_connections =
                        [this] { return server ? server->open_connections() : std::size_t{0}; }}),
        started_at(std::chrono::steady_clock::now()) {
    for (auto& instance : instances) {
      const int index = instance->Snapshot().index;
      instance->OnStateChange([this, index](lingma::InstanceState state) {
        // Sessions of a process that went away died with it.
        if (state != lingma::InstanceState::kReady) cache.DropInstance(index);
        pool.Notify();
      });
    }
  }

  std::vector<lingma::InstanceSnapshot> Snapshots() const {
    std::vector<lingma::InstanceSnapshot> out;
    for (const auto& i : instances) out.push_back(i->Snapshot());
    return out;
  }

  asio::awaitable<net::HttpResponse> Route(const net::HttpRequest& request,
                                           net::ResponseStream& stream);
  asio::awaitable<net::HttpResponse> Internal(const net::HttpRequest& request);
  std::vector<std::pair<std::string, std::string>> CorsHeaders(
      const net::HttpRequest& request) const;
  asio::awaitable<void> ExpireSessions();

  // When the last request in progress ends, the gateway is idle: once it has stayed idle for a
  // while, the memory a burst freed goes back to the system (see FreedMemoryReturner). Only the
  // time is noted per request; one timer at a time checks it.
  void RequestEnded() {
    if (--active_requests > 0 || stopping) return;
    idle_since = Clock::now();
    if (!idle_timer_armed) WaitForIdleness(kIdleBeforeGivingBack);
  }
  void WaitForIdleness(Clock::duration wait) {
    idle_timer_armed = true;
    idle_timer.expires_after(wait);
    idle_timer.async_wait([this, alive = alive](boost::system::error_code ec) {
      if (ec || !*alive) return;  // cancelled, or the state is gone
      idle_timer_armed = false;
      if (active_requests > 0 || stopping) return;  // the next idle moment arms it again
      const auto idle_for = Clock::now() - idle_since;
      if (idle_for < kIdleBeforeGivingBack)
        return WaitForIdleness(kIdleBeforeGivingBack - idle_for);
      if (const auto released = memory.OnIdle()) {
        logger.Info("gateway.memory_given_back",
                    {{"rss_kib_before", released->resident_before / 1024},
                     {"rss_kib_after", released->resident_after / 1024}});
      }
    });
  }
  static constexpr auto kIdleBeforeGivingBack = std::chrono::seconds(1);

  asio::any_io_executor executor;
  Config config;
  obs::Logger& logger;
  std::vector<std::unique_ptr<lingma::Instance>> instances;
  lingma::Pool pool;
  chat::SessionCache cache;
  relay::ChatRelay relay;
  relay::ModelCatalog catalog;
  ApiKeys keys;
  RateLimiter limiter;
  api::openai::EndpointContext openai;
  obs::MetricsRegistry registry;
  GatewayMetrics metrics;
  std::unique_ptr<net::HttpServer> server;
  std::chrono::steady_clock::time_point started_at;
  bool stopping = false;
  std::size_t active_requests = 0;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);  // false once destroyed
  // Idleness and memory (RequestEnded).
  Clock::time_point idle_since;
  bool idle_timer_armed = false;
  asio::steady_timer idle_timer{executor};
  FreedMemoryReturner memory{4 * 1024 * 1024, ResidentBytes, ReleaseFreePages};

  ~GatewayState() { *alive = false; }
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
  metrics.RequestStarted();
  ++active_requests;
  struct Done {
    GatewayState& state;
    // A request cut at shutdown ends when the event loop is destroyed, after the state.
    std::shared_ptr<bool> alive;
    ~Done() {
      if (*alive) state.RequestEnded();
    }
  } done{*this, alive};
  const std::string& request_id = request.id;
  api::openai::Headers headers = CorsHeaders(request);
  const bool cors_allowed = !headers.empty();
  headers.emplace_back("X-Request-Id", request_id);
  net::HttpResponse response;
  std::string key_fingerprint = "-";
  std::optional<relay::TurnReport> turn;

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
    auto readiness = RenderReadiness(Snapshots(), config.simulator);
    response.status = readiness.http_status;
    response.body = std::move(readiness.body);
    if (response.status != 200) response.headers.emplace_back("Retry-After", "2");
  } else if (path == "/metrics" || path.starts_with("/internal/")) {
    response = co_await Internal(request);
  } else if (path.starts_with("/v1/")) {
    auto who = keys.Authenticate(request.Header("authorization"), request.Header("x-api-key"));
    if (!who) {
      response = api::openai::ErrorResponse(api::openai::ApiError{
          401,
          "Incorrect or missing API key. Send it as 'Authorization: Bearer <key>' or "
          "'x-api-key: <key>'.",
          "invalid_request_error", "", "invalid_api_key"});
    } else if (path == "/v1/chat/completions") {
      key_fingerprint = *who;
      const auto admission =
          request.method == "POST" ? limiter.Admit(*who) : RateLimiter::Decision{};
      if (request.method != "POST") {
        response = api::openai::ErrorResponse({405, "Use POST for /v1/chat/completions.",
                                               "invalid_request_error", "", "method_not_allowed"});
      } else if (!admission.admitted) {
        response = api::openai::ErrorResponse(
            {429,
             "Rate limit reached: " + admission.reason + ". Retry after " +
                 std::to_string(admission.retry_after.count()) + " s.",
             "rate_limit_exceeded", "", "rate_limit_exceeded"});
        response.headers.erase(
            std::remove_if(response.headers.begin(), response.headers.end(),
                           [](const auto& h) { return h.first == "Retry-After"; }),
            response.headers.end());
        response.headers.emplace_back("Retry-After", std::to_string(admission.retry_after.count()));
      } else {
        struct Release {
          RateLimiter& limiter;
          const std::string& key;
          ~Release() { limiter.Release(key); }
        } release{limiter, *who};
        turn.emplace();
        response = co_await api::openai::HandleChatCompletions(openai, request, stream, headers,
                                                               *who, *turn);
        if (turn->outcome.empty()) turn.reset();
      }
    } else if (path == "/v1/models" || path.starts_with("/v1/models/")) {
      key_fingerprint = *who;
      if (request.method != "GET") {
        response = api::openai::ErrorResponse(
            {405, "Use GET for /v1/models.", "invalid_request_error", "", "method_not_allowed"});
      } else {
        response = co_await api::openai::HandleModels(openai, request);
      }
    } else {
      response =
          api::openai::ErrorResponse({404, "Unknown endpoint: " + request.method + " " + path,
                                      "invalid_request_error", "", "unknown_endpoint"});
    }
  } else {
    response = api::openai::ErrorResponse({404, "Unknown endpoint: " + request.method + " " + path,
                                           "invalid_request_error", "", "unknown_endpoint"});
  }
  for (auto& h : headers) response.headers.push_back(h);

  const int status = stream.begun() ? 200 : response.status;
  const auto duration =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
  metrics.RequestFinished(path, status, duration);
  if (turn) metrics.TurnFinished(*turn);
  if (turn) {
    logger.Info("http.request",
                {{"request_id", request_id},
                 {"method", request.method},
                 {"path", path},
                 {"status", status},
                 {"streamed", stream.begun()},
                 {"key", key_fingerprint},
                 {"latency_us", static_cast<std::int64_t>(duration.count())},
                 {"instance", turn->instance},
                 {"session", chat::ToString(turn->session)},
                 {"session_reason", turn->session_reason},
                 {"outcome", turn->outcome},
                 {"ttft_us", static_cast<std::int64_t>(turn->time_to_first_token.count())},
                 {"prompt_bytes", turn->prompt_bytes}});
  } else if (path != "/health" && path != "/metrics") {
    logger.Info("http.request", {{"request_id", request_id},
                                 {"method", request.method},
                                 {"path", path},
                                 {"status", status},
                                 {"key", key_fingerprint},
                                 {"latency_us", static_cast<std::int64_t>(duration.count())}});
  }
  co_return response;
}

asio::awaitable<net::HttpResponse> GatewayState::Internal(const net::HttpRequest& request) {
  // Operators only: a loopback peer, or the admin key from anywhere.
  const bool admin_key =
      !config.admin_api_key.empty() &&
      ApiKeys({config.admin_api_key})
          .Authenticate(request.Header("authorization"), request.Header("x-api-key"))
          .has_value();
  if (!IsLoopback(request.peer) && !admin_key) {
    co_return api::openai::ErrorResponse(
        {403,
         "This endpoint is for operators: call it from the gateway's host or send "
         "ADMIN_API_KEY.",
         "permission_error", "", "forbidden"});
  }
  net::HttpResponse response;
  if (request.path == "/metrics" && request.method == "GET") {
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = registry.Render();
  } else if (request.path == "/internal/stats" && request.method == "GET") {
    StatsInput in;
    in.instances = Snapshots();
    for (std::size_t i = 0; i < instances.size(); ++i) {
      in.in_flight.push_back(pool.busy(static_cast<int>(i)));
      in.unread_bytes.push_back(instances[i]->unread_bytes());
    }
    in.waiting = pool.waiting();
    in.open_connections = server ? server->open_connections() : 0;
    in.cache = cache.stats();
    in.session_reuse = config.session_reuse;
    in.uptime = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_at);
    in.version = LGW_VERSION;
    in.simulator = config.simulator;
    response.body = RenderStats(in);
  } else if (request.path == "/internal/login" && request.method == "POST") {
    // Asks a Lingma that is not logged in for its browser login URL; Lingma pushes auth/report
    // when the operator completes it, and /ready turns 200.
    for (auto& instance : instances) {
      const auto snap = instance->Snapshot();
      if (snap.state != lingma::InstanceState::kReady || snap.auth.logged_in) continue;
      boost::json::object params;
      params["loginDedicatedType"] = "";
      auto result = co_await instance->Call("login/generateUrl", std::move(params));
      if (!result || !result->is_object() || !result->as_object().contains("loginUrl")) {
        co_return api::openai::ErrorResponse(
            {502,
             "Lingma did not return a login URL" +
                 (result ? std::string() : ": " + result.error().message),
             "upstream_error", "", "upstream_error"});
      }
      boost::json::object body{{"instance", snap.index},
                               {"login_url", result->as_object().at("loginUrl")},
                               {"next",
                                "Open login_url in a browser on this machine and sign in; "
                                "GET /ready turns 200 when Lingma reports the login."}};
      response.body = boost::json::serialize(body);
      co_return response;
    }
    response.body = "{\"message\":\"No ready Lingma instance needs a login.\"}";
  } else {
    co_return api::openai::ErrorResponse(
        {404, "Unknown endpoint: " + request.method + " " + request.path, "invalid_request_error",
         "", "unknown_endpoint"});
  }
  co_return response;
}

asio::awaitable<void> GatewayState::ExpireSessions() {
  asio::steady_timer timer(executor);
  while (!stopping) {
    timer.expires_after(std::chrono::seconds(30));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (stopping) break;
    relay.DeleteSessions(cache.Expire());
  }
}

Gateway::Gateway(asio::any_io_executor executor, Config config, fs::path binary,
                 const std::map<std::string, std::string>& env, obs::Logger& logger)
    : state_(std::make_unique<GatewayState>(executor, std::move(config), std::move(binary), env,
                                            logger)) {}

Gateway::~Gateway() = default;

void Gateway::Start() {
  for (auto& instance : state_->instances) instance->Start();
  asio::co_spawn(state_->executor, state_->ExpireSessions(), asio::detached);
  net::HttpServerOptions http;
  http.host = state_->config.host;
  http.port = static_cast<std::uint16_t>(state_->config.port);
  http.max_body_bytes = state_->config.max_body_bytes;
  http.read_timeout = state_->config.http_read_timeout;
  http.idle_timeout = state_->config.http_idle_timeout;
  http.write_timeout = state_->config.http_write_timeout;
  auto* state = state_.get();
  state_->server = net::HttpServer::Start(
      state_->executor, http,
      [state](const net::HttpRequest& r, net::ResponseStream& s) { return state->Route(r, s); });
}

std::uint16_t Gateway::port() const { return state_->server ? state_->server->port() : 0; }

asio::awaitable<void> Gateway::Shutdown() {
  state_->stopping = true;
  if (state_->server) state_->server->StopAccepting();
  // Open requests and streams may finish within the grace period; then they are cut (stopping
  // the instances ends every turn with an error the clients see).
  const auto deadline = Clock::now() + state_->config.shutdown_grace;
  asio::steady_timer timer(state_->executor);
  while (state_->active_requests > 0 && Clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  state_->logger.Info("gateway.drained", {{"cut_requests", state_->active_requests}});
  for (auto& instance : state_->instances) co_await instance->Stop();
}

}  // namespace app
