// The dispatcher: one worker thread per hook claims the hook's due delivery records from the
// outbox, decides what each needs (expired, suppressed, a resolution with nothing to resolve, or
// an attempt), sends, and settles the records: delivered, retried later, or failed for good.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "baselinr/delivery.hpp"
#include "baselinr/error.hpp"
#include "baselinr/storage.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "db/connection.hpp"
#include "events/hooks/destination.hpp"
#include "events/identity.hpp"
#include "storage/outbox.hpp"

namespace baselinr {
namespace {

using SteadyClock = std::chrono::steady_clock;
using SystemClock = std::chrono::system_clock;

std::string storage_now() { return format_storage_time(SystemClock::now()); }

std::string storage_in(double seconds) {
  return format_storage_time(SystemClock::now() + std::chrono::duration_cast<SystemClock::duration>(
                                                      std::chrono::duration<double>(seconds)));
}

// The steady-clock moment of a stored (UTC) time.
SteadyClock::time_point steady_at(const std::string& storage_time) {
  auto tp = parse_time(storage_time);
  if (!tp) return SteadyClock::now();
  return SteadyClock::now() +
         std::chrono::duration_cast<SteadyClock::duration>(*tp - SystemClock::now());
}

double seconds_since(const std::string& storage_time) {
  auto tp = parse_time(storage_time);
  if (!tp) return 0;
  return std::chrono::duration<double>(SystemClock::now() - *tp).count();
}

// An error as stored and logged: one line of at most 500 bytes.
std::string brief(std::string_view text) {
  std::string line = one_line(text);
  if (line.size() > 500) line = utf8_prefix(line, 500) + "...";
  return line;
}

// Exponential backoff with full jitter: random(0, min(cap, base * 2^(attempt-1))).
double backoff_seconds(const DeliveryConfig& d, int attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const double ceiling = std::min(d.backoff_max_seconds,
                                  d.backoff_base_seconds * std::pow(2.0, std::max(0, attempt - 1)));
  return std::uniform_real_distribution<double>(0.0, ceiling)(rng);
}

struct Shared {
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  bool draining = false;
  std::uint64_t generation = 0;  // bumped by notify()
  std::atomic<SteadyClock::rep> cutoff{SteadyClock::time_point::max().time_since_epoch().count()};

  SteadyClock::time_point cutoff_at() const {
    return SteadyClock::time_point(SteadyClock::duration(cutoff.load()));
  }
};

struct Worker {
  std::string hook;
  std::unique_ptr<hooks::Destination> destination;
  std::unique_ptr<db::Connection> connection;
  std::unique_ptr<storage::Outbox> outbox;
  DeliveryConfig delivery;
  int max_attempts = 10;
  double max_age = 86400;
  double suppress_for = 86400;
  double timeout = 10;
  std::string owner = storage::new_lease_owner();
  Shared* shared = nullptr;
  HookDeliveryReport report;
  int consecutive_failures = 0;
  std::thread thread;

  struct Record {
    storage::ClaimedDelivery row;
    std::optional<Event> event;
  };

  bool out_of_time() const {
    return shared->stopping || (shared->draining && SteadyClock::now() >= shared->cutoff_at());
  }

  void run() {
    try {
      outbox->reclaim_dead_leases(hook, storage_now());
      std::uint64_t seen = 0;
      while (!out_of_time() && !report.paused) {
        {
          std::lock_guard lock(shared->mutex);
          seen = shared->generation;
        }
        const std::string now = storage_now();
        // Enough time to work through a claimed batch before the lease runs out.
        const int limit =
            static_cast<int>(std::clamp(delivery.lease_seconds / (timeout + 1.0), 1.0, 20.0));
        auto batch = outbox->claim(hook, owner, now, storage_in(delivery.lease_seconds), limit,
                                   destination->groups_findings());
        if (!batch.empty()) {
          process(std::move(batch));
          continue;
        }
        auto next = outbox->next_due(hook, now);
        auto until = SteadyClock::now() + std::chrono::seconds(5);
        if (next) until = std::min(until, steady_at(*next));
        std::unique_lock lock(shared->mutex);
        if (shared->draining && (!next || steady_at(*next) > shared->cutoff_at())) break;
        if (shared->draining) until = std::min(until, shared->cutoff_at());
        shared->wake.wait_until(lock, until, [&] {
          return shared->stopping || shared->generation != seen ||
                 (shared->draining && SteadyClock::now() >= shared->cutoff_at());
        });
      }
    } catch (const std::exception& e) {
      report.last_error = brief(e.what());
      log().error("hook {}: delivery stopped: {}", hook, report.last_error);
    }
    try {
      outbox->release(hook, owner, {});
      auto [pending, next] = outbox->pending_summary(hook);
      report.pending = pending;
      report.next_attempt_at = next;
    } catch (const std::exception& e) {
      log().error("hook {}: {}", hook, brief(e.what()));
    }
  }

  void process(std::vector<storage::ClaimedDelivery> batch) {
    std::vector<Record> records;
    for (auto& row : batch) {
      Record r{std::move(row), std::nullopt};
      try {
        r.event = Event::from_json(r.row.payload);
      } catch (const std::exception& e) {
        settle({&r}, "failed", r.row.attempts,
               fmt::format("stored event unreadable: {}", e.what()));
        ++report.failed;
        continue;
      }
      records.push_back(std::move(r));
    }
    std::vector<Record*> send;
    for (auto& r : records) {
      if (decide(r)) send.push_back(&r);
    }
    if (send.empty()) return;
    // Claims hand a summarising destination one drift run of a table (one group key) at a
    // time: its findings go out in one message.
    const std::string& group = send.front()->row.group_key;
    if (destination->groups_findings() && !group.empty() &&
        std::all_of(send.begin(), send.end(),
                    [&](const Record* r) { return r->row.group_key == group; })) {
      attempt(send);
      return;
    }
    for (std::size_t i = 0; i < send.size(); ++i) {
      if (out_of_time() || report.paused) {
        std::vector<std::string> rest;
        for (std::size_t k = i; k < send.size(); ++k) rest.push_back(send[k]->row.event_id);
        outbox->release(hook, owner, rest);
        return;
      }
      attempt({send[i]});
    }
  }

  // Settles what needs no attempt; true when the record is to be sent.
  bool decide(Record& r) {
    if (seconds_since(r.row.created_at) > max_age) {
      settle({&r}, "failed", r.row.attempts,
             fmt::format("not delivered within max_age ({}s); given up", format_double(max_age)));
      ++report.failed;
      return false;
    }
    if (r.row.forced || r.row.finding_key.empty()) return true;
    if (r.row.event_type == "DataDriftDetected" && suppress_for > 0) {
      const std::string since = outbox->finding_opened_at(r.row.finding_key).value_or("");
      auto sent = outbox->delivered_severity(hook, r.row.finding_key, since,
                                             storage_in(-suppress_for), r.row.event_id);
      if (sent && *sent >= r.row.severity) {
        settle({&r}, "suppressed", r.row.attempts,
               fmt::format("the same finding was sent to this hook within suppress_for at "
                           "severity {}",
                           to_string(static_cast<Severity>(std::clamp(*sent, 0, 3)))));
        ++report.suppressed;
        return false;
      }
    }
    if (r.row.event_type == "DataDriftResolved") {
      if (auto waiting = outbox->pending_trigger(hook, r.row.finding_key, r.row.created_at)) {
        // The finding's own alert is still on its way: the resolution follows it.
        std::string after = std::max(*waiting, storage_in(1));
        outbox->postpone(hook, owner, {r.row.event_id}, after);
        return false;
      }
      const auto* resolved = r.event->get_if<DataDriftResolved>();
      const std::string since = resolved ? detail_text(resolved->details, "first_detected_at") : "";
      auto sent = outbox->delivered_severity(hook, r.row.finding_key, normalize_storage_time(since),
                                             "0001-01-01 00:00:00.000000", r.row.event_id);
      if (!sent) {
        settle({&r}, "filtered", r.row.attempts,
               "not sent: this hook was not told about the finding it resolves");
        ++report.skipped;
        return false;
      }
    }
    return true;
  }

  void settle(const std::vector<Record*>& records, std::string_view status, int attempts,
              const std::string& error, const std::string& next = {}) {
    std::vector<std::string> ids;
    for (const Record* r : records) ids.push_back(r->row.event_id);
    const std::string now = storage_now();
    outbox->settle(hook, owner, ids, status, attempts, next.empty() ? now : next, error, now);
  }

  void attempt(const std::vector<Record*>& records) {
    std::vector<Event> events;
    int attempts = 0;
    for (const Record* r : records) {
      events.push_back(*r->event);
      attempts = std::max(attempts, r->row.attempts);
    }
    ++attempts;
    const auto n = static_cast<std::uint64_t>(records.size());
    std::string error;
    bool permanent = false;
    std::optional<double> retry_after;
    try {
      destination->deliver(events, hooks::Deadline(timeout, &shared->cutoff));
      settle(records, "delivered", attempts, "");
      report.delivered += n;
      consecutive_failures = 0;
      return;
    } catch (const DeliveryError& e) {
      error = brief(e.what());
      permanent = e.permanent();
      retry_after = e.retry_after_seconds();
    } catch (const std::exception& e) {
      error = brief(e.what());
    } catch (...) {
      error = "unknown exception";
    }
    report.last_error = error;
    ++consecutive_failures;
    const std::string what =
        records.size() == 1 ? fmt::format("{} {}", events[0].event_type(), events[0].event_id())
                            : fmt::format("{} events of {}", records.size(), events[0].table());
    if (permanent) {
      settle(records, "failed", attempts, error);
      report.failed += n;
      log().error("hook {}: {} failed for good: {}", hook, what, error);
    } else if (attempts >= max_attempts) {
      settle(records, "failed", attempts,
             fmt::format("gave up after {} attempts: {}", attempts, error));
      report.failed += n;
      log().error("hook {}: {} failed for good after {} attempts: {}", hook, what, attempts, error);
    } else {
      double wait = retry_after ? std::min(*retry_after, delivery.retry_after_max_seconds)
                                : backoff_seconds(delivery, attempts);
      settle(records, "pending", attempts, error, storage_in(wait));
      report.retried += n;
      log().warn("hook {}: {} not delivered (attempt {}), retry in {:.1f}s: {}", hook, what,
                 attempts, wait, error);
    }
    if (consecutive_failures >= delivery.breaker_threshold && !report.paused) {
      report.paused = true;
      log().warn(
          "hook {}: {} failures in a row; paused for the rest of this run (what is left "
          "stays pending for `baselinr hooks deliver`)",
          hook, consecutive_failures);
    }
  }
};

}  // namespace

bool DeliveryReport::clean() const {
  return std::all_of(hooks.begin(), hooks.end(), [](const HookDeliveryReport& h) {
    return h.failed == 0 && h.retried == 0 && !h.paused && h.last_error.empty();
  });
}

struct Dispatcher::Impl {
  Shared shared;
  std::vector<std::unique_ptr<Worker>> workers;
  bool started = false;
  bool finished = false;

  void stop() {
    {
      std::lock_guard lock(shared.mutex);
      shared.stopping = true;
      shared.cutoff = SteadyClock::now().time_since_epoch().count();
    }
    shared.wake.notify_all();
    for (auto& w : workers) {
      if (w->thread.joinable()) w->thread.join();
    }
  }
};

Dispatcher::Dispatcher(const Config& config) : impl_(std::make_unique<Impl>()) {
  // The store's tables exist (created or migrated) before any worker claims.
  RunStore store(config.storage, config.environment);
  if (!store.has_outbox()) {
    throw StorageError(fmt::format(
        "storage {} has no outbox tables (schema older than version 3 and create_tables: "
        "false); run once with create_tables: true to migrate it",
        config.storage.connection.describe()));
  }
  if (!config.hooks.enabled) return;
  const auto tables = storage::delivery_tables(config.storage.events_table);
  for (std::size_t i = 0; i < config.hooks.hooks.size(); ++i) {
    const HookConfig& h = config.hooks.hooks[i];
    if (!h.enabled) continue;
    auto w = std::make_unique<Worker>();
    w->hook = h.label(i);
    w->destination = hooks::make_destination(h, i, {config.environment});
    try {
      w->connection = db::connect(config.storage.connection, {.read_only = false});
    } catch (const DatabaseError& e) {
      throw StorageError(fmt::format("storage: connecting to {} for delivery failed: {}",
                                     config.storage.connection.describe(), e.what()));
    }
    w->outbox =
        std::make_unique<storage::Outbox>(*w->connection, tables, config.storage.events_table);
    w->delivery = config.hooks.delivery;
    w->max_attempts = h.max_attempts.value_or(config.hooks.delivery.max_attempts);
    w->max_age = h.max_age_seconds.value_or(config.hooks.delivery.max_age_seconds);
    w->suppress_for = h.suppress_for_seconds;
    w->timeout = w->destination->timeout_seconds() > 0 ? w->destination->timeout_seconds()
                                                       : h.timeout_seconds;
    w->shared = &impl_->shared;
    w->report.hook = w->hook;
    impl_->workers.push_back(std::move(w));
  }
}

Dispatcher::~Dispatcher() { impl_->stop(); }

void Dispatcher::start() {
  if (impl_->started) return;
  impl_->started = true;
  for (auto& w : impl_->workers) {
    Worker* worker = w.get();
    worker->thread = std::thread([worker] { worker->run(); });
  }
}

void Dispatcher::notify() {
  {
    std::lock_guard lock(impl_->shared.mutex);
    ++impl_->shared.generation;
  }
  impl_->shared.wake.notify_all();
}

DeliveryReport Dispatcher::finish(std::chrono::milliseconds budget) {
  start();
  {
    std::lock_guard lock(impl_->shared.mutex);
    impl_->shared.draining = true;
    ++impl_->shared.generation;  // waiting workers look again, now with the cutoff in mind
    impl_->shared.cutoff = (SteadyClock::now() + budget).time_since_epoch().count();
  }
  impl_->shared.wake.notify_all();
  for (auto& w : impl_->workers) {
    if (w->thread.joinable()) w->thread.join();
  }
  DeliveryReport report;
  for (auto& w : impl_->workers) report.hooks.push_back(w->report);
  return report;
}

DeliveryReport deliver_pending(const Config& config, std::chrono::milliseconds budget) {
  Dispatcher dispatcher(config);
  dispatcher.start();
  return dispatcher.finish(budget);
}

std::chrono::milliseconds delivery_budget(const Config& config) {
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(std::llround(config.hooks.delivery.budget_seconds * 1000)));
}

}  // namespace baselinr
