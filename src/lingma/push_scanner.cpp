// Chat pushes read with an event parser; see push_scanner.hpp.
#include "lingma/push_scanner.hpp"

#include <array>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse_options.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace lingma {
namespace {

namespace json = boost::json;

constexpr std::string_view kChatMethods[] = {kChatAnswerMethod, kChatThinkMethod, kChatFinishMethod,
                                             kChatStepMethod};

bool IsChatMethod(std::string_view method) {
  for (std::string_view m : kChatMethods) {
    if (method == m) return true;
  }
  return false;
}

// Collects the envelope (id, method) and the params members ParseChatPush reads. Stops the
// parser as soon as the message is something the general path must judge.
class PushHandler {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  explicit PushHandler(json::storage_ptr storage) : storage_(storage), id_(storage) {}

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code& ec) {
    if (skip_ > 0) return Enter();
    switch (depth_) {
      case 0:
        depth_ = 1;
        return true;
      case 1:
        if (slot_ == Slot::kOther) return Enter();
        if (slot_ != Slot::kParams) return Bail(ec);  // an object as id or method
        depth_ = 2;
        return true;
      default:
        return (NoteContainerParam() && Enter()) || Bail(ec);
    }
  }

  bool on_object_end(std::size_t, json::error_code&) { return Leave(); }

  bool on_array_begin(json::error_code& ec) {
    if (skip_ > 0) return Enter();
    switch (depth_) {
      case 0:
        return Bail(ec);  // a batch
      case 1:
        return (slot_ == Slot::kOther && Enter()) || Bail(ec);
      default:
        return (NoteContainerParam() && Enter()) || Bail(ec);
    }
  }

  bool on_array_end(std::size_t, json::error_code&) { return Leave(); }

  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (skip_ == 0) part_.append(s.data(), s.size());
    return true;
  }

  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    if (skip_ > 0) return true;
    const std::string_view key = Whole(s);
    bool ok = true;
    if (depth_ == 1) {
      ok = OnTopKey(key);
    } else {
      field_ = PushFieldNamed(key);
    }
    part_.clear();
    return ok || Bail(ec);
  }

  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (skip_ == 0) part_.append(s.data(), s.size());
    return true;
  }

  bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
    if (skip_ > 0) return true;
    const std::string_view text = Whole(s);
    bool ok = true;
    if (depth_ == 2) {
      if (field_) ok = AddParam(json::value(json::string(text, storage_)));  // unread: not kept
    } else if (slot_ == Slot::kMethod) {
      method_.assign(text);
      ok = !method_.empty();
    } else if (slot_ == Slot::kId) {
      id_ = json::string(text, storage_);
    } else {
      ok = slot_ == Slot::kOther;  // a string as params
    }
    part_.clear();
    return ok || Bail(ec);
  }

  bool on_number_part(json::string_view, json::error_code&) { return true; }

  bool on_int64(std::int64_t i, json::string_view, json::error_code& ec) {
    return Scalar(json::value(i, storage_), /*id_ok=*/true) || Bail(ec);
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code& ec) {
    return Scalar(json::value(u, storage_), /*id_ok=*/true) || Bail(ec);
  }
  bool on_double(double d, json::string_view, json::error_code& ec) {
    // A float id is rare and rpc::Parse judges its finiteness.
    return Scalar(json::value(d, storage_), /*id_ok=*/false) || Bail(ec);
  }
  bool on_bool(bool b, json::error_code& ec) {
    return Scalar(json::value(b, storage_), /*id_ok=*/false) || Bail(ec);
  }
  bool on_null(json::error_code& ec) {
    return Scalar(json::value(nullptr, storage_), /*id_ok=*/true) || Bail(ec);
  }

  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

  bool has_id() const { return seen_id_; }
  // Params that are not an object stop the parser, so a params key met means an object read.
  bool has_params() const { return seen_params_; }
  const std::string& method() const { return method_; }
  json::value& id() { return id_; }

  PushFields fields() const {
    PushFields fields{};
    for (std::size_t i = 0; i < kPushFieldCount; ++i) {
      if (values_[i]) fields[i] = &*values_[i];
    }
    return fields;
  }

 private:
  enum class Slot { kOther, kId, kMethod, kParams };

  std::string_view Whole(json::string_view last) {
    if (part_.empty()) return {last.data(), last.size()};
    part_.append(last.data(), last.size());
    return part_;
  }

  bool OnTopKey(std::string_view key) {
    Slot slot = Slot::kOther;
    bool* seen = nullptr;
    if (key == "id") {
      slot = Slot::kId;
      seen = &seen_id_;
    } else if (key == "method") {
      slot = Slot::kMethod;
      seen = &seen_method_;
    } else if (key == "params") {
      slot = Slot::kParams;
      seen = &seen_params_;
    }
    if (seen != nullptr) {
      if (*seen) return false;  // a duplicate: which one counts is the general path's business
      *seen = true;
    }
    slot_ = slot;
    return true;
  }

  // A params member holding a container: fine unless ParseChatPush reads it (as a scalar).
  bool NoteContainerParam() const { return !field_; }

  // A member ParseChatPush reads; others are not kept. A read member must be unique.
  bool AddParam(json::value v) {
    if (!field_) return true;
    std::optional<json::value>& slot = values_[static_cast<std::size_t>(*field_)];
    if (slot) return false;
    slot.emplace(std::move(v));  // move construction keeps the value's storage (the arena)
    return true;
  }

  bool Scalar(json::value v, bool id_ok) {
    if (skip_ > 0) return true;
    if (depth_ == 2) return AddParam(std::move(v));
    if (slot_ == Slot::kId && id_ok) {
      id_ = std::move(v);
      return true;
    }
    return slot_ == Slot::kOther;  // not a method or params that is a number, bool or null
  }

  // Containers nobody reads: their contents are still parsed (and validated), not kept.
  bool Enter() {
    ++skip_;
    return true;
  }
  bool Leave() {
    if (skip_ > 0) {
      --skip_;
    } else {
      --depth_;
    }
    return true;
  }

  static bool Bail(json::error_code& ec) {
    ec = json::error::syntax;  // any error stops the parser
    return false;
  }

  json::storage_ptr storage_;
  int depth_ = 0;  // 1: in the message object, 2: in params
  int skip_ = 0;   // depth inside containers nobody reads
  Slot slot_ = Slot::kOther;
  bool seen_id_ = false;
  bool seen_method_ = false;
  bool seen_params_ = false;
  std::string part_;                // a key or string that arrives in pieces
  std::optional<PushField> field_;  // the current params member, if ParseChatPush reads it
  std::string method_;
  json::value id_;
  std::array<std::optional<json::value>, kPushFieldCount> values_;
};

}  // namespace

std::optional<Inbound> ScanChatPush(std::string_view body, json::storage_ptr storage) {
  json::parse_options options;
  options.max_depth = 128;  // as rpc::Parse
  json::basic_parser<PushHandler> parser(options, storage);
  json::error_code ec;
  const std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
  if (ec || used != body.size()) return std::nullopt;
  PushHandler& h = parser.handler();
  if (!IsChatMethod(h.method()) || !h.has_params()) return std::nullopt;
  auto push = ParseChatPush(h.method(), h.fields(), storage);
  if (!push) return std::nullopt;
  Inbound in;
  in.action = Inbound::Action::kChatPush;
  in.message.kind = h.has_id() ? rpc::Kind::kRequest : rpc::Kind::kNotification;
  in.message.id = std::move(h.id());
  in.message.method = h.method();
  if (h.has_id()) in.reply = rpc::Reply{};
  in.push = std::move(push);
  return in;
}

}  // namespace lingma
