// YAML/JSON -> Config: parse, substitute ${VAR}, apply BASELINR_* overrides, validate.
//
// The YAML document is first copied into a small tree (ConfigNode) that keeps every key's and
// value's file position, so that substitution and environment overrides can rewrite values
// while errors still point at the right line. Validation then walks the tree with MapReader,
// which knows each section's keys: unknown keys, wrong types and out-of-range values all stop
// the load with file:line:column, the key path, what was expected, and a suggestion.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "baselinr/config.hpp"
#include "baselinr/events.hpp"
#include "common/text.hpp"
#include "config/names.hpp"

extern char** environ;

namespace baselinr {
namespace {

struct ConfigNode;

struct Entry {
  std::string key;
  SourceLocation key_location;
  std::unique_ptr<ConfigNode> value;
};

struct ConfigNode {
  enum class Kind { kNull, kScalar, kMap, kSequence } kind = Kind::kNull;
  std::string scalar;
  bool quoted = false;  // a quoted scalar is always text ("null", "0123", "true")
  std::vector<Entry> entries;
  std::vector<std::unique_ptr<ConfigNode>> items;
  SourceLocation location;

  const Entry* find(std::string_view key) const {
    for (const auto& e : entries) {
      if (e.key == key) return &e;
    }
    return nullptr;
  }
  Entry* find(std::string_view key) {
    for (auto& e : entries) {
      if (e.key == key) return &e;
    }
    return nullptr;
  }
  bool is_null() const {
    return kind == Kind::kNull || (kind == Kind::kScalar && !quoted &&
                                   (scalar.empty() || scalar == "~" || scalar == "null" ||
                                    scalar == "Null" || scalar == "NULL"));
  }
};

[[noreturn]] void fail(const SourceLocation& loc, const std::string& path,
                       const std::string& what) {
  throw ConfigError(loc, path, what);
}

SourceLocation location_of(const YAML::Mark& mark, const std::string& file) {
  if (mark.line < 0) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

std::unique_ptr<ConfigNode> convert(const YAML::Node& node, const std::string& file) {
  auto out = std::make_unique<ConfigNode>();
  out->location = location_of(node.Mark(), file);
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out->kind = ConfigNode::Kind::kNull;
      break;
    case YAML::NodeType::Scalar:
      out->kind = ConfigNode::Kind::kScalar;
      out->scalar = node.Scalar();
      out->quoted = node.Tag() == "!";
      break;
    case YAML::NodeType::Sequence:
      out->kind = ConfigNode::Kind::kSequence;
      for (const auto& item : node) out->items.push_back(convert(item, file));
      break;
    case YAML::NodeType::Map:
      out->kind = ConfigNode::Kind::kMap;
      for (const auto& kv : node) {
        SourceLocation key_loc = location_of(kv.first.Mark(), file);
        if (!kv.first.IsScalar()) fail(key_loc, "", "keys must be plain names");
        std::string key = kv.first.Scalar();
        if (out->find(key)) {
          fail(key_loc, key, "duplicate key (it is already set above in the same section)");
        }
        out->entries.push_back({key, key_loc, convert(kv.second, file)});
      }
      break;
  }
  return out;
}

// ---- ${VAR} and ${VAR:-default} --------------------------------------------------------------

std::string substitute(const std::string& text, const std::map<std::string, std::string>& env,
                       const SourceLocation& loc, const std::string& path) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$' && i + 2 < text.size() &&
        text[i + 2] == '{') {
      out += "${";  // "$${" escapes a literal "${"
      i += 3;
      continue;
    }
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t close = text.find('}', i + 2);
    if (close == std::string::npos) {
      fail(loc, path, "unterminated ${...} reference; write ${NAME} or ${NAME:-default}");
    }
    std::string body = text.substr(i + 2, close - i - 2);
    std::string name = body, fallback;
    bool has_default = false;
    if (auto sep = body.find(":-"); sep != std::string::npos) {
      name = body.substr(0, sep);
      fallback = body.substr(sep + 2);
      has_default = true;
    }
    bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
    for (char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') valid = false;
    }
    if (!valid) {
      fail(loc, path,
           fmt::format("'${{{}}}' is not a valid variable reference; use ${{NAME}} "
                       "or ${{NAME:-default}} with NAME made of letters, digits, _",
                       body));
    }
    auto it = env.find(name);
    if (it != env.end() && !(has_default && it->second.empty())) {
      out += it->second;
    } else if (has_default) {
      out += fallback;
    } else {
      fail(loc, path,
           fmt::format("environment variable {} is not set; export it or write ${{{}:-default}}",
                       name, name));
    }
    i = close + 1;
  }
  return out;
}

void substitute_all(ConfigNode& node, const std::map<std::string, std::string>& env,
                    const std::string& path) {
  switch (node.kind) {
    case ConfigNode::Kind::kScalar:
      if (node.scalar.find('$') != std::string::npos) {
        node.scalar = substitute(node.scalar, env, node.location, path);
      }
      break;
    case ConfigNode::Kind::kMap:
      for (auto& e : node.entries) {
        substitute_all(*e.value, env, path.empty() ? e.key : path + "." + e.key);
      }
      break;
    case ConfigNode::Kind::kSequence:
      for (std::size_t i = 0; i < node.items.size(); ++i) {
        substitute_all(*node.items[i], env, fmt::format("{}[{}]", path, i));
      }
      break;
    case ConfigNode::Kind::kNull:
      break;
  }
}

// ---- BASELINR_SECTION__KEY overrides ----------------------------------------------------------

const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> keys = {"environment", "source",          "storage",
                                                "profiling",   "drift_detection", "hooks"};
  return keys;
}

void apply_overrides(ConfigNode& root, const std::map<std::string, std::string>& env) {
  static const std::string kPrefix = "BASELINR_";
  for (const auto& [var, value] : env) {
    if (var.rfind(kPrefix, 0) != 0) continue;
    std::vector<std::string> parts;
    std::string rest = to_lower(var.substr(kPrefix.size()));
    std::size_t start = 0;
    while (true) {
      auto pos = rest.find("__", start);
      parts.push_back(rest.substr(start, pos == std::string::npos ? pos : pos - start));
      if (pos == std::string::npos) break;
      start = pos + 2;
    }
    // Only variables naming a configuration section are overrides; others (BASELINR_HOME...)
    // belong to someone else.
    const auto& top = top_level_keys();
    if (std::find(top.begin(), top.end(), parts[0]) == top.end()) continue;
    SourceLocation loc{"environment variable " + var, 0, 0};
    ConfigNode* node = &root;
    std::string path;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const std::string& part = parts[i];
      if (part.empty()) fail(loc, path, "empty key segment in override name");
      path += (path.empty() ? "" : ".") + part;
      const bool last = i + 1 == parts.size();
      if (node->kind == ConfigNode::Kind::kSequence) {
        auto index = parse_int(part);
        if (!index || *index < 0 || static_cast<std::size_t>(*index) >= node->items.size()) {
          fail(loc, path, fmt::format("no list item {} to override", part));
        }
        node = node->items[static_cast<std::size_t>(*index)].get();
      } else {
        if (node->kind != ConfigNode::Kind::kMap) {
          node->kind = ConfigNode::Kind::kMap;
          node->scalar.clear();
          node->location = loc;
        }
        Entry* e = node->find(part);
        if (!e) {
          node->entries.push_back({part, loc, std::make_unique<ConfigNode>()});
          e = &node->entries.back();
          e->value->location = loc;
        }
        node = e->value.get();
      }
      if (last) {
        node->kind = ConfigNode::Kind::kScalar;
        node->scalar = value;
        node->quoted = false;
        node->entries.clear();
        node->items.clear();
        node->location = loc;
      }
    }
  }
}

// ---- typed reading with validation ----------------------------------------------------------

std::string kind_name(const ConfigNode& n) {
  switch (n.kind) {
    case ConfigNode::Kind::kNull:
      return "nothing";
    case ConfigNode::Kind::kScalar:
      return fmt::format("'{}'", n.scalar);
    case ConfigNode::Kind::kMap:
      return "a mapping";
    case ConfigNode::Kind::kSequence:
      return "a list";
  }
  return "?";
}

std::string choices_text(const std::vector<std::string>& choices) { return join(choices, ", "); }

class MapReader {
 public:
  MapReader(const ConfigNode& node, std::string path, std::vector<std::string> known)
      : node_(node), path_(std::move(path)), known_(std::move(known)) {
    if (node.kind != ConfigNode::Kind::kMap) {
      fail(node.location, path_,
           fmt::format("expected a mapping of keys, got {}", kind_name(node)));
    }
    for (const auto& e : node.entries) {
      if (std::find(known_.begin(), known_.end(), e.key) == known_.end()) {
        std::string hint;
        if (auto near = closest_match(e.key, known_)) {
          hint = fmt::format(" (did you mean '{}'?)", *near);
        } else {
          hint = fmt::format(" (known keys: {})", choices_text(known_));
        }
        fail(e.key_location, sub(e.key), "unknown key" + hint);
      }
    }
  }

  std::string sub(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  const SourceLocation& location() const { return node_.location; }
  const std::string& path() const { return path_; }

  // The value node, or null when the key is absent or explicitly null.
  const ConfigNode* get(std::string_view key) const {
    const Entry* e = node_.find(key);
    if (!e || e->value->is_null()) return nullptr;
    return e->value.get();
  }
  const ConfigNode& require(std::string_view key, std::string_view hint = {}) const {
    const ConfigNode* n = get(key);
    if (!n) {
      const Entry* e = node_.find(key);
      std::string extra = hint.empty() ? "" : fmt::format(" ({})", hint);
      fail(e ? e->value->location : node_.location, sub(key),
           "required key is missing or empty" + extra);
    }
    return *n;
  }

  std::optional<std::string> str(std::string_view key) const {
    const ConfigNode* n = get(key);
    if (!n) return std::nullopt;
    if (n->kind != ConfigNode::Kind::kScalar) {
      fail(n->location, sub(key), fmt::format("expected text, got {}", kind_name(*n)));
    }
    return n->scalar;
  }

  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min,
                                      std::int64_t max) const {
    const ConfigNode* n = get(key);
    if (!n) return std::nullopt;
    std::optional<std::int64_t> v;
    if (n->kind == ConfigNode::Kind::kScalar) v = parse_int(n->scalar);
    if (!v) fail(n->location, sub(key), fmt::format("expected an integer, got {}", kind_name(*n)));
    if (*v < min || *v > max) {
      fail(n->location, sub(key),
           fmt::format("expected an integer from {} to {}, got {}", min, max, *v));
    }
    return v;
  }

  // A number in [min, max], or (min, max] when min_exclusive.
  std::optional<double> number(std::string_view key, double min, double max,
                               bool min_exclusive = false) const {
    const ConfigNode* n = get(key);
    if (!n) return std::nullopt;
    std::optional<double> v;
    if (n->kind == ConfigNode::Kind::kScalar) v = parse_double(n->scalar);
    if (!v || std::isnan(*v)) {
      fail(n->location, sub(key), fmt::format("expected a number, got {}", kind_name(*n)));
    }
    bool below = min_exclusive ? *v <= min : *v < min;
    if (below || *v > max) {
      fail(n->location, sub(key),
           fmt::format("expected a number {} {} and <= {}, got {}", min_exclusive ? ">" : ">=",
                       format_double(min), format_double(max), n->scalar));
    }
    return v;
  }

  std::optional<bool> boolean(std::string_view key) const {
    const ConfigNode* n = get(key);
    if (!n) return std::nullopt;
    if (n->kind == ConfigNode::Kind::kScalar) {
      std::string s = to_lower(n->scalar);
      if (s == "true" || s == "yes" || s == "on" || s == "1") return true;
      if (s == "false" || s == "no" || s == "off" || s == "0") return false;
    }
    fail(n->location, sub(key), fmt::format("expected true or false, got {}", kind_name(*n)));
  }

  // One of `choices` (case-insensitive unless exact); returns the canonical spelling.
  std::optional<std::string> choice(std::string_view key,
                                    const std::vector<std::string>& choices) const {
    auto s = str(key);
    if (!s) return std::nullopt;
    for (const auto& c : choices) {
      if (to_lower(c) == to_lower(*s)) return c;
    }
    const ConfigNode* n = get(key);
    std::string hint;
    if (auto near = closest_match(*s, choices)) hint = fmt::format(" (did you mean '{}'?)", *near);
    fail(n->location, sub(key),
         fmt::format("expected one of {}; got '{}'{}", choices_text(choices), *s, hint));
  }

  // One of the names in the enum's name table (case-insensitive).
  template <typename E>
  std::optional<E> choice(std::string_view key) const {
    auto name = choice(key, config::all_names<E>());
    if (!name) return std::nullopt;
    for (const auto& n : config::names_of(E{})) {
      if (n.name == *name) return n.value;
    }
    return std::nullopt;
  }

  std::optional<std::vector<std::string>> str_list(std::string_view key) const {
    const ConfigNode* n = get(key);
    if (!n) return std::nullopt;
    if (n->kind != ConfigNode::Kind::kSequence) {
      fail(n->location, sub(key), fmt::format("expected a list, got {}", kind_name(*n)));
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n->items.size(); ++i) {
      const ConfigNode& item = *n->items[i];
      if (item.kind != ConfigNode::Kind::kScalar) {
        fail(item.location, fmt::format("{}[{}]", sub(key), i),
             fmt::format("expected text, got {}", kind_name(item)));
      }
      out.push_back(item.scalar);
    }
    return out;
  }

  std::optional<std::map<std::string, std::string>> str_map(std::string_view key) const {
    const ConfigNode* n = get(key);
    if (!n) return std::nullopt;
    if (n->kind != ConfigNode::Kind::kMap) {
      fail(n->location, sub(key), fmt::format("expected a mapping, got {}", kind_name(*n)));
    }
    std::map<std::string, std::string> out;
    for (const auto& e : n->entries) {
      if (e.value->is_null()) continue;
      if (e.value->kind != ConfigNode::Kind::kScalar) {
        fail(e.value->location, sub(key) + "." + e.key,
             fmt::format("expected a plain value, got {}", kind_name(*e.value)));
      }
      out[e.key] = e.value->scalar;
    }
    return out;
  }

 private:
  const ConfigNode& node_;
  std::string path_;
  std::vector<std::string> known_;
};

nlohmann::ordered_json to_json(const ConfigNode& n) {
  switch (n.kind) {
    case ConfigNode::Kind::kNull:
      return nullptr;
    case ConfigNode::Kind::kScalar: {
      if (n.quoted) return n.scalar;
      if (n.is_null()) return nullptr;
      std::string l = to_lower(n.scalar);
      if (l == "true") return true;
      if (l == "false") return false;
      if (auto i = parse_int(n.scalar)) return *i;
      if (auto d = parse_double(n.scalar); d && std::isfinite(*d)) return *d;
      return n.scalar;
    }
    case ConfigNode::Kind::kMap: {
      nlohmann::ordered_json obj = nlohmann::ordered_json::object();
      for (const auto& e : n.entries) obj[e.key] = to_json(*e.value);
      return obj;
    }
    case ConfigNode::Kind::kSequence: {
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (const auto& item : n.items) arr.push_back(to_json(*item));
      return arr;
    }
  }
  return nullptr;
}

// ---- sections ---------------------------------------------------------------------------------

const std::vector<std::string> kConnectionKeys = {
    "type",    "host",      "port", "database", "username", "password",    "schema",
    "account", "warehouse", "role", "filepath", "user",     "extra_params"};

ConnectionConfig read_connection(const ConfigNode& node, const std::string& path) {
  MapReader r(node, path, kConnectionKeys);
  ConnectionConfig c;
  c.location = r.location();
  r.require("type", "one of " + choices_text(config::all_names<DatabaseType>()));
  c.type = *r.choice<DatabaseType>("type");
  c.host = r.str("host").value_or("");
  if (auto p = r.integer("port", 1, 65535)) c.port = static_cast<int>(*p);
  c.database = r.str("database").value_or("");
  c.username = r.str("username").value_or(r.str("user").value_or(""));
  c.password = r.str("password").value_or("");
  c.schema = r.str("schema").value_or("");
  c.account = r.str("account").value_or("");
  c.warehouse = r.str("warehouse").value_or("");
  c.role = r.str("role").value_or("");
  c.filepath = r.str("filepath").value_or("");
  c.extra_params = r.str_map("extra_params").value_or(std::map<std::string, std::string>{});

  switch (c.type) {
    case DatabaseType::kSqlite:
      r.require("filepath", "the SQLite database file; `database` is not used for sqlite");
      break;
    case DatabaseType::kPostgres:
    case DatabaseType::kMysql:
      r.require("database", "the database name to connect to");
      if (c.host.empty()) c.host = "localhost";
      break;
    case DatabaseType::kSnowflake:
      r.require("account", "your Snowflake account identifier, e.g. xy12345.eu-west-1");
      r.require("database");
      break;
    case DatabaseType::kOdbc: {
      bool has = false;
      for (const char* k : {"dsn", "DSN", "driver", "DRIVER", "connection_string"}) {
        if (c.extra_params.count(k)) has = true;
      }
      if (!has) {
        fail(r.location(), path + ".extra_params",
             "an odbc connection needs extra_params.dsn, extra_params.driver or "
             "extra_params.connection_string");
      }
      break;
    }
  }
  return c;
}

PartitionConfig read_partition(const ConfigNode& node, const std::string& path) {
  MapReader r(node, path,
              {"key", "strategy", "recent_n", "values", "metadata_fallback", "sample_size"});
  PartitionConfig p;
  p.key = r.str("key").value_or("");
  p.strategy = r.choice<PartitionStrategy>("strategy").value_or(PartitionStrategy::kAll);
  p.recent_n = r.integer("recent_n", 1, 1'000'000'000);
  p.values = r.str_list("values").value_or(std::vector<std::string>{});
  p.metadata_fallback = r.boolean("metadata_fallback").value_or(true);
  p.sample_size = r.integer("sample_size", 1, 1'000'000'000);
  if (p.strategy == PartitionStrategy::kRecentN && !p.recent_n) {
    r.require("recent_n", "strategy recent_n needs the number of partitions, e.g. recent_n: 7");
  }
  if (p.strategy == PartitionStrategy::kSpecificValues && p.values.empty()) {
    r.require("values", "strategy specific_values needs a list of partition values");
  }
  return p;
}

SamplingConfig read_sampling(const ConfigNode& node, const std::string& path) {
  MapReader r(node, path,
              {"enabled", "method", "fraction", "max_rows", "stratify_by", "order_by", "native"});
  SamplingConfig s;
  s.enabled = r.boolean("enabled").value_or(false);
  s.method = r.choice<SamplingMethod>("method").value_or(SamplingMethod::kRandom);
  s.fraction = r.number("fraction", 0.0, 1.0, true).value_or(0.01);
  s.max_rows = r.integer("max_rows", 1, INT64_MAX);
  s.stratify_by = r.str("stratify_by").value_or("");
  s.order_by = r.str("order_by").value_or("");
  s.native = r.choice("native", {"bernoulli", "system"}).value_or("");
  if (s.enabled && s.method == SamplingMethod::kStratified && s.stratify_by.empty()) {
    r.require("stratify_by", "stratified sampling needs the stratum column");
  }
  if (s.enabled && s.method == SamplingMethod::kTopK && s.order_by.empty()) {
    r.require("order_by", "topk keeps the rows with the largest values of this column");
  }
  return s;
}

TableConfig read_table(const ConfigNode& node, const std::string& path) {
  MapReader r(node, path, {"table", "schema", "partition", "sampling"});
  TableConfig t;
  t.location = r.location();
  t.table = r.require("table", "the name of the table to profile").scalar;
  if (r.require("table").kind != ConfigNode::Kind::kScalar) {
    fail(r.require("table").location, r.sub("table"), "expected a table name");
  }
  t.schema = r.str("schema").value_or("");
  if (const ConfigNode* p = r.get("partition"))
    t.partition = read_partition(*p, r.sub("partition"));
  if (const ConfigNode* s = r.get("sampling")) t.sampling = read_sampling(*s, r.sub("sampling"));
  return t;
}

ProfilingConfig read_profiling(const ConfigNode& node, const std::string& path) {
  MapReader r(node, path,
              {"tables", "max_distinct_values", "compute_histograms", "histogram_bins", "metrics",
               "default_sample_ratio", "max_workers", "distinct", "parallel_scans"});
  ProfilingConfig p;
  if (const ConfigNode* tables = r.get("tables")) {
    if (tables->kind != ConfigNode::Kind::kSequence) {
      fail(tables->location, r.sub("tables"),
           fmt::format("expected a list of tables (- table: name), got {}", kind_name(*tables)));
    }
    for (std::size_t i = 0; i < tables->items.size(); ++i) {
      p.tables.push_back(read_table(*tables->items[i], fmt::format("{}.tables[{}]", path, i)));
    }
  }
  p.max_distinct_values =
      static_cast<int>(r.integer("max_distinct_values", 1, 100'000'000).value_or(1000));
  p.compute_histograms = r.boolean("compute_histograms").value_or(true);
  p.histogram_bins = static_cast<int>(r.integer("histogram_bins", 1, 1000).value_or(10));
  if (auto metrics = r.str_list("metrics")) {
    const auto& known = all_metric_names();
    const ConfigNode& list = *r.get("metrics");
    if (metrics->empty()) fail(list.location, r.sub("metrics"), "expected at least one metric");
    for (std::size_t i = 0; i < metrics->size(); ++i) {
      const std::string& m = (*metrics)[i];
      if (std::find(known.begin(), known.end(), m) == known.end()) {
        std::string hint;
        if (auto near = closest_match(m, known)) hint = fmt::format(" (did you mean '{}'?)", *near);
        fail(list.items[i]->location, fmt::format("{}[{}]", r.sub("metrics"), i),
             fmt::format("unknown metric '{}'{}; known metrics: {}", m, hint, choices_text(known)));
      }
    }
    p.metrics = *metrics;
  }
  p.default_sample_ratio = r.number("default_sample_ratio", 0.0, 1.0, true).value_or(1.0);
  p.max_workers = static_cast<int>(r.integer("max_workers", 0, 256).value_or(0));
  p.distinct = r.choice<DistinctMode>("distinct").value_or(DistinctMode::kExact);
  if (const ConfigNode* n = r.get("parallel_scans")) {
    if (n->kind == ConfigNode::Kind::kScalar && to_lower(n->scalar) == "auto") {
      p.parallel_scans = 0;
    } else {
      std::optional<std::int64_t> v;
      if (n->kind == ConfigNode::Kind::kScalar) v = parse_int(n->scalar);
      if (!v || *v < 1 || *v > 64) {
        fail(n->location, r.sub("parallel_scans"),
             fmt::format("expected auto or an integer from 1 to 64, got {}", kind_name(*n)));
      }
      p.parallel_scans = static_cast<int>(*v);
    }
  }
  return p;
}

StorageConfig read_storage(const ConfigNode& node, const std::string& path) {
  MapReader r(node, path,
              {"connection", "results_table", "runs_table", "events_table", "create_tables"});
  StorageConfig s;
  s.connection = read_connection(
      r.require("connection",
                "where runs are stored, e.g. {type: sqlite, filepath: ./baselinr.db}"),
      r.sub("connection"));
  auto name = [&](const char* key, const std::string& def) {
    auto v = r.str(key).value_or(def);
    if (v.empty()) fail(r.location(), r.sub(key), "expected a table name");
    return v;
  };
  s.results_table = name("results_table", s.results_table);
  s.runs_table = name("runs_table", s.runs_table);
  s.events_table = name("events_table", s.events_table);
  s.create_tables = r.boolean("create_tables").value_or(true);
  return s;
}

Thresholds read_thresholds(const MapReader& r, Thresholds defaults) {
  Thresholds t = defaults;
  t.low = r.number("low_threshold", 0, 1e300).value_or(t.low);
  t.medium = r.number("medium_threshold", 0, 1e300).value_or(t.medium);
  t.high = r.number("high_threshold", 0, 1e300).value_or(t.high);
  if (!(t.low <= t.medium && t.medium <= t.high)) {
    fail(r.location(), r.path(),
         fmt::format("thresholds must satisfy low <= medium <= high; got {} / {} / {}",
                     format_double(t.low), format_double(t.medium), format_double(t.high)));
  }
  return t;
}

DriftConfig read_drift(const ConfigNode& node, const std::string& path) {
  MapReader r(node, path, {"strategy", "absolute_threshold", "standard_deviation"});
  DriftConfig d;
  d.strategy = r.choice<DriftStrategy>("strategy").value_or(DriftStrategy::kAbsoluteThreshold);
  if (const ConfigNode* a = r.get("absolute_threshold")) {
    MapReader ar(*a, r.sub("absolute_threshold"),
                 {"low_threshold", "medium_threshold", "high_threshold"});
    d.absolute_threshold = read_thresholds(ar, d.absolute_threshold);
  }
  if (const ConfigNode* sd = r.get("standard_deviation")) {
    MapReader sr(*sd, r.sub("standard_deviation"),
                 {"low_threshold", "medium_threshold", "high_threshold", "window", "min_history"});
    d.standard_deviation = read_thresholds(sr, d.standard_deviation);
    d.window = static_cast<int>(sr.integer("window", 2, 10000).value_or(d.window));
    d.min_history = static_cast<int>(sr.integer("min_history", 2, 10000).value_or(d.min_history));
    if (d.min_history > d.window) {
      fail(sd->location, sr.path(),
           fmt::format("min_history ({}) cannot exceed window ({})", d.min_history, d.window));
    }
  }
  return d;
}

HookConfig read_hook(const ConfigNode& node, const std::string& path) {
  MapReader r(node, path,
              {"type", "enabled", "name", "log_level", "connection", "table_name", "url", "format",
               "headers", "timeout_seconds", "command", "env", "module", "class_name", "params",
               "event_types", "min_severity", "tables"});
  HookConfig h;
  h.location = r.location();
  r.require("type", "one of " + choices_text(config::all_names<HookType>()));
  h.type = *r.choice<HookType>("type");
  h.enabled = r.boolean("enabled").value_or(true);
  h.name = r.str("name").value_or("");
  h.log_level = r.choice("log_level", {"DEBUG", "INFO", "WARNING", "ERROR"}).value_or("INFO");
  if (const ConfigNode* c = r.get("connection")) {
    h.connection = read_connection(*c, r.sub("connection"));
  }
  h.table_name = r.str("table_name").value_or("baselinr_events");
  h.url = r.str("url").value_or("");
  h.format = r.choice("format", {"json", "slack"}).value_or("json");
  h.headers = r.str_map("headers").value_or(std::map<std::string, std::string>{});
  h.timeout_seconds = r.number("timeout_seconds", 0, 3600, true).value_or(10.0);
  h.command = r.str_list("command").value_or(std::vector<std::string>{});
  h.env = r.str_map("env").value_or(std::map<std::string, std::string>{});
  h.module = r.str("module").value_or("");
  h.class_name = r.str("class_name").value_or("");
  if (const ConfigNode* p = r.get("params")) {
    if (p->kind != ConfigNode::Kind::kMap) {
      fail(p->location, r.sub("params"), fmt::format("expected a mapping, got {}", kind_name(*p)));
    }
    h.params_json = to_json(*p).dump();
  }
  if (auto types = r.str_list("event_types")) {
    const auto& known = all_event_types();
    for (std::size_t i = 0; i < types->size(); ++i) {
      const std::string& e = (*types)[i];
      if (std::find(known.begin(), known.end(), e) == known.end()) {
        std::string hint;
        if (auto near = closest_match(e, known)) hint = fmt::format(" (did you mean '{}'?)", *near);
        fail(r.get("event_types")->items[i]->location,
             fmt::format("{}[{}]", r.sub("event_types"), i),
             fmt::format("unknown event type '{}'{}; known: {}", e, hint, choices_text(known)));
      }
    }
    h.event_types = *types;
  }
  h.min_severity = r.choice("min_severity", {"low", "medium", "high"}).value_or("");
  h.tables = r.str_list("tables").value_or(std::vector<std::string>{});

  switch (h.type) {
    case HookType::kLogging:
      break;
    case HookType::kSql:
      r.require("connection", "the database the events table lives in");
      break;
    case HookType::kSnowflake:
      r.require("connection", "a connection of type snowflake");
      if (h.connection->type != DatabaseType::kSnowflake) {
        fail(r.get("connection")->location, r.sub("connection.type"),
             "a snowflake hook needs a connection of type snowflake; use type: sql for others");
      }
      break;
    case HookType::kWebhook:
      r.require("url", "the address to POST events to");
      break;
    case HookType::kCommand:
      r.require("command", "the program and its arguments, e.g. [python3, alert.py]");
      if (h.command.empty()) {
        fail(r.get("command")->location, r.sub("command"), "expected at least the program name");
      }
      break;
    case HookType::kCustom:
      r.require("module", "the path of the shared library that exports the hook");
      r.require("class_name", "the hook class name the plugin exports");
      break;
  }
  return h;
}

HooksConfig read_hooks(const ConfigNode& node, const std::string& path) {
  MapReader r(node, path, {"enabled", "hooks"});
  HooksConfig h;
  h.enabled = r.boolean("enabled").value_or(true);
  if (const ConfigNode* list = r.get("hooks")) {
    if (list->kind != ConfigNode::Kind::kSequence) {
      fail(list->location, r.sub("hooks"),
           fmt::format("expected a list of hooks (- type: logging), got {}", kind_name(*list)));
    }
    for (std::size_t i = 0; i < list->items.size(); ++i) {
      h.hooks.push_back(read_hook(*list->items[i], fmt::format("{}.hooks[{}]", path, i)));
    }
  }
  return h;
}

Config read_config(const ConfigNode& root, const std::string& file) {
  if (root.kind == ConfigNode::Kind::kNull) {
    fail({file, 0, 0}, "", "the configuration is empty; it needs at least `source` and `storage`");
  }
  MapReader r(root, "", top_level_keys());
  Config c;
  c.source_file = file;
  c.environment = r.str("environment").value_or("development");
  if (c.environment.empty()) c.environment = "development";
  c.source = read_connection(
      r.require("source", "the database to profile, e.g. {type: sqlite, filepath: ./warehouse.db}"),
      "source");
  c.storage = read_storage(r.require("storage",
                                     "where results are stored, e.g. {connection: {type: sqlite, "
                                     "filepath: ./baselinr.db}}"),
                           "storage");
  if (const ConfigNode* p = r.get("profiling")) c.profiling = read_profiling(*p, "profiling");
  if (const ConfigNode* d = r.get("drift_detection")) {
    c.drift_detection = read_drift(*d, "drift_detection");
  }
  if (const ConfigNode* h = r.get("hooks")) c.hooks = read_hooks(*h, "hooks");
  return c;
}

}  // namespace

LoadOptions LoadOptions::from_process() {
  LoadOptions o;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    o.environment.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return o;
}

Config parse_config(std::string_view text, std::string_view file_name, const LoadOptions& options) {
  const std::string file(file_name);
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    fail(location_of(e.mark, file), "", fmt::format("invalid YAML: {}", e.msg));
  } catch (const YAML::Exception& e) {
    fail({file, 0, 0}, "", fmt::format("invalid YAML: {}", e.msg));
  }
  std::unique_ptr<ConfigNode> root = convert(doc, file);
  if (root->kind != ConfigNode::Kind::kMap && root->kind != ConfigNode::Kind::kNull) {
    fail(root->location, "", "the configuration must be a mapping of sections (source:, ...)");
  }
  substitute_all(*root, options.environment, "");
  if (root->kind == ConfigNode::Kind::kNull) {
    root->kind = ConfigNode::Kind::kMap;
    root->location = {file, 1, 1};
  }
  apply_overrides(*root, options.environment);
  if (root->entries.empty()) {
    fail({file, 0, 0}, "", "the configuration is empty; it needs at least `source` and `storage`");
  }
  return read_config(*root, file);
}

Config load_config(const std::filesystem::path& file, const LoadOptions& options) {
  std::error_code ec;
  const SourceLocation where{file.string(), 0, 0};
  if (!std::filesystem::exists(file, ec)) {
    throw ConfigError(where, "", "config file not found; pass an existing file with --config");
  }
  if (std::filesystem::is_directory(file, ec)) {
    throw ConfigError(where, "", "the config path is a directory; pass a YAML or JSON file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(where, "", "cannot read the config file; check its permissions");
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_config(buf.str(), file.string(), options);
}

Config load_config(const std::filesystem::path& file) {
  return load_config(file, LoadOptions::from_process());
}

}  // namespace baselinr
