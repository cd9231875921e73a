/*
 * The baselinr hook plugin ABI: how a shared library provides custom hooks.
 *
 * Pure C99 so that any language with a C FFI can implement it; no C++ type and no exception
 * crosses it. A plugin exports ONE symbol, baselinr_plugin_entry, which returns a pointer to a
 * static baselinr_plugin table. Events cross as their JSON text (the same object the webhook
 * and command hooks send). Errors come back as a status code plus a message that the plugin
 * allocates and the host hands back to the plugin's free_message.
 *
 * Versioning: abi_version is the major version; the host refuses a table whose abi_version it
 * does not know. struct_size lets the table grow: new members are only ever appended, and the
 * host reads a member only when struct_size says the plugin's table has it.
 *
 * Lifetime: the host dlopen()s the library from the explicit path given in the configuration
 * (`module:`), calls the entry point once, calls create() once per configured hook, then
 * handle_event() once per event (never concurrently for one hook instance), destroy() at the
 * end, and finally dlclose()s the library.
 *
 * C++ authors should use baselinr/plugin.hpp, which writes all of this from a Hook subclass.
 */
#ifndef BASELINR_PLUGIN_H
#define BASELINR_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BASELINR_PLUGIN_ABI_VERSION 1u
#define BASELINR_PLUGIN_ENTRY_SYMBOL "baselinr_plugin_entry"

/* Status codes returned by create() and handle_event(). */
#define BASELINR_PLUGIN_OK 0
#define BASELINR_PLUGIN_ERROR 1

typedef struct baselinr_plugin {
  /* BASELINR_PLUGIN_ABI_VERSION as the plugin was compiled. */
  uint32_t abi_version;
  /* sizeof(baselinr_plugin) as the plugin was compiled. */
  uint32_t struct_size;
  /* A short name for messages, e.g. "acme-alerts". */
  const char* name;

  /* Creates an instance of hook class `class_name` configured by `params_json` (a JSON object,
   * "{}" when none). On success returns BASELINR_PLUGIN_OK and sets *instance. On failure
   * returns BASELINR_PLUGIN_ERROR and may set *message to a NUL-terminated text allocated by the
   * plugin (released with free_message). */
  int (*create)(const char* class_name, const char* params_json, void** instance, char** message);

  /* Delivers one event: `event_json` is a JSON object of `event_json_len` bytes (also
   * NUL-terminated). Returns BASELINR_PLUGIN_OK, or BASELINR_PLUGIN_ERROR with an optional
   * *message as for create(). */
  int (*handle_event)(void* instance, const char* event_json, size_t event_json_len,
                      char** message);

  /* Releases an instance made by create(). */
  void (*destroy)(void* instance);

  /* Releases a message returned by create() or handle_event(). */
  void (*free_message)(char* message);
} baselinr_plugin;

/* The exported entry point. `host_abi_version` is the host's BASELINR_PLUGIN_ABI_VERSION; the
 * plugin returns its table (static storage), or NULL when it cannot serve that host. */
typedef const baselinr_plugin* (*baselinr_plugin_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif

#endif /* BASELINR_PLUGIN_H */
