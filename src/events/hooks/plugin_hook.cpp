#include "events/hooks/plugin_hook.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include "baselinr/error.hpp"
#include "baselinr/plugin.h"

namespace baselinr::hooks {

namespace {

// A dlopen handle, closed when its owner goes: every error path after dlopen() closes it.
struct DlClose {
  void operator()(void* handle) const { dlclose(handle); }
};
using LibraryHandle = std::unique_ptr<void, DlClose>;

}  // namespace

// One dlopen handle per library path, shared by every hook made from it.
class PluginLibrary {
 public:
  PluginLibrary(LibraryHandle handle, const baselinr_plugin* table)
      : handle_(std::move(handle)), table_(table) {}
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;
  const baselinr_plugin& table() const { return *table_; }

 private:
  LibraryHandle handle_;
  const baselinr_plugin* table_;
};

namespace {

[[noreturn]] void fail(const SourceLocation& loc, const std::string& what) {
  throw ConfigError(loc, "", what);
}

// The host-side wrapper of a plugin-allocated message.
std::string take_message(const baselinr_plugin& t, char* message) {
  if (!message) return "no message";
  std::string text(message);
  if (t.free_message) t.free_message(message);
  return text;
}

std::shared_ptr<PluginLibrary> load(const std::string& module, const SourceLocation& loc) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<PluginLibrary>> cache;
  std::lock_guard lock(mutex);

  std::filesystem::path path(module);
  // dlopen searches the library path for a bare name; plugins load only from a path.
  if (!path.has_parent_path()) path = std::filesystem::path(".") / path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    fail(loc, fmt::format("custom hook: plugin file '{}' not found; module: must be the path of a "
                          "shared library built against baselinr/plugin.h",
                          path.string()));
  }
  const std::string key = std::filesystem::weakly_canonical(path, ec).string();
  if (auto it = cache.find(key); it != cache.end()) {
    if (auto lib = it->second.lock()) return lib;
  }
  LibraryHandle handle(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!handle) {
    const char* err = dlerror();
    fail(loc, fmt::format("custom hook: cannot load plugin '{}': {}", path.string(),
                          err ? err : "unknown error"));
  }
  dlerror();
  void* sym = dlsym(handle.get(), BASELINR_PLUGIN_ENTRY_SYMBOL);
  if (!sym) {
    fail(loc, fmt::format("custom hook: '{}' is not a baselinr plugin: it does not export {} "
                          "(use BASELINR_EXPORT_HOOK from baselinr/plugin.hpp)",
                          path.string(), BASELINR_PLUGIN_ENTRY_SYMBOL));
  }
  baselinr_plugin_entry_fn entry = nullptr;
  static_assert(sizeof(entry) == sizeof(sym));
  std::memcpy(&entry, &sym, sizeof(entry));  // POSIX: object pointer -> function pointer
  const baselinr_plugin* table = entry(BASELINR_PLUGIN_ABI_VERSION);
  if (!table || table->abi_version != BASELINR_PLUGIN_ABI_VERSION) {
    std::string theirs = table ? fmt::format("version {}", table->abi_version) : "another version";
    fail(loc, fmt::format("custom hook: plugin '{}' speaks plugin ABI {}, this baselinr speaks "
                          "version {}; rebuild the plugin against this baselinr's "
                          "include/baselinr/plugin.h",
                          path.string(), theirs, BASELINR_PLUGIN_ABI_VERSION));
  }
  if (table->struct_size < sizeof(baselinr_plugin) || !table->create || !table->handle_event ||
      !table->destroy) {
    fail(loc,
         fmt::format("custom hook: plugin '{}' has an incomplete function table", path.string()));
  }
  auto lib = std::make_shared<PluginLibrary>(std::move(handle), table);
  cache[key] = lib;
  return lib;
}

}  // namespace

PluginHook::PluginHook(const std::string& module, const std::string& class_name,
                       const std::string& params_json, const SourceLocation& location)
    : library_(load(module, location)), label_(module + ":" + class_name) {
  const baselinr_plugin& t = library_->table();
  char* message = nullptr;
  void* instance = nullptr;
  int rc = t.create(class_name.c_str(), params_json.c_str(), &instance, &message);
  if (rc != BASELINR_PLUGIN_OK || !instance) {
    std::string why = take_message(t, message);
    fail(location, fmt::format("custom hook: plugin '{}' could not create hook '{}': {}", module,
                               class_name, why));
  }
  if (message) take_message(t, message);
  instance_ = instance;
}

PluginHook::~PluginHook() {
  if (instance_) library_->table().destroy(instance_);
}

void PluginHook::handle_event(const Event& event) {
  const baselinr_plugin& t = library_->table();
  const std::string json = event.to_json();
  char* message = nullptr;
  int rc = t.handle_event(instance_, json.c_str(), json.size(), &message);
  if (rc != BASELINR_PLUGIN_OK) {
    throw HookError(fmt::format("plugin hook {} failed: {}", label_, take_message(t, message)));
  }
  if (message) take_message(t, message);
}

}  // namespace baselinr::hooks
