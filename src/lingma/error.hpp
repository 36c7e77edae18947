// The error type of the upstream client: a kind a caller can branch on and a message a user can act
// on.
#pragma once

#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace lingma {

enum class ErrorKind {
  kNotReady,      // no usable connection to Lingma right now
  kDisconnected,  // the connection dropped while waiting
  kTimeout,       // no answer within the deadline
  kRejected,      // Lingma refused the request (isSuccess:false, JSON-RPC error)
  kProtocol,      // Lingma sent something we cannot understand
  kCancelled,     // the caller or shutdown cancelled the operation
  kOverloaded,    // a bounded queue is full
  kStartup,       // the Lingma process could not be started or attached to
};

const char* ToString(ErrorKind kind);

struct Error {
  ErrorKind kind;
  std::string message;
};

class ErrorException : public std::runtime_error {
 public:
  explicit ErrorException(const Error& e) : std::runtime_error(e.message), error_(e) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

// Lets boost::system::result<T, Error>::value() throw a meaningful exception.
[[noreturn]] inline void throw_exception_from_error(const Error& e,
                                                    const boost::source_location& /*loc*/) {
  throw ErrorException(e);
}

template <class T>
using Result = boost::system::result<T, Error>;

inline Error MakeError(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message)};
}

inline const char* ToString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNotReady:
      return "not_ready";
    case ErrorKind::kDisconnected:
      return "disconnected";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kRejected:
      return "rejected";
    case ErrorKind::kProtocol:
      return "protocol";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kOverloaded:
      return "overloaded";
    case ErrorKind::kStartup:
      return "startup";
  }
  return "unknown";
}

}  // namespace lingma
