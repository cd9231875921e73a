// bench_driver: times, on the same bench_events data and in one run, for SQLite, PostgreSQL and
// MariaDB:
//   (a) scan     the engine's plain full scan touching every column (one SELECT, see scan_sql),
//   (b) profile  the whole `baselinr profile` command (all metrics, exact distinct counts), and
//                again with `profiling.distinct: approximate`,
//   (c) naive    the straightforward single-query pushdown (naive_scalar_sql) plus one histogram
//                query with SUM(CASE ...) per bin (naive_histogram_sql),
// and reports medians, ratios, the profile's peak memory and the share of writing the results.
//
//   bench_driver --rows N [--sqlite FILE] [--postgres] [--mysql] [--baselinr CLI] [--work-dir DIR]
//                [--json FILE] [--repeat N] [--commit TEXT] [--timeout SECONDS]
//
// --timeout kills a profile command that runs longer and reports "timeout" for that variant.
//
// How each number is obtained is printed with the results and stored in the JSON ("method").
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "baselinr/config.hpp"
#include "baselinr/profiler.hpp"
#include "baselinr/storage.hpp"
#include "bench_common.hpp"
#include "common/subprocess.hpp"

#ifndef BASELINR_CLI_PATH
#define BASELINR_CLI_PATH "baselinr"
#endif

namespace {

namespace fs = std::filesystem;
using baselinr::Subprocess;
using bench::kColumns;
using bench::Kind;
using json = nlohmann::ordered_json;
using Row = std::vector<std::optional<std::string>>;

struct Options {
  std::uint64_t rows = 0;
  std::string sqlite_file;
  bool postgres = false;
  bool mysql = false;
  std::string cli = BASELINR_CLI_PATH;
  std::string work_dir = "bench-work";
  std::string json_file;
  int repeat = 3;
  int timeout_s = 0;  // per profile command; 0: none
  std::string commit;
};

[[noreturn]] void usage(const std::string& error) {
  if (!error.empty()) fmt::print(stderr, "bench_driver: {}\n", error);
  fmt::print(
      stderr,
      "usage: bench_driver --rows N [--sqlite FILE] [--postgres] [--mysql] [--baselinr CLI]\n"
      "                    [--work-dir DIR] [--json FILE] [--repeat N] [--commit TEXT]\n"
      "                    [--timeout SECONDS]\n");
  std::exit(2);
}

template <class T>
T parse_number(const std::string& flag, const std::string& v) {
  if (auto n = bench::positive_number<T>(v)) return *n;
  usage(flag + ": expected a positive integer, got '" + v + "'");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--rows") {
      o.rows = parse_number<std::uint64_t>(a, value());
    } else if (a == "--sqlite") {
      o.sqlite_file = value();
    } else if (a == "--postgres") {
      o.postgres = true;
    } else if (a == "--mysql") {
      o.mysql = true;
    } else if (a == "--baselinr") {
      o.cli = value();
    } else if (a == "--work-dir") {
      o.work_dir = value();
    } else if (a == "--json") {
      o.json_file = value();
    } else if (a == "--repeat") {
      o.repeat = parse_number<int>(a, value());
    } else if (a == "--timeout") {
      o.timeout_s = parse_number<int>(a, value());
    } else if (a == "--commit") {
      o.commit = value();
    } else if (a == "--help" || a == "-h") {
      usage("");
    } else {
      usage("unknown argument '" + a + "'");
    }
  }
  if (o.rows == 0) usage("--rows is required (the row count the generator loaded)");
  if (o.sqlite_file.empty() && !o.postgres && !o.mysql) {
    usage("give --sqlite FILE, --postgres and/or --mysql");
  }
  return o;
}

// ---------------------------------------------------------------- statistics and formatting

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string secs(double s) {
  if (s >= 100) return fmt::format("{:.0f}", s);
  return s >= 1 ? fmt::format("{:.2f}", s) : fmt::format("{:.3f}", s);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string first_match(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) == 0) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "";
}

json machine_info() {
  json m;
  m["nproc"] = sysconf(_SC_NPROCESSORS_ONLN);
  m["cpu_model"] = first_match("/proc/cpuinfo", "model name");
  const std::string mem = first_match("/proc/meminfo", "MemTotal");
  m["mem_total_gib"] = std::round(std::strtod(mem.c_str(), nullptr) / 1048576.0 * 10) / 10;
  m["kernel"] = last_line(read_text("/proc/sys/kernel/osrelease"));
  return m;
}

std::string loadavg() {
  std::string l = read_text("/proc/loadavg");
  std::istringstream in(l);
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// ---------------------------------------------------------------- the baselinr CLI as a child

struct ChildRun {
  int exit_code = -1;  // -1: killed by a signal
  bool timed_out = false;
  double seconds = 0;
  long max_rss_kib = 0;
  std::string last_stderr_line;
};

// Runs `cli args...` with stdout and stderr appended to `log`, measuring the wall time from
// spawn to exit and the child's peak resident set size (its rusage's ru_maxrss).
ChildRun run_child(const std::string& cli, const std::vector<std::string>& args,
                   const fs::path& log, int timeout_s = 0) {
  Subprocess::Options options;
  options.argv = {cli};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.stdout_file = log.string();
  options.stderr_to_stdout = true;
  options.own_process_group = false;

  ChildRun out;
  const auto t0 = std::chrono::steady_clock::now();
  Subprocess child(options);  // throws when it cannot run `cli`
  if (timeout_s > 0) {
    // The exit wakes communicate() at once (a pidfd); at the deadline it kills the child.
    out.timed_out =
        child.communicate({}, Subprocess::Clock::now() + std::chrono::seconds(timeout_s)).timed_out;
  }
  const int status = child.wait();
  out.seconds = bench::seconds_since(t0);
  out.max_rss_kib = child.usage().ru_maxrss;  // Linux: kilobytes
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  out.last_stderr_line = last_line(read_text(log));
  return out;
}

// ---------------------------------------------------------------- engines

struct Engine {
  std::string name;  // "sqlite", "postgres", "mariadb"
  std::function<Row(const std::string&)> query;
  std::string source_yaml;  // the `source:` block of the generated configs
  bool postgres = false;
  bool mysql = false;
  bool sqlite_has_sqrt = true;
};

std::string q(const char* name) { return bench::quote_ident(name); }

// (a) One SELECT reading every column of every row:
//   numeric, date, timestamp: MAX(col)  (the value is decoded and compared)
//   text:                     SUM(LENGTH(col))  (the whole string is read and its characters
//                             counted)
//   boolean:                  SUM(CASE WHEN col THEN 1 ELSE 0 END)
// plus COUNT(*). No DISTINCT, no per-row arithmetic beyond that.
std::string scan_sql() {
  std::vector<std::string> items = {"COUNT(*)"};
  for (const auto& c : kColumns) {
    switch (c.kind) {
      case Kind::kText:
        items.push_back(fmt::format("SUM(LENGTH({}))", q(c.name)));
        break;
      case Kind::kBool:
        items.push_back(fmt::format("SUM(CASE WHEN {} THEN 1 ELSE 0 END)", q(c.name)));
        break;
      default:
        items.push_back(fmt::format("MAX({})", q(c.name)));
    }
  }
  return fmt::format("SELECT {} FROM {}", fmt::join(items, ", "), bench::kTable);
}

// Where each naive metric lands in the result row (for the histogram bounds).
struct NaiveLayout {
  std::map<std::size_t, std::size_t> min_at, max_at;  // column index -> result position
};

// (c) What a straightforward tool sends: one SELECT with, per column, COUNT(col),
// COUNT(DISTINCT col), MIN and MAX (not for booleans: PostgreSQL has no MIN(boolean)), for
// numeric columns AVG and the sample standard deviation (PostgreSQL STDDEV_SAMP; SQLite has
// none, so SQRT((SUM(x*x) - SUM(x)*SUM(x)/COUNT(x)) / (COUNT(x)-1)) in REAL arithmetic), and for
// text columns MIN/MAX/AVG of LENGTH(col); plus COUNT(*).
std::string naive_scalar_sql(const Engine& e, NaiveLayout& layout) {
  std::vector<std::string> items = {"COUNT(*)"};
  for (std::size_t i = 0; i < kColumns.size(); ++i) {
    const auto& c = kColumns[i];
    const std::string col = q(c.name);
    items.push_back(fmt::format("COUNT({})", col));
    items.push_back(fmt::format("COUNT(DISTINCT {})", col));
    if (c.kind != Kind::kBool) {
      layout.min_at[i] = items.size();
      items.push_back(fmt::format("MIN({})", col));
      layout.max_at[i] = items.size();
      items.push_back(fmt::format("MAX({})", col));
    }
    if (bench::is_numeric(c.kind)) {
      items.push_back(fmt::format("AVG({})", col));
      if (e.postgres || e.mysql) {
        items.push_back(fmt::format("STDDEV_SAMP({})", col));
      } else {
        const std::string x = fmt::format("CAST({} AS REAL)", col);
        const std::string var = fmt::format(
            "(SUM({0} * {0}) - SUM({0}) * SUM({0}) / COUNT({1})) / (COUNT({1}) - 1)", x, col);
        // Without SQLite's math functions the variance is sent and the root taken here.
        items.push_back(e.sqlite_has_sqrt ? fmt::format("SQRT({})", var) : var);
      }
    }
    if (c.kind == Kind::kText) {
      items.push_back(fmt::format("MIN(LENGTH({}))", col));
      items.push_back(fmt::format("MAX(LENGTH({}))", col));
      items.push_back(fmt::format("AVG(LENGTH({}))", col));
    }
  }
  return fmt::format("SELECT {} FROM {}", fmt::join(items, ",\n       "), bench::kTable);
}

// (c, second query) One SELECT with, for every numeric column with min < max, 10 equal-width
// bins over [min, max] as SUM(CASE WHEN col >= lo AND col < hi THEN 1 ELSE 0 END) (the last bin
// closed: col <= max), bounds as literals from the scalar query's MIN/MAX.
std::string naive_histogram_sql(const Row& scalar, const NaiveLayout& layout, int bins) {
  std::vector<std::string> items;
  for (std::size_t i = 0; i < kColumns.size(); ++i) {
    if (!bench::is_numeric(kColumns[i].kind)) continue;
    const auto& lo_text = scalar.at(layout.min_at.at(i));
    const auto& hi_text = scalar.at(layout.max_at.at(i));
    if (!lo_text || !hi_text) continue;
    const double lo = std::strtod(lo_text->c_str(), nullptr);
    const double hi = std::strtod(hi_text->c_str(), nullptr);
    if (!(hi > lo)) continue;
    const std::string col = q(kColumns[i].name);
    for (int b = 0; b < bins; ++b) {
      const double a = lo + (hi - lo) * b / bins;
      if (b + 1 < bins) {
        const double z = lo + (hi - lo) * (b + 1) / bins;
        items.push_back(
            fmt::format("SUM(CASE WHEN {0} >= {1} AND {0} < {2} THEN 1 ELSE 0 END)", col, a, z));
      } else {
        items.push_back(
            fmt::format("SUM(CASE WHEN {0} >= {1} AND {0} <= {2} THEN 1 ELSE 0 END)", col, a, hi));
      }
    }
  }
  return fmt::format("SELECT {} FROM {}", fmt::join(items, ",\n       "), bench::kTable);
}

// ---------------------------------------------------------------- configs

std::string yaml_string(const std::string& s) { return json(s).dump(); }

// What one series of profile runs measures: exact distinct counts with the default settings,
// approximate ones, or (PostgreSQL) exact ones in a single scan, for reference, and exact ones
// with the native executor (profiling.executor: native: rows streamed with binary COPY), and
// (PostgreSQL, where `auto` may stream) exact ones pushed down (profiling.executor: pushdown).
enum class Variant { kExact, kApproximate, kSingleScan, kNative, kPushdown };

std::string variant_tag(Variant v) {
  switch (v) {
    case Variant::kExact:
      return "exact";
    case Variant::kApproximate:
      return "approx";
    case Variant::kSingleScan:
      return "single-scan";
    case Variant::kNative:
      return "native";
    case Variant::kPushdown:
      return "pushdown";
  }
  return "?";
}

std::string config_yaml(const Engine& e, const fs::path& storage, Variant variant) {
  return fmt::format(
      "# generated by bench_driver\n"
      "environment: bench\n"
      "{}"
      "storage:\n"
      "  connection:\n"
      "    type: sqlite\n"
      "    filepath: {}\n"
      "  create_tables: true\n"
      "profiling:\n"
      "  tables:\n"
      "    - table: {}\n"
      "  histogram_bins: 10\n"
      "  compute_histograms: true\n"
      "  distinct: {}\n"
      "{}"
      "hooks:\n"
      "  enabled: false\n",
      e.source_yaml, yaml_string(storage.string()), bench::kTable,
      variant == Variant::kApproximate ? "approximate" : "exact",
      variant == Variant::kSingleScan ? "  parallel_scans: 1\n  executor: pushdown\n"
      : variant == Variant::kNative   ? "  executor: native\n"
      : variant == Variant::kPushdown ? "  executor: pushdown\n"
                                      : "");
}

// The `source:` block for a server that scripts/test-services.sh started, from its
// BASELINR_TEST_<prefix>_* variables; the password stays a ${...} reference.
std::string server_source_yaml(const std::string& type, const std::string& prefix,
                               const char* default_port) {
  auto env = [&](const char* key, const char* fallback) {
    return bench::env_or(fmt::format("BASELINR_TEST_{}_{}", prefix, key).c_str(), fallback);
  };
  return fmt::format(
      "source:\n  type: {}\n  host: {}\n  port: {}\n  database: {}\n  username: {}\n"
      "  password: ${{BASELINR_TEST_{}_PASSWORD}}\n",
      type, yaml_string(env("HOST", "127.0.0.1")), env("PORT", default_port),
      yaml_string(env("DATABASE", "baselinr_test")), yaml_string(env("USER", "baselinr")), prefix);
}

// ---------------------------------------------------------------- writing results

// The write share, measured in process: the run the CLI stored is read back through
// RunStore::list_runs/results into a ProfilingResult (metric values as their stored text),
// then written with RunStore::store into a fresh SQLite storage file, the CLI's storage
// kind. store() is the same code the CLI runs after profiling (one transaction, one prepared
// insert per metric row). Opening the store (creating its tables) is timed separately.
struct WriteTiming {
  std::vector<double> open_s, store_s;
  std::size_t metric_rows = 0;
  std::int64_t stored_row_count = -1;
};

WriteTiming time_writes(const fs::path& storage_written_by_cli, const fs::path& scratch,
                        int repeat) {
  baselinr::StorageConfig cfg;
  cfg.connection.type = baselinr::DatabaseType::kSqlite;
  cfg.connection.filepath = storage_written_by_cli.string();
  cfg.create_tables = false;
  baselinr::ProfilingResult result;
  WriteTiming out;
  {
    baselinr::RunStore source(cfg, "bench");
    baselinr::RunQuery query;
    query.dataset = bench::kTable;
    query.limit = 1;
    auto runs = source.list_runs(query);
    if (runs.empty()) throw std::runtime_error("the profile run stored no run to read back");
    const baselinr::RunRecord& run = runs.front();
    out.stored_row_count = run.row_count;
    result.run_id = run.run_id;
    result.dataset_name = run.dataset_name;
    result.schema_name = run.schema_name;
    result.profiled_at = std::chrono::system_clock::now();
    result.row_count = run.row_count;
    result.scope = baselinr::ProfiledScope::from_json(run.metadata);
    for (const auto& m : source.results(run)) {
      if (result.columns.empty() || result.columns.back().name != m.column_name) {
        baselinr::ColumnProfile col;
        col.name = m.column_name;
        col.type = m.column_type;
        result.columns.push_back(std::move(col));
      }
      result.columns.back().metrics.emplace_back(
          m.metric_name, m.metric_value ? baselinr::MetricValue(*m.metric_value)
                                        : baselinr::MetricValue(std::monostate{}));
      ++out.metric_rows;
    }
  }
  for (int r = 0; r < repeat; ++r) {
    fs::remove(scratch);
    baselinr::StorageConfig fresh;
    fresh.connection.type = baselinr::DatabaseType::kSqlite;
    fresh.connection.filepath = scratch.string();
    fresh.create_tables = true;
    const auto t0 = std::chrono::steady_clock::now();
    baselinr::RunStore store(fresh, "bench");
    const auto t1 = std::chrono::steady_clock::now();
    store.store(result);
    out.open_s.push_back(std::chrono::duration<double>(t1 - t0).count());
    out.store_s.push_back(bench::seconds_since(t1));
  }
  return out;
}

// ---------------------------------------------------------------- one engine

std::string fmt_ratio(const json& j);  // "2.45x" or "-", in the report below

struct ProfileSeries {
  std::string status = "ok";  // ok | refused (not implemented) | failed (exit N) | timeout
  std::string message;
  std::vector<double> runs;
  std::vector<double> table_runs;  // duration_seconds reported by the CLI
  long max_rss_kib = 0;
  // The executor the run stored ("native" or "sql"), and with the native executor on
  // PostgreSQL, the bytes of COPY data its last run read (from the CLI's debug log), or -1.
  std::string executor;
  std::int64_t copy_bytes = -1;
  double median_s() const { return median(runs); }
};

// The bytes of COPY data of a native PostgreSQL read, from the CLI's debug lines
// ("..., N bytes of COPY data read"): the last such line counts every read of the run.
std::int64_t copy_bytes_in_log(const std::string& log) {
  static const std::string kMark = " bytes of COPY data read";
  std::int64_t bytes = -1;
  for (std::size_t at = log.find(kMark); at != std::string::npos;
       at = log.find(kMark, at + kMark.size())) {
    std::size_t start = at;
    while (start > 0 && std::isdigit(static_cast<unsigned char>(log[start - 1])) != 0) --start;
    if (start < at) bytes = std::stoll(log.substr(start, at - start));
  }
  return bytes;
}

ProfileSeries run_profiles(const Options& o, const Engine& e, Variant variant,
                           const fs::path& storage_out) {
  const bool approximate = variant == Variant::kApproximate;
  const std::string tag = e.name + "-" + variant_tag(variant);
  const fs::path dir = fs::path(o.work_dir);
  const fs::path config = dir / (tag + ".yml");
  const fs::path storage = dir / (tag + "-storage.db");
  const std::string yaml = config_yaml(e, storage, variant);
  { std::ofstream(config, std::ios::trunc) << yaml; }
  // Fail early and clearly if the generated config no longer matches the loader.
  (void)baselinr::parse_config(yaml, config.string(), baselinr::LoadOptions::from_process());

  // Every repetition profiles into its own copy of an empty store whose tables already exist
  // (the steady state: creating the tables is a one-off, timed separately in time_writes).
  const fs::path empty_store = dir / "empty-storage.db";
  if (!fs::exists(empty_store)) {
    baselinr::StorageConfig fresh;
    fresh.connection.type = baselinr::DatabaseType::kSqlite;
    fresh.connection.filepath = empty_store.string();
    fresh.create_tables = true;
    baselinr::RunStore create(fresh, "bench");
  }

  ProfileSeries s;
  for (int r = 0; r < o.repeat; ++r) {
    fs::copy_file(empty_store, storage, fs::copy_options::overwrite_existing);
    const fs::path output = dir / fmt::format("{}-{}.json", tag, r + 1);
    fs::remove(output);
    // Debug logging (a few lines per table) gives the bytes a native read moved.
    const fs::path log = dir / fmt::format("{}-{}.log", tag, r + 1);
    ChildRun c = run_child(o.cli,
                           {"--log-level", "debug", "profile", "--config", config.string(),
                            "--output", output.string()},
                           log, o.timeout_s);
    if (c.timed_out) {
      s.status = fmt::format("timeout (> {} s)", o.timeout_s);
      s.message = fmt::format("killed after {} s (--timeout)", o.timeout_s);
      s.max_rss_kib = std::max(s.max_rss_kib, c.max_rss_kib);
      s.runs.clear();
      return s;
    }
    if (c.exit_code != 0) {
      s.message = c.last_stderr_line;
      s.status = approximate && c.exit_code == 2 ? "refused (not implemented)"
                                                 : fmt::format("failed (exit {})", c.exit_code);
      s.runs.clear();
      return s;
    }
    s.runs.push_back(c.seconds);
    s.max_rss_kib = std::max(s.max_rss_kib, c.max_rss_kib);
    const std::string log_text = read_text(log);
    s.copy_bytes = copy_bytes_in_log(log_text);
    // The native executor logs "native scan of <table>" at debug level; pushdown does not.
    s.executor = log_text.find("native scan of ") != std::string::npos ? "native" : "sql";
    // The profiler's own time for the table (duration_seconds of the --output JSON: metadata
    // and queries, without process start, storage and exit); absent if the format changes.
    double inner = -1;
    try {
      json j = json::parse(read_text(output));
      if (j.is_array() && !j.empty() && j[0].contains("duration_seconds")) {
        inner = j[0]["duration_seconds"].get<double>();
        s.table_runs.push_back(inner);
      }

    } catch (const std::exception&) {
    }
    fmt::print(
        "  {:<8} profile {:<11} run {}: {:.2f} s (profiler's table time {}), max RSS "
        "{:.0f} MiB\n",
        e.name,
        variant == Variant::kApproximate  ? "approximate"
        : variant == Variant::kSingleScan ? "single scan"
        : variant == Variant::kNative     ? "native"
        : variant == Variant::kPushdown   ? "pushdown"
                                          : "exact",
        r + 1, c.seconds, inner >= 0 ? fmt::format("{:.2f} s", inner) : std::string("n/a"),
        static_cast<double>(c.max_rss_kib) / 1024.0);
  }
  if (!storage_out.empty())
    fs::copy_file(storage, storage_out, fs::copy_options::overwrite_existing);
  return s;
}

json series_json(const std::vector<double>& runs) {
  return json{{"median_s", median(runs)}, {"runs_s", runs}};
}

json ratio(double num, double den) { return den > 0 && num > 0 ? json(num / den) : json(nullptr); }

json run_engine(const Options& o, Engine& e, std::vector<std::string>& notes) {
  json out;
  fmt::print("{}:\n", e.name);
  // Warm-up: one untimed scan so that every variant below reads the table from memory.
  const std::string scan = scan_sql();
  const auto tw = std::chrono::steady_clock::now();
  Row warm = e.query(scan);
  fmt::print("  {:<8} warm-up scan (untimed): {:.2f} s\n", e.name, bench::seconds_since(tw));
  if (warm.empty() || !warm[0] || *warm[0] != std::to_string(o.rows)) {
    throw std::runtime_error(fmt::format("{}: {} has {} rows, expected {}; run bench_generate",
                                         e.name, bench::kTable,
                                         warm.empty() || !warm[0] ? "?" : *warm[0], o.rows));
  }
  if (e.postgres) {
    // Record how PostgreSQL executes the two queries (parallel workers or not).
    for (const auto& [key, sql] :
         {std::pair<std::string, std::string>{"scan", scan}, {"naive_scalar", [&] {
                                                                NaiveLayout l;
                                                                return naive_scalar_sql(e, l);
                                                              }()}}) {
      Row plan = e.query("EXPLAIN (FORMAT JSON) " + sql);
      int workers = 0;
      if (!plan.empty() && plan[0]) {
        json p = json::parse(*plan[0]);
        std::function<void(const json&)> walk = [&](const json& node) {
          if (node.is_object()) {
            if (node.contains("Workers Planned")) {
              workers = std::max(workers, node["Workers Planned"].get<int>());
            }
            for (const auto& [k, v] : node.items()) walk(v);
          } else if (node.is_array()) {
            for (const auto& v : node) walk(v);
          }
        };
        walk(p);
      }
      out["parallel_workers_planned"][key] = workers;
    }
  }

  // (a) scan
  std::vector<double> scan_runs;
  for (int r = 0; r < o.repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    e.query(scan);
    scan_runs.push_back(bench::seconds_since(t0));
    fmt::print("  {:<8} scan                run {}: {:.2f} s\n", e.name, r + 1, scan_runs.back());
  }
  out["scan"] = series_json(scan_runs);
  out["scan"]["sql"] = scan;
  if (e.postgres) {
    // PostgreSQL runs the scan with parallel workers; the profile's COUNT(DISTINCT) query
    // cannot use them. For reference, the same scan on one process (not used in the ratios).
    e.query("SET max_parallel_workers_per_gather = 0");
    std::vector<double> serial_runs;
    for (int r = 0; r < o.repeat; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      e.query(scan);
      serial_runs.push_back(bench::seconds_since(t0));
      fmt::print("  {:<8} scan, no parallel   run {}: {:.2f} s\n", e.name, r + 1,
                 serial_runs.back());
    }
    e.query("RESET max_parallel_workers_per_gather");
    out["scan_serial"] = series_json(serial_runs);
    out["scan_serial"]["setting"] = "SET max_parallel_workers_per_gather = 0";
  }

  // (b) profile, exact then approximate
  const fs::path kept = fs::path(o.work_dir) / (e.name + "-exact-kept.db");
  ProfileSeries exact = run_profiles(o, e, Variant::kExact, kept);
  ProfileSeries approx = run_profiles(o, e, Variant::kApproximate, {});
  // PostgreSQL's pushed-down scalar statement is split over concurrent scans by default; for
  // reference, the pushed-down profile in one scan (parallel_scans: 1 with executor: pushdown,
  // since `auto` may stream the table natively). Not used in the ratios.
  std::optional<ProfileSeries> single;
  if (e.postgres) single = run_profiles(o, e, Variant::kSingleScan, {});
  // PostgreSQL with the native executor asked for, and pushed down (`auto` chooses by size).
  std::optional<ProfileSeries> native, pushdown;
  if (e.postgres) native = run_profiles(o, e, Variant::kNative, {});
  // `auto` may stream PostgreSQL's rows: the pushed-down profile, for the comparison.
  if (e.postgres) pushdown = run_profiles(o, e, Variant::kPushdown, {});
  auto profile_json = [&](const ProfileSeries& s) {
    json j{{"status", s.status}};
    if (!s.executor.empty()) j["executor"] = s.executor;
    if (s.status == "ok" && s.copy_bytes >= 0) {
      // What the native read moved, and what moving it costs on a link of a given bandwidth
      // (bytes x 8 / bits per second; the link alone, protocol framing below COPY not counted).
      const double bytes = static_cast<double>(s.copy_bytes);
      j["copy_bytes"] = s.copy_bytes;
      j["copy_bytes_per_row"] = bytes / static_cast<double>(o.rows);
      j["link_seconds"] = {{"10Gbit/s", bytes * 8 / 10e9},
                           {"1Gbit/s", bytes * 8 / 1e9},
                           {"100Mbit/s", bytes * 8 / 100e6}};
    }
    if (s.status == "ok") {
      j["median_s"] = s.median_s();
      j["runs_s"] = s.runs;
      if (s.table_runs.size() == s.runs.size()) {
        j["profiler_table_time"] = series_json(s.table_runs);
      }
      j["peak_rss_mib"] = static_cast<double>(s.max_rss_kib) / 1024.0;
    } else {
      j["message"] = s.message;
      if (s.max_rss_kib > 0)
        j["peak_rss_mib_when_killed"] = static_cast<double>(s.max_rss_kib) / 1024.0;
    }
    return j;
  };
  out["profile_exact"] = profile_json(exact);
  out["profile_approximate"] = profile_json(approx);
  if (single) {
    out["profile_single_scan"] = profile_json(*single);
    out["profile_single_scan"]["setting"] = "profiling.parallel_scans: 1, executor: pushdown";
  }
  if (native) {
    out["profile_native"] = profile_json(*native);
    out["profile_native"]["setting"] = "profiling.executor: native";
  }
  if (pushdown) {
    out["profile_pushdown"] = profile_json(*pushdown);
    out["profile_pushdown"]["setting"] = "profiling.executor: pushdown";
  }
  if (exact.status != "ok") {
    notes.push_back(fmt::format("{}: profile (exact) {}: {}", e.name, exact.status, exact.message));
  }
  if (approx.status != "ok") {
    notes.push_back(
        fmt::format("{}: profile (approximate) {}: {}", e.name, approx.status, approx.message));
  }

  // (c) naive pushdown
  NaiveLayout layout;
  const std::string naive_sql = naive_scalar_sql(e, layout);
  std::vector<double> scalar_runs, hist_runs, naive_runs;
  std::string hist_sql;
  for (int r = 0; r < o.repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    Row scalar = e.query(naive_sql);
    const double t_scalar = bench::seconds_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    hist_sql = naive_histogram_sql(scalar, layout, 10);
    e.query(hist_sql);
    const double t_hist = bench::seconds_since(t1);
    scalar_runs.push_back(t_scalar);
    hist_runs.push_back(t_hist);
    naive_runs.push_back(t_scalar + t_hist);
    fmt::print("  {:<8} naive               run {}: {:.2f} s (scalar {:.2f} + histogram {:.2f})\n",
               e.name, r + 1, t_scalar + t_hist, t_scalar, t_hist);
  }
  out["naive"] = series_json(naive_runs);
  out["naive"]["scalar"] = series_json(scalar_runs);
  out["naive"]["histogram"] = series_json(hist_runs);
  out["naive"]["scalar"]["sql"] = naive_sql;
  out["naive"]["histogram"]["sql"] = hist_sql;

  // Writing results
  if (exact.status == "ok") {
    WriteTiming w =
        time_writes(kept, fs::path(o.work_dir) / (e.name + "-write-scratch.db"), o.repeat);
    out["write"] = {{"storage_open_s", median(w.open_s)},
                    {"store_s", median(w.store_s)},
                    {"store_runs_s", w.store_s},
                    {"metric_rows", w.metric_rows},
                    {"share_of_profile", median(w.store_s) / exact.median_s()}};
    if (w.stored_row_count != static_cast<std::int64_t>(o.rows)) {
      notes.push_back(fmt::format("{}: the stored run has row_count {}, expected {}", e.name,
                                  w.stored_row_count, o.rows));
    }
    fs::remove(kept);
  }

  const double scan_m = median(scan_runs);
  const double naive_m = median(naive_runs);
  out["ratios"] = {
      {"profile_over_scan", ratio(exact.status == "ok" ? exact.median_s() : 0, scan_m)},
      {"approximate_over_scan", ratio(approx.status == "ok" ? approx.median_s() : 0, scan_m)},
      {"naive_over_profile", ratio(naive_m, exact.status == "ok" ? exact.median_s() : 0)},
  };
  if (native && native->status == "ok") {
    out["ratios"]["native_over_scan"] = ratio(native->median_s(), scan_m);
    out["ratios"]["naive_over_native"] = ratio(naive_m, native->median_s());
    notes.push_back(fmt::format(
        "{}: profile (exact) with the native executor (profiling.executor: native): {} s (median "
        "of {}); native / scan = {}, naive / native = {}",
        e.name, secs(native->median_s()), native->runs.size(),
        fmt_ratio(out["ratios"]["native_over_scan"]),
        fmt_ratio(out["ratios"]["naive_over_native"])));
    if (native->copy_bytes >= 0) {
      const json& n = out["profile_native"];
      notes.push_back(fmt::format(
          "{}: the native read moved {} bytes of COPY data ({:.1f} bytes per row): {:.2f} s on "
          "a 10 Gbit/s link, {:.2f} s at 1 Gbit/s, {:.1f} s at 100 Mbit/s",
          e.name, native->copy_bytes, n["copy_bytes_per_row"].get<double>(),
          n["link_seconds"]["10Gbit/s"].get<double>(), n["link_seconds"]["1Gbit/s"].get<double>(),
          n["link_seconds"]["100Mbit/s"].get<double>()));
    }
  }
  if (pushdown && pushdown->status == "ok") {
    out["ratios"]["pushdown_over_scan"] = ratio(pushdown->median_s(), scan_m);
    notes.push_back(fmt::format(
        "{}: profile (exact) pushed down (profiling.executor: pushdown): {} s (median of {}); "
        "pushdown / scan = {}; the default (executor: auto) used {}",
        e.name, secs(pushdown->median_s()), pushdown->runs.size(),
        fmt_ratio(out["ratios"]["pushdown_over_scan"]),
        exact.executor.empty() ? std::string("?") : exact.executor));
  }
  if (single && single->status == "ok") {
    out["ratios"]["naive_over_single_scan"] = ratio(naive_m, single->median_s());
    notes.push_back(fmt::format(
        "{}: profile (exact) pushed down in a single scan (parallel_scans: 1, executor: pushdown), "
        "for reference: {} s "
        "(median of {}); naive / single scan = {}",
        e.name, secs(single->median_s()), single->runs.size(),
        fmt_ratio(out["ratios"]["naive_over_single_scan"])));
  }
  return out;
}

// ---------------------------------------------------------------- report

std::string fmt_ratio(const json& j) {
  return j.is_number() ? fmt::format("{:.2f}x", j.get<double>()) : std::string("-");
}

std::string fmt_profile(const json& j) {
  if (j.value("status", "") == "ok") return secs(j["median_s"].get<double>());
  const std::string s = j.value("status", "");
  return s.rfind("refused", 0) == 0 ? "refused" : s;
}

std::string rss(const json& profile) {
  return profile.contains("peak_rss_mib")
             ? fmt::format("{:.0f} MiB", profile["peak_rss_mib"].get<double>())
             : std::string("-");
}

void print_table(const json& report) {
  std::vector<std::vector<std::string>> rows = {
      {"engine", "scan", "profile", "profile(approx)", "naive (scalar+hist)", "profile/scan",
       "approx/scan", "naive/profile", "peak RSS exact / approx", "write share"}};
  for (const auto& [name, e] : report["engines"].items()) {
    const json& w = e.contains("write") ? e["write"] : json();
    rows.push_back(
        {name, secs(e["scan"]["median_s"].get<double>()), fmt_profile(e["profile_exact"]),
         fmt_profile(e["profile_approximate"]),
         fmt::format("{} ({}+{})", secs(e["naive"]["median_s"].get<double>()),
                     secs(e["naive"]["scalar"]["median_s"].get<double>()),
                     secs(e["naive"]["histogram"]["median_s"].get<double>())),
         fmt_ratio(e["ratios"]["profile_over_scan"]),
         fmt_ratio(e["ratios"]["approximate_over_scan"]),
         fmt_ratio(e["ratios"]["naive_over_profile"]),
         fmt::format("{} / {}", rss(e["profile_exact"]), rss(e["profile_approximate"])),
         w.is_object() ? fmt::format("{:.2f}%", 100 * w["share_of_profile"].get<double>()) : "-"});
  }
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (std::size_t k = 0; k < rows.size(); ++k) {
    std::string line;
    for (std::size_t i = 0; i < rows[k].size(); ++i) {
      line += i == 0 ? fmt::format("{:<{}}", rows[k][i], width[i])
                     : fmt::format("  {:>{}}", rows[k][i], width[i]);
    }
    fmt::print("{}\n", line);
    if (k == 0) fmt::print("{}\n", std::string(line.size(), '-'));
  }
}

json method_notes(int repeat) {
  return {
      {"timing", fmt::format("wall-clock seconds (steady_clock); each variant run {} times, the "
                             "median reported; ratios are of medians",
                             repeat)},
      {"cache",
       "one untimed scan per engine first, so every timed variant reads the table from "
       "memory (OS page cache; PostgreSQL also its shared buffers); the page cache is "
       "not dropped"},
      {"scan",
       "one SELECT: COUNT(*), MAX(col) for numeric/date/timestamp columns, "
       "SUM(LENGTH(col)) for text, SUM(CASE WHEN col THEN 1 ELSE 0 END) for booleans "
       "(every value of every column read); see engines.*.scan.sql. PostgreSQL runs it "
       "with its default parallel workers; engines.postgres.scan_serial is the same "
       "scan with max_parallel_workers_per_gather = 0 (reference only)"},
      {"profile",
       "the whole `baselinr profile --config F --output F.json` child process "
       "(start, connect, metadata, queries, storing the run, exit), all metrics, "
       "histogram_bins 10, hooks disabled, into a copy of an empty SQLite store whose "
       "tables exist; approximate: the same with profiling.distinct: approximate "
       "(exit 2 = refused). profiler_table_time: the duration_seconds the CLI reports "
       "for the table (metadata and queries only)"},
      {"naive",
       "the single straightforward scalar SELECT (COUNT, COUNT(DISTINCT), MIN, MAX per "
       "column, AVG and sample stddev for numeric, MIN/MAX/AVG(LENGTH) for text) "
       "followed by one histogram SELECT with SUM(CASE ...) per bin (10 bins, every "
       "numeric column), run by the driver itself; see engines.*.naive.*.sql"},
      {"peak_rss", "ru_maxrss of the profile child (its rusage), the largest of the repetitions"},
      {"write_share",
       "in process: the run the CLI stored is read back (RunStore::list_runs, "
       "results) and written again with RunStore::store into a fresh SQLite "
       "storage file (median of the repetitions); share = store time / median "
       "profile time. Opening the store (creating its tables) is reported "
       "separately as storage_open_s"},
  };
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines show up at once under tee or make
  try {
    fs::create_directories(o.work_dir);
    o.work_dir = fs::absolute(o.work_dir).string();
    fs::remove(fs::path(o.work_dir) / "empty-storage.db");  // recreated by this build's RunStore
    if (!fs::exists(o.cli)) throw std::runtime_error("baselinr CLI not found at " + o.cli);

    json report;
    report["benchmark"] = "baselinr issue 6";
    report["date_utc"] = utc_now();
    report["commit"] = o.commit;
    report["rows"] = o.rows;
    report["columns"] = kColumns.size();
    for (const auto& c : kColumns) {
      report["table"].push_back({{"column", c.name},
                                 {"sqlite_type", c.sqlite_type},
                                 {"postgres_type", c.pg_type},
                                 {"values", c.description}});
    }
    report["repetitions"] = o.repeat;
    report["machine"] = machine_info();
    report["load_average_start"] = loadavg();
    {
      ChildRun v = run_child(o.cli, {"version"}, fs::path(o.work_dir) / "version.log");
      report["baselinr_version"] = v.last_stderr_line;
    }
    report["method"] = method_notes(o.repeat);
    std::vector<std::string> notes;

    fmt::print("baselinr benchmark: {} rows x {} columns, {} timed run(s) each, load average {}\n",
               o.rows, kColumns.size(), o.repeat, report["load_average_start"].get<std::string>());

    std::unique_ptr<bench::Sqlite> sqlite;
    std::unique_ptr<bench::Pg> pg;
    std::vector<Engine> engines;
    if (!o.sqlite_file.empty()) {
      const std::string file = fs::absolute(o.sqlite_file).string();
      sqlite = std::make_unique<bench::Sqlite>(file, SQLITE_OPEN_READONLY);
      Engine e;
      e.name = "sqlite";
      e.query = [db = sqlite.get()](const std::string& sql) { return db->first_row(sql); };
      e.source_yaml = fmt::format("source:\n  type: sqlite\n  filepath: {}\n", yaml_string(file));
      try {
        sqlite->first_row("SELECT SQRT(4.0)");
      } catch (const std::exception&) {
        e.sqlite_has_sqrt = false;
        notes.push_back(
            "sqlite: no SQRT() in this SQLite build; the naive query sends the "
            "variance and the driver takes the square root");
      }
      report["versions"]["sqlite"] = sqlite3_libversion();
      engines.push_back(std::move(e));
    }
    if (o.postgres) {
      if (!bench::Pg::configured()) {
        throw std::runtime_error("--postgres: BASELINR_TEST_PG_* are not set (services.env)");
      }
      pg = std::make_unique<bench::Pg>();
      Engine e;
      e.name = "postgres";
      e.postgres = true;
      e.query = [conn = pg.get()](const std::string& sql) { return conn->first_row(sql); };
      e.source_yaml = server_source_yaml("postgres", "PG", "5432") + "  schema: public\n";
      for (const char* setting : {"server_version", "shared_buffers", "work_mem", "fsync",
                                  "max_parallel_workers_per_gather", "jit"}) {
        Row r = pg->first_row(fmt::format("SHOW {}", setting));
        report["versions"]["postgres_settings"][setting] = r.empty() || !r[0] ? "" : *r[0];
      }
      engines.push_back(std::move(e));
    }

    std::unique_ptr<baselinr::db::Connection> maria;
    if (o.mysql) {
      if (!bench::mysql_configured()) {
        throw std::runtime_error("--mysql: BASELINR_TEST_MYSQL_* are not set (services.env)");
      }
      maria = baselinr::db::connect(bench::mysql_config());
      // The scan and naive statements quote identifiers the standard way.
      maria->execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')");
      Engine e;
      e.name = "mariadb";
      e.mysql = true;
      e.query = [conn = maria.get()](const std::string& sql) {
        return bench::first_row(*conn, sql);
      };
      e.source_yaml = server_source_yaml("mysql", "MYSQL", "3306");
      for (const char* setting : {"version", "innodb_buffer_pool_size", "tmp_table_size",
                                  "max_heap_table_size", "sort_buffer_size"}) {
        Row r = bench::first_row(*maria, fmt::format("SELECT @@{}", setting));
        report["versions"]["mariadb_settings"][setting] = r.empty() || !r[0] ? "" : *r[0];
      }
      engines.push_back(std::move(e));
    }

    for (auto& e : engines) report["engines"][e.name] = run_engine(o, e, notes);
    report["load_average_end"] = loadavg();
    report["notes"] = notes;

    fmt::print(
        "\nResults: median of {} run(s), seconds; {} rows x {} columns (table {}); load "
        "average {} at start, {} at end\n\n",
        o.repeat, o.rows, kColumns.size(), bench::kTable,
        report["load_average_start"].get<std::string>(),
        report["load_average_end"].get<std::string>());
    print_table(report);
    fmt::print("\nHow:\n");
    for (const auto& [k, v] : report["method"].items()) {
      fmt::print("  {:<11} {}\n", k, v.get<std::string>());
    }
    if (!notes.empty()) {
      fmt::print("\nNotes:\n");
      for (const auto& n : notes) fmt::print("  {}\n", n);
    }
    if (!o.json_file.empty()) {
      if (auto dir = fs::path(o.json_file).parent_path(); !dir.empty()) {
        fs::create_directories(dir);
      }
      std::ofstream(o.json_file, std::ios::trunc) << report.dump(2) << "\n";
      fmt::print("\nJSON: {}\n", o.json_file);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_driver: {}\n", e.what());
    return 1;
  }
  return 0;
}
