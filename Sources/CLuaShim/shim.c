// The only C in the Lua bridge. Everything that can longjmp (lua_error, lua_yield)
// happens here, after the Swift function that decided it has returned.
#include "CLuaShim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Per-state bookkeeping, owned by the allocator's userdata. */
typedef struct {
    size_t used;
    size_t limit;
    int exhausted;
    double deadline;
    double slice_deadline; /* the running coroutine's own budget (a hook's), 0 for none */
    int killed;
    int stopped;  /* the budget hook yielded the running coroutine: it must not be resumed */
    double slice; /* seconds a coroutine runs before it yields to the others, 0 for never */
    double slice_end; /* when the running coroutine's slice is spent */
    int preempted; /* the budget hook yielded the running coroutine at the end of its slice */
    char stop_where[LUA_IDSIZE + 32]; /* "file:line: " of the recipe code it was stopped in */
    int in_lua;   /* the limit binds only while Lua runs: an allocation failure in Swift would longjmp */
    char *library; /* chunk-name prefix of the library's files (Stdlib's cookbooks), or NULL */
    void *host;
} cr_vm;

static cr_dispatch_fn dispatcher = NULL;

void cr_set_dispatcher(cr_dispatch_fn fn) { dispatcher = fn; }

static cr_vm *vm_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (cr_vm *)ud;
}

static void *cr_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    cr_vm *vm = (cr_vm *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        vm->used -= old;
        return NULL;
    }
    if (nsize > old && vm->in_lua && vm->limit > 0 && vm->used - old + nsize > vm->limit) {
        vm->exhausted = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p) vm->used = vm->used - old + nsize;
    return p;
}

double cr_monotonic_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_library(cr_vm *vm, const char *source) {
    return vm->library && source && strncmp(source, vm->library, strlen(vm->library)) == 0;
}

/* Fills `ar` with the nearest frame from `level` up that is Lua code of a file (not C, not an
   internal "=" chunk) and, with `library_too` false, not of the library either. */
static int file_frame(lua_State *L, int level, lua_Debug *ar, int library_too) {
    for (; lua_getstack(L, level, ar); level++) {
        if (!lua_getinfo(L, "Sl", ar)) break;
        if (ar->currentline <= 0) continue;          /* C function or no line info */
        if (ar->source && ar->source[0] == '=') continue; /* internal chunk (the prelude) */
        if (!library_too && is_library(vm_of(L), ar->source)) continue;
        return 1;
    }
    return 0;
}

/* The nearest recipe frame from `level` up: the user's own code first, so that a cookbook's
   misuse names the line that called into the cookbook; the library's only when no user code
   is on the stack (a cookbook's hook run by the engine). 0 when there is none (e.g. a tail call
   replaced the recipe frame). */
static int recipe_frame(lua_State *L, int level, lua_Debug *ar) {
    return file_frame(L, level, ar, 0) || file_frame(L, level, ar, 1);
}

/* Writes "file:line: " of the nearest recipe frame into `buf`, or "" when there is none. */
static void where_of(lua_State *L, char *buf, size_t size) {
    lua_Debug ar;
    buf[0] = '\0';
    if (recipe_frame(L, 0, &ar)) snprintf(buf, size, "%s:%d: ", ar.short_src, ar.currentline);
}

int cr_recipe_frame(lua_State *L, char *source, size_t size) {
    lua_Debug ar;
    source[0] = '\0';
    if (!recipe_frame(L, 0, &ar)) return 0;
    snprintf(source, size, "%s", ar.source ? ar.source : "");
    return ar.currentline;
}

void cr_push_where(lua_State *L) {
    char buf[LUA_IDSIZE + 32];
    where_of(L, buf, sizeof buf);
    lua_pushstring(L, buf);
}

static void budget_hook(lua_State *L, lua_Debug *ar);

/* Marks the budget spent: from now on every hook and every primitive call stops the run. */
static void kill_vm(lua_State *L, cr_vm *vm) {
    vm->killed = 1;
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
}

/* The budget hook. Past the deadline it yields the coroutine for good (the scheduler sees
   CR_STOPPED and never resumes it), so no pcall, xpcall handler or __close runs afterwards.
   Where Lua cannot yield (inside a C call such as table.sort's comparator, or outside a
   coroutine) it raises instead; pcall cannot swallow that, because once killed every
   instruction raises again, with the hook firing on every instruction. */
static void budget_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    cr_vm *vm = vm_of(L);
    if (!vm->killed) {
        double now = cr_monotonic_now();
        if (vm->deadline <= 0 || now < vm->deadline) {
            /* The run goes on; only this coroutine (a hook) may have spent its own budget. */
            if (vm->slice_deadline <= 0 || now < vm->slice_deadline) {
                /* Its slice spent, it yields so the other coroutines run; the scheduler resumes it
                   after them (CR_PREEMPTED). Where Lua cannot yield it runs on. */
                if (vm->slice > 0 && now >= vm->slice_end && lua_isyieldable(L)) {
                    vm->preempted = 1;
                    lua_yield(L, 0);
                }
                return;
            }
            if (lua_isyieldable(L)) {
                where_of(L, vm->stop_where, sizeof vm->stop_where);
                vm->stopped = 1;
                lua_yield(L, 0);
                return;
            }
            cr_push_where(L);
            lua_pushliteral(L, "time limit exceeded");
            lua_concat(L, 2);
            lua_error(L);
            return;
        }
    }
    kill_vm(L, vm);
    if (lua_isyieldable(L)) {
        where_of(L, vm->stop_where, sizeof vm->stop_where);
        vm->stopped = 1;
        lua_yield(L, 0);  /* in a hook: returns here, and Lua yields once the hook returns */
        return;
    }
    cr_push_where(L);
    lua_pushliteral(L, "time limit exceeded");
    lua_concat(L, 2);
    lua_error(L);
}

lua_State *cr_newstate(size_t limit) {
    cr_vm *vm = calloc(1, sizeof(cr_vm));
    if (!vm) return NULL;
    vm->limit = limit;
    lua_State *L = lua_newstate(cr_alloc, vm);
    if (!L) { free(vm); return NULL; }
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1000);
    return L;
}

void cr_close(lua_State *L) {
    cr_vm *vm = vm_of(L);
    lua_close(L);
    free(vm->library);
    free(vm);
}

void cr_set_library(lua_State *L, const char *prefix) {
    cr_vm *vm = vm_of(L);
    free(vm->library);
    vm->library = prefix ? strdup(prefix) : NULL;
}

size_t cr_memory_used(lua_State *L) { return vm_of(L)->used; }
size_t cr_memory_limit(lua_State *L) { return vm_of(L)->limit; }
int cr_memory_exhausted(lua_State *L) { return vm_of(L)->exhausted; }
void cr_set_host(lua_State *L, void *host) { vm_of(L)->host = host; }
void *cr_get_host(lua_State *L) { return vm_of(L)->host; }
void cr_set_deadline(lua_State *L, double deadline) {
    cr_vm *vm = vm_of(L);
    vm->deadline = deadline;
    vm->killed = 0;
    vm->stopped = 0;
    /* A kill on the main thread left its hook firing on every instruction; threads copy it. */
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1000);
}
void cr_kill(lua_State *L) { vm_of(L)->killed = 1; }
int cr_killed(lua_State *L) { return vm_of(L)->killed; }
const char *cr_stop_where(lua_State *L) { return vm_of(L)->stop_where; }
int cr_deadline_passed(lua_State *L) {
    cr_vm *vm = vm_of(L);
    return vm->killed || (vm->deadline > 0 && cr_monotonic_now() >= vm->deadline);
}
void cr_set_slice_deadline(lua_State *L, double deadline) { vm_of(L)->slice_deadline = deadline; }
void cr_set_time_slice(lua_State *L, double seconds) { vm_of(L)->slice = seconds > 0 ? seconds : 0; }
double cr_deadline(lua_State *L) { return vm_of(L)->deadline; }
static int slice_passed(cr_vm *vm) { return vm->slice_deadline > 0 && cr_monotonic_now() >= vm->slice_deadline; }

static int raise_located(lua_State *L) {
    cr_push_where(L);
    lua_insert(L, -2);
    lua_concat(L, 2);
    return lua_error(L);
}

/* Resumed after a yield: the values passed to lua_resume sit above `ctx`: ok, then values or
   (message, raw). */
static int resume_k(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    int base = (int)ctx;
    int top = lua_gettop(L);
    if (top > base && lua_toboolean(L, base + 1)) return top - base - 1;
    int raw = top >= base + 3 && lua_toboolean(L, base + 3);
    lua_settop(L, base + 2);
    if (raw) return lua_error(L);
    if (lua_type(L, -1) != LUA_TSTRING) { lua_pop(L, 1); lua_pushliteral(L, "operation failed"); }
    return raise_located(L);
}

static int trampoline(lua_State *L) {
    int64_t id = (int64_t)lua_tointeger(L, lua_upvalueindex(1));
    cr_vm *vm = vm_of(L);
    if (cr_deadline_passed(L)) {
        /* Past the budget no primitive starts: a recipe that catches the stop must not be able to
           wait on I/O again. */
        kill_vm(L, vm);
        lua_pushliteral(L, "time limit exceeded");
        return raise_located(L);
    }
    if (slice_passed(vm)) {
        lua_pushliteral(L, "time limit exceeded");
        return raise_located(L);
    }
    vm->in_lua = 0;
    int n = dispatcher ? dispatcher(L, id) : (lua_pushliteral(L, "no dispatcher"), CR_RAISE_LOCATED);
    vm->in_lua = 1;
    if (vm->limit > 0 && vm->used > vm->limit) {
        vm->exhausted = 1;
        lua_pushliteral(L, "not enough memory");
        return raise_located(L);
    }
    switch (n) {
    case CR_RAISE_LOCATED: return raise_located(L);
    case CR_RAISE_RAW: return lua_error(L);
    case CR_YIELD: return lua_yieldk(L, 0, (lua_KContext)lua_gettop(L), resume_k);
    default: return n;
    }
}

void cr_push_primitive(lua_State *L, int64_t primitive) {
    lua_pushinteger(L, (lua_Integer)primitive);
    lua_pushcclosure(L, trampoline, 1);
}

static int traceback_handler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) msg = luaL_tolstring(L, 1, NULL);
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int cr_pcall_traceback(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, traceback_handler);
    lua_insert(L, base);
    cr_vm *vm = vm_of(L);
    int was = vm->in_lua;
    vm->in_lua = 1;
    int status = lua_pcall(L, nargs, nresults, base);
    vm->in_lua = was;
    lua_remove(L, base);
    return status;
}

void cr_pop(lua_State *L, int n) { lua_pop(L, n); }
void cr_newtable(lua_State *L) { lua_newtable(L); }
const char *cr_tostring(lua_State *L, int idx, size_t *len) { return lua_tolstring(L, idx, len); }
void cr_insert(lua_State *L, int idx) { lua_insert(L, idx); }
void cr_remove(lua_State *L, int idx) { lua_remove(L, idx); }
void cr_pushglobaltable(lua_State *L) { lua_pushglobaltable(L); }
int cr_ref(lua_State *L) { return luaL_ref(L, LUA_REGISTRYINDEX); }
void cr_unref(lua_State *L, int ref) { luaL_unref(L, LUA_REGISTRYINDEX, ref); }
void cr_getref(lua_State *L, int ref) { lua_rawgeti(L, LUA_REGISTRYINDEX, ref); }
int cr_isinteger(lua_State *L, int idx) { return lua_isinteger(L, idx); }
lua_Integer cr_tointeger(lua_State *L, int idx) { return lua_tointeger(L, idx); }
lua_Number cr_tonumber(lua_State *L, int idx) { return lua_tonumber(L, idx); }

int cr_loadtext(lua_State *L, const char *buf, size_t len, const char *chunkname) {
    return luaL_loadbufferx(L, buf, len, chunkname, "t");
}

/* The allow-list: base, table, string, math, utf8 and os (trimmed by the prelude). No io,
   debug or package: those are never opened. */
void cr_open_sandbox_libs(lua_State *L) {
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},
        {LUA_TABLIBNAME, luaopen_table},
        {LUA_STRLIBNAME, luaopen_string},
        {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},
        {LUA_OSLIBNAME, luaopen_os},
        {NULL, NULL},
    };
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
}

int cr_resume(lua_State *co, int nargs, int *nresults) {
    cr_vm *vm = vm_of(co);
    int was = vm->in_lua;
    vm->in_lua = 1;
    vm->exhausted = 0;
    vm->stopped = 0;
    vm->preempted = 0;
    if (vm->slice > 0) vm->slice_end = cr_monotonic_now() + vm->slice;
    int status = lua_resume(co, NULL, nargs, nresults);
    vm->in_lua = was;
    if (status == LUA_YIELD && vm->stopped) {
        vm->stopped = 0;
        return CR_STOPPED;
    }
    if (status == LUA_YIELD && vm->preempted) {
        vm->preempted = 0;
        return CR_PREEMPTED;
    }
    return status;
}

void cr_traceback(lua_State *L, lua_State *co, const char *msg) { luaL_traceback(L, co, msg, 0); }

/* `raise(message)`: raises `message` prefixed with the file:line of the nearest recipe frame.
   For preludes, whose own error(msg, 2) would name the wrong frame after a tail call. */
static int raise_fn(lua_State *L) {
    luaL_checkstring(L, 1);
    lua_settop(L, 1);
    return raise_located(L);
}

/* `error(message [, level])` as Lua's own, except that blaming a caller (level 2 and up) never
   stops in the prelude or the library: a cookbook's `error(msg, 2)` names the recipe line that
   called into it even when a Stdlib function stands between them. */
static int error_fn(lua_State *L) {
    int level = (int)luaL_optinteger(L, 2, 1);
    lua_settop(L, 1);
    if (lua_type(L, 1) == LUA_TSTRING && level > 0) {
        lua_Debug ar;
        if (level >= 2 && recipe_frame(L, level, &ar)) {
            lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
        } else {
            luaL_where(L, level);
        }
        lua_insert(L, 1);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

/* `located(f)`: a C function that calls the Lua function `f`. A recipe's `return f(...)` is then a
   tail call into C, which keeps the recipe's frame, so errors from inside `f` still name its line. */
static int located_k(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    (void)ctx;
    return lua_gettop(L);
}

static int located_call(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, located_k);
    return located_k(L, LUA_OK, 0);
}

static int located_fn(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 1);
    lua_pushcclosure(L, located_call, 1);
    return 1;
}

/* `stopped()`: whether the time budget of the run is spent. Never raises. */
static int stopped_fn(lua_State *L) {
    lua_pushboolean(L, vm_of(L)->killed);
    return 1;
}

void cr_set_prelude_helpers(lua_State *L, int table) {
    table = lua_absindex(L, table);
    lua_pushcfunction(L, raise_fn);
    lua_setfield(L, table, "raise");
    lua_pushcfunction(L, located_fn);
    lua_setfield(L, table, "located");
    lua_pushcfunction(L, stopped_fn);
    lua_setfield(L, table, "stopped");
    lua_pushcfunction(L, error_fn);
    lua_setfield(L, table, "error");
}
