#include "storage/outbox.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <tuple>

#include "baselinr/error.hpp"
#include "common/text.hpp"
#include "storage/events_table.hpp"

namespace baselinr::storage {
namespace {

db::Value text_or_null(const std::string& s) {
  if (s.empty()) return std::monostate{};
  return s;
}

std::string text(const db::Value& v) { return db::as_text(v).value_or(""); }
int integer(const db::Value& v) { return static_cast<int>(db::as_int(v).value_or(0)); }
std::string time_text(const db::Value& v) { return normalize_storage_time(text(v)); }

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

}  // namespace

db::DeliveryTables delivery_tables(const std::string& events_table) {
  // Named after the store's events table, so two stores in one database keep their own.
  std::string base = events_table;
  const std::string suffix = "events";
  if (base.size() >= suffix.size() &&
      base.compare(base.size() - suffix.size(), suffix.size(), suffix) == 0) {
    base.resize(base.size() - suffix.size());
  } else {
    base += "_";
  }
  return {base + "outbox", base + "deliveries", base + "findings"};
}

std::string new_lease_owner() {
  return fmt::format("{}/{}/{}", host_name(), getpid(), new_uuid().substr(0, 8));
}

Outbox::Outbox(db::Connection& connection, db::DeliveryTables tables, std::string events_table)
    : connection_(connection), tables_(std::move(tables)), events_table_(std::move(events_table)) {}

std::string Outbox::id(std::string_view c) const {
  return connection_.dialect().storage_identifier(c);
}
std::string Outbox::t(const std::string& name) const {
  return connection_.dialect().qualified_name(name);
}

db::Result Outbox::run(const std::string& sql, db::ParamList& params) {
  db::BoundSql bound = params.bind(sql);
  return connection_.query(bound.sql, bound.params);
}

void Outbox::exec(const std::string& sql, db::ParamList& params) {
  db::BoundSql bound = params.bind(sql);
  connection_.execute(bound.sql, bound.params);
}

bool Outbox::available() {
  for (const std::string& table : {tables_.outbox, tables_.deliveries, tables_.findings}) {
    if (connection_.columns(connection_.dialect().storage_table(table)).empty()) return false;
  }
  return true;
}

namespace {

std::string in_list(db::ParamList& params, const std::vector<std::string>& values) {
  std::string out = "(";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += params.add(values[i]);
  }
  return out + ")";
}

}  // namespace

bool Outbox::add(const Event& event, const std::vector<Route>& routes, const std::string& now) {
  const db::Dialect& d = connection_.dialect();
  const DeliveryKeys keys = delivery_keys(event);
  bool fresh = false;
  {
    db::ParamList p(d);
    auto r = run(fmt::format("SELECT {} FROM {} WHERE {} = {}", id("event_id"), t(tables_.outbox),
                             id("event_id"), p.add(event.event_id())),
                 p);
    fresh = r.rows.empty();
  }
  if (fresh) {
    db::ParamList p(d);
    std::string sql = fmt::format(
        "INSERT INTO {} ({}, {}, {}, {}, {}, {}, {}, {}) VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
        t(tables_.outbox), id("event_id"), id("event_type"), id("table_name"), id("finding_key"),
        id("group_key"), id("severity"), id("created_at"), id("payload"), p.add(event.event_id()),
        p.add(std::string(event.event_type())), p.add(text_or_null(event.table())),
        p.add(text_or_null(keys.finding_key)), p.add(text_or_null(keys.group_key)),
        p.add(std::int64_t{keys.severity}), p.add(now), p.add(event.to_json()));
    exec(sql, p);
    db::ParamList q(d);
    auto known = run(fmt::format("SELECT {} FROM {} WHERE {} = {}", id("event_id"),
                                 t(events_table_), id("event_id"), q.add(event.event_id())),
                     q);
    if (known.rows.empty()) {
      std::vector<db::Value> row = event_row(event);
      connection_.execute(d.insert_event_sql(events_table_), row);
    }
  }
  std::vector<std::string> have;
  {
    db::ParamList p(d);
    auto r = run(fmt::format("SELECT {} FROM {} WHERE {} = {}", id("hook_name"),
                             t(tables_.deliveries), id("event_id"), p.add(event.event_id())),
                 p);
    for (const auto& row : r.rows) have.push_back(text(row[0]));
  }
  for (const Route& route : routes) {
    if (std::find(have.begin(), have.end(), route.hook) != have.end()) continue;
    const bool accepted = !route.accepts || route.accepts(event);
    db::ParamList p(d);
    std::string sql = fmt::format(
        "INSERT INTO {} ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) VALUES ({}, {}, {}, "
        "{}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
        t(tables_.deliveries), id("event_id"), id("hook_name"), id("status"), id("attempts"),
        id("next_attempt_at"), id("event_type"), id("finding_key"), id("group_key"), id("severity"),
        id("forced"), id("created_at"), id("updated_at"), id("last_error"), p.add(event.event_id()),
        p.add(route.hook), p.add(std::string(accepted ? "pending" : "filtered")),
        p.add(std::int64_t{0}), p.add(now), p.add(std::string(event.event_type())),
        p.add(text_or_null(keys.finding_key)), p.add(text_or_null(keys.group_key)),
        p.add(std::int64_t{keys.severity}), p.add(std::int64_t{0}), p.add(now), p.add(now),
        p.add(accepted ? db::Value(std::monostate{})
                       : db::Value(std::string("the hook's filters do not accept this event"))));
    exec(sql, p);
  }
  return fresh;
}

// ---- findings -------------------------------------------------------------------------------

void Outbox::touch_finding(const Event& event, const std::string& run_id, const std::string& run_at,
                           const std::string& now) {
  const auto* drift = event.get_if<DataDriftDetected>();
  if (!drift) return;
  const db::Dialect& d = connection_.dialect();
  const DeliveryKeys keys = delivery_keys(event);
  db::ParamList p(d);
  auto r = run(fmt::format("SELECT {}, {} FROM {} WHERE {} = {}", id("status"), id("last_run_at"),
                           t(tables_.findings), id("finding_key"), p.add(keys.finding_key)),
               p);
  if (r.rows.empty()) {
    db::ParamList q(d);
    std::string sql = fmt::format(
        "INSERT INTO {} ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) VALUES ({}, {}, {}, "
        "{}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
        t(tables_.findings), id("finding_key"), id("schema_name"), id("table_name"),
        id("column_name"), id("metric_name"), id("direction"), id("status"), id("severity"),
        id("opened_at"), id("last_event_id"), id("last_run_id"), id("last_run_at"),
        id("updated_at"), q.add(keys.finding_key),
        q.add(text_or_null(detail_text(drift->details, "schema"))), q.add(drift->table),
        q.add(text_or_null(drift->column)), q.add(text_or_null(drift->metric)),
        q.add(drift_direction(*drift)), q.add(std::string("open")),
        q.add(std::int64_t{keys.severity}), q.add(now), q.add(event.event_id()), q.add(run_id),
        q.add(run_at), q.add(now));
    exec(sql, q);
    return;
  }
  // A comparison of older runs than the ones that last saw (or cleared) the finding changes
  // nothing.
  if (run_at < time_text(r.rows[0][1])) return;
  const bool reopen = text(r.rows[0][0]) != "open";
  db::ParamList q(d);
  // The metric and direction that carry the finding on this run (a shape finding moves from the
  // mean to the distribution as it grows).
  std::string sets = fmt::format(
      "{} = {}, {} = {}, {} = {}, {} = {}, {} = {}, {} = {}, {} = {}, {} = {}", id("metric_name"),
      q.add(text_or_null(drift->metric)), id("direction"), q.add(drift_direction(*drift)),
      id("status"), q.add(std::string("open")), id("severity"), q.add(std::int64_t{keys.severity}),
      id("last_event_id"), q.add(event.event_id()), id("last_run_id"), q.add(run_id),
      id("last_run_at"), q.add(run_at), id("updated_at"), q.add(now));
  if (reopen) {
    sets +=
        fmt::format(", {} = {}, {} = NULL", id("opened_at"), q.add(now), id("resolved_event_id"));
  }
  exec(fmt::format("UPDATE {} SET {} WHERE {} = {}", t(tables_.findings), sets, id("finding_key"),
                   q.add(keys.finding_key)),
       q);
}

std::vector<Outbox::OpenFinding> Outbox::stale_findings(const std::string& schema,
                                                        const std::string& table,
                                                        const std::string& run_id,
                                                        const std::string& run_at) {
  db::ParamList p(connection_.dialect());
  std::string schema_cond = schema.empty()
                                ? id("schema_name") + " IS NULL"
                                : fmt::format("{} = {}", id("schema_name"), p.add(schema));
  auto r = run(fmt::format("SELECT {}, {}, {}, {}, {}, {}, {}, {}, {}, {} FROM {} WHERE {} = {} "
                           "AND {} AND {} = {} AND {} <> {} AND {} <= {} ORDER BY {}",
                           id("finding_key"), id("schema_name"), id("table_name"),
                           id("column_name"), id("metric_name"), id("direction"), id("severity"),
                           id("opened_at"), id("last_event_id"), id("last_run_id"),
                           t(tables_.findings), id("table_name"), p.add(table), schema_cond,
                           id("status"), p.add(std::string("open")), id("last_run_id"),
                           p.add(run_id), id("last_run_at"), p.add(run_at), id("finding_key")),
               p);
  std::vector<OpenFinding> out;
  for (const auto& row : r.rows) {
    out.push_back({text(row[0]), text(row[1]), text(row[2]), text(row[3]), text(row[4]),
                   text(row[5]), integer(row[6]), time_text(row[7]), text(row[8]), text(row[9])});
  }
  return out;
}

std::int64_t Outbox::open_findings(const std::string& schema, const std::string& table) {
  db::ParamList p(connection_.dialect());
  std::string schema_cond = schema.empty()
                                ? id("schema_name") + " IS NULL"
                                : fmt::format("{} = {}", id("schema_name"), p.add(schema));
  auto r = run(fmt::format("SELECT COUNT(*) FROM {} WHERE {} = {} AND {} AND {} = {}",
                           t(tables_.findings), id("table_name"), p.add(table), schema_cond,
                           id("status"), p.add(std::string("open"))),
               p);
  return r.rows.empty() ? 0 : integer(r.rows[0][0]);
}

void Outbox::resolve_finding(const std::string& finding_key, const std::string& resolution_event_id,
                             const std::string& run_id, const std::string& run_at,
                             const std::string& now) {
  db::ParamList p(connection_.dialect());
  exec(fmt::format("UPDATE {} SET {} = {}, {} = {}, {} = {}, {} = {}, {} = {} WHERE {} = {}",
                   t(tables_.findings), id("status"), p.add(std::string("resolved")),
                   id("resolved_event_id"), p.add(resolution_event_id), id("last_run_id"),
                   p.add(run_id), id("last_run_at"), p.add(run_at), id("updated_at"), p.add(now),
                   id("finding_key"), p.add(finding_key)),
       p);
}

std::optional<std::string> Outbox::finding_opened_at(const std::string& finding_key) {
  db::ParamList p(connection_.dialect());
  auto r = run(fmt::format("SELECT {} FROM {} WHERE {} = {}", id("opened_at"), t(tables_.findings),
                           id("finding_key"), p.add(finding_key)),
               p);
  if (r.rows.empty()) return std::nullopt;
  return time_text(r.rows[0][0]);
}

// ---- claims ---------------------------------------------------------------------------------

std::vector<std::string> Outbox::select_claimable(const std::string& sql, db::ParamList& params) {
  auto r = run(sql, params);
  std::vector<std::string> ids;
  for (const auto& row : r.rows) ids.push_back(text(row[0]));
  return ids;
}

std::vector<ClaimedDelivery> Outbox::claim(const std::string& hook, const std::string& owner,
                                           const std::string& now, const std::string& lease_until,
                                           int limit, bool whole_groups) {
  const db::Dialect& d = connection_.dialect();
  auto attempt = [&](bool skip_locked) {
    const std::string lock = skip_locked ? d.skip_locked_clause() : std::string();
    db::Transaction tx(connection_);
    db::ParamList p(d);
    const std::string unleased =
        fmt::format("({} IS NULL OR {} < {})", id("lease_until"), id("lease_until"), p.add(now));
    std::string sql = fmt::format(
        "SELECT {}, {} FROM {} WHERE {} = {} AND {} = {} AND {} <= {} AND {} ORDER BY {}, {}",
        id("event_id"), id("group_key"), t(tables_.deliveries), id("hook_name"), p.add(hook),
        id("status"), p.add(std::string("pending")), id("next_attempt_at"), p.add(now), unleased,
        id("created_at"), id("event_id"));
    sql += d.limit_rows(limit, p) + lock;
    auto r = run(sql, p);
    std::vector<std::string> ids;
    if (!r.rows.empty()) {
      const std::string group = whole_groups ? text(r.rows[0][1]) : std::string();
      if (!group.empty()) {
        // A drift run's findings go out together: claim the whole group.
        db::ParamList g(d);
        ids = select_claimable(
            fmt::format("SELECT {} FROM {} WHERE {} = {} AND {} = {} AND {} = {} AND ({} IS NULL "
                        "OR {} < {}) ORDER BY {}{}",
                        id("event_id"), t(tables_.deliveries), id("hook_name"), g.add(hook),
                        id("status"), g.add(std::string("pending")), id("group_key"), g.add(group),
                        id("lease_until"), id("lease_until"), g.add(now), id("event_id"), lock),
            g);
      } else {
        for (const auto& row : r.rows) {
          if (whole_groups && !text(row[1]).empty()) continue;
          ids.push_back(text(row[0]));
        }
      }
    }
    if (!ids.empty()) {
      db::ParamList u(d);
      std::string upd = fmt::format(
          "UPDATE {} SET {} = {}, {} = {} WHERE {} = {} AND {} = {} AND ({} IS NULL OR {} < {}) "
          "AND {} IN ",
          t(tables_.deliveries), id("lease_owner"), u.add(owner), id("lease_until"),
          u.add(lease_until), id("hook_name"), u.add(hook), id("status"),
          u.add(std::string("pending")), id("lease_until"), id("lease_until"), u.add(now),
          id("event_id"));
      upd += in_list(u, ids);
      exec(upd, u);
    }
    tx.commit();
    return !ids.empty();
  };
  bool any = false;
  try {
    any = attempt(skip_locked_ok_ && !d.skip_locked_clause().empty());
  } catch (const QueryError& e) {
    // MariaDB before 10.6 does not know SKIP LOCKED (a syntax error): claim without it.
    if (!skip_locked_ok_ || d.skip_locked_clause().empty() ||
        (e.sqlstate() != "42000" && e.sqlstate() != "42601" && e.code() != 1064)) {
      throw;
    }
    skip_locked_ok_ = false;
    any = attempt(false);
  }
  if (!any) return {};
  db::ParamList p(d);
  auto r = run(
      fmt::format("SELECT {}, {}, {}, {}, {}, {}, {}, {}, {} FROM {} WHERE {} = {} AND {} = {} AND "
                  "{} = {}",
                  id("event_id"), id("attempts"), id("created_at"), id("event_type"),
                  id("finding_key"), id("group_key"), id("severity"), id("forced"), id("event_id"),
                  t(tables_.deliveries), id("hook_name"), p.add(hook), id("lease_owner"),
                  p.add(owner), id("status"), p.add(std::string("pending"))),
      p);
  std::vector<ClaimedDelivery> out;
  std::vector<std::string> ids;
  for (const auto& row : r.rows) {
    ClaimedDelivery c;
    c.event_id = text(row[0]);
    c.attempts = integer(row[1]);
    c.created_at = time_text(row[2]);
    c.event_type = text(row[3]);
    c.finding_key = text(row[4]);
    c.group_key = text(row[5]);
    c.severity = integer(row[6]);
    c.forced = integer(row[7]) != 0;
    ids.push_back(c.event_id);
    out.push_back(std::move(c));
  }
  if (ids.empty()) return out;
  db::ParamList q(d);
  std::string sql = fmt::format("SELECT {}, {} FROM {} WHERE {} IN ", id("event_id"), id("payload"),
                                t(tables_.outbox), id("event_id"));
  sql += in_list(q, ids);
  auto payloads = run(sql, q);
  for (const auto& row : payloads.rows) {
    const std::string event_id = text(row[0]);
    for (auto& c : out) {
      if (c.event_id == event_id) c.payload = text(row[1]);
    }
  }
  std::sort(out.begin(), out.end(), [](const ClaimedDelivery& a, const ClaimedDelivery& b) {
    return std::tie(a.created_at, a.event_id) < std::tie(b.created_at, b.event_id);
  });
  return out;
}

void Outbox::reclaim_dead_leases(const std::string& hook, const std::string& now) {
  db::ParamList p(connection_.dialect());
  auto r =
      run(fmt::format("SELECT DISTINCT {} FROM {} WHERE {} = {} AND {} = {} AND {} >= {}",
                      id("lease_owner"), t(tables_.deliveries), id("hook_name"), p.add(hook),
                      id("status"), p.add(std::string("pending")), id("lease_until"), p.add(now)),
          p);
  static const std::string self = host_name();
  for (const auto& row : r.rows) {
    const std::string owner = text(row[0]);
    auto parts = split(owner, '/');
    if (parts.size() != 3 || parts[0] != self) continue;
    auto pid = parse_int(parts[1]);
    if (!pid || *pid <= 0 || *pid > INT_MAX || *pid == getpid()) continue;
    if (::kill(static_cast<pid_t>(*pid), 0) == 0 || errno != ESRCH) continue;
    db::ParamList u(connection_.dialect());
    exec(fmt::format("UPDATE {} SET {} = NULL, {} = NULL WHERE {} = {} AND {} = {}",
                     t(tables_.deliveries), id("lease_owner"), id("lease_until"), id("hook_name"),
                     u.add(hook), id("lease_owner"), u.add(owner)),
         u);
  }
}

void Outbox::release(const std::string& hook, const std::string& owner,
                     const std::vector<std::string>& event_ids) {
  db::ParamList p(connection_.dialect());
  std::string sql = fmt::format("UPDATE {} SET {} = NULL, {} = NULL WHERE {} = {} AND {} = {}",
                                t(tables_.deliveries), id("lease_owner"), id("lease_until"),
                                id("hook_name"), p.add(hook), id("lease_owner"), p.add(owner));
  if (!event_ids.empty()) sql += " AND " + id("event_id") + " IN " + in_list(p, event_ids);
  exec(sql, p);
}

void Outbox::settle(const std::string& hook, const std::string& owner,
                    const std::vector<std::string>& event_ids, std::string_view status,
                    int attempts, const std::string& next_attempt_at, const std::string& error,
                    const std::string& now) {
  if (event_ids.empty()) return;
  db::ParamList p(connection_.dialect());
  std::string sets = fmt::format(
      "{} = {}, {} = {}, {} = {}, {} = {}, {} = {}, {} = NULL, {} = NULL", id("status"),
      p.add(std::string(status)), id("attempts"), p.add(std::int64_t{attempts}),
      id("next_attempt_at"), p.add(next_attempt_at), id("last_error"), p.add(text_or_null(error)),
      id("updated_at"), p.add(now), id("lease_owner"), id("lease_until"));
  if (status == "delivered") {
    sets += fmt::format(", {} = {}, {} = {}", id("delivered_at"), p.add(now), id("forced"),
                        p.add(std::int64_t{0}));
  }
  std::string sql = fmt::format("UPDATE {} SET {} WHERE {} = {} AND {} = {} AND {} IN ",
                                t(tables_.deliveries), sets, id("hook_name"), p.add(hook),
                                id("lease_owner"), p.add(owner), id("event_id"));
  sql += in_list(p, event_ids);
  exec(sql, p);
}

void Outbox::postpone(const std::string& hook, const std::string& owner,
                      const std::vector<std::string>& event_ids,
                      const std::string& next_attempt_at) {
  if (event_ids.empty()) return;
  db::ParamList p(connection_.dialect());
  std::string sql = fmt::format(
      "UPDATE {} SET {} = {}, {} = NULL, {} = NULL WHERE {} = {} AND {} = {} AND {} IN ",
      t(tables_.deliveries), id("next_attempt_at"), p.add(next_attempt_at), id("lease_owner"),
      id("lease_until"), id("hook_name"), p.add(hook), id("lease_owner"), p.add(owner),
      id("event_id"));
  sql += in_list(p, event_ids);
  exec(sql, p);
}

std::optional<std::string> Outbox::next_due(const std::string& hook, const std::string& now) {
  db::ParamList p(connection_.dialect());
  auto r = run(fmt::format("SELECT MIN({}) FROM {} WHERE {} = {} AND {} = {} AND ({} IS NULL OR "
                           "{} < {})",
                           id("next_attempt_at"), t(tables_.deliveries), id("hook_name"),
                           p.add(hook), id("status"), p.add(std::string("pending")),
                           id("lease_until"), id("lease_until"), p.add(now)),
               p);
  if (r.rows.empty() || db::is_null(r.rows[0][0])) return std::nullopt;
  return time_text(r.rows[0][0]);
}

std::pair<std::uint64_t, std::string> Outbox::pending_summary(const std::string& hook) {
  db::ParamList p(connection_.dialect());
  auto r = run(fmt::format("SELECT COUNT(*), MIN({}) FROM {} WHERE {} = {} AND {} = {}",
                           id("next_attempt_at"), t(tables_.deliveries), id("hook_name"),
                           p.add(hook), id("status"), p.add(std::string("pending"))),
               p);
  if (r.rows.empty()) return {0, {}};
  const auto n = static_cast<std::uint64_t>(db::as_int(r.rows[0][0]).value_or(0));
  return {n, db::is_null(r.rows[0][1]) ? std::string() : time_text(r.rows[0][1])};
}

std::optional<int> Outbox::delivered_severity(const std::string& hook,
                                              const std::string& finding_key,
                                              const std::string& since,
                                              const std::string& delivered_since,
                                              const std::string& event_id) {
  db::ParamList p(connection_.dialect());
  auto r =
      run(fmt::format("SELECT MAX({}) FROM {} WHERE {} = {} AND {} = {} AND {} = {} AND {} = "
                      "{} AND {} >= {} AND {} >= {} AND {} <> {}",
                      id("severity"), t(tables_.deliveries), id("hook_name"), p.add(hook),
                      id("finding_key"), p.add(finding_key), id("event_type"),
                      p.add(std::string("DataDriftDetected")), id("status"),
                      p.add(std::string("delivered")), id("created_at"), p.add(since),
                      id("delivered_at"), p.add(delivered_since), id("event_id"), p.add(event_id)),
          p);
  if (r.rows.empty() || db::is_null(r.rows[0][0])) return std::nullopt;
  return integer(r.rows[0][0]);
}

std::optional<std::string> Outbox::pending_trigger(const std::string& hook,
                                                   const std::string& finding_key,
                                                   const std::string& created_before) {
  db::ParamList p(connection_.dialect());
  auto r = run(fmt::format("SELECT MIN({}) FROM {} WHERE {} = {} AND {} = {} AND {} = {} AND {} = "
                           "{} AND {} < {}",
                           id("next_attempt_at"), t(tables_.deliveries), id("hook_name"),
                           p.add(hook), id("finding_key"), p.add(finding_key), id("event_type"),
                           p.add(std::string("DataDriftDetected")), id("status"),
                           p.add(std::string("pending")), id("created_at"), p.add(created_before)),
               p);
  if (r.rows.empty() || db::is_null(r.rows[0][0])) return std::nullopt;
  return time_text(r.rows[0][0]);
}

// ---- reading and replay ---------------------------------------------------------------------

namespace {

const char* kRowColumns[] = {"event_id",        "hook_name",  "status",     "attempts",
                             "next_attempt_at", "last_error", "created_at", "delivered_at"};

}  // namespace

std::vector<DeliveryRecord> Outbox::deliveries(const std::vector<std::string>& event_ids) {
  if (event_ids.empty()) return {};
  std::vector<DeliveryRecord> out;
  // Bounded IN lists: engines limit the number of parameters of one statement.
  for (std::size_t start = 0; start < event_ids.size(); start += 500) {
    std::vector<std::string> chunk(
        event_ids.begin() + static_cast<std::ptrdiff_t>(start),
        event_ids.begin() + static_cast<std::ptrdiff_t>(std::min(event_ids.size(), start + 500)));
    db::ParamList p(connection_.dialect());
    std::string cols;
    for (const char* c : kRowColumns) cols += (cols.empty() ? "" : ", ") + id(c);
    std::string sql =
        fmt::format("SELECT {} FROM {} WHERE {} IN ", cols, t(tables_.deliveries), id("event_id"));
    sql += in_list(p, chunk) + " ORDER BY " + id("event_id") + ", " + id("hook_name");
    for (const auto& row : run(sql, p).rows) {
      out.push_back({text(row[0]), text(row[1]), text(row[2]), integer(row[3]), time_text(row[4]),
                     text(row[5]), time_text(row[6]),
                     db::is_null(row[7]) ? std::string() : time_text(row[7])});
    }
  }
  return out;
}

std::vector<DeliveryRecord> Outbox::deliveries_of_hook(const std::string& hook,
                                                       const std::string& status) {
  db::ParamList p(connection_.dialect());
  std::string cols;
  for (const char* c : kRowColumns) cols += (cols.empty() ? "" : ", ") + id(c);
  auto r = run(fmt::format("SELECT {} FROM {} WHERE {} = {} AND {} = {} ORDER BY {}, {}", cols,
                           t(tables_.deliveries), id("hook_name"), p.add(hook), id("status"),
                           p.add(status), id("created_at"), id("event_id")),
               p);
  std::vector<DeliveryRecord> out;
  for (const auto& row : r.rows) {
    out.push_back({text(row[0]), text(row[1]), text(row[2]), integer(row[3]), time_text(row[4]),
                   text(row[5]), time_text(row[6]),
                   db::is_null(row[7]) ? std::string() : time_text(row[7])});
  }
  return out;
}

std::vector<std::pair<std::string, int>> Outbox::replay(const ReplaySelector& selector,
                                                        const std::vector<Route>& routes,
                                                        const std::string& now) {
  const db::Dialect& d = connection_.dialect();
  db::ParamList p(d);
  std::vector<std::string> conds;
  if (!selector.event_id.empty()) {
    conds.push_back(id("event_id") + " = " + p.add(selector.event_id));
  }
  if (!selector.since.empty()) conds.push_back(id("created_at") + " >= " + p.add(selector.since));
  if (!selector.event_type.empty()) {
    conds.push_back(id("event_type") + " = " + p.add(selector.event_type));
  }
  std::string sql = fmt::format("SELECT {} FROM {}", id("payload"), t(tables_.outbox));
  if (!conds.empty()) sql += " WHERE " + join(conds, " AND ");
  sql += " ORDER BY " + id("created_at") + ", " + id("event_id");
  auto r = run(sql, p);
  std::vector<std::pair<std::string, int>> counts;
  for (const Route& route : routes) counts.emplace_back(route.hook, 0);
  for (const auto& row : r.rows) {
    const Event event = Event::from_json(text(row[0]));
    const DeliveryKeys keys = delivery_keys(event);
    for (std::size_t i = 0; i < routes.size(); ++i) {
      const Route& route = routes[i];
      if (route.accepts && !route.accepts(event)) continue;
      db::ParamList q(d);
      auto have = run(fmt::format("SELECT {} FROM {} WHERE {} = {} AND {} = {}", id("status"),
                                  t(tables_.deliveries), id("event_id"), q.add(event.event_id()),
                                  id("hook_name"), q.add(route.hook)),
                      q);
      db::ParamList u(d);
      if (have.rows.empty()) {
        exec(fmt::format("INSERT INTO {} ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) VALUES "
                         "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                         t(tables_.deliveries), id("event_id"), id("hook_name"), id("status"),
                         id("attempts"), id("next_attempt_at"), id("event_type"), id("finding_key"),
                         id("group_key"), id("severity"), id("forced"), id("created_at"),
                         id("updated_at"), u.add(event.event_id()), u.add(route.hook),
                         u.add(std::string("pending")), u.add(std::int64_t{0}), u.add(now),
                         u.add(std::string(event.event_type())),
                         u.add(text_or_null(keys.finding_key)), u.add(text_or_null(keys.group_key)),
                         u.add(std::int64_t{keys.severity}), u.add(std::int64_t{1}), u.add(now),
                         u.add(now)),
             u);
      } else {
        exec(fmt::format("UPDATE {} SET {} = {}, {} = {}, {} = {}, {} = {}, {} = NULL, {} = NULL, "
                         "{} = NULL, {} = {} WHERE {} = {} AND {} = {}",
                         t(tables_.deliveries), id("status"), u.add(std::string("pending")),
                         id("attempts"), u.add(std::int64_t{0}), id("next_attempt_at"), u.add(now),
                         id("forced"), u.add(std::int64_t{1}), id("lease_owner"), id("lease_until"),
                         id("last_error"), id("updated_at"), u.add(now), id("event_id"),
                         u.add(event.event_id()), id("hook_name"), u.add(route.hook)),
             u);
      }
      ++counts[i].second;
    }
  }
  return counts;
}

std::optional<std::string> Outbox::payload(const std::string& event_id) {
  db::ParamList p(connection_.dialect());
  auto r = run(fmt::format("SELECT {} FROM {} WHERE {} = {}", id("payload"), t(tables_.outbox),
                           id("event_id"), p.add(event_id)),
               p);
  if (r.rows.empty()) return std::nullopt;
  return text(r.rows[0][0]);
}

}  // namespace baselinr::storage
