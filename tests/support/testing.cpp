#include "support/testing.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "baselinr/error.hpp"
#include "common/subprocess.hpp"

extern char** environ;

namespace baselinr::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "baselinr-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& content) const {
  auto p = path_ / name;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  return p;
}

ConnectionConfig sqlite_config(const std::filesystem::path& file) {
  ConnectionConfig c;
  c.type = DatabaseType::kSqlite;
  c.filepath = file.string();
  return c;
}

std::unique_ptr<db::Connection> open_sqlite(const std::filesystem::path& file) {
  return db::connect(sqlite_config(file), {.read_only = false, .create_if_missing = true});
}

void exec(db::Connection& connection, const std::string& sql) { connection.execute(sql); }

Config sqlite_pipeline_config(const std::filesystem::path& source,
                              const std::filesystem::path& storage,
                              const std::vector<std::string>& tables) {
  LoadOptions opts;
  return parse_config(sqlite_pipeline_yaml(source, storage, tables), "test.yml", opts);
}

Config pipeline_config(const ConnectionConfig& source, const std::filesystem::path& storage,
                       const std::vector<std::string>& tables) {
  Config config;
  config.source = source;
  config.storage.connection = sqlite_config(storage);
  for (const auto& t : tables) config.profiling.tables.push_back(TableConfig{.table = t});
  config.profiling.max_workers = 1;
  return config;
}

std::string sqlite_pipeline_yaml(const std::filesystem::path& source,
                                 const std::filesystem::path& storage,
                                 const std::vector<std::string>& tables, const std::string& extra) {
  std::string y = fmt::format(
      "source:\n  type: sqlite\n  filepath: '{}'\nstorage:\n  connection:\n    type: sqlite\n"
      "    filepath: '{}'\nprofiling:\n  tables:\n",
      source.string(), storage.string());
  for (const auto& t : tables) {
    std::string quoted;
    for (char c : t) {
      if (c == '\'')
        quoted += "''";
      else
        quoted.push_back(c);
    }
    y += fmt::format("    - table: '{}'\n", quoted);
  }
  return y + extra;
}

int summary_statements(const ProfilingResult& r, bool quantiles_in_scalar) {
  int n = 0;
  for (const auto& c : r.columns) {
    n += (c.metric("quantiles") && !quantiles_in_scalar) || c.metric("top_values") ? 1 : 0;
  }
  return n;
}

void expect_same_metrics(const ProfilingResult& a, const ProfilingResult& b) {
  EXPECT_EQ(a.row_count, b.row_count);
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (std::size_t c = 0; c < a.columns.size(); ++c) {
    const auto& ma = a.columns[c].metrics;
    const auto& mb = b.columns[c].metrics;
    ASSERT_EQ(a.columns[c].name, b.columns[c].name);
    ASSERT_EQ(ma.size(), mb.size()) << a.columns[c].name;
    for (std::size_t m = 0; m < ma.size(); ++m) {
      ASSERT_EQ(ma[m].first, mb[m].first);
      const std::string where = a.columns[c].name + "." + ma[m].first;
      if (std::holds_alternative<double>(ma[m].second) &&
          std::holds_alternative<double>(mb[m].second)) {
        const double x = std::get<double>(ma[m].second), y = std::get<double>(mb[m].second);
        if (std::isnan(x)) {
          EXPECT_TRUE(std::isnan(y)) << where;
        } else if (x != y) {  // equal infinities are equal; their difference is not
          EXPECT_NEAR(x, y, std::fabs(x) * 1e-12) << where;
        }
      } else {
        EXPECT_EQ(metric_text(ma[m].second), metric_text(mb[m].second)) << where;
      }
    }
  }
}

std::string connection_yaml(const ConnectionConfig& c) {
  auto quote = [](const std::string& s) {
    std::string q = "'";
    for (char ch : s) q += ch == '\'' ? std::string("''") : std::string(1, ch);
    return q + "'";
  };
  std::string y = fmt::format("{{type: {}", to_string(c.type));
  auto add = [&](const char* key, const std::string& value) {
    if (!value.empty()) y += fmt::format(", {}: {}", key, quote(value));
  };
  add("host", c.host);
  if (c.port) y += fmt::format(", port: {}", *c.port);
  add("database", c.database);
  add("username", c.username);
  add("password", c.password);
  add("schema", c.schema);
  add("filepath", c.filepath);
  if (!c.extra_params.empty()) {
    y += ", extra_params: {";
    bool first = true;
    for (const auto& [k, v] : c.extra_params) {
      y += fmt::format("{}{}: {}", first ? "" : ", ", quote(k), quote(v));
      first = false;
    }
    y += "}";
  }
  return y + "}";
}

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

CliResult run_cli(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env) {
  return run_program(BASELINR_CLI_PATH, args, env);
}

namespace {

// This process's environment with `env` added.
std::map<std::string, std::string> merged_environment(
    const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env) merged[k] = v;
  return merged;
}

// Waits for `child` and fills `result.exit_code`: the exit code, or 128 + the signal that ended
// it.
void finish(Subprocess& child, CliResult& result) {
  Subprocess::Result r;
  decode_wait_status(child.wait(), r);
  result.exit_code = r.exited ? r.exit_code : 128 + r.signal;
}

}  // namespace

CliResult run_cli_on_terminal(const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env) {
  TempDir tmp;
  CliResult result;
  int master = -1;
  int slave = -1;
  char terminal[256] = {};
  if (openpty(&master, &slave, terminal, nullptr, nullptr) != 0) {
    result.err = "openpty failed";
    return result;
  }
  Subprocess::Options options;
  options.argv = {BASELINR_CLI_PATH};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.environment = merged_environment(env);
  options.stdout_file = (tmp / "stdout").string();
  options.stderr_file = terminal;
  options.own_process_group = false;
  std::optional<Subprocess> child;
  try {
    child.emplace(options);  // returns once the child runs the program: it has the terminal open
  } catch (const std::exception& e) {
    close(master);
    close(slave);
    result.err = e.what();
    return result;
  }
  close(slave);
  char buf[4096];
  for (;;) {
    const ssize_t n = read(master, buf, sizeof buf);
    if (n > 0) {
      result.err.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EIO once the child closed its end
    }
  }
  close(master);
  finish(*child, result);
  result.out = slurp(options.stdout_file);
  return result;
}

CliResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env) {
  TempDir tmp;
  Subprocess::Options options;
  options.argv = {program};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.environment = merged_environment(env);
  options.stdout_file = (tmp / "stdout").string();
  options.stderr_file = (tmp / "stderr").string();
  options.own_process_group = false;
  CliResult result;
  try {
    Subprocess child(options);
    finish(child, result);
  } catch (const std::exception& e) {
    result.err = e.what();
    return result;
  }
  result.out = slurp(options.stdout_file);
  result.err = slurp(options.stderr_file);
  return result;
}

void ThrowingHook::handle_event(const Event&) {
  throw std::runtime_error("this hook always fails");
}

class FaultyStatement final : public db::Statement {
 public:
  FaultyStatement(FaultyConnection& owner, std::unique_ptr<db::Statement> inner)
      : owner_(owner), inner_(std::move(inner)) {}
  void execute(std::span<const db::Value> params) override {
    owner_.tick();
    inner_->execute(params);
  }

 private:
  FaultyConnection& owner_;
  std::unique_ptr<db::Statement> inner_;
};

void FaultyConnection::tick() {
  if (++count_ >= fail_at_) {
    throw QueryError(fmt::format("injected fault at statement execution {}", count_));
  }
}

std::unique_ptr<db::Statement> FaultyConnection::prepare(std::string_view sql) {
  return std::make_unique<FaultyStatement>(*this, ConnectionWrapper::prepare(sql));
}

void FaultyConnection::execute(std::string_view sql, std::span<const db::Value> params) {
  // Parameterised single statements (the run row) count too; plain DDL/transaction control
  // does not.
  if (!params.empty()) tick();
  ConnectionWrapper::execute(sql, params);
}

db::Result query_sqlite(const std::filesystem::path& file, const std::string& sql) {
  auto c = db::connect(sqlite_config(file), {.read_only = true});
  return c->query(sql);
}

std::string required_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) {
    ADD_FAILURE() << "environment variable " << name
                  << " is not set: run the tests through `make test` (scripts/run-tests.sh), "
                     "which starts the database servers";
    return {};
  }
  return v;
}

}  // namespace baselinr::testing
