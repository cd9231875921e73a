// Error types thrown by the baselinr library.
//
// Every failure the library reports is a subclass of baselinr::Error, so an embedding program
// can catch one type. The subclasses tell the CLI which exit code to use: configuration and
// usage problems (ConfigError, UsageError) are the user's to fix; connection, query and storage
// failures (ConnectionError, QueryError, StorageError) are the environment's. Messages are one
// line, say what failed and how to fix it, and never contain a secret (password, token, URL).
//
// Thread-safety: these are plain value types.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace baselinr {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where in a configuration file a problem was found. Line and column are 1-based; 0 = unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

// An invalid configuration. Built from where the problem is (file, line, column; any part may
// be unknown), the key path ("profiling.tables[0].sampling.fraction"; may be empty) and what
// was expected; what() reads "file:line:col: key.path: what", so no thrower formats the place
// itself. The parts stay available for programs that want them separately.
class ConfigError : public Error {
 public:
  ConfigError(SourceLocation location, std::string key_path, const std::string& what)
      : Error(compose(location, key_path, what)),
        location_(std::move(location)),
        key_path_(std::move(key_path)),
        detail_(what) {}
  // A configuration problem with no place in a file (e.g. a feature missing from the engine).
  explicit ConfigError(const std::string& what) : ConfigError({}, {}, what) {}
  const SourceLocation& location() const { return location_; }
  const std::string& key_path() const { return key_path_; }
  // The message without the place and key path.
  const std::string& detail() const { return detail_; }

  // "file:line:col: ", "file: " or "" for a location.
  static std::string prefix(const SourceLocation& location) {
    if (location.file.empty() && location.line <= 0) return {};
    // Appends only: GCC 12's -O3 reports a false -Wrestrict for "literal" + std::string&&
    // (GCC PR 105651), which -Werror makes a Release build failure.
    std::string out = location.file;
    if (location.line > 0) {
      out += ':';
      out += std::to_string(location.line);
      out += ':';
      out += std::to_string(location.column);
    }
    out += ": ";
    return out;
  }

 private:
  static std::string compose(const SourceLocation& location, const std::string& key_path,
                             const std::string& what) {
    return prefix(location) + (key_path.empty() ? "" : key_path + ": ") + what;
  }
  SourceLocation location_;
  std::string key_path_;
  std::string detail_;
};

// A bad command line (unknown run id, conflicting flags...).
class UsageError : public Error {
 public:
  using Error::Error;
};

// A failure reported by a database driver. `sqlstate` is the five-character SQLSTATE when the
// driver gives one; `code` is the driver's native error code (0 when none).
class DatabaseError : public Error {
 public:
  DatabaseError(const std::string& message, std::string sqlstate = {}, long code = 0)
      : Error(message), sqlstate_(std::move(sqlstate)), code_(code) {}
  const std::string& sqlstate() const { return sqlstate_; }
  long code() const { return code_; }

 private:
  std::string sqlstate_;
  long code_;
};

// Could not connect, or the connection was lost.
class ConnectionError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

// A statement failed (missing table, permission denied, syntax, constraint...).
class QueryError : public DatabaseError {
 public:
  using DatabaseError::DatabaseError;
};

// Reading or writing the results store failed. Nothing partial was committed.
class StorageError : public Error {
 public:
  using Error::Error;
};

// A hook could not be built from its configuration, or failed to deliver an event.
class HookError : public Error {
 public:
  using Error::Error;
};

// A failed delivery that says what to do next: retry (after `retry_after` when the destination
// asked for a pause, e.g. HTTP 429 with Retry-After), or give up for good (a configuration or
// payload problem such as HTTP 401 or 400, which no retry can fix). Hooks may throw it; any other
// exception from a hook is a failure worth retrying.
class DeliveryError : public HookError {
 public:
  DeliveryError(const std::string& message, bool permanent,
                std::optional<double> retry_after_seconds = std::nullopt)
      : HookError(message), permanent_(permanent), retry_after_(retry_after_seconds) {}
  bool permanent() const { return permanent_; }
  const std::optional<double>& retry_after_seconds() const { return retry_after_; }

 private:
  bool permanent_;
  std::optional<double> retry_after_;
};

// A feature is configured that this build does not implement yet.
class NotSupportedError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

}  // namespace baselinr
