// OpenAI routes; see endpoint.hpp.
#include "api/openai/endpoint.hpp"

#include <ctime>
#include <random>

#include "api/openai/chat_response.hpp"
#include "api/openai/errors.hpp"
#include "api/openai/models.hpp"
#include "chat/usage.hpp"
#include "obs/log.hpp"

namespace api::openai {
namespace asio = boost::asio;

namespace {

// /v1/models says nothing true about when a model appeared; a fixed epoch keeps bodies stable.
constexpr std::int64_t kModelsCreated = 1735689600;  // 2025-01-01T00:00:00Z

std::string NewCompletionId() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 random(std::random_device{}());
  std::string id = "chatcmpl-";
  for (int i = 0; i < 24; ++i) id.push_back(kAlphabet[random() % (sizeof kAlphabet - 1)]);
  return id;
}

ApiError FromFailure(const chat::Failure& failure) {
  ApiError error;
  error.http_status = failure.http_status;
  error.message = failure.message;
  error.type = failure.type;
  error.code = failure.code;
  return error;
}

std::vector<UpstreamModel> Upstream(const std::vector<lingma::ModelInfo>& models) {
  std::vector<UpstreamModel> out;
  for (const auto& m : models) out.emplace_back(m.key, m.display_name, m.reasoning, m.vision);
  return out;
}

// The entries of `models` (not null), rebuilt only when the catalog returned a new list.
const std::vector<ModelEntry>& EntriesOf(EndpointContext& context,
                                         const relay::ModelCatalog::ModelList& models) {
  auto& cache = context.model_entries;
  if (cache.source != models) {
    cache.entries = BuildModelEntries(Upstream(*models));
    cache.source = models;
  }
  return cache.entries;
}

// Collects a non-stream answer.
class CollectingSink final : public relay::AnswerSink {
 public:
  void OnStart(const relay::TurnStart& start) override { session = start.session; }
  asio::awaitable<bool> OnEvent(const chat::ChatEvent& event) override {
    if (auto* d = std::get_if<chat::ContentDelta>(&event)) content += d->text;
    if (auto* r = std::get_if<chat::ReasoningDelta>(&event)) reasoning += r->text;
    if (auto* f = std::get_if<chat::Finish>(&event)) {
      // The whole answer, with Lingma's overwrites applied (deltas may hold text it took back).
      finish = *f;
      content = f->content;
      reasoning = f->reasoning;
    }
    if (auto* f = std::get_if<chat::Failure>(&event)) failure = *f;
    co_return true;
  }
  explicit CollectingSink(net::ResponseStream& stream) : stream_(stream) {}
  asio::awaitable<bool> Flush() override { co_return !stream_.client_gone(); }
  asio::awaitable<bool> OnSilence() override { co_return true; }
  bool ready_now() const override { return !stream_.client_gone(); }
  void TakeNow(std::string_view delta_reasoning, std::string_view delta_content) override {
    reasoning += delta_reasoning;
    content += delta_content;
  }
  bool client_gone() const override { return stream_.client_gone(); }
  void OnClientGone(std::function<void()> callback) override {
    stream_.OnClientGone(std::move(callback));
  }

  chat::SessionOutcome session = chat::SessionOutcome::kOff;
  std::string content, reasoning;
  std::optional<chat::Finish> finish;
  std::optional<chat::Failure> failure;

 private:
  net::ResponseStream& stream_;
};

// Streams an answer as OpenAI chunks. Headers go out with the first event, so a failure that
// happens before anything was produced is still a plain HTTP error with the right status.
class SseSink final : public relay::AnswerSink {
 public:
  SseSink(net::ResponseStream& stream, ResponseMeta meta, bool include_usage,
          const Headers& headers, std::string& scratch)
      : stream_(stream),
        scratch_(scratch),
        meta_(std::move(meta)),
        deltas_(meta_),
        include_usage_(include_usage),
        headers_(headers) {}

  // Called once per attempt; the last one before the headers go out is what the client sees.
  void OnStart(const relay::TurnStart& start) override { session_ = start.session; }

  asio::awaitable<bool> OnEvent(const chat::ChatEvent& event) override {
    if (auto* failure = std::get_if<chat::Failure>(&event)) {
      if (!stream_.begun()) {
        early_failure = *failure;
        co_return false;
      }
      // After the deltas still held back: they arrived before the failure, and the client
      // gets everything it was sent before the error event.
      AppendErrorEvent(buffer_, FromFailure(*failure));
      co_await stream_.Write(buffer_);
      co_await stream_.End();
      co_return false;
    }
    if (!EnsureBegun(buffer_)) co_return false;
    if (auto* d = std::get_if<chat::ContentDelta>(&event)) {
      deltas_.AppendContent(buffer_, d->text);
    } else if (auto* r = std::get_if<chat::ReasoningDelta>(&event)) {
      deltas_.AppendReasoning(buffer_, r->text);
    } else if (auto* f = std::get_if<chat::Finish>(&event)) {
      AppendFinishChunk(buffer_, meta_, f->finish_reason);
      if (include_usage_) {
        AppendUsageChunk(buffer_, meta_, f->usage, f->usage.reasoning_tokens);
      }
      AppendDone(buffer_);
      const bool ok = co_await Flush();
      co_await stream_.End();
      co_return ok;
    }
    // Held until the relay flushes, unless a batch has grown large.
    if (buffer_.size() < kFlushBytes) co_return true;
    const bool ok = co_await Flush();
    co_return ok;
  }

  asio::awaitable<bool> Flush() override {
    if (buffer_.empty()) co_return !stream_.client_gone();
    const bool ok = co_await stream_.Write(buffer_);
    buffer_.clear();
    // The first write (role chunk and first delta) and a large batch leave more room than a
    // delta needs; an open stream should not keep it.
    if (buffer_.capacity() > kKeptBufferBytes) buffer_.shrink_to_fit();
    co_return ok;
  }

  asio::awaitable<bool> OnSilence() override {
    if (!EnsureBegun(buffer_)) co_return false;
    AppendKeepAlive(buffer_);
    const bool ok = co_await Flush();
    co_return ok;
  }

  // Nothing held back, and the stream queues without waiting (or has not begun: the head, the
  // role chunk and the first delta then leave together): a delta leaves with the other streams'
  // chunks of this turn of the event loop.
  bool ready_now() const override {
    return buffer_.empty() && (stream_.begun() ? stream_.can_queue() : !stream_.client_gone());
  }
  // Rendered in the shared scratch buffer: nothing is held back here (ready_now), and the
  // stream copies the chunk before this returns.
  void TakeNow(std::string_view reasoning, std::string_view content) override {
    scratch_.clear();
    if (!EnsureBegun(scratch_)) return;  // the client left; the relay notices
    if (!reasoning.empty()) deltas_.AppendReasoning(scratch_, reasoning);
    if (!content.empty()) deltas_.AppendContent(scratch_, content);
    stream_.Queue(scratch_);
  }

  bool client_gone() const override { return stream_.client_gone(); }
  void OnClientGone(std::function<void()> callback) override {
    stream_.OnClientGone(std::move(callback));
  }

  std::optional<chat::Failure> early_failure;

 private:
  // False when the client is gone. The head and the role chunk (appended to `out`) wait for the
  // first delta.
  bool EnsureBegun(std::string& out) {
    if (stream_.begun()) return !stream_.client_gone();
    if (stream_.client_gone()) return false;
    Headers headers = headers_;
    headers.emplace_back("X-Lingma-Session", chat::ToString(session_));
    headers.emplace_back("Cache-Control", "no-cache");
    headers.emplace_back("X-Accel-Buffering", "no");
    if (!stream_.Begin(200, headers, "text/event-stream")) return false;
    AppendRoleChunk(out, meta_);
    return true;
  }

  net::ResponseStream& stream_;
  std::string& scratch_;
  ResponseMeta meta_;
  DeltaChunkWriter deltas_;
  bool include_usage_;
  Headers headers_;
  chat::SessionOutcome session_ = chat::SessionOutcome::kOff;
  // Rendered chunks not yet written. Deltas that arrive together go out in one write; beyond
  // kFlushBytes a batch is written without waiting for the relay's flush.
  static constexpr std::size_t kFlushBytes = 16 * 1024;
  // Room for a few ordinary deltas; beyond it an emptied buffer is given back (see Flush).
  static constexpr std::size_t kKeptBufferBytes = 512;
  std::string buffer_;
};

}  // namespace

net::HttpResponse ErrorResponse(const ApiError& error) {
  net::HttpResponse response;
  response.status = error.http_status;
  response.body = RenderError(error);
  // Retrying helps with load and rate limits, never with an exhausted quota (SDKs retry on it).
  if (error.http_status == 503 ||
      (error.http_status == 429 && error.code != "insufficient_quota")) {
    response.headers.emplace_back("Retry-After", error.http_status == 503 ? "2" : "1");
  }
  return response;
}

namespace {

// A turn that failed before the client saw anything: the error, and which session it was on.
net::HttpResponse FailedTurn(const chat::Failure& failure, chat::SessionOutcome session) {
  net::HttpResponse failed = ErrorResponse(FromFailure(failure));
  failed.headers.emplace_back("X-Lingma-Session", chat::ToString(session));
  return failed;
}

// The two ways a turn reaches the client, each in a coroutine of its own: GCC gives every local
// of a coroutine its own slot in the frame for the coroutine's whole life, so a stream does not
// carry the whole-response path's sink and responses for as long as it is open, nor the reverse.
asio::awaitable<net::HttpResponse> StreamCompletion(
    EndpointContext& context, const chat::ChatRequest& chat_request, const ResponseMeta& meta,
    net::ResponseStream& stream, const Headers& headers, std::string_view scope,
    const std::string& upstream_model, relay::TurnReport& report) {
  SseSink sink(stream, meta, chat_request.include_usage, headers, context.chunk_scratch);
  co_await context.relay.Run(chat_request, scope, upstream_model, sink, report);
  if (sink.early_failure) co_return FailedTurn(*sink.early_failure, report.session);
  co_return net::HttpResponse{};  // streamed
}

asio::awaitable<net::HttpResponse> WholeCompletion(
    EndpointContext& context, const chat::ChatRequest& chat_request, const ResponseMeta& meta,
    net::ResponseStream& stream, std::string_view scope, const std::string& upstream_model,
    relay::TurnReport& report) {
  CollectingSink sink(stream);
  co_await context.relay.Run(chat_request, scope, upstream_model, sink, report);
  if (sink.failure) co_return FailedTurn(*sink.failure, report.session);
  if (report.outcome == "client_gone") {
    // Nobody reads it; the status is for the log (nginx's "client closed request").
    co_return ErrorResponse(
        {499, "the client closed the connection", "cancelled", "", "cancelled"});
  }
  if (!sink.finish) {
    co_return ErrorResponse(
        ApiError{502, "the turn ended without an answer", "upstream_error", "", "upstream_error"});
  }
  net::HttpResponse response;
  response.headers.emplace_back("X-Lingma-Session", chat::ToString(sink.session));
  response.body = RenderCompletion(meta, sink.content, sink.reasoning, sink.finish->finish_reason,
                                   sink.finish->usage, sink.finish->usage.reasoning_tokens);
  co_return response;
}

}  // namespace

asio::awaitable<net::HttpResponse> HandleChatCompletions(
    EndpointContext& context, const net::HttpRequest& request, net::ResponseStream& stream,
    const Headers& headers, std::string_view scope, relay::TurnReport& report) {
  auto parsed = ParseChatRequest(request.body, context.limits);
  if (auto* error = std::get_if<ApiError>(&parsed)) co_return ErrorResponse(*error);
  auto& chat_request = std::get<chat::ChatRequest>(parsed);
  chat_request.hints.session_header = std::string(request.Header("x-claude-code-session-id"));
  chat_request.hints.agent_header = std::string(request.Header("x-claude-code-agent-id"));

  auto models = co_await context.catalog.Models();
  if (!models) {
    // Nothing answers: say why (not logged in, starting, failed) rather than "no models".
    co_return ErrorResponse(FromFailure(context.relay.Unavailable()));
  }
  auto model_key =
      ResolveModel(EntriesOf(context, models), chat_request.model, context.default_model);
  if (!model_key) co_return ErrorResponse(ModelNotFound(chat_request.model));

  ResponseMeta meta;
  meta.id = NewCompletionId();
  meta.created = static_cast<std::int64_t>(std::time(nullptr));
  meta.model = chat_request.model.empty() ? context.default_model : chat_request.model;
  meta.usage_field = chat_request.stream && chat_request.include_usage;

  net::HttpResponse response;
  if (chat_request.stream) {
    response = co_await StreamCompletion(context, chat_request, meta, stream, headers, scope,
                                         *model_key, report);
  } else {
    response =
        co_await WholeCompletion(context, chat_request, meta, stream, scope, *model_key, report);
  }
  co_return response;
}

asio::awaitable<net::HttpResponse> HandleModels(EndpointContext& context,
                                                const net::HttpRequest& request) {
  auto models = co_await context.catalog.Models();
  if (!models) co_return ErrorResponse(FromFailure(context.relay.Unavailable()));
  const std::vector<ModelEntry>& entries = EntriesOf(context, models);
  constexpr std::string_view kPrefix = "/v1/models/";
  net::HttpResponse response;
  if (request.path.size() > kPrefix.size() && request.path.starts_with(kPrefix)) {
    const std::string id = request.path.substr(kPrefix.size());
    for (const auto& entry : entries) {
      if (entry.id.size() == id.size() &&
          std::equal(id.begin(), id.end(), entry.id.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        response.body = RenderModel(entry, kModelsCreated);
        co_return response;
      }
    }
    co_return ErrorResponse(ModelNotFound(id));
  }
  response.body = RenderModelList(entries, kModelsCreated);
  co_return response;
}

}  // namespace api::openai
