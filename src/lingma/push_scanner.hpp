// The fast path for the messages Lingma sends most: chat pushes (chat/answer, chat/think,
// chat/finish, chat/process_step_callback). They are read with Boost.JSON's event parser
// instead of into a JSON tree: no tree to build for the parts nobody reads (params.extra, …).
// Anything the scanner is not sure about is left to the general path (rpc::Parse), so both
// always agree: the scanner only answers for messages it reads exactly as rpc::Parse +
// ParseChatPush would.
#pragma once

#include <boost/json/storage_ptr.hpp>
#include <optional>
#include <string_view>

#include "lingma/rpc_table.hpp"

namespace lingma {

// An Inbound of action kChatPush (with its reply when the push is a request), or nullopt: not a
// chat push, or a shape the scanner leaves to ClassifyInbound's general path (ill-formed UTF-8,
// duplicate keys, an id that is not an integer, string or null, params that are not an object,
// invalid JSON, ...). `message.params` is left null: a routed push is all anyone reads.
std::optional<Inbound> ScanChatPush(std::string_view body, boost::json::storage_ptr storage);

}  // namespace lingma
