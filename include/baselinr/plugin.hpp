// Writing a hook plugin in C++: derive from baselinr::Hook, give the class a constructor that
// takes `const baselinr::plugin::Params&`, and export it with one macro:
//
//   #include <baselinr/plugin.hpp>
//   class SlackAlert : public baselinr::Hook {
//    public:
//     explicit SlackAlert(const baselinr::plugin::Params& p) : min_(p.get_string("min", "high")) {}
//     void handle_event(const baselinr::Event& e) override { ... }
//   };
//   BASELINR_EXPORT_HOOK(SlackAlert)
//
// Build it as a shared library linked to baselinr_plugin (the events and params support
// library), and configure `type: custom, module: /path/libmine.so, class_name: SlackAlert`.
// The macro registers the class; this header defines the C entry point of plugin.h, which
// rebuilds each Event from its JSON and catches every exception at the boundary, turning it
// into an error message for the host. Several classes may be exported from one library.
#pragma once

#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "baselinr/events.hpp"
#include "baselinr/hook.hpp"
#include "baselinr/plugin.h"
#include "baselinr/plugin_params.hpp"

namespace baselinr::plugin {

using Factory = std::function<std::unique_ptr<Hook>(const Params&)>;

// Hook classes exported by this library, by class name.
inline std::map<std::string, Factory>& registry() {
  static std::map<std::string, Factory> classes;
  return classes;
}

template <class T>
struct Registrar {
  explicit Registrar(const char* class_name) {
    registry()[class_name] = [](const Params& p) { return std::make_unique<T>(p); };
  }
};

namespace detail {

inline char* copy_message(std::string_view text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out) {
    std::memcpy(out, text.data(), text.size());
    out[text.size()] = '\0';
  }
  return out;
}

inline int fail(char** message, std::string_view text) {
  if (message) *message = copy_message(text);
  return BASELINR_PLUGIN_ERROR;
}

inline int create(const char* class_name, const char* params_json, void** instance,
                  char** message) {
  try {
    auto it = registry().find(class_name ? class_name : "");
    if (it == registry().end()) {
      std::string known;
      for (const auto& [name, factory] : registry()) known += (known.empty() ? "" : ", ") + name;
      return fail(message, "no hook class '" + std::string(class_name ? class_name : "") +
                               "' in this plugin (it exports: " + known + ")");
    }
    Params params(params_json ? params_json : "{}");
    *instance = it->second(params).release();
    return BASELINR_PLUGIN_OK;
  } catch (const std::exception& e) {
    return fail(message, e.what());
  } catch (...) {
    return fail(message, "unknown exception");
  }
}

inline int handle_event(void* instance, const char* event_json, std::size_t len, char** message) {
  try {
    Event event = Event::from_json(std::string_view(event_json, len));
    static_cast<Hook*>(instance)->handle_event(event);
    return BASELINR_PLUGIN_OK;
  } catch (const std::exception& e) {
    return fail(message, e.what());
  } catch (...) {
    return fail(message, "unknown exception");
  }
}

inline void destroy(void* instance) { delete static_cast<Hook*>(instance); }

inline void free_message(char* message) { std::free(message); }

}  // namespace detail
}  // namespace baselinr::plugin

// Defined (weakly, so several translation units may include this header) in every plugin.
extern "C" __attribute__((weak, visibility("default"))) const baselinr_plugin*
baselinr_plugin_entry(uint32_t host_abi_version) {
  static const baselinr_plugin table = {BASELINR_PLUGIN_ABI_VERSION,
                                        sizeof(baselinr_plugin),
                                        "c++ plugin",
                                        &baselinr::plugin::detail::create,
                                        &baselinr::plugin::detail::handle_event,
                                        &baselinr::plugin::detail::destroy,
                                        &baselinr::plugin::detail::free_message};
  return host_abi_version == BASELINR_PLUGIN_ABI_VERSION ? &table : nullptr;
}

#define BASELINR_PLUGIN_CONCAT2(a, b) a##b
#define BASELINR_PLUGIN_CONCAT(a, b) BASELINR_PLUGIN_CONCAT2(a, b)

// Registers `Class` (constructible from const baselinr::plugin::Params&) under its own name.
#define BASELINR_EXPORT_HOOK(Class)                                         \
  static const ::baselinr::plugin::Registrar<Class> BASELINR_PLUGIN_CONCAT( \
      baselinr_plugin_registrar_, __LINE__)(#Class)
