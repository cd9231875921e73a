// bench_generate: writes the deterministic bench_events table (see bench_common.hpp) into a
// SQLite file, the PostgreSQL database named by BASELINR_TEST_PG_* and/or the MariaDB database
// named by BASELINR_TEST_MYSQL_*.
//
//   bench_generate [--rows N] [--sqlite FILE] [--postgres] [--mysql] [--force]
//
// Data already there with the same row count and generator version (the bench_meta marker
// table, written only after a complete load) is reused; --force reloads it.
#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "bench_common.hpp"

namespace {

using bench::Cell;
using bench::kColumns;
using bench::Kind;

struct Options {
  std::uint64_t rows = 1'000'000;
  std::string sqlite_file;
  bool postgres = false;
  bool mysql = false;
  bool force = false;
};

[[noreturn]] void usage(const std::string& error) {
  if (!error.empty()) fmt::print(stderr, "bench_generate: {}\n", error);
  fmt::print(stderr,
             "usage: bench_generate [--rows N] [--sqlite FILE] [--postgres] [--mysql] [--force]\n");
  std::exit(2);
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
      const std::string v = value();
      auto rows = bench::positive_number<decltype(o.rows)>(v);
      if (!rows) usage("--rows: expected a positive integer, got '" + v + "'");
      o.rows = *rows;
    } else if (a == "--sqlite") {
      o.sqlite_file = value();
    } else if (a == "--postgres") {
      o.postgres = true;
    } else if (a == "--mysql") {
      o.mysql = true;
    } else if (a == "--force") {
      o.force = true;
    } else if (a == "--help" || a == "-h") {
      usage("");
    } else {
      usage("unknown argument '" + a + "'");
    }
  }
  if (o.sqlite_file.empty() && !o.postgres && !o.mysql) {
    usage("give --sqlite FILE, --postgres and/or --mysql");
  }
  return o;
}

std::string create_table_sql(bool postgres) {
  std::string cols;
  for (const auto& c : kColumns) {
    if (!cols.empty()) cols += ",\n  ";
    cols += fmt::format("{} {}", bench::quote_ident(c.name), postgres ? c.pg_type : c.sqlite_type);
  }
  return fmt::format("CREATE TABLE {} (\n  {}\n)", bench::kTable, cols);
}

std::string meta_table_sql() {
  return fmt::format(
      "CREATE TABLE {} (row_count BIGINT NOT NULL, generator_version BIGINT NOT "
      "NULL, seed TEXT NOT NULL)",
      bench::kMetaTable);
}

std::string meta_insert_sql(std::uint64_t rows) {
  return fmt::format("INSERT INTO {} VALUES ({}, {}, '{:x}')", bench::kMetaTable, rows,
                     bench::kGeneratorVersion, bench::kSeed);
}

bool marker_matches(const std::vector<std::optional<std::string>>& row, std::uint64_t rows) {
  return row.size() == 2 && row[0] && row[1] && *row[0] == std::to_string(rows) &&
         *row[1] == std::to_string(bench::kGeneratorVersion);
}

// ---------------------------------------------------------------- SQLite

bool sqlite_is_current(const std::string& file, std::uint64_t rows) {
  if (!std::filesystem::exists(file)) return false;
  try {
    bench::Sqlite db(file, SQLITE_OPEN_READONLY);
    return marker_matches(
        db.first_row(fmt::format("SELECT row_count, generator_version FROM {}", bench::kMetaTable)),
        rows);
  } catch (const std::exception&) {
    return false;
  }
}

void load_sqlite(const std::string& file, std::uint64_t rows) {
  const std::string tmp = file + ".tmp";
  std::filesystem::remove(tmp);
  if (auto dir = std::filesystem::path(file).parent_path(); !dir.empty()) {
    std::filesystem::create_directories(dir);
  }
  {
    bench::Sqlite db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    // For the load only: no rollback journal, no fsync. Neither setting is stored in the file.
    db.exec("PRAGMA journal_mode=OFF");
    db.exec("PRAGMA synchronous=OFF");
    db.exec("PRAGMA cache_size=-262144");
    db.exec(create_table_sql(false));
    db.exec("BEGIN");
    std::string placeholders;
    for (std::size_t i = 0; i < kColumns.size(); ++i) placeholders += i ? ", ?" : "?";
    const std::string insert =
        fmt::format("INSERT INTO {} VALUES ({})", bench::kTable, placeholders);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db.get(), insert.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(fmt::format("sqlite: {}", sqlite3_errmsg(db.get())));
    }
    bench::Row row;
    for (std::uint64_t r = 0; r < rows; ++r) {
      bench::make_row(r, rows, row);
      for (std::size_t c = 0; c < kColumns.size(); ++c) {
        const Cell& cell = row[c];
        const int idx = static_cast<int>(c + 1);
        if (cell.null) {
          sqlite3_bind_null(stmt, idx);
          continue;
        }
        switch (kColumns[c].kind) {
          case Kind::kInt:
          case Kind::kBool:
            sqlite3_bind_int64(stmt, idx, cell.i);
            break;
          case Kind::kReal:
            sqlite3_bind_double(stmt, idx, cell.d);
            break;
          default:
            // `row` outlives the step below: SQLite need not copy the text.
            sqlite3_bind_text(stmt, idx, cell.s.data(), static_cast<int>(cell.s.size()),
                              SQLITE_STATIC);
            break;
        }
      }
      if (sqlite3_step(stmt) != SQLITE_DONE) {
        std::string msg = sqlite3_errmsg(db.get());
        sqlite3_finalize(stmt);
        throw std::runtime_error(fmt::format("sqlite: inserting row {}: {}", r + 1, msg));
      }
      sqlite3_reset(stmt);
    }
    sqlite3_finalize(stmt);
    db.exec(meta_table_sql());
    db.exec(meta_insert_sql(rows));
    db.exec("COMMIT");
  }
  std::filesystem::rename(tmp, file);
}

// ---------------------------------------------------------------- PostgreSQL

bool postgres_is_current(bench::Pg& pg, std::uint64_t rows) {
  auto exists =
      pg.first_row(fmt::format("SELECT to_regclass('{}') IS NOT NULL AND "
                               "to_regclass('{}') IS NOT NULL",
                               bench::kMetaTable, bench::kTable));
  if (exists.empty() || !exists[0] || *exists[0] != "t") return false;
  return marker_matches(
      pg.first_row(fmt::format("SELECT row_count, generator_version FROM {}", bench::kMetaTable)),
      rows);
}

void append_copy_text(std::string& out, const std::string& s) {
  // Generated text never holds tabs, newlines or backslashes; escape anyway to stay correct.
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

void load_postgres(bench::Pg& pg, std::uint64_t rows) {
  pg.exec(fmt::format("DROP TABLE IF EXISTS {}, {}", bench::kTable, bench::kMetaTable));
  pg.exec("BEGIN");
  pg.exec(create_table_sql(true));
  // FREEZE: rows are written already frozen (the table is new in this transaction), so the
  // first scans do not rewrite pages to set hint bits.
  pg.exec(fmt::format("COPY {} FROM STDIN WITH (FORMAT text, FREEZE)", bench::kTable));
  std::string buf;
  buf.reserve(1 << 22);
  auto flush = [&] {
    if (buf.empty()) return;
    if (PQputCopyData(pg.get(), buf.data(), static_cast<int>(buf.size())) != 1) {
      throw std::runtime_error(fmt::format("postgres: COPY: {}", PQerrorMessage(pg.get())));
    }
    buf.clear();
  };
  bench::Row row;
  for (std::uint64_t r = 0; r < rows; ++r) {
    bench::make_row(r, rows, row);
    for (std::size_t c = 0; c < kColumns.size(); ++c) {
      if (c) buf += '\t';
      const Cell& cell = row[c];
      if (cell.null) {
        buf += "\\N";
        continue;
      }
      switch (kColumns[c].kind) {
        case Kind::kInt:
          fmt::format_to(std::back_inserter(buf), "{}", cell.i);
          break;
        case Kind::kBool:
          buf += cell.i ? 't' : 'f';
          break;
        case Kind::kReal:
          // fmt prints the shortest text that reads back to the same double.
          fmt::format_to(std::back_inserter(buf), "{}", cell.d);
          break;
        default:
          append_copy_text(buf, cell.s);
      }
    }
    buf += '\n';
    if (buf.size() >= (1u << 22) - 4096) flush();
  }
  flush();
  if (PQputCopyEnd(pg.get(), nullptr) != 1) {
    throw std::runtime_error(fmt::format("postgres: COPY end: {}", PQerrorMessage(pg.get())));
  }
  for (PGresult* res = PQgetResult(pg.get()); res; res = PQgetResult(pg.get())) {
    bench::PgResult owned(res);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
      throw std::runtime_error(fmt::format("postgres: COPY: {}", PQerrorMessage(pg.get())));
    }
  }
  pg.exec(meta_table_sql());
  pg.exec(meta_insert_sql(rows));
  pg.exec("COMMIT");
  // Visibility map and planner statistics, as on any table that has been live for a while.
  pg.exec(fmt::format("VACUUM (ANALYZE) {}", bench::kTable));
}

// ---------------------------------------------------------------- MariaDB

bool mysql_is_current(baselinr::db::Connection& conn, std::uint64_t rows) {
  try {
    return marker_matches(
        bench::first_row(
            conn, fmt::format("SELECT row_count, generator_version FROM {}", bench::kMetaTable)),
        rows);
  } catch (const std::exception&) {
    return false;  // no marker table yet
  }
}

void load_mysql(baselinr::db::Connection& conn, std::uint64_t rows) {
  conn.execute(fmt::format("DROP TABLE IF EXISTS {}, {}", bench::kTable, bench::kMetaTable));
  std::string cols;
  for (const auto& c : kColumns) {
    if (!cols.empty()) cols += ",\n  ";
    cols += fmt::format("`{}` {}", c.name, bench::mysql_type(c));
  }
  conn.execute(fmt::format("CREATE TABLE {} (\n  {}\n)", bench::kTable, cols));
  // 500 rows per statement: 10,000 bound values, well under the protocol's 65,535.
  constexpr std::uint64_t kBatch = 500;
  std::string one = "(";
  for (std::size_t i = 0; i < kColumns.size(); ++i) one += i ? ", ?" : "?";
  one += ")";
  auto insert_sql = [&](std::uint64_t n) {
    std::string sql = fmt::format("INSERT INTO {} VALUES ", bench::kTable);
    for (std::uint64_t i = 0; i < n; ++i) sql += (i ? ", " : "") + one;
    return sql;
  };
  auto full = conn.prepare(insert_sql(kBatch));
  baselinr::db::Transaction tx(conn);
  bench::Row row;
  std::vector<baselinr::db::Value> values;
  for (std::uint64_t start = 0; start < rows; start += kBatch) {
    const std::uint64_t n = std::min(kBatch, rows - start);
    values.clear();
    for (std::uint64_t r = start; r < start + n; ++r) {
      bench::make_row(r, rows, row);
      for (std::size_t c = 0; c < kColumns.size(); ++c) {
        const Cell& cell = row[c];
        if (cell.null) {
          values.emplace_back(std::monostate{});
        } else if (kColumns[c].kind == Kind::kInt || kColumns[c].kind == Kind::kBool) {
          values.emplace_back(cell.i);
        } else if (kColumns[c].kind == Kind::kReal) {
          values.emplace_back(cell.d);
        } else {
          values.emplace_back(cell.s);
        }
      }
    }
    if (n == kBatch) {
      full->execute(values);
    } else {
      conn.prepare(insert_sql(n))->execute(values);
    }
  }
  conn.execute(meta_table_sql());
  conn.execute(meta_insert_sql(rows));
  tx.commit();
  conn.query(fmt::format("ANALYZE TABLE {}", bench::kTable));
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  try {
    if (!o.sqlite_file.empty()) {
      if (!o.force && sqlite_is_current(o.sqlite_file, o.rows)) {
        fmt::print("bench_generate: sqlite {}: {} rows already there (reused)\n", o.sqlite_file,
                   o.rows);
      } else {
        const auto t0 = std::chrono::steady_clock::now();
        load_sqlite(o.sqlite_file, o.rows);
        fmt::print("bench_generate: sqlite {}: loaded {} rows in {:.1f} s ({:.0f} MiB)\n",
                   o.sqlite_file, o.rows, bench::seconds_since(t0),
                   static_cast<double>(std::filesystem::file_size(o.sqlite_file)) / 1048576.0);
      }
    }
    if (o.postgres) {
      if (!bench::Pg::configured()) {
        throw std::runtime_error(
            "--postgres: BASELINR_TEST_PG_PORT is not set; source services.env from "
            "scripts/test-services.sh first");
      }
      bench::Pg pg;
      if (!o.force && postgres_is_current(pg, o.rows)) {
        fmt::print("bench_generate: postgres: {} rows already there (reused)\n", o.rows);
      } else {
        const auto t0 = std::chrono::steady_clock::now();
        load_postgres(pg, o.rows);
        auto size = pg.first_row(
            fmt::format("SELECT pg_total_relation_size('{}') / 1048576", bench::kTable));
        fmt::print("bench_generate: postgres: loaded {} rows in {:.1f} s ({} MiB)\n", o.rows,
                   bench::seconds_since(t0), size.empty() || !size[0] ? "?" : *size[0]);
      }
    }
    if (o.mysql) {
      if (!bench::mysql_configured()) {
        throw std::runtime_error(
            "--mysql: BASELINR_TEST_MYSQL_PORT is not set; source services.env from "
            "scripts/test-services.sh first");
      }
      auto conn = baselinr::db::connect(bench::mysql_config());
      if (!o.force && mysql_is_current(*conn, o.rows)) {
        fmt::print("bench_generate: mariadb: {} rows already there (reused)\n", o.rows);
      } else {
        const auto t0 = std::chrono::steady_clock::now();
        load_mysql(*conn, o.rows);
        fmt::print("bench_generate: mariadb: loaded {} rows in {:.1f} s\n", o.rows,
                   bench::seconds_since(t0));
      }
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_generate: {}\n", e.what());
    return 1;
  }
  return 0;
}
