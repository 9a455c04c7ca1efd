#ifndef CLUASHIM_H
#define CLUASHIM_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stddef.h>
#include <stdint.h>

/* What a Swift primitive tells its C trampoline once the Swift frame has returned. */
#define CR_RAISE_LOCATED (-1) /* string on top: raise it prefixed with the caller's file:line */
#define CR_RAISE_RAW     (-2) /* value on top: raise it as it is (it already names its place) */
#define CR_YIELD         (-3) /* yield the coroutine; it is resumed with (ok, values...) */

/* What cr_resume returns when the time budget stopped the coroutine (it yielded and must not be
   resumed); cr_stop_where names the recipe line it was stopped at. */
#define CR_STOPPED 100
/* What cr_resume returns when the coroutine's time slice was spent: it yielded from the count
   hook and is resumed (with no values) once the others have had their turn. */
#define CR_PREEMPTED 101

/* Called by every trampoline: returns a result count (>= 0) or one of the CR_ codes. */
typedef int (*cr_dispatch_fn)(lua_State *L, int64_t primitive);
void cr_set_dispatcher(cr_dispatch_fn fn);

/* A new state whose allocator refuses to pass `limit` bytes, with a count hook for the time budget. */
lua_State *cr_newstate(size_t limit);
void cr_close(lua_State *L);
size_t cr_memory_used(lua_State *L);
size_t cr_memory_limit(lua_State *L);
int cr_memory_exhausted(lua_State *L);

/* The host object (a Swift VM) reachable from every thread of the state. */
void cr_set_host(lua_State *L, void *host);
void *cr_get_host(lua_State *L);

/* Time budget: a monotonic deadline in seconds (0 = none); setting it clears an earlier kill.
   Past it, the count hook stops the running coroutine and every primitive call raises. */
void cr_set_deadline(lua_State *L, double deadline);
int cr_deadline_passed(lua_State *L);
/* Marks the budget spent now (the run's deadline timer fired while Lua was not running). */
void cr_kill(lua_State *L);
int cr_killed(lua_State *L);
const char *cr_stop_where(lua_State *L);
double cr_monotonic_now(void);

/* A C closure that calls the dispatcher with `primitive`. */
void cr_push_primitive(lua_State *L, int64_t primitive);

/* The chunk-name prefix ("@Stdlib/") of the library's files: errors located at the recipe line
   pass over their frames to the user's code that called in. */
void cr_set_library(lua_State *L, const char *prefix);

/* Push "file:line: " of the nearest frame that is recipe code (not C, not an internal "=" chunk,
   and not the library's when user code is on the stack). */
void cr_push_where(lua_State *L);

/* The chunk name and line of that same frame (for a primitive that locates an error itself,
   such as a field of a declaration); 0 when there is none. */
int cr_recipe_frame(lua_State *L, char *source, size_t size);

/* Safe call with a traceback message handler. */
int cr_pcall_traceback(lua_State *L, int nargs, int nresults);

/* The budget of the coroutine about to be resumed (a hook's), as a monotonic deadline; 0 for none.
   Past it the count hook stops that coroutine only. */
void cr_set_slice_deadline(lua_State *L, double deadline);

/* Seconds a coroutine runs before the count hook yields it so the others run (0: never). */
void cr_set_time_slice(lua_State *L, double seconds);
/* The run's deadline set by cr_set_deadline (monotonic seconds, 0 for none). */
double cr_deadline(lua_State *L);

/* Resume a coroutine with the memory limit in force. Returns lua_resume's status, CR_STOPPED
   or CR_PREEMPTED. */
int cr_resume(lua_State *co, int nargs, int *nresults);
void cr_traceback(lua_State *L, lua_State *co, const char *msg);

/* Wrappers for Lua's function-like macros, which Swift cannot import. */
void cr_pop(lua_State *L, int n);
void cr_newtable(lua_State *L);
const char *cr_tostring(lua_State *L, int idx, size_t *len);
void cr_insert(lua_State *L, int idx);
void cr_remove(lua_State *L, int idx);
void cr_pushglobaltable(lua_State *L);
int cr_ref(lua_State *L);
void cr_unref(lua_State *L, int ref);
void cr_getref(lua_State *L, int ref);
int cr_isinteger(lua_State *L, int idx);
lua_Integer cr_tointeger(lua_State *L, int idx);
lua_Number cr_tonumber(lua_State *L, int idx);
int cr_loadtext(lua_State *L, const char *buf, size_t len, const char *chunkname);
void cr_open_sandbox_libs(lua_State *L);

/* Sets raise(msg), located(f) and stopped() in the table at `table`: C helpers for preludes. */
void cr_set_prelude_helpers(lua_State *L, int table);

#endif
